#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![warn(clippy::all)]

pub mod address;
mod attempt;
pub mod bulk;
pub mod call;
mod client;
mod created;
mod deleted;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;
mod error;
mod error_code;
mod handles;
pub mod limits;
pub mod models;
mod operations;
mod page;
#[cfg(test)]
mod public_api;
mod redact;
mod request;
mod retry;
mod settle;
mod tls;
mod transport;
mod validate;
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
pub mod webhooks;

/// The low-level client generated at build time from `openapi/` (see [`Clerk::raw`]).
///
/// It follows the vendored spec: its names and types may change with any spec update, so prefer
/// the facade. It sends the same authentication and version headers.
pub mod raw {
    pub use crate::generated::types;
    pub use crate::generated::{Client, ResponseValue};
    pub use crate::models::InvitationList;
    /// Errors of the raw client.
    pub type Error = progenitor_client::Error<()>;
}

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
    include!(concat!(env!("OUT_DIR"), "/clerk_api.rs"));
}

pub use client::{
    API_URL_ENV, API_VERSION, Clerk, ClerkBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BODY, DEFAULT_TIMEOUT, SECRET_KEY_ENV,
};
pub use created::Created;
pub use deleted::Deleted;
pub use error::{ApiError, Error, ErrorCode, ErrorKind, Result};
pub use handles::{
    InstanceOrganizationInvitations, Invitations, Organization, OrganizationInvitations, User,
    UserOrganizationInvitations,
};
pub use models::{
    Invitation, InvitationStatus, OrganizationInvitation,
    OrganizationInvitationWithPublicOrganizationData, TemplateSlug,
};
/// The request builders: one per operation, generated from the spec.
pub use operations::*;
pub use page::{DEFAULT_STREAM_PAGE_SIZE, Page};
pub use retry::RetryPolicy;
pub use transport::Response;
pub use validate::{EXPIRES_IN_DAYS_RANGE, LIMIT_RANGE, MAX_BULK};

/// What most programs need in scope: the client, the models, and the traits that
/// [`stream`](ListInvitations::stream) and metadata use.
///
/// ```no_run
/// use clerk_invitations::prelude::*;
/// # async fn demo(clerk: Clerk) -> clerk_invitations::Result<()> {
/// let pending: Vec<Invitation> = clerk
///     .invitations()
///     .list()
///     .status(InvitationStatus::Pending)
///     .stream()
///     .try_collect()
///     .await?;
/// clerk
///     .invitations()
///     .create("someone@example.com")
///     .public_metadata(json!({"plan": "team"}))
///     .await?;
/// # Ok(()) }
/// ```
pub mod prelude {
    pub use crate::models::*;
    pub use crate::{Clerk, Error, ErrorCode, ErrorKind, Page, Result, RetryPolicy};
    pub use futures_util::{StreamExt as _, TryStreamExt};
    pub use serde_json::json;
}
