//! Verified, typed invitation webhooks (feature `webhooks`, on by default).
//!
//! Clerk delivers webhooks through Svix, signed with the [Standard Webhooks] scheme: headers
//! `svix-id`, `svix-timestamp` and `svix-signature`, an HMAC-SHA256 of `id.timestamp.body`
//! under the endpoint's signing secret (`whsec_…`, from Clerk's dashboard), and several
//! space-separated `v1,` signatures while a secret is being rotated. [`Webhook::verify`]
//! checks all of it and returns an [`InvitationEvent`]: the invitation events typed, any other
//! event as JSON.
//!
//! The event types ([`types`]) are generated at build time from Clerk's webhook spec
//! (`openapi/clerk-webhooks-invitations.yaml` and its overlay), tolerant like the API's
//! models: unknown fields are ignored and statuses are open enums.
//!
//! ```
//! use clerk_invitations::webhooks::{InvitationEvent, Webhook};
//! # fn demo(headers: &http::HeaderMap, body: &[u8]) -> Result<(), clerk_invitations::webhooks::VerifyError> {
//! let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//! match webhook.verify(headers, body)? {
//!     InvitationEvent::OrganizationInvitationAccepted(event) => {
//!         println!("{} joined {}", event.data.email_address, event.data.organization_id);
//!     }
//!     InvitationEvent::OrganizationInvitationRevoked(event) => {
//!         println!("{} was revoked", event.data.id);
//!     }
//!     other => println!("ignored {}", other.event_type()),
//! }
//! # Ok(()) }
//! ```
//!
//! With axum, `webhooks::axum::VerifiedEvent` does the same as an extractor (feature
//! `webhooks-axum`). The emulator (feature `emulator`) sends these events, signed, to the
//! endpoints registered with it: `EmulatorBuilder::webhook`, a seed file's `webhooks:`,
//! `POST /__emulator/webhooks` or `clerk-emulator --webhook URL --webhook-secret SECRET`.
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com/

#[cfg(feature = "webhooks-axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks-axum")))]
pub mod axum;
mod error;

pub use error::VerifyError;
pub use generated::{InvitationEvent, types};
pub use http::HeaderMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq as _;

#[allow(
    clippy::all,
    clippy::pedantic,
    missing_docs,
    dead_code,
    unused_imports,
    unreachable_pub,
    rustdoc::all
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/webhooks.rs"));
}

/// How far a delivery's timestamp may be from this machine's clock unless told otherwise: five
/// minutes, as in the scheme's reference implementations.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The headers of a delivery, by their Svix names and, failing those, their Standard Webhooks
/// names.
const HEADERS: [(&str, &str); 3] = [
    ("svix-id", "webhook-id"),
    ("svix-timestamp", "webhook-timestamp"),
    ("svix-signature", "webhook-signature"),
];

/// The endpoint's signing secret, ready to verify deliveries (and to sign them, for tests and
/// the emulator). Its `Debug` never shows the secret.
///
/// ```
/// use clerk_invitations::webhooks::Webhook;
/// use std::time::Duration;
/// let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?
///     .tolerance(Duration::from_secs(60));
/// assert!(!format!("{webhook:?}").contains("MfKQ9r8G"));
/// # Ok::<(), clerk_invitations::webhooks::VerifyError>(())
/// ```
#[derive(Clone)]
pub struct Webhook {
    key: ring::hmac::Key,
    tolerance: Duration,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("secret", &"[redacted]")
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl Webhook {
    /// The signing secret as Clerk's dashboard shows it: `whsec_` and base64. (The bare base64
    /// part is accepted too.)
    ///
    /// # Errors
    /// [`VerifyError::InvalidSecret`] when it is empty or not base64.
    pub fn new(secret: &str) -> Result<Webhook, VerifyError> {
        let encoded = secret.trim();
        let encoded = encoded.strip_prefix("whsec_").unwrap_or(encoded);
        if encoded.is_empty() {
            return Err(VerifyError::InvalidSecret("it is empty"));
        }
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| VerifyError::InvalidSecret("after `whsec_` it is not base64"))?;
        Ok(Webhook {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &bytes),
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    /// How far a delivery's timestamp may be from this machine's clock, either way
    /// ([`DEFAULT_TOLERANCE`] unless set).
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Verifies a delivery against this machine's clock and decodes its event.
    ///
    /// `body` must be the request body exactly as received: the signature covers its bytes.
    ///
    /// # Errors
    /// A [`VerifyError`] saying which check failed; nothing is decoded before the signature
    /// matches.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<InvitationEvent, VerifyError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// [`verify`](Self::verify) as if the clock read `now`: for replaying a captured delivery.
    ///
    /// ```
    /// use clerk_invitations::webhooks::{HeaderMap, Webhook};
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    /// let body = br#"{"type":"user.created","data":{}}"#;
    /// let signature = webhook.sign("msg_1", 1_700_000_000, body);
    /// let mut headers = HeaderMap::new();
    /// headers.insert("svix-id", "msg_1".parse().unwrap());
    /// headers.insert("svix-timestamp", "1700000000".parse().unwrap());
    /// headers.insert("svix-signature", signature.parse().unwrap());
    /// let then = UNIX_EPOCH + Duration::from_secs(1_700_000_010);
    /// let event = webhook.verify_at(&headers, body, then).unwrap();
    /// assert_eq!(event.event_type(), "user.created");
    /// ```
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub fn verify_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<InvitationEvent, VerifyError> {
        self.check_at(headers, body, now)?;
        InvitationEvent::decode(body)
            .map_err(|(event_type, source)| VerifyError::MalformedBody { event_type, source })
    }

    /// [`verify`](Self::verify) from the three header values, for a framework whose header
    /// map is not [`http::HeaderMap`]: `svix-id`, `svix-timestamp` and `svix-signature` (or
    /// their `webhook-` names).
    ///
    /// ```
    /// use clerk_invitations::webhooks::Webhook;
    /// let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    /// let body = br#"{"type":"user.created","data":{}}"#;
    /// let now = std::time::SystemTime::now()
    ///     .duration_since(std::time::UNIX_EPOCH)
    ///     .unwrap()
    ///     .as_secs() as i64;
    /// let signature = webhook.sign("msg_1", now, body);
    /// let event = webhook
    ///     .verify_parts("msg_1", &now.to_string(), &signature, body)
    ///     .unwrap();
    /// assert_eq!(event.event_type(), "user.created");
    /// ```
    ///
    /// # Errors
    /// As [`verify`](Self::verify), but for the headers' presence and encoding, which the
    /// caller has checked.
    pub fn verify_parts(
        &self,
        id: &str,
        timestamp: &str,
        signature: &str,
        body: &[u8],
    ) -> Result<InvitationEvent, VerifyError> {
        self.check_parts(id, timestamp, signature, body, SystemTime::now())?;
        decode(body)
    }

    /// Checks headers, timestamp and signature without decoding the body.
    fn check_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        let [id, timestamp, signatures] = HEADERS.map(|(svix, standard)| {
            let value = headers
                .get(svix)
                .or_else(|| headers.get(standard))
                .ok_or(VerifyError::MissingHeader(svix))?;
            value.to_str().map_err(|_| VerifyError::InvalidHeader(svix))
        });
        self.check_parts(id?, timestamp?, signatures?, body, now)
    }

    /// Checks the timestamp against `now` and the signatures against the body.
    fn check_parts(
        &self,
        id: &str,
        timestamp: &str,
        signatures: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        let timestamp = timestamp.trim();
        let seconds: i64 = timestamp
            .parse()
            .map_err(|_| VerifyError::InvalidHeader(HEADERS[1].0))?;
        let now = match now.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        };
        let tolerance = i64::try_from(self.tolerance.as_secs()).unwrap_or(i64::MAX);
        let diff = now.saturating_sub(seconds);
        if diff > tolerance {
            return Err(VerifyError::TimestampTooOld {
                age: Duration::from_secs(diff.unsigned_abs()),
            });
        }
        if diff < tolerance.saturating_neg() {
            return Err(VerifyError::TimestampInFuture {
                ahead: Duration::from_secs(diff.unsigned_abs()),
            });
        }
        let expected = self.tag(id, timestamp, body);
        // Every `v1` signature is tried (several during a rotation), each in constant time.
        let mut matched = false;
        for candidate in signatures.split_ascii_whitespace() {
            let Some(("v1", encoded)) = candidate.split_once(',') else {
                continue;
            };
            if let Ok(given) = STANDARD.decode(encoded) {
                matched |= bool::from(given.as_slice().ct_eq(expected.as_ref()));
            }
        }
        if matched {
            Ok(())
        } else {
            Err(VerifyError::NoMatchingSignature)
        }
    }

    fn tag(&self, id: &str, timestamp: &str, body: &[u8]) -> ring::hmac::Tag {
        let mut context = ring::hmac::Context::with_key(&self.key);
        context.update(id.as_bytes());
        context.update(b".");
        context.update(timestamp.as_bytes());
        context.update(b".");
        context.update(body);
        context.sign()
    }

    /// The `svix-signature` value (`v1,` and base64) for a delivery: what the emulator sends,
    /// and what a test of a handler can build its requests with.
    ///
    /// ```
    /// use clerk_invitations::webhooks::Webhook;
    /// let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    /// let signature = webhook.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
    /// assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /// ```
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.tag(id, &timestamp.to_string(), body);
        format!("v1,{}", STANDARD.encode(tag.as_ref()))
    }
}

/// A verified body as an event.
fn decode(body: &[u8]) -> Result<InvitationEvent, VerifyError> {
    InvitationEvent::decode(body)
        .map_err(|(event_type, source)| VerifyError::MalformedBody { event_type, source })
}
