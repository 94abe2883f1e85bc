//! Checks made before any request is sent. Each error names the rule it enforces.

use crate::error::{Error, Result};

/// The service's limits, generated from the spec (`build/limits.rs`).
pub use crate::generated::{EXPIRES_IN_DAYS_RANGE, LIMIT_RANGE, MAX_BULK};
/// A field's name in an error: `prefix` (the place of the item it belongs to, or nothing) then
/// the field's own name, written only when an error names it.
pub struct Field<'a>(pub &'a dyn std::fmt::Display, pub &'static str);

impl std::fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.0, self.1)
    }
}

/// The place of item `index` of the array `array` (`items[3].`), the prefix of its fields' names.
pub struct Item(pub &'static str, pub usize);

impl std::fmt::Display for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}].", self.0, self.1)
    }
}

/// Longest email address accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 320;

/// An email address: non-empty local part and domain around one `@`, no white space, control
/// characters, `,` or `;`, at most 320 bytes. Deliberately permissive: the service has the last word.
pub fn email(field: &(impl std::fmt::Display + ?Sized), value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_input(format!("{field} must not be empty")));
    }
    if value.len() > MAX_EMAIL_LEN {
        return Err(Error::invalid_input(format!(
            "{field} is {} bytes long; an email address has at most {MAX_EMAIL_LEN}",
            value.len()
        )));
    }
    let malformed = || {
        Error::invalid_input(format!(
            "{field} `{}` is not a valid email address (expected local@domain, without spaces)",
            value.escape_debug()
        ))
    };
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(malformed());
    }
    // The service takes one address per field; a separator means two addresses, or a row of
    // a file read with the wrong delimiter (`a@x.co;Ada`).
    if let Some(sep) = value.chars().find(|c| matches!(c, ',' | ';')) {
        return Err(Error::invalid_input(format!(
            "{field} `{}` holds a `{sep}`: one address per field (a list, or a file read with another delimiter?)",
            value.escape_debug()
        )));
    }
    let (local, domain) = value.rsplit_once('@').ok_or_else(malformed)?;
    if local.is_empty()
        || domain.is_empty()
        || domain.contains('@')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(malformed());
    }
    Ok(())
}

/// A non-empty value such as a role or a user id.
pub fn non_empty(field: &(impl std::fmt::Display + ?Sized), value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_input(format!("{field} must not be empty")));
    }
    Ok(())
}

/// An id that goes into a URL path segment. It is percent-encoded there, so `/`, `?`, `#` and
/// `%` cannot leave the segment; `.` and `..` are refused because URL parsers treat them (even
/// percent-encoded) as directory steps.
pub fn path_id(field: &(impl std::fmt::Display + ?Sized), value: &str) -> Result<()> {
    non_empty(field, value)?;
    if value == "." || value == ".." {
        return Err(Error::invalid_input(format!(
            "{field} `{value}` is not a valid id: `.` and `..` cannot be used as path segments"
        )));
    }
    Ok(())
}

/// A number inside an inclusive range.
pub fn in_range(
    field: &(impl std::fmt::Display + ?Sized),
    value: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<()> {
    if !range.contains(&value) {
        return Err(Error::invalid_input(format!(
            "{field} is {value}; it must be between {} and {}",
            range.start(),
            range.end()
        )));
    }
    Ok(())
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A string's length in characters, from the schema's `minLength`/`maxLength`. A `minLength`
/// of 1 also refuses a value of white space only ("must not be empty").
pub fn length(
    field: &(impl std::fmt::Display + ?Sized),
    value: &str,
    min: Option<u64>,
    max: Option<u64>,
) -> Result<()> {
    if min.is_some_and(|m| m >= 1) {
        non_empty(field, value)?;
    }
    let len = value.chars().count() as u64;
    if min.is_some_and(|m| len < m) || max.is_some_and(|m| len > m) {
        return Err(Error::invalid_input(format!(
            "{field} has {len} characters; it must have {}",
            span(min.map(i128::from), max.map(i128::from))
        )));
    }
    Ok(())
}

fn span(min: Option<i128>, max: Option<i128>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("between {a} and {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => "any value".into(),
    }
}

/// A number inside the schema's `minimum`/`maximum`.
pub fn bounds(
    field: &(impl std::fmt::Display + ?Sized),
    value: i128,
    min: Option<i128>,
    max: Option<i128>,
) -> Result<()> {
    if min.is_some_and(|m| value < m) || max.is_some_and(|m| value > m) {
        return Err(Error::invalid_input(format!(
            "{field} is {value}; it must be {}",
            span(min, max)
        )));
    }
    Ok(())
}

/// A value of a string enum: one the spec lists.
pub fn known(
    field: &(impl std::fmt::Display + ?Sized),
    is_known: bool,
    value: &str,
    known: &[&str],
) -> Result<()> {
    if !is_known {
        return Err(Error::invalid_input(format!(
            "{field} `{}` is not one of {}",
            value.escape_debug(),
            known.join(", ")
        )));
    }
    Ok(())
}

/// A value the schema types as an object.
pub fn object(field: &(impl std::fmt::Display + ?Sized), value: &serde_json::Value) -> Result<()> {
    if value.is_object() {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{field} must be a JSON object, not {}",
            json_kind(value)
        )))
    }
}

/// The number of items of an array, from the schema's `minItems`/`maxItems`.
pub fn items(
    field: &(impl std::fmt::Display + ?Sized),
    len: usize,
    min: Option<u64>,
    max: Option<u64>,
) -> Result<()> {
    let n = len as u64;
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        let range = match (min, max) {
            (Some(a), Some(b)) => format!("{a} to {b}"),
            (Some(a), None) => format!("at least {a}"),
            (None, Some(b)) => format!("at most {b}"),
            (None, None) => "any number of".into(),
        };
        return Err(Error::invalid_input(format!(
            "{field} holds {range} items, not {len}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(email("email_address", "a@example.com").is_ok());
        assert!(email("email_address", "first.last+tag@sub.example.co").is_ok());
        for bad in [
            "",
            "   ",
            "no-at-sign",
            "@example.com",
            "a@",
            "a b@example.com",
            "a@exa\nmple.com",
            "a@.example.com",
            "a@example.com.",
            "a@x.co;b",
            "a@x.co,b@x.co",
        ] {
            let e = email("email_address", bad).unwrap_err();
            assert!(e.is_invalid_input(), "{bad:?}");
            assert!(e.to_string().contains("email_address"), "{e}");
        }
        let long = format!("{}@example.com", "a".repeat(400));
        assert!(
            email("email_address", &long)
                .unwrap_err()
                .to_string()
                .contains("320")
        );
    }

    #[test]
    fn ids() {
        assert!(path_id("id", "inv_123").is_ok());
        assert!(path_id("id", "../x").is_ok(), "encoded, so allowed");
        for bad in ["", " ", ".", ".."] {
            assert!(path_id("id", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ranges_and_sizes() {
        assert!(in_range("limit", 1, LIMIT_RANGE).is_ok());
        assert!(in_range("limit", 500, LIMIT_RANGE).is_ok());
        let e = in_range("limit", 501, LIMIT_RANGE).unwrap_err();
        assert!(e.to_string().contains("between 1 and 500"), "{e}");
        assert!(in_range("expires_in_days", 0, EXPIRES_IN_DAYS_RANGE).is_err());
        assert!(items("invitations", 0, Some(1), Some(10)).is_err());
        let e = items("invitations", 11, Some(1), Some(10)).unwrap_err();
        assert!(e.to_string().contains("1 to 10 items, not 11"), "{e}");
        assert!(items("invitations", 10, Some(1), Some(10)).is_ok());
        let e = bounds("limit", 501, Some(1), Some(500)).unwrap_err();
        assert!(e.to_string().contains("between 1 and 500"), "{e}");
        assert!(bounds("offset", 0, Some(0), None).is_ok());
        let e = length("role", "  ", Some(1), None).unwrap_err();
        assert!(e.to_string().contains("role must not be empty"), "{e}");
        assert!(length("x", "abcd", None, Some(3)).is_err());
        let e = known("status", false, "zzz", &["pending"]).unwrap_err();
        assert!(e.to_string().contains("`zzz` is not one of pending"), "{e}");
    }

    #[test]
    fn metadata_must_be_an_object() {
        assert!(object("public_metadata", &serde_json::json!({"a": 1})).is_ok());
        let e = object("public_metadata", &serde_json::json!([1])).unwrap_err();
        assert!(e.to_string().contains("an array"), "{e}");
    }
}
