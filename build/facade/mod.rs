//! Generates the facade's per-operation request builders from the corrected spec.
//!
//! Every operation carries an `x-facade` mapping (set in the overlay) that says what the spec
//! cannot: the handle and method it hangs from, its retry class, and how its answer becomes a
//! [`Page`]. Everything else comes from the spec: one setter per query parameter and body
//! property, named after it and documented with its description; required path parameters and
//! body properties as the method's arguments; checks made before sending from the schema's
//! constraints; string enums as open enums.

mod emit;
mod fields;
mod model;
mod parse;
pub mod surface;

use super::enums::OpenEnum;
use super::tolerance::METHODS;
use serde_json::Value;

pub const OVERLAY: &str = "openapi/corrections.overlay.yaml";

/// The hand-written handles (`src/handles.rs`) operations hang from, with the path parameters
/// each one holds and how a `clerk` reaches it (the path parameters taken by name).
pub const HANDLES: &[(&str, &[&str], &str)] = &[
    ("Invitations", &[], "clerk.invitations()"),
    (
        "OrganizationInvitations",
        &["organization_id"],
        "clerk.organization(organization_id).invitations()",
    ),
    (
        "InstanceOrganizationInvitations",
        &[],
        "clerk.organization_invitations()",
    ),
    (
        "UserOrganizationInvitations",
        &["user_id"],
        "clerk.user(user_id).organization_invitations()",
    ),
];

/// The retry classes (`src/settle.rs`), with what each one needs.
pub const RETRY_CLASSES: &[&str] = &[
    "idempotent",
    "organization-create",
    "create-settled-by-lookup",
    "revoke-invitation",
    "revoke-organization-invitation",
    "delete",
];

/// The facade's generated code: builders, the handles' methods, and the by-name setter the
/// spec-driven tests use.
pub fn generate(
    doc: &Value,
    enums: &mut Vec<OpenEnum>,
    replaced: &[(&str, &str)],
) -> Result<(String, Vec<String>), String> {
    let mut ops = Vec::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            if METHODS.contains(&method.as_str()) {
                ops.push(parse::parse_op(
                    doc, path, method, item, op, enums, replaced,
                )?);
            }
        }
    }
    let mut seen: Vec<(String, String)> = Vec::new();
    for op in &ops {
        let key = (op.handle.clone(), op.fn_name.clone());
        if seen.contains(&key) {
            return Err(format!(
                "two operations map to {}::{} in {OVERLAY}: give one another `x-facade.method`",
                op.handle, op.fn_name
            ));
        }
        seen.push(key);
    }
    let mut out = String::new();
    for op in &ops {
        emit::emit(op, &mut out)?;
    }
    emit::emit_spec_setters(&ops, &mut out);
    Ok((out, surface::operation_lines(&ops)))
}
