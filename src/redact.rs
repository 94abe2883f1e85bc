//! What no message of this crate may carry, whatever a server sends back: the secret key, and
//! a password in the base URL. Errors are cleaned as a call ends (see `request::execute`), so
//! a server that echoes the `Authorization` header in its error body, or a proxy URL with a
//! password in a transport error, leaves nothing in `Display`, `Debug` or the CLI's output.

/// Written in place of a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// The secrets of one client.
#[derive(Clone, Default)]
pub(crate) struct Secrets {
    words: Vec<String>,
}

impl Secrets {
    /// The key, and the base URL's password (as written and percent-decoded).
    pub(crate) fn new(key: &str, base_url: &reqwest::Url) -> Self {
        let mut words = vec![key.to_string()];
        if let Some(password) = base_url.password() {
            words.push(password.to_string());
            if let Ok(decoded) = percent_encoding::percent_decode_str(password).decode_utf8() {
                words.push(decoded.into_owned());
            }
        }
        // Short words would blank out ordinary text; a key or password that short is no secret
        // worth the damage.
        words.retain(|w| w.len() >= 4);
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        words.dedup();
        Secrets { words }
    }

    /// Whether `text` holds one of the secrets.
    pub(crate) fn found_in(&self, text: &str) -> bool {
        self.words.iter().any(|w| text.contains(w.as_str()))
    }

    /// `text` with every secret replaced.
    pub(crate) fn clean(&self, text: &str) -> String {
        let mut out = text.to_string();
        for w in &self.words {
            if out.contains(w.as_str()) {
                out = out.replace(w.as_str(), REDACTED);
            }
        }
        out
    }

    /// Cleans `text` in place when it holds a secret (no allocation otherwise).
    pub(crate) fn clean_in_place(&self, text: &mut String) {
        if self.found_in(text) {
            *text = self.clean(text);
        }
    }

    /// Cleans every string inside a JSON value.
    pub(crate) fn clean_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => self.clean_in_place(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.clean_json(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.clean_json(v)),
            _ => {}
        }
    }
}

/// A URL for messages: its password, if any, replaced.
pub(crate) fn url(text: &str) -> String {
    match reqwest::Url::parse(text) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("redacted"));
            u.to_string()
        }
        Ok(_) => text.to_string(),
        // Not a URL: anything between `//` and `@` could be a password.
        Err(_) => match (text.find("//"), text.rfind('@')) {
            (Some(start), Some(at)) if at > start + 2 => {
                format!("{}//{REDACTED}{}", &text[..start], &text[at..])
            }
            _ => text.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_and_a_url_password_are_replaced() {
        let base = reqwest::Url::parse("https://user:p%40ss-w0rd@proxy.test/v1").unwrap();
        let s = Secrets::new("sk_test_abcdef", &base);
        let cleaned = s.clean("Bearer sk_test_abcdef at user:p@ss-w0rd and p%40ss-w0rd");
        assert!(!cleaned.contains("sk_test_abcdef"), "{cleaned}");
        assert!(
            !cleaned.contains("p@ss-w0rd") && !cleaned.contains("p%40ss-w0rd"),
            "{cleaned}"
        );
        let shown = url("https://user:p%40ss-w0rd@proxy.test/v1");
        assert!(
            !shown.contains("p%40ss") && shown.contains("proxy.test"),
            "{shown}"
        );
        assert_eq!(url("https://api.clerk.com/v1"), "https://api.clerk.com/v1");
        assert!(!url("not a url //user:secret@host").contains("secret"));
    }
}
