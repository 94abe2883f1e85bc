//! A local, stateful emulator of Clerk's 12 invitation operations (feature `emulator`).
//!
//! It behaves like the real service as described in the crate's README: `inv_…`/`orginv_…` ids,
//! millisecond timestamps, `url` only in create responses, `revoked` omitted when false, 30-day
//! default expiry and the `expired` status (its clock can be moved), duplicate and
//! existing-user rules, revoke rules, all-or-nothing bulk, filters, ordering, pagination with
//! the `paginated=true` envelope, organizations with members and roles, Clerk's error envelope
//! with a trace id, `Clerk-API-Version` checks and secret-key checks.
//!
//! For tests of failure handling it also enforces Clerk's rate limits (with a time scale, see
//! [`EmulatorBuilder::time_scale`]) and injects faults ([`Emulator::inject`], [`Fault`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> clerk_invitations::Result<()> {
//! use clerk_invitations::emulator::Emulator;
//! let emulator = Emulator::start().await?;
//! let clerk = emulator.client()?;
//! let inv = clerk.invitations().create("someone@example.com").await?;
//! assert!(inv.id.starts_with("inv_"));
//! # Ok(()) }
//! ```

mod builder;
mod faults;
mod ratelimit;
pub mod seed;
mod seed_limits;
mod server;
mod state;
mod state_file;
mod webhooks;

use crate::{Clerk, Error, Result};
use bytes::Bytes;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub use builder::EmulatorBuilder;
pub use faults::Fault;
pub use seed::Seed;
pub use state::{StoredInvitation, StoredOrganizationInvitation};
pub use webhooks::{
    CLERK_RETRY_SCHEDULE, MAX_WEBHOOK_ENDPOINTS, WebhookAttempt, WebhookDelivery, WebhookEndpoint,
};

/// One request and the answer the emulator gave, kept when
/// [`EmulatorBuilder::record_exchanges`] is on.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> clerk_invitations::Result<()> {
/// use clerk_invitations::emulator::{Emulator, Fault};
/// let emu = Emulator::builder().record_exchanges(true).start().await?;
/// emu.client()?.invitations().list().await?;
/// for x in emu.exchanges() {
///     println!("{} {} -> {}", x.method, x.path, x.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Exchange {
    /// Request method, e.g. `POST`.
    pub method: String,
    /// Request path, e.g. `/v1/invitations/inv_…/revoke`.
    pub path: String,
    /// Request query, as sent (empty without one).
    pub query: String,
    /// Answer status.
    pub status: u16,
    /// Answer `Content-Type`.
    pub content_type: String,
    /// Answer body as sent.
    pub body: Bytes,
    /// Whether an injected [`Fault`] shaped the answer (such answers are off-spec on purpose).
    pub faulted: bool,
    /// When it was answered, by the emulator's clock (Unix ms).
    pub at_ms: i64,
    /// The request's body as sent.
    pub request_body: Bytes,
}

/// The secret key an emulator accepts unless told otherwise.
pub const DEFAULT_EMULATOR_KEY: &str = "sk_test_emulator";

/// A running emulator bound to `127.0.0.1`. Stops when dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> clerk_invitations::Result<()> {
/// use clerk_invitations::emulator::{Emulator, Fault};
/// let emu = Emulator::start().await?;
/// let clerk = emu.client()?;
/// let inv = clerk.invitations().create("ada@example.com").await?;
/// emu.accept_invitation(&inv.id)?;
/// assert_eq!(emu.invitations()[0].status, "accepted");
/// # Ok(()) }
/// ```
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

/// Exchanges kept when recording (the oldest are dropped past it), so a long-running emulator
/// does not grow without bound.
pub(crate) const MAX_RECORDED: usize = 10_000;

impl Emulator {
    /// Starts an emulator on a free port that accepts `sk_test_emulator`.
    ///
    /// # Errors
    /// See [`EmulatorBuilder::start`].
    pub async fn start() -> Result<Emulator> {
        EmulatorBuilder::default().start().await
    }

    /// Settings: accepted keys, port, rate limits and their time scale, recording.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The base URL to point a client at, e.g. `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A client for this emulator, using its first accepted key, and a settle window of the
    /// emulator's list lag at this moment plus half a second (a client of the live service
    /// waits 15.5 s, for the live service's lag).
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) when the emulator accepts
    /// no key.
    pub fn client(&self) -> Result<Clerk> {
        let key = self
            .shared
            .keys
            .first()
            .ok_or_else(|| Error::configuration("the emulator accepts no key"))?;
        let lag =
            Duration::from_millis(self.with_state(|s| u64::try_from(s.list_lag_ms).unwrap_or(0)));
        Clerk::builder()
            .secret_key(key.clone())
            .base_url(self.base_url())
            .settle_window(lag + Duration::from_millis(500))
            .build()
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut state::State) -> T) -> T {
        f(&mut server::lock(&self.shared.state))
    }

    /// Everything the emulator holds, as a seed document. The webhook endpoints are left out
    /// (their secrets stay out of dumps and of `GET /__emulator/state`); the state file keeps
    /// them (see [`save_state`](Self::save_state)).
    pub fn dump(&self) -> Seed {
        self.with_state(|s| s.to_seed())
    }

    /// Adds what `seed` holds, its webhook endpoints included.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when one of its webhook
    /// endpoints has an invalid URL or secret; then nothing is added.
    pub fn load(&self, seed: &Seed) -> Result<()> {
        self.shared.load(seed)
    }

    /// Empties the state, and removes the webhook endpoints added since the start (those
    /// given to the builder stay) with the record of deliveries. Keys, limits, settings and
    /// queued faults stay (`POST /__emulator/reset` clears the faults and the request log
    /// too).
    pub fn reset(&self) {
        self.with_state(|s| *s = state::State::default());
        self.shared.webhooks.reset();
    }

    /// Writes the state, with the registered webhook endpoints, to the state file (see
    /// [`EmulatorBuilder::state_file`]), atomically.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) without a state file or
    /// when it cannot be written.
    pub fn save_state(&self) -> Result<()> {
        let path = self
            .shared
            .state_file
            .as_ref()
            .ok_or_else(|| Error::configuration("the emulator has no state file"))?;
        state_file::save(&self.shared.state_document(), path)
    }

    /// Queues a fault for the next matching requests (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        server::lock(&self.shared.faults).queue.push(fault);
    }

    /// Removes every queued fault and the added latency.
    pub fn clear_faults(&self) {
        let mut f = server::lock(&self.shared.faults);
        f.queue.clear();
        f.latency = Duration::ZERO;
        f.no_date = false;
    }

    /// Lists (of application and organization invitations) leave out invitations created less
    /// than `lag` ago, as a service whose lists lag behind its writes does (zero to stop).
    /// Creates still see every invitation: a repeated create is refused as a duplicate.
    pub fn set_list_lag(&self, lag: Duration) {
        self.with_state(|s| s.list_lag_ms = i64::try_from(lag.as_millis()).unwrap_or(i64::MAX));
    }

    /// Sets the emulator's clock `offset_ms` milliseconds ahead of this machine's (negative:
    /// behind), as a service whose clock disagrees with the caller's: timestamps and the `Date`
    /// header follow it.
    pub fn set_clock_offset(&self, offset_ms: i64) {
        self.with_state(|s| s.clock_offset_ms = offset_ms);
    }

    /// Leaves the `Date` header out of every answer (`false` to send it again), as a proxy that
    /// strips it would: the client can then not read the service's clock.
    pub fn set_date_header(&self, send: bool) {
        server::lock(&self.shared.faults).no_date = !send;
    }

    /// Delays every request by `latency` before handling it (zero to stop).
    pub fn set_latency(&self, latency: Duration) {
        server::lock(&self.shared.faults).latency = latency;
    }

    /// How many requests the emulator has received, refused and faulted ones included.
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// The exchanges so far, oldest first; empty unless
    /// [`EmulatorBuilder::record_exchanges`] was on. Requests whose connection was dropped or
    /// whose body stalled are not recorded.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared
            .exchanges
            .as_ref()
            .map(|e| server::lock(e).clone())
            .unwrap_or_default()
    }

    /// Turns the organizations feature of the instance on or off (default on). When off, the
    /// organization operations answer `403 organization_not_enabled_in_instance`.
    pub fn set_organizations_enabled(&self, enabled: bool) {
        self.with_state(|s| s.organizations_enabled = enabled);
    }

    /// Limits the seats of an organization's plan: an invitation that would take members plus
    /// pending invitations past `seats` is refused with `402 insufficient_seats`.
    pub fn set_organization_seats(&self, org_id: &str, seats: Option<u32>) {
        self.with_state(|s| {
            if let Some(o) = s.organizations.get_mut(org_id) {
                o.seats = seats;
            }
        });
    }

    /// Stores a pending application invitation for `email_address` directly, as if created now
    /// with the defaults, without a request (so without rate limits or duplicate checks).
    /// Returns its id. Meant for filling the emulator with many invitations quickly.
    pub fn seed_invitation(&self, email_address: &str) -> String {
        self.with_state(|s| s.seed_invitation(email_address))
    }

    /// [`seed_invitation`](Self::seed_invitation) with `public_metadata` (an object; anything
    /// else stores `{}`): another party's invitation, as a test of look-alikes needs.
    pub fn seed_invitation_with(
        &self,
        email_address: &str,
        public_metadata: serde_json::Value,
    ) -> String {
        let metadata = match public_metadata {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        self.with_state(|s| {
            s.create_invitation(
                crate::address::normalize(email_address),
                metadata,
                None,
                false,
            )
            .id
        })
    }

    /// Moves the emulator's clock forward (invitations past `expires_at` become `expired`).
    pub fn advance_clock(&self, by: Duration) {
        self.with_state(|s| {
            s.clock_offset_ms = s
                .clock_offset_ms
                .saturating_add(i64::try_from(by.as_millis()).unwrap_or(i64::MAX))
        });
    }

    /// The emulator's current time, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.with_state(|s| s.now_ms())
    }

    /// Adds a user with this id and email address (invitations to that address are then
    /// refused with `form_identifier_exists`).
    pub fn seed_user(&self, user_id: &str, email_address: &str) {
        self.with_state(|s| s.add_user(user_id, email_address));
    }

    /// Adds an organization with this id, name and slug. Its roles are `org:admin` (may manage
    /// members) and `org:member`; `max_memberships` limits members plus pending invitations.
    pub fn seed_organization(
        &self,
        org_id: &str,
        name: &str,
        slug: &str,
        max_memberships: Option<u32>,
    ) {
        self.with_state(|s| s.add_organization(org_id, name, slug, max_memberships));
    }

    /// Adds a custom role key (e.g. `org:billing`) to an organization.
    pub fn seed_role(&self, org_id: &str, role: &str, can_manage_members: bool) {
        self.with_state(|s| s.add_role(org_id, role, can_manage_members));
    }

    /// Makes a seeded user a member of a seeded organization with `role`.
    pub fn seed_membership(&self, org_id: &str, user_id: &str, role: &str) {
        self.with_state(|s| s.add_membership(org_id, user_id, role));
    }

    /// Every application invitation, oldest first.
    pub fn invitations(&self) -> Vec<StoredInvitation> {
        self.with_state(|s| s.invitations.clone())
    }

    /// Every organization invitation, oldest first.
    pub fn organization_invitations(&self) -> Vec<StoredOrganizationInvitation> {
        self.with_state(|s| s.org_invitations.clone())
    }

    /// Accepts an application invitation as the invitee would: its status becomes `accepted`
    /// and a user now exists for its address. Returns the new user's id.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when no pending invitation
    /// has that id.
    pub fn accept_invitation(&self, invitation_id: &str) -> Result<String> {
        self.with_state(|s| s.accept_invitation(invitation_id))
            .ok_or_else(|| Error::invalid_input(format!("no pending invitation {invitation_id}")))
    }

    /// Accepts an organization invitation: its status becomes `accepted`, a user exists for the
    /// address and is a member with the invited role. Returns the user's id.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when no pending organization
    /// invitation has that id.
    pub fn accept_organization_invitation(&self, invitation_id: &str) -> Result<String> {
        self.shared
            .accept_org_invitation(invitation_id)
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "no pending organization invitation {invitation_id}"
                ))
            })
    }
}

impl Emulator {
    /// Starts delivering invitation events to `url` as well, signed with `secret`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when the URL or the secret
    /// is invalid.
    pub fn add_webhook(&self, url: &str, secret: &str) -> Result<()> {
        self.shared.webhooks.add(&WebhookEndpoint::new(url, secret))
    }

    /// Stops delivering to the endpoints with `url` (their pending retries included); whether
    /// there was one.
    pub fn remove_webhook(&self, url: &str) -> bool {
        self.shared.webhooks.remove(Some(url)) > 0
    }

    /// Every webhook delivery so far (the latest 10,000), oldest first, with its attempts.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared.webhooks.deliveries()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
