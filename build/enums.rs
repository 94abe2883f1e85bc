//! Open enums: every string enum of the spec becomes a Rust enum with one variant per value
//! and an `Unknown(String)` variant, so that a value the crate does not know yet never fails a
//! response. Request-side enums use the same types (a value the spec does not list is refused
//! before sending by the facade's checks).

use serde_json::Value;
use std::fmt::Write as _;

/// One enum to generate.
pub struct OpenEnum {
    pub name: String,
    pub values: Vec<String>,
    pub description: String,
}

pub fn pascal(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The enum for `values`, found by its values or added: named by the schema's `x-enum-name`
/// (set in the overlay) or else `default_name`. An `x-enum-name` that names an enum already
/// registered (the webhook spec's `InvitationStatus`, say) joins it: values it adds become
/// variants of that one enum.
pub fn register(
    enums: &mut Vec<OpenEnum>,
    schema: &Value,
    default_name: &str,
    values: Vec<String>,
) -> String {
    let named = schema.get("x-enum-name").and_then(Value::as_str);
    if let Some(e) = enums.iter_mut().find(|e| Some(e.name.as_str()) == named) {
        for v in values {
            if !e.values.contains(&v) {
                e.values.push(v);
            }
        }
        return e.name.clone();
    }
    if let Some(e) = enums.iter().find(|e| e.values == values) {
        return e.name.clone();
    }
    let mut name = schema
        .get("x-enum-name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| default_name.to_string());
    let base = name.clone();
    let mut n = 2;
    while enums.iter().any(|e| e.name == name) {
        name = format!("{base}{n}");
        n += 1;
    }
    let description = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    enums.push(OpenEnum {
        name: name.clone(),
        values,
        description,
    });
    name
}

pub fn values_of(enums: &[OpenEnum], name: &str) -> Vec<String> {
    enums
        .iter()
        .find(|e| e.name == name)
        .map(|e| e.values.clone())
        .unwrap_or_default()
}

/// A variant name for a value: its words in Pascal case; a leading `-` or `+` (a sort order)
/// becomes a `Desc` or `Asc` suffix, so that `created_at`, `-created_at` and `+created_at`
/// stay distinct.
pub fn variant_name(value: &str) -> String {
    let (core, suffix) = match value.as_bytes().first() {
        Some(b'-') => (&value[1..], "Desc"),
        Some(b'+') => (&value[1..], "Asc"),
        _ => (value, ""),
    };
    let p = pascal(core);
    let p = if p.is_empty() || p.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{p}")
    } else {
        p
    };
    format!("{p}{suffix}")
}

/// Variant names for all values, made unique (a value whose name is taken gets a number).
fn variant_names(values: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for v in values {
        let base = variant_name(v);
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) || name == "Unknown" {
            name = format!("{base}{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

pub fn open_enum_code(e: &OpenEnum) -> String {
    let name = &e.name;
    let mut variants = String::new();
    let mut as_str = String::new();
    let mut from_str = String::new();
    let mut known = String::new();
    for (v, var) in e.values.iter().zip(variant_names(&e.values)) {
        write!(known, "{v:?}, ").ok();
        writeln!(variants, "    /// `{v}`\n    {var},").ok();
        writeln!(as_str, "            Self::{var} => {v:?},").ok();
        writeln!(from_str, "            {v:?} => Self::{var},").ok();
    }
    let first = e.values.first().cloned().unwrap_or_default();
    let doc = if e.description.trim().is_empty() {
        format!("`{name}` values the service sends.")
    } else {
        e.description.trim().replace('\n', "\n/// ")
    };
    format!(
        r#"
/// {doc}
///
/// Open: a value this version of the crate does not know arrives as
/// [`{name}::Unknown`] instead of failing the whole response.
///
/// ```
/// use clerk_invitations::models::{name};
/// let known: {name} = {first:?}.parse().unwrap();
/// assert!(known.is_known());
/// assert_eq!(known.as_str(), {first:?});
/// let later = {name}::from("a_value_from_a_later_spec");
/// assert!(!later.is_known());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum {name} {{
{variants}    /// A value this version of the crate does not know, kept as sent.
    Unknown(String),
}}

impl {name} {{
    /// Every value this version of the crate knows, as the service spells them (from the
    /// vendored spec).
    pub const KNOWN: &'static [&'static str] = &[{known}];

    /// Whether this is one of [`{name}::KNOWN`] (not [`{name}::Unknown`]).
    pub fn is_known(&self) -> bool {{
        !matches!(self, Self::Unknown(_))
    }}

    /// The value as the service spells it.
    pub fn as_str(&self) -> &str {{
        match self {{
{as_str}            Self::Unknown(s) => s.as_str(),
        }}
    }}
}}

impl ::std::convert::From<&str> for {name} {{
    fn from(s: &str) -> Self {{
        match s {{
{from_str}            other => Self::Unknown(other.to_string()),
        }}
    }}
}}

impl ::std::convert::From<::std::string::String> for {name} {{
    fn from(s: ::std::string::String) -> Self {{
        Self::from(s.as_str())
    }}
}}

impl ::std::str::FromStr for {name} {{
    type Err = ::std::convert::Infallible;
    fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {{
        Ok(Self::from(s))
    }}
}}

impl ::std::fmt::Display for {name} {{
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{
        f.write_str(self.as_str())
    }}
}}

impl ::serde::Serialize for {name} {{
    fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {{
        s.serialize_str(self.as_str())
    }}
}}

impl<'de> ::serde::Deserialize<'de> for {name} {{
    fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {{
        let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
        Ok(Self::from(s.as_ref()))
    }}
}}
"#
    )
}
