//! Extraction of the invitation subset from a full Backend API spec.
//!
//! Deterministic: the output depends only on the input text. Upstream key order is kept
//! everywhere (paths, methods, components), so a version bump shows up as a small diff.

use serde_yaml::{Mapping, Value};
use std::collections::BTreeSet;

/// The operations the crate covers, by upstream `operationId`.
pub const OPERATIONS: [&str; 12] = [
    "CreateInvitation",
    "ListInvitations",
    "CreateBulkInvitations",
    "RevokeInvitation",
    "ListInstanceOrganizationInvitations",
    "CreateOrganizationInvitation",
    "ListOrganizationInvitations",
    "CreateOrganizationInvitationBulk",
    "ListPendingOrganizationInvitations",
    "GetOrganizationInvitation",
    "RevokeOrganizationInvitation",
    "UsersGetOrganizationInvitations",
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

const HEADER: &str = "\
# Clerk Backend API: the invitation operations and the components they reference.
# Extracted from Clerk's published OpenAPI spec (MIT licence, see openapi/LICENSE) by
# `cargo xtask update-spec`. Do not edit by hand: local corrections live in
# openapi/corrections.overlay.yaml (see openapi/README.md).
";

pub struct Extracted {
    pub yaml: String,
    pub version: String,
    pub operations: usize,
    pub components: usize,
}

fn key(s: &str) -> Value {
    Value::String(s.to_string())
}

fn get<'a>(map: &'a Mapping, k: &str) -> Option<&'a Value> {
    map.get(key(k))
}

/// Extract the invitation subset from the text of a full spec.
pub fn extract(text: &str) -> Result<Extracted, String> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| format!("not a YAML document: {e}"))?;
    let root = doc
        .as_mapping()
        .ok_or("not an OpenAPI document: the top level is not a mapping")?;

    let openapi = match get(root, "openapi") {
        Some(Value::String(v)) => v.clone(),
        Some(other) => {
            return Err(format!(
                "not an OpenAPI 3.0.x document: `openapi` is {other:?}, not a version string"
            ));
        }
        None if get(root, "swagger").is_some() => {
            return Err(
                "this is a Swagger 2.0 document; an OpenAPI 3.0.x document is needed".into(),
            );
        }
        None => return Err("not an OpenAPI document: no `openapi` version field".into()),
    };
    if !openapi.starts_with("3.0.") {
        return Err(format!(
            "OpenAPI version {openapi} is not supported; the generator needs OpenAPI 3.0.x"
        ));
    }
    let version = get(root, "info")
        .and_then(Value::as_mapping)
        .and_then(|info| get(info, "version"))
        .and_then(Value::as_str)
        .ok_or("the document has no `info.version`")?
        .to_string();
    let paths = get(root, "paths")
        .and_then(Value::as_mapping)
        .ok_or("the document has no `paths`")?;

    // Keep the paths (and, within them, the methods) that hold our operations, in upstream order.
    let mut out_paths = Mapping::new();
    let mut found = BTreeSet::new();
    let mut refs = BTreeSet::new();
    let mut tags = BTreeSet::new();
    for (path, item) in paths {
        let Some(item) = item.as_mapping() else {
            continue;
        };
        let mut kept = Mapping::new();
        for (method, op) in item {
            let Some(m) = method.as_str() else { continue };
            if !METHODS.contains(&m) {
                continue;
            }
            let Some(id) = op
                .as_mapping()
                .and_then(|op| get(op, "operationId"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            if OPERATIONS.contains(&id) {
                if !found.insert(id.to_string()) {
                    return Err(format!("operation {id} appears more than once"));
                }
                collect_refs(op, &mut refs);
                if let Some(Value::Sequence(ts)) = op.as_mapping().and_then(|o| get(o, "tags")) {
                    tags.extend(ts.iter().filter_map(Value::as_str).map(str::to_string));
                }
                kept.insert(method.clone(), op.clone());
            }
        }
        if !kept.is_empty() {
            // Path-level parameters apply to every method of the path.
            if let Some(params) = get(item, "parameters") {
                collect_refs(params, &mut refs);
                let mut with_params = Mapping::new();
                with_params.insert(key("parameters"), params.clone());
                with_params.extend(kept);
                kept = with_params;
            }
            out_paths.insert(path.clone(), Value::Mapping(kept));
        }
    }
    let missing: Vec<_> = OPERATIONS
        .iter()
        .filter(|op| !found.contains(**op))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the document lacks {} of the invitation operations: {}",
            missing.len(),
            missing.join(", ")
        ));
    }

    // Close the set of references over the components.
    let empty = Mapping::new();
    let components = get(root, "components")
        .and_then(Value::as_mapping)
        .unwrap_or(&empty);
    let mut done = BTreeSet::new();
    while let Some(r) = refs.iter().find(|r| !done.contains(*r)).cloned() {
        done.insert(r.clone());
        let target = resolve(components, &r)?;
        collect_refs(target, &mut refs);
    }

    // Security: keep the top-level requirement and the schemes it names.
    let security = get(root, "security").cloned();
    let mut schemes = BTreeSet::new();
    if let Some(Value::Sequence(reqs)) = &security {
        for req in reqs {
            if let Some(m) = req.as_mapping() {
                schemes.extend(m.keys().filter_map(Value::as_str).map(str::to_string));
            }
        }
    }

    let mut out_components = Mapping::new();
    let mut component_count = 0;
    for (section, entries) in components {
        let Some(section_name) = section.as_str() else {
            continue;
        };
        let Some(entries) = entries.as_mapping() else {
            continue;
        };
        let mut kept = Mapping::new();
        for (name, value) in entries {
            let Some(n) = name.as_str() else { continue };
            let wanted = if section_name == "securitySchemes" {
                schemes.contains(n)
            } else {
                done.contains(&format!("#/components/{section_name}/{n}"))
            };
            if wanted {
                kept.insert(name.clone(), value.clone());
            }
        }
        if !kept.is_empty() {
            component_count += kept.len();
            out_components.insert(section.clone(), Value::Mapping(kept));
        }
    }

    // Assemble in upstream top-level order.
    let mut out = Mapping::new();
    for (k, v) in root {
        match k.as_str() {
            Some("openapi" | "info" | "servers" | "security") => {
                out.insert(k.clone(), v.clone());
            }
            Some("tags") => {
                if let Value::Sequence(all) = v {
                    let kept: Vec<Value> = all
                        .iter()
                        .filter(|t| {
                            t.as_mapping()
                                .and_then(|t| get(t, "name"))
                                .and_then(Value::as_str)
                                .is_some_and(|n| tags.contains(n))
                        })
                        .cloned()
                        .collect();
                    out.insert(k.clone(), Value::Sequence(kept));
                }
            }
            Some("paths") => {
                out.insert(k.clone(), Value::Mapping(out_paths.clone()));
            }
            Some("components") => {
                out.insert(k.clone(), Value::Mapping(out_components.clone()));
            }
            _ => {}
        }
    }
    let body = serde_yaml::to_string(&Value::Mapping(out))
        .map_err(|e| format!("cannot write YAML: {e}"))?;
    Ok(Extracted {
        yaml: format!("{HEADER}{body}"),
        version,
        operations: found.len(),
        components: component_count,
    })
}

fn collect_refs(v: &Value, refs: &mut BTreeSet<String>) {
    match v {
        Value::Mapping(m) => {
            for (k, v) in m {
                if k.as_str() == Some("$ref") {
                    if let Some(r) = v.as_str() {
                        refs.insert(r.to_string());
                    }
                } else {
                    collect_refs(v, refs);
                }
            }
        }
        Value::Sequence(s) => s.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

fn resolve<'a>(components: &'a Mapping, reference: &str) -> Result<&'a Value, String> {
    let rest = reference
        .strip_prefix("#/components/")
        .ok_or_else(|| format!("reference {reference} does not point into #/components"))?;
    let (section, name) = rest
        .split_once('/')
        .ok_or_else(|| format!("reference {reference} is malformed"))?;
    // JSON pointer escapes: ~1 is '/', ~0 is '~'.
    let name = name.replace("~1", "/").replace("~0", "~");
    get(components, section)
        .and_then(Value::as_mapping)
        .and_then(|s| get(s, &name))
        .ok_or_else(|| format!("reference {reference} points to nothing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mini_spec(openapi: &str, ops: &[&str]) -> String {
        let mut s =
            format!("openapi: {openapi}\ninfo:\n  title: t\n  version: '2099-01-01'\npaths:\n");
        for (i, op) in ops.iter().enumerate() {
            s.push_str(&format!(
                "  /p{i}:\n    get:\n      operationId: {op}\n      responses:\n        '200':\n          $ref: '#/components/responses/R'\n"
            ));
        }
        s.push_str(
            "  /other:\n    get:\n      operationId: Other\n      responses:\n        '200':\n          $ref: '#/components/responses/Unused'\n\
             components:\n  responses:\n    Unused:\n      description: x\n    R:\n      description: ok\n      content:\n        application/json:\n          schema:\n            $ref: '#/components/schemas/S'\n\
             \x20 schemas:\n    Z:\n      type: string\n    S:\n      type: object\n      properties:\n        t:\n          $ref: '#/components/schemas/T'\n    T:\n      type: string\n",
        );
        s
    }

    #[test]
    fn keeps_only_the_operations_and_their_references_in_upstream_order() {
        let out = extract(&mini_spec("3.0.3", &OPERATIONS)).unwrap();
        assert_eq!(out.operations, 12);
        assert!(!out.yaml.contains("/other"));
        assert!(!out.yaml.contains("Unused"));
        assert!(!out.yaml.contains("    Z:"));
        // Components stay in upstream order: S before T.
        let s = out.yaml.find("    S:").unwrap();
        let t = out.yaml.find("    T:").unwrap();
        assert!(s < t);
        assert_eq!(out.components, 3);
    }

    #[test]
    fn is_deterministic() {
        let spec = mini_spec("3.0.3", &OPERATIONS);
        assert_eq!(extract(&spec).unwrap().yaml, extract(&spec).unwrap().yaml);
    }

    #[test]
    fn refuses_other_openapi_versions() {
        let err = extract(&mini_spec("3.1.0", &OPERATIONS)).err().unwrap();
        assert!(err.contains("3.1.0") && err.contains("3.0.x"), "{err}");
        let err = extract("swagger: '2.0'\ninfo: {}\n").err().unwrap();
        assert!(err.contains("Swagger 2.0"), "{err}");
        let err = extract("- a\n- b\n").err().unwrap();
        assert!(err.contains("not an OpenAPI document"), "{err}");
    }

    #[test]
    fn refuses_a_spec_lacking_an_operation() {
        let err = extract(&mini_spec("3.0.3", &OPERATIONS[..11]))
            .err()
            .unwrap();
        assert!(err.contains("UsersGetOrganizationInvitations"), "{err}");
    }

    #[test]
    fn refuses_a_dangling_reference() {
        let spec = mini_spec("3.0.3", &OPERATIONS).replace("schemas/T'", "schemas/Missing'");
        let err = extract(&spec).err().unwrap();
        assert!(err.contains("#/components/schemas/Missing"), "{err}");
    }
}
