//! An axum extractor for verified webhook events (feature `webhooks-axum`).
//!
//! A complete endpoint: the [`Webhook`] lives in the router's state, and the handler receives
//! the event only when its signature and timestamp check out. A refused delivery is answered
//! with [`VerifyError::status`] and a short text, and the handler does not run.
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use clerk_invitations::webhooks::axum::VerifiedEvent;
//! use clerk_invitations::webhooks::{InvitationEvent, Webhook};
//!
//! async fn clerk_webhook(VerifiedEvent(event): VerifiedEvent) -> &'static str {
//!     match event {
//!         InvitationEvent::OrganizationInvitationAccepted(e) => {
//!             println!("{} joined {} as {}", e.data.email_address, e.data.organization_id, e.data.role);
//!         }
//!         InvitationEvent::OrganizationInvitationRevoked(e) => {
//!             println!("invitation {} revoked", e.data.id);
//!         }
//!         other => println!("not handled: {}", other.event_type()),
//!     }
//!     "ok"
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let secret = std::env::var("CLERK_WEBHOOK_SECRET")?;
//!     let app = Router::new()
//!         .route("/webhooks/clerk", post(clerk_webhook))
//!         .with_state(Webhook::new(&secret)?);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! With a state of your own, implement `FromRef<YourState> for Webhook`.

use super::{InvitationEvent, VerifyError, Webhook};
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

/// A webhook event whose delivery was verified with the [`Webhook`] of the router's state.
///
/// ```
/// use clerk_invitations::webhooks::axum::VerifiedEvent;
/// async fn handler(VerifiedEvent(event): VerifiedEvent) -> String {
///     event.event_type().to_string()
/// }
/// let app: axum::Router<clerk_invitations::webhooks::Webhook> =
///     axum::Router::new().route("/clerk", axum::routing::post(handler));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedEvent(pub InvitationEvent);

/// Why [`VerifiedEvent`] refused a request: the body could not be read, or the delivery failed
/// verification. Answers with the matching status.
///
/// ```
/// use axum::response::IntoResponse;
/// use clerk_invitations::webhooks::{VerifyError, axum::WebhookRejection};
/// let rejection = WebhookRejection::Verify(VerifyError::NoMatchingSignature);
/// assert_eq!(rejection.into_response().status(), 401);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The body could not be read (too large, or the connection failed).
    Body(axum::extract::rejection::BytesRejection),
    /// The delivery failed verification.
    Verify(VerifyError),
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        match self {
            WebhookRejection::Body(e) => e.into_response(),
            WebhookRejection::Verify(e) => {
                let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
                (status, e.to_string()).into_response()
            }
        }
    }
}

impl<S> FromRequest<S> for VerifiedEvent
where
    S: Send + Sync,
    Webhook: FromRef<S>,
{
    type Rejection = WebhookRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let webhook = Webhook::from_ref(state);
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state)
            .await
            .map_err(WebhookRejection::Body)?;
        webhook
            .verify(&headers, &body)
            .map(VerifiedEvent)
            .map_err(WebhookRejection::Verify)
    }
}
