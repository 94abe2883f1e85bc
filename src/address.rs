//! The one rule for when two email addresses are the same address: white space around them is
//! not part of them, and case is folded with Unicode's rules (`ÄDA@x.test` is `äda@x.test`), as
//! the service folds it. Every comparison of addresses in this crate, the settling look-ups,
//! the bulk runs, erasure and the emulator, goes through here.
//!
//! ```
//! use clerk_invitations::address;
//! assert!(address::same(" ÄDA@Example.com", "äda@example.com"));
//! assert!(!address::same("a+b@x.com", "a@x.com"));
//! assert_eq!(address::normalize(" ÉLODIE@X.co "), "élodie@x.co");
//! ```

/// The address in its compared form: trimmed and lower-cased by Unicode's rules.
pub fn normalize(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whether the crate would send `email` (the check every create and bulk run makes before
/// sending): a local part and a domain around one `@`, no white space, control characters,
/// `,` or `;`, at most 320 bytes. Deliberately permissive: the service has the last word.
///
/// ```
/// use clerk_invitations::address;
/// assert!(address::check("ada@example.com").is_ok());
/// assert!(address::check("ada@example.com;grace@example.com").unwrap_err().is_invalid_input());
/// ```
///
/// # Errors
/// An [`InvalidInput`](crate::ErrorKind::InvalidInput) error saying what is wrong.
pub fn check(email: &str) -> crate::Result<()> {
    crate::validate::email("email_address", email)
}

/// Whether `a` and `b` are the same address, by [`normalize`]'s rule. Allocates only when one
/// of them is not ASCII.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    // Folding can change a string's length and depends on context (a final sigma), so the
    // folded forms are compared whole.
    normalize(a) == normalize(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_capitals_fold_and_other_addresses_stay_apart() {
        assert!(same("ÄDA@example.com", "äda@example.com"));
        assert!(same("ÄDA@EXAMPLE.COM", " äda@example.com "));
        assert!(same("ΣΊΣΥΦΟΣ@x.gr", "σίσυφος@x.gr"));
        assert!(!same("äda@example.com", "ada@example.com"));
        assert!(!same("a@x.co", "ba@x.co"));
        // The rule `same` applies is `normalize`'s.
        for (a, b) in [
            ("ÄDA@x.co", "äda@x.co"),
            ("İ@x.co", "i̇@x.co"),
            ("Ǆ@x", "ǆ@x"),
        ] {
            assert_eq!(same(a, b), normalize(a) == normalize(b), "{a} {b}");
        }
    }
}
