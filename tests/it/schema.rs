//! Every answer the emulator gives in the contract tests must validate against the vendored
//! spec with its documented corrections (the spec build.rs generates from, before the client's
//! tolerance pre-pass). The emulator therefore cannot drift from the spec unnoticed.

use clerk_invitations::emulator::{Emulator, Exchange};
use jsonschema::{Draft, Validator};
use serde_json::{Map, Value, json};
use std::sync::OnceLock;

const CORRECTED_SPEC: &str = include_str!(concat!(env!("OUT_DIR"), "/corrected-spec.json"));

pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| serde_json::from_str(CORRECTED_SPEC).expect("the corrected spec is JSON"))
}

/// An OpenAPI 3.0 schema as a JSON Schema (draft 4) validator reads it:
/// - `nullable: true` becomes "the schema or null";
/// - `allOf` of object schemas is read as code generators read it: one object with the union
///   of the branches' properties and required fields, closed when a branch is closed. Read
///   literally, an `allOf` whose branch has `additionalProperties: false` admits no object with
///   the other branches' properties.
fn to_json_schema(v: &Value) -> Value {
    match v {
        Value::Object(map) if map.contains_key("allOf") => to_json_schema(&merge_all_of(map)),
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| k.as_str() != "nullable")
                .map(|(k, v)| (k.clone(), to_json_schema(v)))
                .collect();
            if map.get("nullable") == Some(&Value::Bool(true)) {
                let inner = Value::Object(std::mem::take(&mut out));
                out.insert("anyOf".into(), json!([inner, {"type": "null"}]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

fn merge_all_of(map: &Map<String, Value>) -> Value {
    let mut merged = Map::new();
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    let mut closed = false;
    let branches = map["allOf"].as_array().cloned().unwrap_or_default();
    for branch in &branches {
        let mut branch = resolve(branch).clone();
        if let Some(inner) = branch.as_object().filter(|b| b.contains_key("allOf")) {
            branch = merge_all_of(inner);
        }
        let Some(b) = branch.as_object() else {
            continue;
        };
        if let Some(p) = b.get("properties").and_then(Value::as_object) {
            properties.extend(p.clone());
        }
        for r in b
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !required.contains(r) {
                required.push(r.clone());
            }
        }
        closed |= b.get("additionalProperties") == Some(&Value::Bool(false));
        for key in ["type", "nullable"] {
            if let Some(v) = b.get(key) {
                merged.insert(key.into(), v.clone());
            }
        }
    }
    for (k, v) in map.iter().filter(|(k, _)| k.as_str() != "allOf") {
        match k.as_str() {
            "properties" => properties.extend(v.as_object().cloned().unwrap_or_default()),
            "required" => required.extend(v.as_array().cloned().unwrap_or_default()),
            _ => {
                merged.insert(k.clone(), v.clone());
            }
        }
    }
    merged.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        merged.insert("required".into(), Value::Array(required));
    }
    if closed {
        merged.insert("additionalProperties".into(), Value::Bool(false));
    }
    Value::Object(merged)
}

pub fn resolve(v: &Value) -> &Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => spec()
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling {r}")),
        None => v,
    }
}

/// The spec path template for a concrete request path: the one whose segments match, preferring
/// literal segments over parameters, among those with an operation for `method`.
fn operation(method: &str, path: &str) -> Option<&'static Value> {
    let actual: Vec<&str> = path
        .trim_start_matches("/v1")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let paths = spec()["paths"].as_object()?;
    paths
        .iter()
        .filter_map(|(template, item)| {
            let op = item.get(method.to_ascii_lowercase())?;
            let segs: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
            if segs.len() != actual.len() {
                return None;
            }
            let mut literal = 0;
            for (t, a) in segs.iter().zip(&actual) {
                if t.starts_with('{') {
                    continue;
                }
                if t != a {
                    return None;
                }
                literal += 1;
            }
            Some((literal, op))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, op)| op)
}

/// The schema an answer must follow: the operation's own for its status, Clerk's error envelope
/// for any error status.
fn schema_for(method: &str, path: &str, status: u16) -> Result<Value, String> {
    if status >= 400 {
        return Ok(json!({"$ref": "#/components/schemas/ClerkErrors"}));
    }
    let op = operation(method, path).ok_or_else(|| format!("no operation for {method} {path}"))?;
    let response = op["responses"]
        .get(status.to_string())
        .map(resolve)
        .ok_or_else(|| format!("{method} {path}: the spec declares no {status} answer"))?;
    response
        .pointer("/content/application~1json/schema")
        .cloned()
        .ok_or_else(|| format!("{method} {path}: {status} has no JSON schema"))
}

/// Checks `instance` against an OpenAPI schema of the corrected spec; the error lists what does
/// not conform.
pub fn conforms(schema: &Value, instance: &Value) -> Result<(), String> {
    let mut root = to_json_schema(schema);
    if let Value::Object(map) = &mut root {
        map.insert("components".into(), to_json_schema(&spec()["components"]));
    }
    let validator: Validator = jsonschema::options()
        .with_draft(Draft::Draft4)
        .should_validate_formats(false)
        .build(&root)
        .map_err(|e| format!("schema: {e}"))?;
    let problems: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Checks one answer; the error names what does not conform.
pub fn check(method: &str, path: &str, status: u16, body: &[u8]) -> Result<(), String> {
    let schema = schema_for(method, path, status)?;
    let instance: Value = serde_json::from_slice(body)
        .map_err(|e| format!("{method} {path} -> {status}: not JSON: {e}"))?;
    conforms(&schema, &instance).map_err(|problems| {
        format!(
            "{method} {path} -> {status} does not follow the spec: {problems}\nbody: {}",
            String::from_utf8_lossy(body)
        )
    })
}

/// Asserts that every recorded answer follows the spec, apart from those an injected fault
/// shaped on purpose.
pub fn assert_exchanges_conform(exchanges: &[Exchange]) {
    let failures: Vec<String> = exchanges
        .iter()
        .filter(|x| !x.faulted)
        .filter_map(|x| {
            check(&x.method, &x.path, x.status, &x.body)
                .and_then(|()| known_codes(x))
                .and_then(|()| catalogue_texts(x))
                .err()
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} emulator answers do not follow the spec:\n{}",
        failures.len(),
        exchanges.len(),
        failures.join("\n")
    );
}

/// Every error code the emulator emits is one the crate's [`ErrorCode`] knows, with the HTTP
/// status Clerk's catalogue gives it.
///
/// [`ErrorCode`]: clerk_invitations::ErrorCode
fn known_codes(x: &Exchange) -> Result<(), String> {
    if x.status < 400 {
        return Ok(());
    }
    let body: Value = serde_json::from_slice(&x.body).map_err(|e| e.to_string())?;
    for e in body["errors"].as_array().into_iter().flatten() {
        let code = clerk_invitations::ErrorCode::from(e["code"].as_str().unwrap_or(""));
        if !code.is_known() {
            return Err(format!(
                "{} {} -> {}: code `{code}` is not an ErrorCode variant",
                x.method, x.path, x.status
            ));
        }
        if code.status() != Some(x.status) {
            return Err(format!(
                "{} {} -> {}: code `{code}` has status {:?} in Clerk's catalogue",
                x.method,
                x.path,
                x.status,
                code.status()
            ));
        }
    }
    Ok(())
}

/// Clerk's error catalogue, the entries the invitation endpoints return (test data).
fn catalogue() -> &'static [Value] {
    static CATALOGUE: OnceLock<Vec<Value>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let doc: Value =
            serde_json::from_str(include_str!("../data/clerk-api-errors.json")).unwrap();
        doc["errors"].as_array().unwrap().clone()
    })
}

/// Whether `text` is `template` with its placeholders (`<name>`, `%d`, `%q`, `%v`, `%s`)
/// filled in.
fn fills(template: &str, text: &str) -> bool {
    // Split the template into literal pieces around placeholders; match them in order.
    let mut pieces: Vec<String> = vec![String::new()];
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' if template.contains('>') => {
                for d in chars.by_ref() {
                    if d == '>' {
                        break;
                    }
                }
                pieces.push(String::new());
            }
            '%' if matches!(chars.peek(), Some('d' | 'q' | 'v' | 's')) => {
                chars.next();
                pieces.push(String::new());
            }
            c => pieces.last_mut().unwrap().push(c),
        }
    }
    let mut rest = text;
    for (i, piece) in pieces.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(piece.as_str()) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == pieces.len() - 1 {
            return rest.len() > piece.len() && rest.ends_with(piece.as_str())
                || (piece.is_empty() && !rest.is_empty());
        } else {
            match rest.find(piece.as_str()).filter(|_| !piece.is_empty()) {
                Some(at) if at > 0 => rest = &rest[at + piece.len()..],
                _ => return false,
            }
        }
    }
    rest.is_empty()
}

/// Every error the emulator emits carries Clerk's own texts: the `message` and `long_message`
/// of a catalogue entry with its code and status (placeholders filled). Entries whose texts
/// the catalogue leaves empty (filled in by the service at run time) are not compared.
fn catalogue_texts(x: &Exchange) -> Result<(), String> {
    if x.status < 400 {
        return Ok(());
    }
    let body: Value = serde_json::from_slice(&x.body).map_err(|e| e.to_string())?;
    for e in body["errors"].as_array().into_iter().flatten() {
        let code = e["code"].as_str().unwrap_or("");
        let (message, long) = (
            e["message"].as_str().unwrap_or(""),
            e["long_message"].as_str().unwrap_or(""),
        );
        let entries: Vec<&Value> = catalogue().iter().filter(|c| c["code"] == code).collect();
        if entries.is_empty() {
            return Err(format!(
                "{} {}: code `{code}` is not in the catalogue copy",
                x.method, x.path
            ));
        }
        let matches = entries.iter().any(|c| {
            let (short_t, long_t) = (
                c["shortMessage"].as_str().unwrap_or(""),
                c["longMessage"].as_str().unwrap_or(""),
            );
            c["status"].as_str() == Some(x.status.to_string().as_str())
                && (short_t.is_empty() || fills(short_t, message))
                && (long_t.is_empty() || fills(long_t, long))
        });
        if !matches {
            return Err(format!(
                "{} {} -> {}: `{code}` says {message:?} / {long:?}, not Clerk's text",
                x.method, x.path, x.status
            ));
        }
    }
    Ok(())
}

#[test]
fn templates_match_their_filled_texts_only() {
    assert!(fills(
        "<param> must be included.",
        "email_address must be included."
    ));
    assert!(!fills("<param> must be included.", "must be included."));
    assert!(fills(
        "Invitation is already revoked.",
        "Invitation is already revoked."
    ));
    assert!(!fills("Invitation is already revoked.", "already revoked"));
    assert!(fills(
        "You have reached your limit of %d organization memberships, including outstanding invitations.",
        "You have reached your limit of 5 organization memberships, including outstanding invitations."
    ));
    assert!(!fills(
        "You have reached your limit of %d organization memberships, including outstanding invitations.",
        "You have reached your limit of organization memberships, including outstanding invitations."
    ));
    assert!(fills(
        "No invitation was found with id <invitationID>.",
        "No invitation was found with id inv_1."
    ));
}

/// An emulator that records its answers and, when the test ends without failing, asserts that
/// every one of them follows the spec.
pub struct CheckedEmulator(pub Emulator);

impl CheckedEmulator {
    pub async fn start(builder: clerk_invitations::emulator::EmulatorBuilder) -> Self {
        CheckedEmulator(builder.record_exchanges(true).start().await.unwrap())
    }
}

impl std::ops::Deref for CheckedEmulator {
    type Target = Emulator;
    fn deref(&self) -> &Emulator {
        &self.0
    }
}

impl Drop for CheckedEmulator {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_exchanges_conform(&self.0.exchanges());
        }
    }
}

// ---------------------------------------------------------------------------------------------

const INVITATION: &str = r#"{"object":"invitation","id":"inv_1","email_address":"a@b.co","public_metadata":{},"status":"pending","created_at":1,"updated_at":1,"expires_at":null}"#;

#[test]
fn a_conforming_answer_passes() {
    check("POST", "/v1/invitations", 200, INVITATION.as_bytes()).unwrap();
    check(
        "GET",
        "/v1/invitations",
        200,
        format!(r#"{{"data":[{INVITATION}],"total_count":1}}"#).as_bytes(),
    )
    .unwrap();
    check(
        "GET",
        "/v1/invitations",
        200,
        format!("[{INVITATION}]").as_bytes(),
    )
    .unwrap();
    check(
        "POST",
        "/v1/invitations/inv_1/revoke",
        404,
        br#"{"errors":[{"message":"m","long_message":"l","code":"resource_not_found"}],"meta":{},"clerk_trace_id":"t"}"#,
    )
    .unwrap();
}

#[test]
fn drift_from_the_spec_is_caught() {
    let mut inv: Value = serde_json::from_str(INVITATION).unwrap();
    let drifted = [
        ("a missing required field", {
            let mut v = inv.clone();
            v.as_object_mut().unwrap().remove("id");
            v
        }),
        ("a seconds-as-string timestamp", {
            let mut v = inv.clone();
            v["created_at"] = json!("1700000000");
            v
        }),
        ("an unknown status", {
            let mut v = inv.clone();
            v["status"] = json!("not-a-status-of-any-spec");
            v
        }),
        ("a field the spec does not know", {
            let mut v = inv.clone();
            v["invited_by"] = json!("me");
            v
        }),
        ("a null where null is not allowed", {
            inv["public_metadata"] = Value::Null;
            inv
        }),
    ];
    for (what, body) in drifted {
        let err = check("POST", "/v1/invitations", 200, body.to_string().as_bytes());
        assert!(err.is_err(), "{what} was accepted");
    }
    // The revoke answer is corrected to a plain Invitation, so it may omit `revoked`... but a
    // bare array where an object is due is refused.
    assert!(check("POST", "/v1/invitations/inv_1/revoke", 200, b"[]").is_err());
    // An error body without Clerk's envelope is refused.
    assert!(check("GET", "/v1/invitations", 500, br#"{"error":"boom"}"#).is_err());
    assert!(check("GET", "/v1/invitations", 502, b"<html>").is_err());
}
