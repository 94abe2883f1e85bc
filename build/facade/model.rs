//! The facade's view of an operation, and the mapping of schemas to Rust types.

use super::super::enums::{self, OpenEnum, pascal};
use super::super::refs::resolve;
use super::OVERLAY;
use serde_json::Value;
use std::fmt::Write as _;

#[derive(Clone, Debug)]
pub enum Ty {
    Str,
    Enum(String),
    Int(&'static str),
    Bool,
    Object,
    Array(Box<Ty>),
}

#[derive(Clone, Debug, Default)]
pub struct Rules {
    pub email: bool,
    pub min_len: Option<u64>,
    pub max_len: Option<u64>,
    pub min: Option<i128>,
    pub max: Option<i128>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub wire: String,
    pub ident: String,
    pub ty: Ty,
    pub rules: Rules,
    pub required: bool,
    pub doc: String,
}

pub enum Body {
    None,
    Object(Vec<Field>),
    Array {
        item: String,
        arg: String,
        fields: Vec<Field>,
        rules: Rules,
    },
}

pub enum PageShape {
    Envelope { item: String },
    InvitationList,
}

pub struct Op {
    pub id: String,
    pub snake: String,
    pub method: String,
    pub path: String,
    pub doc: String,
    pub deprecated: Option<String>,
    pub example: Option<String>,
    pub handle: String,
    pub handle_fields: Vec<String>,
    pub fn_name: String,
    pub builder: String,
    pub retry: String,
    pub path_args: Vec<Field>,
    pub query: Vec<Field>,
    pub fixed: Vec<(String, String)>,
    pub body: Body,
    pub response: String,
    pub page: Option<PageShape>,
}

pub const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "gen", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "typeof", "unsized", "virtual", "yield", "try",
];

pub fn ident(wire: &str) -> String {
    let mut s: String = wire
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) || s.is_empty() {
        s.insert(0, '_');
    }
    if KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else {
        s
    }
}

pub fn bare(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

pub fn snake(pascal_id: &str) -> String {
    let mut out = String::new();
    for (i, c) in pascal_id.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            out.push('_');
        }
    }
    out
}

/// Singular and plural setter names of an array parameter.
pub fn singular_plural(wire: &str) -> (String, String) {
    let w = bare(&ident(wire)).to_string();
    if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
        let one = w.trim_end_matches('s').to_string();
        (one, w)
    } else if w.ends_with("us") || w.ends_with("ss") || w.ends_with('x') || w.ends_with("sh") {
        (w.clone(), format!("{w}es"))
    } else {
        (w.clone(), format!("{w}s"))
    }
}

/// Rust doc text from a spec description: every line behind `///`, indented.
pub fn doc_lines(text: &str, indent: &str) -> String {
    let mut out = String::new();
    for line in text.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            writeln!(out, "{indent}///").ok();
        } else {
            writeln!(out, "{indent}/// {line}").ok();
        }
    }
    out
}

pub fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

pub fn deref<'a>(doc: &'a Value, v: &'a Value) -> Result<&'a Value, String> {
    match str_of(v, "$ref") {
        Some(r) => resolve(doc, r).ok_or_else(|| format!("`$ref: '{r}'` points at nothing")),
        None => Ok(v),
    }
}

pub fn ty_of(
    doc: &Value,
    schema: &Value,
    ctx: &str,
    enum_name: &str,
    enums: &mut Vec<OpenEnum>,
) -> Result<(Ty, Rules), String> {
    let named = str_of(schema, "$ref").and_then(|r| r.strip_prefix("#/components/schemas/"));
    let schema = deref(doc, schema).map_err(|e| format!("{ctx}: {e}"))?;
    let mut rules = Rules {
        min_len: schema.get("minLength").and_then(Value::as_u64),
        max_len: schema.get("maxLength").and_then(Value::as_u64),
        min: schema
            .get("minimum")
            .and_then(Value::as_i64)
            .map(i128::from),
        max: schema
            .get("maximum")
            .and_then(Value::as_i64)
            .map(i128::from),
        min_items: schema.get("minItems").and_then(Value::as_u64),
        max_items: schema.get("maxItems").and_then(Value::as_u64),
        email: str_of(schema, "format") == Some("email"),
    };
    let kind = str_of(schema, "type").or(schema.get("enum").map(|_| "string"));
    let ty = match kind {
        Some("string") => match schema.get("enum").and_then(Value::as_array) {
            Some(values) => {
                let values: Vec<String> = values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                Ty::Enum(enums::register(
                    enums,
                    schema,
                    named.map(pascal).as_deref().unwrap_or(enum_name),
                    values,
                ))
            }
            None => Ty::Str,
        },
        Some("integer") => {
            let min = rules.min.unwrap_or(i128::MIN);
            let max = rules.max.unwrap_or(i128::MAX);
            if min >= 0 && max <= i128::from(u32::MAX) {
                Ty::Int("u32")
            } else if min >= 0 {
                Ty::Int("u64")
            } else {
                Ty::Int("i64")
            }
        }
        Some("boolean") => Ty::Bool,
        Some("object") => Ty::Object,
        Some("array") => {
            let items = schema
                .get("items")
                .ok_or_else(|| format!("{ctx}: an array schema without `items`"))?;
            let (inner, inner_rules) = ty_of(doc, items, ctx, enum_name, enums)?;
            if matches!(inner, Ty::Array(_)) {
                return Err(format!(
                    "{ctx}: arrays of arrays have no facade form; describe the parameter \
                     differently in {OVERLAY}"
                ));
            }
            rules.email = inner_rules.email;
            rules.min_len = inner_rules.min_len;
            rules.max_len = inner_rules.max_len;
            rules.min = inner_rules.min;
            rules.max = inner_rules.max;
            Ty::Array(Box::new(inner))
        }
        other => {
            return Err(format!(
                "{ctx}: the facade has no form for a schema of type {other:?} ({}). Give it a \
                 type the facade knows (string, integer, boolean, object or array) in {OVERLAY}",
                serde_json::to_string(schema).unwrap_or_default()
            ));
        }
    };
    Ok((ty, rules))
}

/// The Rust type a field is stored as.
pub fn storage(ty: &Ty) -> String {
    match ty {
        Ty::Str => "::std::string::String".into(),
        Ty::Enum(n) => format!("crate::models::{n}"),
        Ty::Int(t) => (*t).into(),
        Ty::Bool => "bool".into(),
        Ty::Object => "::serde_json::Value".into(),
        Ty::Array(inner) => format!("::std::vec::Vec<{}>", storage(inner)),
    }
}

/// The argument type a setter takes for one value, and the expression that stores it.
pub fn arg(ty: &Ty, name: &str) -> (String, String) {
    match ty {
        Ty::Str => (
            "impl ::std::convert::Into<::std::string::String>".into(),
            format!("{name}.into()"),
        ),
        Ty::Enum(n) => (
            format!("impl ::std::convert::Into<crate::models::{n}>"),
            format!("{name}.into()"),
        ),
        Ty::Object => (
            "impl ::std::convert::Into<::serde_json::Value>".into(),
            format!("{name}.into()"),
        ),
        Ty::Array(inner) => {
            let (a, _) = arg(inner, "x");
            let conv = match **inner {
                Ty::Int(_) | Ty::Bool => "x".to_string(),
                _ => "x.into()".to_string(),
            };
            (
                format!("impl ::std::iter::IntoIterator<Item = {a}>").replace("impl impl", "impl"),
                format!("{name}.into_iter().map(|x| {conv}).collect()"),
            )
        }
        other => (storage(other), name.to_string()),
    }
}
