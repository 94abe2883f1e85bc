//! The tolerance pre-pass over the schemas of success responses: unknown fields are ignored,
//! required-but-nullable fields may be absent, and every string enum becomes an open enum.
//! Error responses are removed: the facade decodes every non-2xx answer itself.

use super::enums::{self, OpenEnum, pascal};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

pub fn operations_mut(doc: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
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

pub fn strip_error_responses(doc: &mut Value) {
    for op in operations_mut(doc) {
        if let Some(Value::Object(responses)) = op.get_mut("responses") {
            responses.retain(|status, _| status.starts_with('2'));
        }
    }
}

pub fn ref_name<'a>(v: &'a Value, section: &str) -> Option<&'a str> {
    v.get("$ref")?
        .as_str()?
        .strip_prefix("#/components/")?
        .strip_prefix(section)?
        .strip_prefix('/')
}

/// Applies the tolerance rules to every schema a success response can contain, and returns the
/// open enums to generate.
pub fn make_responses_tolerant(doc: &mut Value, enums: &mut Vec<OpenEnum>) -> Result<(), String> {
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

    let mut hoisted: BTreeMap<String, Value> = BTreeMap::new();
    for name in &reachable {
        let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")) else {
            continue;
        };
        let mut schema = schema.take();
        // A component that is itself a string enum becomes an open enum of its own name.
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let values: Vec<String> = values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            let own = pascal(name);
            if !values.is_empty()
                && schema.get("type").and_then(Value::as_str) != Some("object")
                && !enums.iter().any(|e| e.name == own)
            {
                enums.push(OpenEnum {
                    name: own,
                    values,
                    description: schema
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                });
            }
        }
        tolerate(&mut schema, name, &schemas, enums, &mut hoisted);
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
                    tolerate(s, &format!("{id}Response"), &schemas, enums, &mut hoisted);
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
    Ok(())
}

/// The names of the component schemas `v` refers to, anywhere inside it.
pub fn collect_schema_refs(v: &Value, out: &mut Vec<String>) {
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
                    let name =
                        enums::register(enums, p, &format!("{owner}{}", pascal(prop)), values);
                    hoisted.entry(name.clone()).or_insert_with(
                        || json!({"type": "string", "enum": enums::values_of(enums, &name)}),
                    );
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

/// Request-side string enums (parameters and bodies) become references to the open enums the
/// facade registered, so that the low-level client takes the same types and the generator
/// never has to name variants itself.
pub fn open_request_enums(doc: &mut Value, enums: &mut Vec<OpenEnum>) {
    let mut hoisted: BTreeMap<String, Value> = BTreeMap::new();
    for op in operations_mut(doc) {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("Request")
            .to_string();
        if let Some(Value::Array(params)) = op.get_mut("parameters") {
            for p in params {
                let name = p
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if let Some(schema) = p.get_mut("schema") {
                    open_enums_in(
                        schema,
                        &format!("{id}{}", pascal(&name)),
                        enums,
                        &mut hoisted,
                    );
                }
            }
        }
        if let Some(schema) = op
            .get_mut("requestBody")
            .and_then(|b| b.pointer_mut("/content/application~1json/schema"))
        {
            open_enums_in(schema, &format!("{id}Body"), enums, &mut hoisted);
        }
    }
    if let Some(section) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in hoisted {
            section.entry(name).or_insert(schema);
        }
    }
}

fn open_enums_in(
    schema: &mut Value,
    owner: &str,
    enums: &mut Vec<OpenEnum>,
    hoisted: &mut BTreeMap<String, Value>,
) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let values: Option<Vec<String>> = obj.get("enum").and_then(Value::as_array).map(|v| {
        v.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    });
    let is_string = obj
        .get("type")
        .and_then(Value::as_str)
        .is_none_or(|t| t == "string");
    if let Some(values) = values.filter(|v| is_string && !v.is_empty()) {
        let name = enums::register(enums, schema, owner, values.clone());
        hoisted
            .entry(name.clone())
            .or_insert_with(|| json!({"type": "string", "enum": values}));
        *schema = json!({"$ref": format!("#/components/schemas/{name}")});
        return;
    }
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for (k, p) in props.iter_mut() {
            open_enums_in(p, &format!("{owner}{}", pascal(k)), enums, hoisted);
        }
    }
    if let Some(items) = obj.get_mut("items") {
        open_enums_in(items, owner, enums, hoisted);
    }
}
