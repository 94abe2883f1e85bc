//! Driven by the corrected spec alone: every operation has a facade builder, and every path
//! parameter, query parameter and body property of every operation can be set through the
//! facade and reaches the wire as the spec describes it. A parameter added to the YAML is
//! covered here with no new test code.

use crate::schema::{conforms, resolve, spec};
use crate::support::*;
use clerk_invitations::__spec;
use serde_json::{Map, Value, json};

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every operation of the corrected spec: (operationId, method, path template, operation).
fn operations() -> Vec<(String, String, String, &'static Value)> {
    let mut out = Vec::new();
    for (path, item) in spec()["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                let id = op["operationId"].as_str().expect("operationId").to_string();
                out.push((id, method.clone(), path.clone(), op));
            }
        }
    }
    out
}

/// A value that satisfies `schema`, distinct per `name` where the schema leaves room.
fn sample(schema: &Value, name: &str) -> Value {
    let schema = resolve(schema);
    if let Some(values) = schema["enum"].as_array() {
        return values[values.len() - 1].clone();
    }
    match schema["type"].as_str() {
        Some("string") if schema["format"] == "email" => json!(format!("{name}@example.com")),
        Some("string") => {
            let mut s = format!("sample-{name}");
            if let Some(max) = schema["maxLength"].as_u64() {
                s.truncate(max as usize);
            }
            while (s.len() as u64) < schema["minLength"].as_u64().unwrap_or(0) {
                s.push('x');
            }
            json!(s)
        }
        Some("integer") => json!(schema["minimum"].as_i64().map_or(7, |m| m.max(1) + 1)),
        Some("boolean") => json!(false),
        Some("object") => json!({"set_by": name}),
        Some("array") => {
            let items = resolve(&schema["items"]);
            match items["enum"].as_array() {
                Some(values) => json!(values.iter().take(2).collect::<Vec<_>>()),
                None => json!([sample(items, name), sample(items, &format!("{name}2"))]),
            }
        }
        other => panic!("{name}: no sample for a schema of type {other:?}"),
    }
}

/// The parameters of an operation, the path item's first.
fn parameters(item: &'static Value, op: &'static Value) -> Vec<&'static Value> {
    item["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(op["parameters"].as_array().into_iter().flatten())
        .map(resolve)
        .collect()
}

/// Every value an operation takes, by its name in the spec, with the sample sent for it.
fn values_for(op: &'static Value, item: &'static Value) -> Map<String, Value> {
    let fixed = op["x-facade"]["fixed"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut values = Map::new();
    for p in parameters(item, op) {
        let name = p["name"].as_str().unwrap();
        if fixed.contains_key(name) {
            continue;
        }
        let v = match p["in"].as_str() {
            Some("path") => json!(format!("{name}-id/with?odd#chars")),
            _ => sample(&p["schema"], name),
        };
        values.insert(name.to_string(), v);
    }
    if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
        let schema = resolve(schema);
        if schema["type"] == "array" {
            let items = resolve(&schema["items"]);
            let full = object_sample(items, false);
            let minimal = object_sample(items, true);
            let arg = op["x-facade"]["items_argument"].as_str().unwrap_or("items");
            values.insert(arg.to_string(), json!([full, minimal]));
        } else {
            for (k, v) in object_sample(schema, false) {
                values.insert(k, v);
            }
        }
    }
    values
}

fn object_sample(schema: &Value, required_only: bool) -> Map<String, Value> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !required_only || required.contains(&k.as_str()))
        .map(|(k, v)| {
            let name = if required_only {
                format!("{k}-min")
            } else {
                k.clone()
            };
            (k.clone(), sample(v, &name))
        })
        .collect()
}

#[test]
fn every_operation_of_the_spec_has_a_facade_builder() {
    let ids: Vec<String> = operations().into_iter().map(|(id, ..)| id).collect();
    assert!(!ids.is_empty());
    let served: Vec<&str> = __spec::OPERATIONS.to_vec();
    for id in &ids {
        assert!(served.contains(&id.as_str()), "{id} has no facade builder");
    }
    assert_eq!(
        ids.len(),
        served.len(),
        "the facade serves no operation the spec lacks"
    );
}

#[tokio::test]
async fn every_parameter_is_settable_and_reaches_the_wire_as_the_spec_says() {
    for (id, method, template, op) in operations() {
        let item = &spec()["paths"][&template];
        let values = values_for(op, item);
        let f = serve_json(200, json!({})).await;
        let sent = __spec::send(&f.clerk, &id, values.clone())
            .await
            .unwrap_or_else(|e| panic!("{id}: a value could not be set through the facade: {e}"));
        // The answer `{}` is not what the operation returns; only the request matters here.
        let _ = sent;
        let reqs = f.server.received_requests().await.expect("recording");
        let req = reqs
            .first()
            .unwrap_or_else(|| panic!("{id}: nothing was sent"));
        let ctx = format!("{id} ({} {template})", method.to_uppercase());
        assert_eq!(req.method.as_str(), method.to_uppercase(), "{ctx}");

        // Path: each parameter in its own segment, percent-encoded.
        let template_path = format!("/v1{template}");
        let template_segments: Vec<&str> = template_path.split('/').collect();
        let got_segments: Vec<&str> = req.url.path().split('/').collect();
        assert_eq!(
            got_segments.len(),
            template_segments.len(),
            "{ctx}: path {}",
            req.url.path()
        );
        for (t, g) in template_segments.iter().zip(&got_segments) {
            let decoded: String = url::form_urlencoded::parse(format!("x={g}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(name) => assert_eq!(
                    decoded,
                    values[name].as_str().unwrap(),
                    "{ctx}: path parameter {name}"
                ),
                None => assert_eq!(g, t, "{ctx}: path"),
            }
        }

        // Query: every parameter, named as the spec names it, with its style, and a value of
        // its schema.
        let sent_query = query(req);
        for p in parameters(item, op)
            .into_iter()
            .filter(|p| p["in"] == "query")
        {
            let name = p["name"].as_str().unwrap();
            let got: Vec<&str> = sent_query
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect();
            let fixed = &op["x-facade"]["fixed"][name];
            let expected: Vec<String> = match values.get(name) {
                Some(Value::Array(items)) => {
                    assert_eq!(p["style"], "form", "{ctx}: {name} is an array sent as form");
                    assert_eq!(p["explode"], true, "{ctx}: {name} as repeated keys");
                    items.iter().map(plain).collect()
                }
                Some(v) => vec![plain(v)],
                None => vec![plain(fixed)],
            };
            assert_eq!(got, expected, "{ctx}: query parameter {name}");
            let schema = resolve(&p["schema"]);
            let typed: Value = if schema["type"] == "array" {
                Value::Array(got.iter().map(|v| typed(&schema["items"], v)).collect())
            } else {
                typed(schema, got[0])
            };
            conforms(schema, &typed)
                .unwrap_or_else(|e| panic!("{ctx}: query parameter {name}: {e}"));
        }
        let known: Vec<&str> = parameters(item, op)
            .into_iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        for (k, _) in &sent_query {
            assert!(
                known.contains(&k.as_str()),
                "{ctx}: `{k}` is no parameter of the spec"
            );
        }

        // Body: validates against the spec's schema, and holds every value that was set.
        match op.pointer("/requestBody/content/application~1json/schema") {
            Some(schema) => {
                let b = body(req);
                conforms(schema, &b).unwrap_or_else(|e| panic!("{ctx}: body: {e}\n{b}"));
                let expected = match resolve(schema)["type"].as_str() {
                    Some("array") => {
                        let arg = op["x-facade"]["items_argument"].as_str().unwrap_or("items");
                        values[arg].clone()
                    }
                    _ => {
                        let props = resolve(schema)["properties"].as_object().unwrap();
                        Value::Object(
                            values
                                .iter()
                                .filter(|(k, _)| props.contains_key(*k))
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect(),
                        )
                    }
                };
                assert_eq!(b, expected, "{ctx}: every body value arrives, as set");
            }
            None => assert!(req.body.is_empty(), "{ctx}: no body"),
        }
    }
}

/// A query value as the wire spells it.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A query string value read as its schema's type, for validation.
fn typed(schema: &Value, raw: &str) -> Value {
    match resolve(schema)["type"].as_str() {
        Some("integer") => raw.parse::<i64>().map_or(json!(raw), |n| json!(n)),
        Some("boolean") => raw.parse::<bool>().map_or(json!(raw), |b| json!(b)),
        _ => json!(raw),
    }
}
