//! Checks made before any request is sent. Each error names the rule it enforces.

use crate::error::{Error, Result};

/// The largest bulk request the service accepts.
pub const MAX_BULK: usize = 10;
/// `limit` range of the list operations.
pub const LIMIT_RANGE: std::ops::RangeInclusive<u32> = 1..=500;
/// `expires_in_days` range of the create operations.
pub const EXPIRES_IN_DAYS_RANGE: std::ops::RangeInclusive<u32> = 1..=365;
/// Longest email address accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 320;

/// An email address: non-empty local part and domain around one `@`, no white space or
/// control characters, at most 320 bytes. Deliberately permissive: the service has the last word.
pub fn email(field: &str, value: &str) -> Result<()> {
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
pub fn non_empty(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_input(format!("{field} must not be empty")));
    }
    Ok(())
}

/// An id that goes into a URL path segment. It is percent-encoded there, so `/`, `?`, `#` and
/// `%` cannot leave the segment; `.` and `..` are refused because URL parsers treat them (even
/// percent-encoded) as directory steps.
pub fn path_id(field: &str, value: &str) -> Result<()> {
    non_empty(field, value)?;
    if value == "." || value == ".." {
        return Err(Error::invalid_input(format!(
            "{field} `{value}` is not a valid id: `.` and `..` cannot be used as path segments"
        )));
    }
    Ok(())
}

/// A number inside an inclusive range.
pub fn in_range(field: &str, value: u32, range: std::ops::RangeInclusive<u32>) -> Result<()> {
    if !range.contains(&value) {
        return Err(Error::invalid_input(format!(
            "{field} is {value}; it must be between {} and {}",
            range.start(),
            range.end()
        )));
    }
    Ok(())
}

/// Metadata: a JSON object.
pub fn metadata(
    field: &str,
    value: serde_json::Value,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    match value {
        serde_json::Value::Object(map) => Ok(map),
        other => Err(Error::invalid_input(format!(
            "{field} must be a JSON object, not {}",
            json_kind(&other)
        ))),
    }
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

/// A bulk request's size.
pub fn bulk_size(len: usize) -> Result<()> {
    if len == 0 || len > MAX_BULK {
        return Err(Error::invalid_input(format!(
            "a bulk request holds 1 to {MAX_BULK} invitations, not {len}"
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
        assert!(bulk_size(0).is_err());
        assert!(bulk_size(11).is_err());
        assert!(bulk_size(10).is_ok());
    }

    #[test]
    fn metadata_must_be_an_object() {
        assert!(metadata("public_metadata", serde_json::json!({"a": 1})).is_ok());
        let e = metadata("public_metadata", serde_json::json!([1])).unwrap_err();
        assert!(e.to_string().contains("an array"), "{e}");
    }
}
