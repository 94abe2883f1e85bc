//! Generates the typed webhook events (feature `webhooks`) from the vendored webhook spec.
//!
//! 1. Reads `openapi/clerk-webhooks-invitations.yaml` (extracted by `cargo xtask
//!    update-webhooks`, never edited by hand), applies `openapi/webhooks.overlay.yaml` and
//!    checks every `$ref`, as for the Backend API spec.
//! 2. Every event under `x-webhooks` becomes a component schema named after the event
//!    (`organizationInvitation.created` → `OrganizationInvitationCreated`), with its `allOf`
//!    parts merged into one object, and a stand-in operation answering with it, so that the
//!    tolerance pass and progenitor treat the events as they treat responses: unknown fields
//!    ignored, required-but-nullable fields optional, string enums open.
//! 3. Only progenitor's `types` module is kept, plus `InvitationEvent`: one variant per event
//!    and `Other` for every other Clerk event.

use super::enums::{OpenEnum, pascal};
use super::{overlay, refs, tolerance};
use serde_json::{Map, Value, json};
use std::fmt::Write as _;

pub const SPEC: &str = "openapi/clerk-webhooks-invitations.yaml";
pub const OVERLAY: &str = "openapi/webhooks.overlay.yaml";

/// One event of the spec.
struct Event {
    /// Its `type`, e.g. `organizationInvitation.created`.
    name: String,
    /// The Rust name of its variant and payload type.
    rust: String,
    description: String,
}

/// The generated code (`webhooks.rs`) and the corrected spec as JSON (for the tests).
pub fn generate(
    read_yaml: impl Fn(&str) -> Result<Value, String>,
    enums: &mut Vec<OpenEnum>,
    enums_module: &str,
) -> Result<(String, String), String> {
    let mut doc = read_yaml(SPEC)?;
    let overlay_doc = read_yaml(OVERLAY)?;
    let report = overlay::apply(&mut doc, &overlay_doc, OVERLAY, SPEC)?;
    for line in &report.unnecessary {
        println!("cargo:warning={line}");
    }
    refs::check(&doc, &format!("{SPEC} with {OVERLAY} applied"))?;
    let corrected = serde_json::to_string(&doc).map_err(|e| e.to_string())?;

    let hooks = doc
        .get("x-webhooks")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| format!("{SPEC}: no `x-webhooks`; run `cargo xtask update-webhooks`"))?;
    let mut schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Inline objects become components first, so that what the events share (the envelope's
    // `event_attributes`, say) stays one type once the compositions are merged.
    hoist(&mut schemas);
    let originals = schemas.clone();
    let mut events = Vec::new();
    let mut paths = Map::new();
    for (name, item) in &hooks {
        let rust = pascal(name);
        let schema = item
            .pointer("/post/requestBody/content/application~1json/schema")
            .ok_or_else(|| {
                format!("{SPEC}: event {name} has no request body schema; correct it in {OVERLAY}")
            })?;
        if schemas.contains_key(&rust) {
            return Err(format!(
                "{SPEC}: event {name} would be named {rust}, which a component already is; \
                 rename the component in {OVERLAY}"
            ));
        }
        let mut merged = flatten(schema, &originals, name)?;
        if let Some(d) = item.pointer("/post/description").and_then(Value::as_str)
            && merged.get("description").is_none()
        {
            merged["description"] = json!(format!("{d} (`{name}`)."));
        }
        let description = merged["description"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        schemas.insert(rust.clone(), merged);
        paths.insert(
            format!("/{name}"),
            json!({"post": {
                "operationId": format!("receive_{}", name.replace('.', "_")),
                "responses": {"200": {
                    "description": name,
                    "content": {"application/json": {
                        "schema": {"$ref": format!("#/components/schemas/{rust}")}
                    }}
                }}
            }}),
        );
        events.push(Event {
            name: name.clone(),
            rust,
            description,
        });
    }
    // Components that are themselves compositions are merged too.
    for (name, schema) in &originals {
        if schema.get("allOf").is_some() {
            schemas.insert(name.clone(), flatten(schema, &originals, name)?);
        }
    }
    hoist(&mut schemas);
    // Only what the events reach: the parts merged into them are not types of their own.
    let reachable = reachable_from(&schemas, events.iter().map(|e| e.rust.clone()).collect());
    schemas.retain(|name, _| reachable.contains(name));
    let mut synthetic = json!({
        "openapi": "3.0.3",
        "info": {"title": "webhooks", "version": "v1"},
        "paths": paths,
        "components": {"schemas": schemas},
    });
    tolerance::make_responses_tolerant(&mut synthetic, enums)?;

    let spec: openapiv3::OpenAPI = serde_json::from_value(synthetic)
        .map_err(|e| format!("{SPEC}: the events do not make a valid schema set: {e}"))?;
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_derive("PartialEq");
    for e in enums.iter() {
        settings.with_replacement(
            &e.name,
            format!("{enums_module}::{}", e.name),
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
    }
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .map_err(|e| format!("{SPEC}: progenitor could not generate the events: {e}"))?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated events do not parse: {e}"))?;
    let types: Vec<syn::Item> = file
        .items
        .into_iter()
        .filter(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"))
        .collect();
    let mut out = prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: types,
    });
    out.push_str(&event_enum(&events));
    Ok((out, corrected))
}

/// Every inline object a component's property holds becomes a component of its own, named
/// after the component and the property, or the existing component with the same schema.
fn hoist(schemas: &mut Map<String, Value>) {
    let mut queue: Vec<String> = schemas.keys().rev().cloned().collect();
    while let Some(name) = queue.pop() {
        let Some(mut schema) = schemas.get(&name).cloned() else {
            continue;
        };
        let mut changed = false;
        let mut optional = Vec::new();
        if let Some(Value::Object(props)) = schema.get_mut("properties") {
            for (prop, p) in props.iter_mut() {
                let inline = p
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|m| !m.is_empty());
                if !inline {
                    continue;
                }
                let mut inner = p.take();
                let nullable = inner.as_object_mut().and_then(|o| o.remove("nullable"));
                let existing = schemas
                    .iter()
                    .find(|(_, v)| **v == inner)
                    .map(|(k, _)| k.clone());
                let target = existing.unwrap_or_else(|| {
                    let n = format!("{name}{}", pascal(prop));
                    schemas.insert(n.clone(), inner);
                    queue.push(n.clone());
                    n
                });
                // Nullable: the property may be absent or null (a `$ref` takes no siblings).
                if nullable == Some(Value::Bool(true)) {
                    optional.push(prop.clone());
                }
                *p = json!({"$ref": format!("#/components/schemas/{target}")});
                changed = true;
            }
        }
        if let Some(Value::Array(required)) = schema.get_mut("required") {
            required.retain(|r| r.as_str().is_none_or(|r| !optional.iter().any(|o| o == r)));
        }
        if changed {
            schemas.insert(name, schema);
        }
    }
}

/// The components `roots` reach through references, themselves included.
fn reachable_from(schemas: &Map<String, Value>, mut queue: Vec<String>) -> Vec<String> {
    let mut seen = Vec::new();
    while let Some(name) = queue.pop() {
        if seen.contains(&name) {
            continue;
        }
        if let Some(s) = schemas.get(&name) {
            tolerance::collect_schema_refs(s, &mut queue);
        }
        seen.push(name);
    }
    seen
}

/// One object schema for an `allOf` composition: the parts' properties (a property two parts
/// both describe is merged the same way) and their `required` lists, references resolved.
fn flatten(schema: &Value, components: &Map<String, Value>, at: &str) -> Result<Value, String> {
    let resolved = match tolerance::ref_name(schema, "schemas") {
        Some(name) => components
            .get(name)
            .ok_or_else(|| format!("{SPEC}: {at} refers to {name}, which does not exist"))?,
        None => schema,
    };
    let Some(parts) = resolved.get("allOf").and_then(Value::as_array) else {
        // A plain schema: its properties may still hold compositions.
        let mut out = resolved.clone();
        if let Some(Value::Object(props)) = out.get_mut("properties") {
            for (k, p) in props.iter_mut() {
                if p.get("allOf").is_some() {
                    *p = flatten(p, components, &format!("{at}.{k}"))?;
                }
            }
        }
        return Ok(out);
    };
    let mut out = json!({"type": "object", "properties": {}, "required": []});
    for key in ["description", "nullable"] {
        if let Some(v) = resolved.get(key) {
            out[key] = v.clone();
        }
    }
    // What stands beside `allOf` (a `required` list, say) is one more part.
    let mut beside = resolved.clone();
    if let Some(b) = beside.as_object_mut() {
        b.remove("allOf");
    }
    for (i, part) in parts.iter().chain(std::iter::once(&beside)).enumerate() {
        let part = flatten(part, components, &format!("{at}.allOf[{i}]"))?;
        if let Some(props) = part.get("properties").and_then(Value::as_object) {
            for (k, p) in props {
                let slot = &mut out["properties"][k];
                if slot.is_null() {
                    *slot = p.clone();
                } else {
                    // Two parts describe the property: both hold, so their schemas merge,
                    // references resolved (the result is found again by `hoist`).
                    let resolve = |v: &Value| {
                        tolerance::ref_name(v, "schemas")
                            .and_then(|n| components.get(n))
                            .cloned()
                            .unwrap_or_else(|| v.clone())
                    };
                    *slot = resolve(slot);
                    overlay::merge(slot, &resolve(p));
                }
            }
        }
        for r in part
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(list) = out["required"].as_array_mut()
                && !list.contains(r)
            {
                list.push(r.clone());
            }
        }
        if out.get("description").is_none()
            && let Some(d) = part.get("description")
        {
            out["description"] = d.clone();
        }
    }
    Ok(out)
}

/// `InvitationEvent`: a variant per event of the spec, `Other` for the rest.
fn event_enum(events: &[Event]) -> String {
    let mut variants = String::new();
    let mut decode = String::new();
    let mut type_arms = String::new();
    let mut names = String::new();
    for e in events {
        let doc = e.description.replace('\n', "\n    /// ");
        writeln!(
            variants,
            "    /// {doc}\n    ///\n    /// Sent as `{}`.\n    {}(Box<types::{}>),",
            e.name, e.rust, e.rust
        )
        .ok();
        writeln!(
            decode,
            "            {:?} => serde_json::from_slice(body).map(|e| InvitationEvent::{}(Box::new(e))),",
            e.name, e.rust
        )
        .ok();
        writeln!(
            type_arms,
            "            InvitationEvent::{}(_) => {:?},",
            e.rust, e.name
        )
        .ok();
        write!(names, "{:?}, ", e.name).ok();
    }
    format!(
        r#"
/// A verified webhook event: one of the invitation events, typed, or any other Clerk event as
/// JSON, so that one endpoint can receive every event.
///
/// ```
/// use clerk_invitations::webhooks::InvitationEvent;
/// fn handle(event: InvitationEvent) {{
///     match event {{
///         InvitationEvent::OrganizationInvitationAccepted(e) => {{
///             println!("{{}} joined {{}}", e.data.email_address, e.data.organization_id)
///         }}
///         InvitationEvent::Other {{ r#type, .. }} => println!("not for us: {{type}}"),
///         other => println!("{{}}", other.event_type()),
///     }}
/// }}
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum InvitationEvent {{
{variants}    /// Any other event (`user.created`, ...), undecoded.
    Other {{
        /// The event's `type`.
        r#type: String,
        /// The whole payload.
        raw: serde_json::Value,
    }},
}}

impl InvitationEvent {{
    /// The `type` of every event this enum has a variant for.
    pub const TYPED: &'static [&'static str] = &[{names}];

    /// The event's `type`, e.g. `organizationInvitation.accepted`.
    pub fn event_type(&self) -> &str {{
        match self {{
{type_arms}            InvitationEvent::Other {{ r#type, .. }} => r#type,
        }}
    }}

    /// Decodes a payload by its `type`.
    pub(crate) fn decode(body: &[u8]) -> Result<Self, (Option<String>, serde_json::Error)> {{
        #[derive(serde::Deserialize)]
        struct Head {{
            r#type: String,
        }}
        let head: Head = serde_json::from_slice(body).map_err(|e| (None, e))?;
        let typed = match head.r#type.as_str() {{
{decode}            _ => {{
                return serde_json::from_slice(body)
                    .map(|raw| InvitationEvent::Other {{ r#type: head.r#type.clone(), raw }})
                    .map_err(|e| (Some(head.r#type), e));
            }}
        }};
        typed.map_err(|e| (Some(head.r#type), e))
    }}
}}
"#
    )
}
