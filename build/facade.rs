//! Generates the facade's per-operation request builders from the corrected spec.
//!
//! Every operation carries an `x-facade` mapping (set in the overlay) that says what the spec
//! cannot: the handle and method it hangs from, its retry class, and how its answer becomes a
//! [`Page`]. Everything else comes from the spec: one setter per query parameter and body
//! property, named after it and documented with its description; required path parameters and
//! body properties as the method's arguments; checks made before sending from the schema's
//! constraints; string enums as open enums.

use super::enums::{self, OpenEnum, pascal};
use super::refs::resolve;
use super::tolerance::METHODS;
use serde_json::Value;
use std::fmt::Write as _;

const OVERLAY: &str = "openapi/corrections.overlay.yaml";

/// The hand-written handles (`src/handles.rs`) operations hang from, with the path parameters
/// each one holds and how a `clerk` reaches it (the path parameters taken by name).
const HANDLES: &[(&str, &[&str], &str)] = &[
    ("Invitations", &[], "clerk.invitations()"),
    (
        "OrganizationInvitations",
        &["organization_id"],
        "clerk.organization(organization_id).invitations()",
    ),
    (
        "InstanceOrganizationInvitations",
        &[],
        "clerk.organization_invitations()",
    ),
    (
        "UserOrganizationInvitations",
        &["user_id"],
        "clerk.user(user_id).organization_invitations()",
    ),
];

/// The retry classes (`src/settle.rs`), with what each one needs.
const RETRY_CLASSES: &[&str] = &[
    "idempotent",
    "organization-create",
    "create-settled-by-lookup",
    "revoke-invitation",
    "revoke-organization-invitation",
];

#[derive(Clone, Debug)]
enum Ty {
    Str,
    Enum(String),
    Int(&'static str),
    Bool,
    Object,
    Array(Box<Ty>),
}

#[derive(Clone, Debug, Default)]
struct Rules {
    email: bool,
    min_len: Option<u64>,
    max_len: Option<u64>,
    min: Option<i128>,
    max: Option<i128>,
    min_items: Option<u64>,
    max_items: Option<u64>,
}

#[derive(Clone, Debug)]
struct Field {
    wire: String,
    ident: String,
    ty: Ty,
    rules: Rules,
    required: bool,
    doc: String,
}

enum Body {
    None,
    Object(Vec<Field>),
    Array {
        item: String,
        arg: String,
        fields: Vec<Field>,
        rules: Rules,
    },
}

enum PageShape {
    Envelope { item: String },
    InvitationList,
}

struct Op {
    id: String,
    snake: String,
    method: String,
    path: String,
    doc: String,
    deprecated: Option<String>,
    example: Option<String>,
    handle: String,
    handle_fields: Vec<String>,
    fn_name: String,
    builder: String,
    retry: String,
    path_args: Vec<Field>,
    query: Vec<Field>,
    fixed: Vec<(String, String)>,
    body: Body,
    response: String,
    page: Option<PageShape>,
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "gen", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "typeof", "unsized", "virtual", "yield", "try",
];

fn ident(wire: &str) -> String {
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

fn bare(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

fn snake(pascal_id: &str) -> String {
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
fn singular_plural(wire: &str) -> (String, String) {
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
fn doc_lines(text: &str, indent: &str) -> String {
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

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn deref<'a>(doc: &'a Value, v: &'a Value) -> Result<&'a Value, String> {
    match str_of(v, "$ref") {
        Some(r) => resolve(doc, r).ok_or_else(|| format!("`$ref: '{r}'` points at nothing")),
        None => Ok(v),
    }
}

fn ty_of(
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
fn storage(ty: &Ty) -> String {
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
fn arg(ty: &Ty, name: &str) -> (String, String) {
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

fn rules_doc(f: &Field) -> String {
    let r = &f.rules;
    let mut parts = Vec::new();
    if r.email {
        parts.push("an email address".to_string());
    }
    match (r.min, r.max) {
        (Some(a), Some(b)) => parts.push(format!("{a} to {b}")),
        (Some(a), None) => parts.push(format!("at least {a}")),
        (None, Some(b)) => parts.push(format!("at most {b}")),
        _ => {}
    }
    if r.min_len == Some(1) && r.max_len.is_none() {
        parts.push("not empty".into());
    } else if r.min_len.is_some() || r.max_len.is_some() {
        parts.push(format!(
            "{} to {} characters",
            r.min_len.unwrap_or(0),
            r.max_len
                .map_or("any number of".to_string(), |m| m.to_string())
        ));
    }
    if let Ty::Enum(n) = &f.ty {
        parts.push(format!("one of [`{n}::KNOWN`](crate::models::{n}::KNOWN)"));
    }
    if matches!(f.ty, Ty::Object) {
        parts.push("a JSON object".into());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("\n\nChecked before sending: {}.", parts.join("; "))
    }
}

/// Statements that check one value, `v` (a reference), named `name_expr` in errors.
fn check_value(ty: &Ty, rules: &Rules, v: &str, name_expr: &str) -> String {
    let mut out = String::new();
    match ty {
        Ty::Str => {
            if rules.email {
                writeln!(out, "crate::validate::email({name_expr}, {v})?;").ok();
            }
            if rules.min_len.is_some() || rules.max_len.is_some() {
                writeln!(
                    out,
                    "crate::validate::length({name_expr}, {v}, {:?}, {:?})?;",
                    rules.min_len, rules.max_len
                )
                .ok();
            }
        }
        Ty::Enum(_) => {
            writeln!(
                out,
                "crate::validate::known({name_expr}, {v}.is_known(), {v}.as_str(), {v}_known)?;"
            )
            .ok();
        }
        Ty::Int(_) => {
            if rules.min.is_some() || rules.max.is_some() {
                writeln!(
                    out,
                    "crate::validate::bounds({name_expr}, i128::from(*{v}), {:?}, {:?})?;",
                    rules.min, rules.max
                )
                .ok();
            }
        }
        Ty::Object => {
            writeln!(out, "crate::validate::object({name_expr}, {v})?;").ok();
        }
        Ty::Bool | Ty::Array(_) => {}
    }
    out
}

/// Checks of a field held as `expr` (by its storage: `Option`, `Vec` or the value).
fn check_field(f: &Field, expr: &str, name_expr: &str) -> String {
    let known = |t: &Ty| match t {
        Ty::Enum(n) => format!("crate::models::{n}::KNOWN"),
        _ => String::new(),
    };
    let body = |ty: &Ty, v: &str| {
        let s = check_value(ty, &f.rules, v, name_expr);
        s.replace(&format!("{v}_known"), &known(ty))
    };
    match &f.ty {
        Ty::Array(inner) => {
            let mut out = String::new();
            if f.rules.min_items.is_some() || f.rules.max_items.is_some() {
                writeln!(
                    out,
                    "crate::validate::items({name_expr}, {expr}.len(), {:?}, {:?})?;",
                    f.rules.min_items, f.rules.max_items
                )
                .ok();
            }
            let inner_check = body(inner, "v");
            if !inner_check.is_empty() {
                writeln!(out, "for v in &{expr} {{ {inner_check} }}").ok();
            }
            out
        }
        ty => {
            let inner = body(ty, "v");
            if inner.is_empty() {
                String::new()
            } else if f.required {
                format!("{{ let v = &{expr}; {inner} }}\n")
            } else {
                format!("if let Some(v) = &{expr} {{ {inner} }}\n")
            }
        }
    }
}

/// Query pairs for one field held as `expr`.
fn query_push(f: &Field, expr: &str) -> String {
    let to_string = |ty: &Ty, v: &str| match ty {
        Ty::Str => format!("{v}.clone()"),
        Ty::Enum(_) => format!("{v}.as_str().to_string()"),
        _ => format!("{v}.to_string()"),
    };
    let wire = &f.wire;
    match &f.ty {
        Ty::Array(inner) => format!(
            "for v in &{expr} {{ query.push(({wire:?}, {})); }}\n",
            to_string(inner, "v")
        ),
        ty if f.required => format!(
            "query.push(({wire:?}, {}));\n",
            to_string(ty, &format!("(&{expr})"))
        ),
        ty => format!(
            "if let Some(v) = &{expr} {{ query.push(({wire:?}, {})); }}\n",
            to_string(ty, "v")
        ),
    }
}

fn field_storage(f: &Field) -> String {
    match (&f.ty, f.required) {
        (Ty::Array(_), _) | (_, true) => storage(&f.ty),
        (ty, false) => format!("::std::option::Option<{}>", storage(ty)),
    }
}

fn serde_attrs(f: &Field) -> String {
    let mut attrs = Vec::new();
    if bare(&f.ident) != f.wire {
        attrs.push(format!("rename = {:?}", f.wire));
    }
    match (&f.ty, f.required) {
        (Ty::Array(_), false) => {
            attrs.push("skip_serializing_if = \"::std::vec::Vec::is_empty\"".into())
        }
        (_, false) => attrs.push("skip_serializing_if = \"::std::option::Option::is_none\"".into()),
        _ => {}
    }
    if attrs.is_empty() {
        String::new()
    } else {
        format!("#[serde({})]", attrs.join(", "))
    }
}

/// Setters for optional fields stored at `place` (for example `self.body.`).
fn setters(fields: &[Field], place: &str, out: &mut String) {
    for f in fields.iter().filter(|f| !f.required) {
        let doc = doc_lines(&format!("{}{}", f.doc, rules_doc(f)), "    ");
        let id = &f.ident;
        match &f.ty {
            Ty::Array(inner) => {
                let (one, many) = singular_plural(&f.wire);
                let (a, conv) = arg(inner, "value");
                let (aa, conv_many) = arg(&f.ty, "values");
                write!(
                    out,
                    "{doc}    ///\n    /// Adds one value; call again to add more (sent as repeated `{wire}=` keys), or use \
                     [`{many}`](Self::{many}).\n    pub fn {one}(mut self, value: {a}) -> Self {{\n        {place}{id}.push({conv});\n        self\n    }}\n\n",
                    wire = f.wire
                )
                .ok();
                write!(
                    out,
                    "    /// Adds several values of `{wire}` at once; see [`{one}`](Self::{one}).\n    pub fn {many}(mut self, values: {aa}) -> Self {{\n        let values: {st} = {conv_many};\n        {place}{id}.extend(values);\n        self\n    }}\n\n",
                    wire = f.wire,
                    st = storage(&f.ty)
                )
                .ok();
            }
            ty => {
                let (a, conv) = arg(ty, "value");
                write!(
                    out,
                    "{doc}    pub fn {b}(mut self, value: {a}) -> Self {{\n        {place}{id} = Some({conv});\n        self\n    }}\n\n",
                    b = bare(id)
                )
                .ok();
                if bare(id) != id {
                    // A keyword name: the raw identifier is the setter.
                }
            }
        }
    }
}

/// A body struct (private for one object body, public for the items of an array body).
fn body_struct(name: &str, fields: &[Field], public: bool, doc: &str, out: &mut String) {
    let vis = if public { "pub " } else { "" };
    out.push_str(doc);
    writeln!(
        out,
        "#[derive(Clone, Debug, PartialEq, ::serde::Serialize)]\n{}{vis}struct {name} {{",
        if public { "#[must_use]\n" } else { "" }
    )
    .ok();
    for f in fields {
        writeln!(
            out,
            "    {}\n    {}: {},",
            serde_attrs(f),
            f.ident,
            field_storage(f)
        )
        .ok();
    }
    out.push_str("}\n\n");
    writeln!(out, "impl {name} {{").ok();
    writeln!(
        out,
        "    fn check(&self, prefix: &str) -> crate::Result<()> {{\n        let _ = prefix;"
    )
    .ok();
    for f in fields {
        let name_expr = format!("&format!(\"{{prefix}}{}\")", f.wire);
        out.push_str(&check_field(f, &format!("self.{}", f.ident), &name_expr));
    }
    out.push_str("        Ok(())\n    }\n");
    if public {
        let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
        let args: Vec<String> = required
            .iter()
            .map(|f| format!("{}: {}", f.ident, arg(&f.ty, "").0))
            .collect();
        let init: Vec<String> = fields
            .iter()
            .map(|f| {
                if f.required {
                    format!("{}: {}", f.ident, arg(&f.ty, &f.ident).1)
                } else {
                    format!("{}: ::std::default::Default::default()", f.ident)
                }
            })
            .collect();
        let names: Vec<String> = required.iter().map(|f| format!("`{}`", f.wire)).collect();
        writeln!(
            out,
            "    /// A new item with its required fields ({}); the service's defaults for the rest.\n    pub fn new({}) -> Self {{\n        {name} {{ {} }}\n    }}\n",
            names.join(", "),
            args.join(", "),
            init.join(", ")
        )
        .ok();
        for f in &required {
            if let Ty::Str = f.ty {
                writeln!(
                    out,
                    "    /// The `{}` this item was made with.\n    pub fn {}(&self) -> &str {{\n        &self.{}\n    }}\n",
                    f.wire,
                    bare(&f.ident),
                    f.ident
                )
                .ok();
            }
        }
        setters(fields, "self.", out);
    }
    out.push_str("}\n\n");
}

fn handle_fields(handle: &str) -> Option<Vec<String>> {
    HANDLES
        .iter()
        .find(|(h, _, _)| *h == handle)
        .map(|(_, f, _)| f.iter().map(|s| s.to_string()).collect())
}

fn mapping_hint(method: &str, path: &str, id: &str) -> String {
    format!(
        "Add its mapping to {OVERLAY}:\n\n  - target: $.paths['{path}'].{method}\n    update:\n      x-facade:\n        on: Invitations            # the handle: {}\n        method: {}\n        retry: idempotent          # one of: {}\n\nand see openapi/README.md.",
        HANDLES.iter().map(|h| h.0).collect::<Vec<_>>().join(", "),
        snake(id),
        RETRY_CLASSES.join(", ")
    )
}

fn rust_type_of_schema(
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

fn parse_op(
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

fn object_fields(
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
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
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

/// The facade's generated code: builders, the handles' methods, and the by-name setter the
/// spec-driven tests use.
pub fn generate(
    doc: &Value,
    enums: &mut Vec<OpenEnum>,
    replaced: &[(&str, &str)],
) -> Result<String, String> {
    let mut ops = Vec::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            if METHODS.contains(&method.as_str()) {
                ops.push(parse_op(doc, path, method, item, op, enums, replaced)?);
            }
        }
    }
    let mut seen: Vec<(String, String)> = Vec::new();
    for op in &ops {
        let key = (op.handle.clone(), op.fn_name.clone());
        if seen.contains(&key) {
            return Err(format!(
                "two operations map to {}::{} in {OVERLAY}: give one another `x-facade.method`",
                op.handle, op.fn_name
            ));
        }
        seen.push(key);
    }
    let mut out = String::new();
    for op in &ops {
        emit(op, &mut out)?;
    }
    emit_spec_setters(&ops, &mut out);
    Ok(out)
}

fn emit(op: &Op, out: &mut String) -> Result<(), String> {
    let b = &op.builder;
    let body_fields: &[Field] = match &op.body {
        Body::Object(f) => f,
        Body::Array { fields, .. } => fields,
        Body::None => &[],
    };
    // Setter names must not collide.
    let mut names: Vec<String> = Vec::new();
    for f in op
        .query
        .iter()
        .chain(if matches!(op.body, Body::Object(_)) {
            body_fields
        } else {
            &[]
        })
    {
        let n = bare(&f.ident).to_string();
        if names.contains(&n) {
            return Err(format!(
                "operation {}: two parameters are named `{n}`; the facade cannot give both a \
                 setter",
                op.id
            ));
        }
        names.push(n);
    }

    // Item type of an array body.
    if let Body::Array { item, fields, .. } = &op.body {
        let doc = format!(
            "/// One item of [`{b}`]: the fields of each element of the `{} {}` body.\n",
            op.method, op.path
        );
        body_struct(item, fields, true, &doc, out);
    }
    if let Body::Object(fields) = &op.body {
        body_struct(&format!("{b}Body"), fields, false, "", out);
    }

    // The builder.
    let ret = match &op.page {
        Some(PageShape::Envelope { item }) => format!("crate::Page<{item}>"),
        Some(PageShape::InvitationList) => {
            "crate::Page<crate::generated::types::Invitation>".into()
        }
        None => op.response.clone(),
    };
    write!(
        out,
        "/// `{} {}`. Made by [`{}::{}`](crate::{}::{}); send it with `.send()`, \
         `.send_with_http_info()` or `.await`.\n#[derive(Clone, Debug)]\n#[must_use = \"a request does nothing until it is sent or awaited\"]\npub struct {b} {{\n    clerk: crate::Clerk,\n    opts: crate::request::RequestOptions,\n",
        op.method, op.path, op.handle, op.fn_name, op.handle, op.fn_name
    )
    .ok();
    for f in &op.path_args {
        writeln!(out, "    {}: ::std::string::String,", f.ident).ok();
    }
    for f in &op.query {
        writeln!(out, "    {}: {},", f.ident, field_storage(f)).ok();
    }
    match &op.body {
        Body::Object(_) => writeln!(out, "    body: {b}Body,").ok(),
        Body::Array { item, .. } => writeln!(out, "    items: ::std::vec::Vec<{item}>,").ok(),
        Body::None => None,
    };
    out.push_str("}\n\n");

    // The handle's method.
    let mut args = Vec::new();
    let mut init = vec![
        "clerk: self.clerk.clone()".to_string(),
        "opts: ::std::default::Default::default()".to_string(),
    ];
    for f in &op.path_args {
        if op.handle_fields.contains(&f.wire) {
            init.push(format!("{}: self.{}.clone()", f.ident, f.ident));
        } else {
            args.push(format!(
                "{}: impl ::std::convert::Into<::std::string::String>",
                f.ident
            ));
            init.push(format!("{}: {}.into()", f.ident, f.ident));
        }
    }
    for f in &op.query {
        if f.required && !matches!(f.ty, Ty::Array(_)) {
            args.push(format!("{}: {}", f.ident, arg(&f.ty, "").0));
            init.push(format!("{}: {}", f.ident, arg(&f.ty, &f.ident).1));
        } else {
            init.push(format!("{}: ::std::default::Default::default()", f.ident));
        }
    }
    match &op.body {
        Body::Object(fields) => {
            let mut body_init = Vec::new();
            for f in fields {
                if f.required {
                    args.push(format!("{}: {}", f.ident, arg(&f.ty, "").0));
                    body_init.push(format!("{}: {}", f.ident, arg(&f.ty, &f.ident).1));
                } else {
                    body_init.push(format!("{}: ::std::default::Default::default()", f.ident));
                }
            }
            init.push(format!("body: {b}Body {{ {} }}", body_init.join(", ")));
        }
        Body::Array { item, arg: a, .. } => {
            args.push(format!(
                "{a}: impl ::std::iter::IntoIterator<Item = {item}>"
            ));
            init.push(format!("items: {a}.into_iter().collect()"));
        }
        Body::None => {}
    }
    let example = op
        .example
        .as_deref()
        .map(|e| {
            let mut s = String::from("\n\n```no_run\n# #![allow(deprecated)]\n# async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {\n");
            s.push_str(e.trim_end());
            s.push_str("\n# Ok(()) }\n```");
            s
        })
        .unwrap_or_default();
    let deprecated = op
        .deprecated
        .as_deref()
        .map(|n| format!("    #[deprecated(note = {n:?})]\n"))
        .unwrap_or_default();
    write!(
        out,
        "impl crate::handles::{} {{\n{}{deprecated}    pub fn {}(&self{}) -> {b} {{\n        {b} {{ {} }}\n    }}\n}}\n\n",
        op.handle,
        doc_lines(&format!("{}{example}", op.doc), "    "),
        op.fn_name,
        args.iter().map(|a| format!(", {a}")).collect::<String>(),
        init.join(", ")
    )
    .ok();

    // Setters and send.
    writeln!(out, "impl {b} {{").ok();
    setters(&op.query, "self.", out);
    if let Body::Object(fields) = &op.body {
        setters(fields, "self.body.", out);
    }
    let mut checks = String::new();
    for f in &op.path_args {
        writeln!(
            checks,
            "crate::validate::path_id({:?}, &self.{})?;",
            f.wire, f.ident
        )
        .ok();
    }
    for f in &op.query {
        checks.push_str(&check_field(
            f,
            &format!("self.{}", f.ident),
            &format!("{:?}", f.wire),
        ));
    }
    match &op.body {
        Body::Object(_) => checks.push_str("self.body.check(\"\")?;\n"),
        Body::Array { arg: a, rules, .. } => {
            writeln!(
                checks,
                "crate::validate::items({a:?}, self.items.len(), {:?}, {:?})?;\nfor (i, item) in self.items.iter().enumerate() {{ item.check(&format!(\"{a}[{{i}}].\"))?; }}",
                rules.min_items, rules.max_items
            )
            .ok();
        }
        Body::None => {}
    }
    // The path, with each parameter percent-encoded inside its segment.
    let mut fmt = op.path.clone();
    let mut fmt_args = Vec::new();
    for f in &op.path_args {
        fmt = fmt.replace(&format!("{{{}}}", f.wire), "{}");
        fmt_args.push(format!("crate::request::segment(&self.{})", f.ident));
    }
    let mut query = String::from(
        "let mut query: ::std::vec::Vec<(&'static str, ::std::string::String)> = ::std::vec::Vec::new();\n",
    );
    for (k, v) in &op.fixed {
        writeln!(query, "query.push(({k:?}, {v:?}.to_string()));").ok();
    }
    for f in &op.query {
        query.push_str(&query_push(f, &format!("self.{}", f.ident)));
    }
    let body = match &op.body {
        Body::Object(_) => "Some(crate::request::json_body(&self.body)?)",
        Body::Array { .. } => "Some(crate::request::json_body(&self.items)?)",
        Body::None => "None",
    };
    let email_of = |what: &str| -> Result<(), String> {
        if body_fields
            .iter()
            .any(|f| f.wire == "email_address" && f.required && matches!(f.ty, Ty::Str))
        {
            Ok(())
        } else {
            Err(format!(
                "operation {}: `retry: {what}` needs a required string body property `email_address`",
                op.id
            ))
        }
    };
    let has_path = |name: &str| -> Result<(), String> {
        if op.path_args.iter().any(|f| f.wire == name) {
            Ok(())
        } else {
            Err(format!(
                "operation {}: `retry: {}` needs the path parameter `{name}`",
                op.id, op.retry
            ))
        }
    };
    let operation = match op.retry.as_str() {
        "idempotent" | "organization-create" => {
            format!("crate::retry::Operation::idempotent({:?})", op.snake)
        }
        "create-settled-by-lookup" => {
            email_of(&op.retry)?;
            match &op.body {
                Body::Array { .. } => format!(
                    "crate::settle::create_invitations(&self.clerk, {:?}, self.items.iter().map(|i| i.email_address.clone()).collect())",
                    op.snake
                ),
                _ => format!(
                    "crate::settle::create_invitation(&self.clerk, {:?}, self.body.email_address.clone())",
                    op.snake
                ),
            }
        }
        "revoke-invitation" => {
            has_path("invitation_id")?;
            format!(
                "crate::settle::revoke_invitation(&self.clerk, {:?}, self.invitation_id.clone())",
                op.snake
            )
        }
        "revoke-organization-invitation" => {
            has_path("invitation_id")?;
            has_path("organization_id")?;
            format!(
                "crate::settle::revoke_organization_invitation(&self.clerk, {:?}, self.organization_id.clone(), self.invitation_id.clone())",
                op.snake
            )
        }
        other => return Err(format!("operation {}: unknown retry class {other}", op.id)),
    };
    let has_offset = op
        .query
        .iter()
        .any(|f| f.wire == "offset" && matches!(f.ty, Ty::Int(_)));
    let offset_expr = if has_offset {
        "self.offset.map(u64::from).unwrap_or(0)"
    } else {
        "0"
    };
    let finish = match &op.page {
        Some(PageShape::Envelope { .. }) => format!(
            "let offset = {offset_expr};\n        Ok(response.map(|p| crate::Page::new(p.data, u64::try_from(p.total_count).ok(), offset)))"
        ),
        Some(PageShape::InvitationList) => format!(
            "let offset = {offset_expr};\n        Ok(response.map(|body| match body {{\n            crate::models::InvitationList::Page(p) => crate::Page::new(p.data, u64::try_from(p.total_count).ok(), offset),\n            crate::models::InvitationList::Array(items) => crate::Page::new(items, None, offset),\n        }}))"
        ),
        None => "Ok(response)".into(),
    };
    let method_const = op.method.clone();
    write!(
        out,
        "    /// Sends the request; returns the answer with the HTTP status and headers.\n    ///\n    /// # Errors\n    /// Invalid input, with nothing sent: a value that breaks a rule of the spec (each rule \
         is named on its setter), an empty id or one that is `.` or `..`. Otherwise an API \
         error, a transport failure, a timeout or an undecodable answer: see \
         [`Error`](crate::Error).\n    pub async fn send_with_http_info(self) -> crate::Result<crate::Response<{ret}>> {{\n        {checks}\n        let path = format!({fmt:?}{});\n        {query}\n        let wire = crate::request::Wire {{ method: ::reqwest::Method::{method_const}, path, query, body: {body} }};\n        let op = {operation};\n        let response: crate::Response<{resp}> = crate::request::execute_wire(&self.clerk, &self.opts, op, &wire).await?;\n        {finish}\n    }}\n",
        fmt_args.iter().map(|a| format!(", {a}")).collect::<String>(),
        resp = op.response
    )
    .ok();

    // A stream over every page.
    let limit = op.query.iter().find(|f| f.wire == "limit");
    if let (Some(page), Some(limit), true) = (&op.page, limit, has_offset) {
        let item = match page {
            PageShape::Envelope { item } => item.clone(),
            PageShape::InvitationList => "crate::generated::types::Invitation".into(),
        };
        if !matches!(limit.ty, Ty::Int("u32")) {
            return Err(format!(
                "operation {}: a paged list needs `limit` with a maximum that fits 32 bits",
                op.id
            ));
        }
        let offset_ty = op
            .query
            .iter()
            .find(|f| f.wire == "offset")
            .map(|f| storage(&f.ty))
            .unwrap_or_default();
        let offset_conv = if offset_ty == "u64" {
            "Ok::<u64, crate::Error>(offset)"
        } else {
            "crate::page::offset_u32(offset)"
        };
        write!(
            out,
            "\n    /// Every matching item, fetched page by page (pages of `limit`, default \
             {{DEFAULT_STREAM_PAGE_SIZE}}) as the stream is polled; stops after the last page.\n    ///\n    /// Pages are read by offset: revoking, deleting or creating items of this list while \
             reading it shifts the later pages and skips or repeats items. To act on what a \
             list holds, collect it first (`try_collect`), then act.\n    ///\n    /// ```no_run\n    /// # async fn demo(b: clerk_invitations::{b}) -> clerk_invitations::Result<()> {{\n    /// use clerk_invitations::prelude::*;\n    /// let all: Vec<_> = b.stream().try_collect().await?;\n    /// # Ok(()) }}\n    /// ```\n    pub fn stream(self) -> impl ::futures_core::Stream<Item = crate::Result<{item}>> + Send + 'static {{\n        let limit = self.limit.unwrap_or(crate::DEFAULT_STREAM_PAGE_SIZE);\n        let start = self.offset.map(u64::from).unwrap_or(0);\n        crate::page::paginate(start, limit, move |offset, limit| {{\n            let mut req = self.clone();\n            req.limit = Some(limit);\n            let offset = {offset_conv};\n            async move {{\n                req.offset = Some(offset?);\n                req.send().await\n            }}\n        }})\n    }}\n"
        )
        .ok();
    }
    out.push_str("}\n");
    writeln!(out, "crate::request::request_builder!({b} => {ret});\n").ok();
    Ok(())
}

/// `__spec::send`: every operation made and every parameter set by its name, for the tests
/// that check, from the spec alone, that every parameter reaches the wire.
fn emit_spec_setters(ops: &[Op], out: &mut String) {
    let mut arms = String::new();
    for op in ops {
        let b = &op.builder;
        let mut make_args = Vec::new();
        for f in &op.path_args {
            if !op.handle_fields.contains(&f.wire) {
                make_args.push(format!(
                    "take::<::std::string::String>(&mut values, {:?})?",
                    f.wire
                ));
            }
        }
        for f in &op.query {
            if f.required && !matches!(f.ty, Ty::Array(_)) {
                make_args.push(format!(
                    "take::<{}>(&mut values, {:?})?",
                    storage(&f.ty),
                    f.wire
                ));
            }
        }
        let mut item_code = String::new();
        match &op.body {
            Body::Object(fields) => {
                for f in fields.iter().filter(|f| f.required) {
                    make_args.push(format!(
                        "take::<{}>(&mut values, {:?})?",
                        storage(&f.ty),
                        f.wire
                    ));
                }
            }
            Body::Array {
                item,
                arg: a,
                fields,
                ..
            } => {
                let req_args: Vec<String> = fields
                    .iter()
                    .filter(|f| f.required)
                    .map(|f| format!("take::<{}>(&mut v, {:?})?", storage(&f.ty), f.wire))
                    .collect();
                let mut sets = String::new();
                for f in fields.iter().filter(|f| !f.required) {
                    let setter = match &f.ty {
                        Ty::Array(_) => singular_plural(&f.wire).1,
                        _ => bare(&f.ident).to_string(),
                    };
                    writeln!(sets, "if v.contains_key({:?}) {{ it = it.{setter}(take::<{}>(&mut v, {:?})?); }}", f.wire, storage(&f.ty), f.wire).ok();
                }
                write!(
                    item_code,
                    "let list = take::<::std::vec::Vec<::serde_json::Map<::std::string::String, ::serde_json::Value>>>(&mut values, {a:?})?;\n let mut items = ::std::vec::Vec::new();\n for mut v in list {{ let mut it = {item}::new({}); {sets} if let Some(k) = v.keys().next() {{ return Err(format!(\"{item} has no field `{{k}}`\")); }} items.push(it); }}\n",
                    req_args.join(", ")
                )
                .ok();
                make_args.push("items".into());
            }
            Body::None => {}
        }
        let mut handle_make = HANDLES
            .iter()
            .find(|(h, _, _)| *h == op.handle)
            .map(|(_, _, make)| make.to_string())
            .unwrap_or_default();
        for f in &op.handle_fields {
            handle_make = handle_make.replace(
                &format!("({f})"),
                &format!("(take::<::std::string::String>(&mut values, {f:?})?)"),
            );
        }
        let mut sets = String::new();
        let opt_fields: Vec<&Field> = op
            .query
            .iter()
            .filter(|f| !f.required || matches!(f.ty, Ty::Array(_)))
            .chain(match &op.body {
                Body::Object(f) => f.iter().filter(|f| !f.required).collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .collect();
        for f in opt_fields {
            let setter = match &f.ty {
                Ty::Array(_) => singular_plural(&f.wire).1,
                _ => bare(&f.ident).to_string(),
            };
            writeln!(sets, "if values.contains_key({:?}) {{ b = b.{setter}(take::<{}>(&mut values, {:?})?); }}", f.wire, storage(&f.ty), f.wire).ok();
        }
        write!(
            arms,
            "        {:?} => {{\n            let handle = {handle_make};\n            {item_code}\n            #[allow(unused_mut)]\n            let mut b: {b} = handle.{}({});\n            {sets}\n            if let Some(k) = values.keys().next() {{ return Err(format!(\"{} has no parameter `{{k}}`\")); }}\n            Ok(b.with_retry(crate::RetryPolicy::none()).send_with_http_info().await.map(|_| ()))\n        }}\n",
            op.id,
            op.fn_name,
            make_args.join(", "),
            op.id
        )
        .ok();
    }
    write!(
        out,
        "/// For the spec-driven tests: not part of the API.\n#[doc(hidden)]\npub mod __spec {{\n    #![allow(deprecated, unused_mut, clippy::all)]\n    use super::*;\n\n    fn take<T: ::serde::de::DeserializeOwned>(values: &mut ::serde_json::Map<::std::string::String, ::serde_json::Value>, name: &str) -> ::std::result::Result<T, ::std::string::String> {{\n        let v = values.remove(name).ok_or_else(|| format!(\"no value for `{{name}}`\"))?;\n        ::serde_json::from_value(v).map_err(|e| format!(\"`{{name}}`: {{e}}\"))\n    }}\n\n    /// Makes operation `operation_id` through the facade, sets every value of `values` (by \
         its name in the spec; an array body under its `x-facade.items_argument`) and sends it \
         once. `Err` when a value has no setter.\n    pub async fn send(clerk: &crate::Clerk, operation_id: &str, mut values: ::serde_json::Map<::std::string::String, ::serde_json::Value>) -> ::std::result::Result<crate::Result<()>, ::std::string::String> {{\n        match operation_id {{\n{arms}        other => Err(format!(\"no operation {{other}}\")),\n        }}\n    }}\n\n    /// Every operation id the facade serves.\n    pub const OPERATIONS: &[&str] = &[{}];\n}}\n",
        ops.iter().map(|o| format!("{:?}", o.id)).collect::<Vec<_>>().join(", ")
    )
    .ok();
}
