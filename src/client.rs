//! The client handle and its configuration.

use crate::error::{Error, Result};
use crate::generated;
use crate::retry::RetryPolicy;
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
/// The environment variable [`ClerkBuilder::from_env`] reads the settle window from, in
/// milliseconds (see [`ClerkBuilder::settle_window`]).
pub const SETTLE_WINDOW_ENV: &str = "CLERK_SETTLE_WINDOW_MS";
/// Default time allowed for one request, from sending it to reading the whole response.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time allowed to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default limit on the size of a success response body (a page of 500 organization
/// invitations is well under 1 MiB).
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 4 * 1024 * 1024;
/// Redirects followed when they stay on the base URL's scheme, host and port.
const MAX_SAME_ORIGIN_REDIRECTS: usize = 5;
/// How long settling look-ups keep looking by default: 0.5 + 1 + 2 + 4 + 8 s.
const DEFAULT_SETTLE_WINDOW: Duration = Duration::from_millis(15_500);

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
    /// The total timeout the HTTP client applies to every request by itself, when the crate
    /// built that client: a request with the same timeout then needs no timeout of its own.
    pub(crate) http_timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    production: bool,
    base_url: String,
    /// How long settling look-ups keep looking (see [`ClerkBuilder::settle_window`]).
    pub(crate) settle_window: Duration,
    /// What no error this client returns may contain: the key, a password in the base URL.
    pub(crate) secrets: crate::redact::Secrets,
}

impl fmt::Debug for Clerk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clerk")
            .field("base_url", &crate::redact::url(&self.inner.base_url))
            .field("secret_key", &"<redacted>")
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
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

    /// How long settling look-ups keep looking for an earlier attempt's invitation.
    pub(crate) fn settle_window(&self) -> Duration {
        self.inner.settle_window
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Whether the key is a production one (`sk_live_…`).
    pub(crate) fn is_production_key(&self) -> bool {
        self.inner.production
    }

    /// A fingerprint of the secret key that tells keys apart without revealing them (64 bits
    /// of FNV-1a, `fnv1a64:` and 16 hex digits): what the journals and the CLI's saved plans
    /// record to refuse being resumed or applied with another key.
    ///
    /// ```
    /// let a = clerk_invitations::Clerk::builder().secret_key("sk_test_a").build().unwrap();
    /// let b = clerk_invitations::Clerk::builder().secret_key("sk_test_b").build().unwrap();
    /// assert_ne!(a.key_fingerprint(), b.key_fingerprint());
    /// assert!(!a.key_fingerprint().contains("sk_test_a"));
    /// ```
    pub fn key_fingerprint(&self) -> String {
        use progenitor_client::ClientInfo;
        crate::bulk::key_fingerprint(self.inner.raw.inner().auth.as_bytes())
    }
}

/// Builds a [`Clerk`] client. Made by [`Clerk::builder`].
///
/// ```no_run
/// # fn demo() -> clerk_invitations::Result<()> {
/// use clerk_invitations::{Clerk, RetryPolicy};
/// use std::time::Duration;
/// let clerk = Clerk::builder()
///     .from_env()
///     .timeout(Duration::from_secs(10))
///     .retry_policy(RetryPolicy::default().max_attempts(6))
///     .user_agent_suffix("my-app/1.2")
///     .build()?;
/// # Ok(()) }
/// ```
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
    retry: Option<RetryPolicy>,
    max_response_body: Option<usize>,
    allow_http: bool,
    settle_window: Option<Duration>,
    /// An environment variable other than the key that could not be read.
    bad_env: Option<String>,
}

impl fmt::Debug for ClerkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkBuilder")
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "base_url",
                &self.base_url.as_deref().map(crate::redact::url),
            )
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("retry", &self.retry)
            .field("max_response_body", &self.max_response_body)
            .field("allow_http", &self.allow_http)
            .field("settle_window", &self.settle_window)
            .finish_non_exhaustive()
    }
}

impl ClerkBuilder {
    /// The secret key (`sk_test_…` or `sk_live_…`).
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.secret_key = Some(SecretString::from(key.into()));
        self
    }

    /// Reads `CLERK_SECRET_KEY` and, when set, `CLERK_API_URL` and `CLERK_SETTLE_WINDOW_MS`
    /// (see [`settle_window`](Self::settle_window); a value that is not a whole number of
    /// milliseconds is an error at [`build`](Self::build)). Values set on the builder before
    /// this call are replaced by those found in the environment.
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
        if let Ok(ms) = std::env::var(SETTLE_WINDOW_ENV)
            && !ms.trim().is_empty()
        {
            match ms.trim().parse::<u64>() {
                Ok(ms) => self = self.settle_window(Duration::from_millis(ms)),
                Err(_) => {
                    self.bad_env = Some(format!(
                        "{SETTLE_WINDOW_ENV} is not a whole number of milliseconds"
                    ));
                }
            }
        }
        self
    }

    /// The base URL, default `https://api.clerk.com/v1`. Point it at an emulator or a proxy.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Time allowed for one attempt of a request, from sending it to reading the whole
    /// response (default 30 s). A stalled body ends in a timeout error. Retries get a fresh
    /// allowance each; [`RetryPolicy::deadline`] bounds the whole operation.
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

    /// Use this `reqwest::Client` (its pool, proxy, TLS and redirect settings) instead of a
    /// new one. The client's own redirect policy then applies; reqwest's default drops the
    /// `Authorization` header on a redirect to another host.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// How failed requests are retried (default: [`RetryPolicy::default`]; see the README's
    /// section on retries). Requests can override it with `with_retry`.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The largest success response body read, in bytes (default 4 MiB). A larger one is an
    /// [`ErrorKind::Decode`](crate::ErrorKind::Decode) error, read no further than the limit.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = Some(bytes);
        self
    }

    /// Allow a plain `http://` base URL that is not a loopback address. Without it only
    /// `https://` URLs, and `http://` to `localhost`, `127.0.0.0/8` or `::1` (an emulator), are
    /// accepted, so the secret key never crosses a network unencrypted by accident.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// How long a create whose answer was lost keeps looking for the invitation it may have
    /// made before it is sent again or reported (default 15.5 s: looks at 0, 0.5, 1, 2, 4 and
    /// 8 s). It should cover how far the service's lists may lag behind its writes: a longer
    /// lag than this is the residual risk the README names. Clamped to 1 ms ..= 10 min.
    ///
    /// ```
    /// let clerk = clerk_invitations::Clerk::builder()
    ///     .secret_key("sk_test_123")
    ///     .settle_window(std::time::Duration::from_secs(30))
    ///     .build()?;
    /// # Ok::<(), clerk_invitations::Error>(())
    /// ```
    pub fn settle_window(mut self, window: Duration) -> Self {
        self.settle_window = Some(window.clamp(Duration::from_millis(1), Duration::from_secs(600)));
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) when the secret key is
    /// missing, empty or white space, or contains characters a header cannot carry; when the
    /// base URL is not an absolute `http` or `https` URL; or when the HTTP client cannot be built.
    pub fn build(self) -> Result<Clerk> {
        if let Some(bad) = self.bad_env {
            return Err(Error::configuration(bad));
        }
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
        let production = exposed.starts_with("sk_live_");
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
            Error::configuration(format!(
                "base URL `{}` is not a valid URL: {e}",
                crate::redact::url(&trimmed)
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(Error::configuration(format!(
                "base URL `{}` must be an http or https URL with a host",
                crate::redact::url(&trimmed)
            )));
        }
        if parsed.scheme() == "http" && !self.allow_http && !is_loopback(&parsed) {
            return Err(Error::configuration(format!(
                "base URL `{}` is plain http to a host that is not loopback: use https, \
                 or allow_insecure_http(true) if the network is trusted",
                crate::redact::url(&trimmed)
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
        let http_timeout = self.http_client.is_none().then_some(timeout);
        let http = match self.http_client {
            Some(client) => client,
            None => {
                crate::tls::init();
                reqwest::Client::builder()
                    .timeout(timeout)
                    .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                    .redirect(same_origin_redirects())
                    .build()
                    .map_err(|e| {
                        Error::configuration("the HTTP client could not be built").with_source(e)
                    })?
            }
        };
        let context = HookContext {
            auth,
            user_agent,
            max_response_body: self.max_response_body.unwrap_or(DEFAULT_MAX_RESPONSE_BODY),
        };
        let raw = generated::Client::new_with_client(&trimmed, http, context);
        Ok(Clerk {
            inner: Arc::new(ClientInner {
                raw,
                timeout,
                http_timeout,
                retry: self.retry.unwrap_or_default(),
                production,
                settle_window: self.settle_window.unwrap_or(DEFAULT_SETTLE_WINDOW),
                secrets: crate::redact::Secrets::new(exposed, &parsed),
                base_url: trimmed,
            }),
        })
    }
}

/// `localhost`, `127.0.0.0/8` or `::1`.
fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Follows a few redirects that keep scheme, host and port; stops at any other, so the
/// credentials (and the request) never go to another origin. The 3xx then comes back as an
/// error.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= MAX_SAME_ORIGIN_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
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
        for url in [
            "not a url",
            "ftp://example.com",
            "file:///tmp",
            "http://api.clerk.com/v1",
            "http://10.0.0.1/v1",
        ] {
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
    fn plain_http_only_to_loopback_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/v1",
            "http://127.1.2.3/v1",
            "http://localhost:1/v1",
            "http://[::1]:1/v1",
            "https://api.clerk.com/v1",
        ] {
            Clerk::builder()
                .secret_key("sk_test_x")
                .base_url(url)
                .build()
                .unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        let e = Clerk::builder()
            .secret_key("sk_test_x")
            .base_url("http://clerk.internal/v1")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("allow_insecure_http"), "{e}");
        Clerk::builder()
            .secret_key("sk_test_x")
            .base_url("http://clerk.internal/v1")
            .allow_insecure_http(true)
            .build()
            .unwrap();
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
