//! Extraction of the invitation subset from a full Backend API spec.
//!
//! Deterministic: the output depends only on the input text. Upstream key order is kept
//! everywhere (paths, methods, components), so a version bump shows up as a small diff.

use serde_yaml::{Mapping, Value};
use std::collections::BTreeSet;

/// The tags Clerk files invitation operations under.
pub const TAGS: [&str; 2] = ["Invitations", "Organization Invitations"];

/// Whether an operation is an invitation operation: filed under one of [`TAGS`], or on a path
/// with a segment naming invitations (`/invitations`, `/organization_invitations`, ...).
pub fn is_invitation_operation(path: &str, op: &Value) -> bool {
    let by_path = path
        .split('/')
        .any(|segment| !segment.starts_with('{') && segment.contains("invitation"));
    let by_tag = op
        .as_mapping()
        .and_then(|o| get(o, "tags"))
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|t| TAGS.contains(&t));
    by_path || by_tag
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

const HEADER: &str = "\
# Clerk Backend API: the invitation operations and the components they reference.
# Extracted from Clerk's published OpenAPI spec (MIT licence, see openapi/LICENSE) by
# `cargo xtask update-spec`. Do not edit by hand: local corrections live in
# openapi/corrections.overlay.yaml (see openapi/README.md).
";

/// The line that records the digest of what follows the header, so that `update-spec` can tell
/// a hand edit from its own output.
pub const DIGEST_PREFIX: &str = "# sha256 of the rest of this file: ";

pub struct Extracted {
    pub yaml: String,
    pub version: String,
    /// The operation ids, in upstream order.
    pub operation_ids: Vec<String>,
    pub components: usize,
}

/// The hex SHA-256 of `text`.
pub fn sha256(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A vendored file as written: header, digest line, body.
pub fn with_header(header: &str, body: &str) -> String {
    format!("{header}{DIGEST_PREFIX}{}\n{body}", sha256(body))
}

/// What a vendored file says of itself: `Ok(true)` when its digest matches its body,
/// `Ok(false)` when it records none (written before digests were kept), `Err` when it was
/// edited after it was written.
pub fn check_digest(vendored: &str) -> Result<bool, String> {
    let Some(start) = vendored.find(DIGEST_PREFIX) else {
        return Ok(false);
    };
    let rest = &vendored[start + DIGEST_PREFIX.len()..];
    let (recorded, body) = rest.split_once('\n').unwrap_or((rest, ""));
    if recorded.trim() == sha256(body) {
        Ok(true)
    } else {
        Err(
            "its content does not match the digest recorded in its header: it was edited by \
             hand"
                .into(),
        )
    }
}

/// The operation ids a vendored file holds (its `operationId:` lines).
pub fn operation_ids(vendored: &str) -> Vec<String> {
    vendored
        .lines()
        .filter_map(|l| l.trim().strip_prefix("operationId:"))
        .map(|id| id.trim().trim_matches(['\'', '"']).to_string())
        .collect()
}

pub fn key(s: &str) -> Value {
    Value::String(s.to_string())
}

pub fn get<'a>(map: &'a Mapping, k: &str) -> Option<&'a Value> {
    map.get(key(k))
}

/// Refuses a document that is not OpenAPI 3.0.x, saying what it is instead.
pub fn check_openapi(root: &Mapping) -> Result<(), String> {
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
    Ok(())
}

/// Reads the text of a full spec: the document, as a top-level mapping, and its
/// `info.version`, or why it cannot be read.
pub fn open(text: &str) -> Result<(Mapping, String), String> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| format!("not a YAML document: {e}"))?;
    let Value::Mapping(root) = doc else {
        return Err("not an OpenAPI document: the top level is not a mapping".into());
    };
    check_openapi(&root)?;
    let version = get(&root, "info")
        .and_then(Value::as_mapping)
        .and_then(|info| get(info, "version"))
        .and_then(Value::as_str)
        .ok_or("the document has no `info.version`")?
        .to_string();
    Ok((root, version))
}

/// The components `refs` reach (closed over the references they hold), in upstream order, with
/// the security schemes `schemes` names, and how many there are.
pub fn referenced_components(
    root: &Mapping,
    mut refs: BTreeSet<String>,
    schemes: &BTreeSet<String>,
) -> Result<(Mapping, usize), String> {
    let empty = Mapping::new();
    let components = get(root, "components")
        .and_then(Value::as_mapping)
        .unwrap_or(&empty);
    let mut done = BTreeSet::new();
    while let Some(r) = refs.iter().find(|r| !done.contains(*r)).cloned() {
        done.insert(r.clone());
        collect_refs(resolve(components, &r)?, &mut refs);
    }
    let mut out = Mapping::new();
    let mut count = 0;
    for (section, entries) in components {
        let (Some(section_name), Some(entries)) = (section.as_str(), entries.as_mapping()) else {
            continue;
        };
        let kept: Mapping = entries
            .iter()
            .filter(|(name, _)| {
                name.as_str().is_some_and(|n| {
                    if section_name == "securitySchemes" {
                        schemes.contains(n)
                    } else {
                        done.contains(&format!("#/components/{section_name}/{n}"))
                    }
                })
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !kept.is_empty() {
            count += kept.len();
            out.insert(section.clone(), Value::Mapping(kept));
        }
    }
    Ok((out, count))
}

/// Extract the invitation subset from the text of a full spec.
pub fn extract(text: &str) -> Result<Extracted, String> {
    let (root, version) = open(text)?;
    let root = &root;
    let paths = get(root, "paths")
        .and_then(Value::as_mapping)
        .ok_or("the document has no `paths`")?;

    // Keep the paths (and, within them, the methods) that hold our operations, in upstream order.
    let mut out_paths = Mapping::new();
    let mut found: Vec<String> = Vec::new();
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
            let Some(p) = path.as_str() else { continue };
            if is_invitation_operation(p, op) {
                if found.iter().any(|f| f == id) {
                    return Err(format!("operation {id} appears more than once"));
                }
                found.push(id.to_string());
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
    if found.is_empty() {
        return Err(format!(
            "the document has no invitation operation (none tagged {} or on a path naming \
             invitations)",
            TAGS.join(" or ")
        ));
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

    let (out_components, component_count) = referenced_components(root, refs, &schemes)?;

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
        yaml: with_header(HEADER, &body),
        version,
        operation_ids: found,
        components: component_count,
    })
}

pub fn collect_refs(v: &Value, refs: &mut BTreeSet<String>) {
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

pub fn resolve<'a>(components: &'a Mapping, reference: &str) -> Result<&'a Value, String> {
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

    const OPERATIONS: [&str; 3] = ["CreateInvitation", "ListInvitations", "RevokeInvitation"];

    fn mini_spec(openapi: &str, ops: &[&str]) -> String {
        let mut s =
            format!("openapi: {openapi}\ninfo:\n  title: t\n  version: '2099-01-01'\npaths:\n");
        for (i, op) in ops.iter().enumerate() {
            s.push_str(&format!(
                "  /invitations/p{i}:\n    get:\n      operationId: {op}\n      responses:\n        '200':\n          $ref: '#/components/responses/R'\n"
            ));
        }
        s.push_str(
            "  /tagged:\n    post:\n      operationId: Tagged\n      tags: [Organization Invitations]\n      responses:\n        '200':\n          $ref: '#/components/responses/R'\n",
        );
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
        let mut wanted: Vec<String> = OPERATIONS.iter().map(|s| s.to_string()).collect();
        wanted.push("Tagged".into());
        assert_eq!(out.operation_ids, wanted, "found by path and by tag");
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
    fn finds_a_new_upstream_operation_and_lists_what_the_file_holds() {
        let mut ops = OPERATIONS.to_vec();
        ops.push("DeleteInvitation");
        let out = extract(&mini_spec("3.0.3", &ops)).unwrap();
        assert!(out.operation_ids.contains(&"DeleteInvitation".to_string()));
        assert_eq!(operation_ids(&out.yaml), out.operation_ids);
    }

    #[test]
    fn the_digest_tells_a_hand_edit_from_the_tools_output() {
        let out = extract(&mini_spec("3.0.3", &OPERATIONS)).unwrap();
        assert_eq!(check_digest(&out.yaml), Ok(true));
        let edited = out.yaml.replace("description: ok", "description: edited");
        assert!(
            check_digest(&edited)
                .unwrap_err()
                .contains("edited by hand")
        );
        assert_eq!(check_digest("openapi: 3.0.3\n"), Ok(false));
    }

    #[test]
    fn refuses_a_spec_without_invitation_operations() {
        let spec = "openapi: 3.0.3\ninfo: {version: '1'}\npaths:\n  /users:\n    get:\n      operationId: ListUsers\n      responses: {}\n";
        let err = extract(spec).err().unwrap();
        assert!(err.contains("no invitation operation"), "{err}");
    }

    #[test]
    fn refuses_a_dangling_reference() {
        let spec = mini_spec("3.0.3", &OPERATIONS).replace("schemas/T'", "schemas/Missing'");
        let err = extract(&spec).err().unwrap();
        assert!(err.contains("#/components/schemas/Missing"), "{err}");
    }
}
