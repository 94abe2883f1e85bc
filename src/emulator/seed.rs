//! The emulator's state as a document: what a seed file holds, what a dump returns, and what
//! `--state` saves. YAML or JSON (JSON is YAML too).

use super::state::{State, StoredInvitation, StoredOrganizationInvitation};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::Path;

/// Everything an emulator holds, as a document.
///
/// Times are Unix milliseconds. An invitation without `created_at` is created "now" (the
/// emulator's clock when loaded); without `expires_at`, 30 days after its creation; without
/// `id`, it gets a fresh one. Statuses are `pending`, `accepted`, `revoked` or `expired` (an
/// expired invitation is a pending one whose `expires_at` has passed).
///
/// ```
/// use clerk_invitations::emulator::Seed;
/// let seed = Seed::from_yaml(r#"
/// users:
///   - id: user_admin
///     email_addresses: [admin@acme.test]
/// organizations:
///   - id: org_acme
///     name: Acme
///     slug: acme
///     members:
///       - {user_id: user_admin, role: "org:admin"}
/// invitations:
///   - email_address: old@acme.test
///     created_at: 1700000000000
///     status: pending
/// "#).unwrap();
/// assert_eq!(seed.organizations[0].roles.len(), 0); // the default roles apply
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Seed {
    /// The instance's settings.
    #[serde(default)]
    pub instance: Instance,
    /// Users, by id, with their addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<User>,
    /// Organizations, with their roles and members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organizations: Vec<Organization>,
    /// Application invitations, in any status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invitations: Vec<Invitation>,
    /// Organization invitations, in any status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organization_invitations: Vec<OrganizationInvitation>,
    /// Webhook endpoints the emulator delivers invitation events to, registered when the
    /// emulator starts or the seed is loaded. The state file keeps them; a dump leaves them
    /// out (their secrets stay out of the admin API). An endpoint registered again with the
    /// same URL and secret is not added twice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<super::WebhookEndpoint>,
}

/// The instance's settings.
///
/// ```
/// use clerk_invitations::emulator::Seed;
/// let seed = Seed::from_yaml("instance: {clock_offset_ms: -2000}").unwrap();
/// assert!(seed.instance.organizations_enabled); // the default
/// assert_eq!(seed.instance.clock_offset_ms, -2000);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Instance {
    /// Whether organizations are enabled (default `true`); when not, every organization route
    /// answers `403 organization_not_enabled_in_instance`.
    #[serde(default = "yes")]
    pub organizations_enabled: bool,
    /// How far the emulator's clock runs ahead of this machine's, in ms (negative: behind).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub clock_offset_ms: i64,
}

impl Default for Instance {
    fn default() -> Self {
        Instance {
            organizations_enabled: true,
            clock_offset_ms: 0,
        }
    }
}

fn yes() -> bool {
    true
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// A user.
///
/// ```
/// use clerk_invitations::emulator::Seed;
/// let seed = Seed::from_yaml("users: [{id: user_1, email_addresses: [ada@acme.test]}]").unwrap();
/// assert_eq!(seed.users[0].email_addresses, ["ada@acme.test"]);
/// assert_eq!(seed.users[0].first_name, None);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct User {
    /// `user_…`
    pub id: String,
    /// The user's addresses (an invitation to one of them is refused as `form_identifier_exists`).
    pub email_addresses: Vec<String>,
    /// First name, shown as an inviter's public data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
}

/// An organization.
///
/// ```
/// use clerk_invitations::emulator::Seed;
/// let seed = Seed::from_yaml("organizations: [{id: org_1, name: Acme, slug: acme, seats: 5}]").unwrap();
/// assert_eq!(seed.organizations[0].seats, Some(5));
/// assert_eq!(seed.organizations[0].max_allowed_memberships, None); // unlimited
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Organization {
    /// `org_…`
    pub id: String,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// Members plus pending invitations allowed (`organization_membership_quota_exceeded` past
    /// it); none: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_allowed_memberships: Option<u32>,
    /// Seats of the plan (`402 insufficient_seats` past it); none: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<u32>,
    /// Roles beyond the default `org:admin` (may manage members) and `org:member`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    /// Members, by user id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
}

/// A role of an organization.
///
/// ```
/// use clerk_invitations::emulator::Seed;
/// let seed = Seed::from_yaml(r#"
/// organizations: [{id: org_1, name: Acme, slug: acme, roles: [{key: "org:billing"}]}]
/// "#).unwrap();
/// assert!(!seed.organizations[0].roles[0].can_manage_members); // the default
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Role {
    /// Its key, such as `org:billing`.
    pub key: String,
    /// Whether its holders may invite and revoke (the `org:sys_memberships:manage` permission).
    #[serde(default)]
    pub can_manage_members: bool,
}

/// A membership.
///
/// ```
/// use clerk_invitations::emulator::Seed;
/// let seed = Seed::from_yaml(r#"
/// users: [{id: user_1, email_addresses: [ada@acme.test]}]
/// organizations:
///   - {id: org_1, name: Acme, slug: acme, members: [{user_id: user_1, role: "org:admin"}]}
/// "#).unwrap();
/// assert_eq!(seed.organizations[0].members[0].user_id, "user_1");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Member {
    /// The user.
    pub user_id: String,
    /// The role key.
    pub role: String,
}

/// An application invitation.
///
/// ```
/// use clerk_invitations::emulator::Seed;
/// let seed = Seed::from_yaml("invitations: [{email_address: old@acme.test, created_at: 1700000000000}]").unwrap();
/// assert_eq!(seed.invitations[0].status, "pending"); // the default
/// assert_eq!(seed.invitations[0].expires_at, None); // 30 days after created_at
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Invitation {
    /// `inv_…`; a fresh one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The address.
    pub email_address: String,
    /// `pending` (default), `accepted`, `revoked` or `expired`.
    #[serde(default = "pending")]
    pub status: String,
    /// Public metadata.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub public_metadata: Map<String, Value>,
    /// Unix ms; now when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Unix ms; when absent, 30 days after `created_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Unix ms; `created_at` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// An organization invitation.
///
/// ```
/// use clerk_invitations::emulator::Seed;
/// let seed = Seed::from_yaml(r#"
/// organizations: [{id: org_1, name: Acme, slug: acme}]
/// organization_invitations: [{organization_id: org_1, email_address: new@acme.test, role: "org:member"}]
/// "#).unwrap();
/// assert_eq!(seed.organization_invitations[0].status, "pending"); // the default
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct OrganizationInvitation {
    /// `orginv_…`; a fresh one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The organization.
    pub organization_id: String,
    /// The address.
    pub email_address: String,
    /// The role key.
    pub role: String,
    /// The inviting user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inviter_id: Option<String>,
    /// `pending` (default), `accepted`, `revoked` or `expired`.
    #[serde(default = "pending")]
    pub status: String,
    /// Public metadata.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub public_metadata: Map<String, Value>,
    /// Private metadata.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub private_metadata: Map<String, Value>,
    /// Unix ms; now when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Unix ms; when absent, 30 days after `created_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Unix ms; `created_at` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

fn pending() -> String {
    "pending".into()
}

const STATUSES: [&str; 4] = ["pending", "accepted", "revoked", "expired"];

impl Seed {
    /// Reads a seed document (YAML, or JSON).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) naming what is wrong: not
    /// YAML, an unknown field, a missing one, an unknown status.
    pub fn from_yaml(text: &str) -> Result<Seed> {
        super::seed_limits::check_text(text)?;
        let seed: Seed = serde_yaml::from_str(text)
            .map_err(|e| Error::invalid_input(format!("not a seed document: {e}")))?;
        super::seed_limits::check_items(&seed)?;
        seed.check()?;
        Ok(seed)
    }

    /// Reads a seed file (YAML, or JSON).
    ///
    /// # Errors
    /// A file that cannot be read ([`Configuration`](crate::ErrorKind::Configuration)), or see
    /// [`Seed::from_yaml`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Seed> {
        let path = path.as_ref();
        if let Ok(meta) = std::fs::metadata(path)
            && meta.len() > super::seed_limits::MAX_SEED_BYTES as u64
        {
            return Err(Error::invalid_input(format!(
                "seed file {} is {} bytes; a seed holds at most {}",
                path.display(),
                meta.len(),
                super::seed_limits::MAX_SEED_BYTES
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::configuration(format!("seed file {} cannot be read", path.display()))
                .with_source(e)
        })?;
        Self::from_yaml(&text)
            .map_err(|e| Error::invalid_input(format!("seed file {}: {e}", path.display())))
    }

    /// The document as YAML.
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(self).unwrap_or_default()
    }

    fn check(&self) -> Result<()> {
        let statuses = self
            .invitations
            .iter()
            .map(|i| (&i.status, &i.email_address))
            .chain(
                self.organization_invitations
                    .iter()
                    .map(|i| (&i.status, &i.email_address)),
            );
        for (status, email) in statuses {
            if !STATUSES.contains(&status.as_str()) {
                return Err(Error::invalid_input(format!(
                    "the invitation of {email} has status `{status}`; use one of {}",
                    STATUSES.join(", ")
                )));
            }
        }
        let times = self
            .invitations
            .iter()
            .map(|i| (&i.email_address, [i.created_at, i.updated_at, i.expires_at]))
            .chain(
                self.organization_invitations
                    .iter()
                    .map(|i| (&i.email_address, [i.created_at, i.updated_at, i.expires_at])),
            );
        let max = super::state::MAX_CLOCK_MS;
        for (email, stamps) in times {
            if let Some(t) = stamps
                .into_iter()
                .flatten()
                .find(|t| !(0..=max).contains(t))
            {
                return Err(Error::invalid_input(format!(
                    "the invitation of {email} has a timestamp of {t} ms, outside 0 ..= {max} (1970 to mid-9998)"
                )));
            }
        }
        for inv in &self.organization_invitations {
            if !self
                .organizations
                .iter()
                .any(|o| o.id == inv.organization_id)
            {
                return Err(Error::invalid_input(format!(
                    "the organization invitation of {} names organization {}, which the seed does not define",
                    inv.email_address, inv.organization_id
                )));
            }
        }
        Ok(())
    }
}

/// A stored status and expiry for a seeded one: `expired` is a pending invitation past its
/// expiry (one day ago when the seed gives none in the future).
fn stored_status(status: &str, expires_at: Option<i64>, now: i64) -> (String, Option<i64>) {
    match status {
        "expired" => (
            "pending".into(),
            Some(
                expires_at
                    .filter(|e| *e <= now)
                    .unwrap_or(now.saturating_sub(86_400_000)),
            ),
        ),
        other => (other.to_string(), expires_at),
    }
}

impl State {
    /// Adds what `seed` holds.
    pub(crate) fn apply_seed(&mut self, seed: &Seed) {
        self.organizations_enabled = seed.instance.organizations_enabled;
        self.clock_offset_ms = seed.instance.clock_offset_ms;
        for u in &seed.users {
            for e in &u.email_addresses {
                self.add_user(&u.id, e);
                if let Some(first) = &u.first_name
                    && let Some(last) = self.users.last_mut()
                {
                    last.first_name = Some(first.clone());
                }
            }
        }
        for o in &seed.organizations {
            self.add_organization(&o.id, &o.name, &o.slug, o.max_allowed_memberships);
            if let Some(org) = self.organizations.get_mut(&o.id) {
                org.seats = o.seats;
            }
            for r in &o.roles {
                self.add_role(&o.id, &r.key, r.can_manage_members);
            }
            for m in &o.members {
                self.add_membership(&o.id, &m.user_id, &m.role);
            }
        }
        let now = self.now_ms();
        for i in &seed.invitations {
            let created_at = i.created_at.unwrap_or(now);
            let (status, expires_at) = stored_status(&i.status, i.expires_at, now);
            let id = i.id.clone().unwrap_or_else(|| self.new_id("inv_"));
            self.push_invitation(StoredInvitation {
                id,
                email_address: crate::address::normalize(&i.email_address),
                public_metadata: i.public_metadata.clone(),
                status,
                expires_at: expires_at.unwrap_or(created_at.saturating_add(30 * 86_400_000)),
                created_at,
                updated_at: i.updated_at.unwrap_or(created_at),
                notify: false,
            });
        }
        for i in &seed.organization_invitations {
            let created_at = i.created_at.unwrap_or(now);
            let (status, expires_at) = stored_status(&i.status, i.expires_at, now);
            let id = i.id.clone().unwrap_or_else(|| self.new_id("orginv_"));
            self.push_org_invitation(StoredOrganizationInvitation {
                id,
                organization_id: i.organization_id.clone(),
                email_address: crate::address::normalize(&i.email_address),
                role: i.role.clone(),
                inviter_id: i.inviter_id.clone(),
                status,
                public_metadata: i.public_metadata.clone(),
                private_metadata: i.private_metadata.clone(),
                expires_at: expires_at.unwrap_or(created_at.saturating_add(30 * 86_400_000)),
                created_at,
                updated_at: i.updated_at.unwrap_or(created_at),
            });
        }
        self.reindex();
    }

    /// Everything the emulator holds, as a seed document (loading it into an empty emulator
    /// gives the same state).
    pub(crate) fn to_seed(&self) -> Seed {
        let mut users: Vec<User> = Vec::new();
        for u in &self.users {
            match users.iter_mut().find(|x| x.id == u.id) {
                Some(x) => x.email_addresses.push(u.email.clone()),
                None => users.push(User {
                    id: u.id.clone(),
                    email_addresses: vec![u.email.clone()],
                    first_name: u.first_name.clone(),
                }),
            }
        }
        let mut organizations: Vec<Organization> = self
            .organizations
            .values()
            .map(|o| Organization {
                id: o.id.clone(),
                name: o.name.clone(),
                slug: o.slug.clone(),
                max_allowed_memberships: o.max_memberships,
                seats: o.seats,
                roles: o
                    .roles
                    .iter()
                    .filter(|(k, _)| k.as_str() != "org:admin" && k.as_str() != "org:member")
                    .map(|(k, manage)| Role {
                        key: k.clone(),
                        can_manage_members: *manage,
                    })
                    .collect(),
                members: o
                    .members
                    .iter()
                    .map(|(user, role)| Member {
                        user_id: user.clone(),
                        role: role.clone(),
                    })
                    .collect(),
            })
            .collect();
        organizations.sort_by(|a, b| a.id.cmp(&b.id));
        Seed {
            webhooks: Vec::new(),
            instance: Instance {
                organizations_enabled: self.organizations_enabled,
                clock_offset_ms: self.clock_offset_ms,
            },
            users,
            organizations,
            invitations: self
                .invitations
                .iter()
                .map(|i| Invitation {
                    id: Some(i.id.clone()),
                    email_address: i.email_address.clone(),
                    status: i.status.clone(),
                    public_metadata: i.public_metadata.clone(),
                    created_at: Some(i.created_at),
                    expires_at: Some(i.expires_at),
                    updated_at: Some(i.updated_at),
                })
                .collect(),
            organization_invitations: self
                .org_invitations
                .iter()
                .map(|i| OrganizationInvitation {
                    id: Some(i.id.clone()),
                    organization_id: i.organization_id.clone(),
                    email_address: i.email_address.clone(),
                    role: i.role.clone(),
                    inviter_id: i.inviter_id.clone(),
                    status: i.status.clone(),
                    public_metadata: i.public_metadata.clone(),
                    private_metadata: i.private_metadata.clone(),
                    created_at: Some(i.created_at),
                    expires_at: Some(i.expires_at),
                    updated_at: Some(i.updated_at),
                })
                .collect(),
        }
    }
}
