//! One person of a bulk run: an address, and what their invitation carries beyond the run's
//! own options (a roster row).

use serde_json::{Map, Value};

/// One person to invite in a bulk run ([`BulkInvite::run_invitees`](super::BulkInvite::run_invitees)):
/// the address, and what this person's invitation carries beyond the run's options. A value set
/// here wins over the run's; metadata is merged key by key over the run's, this person's keys
/// winning.
///
/// ```
/// use clerk_invitations::bulk::Invitee;
/// use serde_json::json;
/// let ada = Invitee::new("ada@example.com")
///     .public_metadata(json!({"team": "compilers"}).as_object().unwrap().clone())
///     .role("org:admin");
/// assert_eq!(ada.email, "ada@example.com");
/// let plain: Invitee = "grace@example.com".into();
/// assert_eq!(plain.role, None);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Invitee {
    /// The address (compared trimmed and case-folded, as every address of the crate).
    pub email: String,
    /// Public metadata of this person's invitation.
    pub public_metadata: Map<String, Value>,
    /// Private metadata (organization invitations only: an application invitation carries
    /// none, and a run refuses it).
    pub private_metadata: Map<String, Value>,
    /// The role in the organization (organization runs only), instead of the run's.
    pub role: Option<String>,
    /// Where the invitation's link leads, instead of the run's.
    pub redirect_url: Option<String>,
    /// Days until the invitation expires, instead of the run's.
    pub expires_in_days: Option<u32>,
    /// The email template (application invitations only; an organization run refuses it).
    pub template_slug: Option<crate::TemplateSlug>,
}

impl Invitee {
    /// A person with just an address.
    pub fn new(email: impl Into<String>) -> Self {
        Invitee {
            email: email.into(),
            ..Invitee::default()
        }
    }

    /// Public metadata of this person's invitation.
    #[must_use]
    pub fn public_metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.public_metadata = metadata;
        self
    }

    /// Private metadata (organization invitations only).
    #[must_use]
    pub fn private_metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.private_metadata = metadata;
        self
    }

    /// The role in the organization, instead of the run's.
    #[must_use]
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Where the invitation's link leads, instead of the run's.
    #[must_use]
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }

    /// Days until the invitation expires, instead of the run's.
    #[must_use]
    pub fn expires_in_days(mut self, days: u32) -> Self {
        self.expires_in_days = Some(days);
        self
    }

    /// The email template (application invitations only).
    #[must_use]
    pub fn template_slug(mut self, slug: impl Into<crate::TemplateSlug>) -> Self {
        self.template_slug = Some(slug.into());
        self
    }

    /// Whether this person carries anything beyond the address.
    pub(super) fn is_plain(&self) -> bool {
        self.public_metadata.is_empty()
            && self.private_metadata.is_empty()
            && self.role.is_none()
            && self.redirect_url.is_none()
            && self.expires_in_days.is_none()
            && self.template_slug.is_none()
    }
}

impl From<&str> for Invitee {
    fn from(email: &str) -> Self {
        Invitee::new(email)
    }
}

impl From<String> for Invitee {
    fn from(email: String) -> Self {
        Invitee::new(email)
    }
}

impl From<&String> for Invitee {
    fn from(email: &String) -> Self {
        Invitee::new(email.clone())
    }
}

/// `over`'s keys laid over `base`'s.
pub(super) fn merged(base: &Map<String, Value>, over: &Map<String, Value>) -> Map<String, Value> {
    let mut out = base.clone();
    for (k, v) in over {
        out.insert(k.clone(), v.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_persons_metadata_is_laid_over_the_runs_key_by_key() {
        let run = json!({"plan": "team", "team": "all"});
        let person = json!({"team": "blue"});
        let m = merged(run.as_object().unwrap(), person.as_object().unwrap());
        assert_eq!(Value::Object(m), json!({"plan": "team", "team": "blue"}));
    }

    #[test]
    fn only_an_address_is_plain() {
        assert!(Invitee::new("a@x.test").is_plain());
        assert!(!Invitee::new("a@x.test").role("org:admin").is_plain());
        assert!(!Invitee::new("a@x.test").expires_in_days(3).is_plain());
    }
}
