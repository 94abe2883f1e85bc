//! Every `$ref` of the corrected spec must point at something: checked before any generator
//! sees the document, so a dangling reference is one message naming it, not a panic.
//!
//! Shared by `build.rs` and the tests; depends on `serde_json` alone.

use serde_json::Value;

/// The first `$ref` that resolves to nothing, as an error naming it and where it stands.
pub fn check(doc: &Value, files: &str) -> Result<(), String> {
    let mut dangling = Vec::new();
    walk(doc, doc, &mut String::from("$"), &mut dangling);
    match dangling.first() {
        None => Ok(()),
        Some((at, reference)) => Err(format!(
            "`$ref: '{reference}'` at `{at}` points at nothing in the spec ({files}){}. Add the \
             component it names, or correct the reference, in the overlay.",
            if dangling.len() > 1 {
                format!(" ({} dangling references in all)", dangling.len())
            } else {
                String::new()
            }
        )),
    }
}

fn walk(root: &Value, v: &Value, at: &mut String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref")
                && resolve(root, r).is_none()
            {
                out.push((at.clone(), r.clone()));
            }
            for (k, child) in m {
                let len = at.len();
                if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    at.push('.');
                    at.push_str(k);
                } else {
                    at.push_str(&format!("['{k}']"));
                }
                walk(root, child, at, out);
                at.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                walk(root, child, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// The node a local reference (`#/a/b`) names. External references are not used by the spec,
/// so they count as dangling.
pub fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}
