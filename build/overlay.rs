//! OpenAPI Overlay (the subset the corrections use): `update`, `remove` and, from Overlay 1.1,
//! `copy`.
//!
//! Shared by `build.rs` and the tests (`tests/it/spec_build.rs` includes this file), so it
//! depends on `serde_json` alone.
//!
//! Rules beyond the Overlay specification, so that a correction can never be dropped or doubled
//! silently:
//! - an action whose target matches nothing is an error naming the action;
//! - arrays merge as a union: an item already present is not added again (an enum value that
//!   upstream has since added itself does not become a doubled variant);
//! - an `update` or `copy` that changes nothing, because upstream already says the same, is
//!   reported as no longer needed, naming the action.

use serde_json::Value;

/// What applying an overlay found worth saying, besides failing.
#[derive(Debug, Default)]
pub struct Report {
    /// One line per action that upstream has made unnecessary, naming the action.
    pub unnecessary: Vec<String>,
}

#[derive(Debug)]
enum Segment {
    Key(String),
    /// `[2]`: the element of an array at that position.
    Index(usize),
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
        } else if let Some(r) = rest.strip_prefix('[')
            && r.starts_with(|c: char| c.is_ascii_digit())
        {
            let end = r
                .find(']')
                .ok_or_else(|| format!("target `{target}`: unclosed `[`"))?;
            let index = r[..end]
                .parse()
                .map_err(|_| format!("target `{target}`: `[{}]` is not an index", &r[..end]))?;
            segments.push(Segment::Index(index));
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
                Segment::Index(i) => {
                    if node.as_array().is_some_and(|a| *i < a.len()) {
                        let mut s = steps.clone();
                        s.push(Step::Index(*i));
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

/// Overlay merge: objects merge recursively, arrays take the items they do not hold yet,
/// anything else is replaced. Returns whether `target` changed.
pub fn merge(target: &mut Value, update: &Value) -> bool {
    match (target, update) {
        (Value::Object(t), Value::Object(u)) => {
            let mut changed = false;
            for (k, v) in u {
                match t.get_mut(k) {
                    Some(existing) => changed |= merge(existing, v),
                    None => {
                        t.insert(k.clone(), v.clone());
                        changed = true;
                    }
                }
            }
            changed
        }
        (Value::Array(t), Value::Array(u)) => {
            let mut changed = false;
            for item in u {
                if !t.contains(item) {
                    t.push(item.clone());
                    changed = true;
                }
            }
            changed
        }
        (t, u) => {
            let changed = t != u;
            *t = u.clone();
            changed
        }
    }
}

/// Names an action in messages: its number, target and description.
fn describe(overlay_path: &str, n: usize, action: &Value) -> String {
    let target = action.get("target").and_then(Value::as_str).unwrap_or("?");
    let what = action
        .get("description")
        .and_then(Value::as_str)
        .map(|d| format!(" ({})", d.trim()))
        .unwrap_or_default();
    format!("{overlay_path}: action {n} on `{target}`{what}")
}

/// Applies `overlay` (a parsed Overlay document) to `doc`. `overlay_path` and `spec_path` only
/// name the files in messages.
pub fn apply(
    doc: &mut Value,
    overlay: &Value,
    overlay_path: &str,
    spec_path: &str,
) -> Result<Report, String> {
    let actions = overlay
        .get("actions")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{overlay_path}: no `actions` list"))?;
    let mut report = Report::default();
    for (i, action) in actions.iter().enumerate() {
        let n = i + 1;
        let name = describe(overlay_path, n, action);
        let target = action
            .get("target")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{overlay_path}: action {n} has no target"))?;
        let matches = select(
            doc,
            &parse_path(target).map_err(|e| format!("{name}: {e}"))?,
        );
        if matches.is_empty() {
            return Err(format!(
                "{name} matches nothing in {spec_path}. The upstream spec changed under this \
                 correction: check whether it is still needed and update the overlay (see \
                 openapi/README.md)."
            ));
        }
        let remove = action.get("remove").and_then(Value::as_bool) == Some(true);
        let update = match (action.get("update"), action.get("copy")) {
            (Some(_), Some(_)) => {
                return Err(format!("{name} has both `update` and `copy`: use one"));
            }
            (Some(u), None) => Some(u.clone()),
            (None, Some(source)) => {
                let source = source
                    .as_str()
                    .ok_or_else(|| format!("{name}: `copy` must be a JSONPath string"))?;
                let found = select(
                    doc,
                    &parse_path(source).map_err(|e| format!("{name}: {e}"))?,
                );
                match found.as_slice() {
                    [one] => lookup(doc, one).cloned(),
                    [] => {
                        return Err(format!(
                            "{name} copies from `{source}`, which matches nothing in {spec_path}"
                        ));
                    }
                    _ => {
                        return Err(format!(
                            "{name} copies from `{source}`, which matches {} nodes; it must \
                             match one",
                            found.len()
                        ));
                    }
                }
            }
            (None, None) if remove => None,
            (None, None) => {
                return Err(format!("{name} has none of `update`, `copy` or `remove`"));
            }
        };
        if let Some(update) = &update {
            for added in already_there(doc, target, update) {
                report.unnecessary.push(format!(
                    "{name} adds {added}, which {spec_path} now has: upstream caught up, and the \
                     local addition is no longer needed; keep only what the spec still lacks \
                     (such as the `x-facade` mapping)."
                ));
            }
        }
        let mut changed = false;
        // Remove from the last match backwards so array indices stay valid.
        for steps in matches.iter().rev() {
            if remove {
                let (last, parent) = steps
                    .split_last()
                    .ok_or_else(|| format!("{name}: cannot remove the root"))?;
                match (lookup_mut(doc, parent), last) {
                    (Some(Value::Object(m)), Step::Key(k)) => {
                        m.remove(k);
                    }
                    (Some(Value::Array(a)), Step::Index(i)) => {
                        a.remove(*i);
                    }
                    _ => return Err(format!("{name}: cannot remove `{target}`")),
                }
                changed = true;
            } else if let Some(update) = &update {
                let node = lookup_mut(doc, steps).ok_or("overlay target vanished")?;
                changed |= merge(node, update);
            }
        }
        if !changed {
            report.unnecessary.push(format!(
                "{name} changes nothing: {spec_path} already says the same. The correction is \
                 no longer needed; delete it."
            ));
        }
    }
    Ok(report)
}

/// What an addition to `paths` or a `components` section adds that the spec has already: the
/// operations (by path and method) and the components (by name).
fn already_there(doc: &Value, target: &str, update: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let Some(added) = update.as_object() else {
        return found;
    };
    if target == "$.paths" {
        for (path, item) in added {
            for (method, op) in item.as_object().into_iter().flatten() {
                let upstream = doc.pointer(&format!(
                    "/paths/{}/{method}",
                    path.replace('~', "~0").replace('/', "~1")
                ));
                if let (Some(up), Some(id)) = (upstream, op.get("operationId")) {
                    let same_id = up.get("operationId") == Some(id);
                    found.push(format!(
                        "operation `{}` ({} {path}){}",
                        id.as_str().unwrap_or("?"),
                        method.to_uppercase(),
                        if same_id {
                            ""
                        } else {
                            " under another operationId"
                        }
                    ));
                }
            }
        }
    } else if let Some(section) = target.strip_prefix("$.components.") {
        for name in added.keys() {
            if doc
                .pointer(&format!("/components/{section}/{name}"))
                .is_some()
            {
                found.push(format!("component `{section}.{name}`"));
            }
        }
    }
    found
}
