//! A local, stateful emulator of Clerk's 12 invitation operations (feature `emulator`).
//!
//! It behaves like the real service as described in the crate's README: `inv_…`/`orginv_…` ids,
//! millisecond timestamps, `url` only in create responses, `revoked` omitted when false, 30-day
//! default expiry and the `expired` status (its clock can be moved), duplicate and
//! existing-user rules, revoke rules, all-or-nothing bulk, filters, ordering, pagination with
//! the `paginated=true` envelope, organizations with members and roles, Clerk's error envelope
//! with a trace id, `Clerk-API-Version` checks and secret-key checks.
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

mod server;
mod state;

use crate::{Clerk, Error, Result};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use state::{StoredInvitation, StoredOrganizationInvitation};

/// The secret key an emulator accepts unless told otherwise.
pub const DEFAULT_EMULATOR_KEY: &str = "sk_test_emulator";

/// A running emulator bound to `127.0.0.1`. Stops when dropped.
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

/// Settings of an [`Emulator`], made by [`Emulator::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct EmulatorBuilder {
    keys: Vec<String>,
    port: u16,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            keys: vec![DEFAULT_EMULATOR_KEY.to_string()],
            port: 0,
        }
    }
}

impl EmulatorBuilder {
    /// The secret keys the emulator accepts (replacing the default `sk_test_emulator`).
    pub fn keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// The port to bind on 127.0.0.1 (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds and starts serving in the background of the current tokio runtime.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) when the port cannot be
    /// bound.
    pub async fn start(self) -> Result<Emulator> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .map_err(|e| Error::configuration("the emulator could not bind").with_source(e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::configuration("the emulator has no address").with_source(e))?;
        let shared = Arc::new(server::Shared {
            keys: self.keys,
            state: Mutex::new(state::State::default()),
        });
        let (tx, rx) = tokio::sync::oneshot::channel();
        let app = server::router(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Emulator {
            addr,
            shared,
            shutdown: Some(tx),
        })
    }
}

impl Emulator {
    /// Starts an emulator on a free port that accepts `sk_test_emulator`.
    ///
    /// # Errors
    /// See [`EmulatorBuilder::start`].
    pub async fn start() -> Result<Emulator> {
        EmulatorBuilder::default().start().await
    }

    /// Settings: accepted keys, port.
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

    /// A client for this emulator, using its first accepted key.
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
        Clerk::builder()
            .secret_key(key.clone())
            .base_url(self.base_url())
            .build()
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut state::State) -> T) -> T {
        let mut guard = self
            .shared
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// Moves the emulator's clock forward (invitations past `expires_at` become `expired`).
    pub fn advance_clock(&self, by: Duration) {
        self.with_state(|s| s.clock_offset_ms += i64::try_from(by.as_millis()).unwrap_or(i64::MAX));
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
        self.with_state(|s| s.accept_org_invitation(invitation_id))
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "no pending organization invitation {invitation_id}"
                ))
            })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
