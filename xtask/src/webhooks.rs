//! Extraction of the invitation events from Clerk's webhook spec (`x-webhooks`).
//!
//! Same rules as the Backend API extraction: deterministic, upstream order kept, every
//! referenced component carried along, and anything it cannot read refused with a reason.

use crate::extract::{Extracted, collect_refs, get, key, open, referenced_components, with_header};
use serde_yaml::{Mapping, Value};
use std::collections::BTreeSet;

const HEADER: &str = "\
# Clerk webhook events: the invitation events and the components they reference.
# Extracted from Clerk's published webhook spec (MIT licence, see openapi/LICENSE) by
# `cargo xtask update-webhooks`. Do not edit by hand: local corrections live in
# openapi/webhooks.overlay.yaml (see openapi/README.md).
";

/// Whether an event is an invitation event: its name's first part (`organizationInvitation`
/// in `organizationInvitation.accepted`) names invitations.
pub fn is_invitation_event(name: &str) -> bool {
    name.split('.')
        .next()
        .is_some_and(|scope| scope.to_ascii_lowercase().contains("invitation"))
}

/// Extract the invitation events from the text of Clerk's full webhook spec.
pub fn extract(text: &str) -> Result<Extracted, String> {
    let (root, version) = open(text)?;
    let root = &root;
    let hooks = get(root, "x-webhooks")
        .and_then(Value::as_mapping)
        .ok_or("the document has no `x-webhooks`: is it Clerk's webhook spec?")?;

    let mut kept = Mapping::new();
    let mut found = Vec::new();
    let mut refs = BTreeSet::new();
    for (name, item) in hooks {
        let Some(n) = name.as_str() else { continue };
        if !is_invitation_event(n) {
            continue;
        }
        let body = item
            .as_mapping()
            .and_then(|i| get(i, "post"))
            .and_then(Value::as_mapping)
            .and_then(|op| get(op, "requestBody"))
            .and_then(Value::as_mapping)
            .and_then(|b| get(b, "content"))
            .and_then(Value::as_mapping)
            .and_then(|c| get(c, "application/json"))
            .and_then(Value::as_mapping);
        if body.and_then(|b| get(b, "schema")).is_none() {
            return Err(format!(
                "event {n} has no `post.requestBody.content.application/json.schema`"
            ));
        }
        found.push(n.to_string());
        collect_refs(item, &mut refs);
        kept.insert(name.clone(), item.clone());
    }
    if found.is_empty() {
        return Err("the document has no invitation event under `x-webhooks`".into());
    }

    let (out_components, count) = referenced_components(root, refs, &BTreeSet::new())?;

    let mut out = Mapping::new();
    for (k, v) in root {
        match k.as_str() {
            Some("openapi" | "info") => {
                out.insert(k.clone(), v.clone());
            }
            Some("x-webhooks") => {
                out.insert(k.clone(), Value::Mapping(kept.clone()));
            }
            Some("components") => {
                out.insert(k.clone(), Value::Mapping(out_components.clone()));
            }
            _ => {}
        }
    }
    // The generator reads OpenAPI documents, which need `paths`; the events have none.
    out.insert(key("paths"), Value::Mapping(Mapping::new()));
    let body = serde_yaml::to_string(&Value::Mapping(out))
        .map_err(|e| format!("cannot write YAML: {e}"))?;
    Ok(Extracted {
        yaml: with_header(HEADER, &body),
        version,
        operation_ids: found,
        components: count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mini(events: &[&str]) -> String {
        let mut s = String::from("openapi: 3.0.3\ninfo:\n  title: t\n  version: v1\nx-webhooks:\n");
        for e in events {
            s.push_str(&format!(
                "  {e}:\n    post:\n      operationId: {e}\n      requestBody:\n        content:\n          application/json:\n            schema:\n              $ref: '#/components/schemas/P'\n"
            ));
        }
        s.push_str("components:\n  schemas:\n    Unused:\n      type: string\n    P:\n      type: object\n      properties:\n        data:\n          $ref: '#/components/schemas/D'\n    D:\n      type: object\n");
        s
    }

    #[test]
    fn keeps_the_invitation_events_and_what_they_reference() {
        let out = extract(&mini(&[
            "user.created",
            "organizationInvitation.created",
            "organizationInvitation.revoked",
        ]))
        .unwrap();
        assert_eq!(
            out.operation_ids,
            [
                "organizationInvitation.created",
                "organizationInvitation.revoked"
            ]
        );
        assert!(!out.yaml.contains("user.created"));
        assert!(!out.yaml.contains("Unused"));
        assert_eq!(out.components, 2);
        assert!(crate::extract::check_digest(&out.yaml).unwrap());
        let again = extract(&mini(&[
            "user.created",
            "organizationInvitation.created",
            "organizationInvitation.revoked",
        ]))
        .unwrap();
        assert_eq!(out.yaml, again.yaml, "deterministic");
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let err = extract(&mini(&["user.created"])).err().unwrap();
        assert!(err.contains("no invitation event"), "{err}");
        let err = extract("openapi: 3.0.3\ninfo: {version: v1}\npaths: {}\n")
            .err()
            .unwrap();
        assert!(err.contains("x-webhooks"), "{err}");
        let err = extract(&mini(&["organizationInvitation.created"]).replace("3.0.3", "3.1.0"))
            .err()
            .unwrap();
        assert!(err.contains("3.1.0"), "{err}");
        let dangling =
            mini(&["organizationInvitation.created"]).replace("schemas/D'", "schemas/X'");
        assert!(
            extract(&dangling)
                .err()
                .unwrap()
                .contains("#/components/schemas/X")
        );
    }
}
