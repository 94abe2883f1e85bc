//! Per-field code: storage, serde attributes, setters, checks, query pairs, body structs.

use super::model::*;
use std::fmt::Write as _;

pub fn rules_doc(f: &Field) -> String {
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
pub fn check_value(ty: &Ty, rules: &Rules, v: &str, name_expr: &str) -> String {
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
pub fn check_field(f: &Field, expr: &str, name_expr: &str) -> String {
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
pub fn query_push(f: &Field, expr: &str) -> String {
    let to_string = |ty: &Ty, v: &str| match ty {
        Ty::Str => format!("::std::borrow::Cow::Owned({v}.clone())"),
        Ty::Enum(_) => format!("::std::borrow::Cow::Owned({v}.as_str().to_string())"),
        _ => format!("::std::borrow::Cow::Owned({v}.to_string())"),
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

pub fn field_storage(f: &Field) -> String {
    match (&f.ty, f.required) {
        (Ty::Array(_), _) | (_, true) => storage(&f.ty),
        (ty, false) => format!("::std::option::Option<{}>", storage(ty)),
    }
}

pub fn serde_attrs(f: &Field) -> String {
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
pub fn setters(fields: &[Field], place: &str, out: &mut String) {
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
pub fn body_struct(name: &str, fields: &[Field], public: bool, doc: &str, out: &mut String) {
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
        "    fn check(&self, prefix: &dyn ::std::fmt::Display) -> crate::Result<()> {{\n        let _ = prefix;"
    )
    .ok();
    for f in fields {
        let name_expr = format!("&crate::validate::Field(prefix, {:?})", f.wire);
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
