//! The objects the service returns, and the enums requests use.
//!
//! The structs are generated from the vendored spec and made tolerant of the real service:
//! unknown fields are ignored, and server-controlled enums such as [`InvitationStatus`] are
//! open, with an `Unknown(String)` variant. Timestamps (`created_at`, `updated_at`,
//! `expires_at`) are Unix **milliseconds**.

pub use crate::generated::types::{
    Invitation, OrganizationInvitation, OrganizationInvitationPublicOrganizationData,
    OrganizationInvitationPublicUserData, OrganizationInvitationWithPublicOrganizationData,
};
pub use crate::generated::{InvitationObject, InvitationStatus, OrganizationInvitationObject};

use crate::generated::types as raw;

/// Which email template an application invitation uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TemplateSlug {
    /// The regular invitation email (`invitation`).
    #[default]
    Invitation,
    /// The waitlist invitation email (`waitlist_invitation`).
    WaitlistInvitation,
}

impl TemplateSlug {
    /// The value as the service spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateSlug::Invitation => "invitation",
            TemplateSlug::WaitlistInvitation => "waitlist_invitation",
        }
    }
}

impl From<TemplateSlug> for raw::CreateInvitationBodyTemplateSlug {
    fn from(t: TemplateSlug) -> Self {
        match t {
            TemplateSlug::Invitation => Self::Invitation,
            TemplateSlug::WaitlistInvitation => Self::WaitlistInvitation,
        }
    }
}

impl From<TemplateSlug> for raw::CreateBulkInvitationsBodyItemTemplateSlug {
    fn from(t: TemplateSlug) -> Self {
        match t {
            TemplateSlug::Invitation => Self::Invitation,
            TemplateSlug::WaitlistInvitation => Self::WaitlistInvitation,
        }
    }
}

/// Converts a facade status to one of the generated request-side status enums, which only
/// know the four documented values.
pub(crate) fn status_param<T: std::str::FromStr>(status: &InvitationStatus) -> crate::Result<T> {
    status.as_str().parse().map_err(|_| {
        crate::Error::invalid_input(format!(
            "status `{status}` cannot be used as a filter: it is not one of pending, accepted, revoked, expired"
        ))
    })
}

/// A millisecond Unix timestamp as a [`std::time::SystemTime`].
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = clerk_invitations::models::timestamp(1_789_746_268_539);
/// assert_eq!(t, UNIX_EPOCH + Duration::from_millis(1_789_746_268_539));
/// ```
pub fn timestamp(ms: i64) -> std::time::SystemTime {
    let magnitude = std::time::Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        std::time::UNIX_EPOCH + magnitude
    } else {
        std::time::UNIX_EPOCH - magnitude
    }
}
