//! Printing results as text or JSON lines.

use super::*;

pub(crate) struct Output {
    pub(crate) json: bool,
}

impl Output {
    pub(crate) fn json_or<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        let line = if self.json {
            serde_json::to_string(value).unwrap_or_default()
        } else {
            text()
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
    }

    pub(crate) fn invitation(&self, i: &Invitation) {
        self.json_or(i, || {
            let mut line = format!("{}\t{}\t{}", i.id, i.email_address, i.status);
            if let Some(url) = &i.url {
                line.push('\t');
                line.push_str(url);
            }
            line
        });
    }

    pub(crate) fn org_invitation_with_org(
        &self,
        i: &OrganizationInvitationWithPublicOrganizationData,
    ) {
        self.json_or(i, || {
            format!(
                "{}\t{}\t{}\t{}",
                i.id, i.email_address, i.organization_id, i.status
            )
        });
    }

    pub(crate) fn org_invitation(&self, i: &OrganizationInvitation) {
        self.json_or(i, || {
            format!(
                "{}\t{}\t{}\t{}\t{}",
                i.id, i.email_address, i.organization_id, i.role, i.status
            )
        });
    }
}
