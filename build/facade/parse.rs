//! Reads one operation of the spec and its `x-facade` mapping.

use super::super::enums::{OpenEnum, pascal};
use super::model::*;
use super::{HANDLES, OVERLAY, RETRY_CLASSES};
use serde_json::Value;

pub fn handle_fields(handle: &str) -> Option<Vec<String>> {
    HANDLES
        .iter()
        .find(|(h, _, _)| *h == handle)
        .map(|(_, f, _)| f.iter().map(|s| s.to_string()).collect())
}

pub fn mapping_hint(method: &str, path: &str, id: &str) -> String {
    format!(
        "Add its mapping to {OVERLAY}:\n\n  - target: $.paths['{path}'].{method}\n    update:\n      x-facade:\n        on: Invitations            # the handle: {}\n        method: {}\n        retry: idempotent          # one of: {}\n\nand see openapi/README.md.",
        HANDLES.iter().map(|h| h.0).collect::<Vec<_>>().join(", "),
        snake(id),
        RETRY_CLASSES.join(", ")
    )
}

pub fn rust_type_of_schema(
    schema: &Value,
    replaced: &[(&str, &str)],
    ctx: &str,
) -> Result<String, String> {
    if let Some(name) = str_of(schema, "$ref").and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        if let Some((_, path)) = replaced.iter().find(|(n, _)| *n == name) {
            return Ok(path.to_string());
        }
        return Ok(format!("crate::generated::types::{}", pascal(name)));
    }
    if str_of(schema, "type") == Some("array")
        && let Some(items) = schema.get("items")
    {
        return Ok(format!(
            "::std::vec::Vec<{}>",
            rust_type_of_schema(items, replaced, ctx)?
        ));
    }
    Err(format!(
        "{ctx}: the success response's schema is inline; give it a name under \
         components.schemas (in {OVERLAY}) so the facade can return it"
    ))
}

pub fn parse_op(
    doc: &Value,
    path: &str,
    method: &str,
    item: &Value,
    op: &Value,
    enums: &mut Vec<OpenEnum>,
    replaced: &[(&str, &str)],
) -> Result<Op, String> {
    let id = str_of(op, "operationId")
        .ok_or_else(|| format!("{} {path} has no operationId", method.to_uppercase()))?
        .to_string();
    let ctx = format!("operation {id} ({} {path})", method.to_uppercase());
    let facade = op.get("x-facade").ok_or_else(|| {
        format!(
            "{ctx} has no facade mapping (`x-facade`). {}",
            mapping_hint(method, path, &id)
        )
    })?;
    let need = |key: &str| {
        str_of(facade, key).map(str::to_string).ok_or_else(|| {
            format!(
                "{ctx}: its `x-facade` in {OVERLAY} lacks `{key}`. {}",
                mapping_hint(method, path, &id)
            )
        })
    };
    let handle = need("on")?;
    let handle_path = handle_fields(&handle).ok_or_else(|| {
        format!(
            "{ctx}: `x-facade.on: {handle}` names no handle; the handles are {}",
            HANDLES.iter().map(|h| h.0).collect::<Vec<_>>().join(", ")
        )
    })?;
    let fn_name = need("method")?;
    let retry = need("retry")?;
    if !RETRY_CLASSES.contains(&retry.as_str()) {
        return Err(format!(
            "{ctx}: `x-facade.retry: {retry}` is not a retry class; use one of {}",
            RETRY_CLASSES.join(", ")
        ));
    }
    let builder = str_of(facade, "builder")
        .map(str::to_string)
        .unwrap_or_else(|| pascal(&id));

    // Parameters: the path item's, then the operation's (which override by name and place).
    let mut params: Vec<Value> = Vec::new();
    for p in item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            op.get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        )
    {
        let p = deref(doc, p).map_err(|e| format!("{ctx}: {e}"))?.clone();
        params.retain(|q| !(q.get("name") == p.get("name") && q.get("in") == p.get("in")));
        params.push(p);
    }
    let fixed: Vec<(String, String)> = facade
        .get("fixed")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut path_args = Vec::new();
    let mut query = Vec::new();
    for p in &params {
        let name = str_of(p, "name").ok_or_else(|| format!("{ctx}: a parameter has no name"))?;
        let place = str_of(p, "in").unwrap_or("");
        let pctx = format!("{ctx}, parameter `{name}`");
        let schema = p.get("schema").cloned().unwrap_or(Value::Null);
        let (ty, rules) = ty_of(
            doc,
            &schema,
            &pctx,
            &format!("{}{}", pascal(&id), pascal(name)),
            enums,
        )?;
        let field = Field {
            wire: name.to_string(),
            ident: ident(name),
            ty,
            rules,
            required: p.get("required").and_then(Value::as_bool) == Some(true),
            doc: str_of(p, "description").unwrap_or("").to_string(),
        };
        match place {
            "path" => {
                if !matches!(field.ty, Ty::Str) {
                    return Err(format!(
                        "{pctx}: a path parameter must be a string for the facade"
                    ));
                }
                path_args.push(field);
            }
            "query" => {
                if fixed.iter().any(|(k, _)| k == name) {
                    continue;
                }
                if matches!(field.ty, Ty::Object) {
                    return Err(format!("{pctx}: an object in the query has no facade form"));
                }
                query.push(field);
            }
            other => {
                return Err(format!(
                    "{pctx}: parameters `in: {other}` have no facade form (only path and query)"
                ));
            }
        }
    }
    for (k, _) in &fixed {
        if !params.iter().any(|p| str_of(p, "name") == Some(k)) {
            return Err(format!(
                "{ctx}: `x-facade.fixed` names `{k}`, which is no parameter"
            ));
        }
    }

    let body_schema = op
        .get("requestBody")
        .map(|b| deref(doc, b))
        .transpose()
        .map_err(|e| format!("{ctx}: {e}"))?
        .and_then(|b| b.pointer("/content/application~1json/schema"))
        .cloned();
    let body = match body_schema {
        None => Body::None,
        Some(schema) => {
            let schema = deref(doc, &schema)
                .map_err(|e| format!("{ctx}: {e}"))?
                .clone();
            if str_of(&schema, "type") == Some("array") {
                let items = deref(doc, schema.get("items").unwrap_or(&Value::Null))
                    .map_err(|e| format!("{ctx}: {e}"))?
                    .clone();
                let item = str_of(facade, "item").map(str::to_string).ok_or_else(|| {
                    format!(
                        "{ctx}: its body is an array; name the type of its items with \
                         `x-facade.item` in {OVERLAY} (for example `item: NewInvitation`)"
                    )
                })?;
                let arg = str_of(facade, "items_argument")
                    .unwrap_or("items")
                    .to_string();
                let fields = object_fields(doc, &items, &ctx, &pascal(&id), enums)?;
                Body::Array {
                    item,
                    arg,
                    fields,
                    rules: Rules {
                        min_items: schema.get("minItems").and_then(Value::as_u64),
                        max_items: schema.get("maxItems").and_then(Value::as_u64),
                        ..Rules::default()
                    },
                }
            } else {
                Body::Object(object_fields(doc, &schema, &ctx, &pascal(&id), enums)?)
            }
        }
    };

    // The success response.
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let (_, resp) = responses
        .iter()
        .find(|(s, _)| s.starts_with('2'))
        .ok_or_else(|| format!("{ctx} has no success response"))?;
    let resp = deref(doc, resp).map_err(|e| format!("{ctx}: {e}"))?;
    let schema = resp
        .pointer("/content/application~1json/schema")
        .ok_or_else(|| format!("{ctx}: its success response has no application/json schema"))?;
    let response = rust_type_of_schema(schema, replaced, &ctx)?;
    let page = match str_of(facade, "page") {
        None => None,
        Some("invitation-list") => Some(PageShape::InvitationList),
        Some("envelope") => {
            let env = deref(doc, schema).map_err(|e| format!("{ctx}: {e}"))?;
            let items = env.pointer("/properties/data/items").ok_or_else(|| {
                format!("{ctx}: `page: envelope` needs a response with `data` items")
            })?;
            if env.pointer("/properties/total_count").is_none() {
                return Err(format!(
                    "{ctx}: `page: envelope` needs a response with `total_count`"
                ));
            }
            // A stream yields each item once, told apart by its `id`.
            let item_schema = deref(doc, items).map_err(|e| format!("{ctx}: {e}"))?;
            if !requires_id(doc, item_schema) {
                return Err(format!(
                    "{ctx}: `page: envelope` needs `data` items with a required string `id` \
                     (a stream yields each id once): add it to the item schema in the YAML"
                ));
            }
            Some(PageShape::Envelope {
                item: rust_type_of_schema(items, replaced, &ctx)?,
            })
        }
        Some(other) => {
            return Err(format!(
                "{ctx}: `x-facade.page: {other}` is not a page shape; use `envelope` or \
                 `invitation-list`"
            ));
        }
    };

    let (handle_args, rest): (Vec<Field>, Vec<Field>) = path_args
        .into_iter()
        .partition(|f| handle_path.contains(&f.wire));
    for h in &handle_path {
        if !handle_args.iter().any(|f| &f.wire == h) {
            return Err(format!(
                "{ctx}: the handle {handle} holds `{h}`, which this operation's path lacks"
            ));
        }
    }
    let mut doc_text = String::new();
    if let Some(s) = str_of(op, "summary") {
        doc_text.push_str(s.trim().trim_end_matches('.'));
        doc_text.push('.');
    }
    let deprecated = (op.get("deprecated").and_then(Value::as_bool) == Some(true)).then(|| {
        str_of(facade, "deprecated")
            .unwrap_or("deprecated by Clerk")
            .to_string()
    });
    Ok(Op {
        snake: snake(&id),
        id,
        method: method.to_uppercase(),
        path: path.to_string(),
        doc: format!(
            "`{} {path}`: {doc_text}\n\n{}",
            method.to_uppercase(),
            str_of(op, "description").unwrap_or("").trim()
        ),
        deprecated,
        example: str_of(facade, "example").map(str::to_string),
        handle,
        handle_fields: handle_path,
        fn_name,
        builder,
        retry,
        path_args: handle_args.into_iter().chain(rest).collect(),
        query,
        fixed,
        body,
        response,
        page,
    })
}

pub fn object_fields(
    doc: &Value,
    schema: &Value,
    ctx: &str,
    owner: &str,
    enums: &mut Vec<OpenEnum>,
) -> Result<Vec<Field>, String> {
    if str_of(schema, "type").is_some_and(|t| t != "object") {
        return Err(format!(
            "{ctx}: its body must be an object or an array of objects"
        ));
    }
    let required = required_properties(schema);
    let mut fields = Vec::new();
    for (name, p) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let pctx = format!("{ctx}, body property `{name}`");
        let (ty, rules) = ty_of(doc, p, &pctx, &format!("{owner}{}", pascal(name)), enums)?;
        let described = deref(doc, p).unwrap_or(p);
        fields.push(Field {
            wire: name.clone(),
            ident: ident(name),
            ty,
            rules,
            required: required.contains(&name.as_str()),
            doc: str_of(p, "description")
                .or(str_of(described, "description"))
                .unwrap_or("")
                .to_string(),
        });
    }
    // Required fields first, in the order `required` lists them: they are the arguments.
    fields.sort_by_key(|f| {
        required
            .iter()
            .position(|r| *r == f.wire)
            .unwrap_or(usize::MAX)
    });
    Ok(fields)
}

/// The properties an object schema lists as `required`.
pub fn required_properties(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// Whether a schema, or one of its `allOf` parts, requires an `id` property.
fn requires_id(doc: &Value, schema: &Value) -> bool {
    required_properties(schema).contains(&"id")
        || schema
            .get("allOf")
            .and_then(Value::as_array)
            .is_some_and(|parts| {
                parts
                    .iter()
                    .filter_map(|p| deref(doc, p).ok())
                    .any(|p| requires_id(doc, p))
            })
}
