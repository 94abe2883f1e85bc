//! The emulator's stored state and the service's rules.

use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Default validity of an invitation, in days.
pub(crate) const DEFAULT_EXPIRY_DAYS: i64 = 30;

/// An application invitation as the emulator stores it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> clerk_invitations::Result<()> {
/// use clerk_invitations::emulator::{Emulator, Fault};
/// let emu = Emulator::start().await?;
/// emu.seed_invitation("ada@example.com");
/// for stored in emu.invitations() {
///     println!("{} {} {}", stored.id, stored.email_address, stored.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct StoredInvitation {
    /// `inv_…`
    pub id: String,
    /// Lower-cased address.
    pub email_address: String,
    /// Public metadata.
    pub public_metadata: Map<String, Value>,
    /// `pending`, `accepted` or `revoked` (`expired` is derived from `expires_at`).
    pub status: String,
    /// Unix ms.
    pub expires_at: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// Whether Clerk would have emailed it.
    pub notify: bool,
}

/// An organization invitation as the emulator stores it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> clerk_invitations::Result<()> {
/// use clerk_invitations::emulator::{Emulator, Fault};
/// let emu = Emulator::start().await?;
/// emu.seed_invitation("ada@example.com");
/// for stored in emu.invitations() {
///     println!("{} {} {}", stored.id, stored.email_address, stored.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct StoredOrganizationInvitation {
    /// `orginv_…`
    pub id: String,
    /// The organization.
    pub organization_id: String,
    /// Lower-cased address.
    pub email_address: String,
    /// Role key.
    pub role: String,
    /// Inviting user, if any.
    pub inviter_id: Option<String>,
    /// `pending`, `accepted` or `revoked` (`expired` is derived from `expires_at`).
    pub status: String,
    /// Public metadata.
    pub public_metadata: Map<String, Value>,
    /// Private metadata.
    pub private_metadata: Map<String, Value>,
    /// Unix ms.
    pub expires_at: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) first_name: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Organization {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) slug: String,
    pub(crate) max_memberships: Option<u32>,
    /// Seats of the organization's plan (members plus pending invitations), if limited.
    pub(crate) seats: Option<u32>,
    /// role key -> may manage members
    pub(crate) roles: BTreeMap<String, bool>,
    /// user id -> role
    pub(crate) members: BTreeMap<String, String>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) clock_offset_ms: i64,
    /// Lists leave out invitations created less than this long ago (ms): a service whose lists
    /// lag behind its writes.
    pub(crate) list_lag_ms: i64,
    /// The latest creation time handed out: creation times never decrease, so the stores are
    /// in `created_at` order.
    last_created: i64,
    pub(crate) organizations_enabled: bool,
    pub(crate) invitations: Vec<StoredInvitation>,
    pub(crate) org_invitations: Vec<StoredOrganizationInvitation>,
    pub(crate) users: Vec<User>,
    pub(crate) organizations: HashMap<String, Organization>,
    /// Hash of an address -> positions in `invitations`, so creates check duplicates without a
    /// scan. Keyed by hash, not by a copy of the address, to keep the store compact.
    by_email: HashMap<u64, Vec<usize>>,
    /// Hash of (organization, address) -> positions in `org_invitations`.
    org_by_email: HashMap<u64, Vec<usize>>,
    hasher: std::hash::RandomState,
    seq: u64,
}

impl Default for State {
    fn default() -> Self {
        State {
            clock_offset_ms: 0,
            list_lag_ms: 0,
            last_created: 0,
            organizations_enabled: true,
            invitations: Vec::new(),
            org_invitations: Vec::new(),
            users: Vec::new(),
            organizations: HashMap::new(),
            by_email: HashMap::new(),
            org_by_email: HashMap::new(),
            hasher: std::hash::RandomState::new(),
            seq: 0,
        }
    }
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The latest time the emulator's clock shows: 9999-12-31T23:59:59Z, the last an HTTP `Date`
/// can carry, less a year and a half, so that an invitation made then can still expire.
pub(crate) const MAX_CLOCK_MS: i64 = 253_402_300_799_000 - 548 * DAY_MS;

impl State {
    /// The emulator's time (Unix ms): this machine's plus the offset, kept within 1970 and
    /// [`MAX_CLOCK_MS`] whatever the offset is.
    pub(crate) fn now_ms(&self) -> i64 {
        crate::models::now_ms()
            .saturating_add(self.clock_offset_ms)
            .clamp(0, MAX_CLOCK_MS)
    }

    /// Sets the clock's offset so that it shows `now + offset`, refused past
    /// [`MAX_CLOCK_MS`] or before 1970.
    pub(crate) fn set_clock_offset(&mut self, offset_ms: i64) -> std::result::Result<(), String> {
        let shown = crate::models::now_ms().saturating_add(offset_ms);
        if !(0..=MAX_CLOCK_MS).contains(&shown) {
            return Err(format!(
                "the clock would show {shown} ms, outside 0 ..= {MAX_CLOCK_MS} (1970 to mid-9998, the latest an HTTP Date and an expiry can carry)"
            ));
        }
        self.clock_offset_ms = offset_ms;
        Ok(())
    }

    /// Whether a list made now shows an invitation created at `created_at` (see `list_lag_ms`).
    pub(crate) fn listed(&self, created_at: i64) -> bool {
        self.list_lag_ms <= 0 || created_at <= self.now_ms().saturating_sub(self.list_lag_ms)
    }

    /// The creation time of a new invitation: now, but never before the previous one, even if
    /// the system clock steps back.
    pub(crate) fn creation_time(&mut self) -> i64 {
        self.last_created = self.now_ms().max(self.last_created);
        self.last_created
    }

    /// `prefix` + 27 base62 characters, unique within the emulator.
    pub(crate) fn new_id(&mut self, prefix: &str) -> String {
        self.seq += 1;
        let mut id = String::with_capacity(prefix.len() + 27);
        id.push_str(prefix);
        // 8 characters of sequence keep ids unique; the rest is random.
        let mut n = self.seq;
        let mut seq_part = [b'0'; 8];
        for slot in seq_part.iter_mut().rev() {
            *slot = BASE62[(n % 62) as usize];
            n /= 62;
        }
        for _ in 0..19 {
            id.push(BASE62[fastrand::usize(..BASE62.len())] as char);
        }
        id.push_str(std::str::from_utf8(&seq_part).unwrap_or("00000000"));
        id
    }

    pub(crate) fn add_user(&mut self, id: &str, email: &str) {
        self.users.push(User {
            id: id.to_string(),
            email: crate::address::normalize(email),
            first_name: None,
        });
    }

    pub(crate) fn user_by_email(&self, email: &str) -> Option<&User> {
        let email = crate::address::normalize(email);
        self.users.iter().find(|u| u.email == email)
    }

    pub(crate) fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub(crate) fn add_organization(&mut self, id: &str, name: &str, slug: &str, max: Option<u32>) {
        let roles = [
            ("org:admin".to_string(), true),
            ("org:member".to_string(), false),
        ]
        .into_iter()
        .collect();
        self.organizations.insert(
            id.to_string(),
            Organization {
                id: id.to_string(),
                name: name.to_string(),
                slug: slug.to_string(),
                max_memberships: max,
                seats: None,
                roles,
                members: BTreeMap::new(),
            },
        );
    }

    pub(crate) fn add_role(&mut self, org: &str, role: &str, manage: bool) {
        if let Some(o) = self.organizations.get_mut(org) {
            o.roles.insert(role.to_string(), manage);
        }
    }

    pub(crate) fn add_membership(&mut self, org: &str, user: &str, role: &str) {
        if let Some(o) = self.organizations.get_mut(org) {
            o.members.insert(user.to_string(), role.to_string());
        }
    }

    /// The status as the service reports it: `expired` once `expires_at` has passed.
    pub(crate) fn effective_status(&self, status: &str, expires_at: i64) -> &'static str {
        status_at(status, expires_at, self.now_ms())
    }

    pub(crate) fn invitation_json(&self, inv: &StoredInvitation, with_url: bool) -> Value {
        let status = self.effective_status(&inv.status, inv.expires_at);
        let mut v = json!({
            "object": "invitation",
            "id": inv.id,
            "email_address": inv.email_address,
            "public_metadata": inv.public_metadata,
            "status": status,
            "expires_at": inv.expires_at,
            "created_at": inv.created_at,
            "updated_at": inv.updated_at,
        });
        if status == "revoked" {
            v["revoked"] = json!(true);
        }
        if with_url {
            v["url"] = json!(format!(
                "https://accounts.emulator.invalid/v1/tickets/accept?ticket={}",
                inv.id
            ));
        }
        v
    }

    pub(crate) fn org_invitation_json(
        &self,
        inv: &StoredOrganizationInvitation,
        with_org: bool,
    ) -> Value {
        let org = self.organizations.get(&inv.organization_id);
        let role_name = role_name(&inv.role);
        let inviter = inv
            .inviter_id
            .as_deref()
            .and_then(|id| self.user(id))
            .map(|u| {
                json!({
                    "user_id": u.id,
                    "first_name": u.first_name,
                    "last_name": null,
                    "image_url": "https://img.clerk.com/emulator",
                    "has_image": false,
                    "identifier": u.email,
                })
            });
        let mut v = json!({
            "object": "organization_invitation",
            "id": inv.id,
            "email_address": inv.email_address,
            "role": inv.role,
            "role_name": role_name,
            "organization_id": inv.organization_id,
            "inviter_id": inv.inviter_id,
            "public_inviter_data": inviter,
            "status": self.effective_status(&inv.status, inv.expires_at),
            "public_metadata": inv.public_metadata,
            "private_metadata": inv.private_metadata,
            "url": null,
            "expires_at": inv.expires_at,
            "created_at": inv.created_at,
            "updated_at": inv.updated_at,
        });
        if with_org && let Some(o) = org {
            v["public_organization_data"] = json!({
                "id": o.id,
                "name": o.name,
                "slug": o.slug,
                "image_url": "https://img.clerk.com/emulator-org",
                "has_image": false,
            });
        }
        v
    }

    pub(crate) fn accept_invitation(&mut self, id: &str) -> Option<String> {
        let now = self.now_ms();
        let idx = self
            .invitations
            .iter()
            .position(|i| i.id == id && i.status == "pending" && i.expires_at > now)?;
        let email = self.invitations[idx].email_address.clone();
        self.invitations[idx].status = "accepted".into();
        self.invitations[idx].updated_at = now;
        Some(self.ensure_user(&email))
    }

    pub(crate) fn accept_org_invitation(&mut self, id: &str) -> Option<String> {
        let now = self.now_ms();
        let idx = self
            .org_invitations
            .iter()
            .position(|i| i.id == id && i.status == "pending" && i.expires_at > now)?;
        let (email, org, role) = {
            let inv = &mut self.org_invitations[idx];
            inv.status = "accepted".into();
            inv.updated_at = now;
            (
                inv.email_address.clone(),
                inv.organization_id.clone(),
                inv.role.clone(),
            )
        };
        let user = self.ensure_user(&email);
        self.add_membership(&org, &user, &role);
        Some(user)
    }

    fn ensure_user(&mut self, email: &str) -> String {
        if let Some(u) = self.user_by_email(email) {
            return u.id.clone();
        }
        let id = self.new_id("user_");
        self.add_user(&id, email);
        id
    }

    pub(crate) fn seed_invitation(&mut self, email: &str) -> String {
        self.create_invitation(crate::address::normalize(email), Map::new(), None, false)
            .id
    }

    /// Creates a pending application invitation now, with the default expiry unless `days`.
    pub(crate) fn create_invitation(
        &mut self,
        email: String,
        public_metadata: Map<String, Value>,
        days: Option<i64>,
        notify: bool,
    ) -> StoredInvitation {
        let now = self.creation_time();
        let inv = StoredInvitation {
            id: self.new_id("inv_"),
            email_address: email,
            public_metadata,
            status: "pending".into(),
            expires_at: self.expiry(now, days),
            created_at: now,
            updated_at: now,
            notify,
        };
        self.push_invitation(inv.clone());
        inv
    }

    /// Puts the stores back in `created_at` order (ties in insertion order) after invitations
    /// with times of their own were added, and rebuilds the address indexes.
    pub(crate) fn reindex(&mut self) {
        self.invitations.sort_by_key(|i| i.created_at);
        self.org_invitations.sort_by_key(|i| i.created_at);
        self.by_email.clear();
        for (pos, inv) in self.invitations.iter().enumerate() {
            let key = self.hasher.hash_one(&inv.email_address);
            self.by_email.entry(key).or_default().push(pos);
        }
        self.org_by_email.clear();
        for (pos, inv) in self.org_invitations.iter().enumerate() {
            let key = self
                .hasher
                .hash_one((&inv.organization_id, &inv.email_address));
            self.org_by_email.entry(key).or_default().push(pos);
        }
        let latest = self
            .invitations
            .iter()
            .map(|i| i.created_at)
            .chain(self.org_invitations.iter().map(|i| i.created_at))
            .max()
            .unwrap_or(0);
        self.last_created = self.last_created.max(latest);
    }

    /// Stores an application invitation and indexes its address.
    pub(crate) fn push_invitation(&mut self, inv: StoredInvitation) {
        let key = self.hasher.hash_one(&inv.email_address);
        self.by_email
            .entry(key)
            .or_default()
            .push(self.invitations.len());
        self.invitations.push(inv);
    }

    /// Deletes an application invitation for good, in any status: gone from lists, look-ups
    /// and dumps. Positions after it shift, so the address index is rebuilt.
    pub(crate) fn delete_invitation(&mut self, id: &str) -> Option<StoredInvitation> {
        let idx = self.invitations.iter().position(|i| i.id == id)?;
        let removed = self.invitations.remove(idx);
        self.by_email.clear();
        for (pos, inv) in self.invitations.iter().enumerate() {
            let key = self.hasher.hash_one(&inv.email_address);
            self.by_email.entry(key).or_default().push(pos);
        }
        Some(removed)
    }

    /// Stores an organization invitation and indexes its organization and address.
    pub(crate) fn push_org_invitation(&mut self, inv: StoredOrganizationInvitation) {
        let key = self
            .hasher
            .hash_one((&inv.organization_id, &inv.email_address));
        self.org_by_email
            .entry(key)
            .or_default()
            .push(self.org_invitations.len());
        self.org_invitations.push(inv);
    }

    /// The application invitations for an address.
    pub(crate) fn invitations_for<'a>(
        &'a self,
        email: &'a str,
    ) -> impl Iterator<Item = &'a StoredInvitation> {
        self.by_email
            .get(&self.hasher.hash_one(email))
            .into_iter()
            .flatten()
            .map(|&i| &self.invitations[i])
            .filter(move |i| i.email_address == email)
    }

    /// Positions of an organization's invitations for an address.
    pub(crate) fn org_invitations_for<'a>(
        &'a self,
        org: &'a str,
        email: &'a str,
    ) -> impl Iterator<Item = usize> + 'a {
        self.org_by_email
            .get(&self.hasher.hash_one((org, email)))
            .into_iter()
            .flatten()
            .copied()
            .filter(move |&i| {
                let inv = &self.org_invitations[i];
                inv.organization_id == org && inv.email_address == email
            })
    }

    pub(crate) fn expiry(&self, now: i64, days: Option<i64>) -> i64 {
        now.saturating_add(days.unwrap_or(DEFAULT_EXPIRY_DAYS).saturating_mul(DAY_MS))
    }
}

/// The status at time `now` (Unix ms): `expired` once `expires_at` has passed.
pub(crate) fn status_at(status: &str, expires_at: i64, now: i64) -> &'static str {
    match status {
        "pending" if expires_at <= now => "expired",
        "pending" => "pending",
        "accepted" => "accepted",
        "revoked" => "revoked",
        _ => "pending",
    }
}

/// `org:member` -> `Member`, `org:billing_manager` -> `Billing Manager`.
pub(crate) fn role_name(role: &str) -> String {
    let key = role.strip_prefix("org:").unwrap_or(role);
    key.split(['_', '-', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}
