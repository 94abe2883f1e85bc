//! Generates the low-level client from the vendored OpenAPI spec.
//!
//! 1. Reads `openapi/clerk-bapi-invitations.yaml` (extracted from Clerk's spec, never edited by
//!    hand) and applies the actions of `openapi/corrections.overlay.yaml`. An action whose target
//!    matches nothing fails the build, naming the action.
//! 2. A tolerance pre-pass over the schemas of success responses: unknown fields are ignored,
//!    required-but-nullable fields may be absent, and every string enum becomes an open enum with
//!    an `Unknown(String)` variant. Error responses are removed from the operations: the facade
//!    decodes every non-2xx response itself, uniformly, whatever the spec declares.
//! 3. Runs progenitor (builder interface) and writes `$OUT_DIR/clerk_api.rs`. The corrected
//!    spec of step 1 (before the pre-pass) goes to `$OUT_DIR/corrected-spec.json`, for the tests
//!    that check the emulator against it.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

const SPEC: &str = "openapi/clerk-bapi-invitations.yaml";
const OVERLAY: &str = "openapi/corrections.overlay.yaml";
/// Where lib.rs includes the generated file; replaced types are named through it.
const GENERATED_MODULE: &str = "crate::generated";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed={OVERLAY}");
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut doc = read_yaml(SPEC)?;
    let overlay = read_yaml(OVERLAY)?;
    apply_overlay(&mut doc, &overlay)?;
    // The corrected spec, as the service is documented to behave: the crate's tests validate
    // the emulator's answers against it.
    let out_dir = std::env::var("OUT_DIR").map_err(|e| e.to_string())?;
    let corrected = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    std::fs::write(Path::new(&out_dir).join("corrected-spec.json"), corrected)
        .map_err(|e| format!("cannot write the corrected spec: {e}"))?;

    strip_error_responses(&mut doc);
    let enums = make_responses_tolerant(&mut doc)?;

    let version = doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .ok_or("the spec has no info.version")?
        .to_string();
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc)
        .map_err(|e| format!("{SPEC}: not a valid OpenAPI 3.0 document: {e}"))?;

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_inner_type(
            "crate::transport::HookContext"
                .parse()
                .map_err(|e| format!("{e}"))?,
        )
        .with_derive("PartialEq");
    for e in &enums {
        settings.with_replacement(
            &e.name,
            format!("{GENERATED_MODULE}::{}", e.name),
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
    }
    // Either shape of GET /invitations, decoded by a hand-written type that streams instead
    // of buffering the body as an untagged enum would.
    settings.with_replacement(
        "InvitationList",
        "crate::models::InvitationList",
        std::iter::empty(),
    );
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor could not generate the client: {e}"))?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;

    let mut out = String::new();
    out.push_str(&prettyplease::unparse(&file));
    writeln!(
        out,
        "\n/// The API version of the vendored spec, sent as `Clerk-API-Version`.\npub const SPEC_VERSION: &str = {version:?};"
    )
    .ok();
    for e in &enums {
        out.push_str(&open_enum_code(e));
    }
    let dest = Path::new(&out_dir).join("clerk_api.rs");
    std::fs::write(&dest, out).map_err(|e| format!("cannot write {}: {e}", dest.display()))
}

fn read_yaml(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    serde_yaml::from_str(&text).map_err(|e| format!("{path}: not valid YAML: {e}"))
}

// ---------------------------------------------------------------------------------------------
// OpenAPI Overlay 1.0 (the subset the corrections use)
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
enum Segment {
    Key(String),
    /// `[?@.field == 'value']`: the elements of an array whose `field` equals `value`.
    Filter(String, String),
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn parse_path(target: &str) -> Result<Vec<Segment>, String> {
    let mut rest = target
        .strip_prefix('$')
        .ok_or_else(|| format!("target `{target}` does not start with `$`"))?;
    let mut segments = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return Err(format!("target `{target}` has an empty name"));
            }
            segments.push(Segment::Key(r[..end].to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix("[?") {
            let end = r
                .find(']')
                .ok_or_else(|| format!("target `{target}`: unclosed filter"))?;
            let expr = r[..end]
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')');
            let (lhs, rhs) = expr
                .split_once("==")
                .ok_or_else(|| format!("target `{target}`: only `==` filters are supported"))?;
            let field = lhs
                .trim()
                .strip_prefix("@.")
                .ok_or_else(|| format!("target `{target}`: a filter must test `@.field`"))?;
            let value = rhs.trim().trim_matches(['\'', '"']);
            segments.push(Segment::Filter(field.to_string(), value.to_string()));
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let quote = r
                .chars()
                .next()
                .filter(|c| *c == '\'' || *c == '"')
                .ok_or_else(|| format!("target `{target}`: expected a quoted name after `[`"))?;
            let close = format!("{quote}]");
            let end = r[1..]
                .find(&close)
                .ok_or_else(|| format!("target `{target}`: unclosed `[`"))?;
            segments.push(Segment::Key(r[1..1 + end].to_string()));
            rest = &r[1 + end + 2..];
        } else {
            return Err(format!("target `{target}`: cannot parse `{rest}`"));
        }
    }
    Ok(segments)
}

fn lookup<'a>(doc: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    steps.iter().try_fold(doc, |v, s| match s {
        Step::Key(k) => v.get(k),
        Step::Index(i) => v.get(i),
    })
}

fn lookup_mut<'a>(doc: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    steps.iter().try_fold(doc, |v, s| match s {
        Step::Key(k) => v.get_mut(k),
        Step::Index(i) => v.get_mut(i),
    })
}

fn select(doc: &Value, segments: &[Segment]) -> Vec<Vec<Step>> {
    let mut found = vec![Vec::new()];
    for seg in segments {
        let mut next = Vec::new();
        for steps in found {
            let Some(node) = lookup(doc, &steps) else {
                continue;
            };
            match seg {
                Segment::Key(k) => {
                    if node.get(k).is_some() {
                        let mut s = steps.clone();
                        s.push(Step::Key(k.clone()));
                        next.push(s);
                    }
                }
                Segment::Filter(field, value) => {
                    for (i, item) in node.as_array().into_iter().flatten().enumerate() {
                        if item.get(field).and_then(Value::as_str) == Some(value) {
                            let mut s = steps.clone();
                            s.push(Step::Index(i));
                            next.push(s);
                        }
                    }
                }
            }
        }
        found = next;
    }
    found
}

/// Overlay merge: objects merge recursively, arrays append, anything else is replaced.
fn merge(target: &mut Value, update: &Value) {
    match (target, update) {
        (Value::Object(t), Value::Object(u)) => {
            for (k, v) in u {
                match t.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(u)) => t.extend(u.iter().cloned()),
        (t, u) => *t = u.clone(),
    }
}

fn apply_overlay(doc: &mut Value, overlay: &Value) -> Result<(), String> {
    let actions = overlay
        .get("actions")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{OVERLAY}: no `actions` list"))?;
    for (n, action) in actions.iter().enumerate() {
        let target = action
            .get("target")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{OVERLAY}: action {} has no target", n + 1))?;
        let matches = select(doc, &parse_path(target)?);
        if matches.is_empty() {
            return Err(format!(
                "{OVERLAY}: action {} targets `{target}`, which matches nothing in {SPEC}. \
                 The upstream spec changed under this correction: check whether it is still \
                 needed and update the overlay (see openapi/README.md).",
                n + 1
            ));
        }
        let remove = action.get("remove").and_then(Value::as_bool) == Some(true);
        // Remove from the last match backwards so array indices stay valid.
        for steps in matches.iter().rev() {
            if remove {
                let (last, parent) = steps.split_last().ok_or("cannot remove the root")?;
                match (lookup_mut(doc, parent), last) {
                    (Some(Value::Object(m)), Step::Key(k)) => {
                        m.remove(k);
                    }
                    (Some(Value::Array(a)), Step::Index(i)) => {
                        a.remove(*i);
                    }
                    _ => return Err(format!("{OVERLAY}: cannot remove `{target}`")),
                }
            } else if let Some(update) = action.get("update") {
                let node = lookup_mut(doc, steps).ok_or("overlay target vanished")?;
                merge(node, update);
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Tolerance pre-pass
// ---------------------------------------------------------------------------------------------

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn operations_mut(doc: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    doc.get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| {
            item.iter_mut()
                .filter(|(m, _)| METHODS.contains(&m.as_str()))
                .filter_map(|(_, op)| op.as_object_mut())
        })
}

fn strip_error_responses(doc: &mut Value) {
    for op in operations_mut(doc) {
        if let Some(Value::Object(responses)) = op.get_mut("responses") {
            responses.retain(|status, _| status.starts_with('2'));
        }
    }
}

struct OpenEnum {
    name: String,
    values: Vec<String>,
    description: String,
}

fn ref_name<'a>(v: &'a Value, section: &str) -> Option<&'a str> {
    v.get("$ref")?
        .as_str()?
        .strip_prefix("#/components/")?
        .strip_prefix(section)?
        .strip_prefix('/')
}

fn pascal(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Applies the tolerance rules to every schema a success response can contain, and returns the
/// open enums to generate.
fn make_responses_tolerant(doc: &mut Value) -> Result<Vec<OpenEnum>, String> {
    // Component schemas reachable from success responses, in a stable order.
    let mut roots: Vec<Value> = Vec::new();
    let responses_section = doc
        .pointer("/components/responses")
        .cloned()
        .unwrap_or(json!({}));
    for op in operations_mut(doc) {
        for resp in op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|r| r.values())
        {
            let resp = match ref_name(resp, "responses") {
                Some(name) => responses_section.get(name).cloned().unwrap_or(Value::Null),
                None => resp.clone(),
            };
            for media in resp
                .get("content")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|c| c.values())
            {
                if let Some(s) = media.get("schema") {
                    roots.push(s.clone());
                }
            }
        }
    }
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut reachable: Vec<String> = Vec::new();
    let mut queue = roots;
    while let Some(v) = queue.pop() {
        let mut refs = Vec::new();
        collect_schema_refs(&v, &mut refs);
        for r in refs {
            if !reachable.contains(&r) {
                if let Some(s) = schemas.get(&r) {
                    queue.push(s.clone());
                }
                reachable.push(r);
            }
        }
    }
    reachable.sort_by_key(|name| schemas.keys().position(|k| k == name));

    let mut enums: Vec<OpenEnum> = Vec::new();
    let mut hoisted: BTreeMap<String, Value> = BTreeMap::new();
    for name in &reachable {
        let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")) else {
            continue;
        };
        let mut schema = schema.take();
        tolerate(&mut schema, name, &schemas, &mut enums, &mut hoisted);
        // A nullable component is made optional where it is used (above); as a type of its own
        // it would become a newtype around `Option`, and fields an `Option<Option<_>>`.
        if schema.get("type").and_then(Value::as_str) == Some("object")
            && let Some(obj) = schema.as_object_mut()
        {
            obj.remove("nullable");
        }
        *doc.pointer_mut(&format!("/components/schemas/{name}"))
            .ok_or("schema vanished")? = schema;
    }
    // Inline response schemas (not behind a component) get the same treatment.
    for op in operations_mut(doc) {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("Response")
            .to_string();
        for resp in op
            .get_mut("responses")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|r| r.values_mut())
        {
            for media in resp
                .get_mut("content")
                .and_then(Value::as_object_mut)
                .into_iter()
                .flat_map(|c| c.values_mut())
            {
                if let Some(s) = media.get_mut("schema") {
                    tolerate(
                        s,
                        &format!("{id}Response"),
                        &schemas,
                        &mut enums,
                        &mut hoisted,
                    );
                }
            }
        }
    }
    let section = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or("the spec has no components.schemas")?;
    for (name, schema) in hoisted {
        section.insert(name, schema);
    }
    Ok(enums)
}

fn collect_schema_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(name) = ref_name(v, "schemas") {
                out.push(name.to_string());
            }
            m.values().for_each(|v| collect_schema_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_schema_refs(v, out)),
        _ => {}
    }
}

fn is_nullable(v: &Value, schemas: &Map<String, Value>) -> bool {
    let direct = |v: &Value| v.get("nullable").and_then(Value::as_bool) == Some(true);
    direct(v)
        || ref_name(v, "schemas")
            .and_then(|n| schemas.get(n))
            .is_some_and(direct)
}

fn tolerate(
    schema: &mut Value,
    owner: &str,
    schemas: &Map<String, Value>,
    enums: &mut Vec<OpenEnum>,
    hoisted: &mut BTreeMap<String, Value>,
) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if obj.get("additionalProperties") == Some(&Value::Bool(false)) {
        obj.remove("additionalProperties");
    }
    // Required-but-nullable: absence is accepted too.
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        let nullable: Vec<String> = props
            .iter()
            .filter(|(_, p)| is_nullable(p, schemas))
            .map(|(k, _)| k.clone())
            .collect();
        if let Some(Value::Array(req)) = obj.get_mut("required") {
            req.retain(|r| r.as_str().is_none_or(|r| !nullable.iter().any(|n| n == r)));
        }
    }
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for (prop, p) in props.iter_mut() {
            let values: Option<Vec<String>> = p.get("enum").and_then(Value::as_array).map(|vals| {
                vals.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            });
            let is_string = p.get("type").and_then(Value::as_str) == Some("string");
            match values {
                Some(values) if is_string && !values.is_empty() => {
                    let name = match enums.iter().find(|e| e.values == values) {
                        Some(e) => e.name.clone(),
                        None => {
                            let name = format!("{owner}{}", pascal(prop));
                            let description = p
                                .get("description")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string();
                            hoisted.insert(name.clone(), json!({"type": "string", "enum": values}));
                            enums.push(OpenEnum {
                                name: name.clone(),
                                values,
                                description,
                            });
                            name
                        }
                    };
                    *p = json!({"$ref": format!("#/components/schemas/{name}")});
                }
                _ => tolerate(
                    p,
                    &format!("{owner}{}", pascal(prop)),
                    schemas,
                    enums,
                    hoisted,
                ),
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(v) = obj.get_mut(key) {
            tolerate(v, owner, schemas, enums, hoisted);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(parts)) = obj.get_mut(key) {
            for part in parts {
                tolerate(part, owner, schemas, enums, hoisted);
            }
        }
    }
}

fn variant_name(value: &str) -> String {
    let p = pascal(value);
    if p.is_empty() || p.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{p}")
    } else {
        p
    }
}

fn open_enum_code(e: &OpenEnum) -> String {
    let name = &e.name;
    let mut variants = String::new();
    let mut as_str = String::new();
    let mut from_str = String::new();
    for v in &e.values {
        let var = variant_name(v);
        writeln!(variants, "    /// `{v}`\n    {var},").ok();
        writeln!(as_str, "            Self::{var} => {v:?},").ok();
        writeln!(from_str, "            {v:?} => Self::{var},").ok();
    }
    let doc = if e.description.trim().is_empty() {
        format!("`{name}` values the service sends.")
    } else {
        e.description.trim().replace('\n', "\n/// ")
    };
    format!(
        r#"
/// {doc}
///
/// Open: a value this version of the crate does not know arrives as
/// [`{name}::Unknown`] instead of failing the whole response.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum {name} {{
{variants}    /// A value this version of the crate does not know, kept as sent.
    Unknown(String),
}}

impl {name} {{
    /// The value as the service spells it.
    pub fn as_str(&self) -> &str {{
        match self {{
{as_str}            Self::Unknown(s) => s.as_str(),
        }}
    }}
}}

impl ::std::convert::From<&str> for {name} {{
    fn from(s: &str) -> Self {{
        match s {{
{from_str}            other => Self::Unknown(other.to_string()),
        }}
    }}
}}

impl ::std::str::FromStr for {name} {{
    type Err = ::std::convert::Infallible;
    fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {{
        Ok(Self::from(s))
    }}
}}

impl ::std::fmt::Display for {name} {{
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{
        f.write_str(self.as_str())
    }}
}}

impl ::serde::Serialize for {name} {{
    fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {{
        s.serialize_str(self.as_str())
    }}
}}

impl<'de> ::serde::Deserialize<'de> for {name} {{
    fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {{
        let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
        Ok(Self::from(s.as_ref()))
    }}
}}
"#
    )
}
