//! The crate's one error type.

use std::fmt;
use std::time::Duration;

/// A specialised `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) {
/// use clerk_invitations::ErrorKind;
/// if let Err(e) = clerk.invitations().list().limit(0).await {
///     assert_eq!(e.kind(), ErrorKind::InvalidInput, "refused before sending");
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The service answered with an error status (4xx or 5xx).
    Api,
    /// The request could not be sent, or the connection failed while it was under way.
    Transport,
    /// The request, or reading its response, took longer than the configured timeout.
    Timeout,
    /// The service answered with a success status but a body this crate cannot read.
    Decode,
    /// A caller-supplied value broke a rule; nothing was sent.
    InvalidInput,
    /// The client is misconfigured (missing or empty secret key, bad base URL, ...).
    Configuration,
    /// A create's answer was lost and what it did cannot be established with certainty: the
    /// service may hold the invitation. [`Error::candidates`] names the invitations found that
    /// could be it (none when the service's lists do not show it yet). Look again later
    /// rather than create again.
    OutcomeUnknown,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Api => "API error",
            ErrorKind::Transport => "transport error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Decode => "undecodable response",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Configuration => "configuration error",
            ErrorKind::OutcomeUnknown => "outcome unknown",
        })
    }
}

pub use crate::error_code::ErrorCode;

/// One entry of the `errors` array of a Clerk error response.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) {
/// if let Err(e) = clerk.invitations().create("ada@example.com").await {
///     for api in e.api_errors() {
///         println!("{}: {} {:?}", api.error_code(), api.long_message, api.meta);
///     }
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Default, serde::Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct ApiError {
    /// Machine-readable code, e.g. `duplicate_record` or `form_identifier_exists`; typed by
    /// [`ApiError::error_code`].
    #[serde(default)]
    pub code: String,
    /// Short message.
    #[serde(default)]
    pub message: String,
    /// Longer message for humans.
    #[serde(default)]
    pub long_message: String,
    /// Extra data, e.g. `{"param_name": "email_address"}` or
    /// `{"email_addresses": ["a@example.com"]}`.
    #[serde(default)]
    pub meta: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    /// The code, typed.
    pub fn error_code(&self) -> ErrorCode {
        ErrorCode::from(self.code.as_str())
    }
}

/// An error from any operation of this crate.
///
/// Inspect it with [`kind`](Error::kind), [`status`](Error::status),
/// [`api_errors`](Error::api_errors), [`trace_id`](Error::trace_id),
/// [`retry_after`](Error::retry_after) and the predicates (`is_not_found`, `is_rate_limited`,
/// `is_retryable`, ...). `Display` is one line; the underlying cause, when there is one, is
/// reachable through [`std::error::Error::source`]. The secret key never appears in it.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) {
/// match clerk.invitations().create("ada@example.com").await {
///     Ok(inv) => println!("invited: {}", inv.id),
///     Err(e) if e.is_already_invited() => println!("already invited"),
///     Err(e) if e.is_retryable() => eprintln!("try later: {e} (trace {:?})", e.trace_id()),
///     Err(e) => eprintln!("failed: {e}"),
/// }
/// # }
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    trace_id: Option<String>,
    api_errors: Vec<ApiError>,
    retry_after: Option<Duration>,
    body_excerpt: Option<String>,
    attempts: u32,
    candidates: Vec<String>,
    /// An earlier attempt of the call may have been executed.
    after_ambiguous: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                trace_id: None,
                api_errors: Vec::new(),
                retry_after: None,
                body_excerpt: None,
                attempts: 0,
                candidates: Vec::new(),
                after_ambiguous: false,
                source: None,
            }),
        }
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    pub(crate) fn configuration(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Configuration, message)
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_trace_id(mut self, trace_id: Option<String>) -> Self {
        self.inner.trace_id = trace_id;
        self
    }

    pub(crate) fn with_api_errors(mut self, errors: Vec<ApiError>) -> Self {
        self.inner.api_errors = errors;
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.inner.retry_after = retry_after;
        self
    }

    pub(crate) fn with_body_excerpt(mut self, excerpt: Option<String>) -> Self {
        self.inner.body_excerpt = excerpt;
        self
    }

    /// An [`ErrorKind::OutcomeUnknown`] error naming the invitations that could be the one.
    pub(crate) fn outcome_unknown(message: impl Into<String>, candidates: Vec<String>) -> Self {
        let mut e = Self::new(ErrorKind::OutcomeUnknown, message);
        e.inner.candidates = candidates;
        e
    }

    /// Marks the error as the end of a call one of whose earlier attempts may have been
    /// executed.
    pub(crate) fn after_ambiguous(mut self) -> Self {
        self.inner.after_ambiguous = true;
        self
    }

    /// Whether the call may have taken effect although it failed: an
    /// [`OutcomeUnknown`](ErrorKind::OutcomeUnknown), a timeout, a connection lost after
    /// sending, a `5xx`, a success whose body could not be read (`Decode`), or any error that ends a call one of whose earlier attempts may have
    /// been executed (a lost answer, then `429`s). `false` means the service did not execute
    /// it: invalid input, a `4xx` answer to the only attempts made, a connection never made.
    ///
    /// ```
    /// # fn demo(e: clerk_invitations::Error) {
    /// if e.may_have_taken_effect() {
    ///     eprintln!("look before trying again: {e}");
    /// }
    /// # }
    /// ```
    pub fn may_have_taken_effect(&self) -> bool {
        let i = &self.inner;
        i.after_ambiguous
            || match i.kind {
                ErrorKind::OutcomeUnknown | ErrorKind::Timeout => true,
                ErrorKind::Transport => !self.is_connect_failure(),
                // A success whose body could not be read: executed.
                ErrorKind::Decode => true,
                ErrorKind::Api => i.status.is_some_and(|s| s >= 500),
                _ => false,
            }
    }

    /// Whether this error, by itself, says the request was not executed: a `4xx` answer, a
    /// connection never made, invalid input, configuration.
    pub(crate) fn says_not_executed(&self) -> bool {
        let i = &self.inner;
        match i.kind {
            ErrorKind::Api => i.status.is_some_and(|s| s < 500),
            ErrorKind::Transport => self.is_connect_failure(),
            ErrorKind::InvalidInput | ErrorKind::Configuration => true,
            _ => false,
        }
    }

    /// The error with every secret of `secrets` taken out of its text, its Clerk errors, its
    /// body excerpt and its cause (a cause whose text holds one is replaced by its cleaned
    /// text).
    pub(crate) fn redact(mut self, secrets: &crate::redact::Secrets) -> Self {
        let i = &mut *self.inner;
        secrets.clean_in_place(&mut i.message);
        for a in &mut i.api_errors {
            secrets.clean_in_place(&mut a.code);
            secrets.clean_in_place(&mut a.message);
            secrets.clean_in_place(&mut a.long_message);
            for v in a.meta.values_mut() {
                secrets.clean_json(v);
            }
        }
        for t in [&mut i.body_excerpt, &mut i.trace_id].into_iter().flatten() {
            secrets.clean_in_place(t);
        }
        let dirty = i
            .source
            .as_ref()
            .is_some_and(|s| secrets.found_in(&format!("{s} {s:?}")));
        if dirty && let Some(source) = i.source.take() {
            let text = secrets.clean(&source.to_string());
            i.source = Some(text.into());
        }
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    /// Whether the connection could not be established, so nothing was sent.
    pub(crate) fn is_connect_failure(&self) -> bool {
        self.inner.kind == ErrorKind::Transport
            && self
                .inner
                .source
                .as_ref()
                .and_then(|s| s.downcast_ref::<reqwest::Error>())
                .is_some_and(reqwest::Error::is_connect)
    }

    /// How many attempts were made before this error was returned (0 when nothing was sent,
    /// e.g. for invalid input). See [`RetryPolicy`](crate::RetryPolicy).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// Clerk's trace id for the failed request: `clerk_trace_id` from the body, else the
    /// `Clerk-Trace-Id` header. Quote it when you ask Clerk's support about a request.
    pub fn trace_id(&self) -> Option<&str> {
        self.inner.trace_id.as_deref()
    }

    /// The errors Clerk listed in the response body (empty when the body had none).
    pub fn api_errors(&self) -> &[ApiError] {
        &self.inner.api_errors
    }

    /// The code of the first of Clerk's errors, typed: match on it to branch.
    ///
    /// ```no_run
    /// use clerk_invitations::ErrorCode;
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let org = clerk.organization("org_123").invitations();
    /// match org.create("ada@example.com", "org:member").await {
    ///     Ok(inv) => println!("invited: {}", inv.id),
    ///     Err(e) if e.code() == Some(ErrorCode::AlreadyAMemberInOrganization) => {}
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn code(&self) -> Option<ErrorCode> {
        self.inner
            .api_errors
            .first()
            .map(|e| ErrorCode::from(e.code.as_str()))
    }

    /// Whether any of Clerk's errors has this code (a code string, or an [`ErrorCode`]).
    pub fn has_code(&self, code: impl AsRef<str>) -> bool {
        let code = code.as_ref();
        self.inner.api_errors.iter().any(|e| e.code == code)
    }

    fn has_any(&self, codes: &[ErrorCode]) -> bool {
        codes.iter().any(|c| self.has_code(c))
    }

    /// An invitation for the address exists already: `duplicate_record` (application
    /// invitations) or `organization_invitation_not_unique` (organization invitations).
    pub fn is_already_invited(&self) -> bool {
        self.has_any(&[
            ErrorCode::DuplicateRecord,
            ErrorCode::OrganizationInvitationNotUnique,
        ])
    }

    /// The address belongs to a member of the organization: `already_a_member_in_organization`.
    pub fn is_already_member(&self) -> bool {
        self.has_code(ErrorCode::AlreadyAMemberInOrganization)
    }

    /// The address belongs to a user already: `form_identifier_exists`.
    pub fn is_existing_user(&self) -> bool {
        self.has_code(ErrorCode::FormIdentifierExists)
    }

    /// The invitation is no longer pending, so it cannot be revoked:
    /// `invitation_already_revoked`, `invitation_already_accepted` or
    /// `organization_invitation_not_pending`.
    pub fn is_not_pending(&self) -> bool {
        self.has_any(&[
            ErrorCode::InvitationAlreadyRevoked,
            ErrorCode::InvitationAlreadyAccepted,
            ErrorCode::OrganizationInvitationNotPending,
        ])
    }

    /// A limit of the organization, plan or instance is reached:
    /// `organization_membership_quota_exceeded`, `insufficient_seats` or `quota_exceeded`.
    pub fn is_quota_exceeded(&self) -> bool {
        self.has_any(&[
            ErrorCode::OrganizationMembershipQuotaExceeded,
            ErrorCode::InsufficientSeats,
            ErrorCode::QuotaExceeded,
        ])
    }

    /// How long the service asked to wait before retrying (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// The first bytes of a body that was not a Clerk error envelope or could not be decoded
    /// (an HTML error page from a proxy, say), as lossy UTF-8.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.inner.body_excerpt.as_deref()
    }

    /// 404: the invitation, organization or user does not exist.
    pub fn is_not_found(&self) -> bool {
        self.inner.status == Some(404)
    }

    /// 429: over a rate limit; see [`retry_after`](Error::retry_after).
    pub fn is_rate_limited(&self) -> bool {
        self.inner.status == Some(429)
    }

    /// 401: the secret key is missing, malformed or unknown.
    pub fn is_unauthorized(&self) -> bool {
        self.inner.status == Some(401)
    }

    /// A `duplicate_record` error: an invitation for the address already exists.
    pub fn is_duplicate(&self) -> bool {
        self.has_code("duplicate_record")
    }

    /// The ids of the invitations that could be the one an [`ErrorKind::OutcomeUnknown`]
    /// create made (empty for other errors).
    pub fn candidates(&self) -> &[String] {
        &self.inner.candidates
    }

    /// Whether a create's outcome could not be established: see [`ErrorKind::OutcomeUnknown`].
    pub fn is_outcome_unknown(&self) -> bool {
        self.inner.kind == ErrorKind::OutcomeUnknown
    }

    /// A timeout.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// A caller-side rule was broken; nothing was sent.
    pub fn is_invalid_input(&self) -> bool {
        self.inner.kind == ErrorKind::InvalidInput
    }

    /// Whether sending the same request again may succeed: rate limits, 502/503/504,
    /// timeouts and connection failures. Whether a retry is *safe* depends on the operation;
    /// see the README's section on retries.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Transport | ErrorKind::Timeout => true,
            ErrorKind::Api => matches!(self.inner.status, Some(408 | 429 | 502 | 503 | 504)),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        write!(f, "{}", i.kind)?;
        if let Some(status) = i.status {
            write!(f, " (HTTP {status})")?;
        }
        // Each part only when it has something to say, so that no empty field leaves a
        // dangling separator.
        let mut sep = ": ";
        for part in [i.message.trim()] {
            if !part.is_empty() {
                write!(f, "{sep}{part}")?;
            }
        }
        if let Some(first) = i.api_errors.first() {
            let text = [first.long_message.trim(), first.message.trim()]
                .into_iter()
                .find(|t| !t.is_empty());
            let code = first.code.trim();
            if !code.is_empty() {
                write!(f, "{sep}{code}")?;
                sep = ": ";
            }
            if let Some(text) = text {
                write!(f, "{sep}{text}")?;
            }
            if i.api_errors.len() > 1 {
                write!(f, " (and {} more)", i.api_errors.len() - 1)?;
            }
        }
        if let Some(trace) = &i.trace_id {
            write!(f, " [trace {trace}]")?;
        }
        if i.attempts > 1 {
            write!(f, " (after {} attempts)", i.attempts)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind).field("message", &i.message);
        if let Some(s) = i.status {
            d.field("status", &s);
        }
        if let Some(t) = &i.trace_id {
            d.field("trace_id", t);
        }
        if !i.api_errors.is_empty() {
            d.field("api_errors", &i.api_errors);
        }
        if let Some(r) = &i.retry_after {
            d.field("retry_after", r);
        }
        if let Some(b) = &i.body_excerpt {
            d.field("body_excerpt", b);
        }
        if i.attempts > 1 {
            d.field("attempts", &i.attempts);
        }
        if let Some(s) = &i.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
