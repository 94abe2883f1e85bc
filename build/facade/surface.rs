//! The public surface as a plain listing, one item a line: every operation with its builder,
//! every setter with its type, every model field with its type, every value of every open
//! enum. Committed as `openapi/public-api.txt` and compared with what the YAML generates, so
//! that a YAML edit shows its effect on users' code as a diff in the same change.

use super::super::enums::{OpenEnum, pascal};
use super::model::{Body, Op, Ty};
use super::parse::required_properties;
use serde_json::Value;

/// How a facade type reads in the listing.
fn ty(t: &Ty) -> String {
    match t {
        Ty::Str => "String".into(),
        Ty::Enum(name) => name.clone(),
        Ty::Int(name) => (*name).into(),
        Ty::Bool => "bool".into(),
        Ty::Object => "serde_json::Value".into(),
        Ty::Array(inner) => format!("Vec<{}>", ty(inner)),
    }
}

/// The lines of the operations: the call, its HTTP route and answer, and each setter.
pub fn operation_lines(ops: &[Op]) -> Vec<String> {
    let mut lines = Vec::new();
    for op in ops {
        let mut fields: Vec<&super::model::Field> = op.query.iter().collect();
        if let Body::Object(f) = &op.body {
            fields.extend(f.iter());
        }
        // Required fields are the call's arguments, after the path's.
        // A handle's own fields (`clerk.organization(id)`) are not the call's.
        let args: Vec<String> = op
            .path_args
            .iter()
            .filter(|f| !op.handle_fields.contains(&f.ident))
            .chain(fields.iter().copied().filter(|f| f.required))
            .map(|f| format!("{}: {}", f.ident, ty(&f.ty)))
            .collect();
        let deprecated = if op.deprecated.is_some() {
            " (deprecated)"
        } else {
            ""
        };
        lines.push(format!(
            "operation {}({}).{}({}) -> {}: {} {} -> {}{deprecated}",
            op.handle,
            op.handle_fields.join(", "),
            op.fn_name,
            args.join(", "),
            op.builder,
            op.method.to_uppercase(),
            op.path,
            short(&op.response)
        ));
        for field in fields.iter().filter(|f| !f.required) {
            lines.push(format!(
                "setter {}.{}: {}",
                op.builder,
                field.ident,
                ty(&field.ty)
            ));
        }
        if let Body::Array { item, fields, .. } = &op.body {
            for field in fields {
                let role = if field.required {
                    " (argument of new)"
                } else {
                    ""
                };
                lines.push(format!(
                    "setter {item}.{}: {}{role}",
                    field.ident,
                    ty(&field.ty)
                ));
            }
        }
    }
    lines
}

/// The lines of the open enums: one per value.
pub fn enum_lines(enums: &[OpenEnum]) -> Vec<String> {
    enums
        .iter()
        .flat_map(|e| {
            e.values
                .iter()
                .map(move |v| format!("enum {}::{v}", e.name))
        })
        .collect()
}

/// The lines of the models: one per field of each object schema, with its type as the YAML
/// gives it (`Option<...>` when not required or nullable).
pub fn model_lines(doc: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for (name, schema) in schemas.into_iter().flatten() {
        let required = required_properties(schema);
        let props = schema.get("properties").and_then(Value::as_object);
        for (prop, s) in props.into_iter().flatten() {
            let t = schema_ty(s);
            let optional = !required.contains(&prop.as_str())
                || s.get("nullable").and_then(Value::as_bool) == Some(true);
            let t = if optional { format!("Option<{t}>") } else { t };
            lines.push(format!("model {}.{prop}: {t}", pascal(name)));
        }
    }
    lines
}

fn schema_ty(s: &Value) -> String {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return pascal(r.rsplit('/').next().unwrap_or(r));
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array)
        && all.len() == 1
    {
        return schema_ty(&all[0]);
    }
    match s.get("type").and_then(Value::as_str) {
        Some("string") => "String".into(),
        Some("integer") => "i64".into(),
        Some("number") => "f64".into(),
        Some("boolean") => "bool".into(),
        Some("array") => format!("Vec<{}>", s.get("items").map_or("?".into(), schema_ty)),
        Some("object") => "object".into(),
        _ => "value".into(),
    }
}

/// A Rust path's last segment (`crate::generated::types::Invitation` reads `Invitation`).
fn short(path: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    for c in path.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            out.push_str(word.rsplit("::").next().unwrap_or(&word));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(word.rsplit("::").next().unwrap_or(&word));
    out
}

/// The whole listing: sorted, one item a line, with a header saying how to refresh it.
pub fn listing(mut lines: Vec<String>) -> String {
    lines.sort();
    lines.dedup();
    let mut out = String::from(
        "# The public surface the YAML in openapi/ generates, one item a line (sorted).\n\
         # Refresh: UPDATE_PUBLIC_API=1 cargo test --lib public_api\n\
         # A removed or changed line breaks users' code; an added one does not.\n",
    );
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out
}
