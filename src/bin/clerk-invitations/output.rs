//! Printing results as text or JSON lines.

use super::*;

/// A field of a text line, made safe for a terminal and for tab-separated reading: control
/// characters (tab, newline, escape, ...), invisible direction marks and backslashes are
/// written as escapes, so a value from a CSV cell or an error body can neither end a field or
/// a line nor drive the terminal.
pub(crate) fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || c == '\\'
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// An outcome's detail for a text line: the id, the reason or the error.
pub(crate) fn outcome_detail(kind: &OutcomeKind) -> String {
    match kind {
        OutcomeKind::Invited { id } => id.clone(),
        OutcomeKind::AlreadyInvited { id } => id.clone().unwrap_or_default(),
        OutcomeKind::Invalid { reason } => reason.clone(),
        OutcomeKind::Failed { error } => error.clone(),
        _ => String::new(),
    }
}

/// Fields joined by tabs, each escaped.
pub(crate) fn tsv(fields: &[&str]) -> String {
    fields.iter().map(|f| esc(f)).collect::<Vec<_>>().join("\t")
}

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
            let status = i.status.to_string();
            let mut fields = vec![i.id.as_str(), i.email_address.as_str(), status.as_str()];
            if let Some(url) = &i.url {
                fields.push(url);
            }
            tsv(&fields)
        });
    }

    pub(crate) fn org_invitation_with_org(
        &self,
        i: &OrganizationInvitationWithPublicOrganizationData,
    ) {
        self.json_or(i, || {
            tsv(&[
                &i.id,
                &i.email_address,
                &i.organization_id,
                &i.status.to_string(),
            ])
        });
    }

    /// An organization create's invitation, with whether it existed and carries what was
    /// asked (in JSON, `existed`, `role_applied` and `metadata_applied` beside its fields; in
    /// text, a note on standard error). Exit code 1 when the service kept an invitation with
    /// another role or other metadata.
    pub(crate) fn org_created(&self, c: &Created<OrganizationInvitation>) -> u8 {
        if self.json {
            let mut v = serde_json::to_value(&c.invitation).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("existed".into(), c.existed.into());
                o.insert("role_applied".into(), c.role_applied.into());
                o.insert("metadata_applied".into(), c.metadata_applied.into());
            }
            let _ = writeln!(std::io::stdout().lock(), "{v}");
        } else {
            self.org_invitation(c);
        }
        let mut unapplied = Vec::new();
        if !c.role_applied {
            unapplied.push(format!("its role stays {}", c.role));
        }
        if !c.metadata_applied {
            unapplied.push("its metadata stays as it was".to_string());
        }
        if unapplied.is_empty() {
            return 0;
        }
        eprintln!(
            "{} already has a pending invitation ({}) and the service answered with it unchanged: {}; to change it, revoke it and invite again",
            esc(&c.email_address),
            esc(&c.id),
            esc(&unapplied.join(", "))
        );
        1
    }

    pub(crate) fn org_invitation(&self, i: &OrganizationInvitation) {
        self.json_or(i, || {
            tsv(&[
                &i.id,
                &i.email_address,
                &i.organization_id,
                &i.role,
                &i.status.to_string(),
            ])
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_cannot_forge_lines_or_drive_the_terminal() {
        let forged = "x\ninvited\tceo@corp.com\tinv_forged";
        let line = tsv(&["invalid", forged, "reason"]);
        assert_eq!(line.lines().count(), 1);
        assert_eq!(line.split('\t').count(), 3);
        assert!(line.contains("x\\ninvited\\tceo@corp.com"));
        assert_eq!(esc("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(esc("a\\b"), "a\\\\b", "backslashes stay unambiguous");
        assert_eq!(esc("plain@example.com"), "plain@example.com");
        assert!(!esc("\u{202e}moc.live").contains('\u{202e}'));
    }
}
