//! The crate's public limits, read from the spec rather than restated: the largest bulk
//! request (`maxItems` of the bulk bodies), the `limit` range of the lists and the
//! `expires_in_days` range of the creates. Every operation that states one must state the same
//! value, or the build fails naming the YAML.
//!
//! Shared by `build.rs` and the tests; depends on `serde_json` and the build's own modules.

use super::refs;
use super::tolerance::METHODS;
use serde_json::Value;

/// The generated constants, or why the spec does not give one value for each.
pub fn code(doc: &Value, files: &str) -> Result<String, String> {
    let mut bulk = Vec::new();
    let mut limit = Vec::new();
    let mut expires = Vec::new();
    // A `$ref` to what it names; anything else as it is.
    let resolve = |v: &Value| -> Value {
        v.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| refs::resolve(doc, r))
            .unwrap_or(v)
            .clone()
    };
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(m, _)| METHODS.contains(&m.as_str()))
        {
            let at = format!("{} {path}", method.to_uppercase());
            for p in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let p = resolve(p);
                if p.get("name").and_then(Value::as_str) == Some("limit")
                    && let Some(range) = range_of(&p["schema"])
                {
                    limit.push((range, at.clone()));
                }
            }
            let Some(body) = op.pointer("/requestBody/content/application~1json/schema") else {
                continue;
            };
            let body = resolve(body);
            let object = if body.get("type").and_then(Value::as_str) == Some("array") {
                if let Some(n) = body.get("maxItems").and_then(Value::as_u64) {
                    bulk.push((n, at.clone()));
                }
                resolve(&body["items"])
            } else {
                body
            };
            if let Some(range) = object
                .pointer("/properties/expires_in_days")
                .map(&resolve)
                .and_then(|s| range_of(&s))
            {
                expires.push((range, at.clone()));
            }
        }
    }
    let bulk = agreed(&bulk, "`maxItems` of the bulk bodies", files)?;
    let limit = agreed(&limit, "range of `limit`", files)?;
    let expires = agreed(&expires, "range of `expires_in_days`", files)?;
    Ok(format!(
        "\n/// The largest bulk request the service accepts (the spec's `maxItems` of the bulk bodies).\npub const MAX_BULK: usize = {bulk};\n\
         /// The `limit` range of the list operations (the spec's `minimum` and `maximum`).\npub const LIMIT_RANGE: ::std::ops::RangeInclusive<u32> = {}..={};\n\
         /// The `expires_in_days` range of the create operations (the spec's `minimum` and `maximum`).\npub const EXPIRES_IN_DAYS_RANGE: ::std::ops::RangeInclusive<u32> = {}..={};\n",
        limit.0, limit.1, expires.0, expires.1
    ))
}

/// `minimum..=maximum` of an integer schema that states both, within `u32`.
fn range_of(schema: &Value) -> Option<(u32, u32)> {
    let bound = |k: &str| u32::try_from(schema.get(k)?.as_u64()?).ok();
    Some((bound("minimum")?, bound("maximum")?))
}

/// The one value every operation states, or an error naming where they differ.
fn agreed<T: PartialEq + Copy + std::fmt::Debug>(
    found: &[(T, String)],
    what: &str,
    files: &str,
) -> Result<T, String> {
    let Some((first, at)) = found.first() else {
        return Err(format!("{files}: no operation states the {what}"));
    };
    match found.iter().find(|(v, _)| v != first) {
        None => Ok(*first),
        Some((other, other_at)) => Err(format!(
            "{files}: the {what} differ: {first:?} at {at}, {other:?} at {other_at}; make them \
             agree in the overlay"
        )),
    }
}
