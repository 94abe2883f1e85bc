//! Why a webhook delivery was refused.

use std::fmt;
use std::time::Duration;

/// Why [`Webhook::new`](super::Webhook::new) or [`Webhook::verify`](super::Webhook::verify)
/// refused. Never holds the secret.
///
/// ```
/// use clerk_invitations::webhooks::{VerifyError, Webhook};
/// let wh = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let err = wh.verify(&http::HeaderMap::new(), b"{}").unwrap_err();
/// assert!(matches!(err, VerifyError::MissingHeader("svix-id")));
/// assert_eq!(err.status(), 400);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum VerifyError {
    /// The signing secret is not `whsec_` followed by base64 (the form Clerk's dashboard shows).
    InvalidSecret(&'static str),
    /// A header the scheme needs is absent: `svix-id`, `svix-timestamp` or `svix-signature`
    /// (or their `webhook-` equivalents).
    MissingHeader(&'static str),
    /// A header is present but unreadable (not text, or a timestamp that is not a number).
    InvalidHeader(&'static str),
    /// The delivery was signed longer ago than the tolerance allows: a replay, or a clock far
    /// behind.
    TimestampTooOld {
        /// How far behind this machine's clock it is.
        age: Duration,
    },
    /// The delivery claims a time further ahead than the tolerance allows.
    TimestampInFuture {
        /// How far ahead of this machine's clock it is.
        ahead: Duration,
    },
    /// No `v1` signature of `svix-signature` matches the body under this secret: the body was
    /// changed, or it was signed with another secret.
    NoMatchingSignature,
    /// The signature matches but the body is not an event this crate can read.
    MalformedBody {
        /// The event's `type`, when the body got that far.
        event_type: Option<String>,
        /// What the JSON decoder said.
        source: serde_json::Error,
    },
}

impl VerifyError {
    /// The HTTP status a receiving endpoint should answer with: 400 for a request that is not
    /// a well-formed delivery, 401 for one that fails authentication.
    pub fn status(&self) -> u16 {
        match self {
            VerifyError::TimestampTooOld { .. }
            | VerifyError::TimestampInFuture { .. }
            | VerifyError::NoMatchingSignature => 401,
            VerifyError::InvalidSecret(_) => 500,
            _ => 400,
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::InvalidSecret(why) => write!(f, "invalid webhook signing secret: {why}"),
            VerifyError::MissingHeader(h) => write!(f, "webhook delivery has no `{h}` header"),
            VerifyError::InvalidHeader(h) => {
                write!(f, "webhook delivery has an unreadable `{h}` header")
            }
            VerifyError::TimestampTooOld { age } => write!(
                f,
                "webhook delivery was signed {}s ago, beyond the tolerance",
                age.as_secs()
            ),
            VerifyError::TimestampInFuture { ahead } => write!(
                f,
                "webhook delivery is dated {}s in the future, beyond the tolerance",
                ahead.as_secs()
            ),
            VerifyError::NoMatchingSignature => {
                f.write_str("no webhook signature matches the body under this secret")
            }
            VerifyError::MalformedBody {
                event_type: Some(t),
                source,
            } => write!(f, "webhook event `{t}` cannot be read: {source}"),
            VerifyError::MalformedBody { source, .. } => {
                write!(f, "webhook body is not an event: {source}")
            }
        }
    }
}

impl std::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VerifyError::MalformedBody { source, .. } => Some(source),
            _ => None,
        }
    }
}
