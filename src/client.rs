//! The client handle and its configuration.

use crate::error::{Error, Result};
use crate::generated;
use crate::transport::HookContext;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The production Backend API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.clerk.com/v1";
/// The Clerk API version this crate speaks, sent as `Clerk-API-Version` with every request.
pub const API_VERSION: &str = generated::SPEC_VERSION;
/// Environment variable holding the secret key.
pub const SECRET_KEY_ENV: &str = "CLERK_SECRET_KEY";
/// Environment variable overriding the base URL (for an emulator or a proxy).
pub const API_URL_ENV: &str = "CLERK_API_URL";
/// Default time allowed for one request, from sending it to reading the whole response.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time allowed to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for Clerk's invitation endpoints.
///
/// Cheap to clone: clones share one connection pool and configuration (an `Arc` inside), so
/// make one per secret key and clone it where it is needed.
///
/// ```no_run
/// # async fn demo() -> clerk_invitations::Result<()> {
/// let clerk = clerk_invitations::Clerk::from_env()?;
/// let invitation = clerk.invitations().create("someone@example.com").await?;
/// println!("{} is {}", invitation.id, invitation.status);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Clerk {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) raw: generated::Client,
    pub(crate) timeout: Duration,
    base_url: String,
}

impl fmt::Debug for Clerk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clerk")
            .field("base_url", &self.inner.base_url)
            .field("secret_key", &"<redacted>")
            .field("timeout", &self.inner.timeout)
            .finish()
    }
}

impl Clerk {
    /// A client with the given secret key and default settings.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) when the key is empty or
    /// not a valid header value.
    ///
    /// ```
    /// let clerk = clerk_invitations::Clerk::new("sk_test_123")?;
    /// # Ok::<(), clerk_invitations::Error>(())
    /// ```
    pub fn new(secret_key: impl Into<String>) -> Result<Self> {
        Self::builder().secret_key(secret_key).build()
    }

    /// A client configured from the environment: the secret key from `CLERK_SECRET_KEY`
    /// (required) and the base URL from `CLERK_API_URL` (optional).
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) when `CLERK_SECRET_KEY` is
    /// unset or empty, or `CLERK_API_URL` is not a valid URL.
    ///
    /// ```no_run
    /// let clerk = clerk_invitations::Clerk::from_env()?;
    /// # Ok::<(), clerk_invitations::Error>(())
    /// ```
    pub fn from_env() -> Result<Self> {
        Self::builder().from_env().build()
    }

    /// A builder for the base URL, timeouts, user agent and HTTP client.
    ///
    /// ```
    /// use std::time::Duration;
    /// let clerk = clerk_invitations::Clerk::builder()
    ///     .secret_key("sk_test_123")
    ///     .base_url("http://127.0.0.1:8080/v1")
    ///     .timeout(Duration::from_secs(5))
    ///     .user_agent_suffix("my-app/1.2")
    ///     .build()?;
    /// # Ok::<(), clerk_invitations::Error>(())
    /// ```
    pub fn builder() -> ClerkBuilder {
        ClerkBuilder::default()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The generated low-level client, for what the facade does not cover.
    ///
    /// It sends the same authentication and version headers as the facade, but its types and
    /// methods follow the vendored spec and may change in any release.
    pub fn raw(&self) -> &crate::raw::Client {
        &self.inner.raw
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.inner.timeout
    }
}

/// Builds a [`Clerk`] client. Made by [`Clerk::builder`].
#[derive(Default)]
#[must_use]
pub struct ClerkBuilder {
    secret_key: Option<SecretString>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent_suffix: Option<String>,
    http_client: Option<reqwest::Client>,
    env_error: Option<String>,
}

impl fmt::Debug for ClerkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkBuilder")
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .finish_non_exhaustive()
    }
}

impl ClerkBuilder {
    /// The secret key (`sk_test_…` or `sk_live_…`).
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.secret_key = Some(SecretString::from(key.into()));
        self
    }

    /// Reads `CLERK_SECRET_KEY` and, when set, `CLERK_API_URL`. Values set on the builder
    /// before this call are replaced by those found in the environment.
    pub fn from_env(mut self) -> Self {
        match std::env::var(SECRET_KEY_ENV) {
            Ok(key) => self.secret_key = Some(SecretString::from(key)),
            Err(std::env::VarError::NotPresent) => {
                self.env_error = Some(format!("{SECRET_KEY_ENV} is not set"));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                self.env_error = Some(format!("{SECRET_KEY_ENV} is not valid UTF-8"));
            }
        }
        if let Ok(url) = std::env::var(API_URL_ENV)
            && !url.trim().is_empty()
        {
            self.base_url = Some(url);
        }
        self
    }

    /// The base URL, default `https://api.clerk.com/v1`. Point it at an emulator or a proxy.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Time allowed for one request, from sending it to reading the whole response
    /// (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Time allowed to establish a connection (default 10 s). Ignored with
    /// [`http_client`](Self::http_client), whose own settings apply.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Appended to the `User-Agent` header: `clerk-invitations/<version> <suffix>`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Use this `reqwest::Client` (its pool, proxy and TLS settings) instead of a new one.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) when the secret key is
    /// missing, empty or white space, or contains characters a header cannot carry; when the
    /// base URL is not an absolute `http` or `https` URL; or when the HTTP client cannot be built.
    pub fn build(self) -> Result<Clerk> {
        let key = match (self.secret_key, self.env_error) {
            (Some(key), _) => key,
            (None, Some(env)) => return Err(Error::configuration(env)),
            (None, None) => {
                return Err(Error::configuration(
                    "no secret key: pass one to the builder or set CLERK_SECRET_KEY",
                ));
            }
        };
        let exposed = key.expose_secret();
        if exposed.trim().is_empty() {
            return Err(Error::configuration("the secret key is empty"));
        }
        if exposed.trim() != exposed {
            return Err(Error::configuration(
                "the secret key has leading or trailing white space",
            ));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {exposed}")).map_err(|_| {
            Error::configuration("the secret key contains characters a header cannot carry")
        })?;
        auth.set_sensitive(true);

        let base_url = self
            .base_url
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let trimmed = base_url.trim().trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&trimmed).map_err(|e| {
            Error::configuration(format!("base URL `{trimmed}` is not a valid URL: {e}"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(Error::configuration(format!(
                "base URL `{trimmed}` must be an http or https URL with a host"
            )));
        }

        let mut ua = format!("clerk-invitations/{}", env!("CARGO_PKG_VERSION"));
        if let Some(suffix) = self.user_agent_suffix.filter(|s| !s.trim().is_empty()) {
            ua.push(' ');
            ua.push_str(suffix.trim());
        }
        let user_agent = HeaderValue::from_str(&ua).map_err(|_| {
            Error::configuration("the user agent suffix contains characters a header cannot carry")
        })?;

        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let http = match self.http_client {
            Some(client) => client,
            None => {
                crate::tls::init();
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                    .timeout(timeout)
                    .build()
                    .map_err(|e| {
                        Error::configuration("the HTTP client could not be built").with_source(e)
                    })?
            }
        };
        let raw =
            generated::Client::new_with_client(&trimmed, http, HookContext { auth, user_agent });
        Ok(Clerk {
            inner: Arc::new(ClientInner {
                raw,
                timeout,
                base_url: trimmed,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key = "sk_test_SuperSecretValue123";
        let clerk = Clerk::new(key).unwrap();
        assert!(!format!("{clerk:?}").contains("SuperSecret"));
        assert!(!format!("{:?}", clerk.raw()).contains("SuperSecret"));
        let builder = Clerk::builder().secret_key(key);
        assert!(!format!("{builder:?}").contains("SuperSecret"));
    }

    #[test]
    fn rejects_bad_keys_and_urls() {
        for key in ["", "   ", " sk_test_x", "sk_test\nx"] {
            let e = Clerk::new(key).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Configuration, "{key:?}");
            assert!(!e.to_string().contains("sk_test"), "{e}");
        }
        for url in ["not a url", "ftp://example.com", "file:///tmp"] {
            let e = Clerk::builder()
                .secret_key("sk_test_x")
                .base_url(url)
                .build()
                .unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Configuration, "{url}");
        }
        let e = Clerk::builder().build().unwrap_err();
        assert!(e.to_string().contains("CLERK_SECRET_KEY"), "{e}");
    }

    #[test]
    fn trailing_slash_is_trimmed() {
        let c = Clerk::builder()
            .secret_key("sk_test_x")
            .base_url("http://127.0.0.1:1/v1/")
            .build()
            .unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:1/v1");
    }
}
