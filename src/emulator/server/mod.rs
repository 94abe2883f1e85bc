//! HTTP layer of the emulator: the router and its shared state. The rest, by concern:
//! `answers` (errors, authentication, faults, recording), `input` (bodies, fields, list
//! queries, pages), `application` and `organization` (the operations).
// Handlers return early with the error response itself; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

use super::Exchange;
use super::faults::{FaultKind, Faults};
use super::ratelimit::{self, Limiter};
use super::state::{State, StoredInvitation, StoredOrganizationInvitation, status_at};
use crate::models::InvitationStatus;
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Path, RawQuery, Request, State as AxState};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use futures_util::StreamExt;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::Notify;

mod admin;
mod answers;
mod application;
mod input;
mod organization;
mod origin;

use answers::*;
use application::*;
use input::*;
use organization::*;
pub(crate) use origin::Origin;

/// Largest request body the emulator reads.
const MAX_BODY: usize = 1024 * 1024;
/// API versions the service knows: those the vendored spec and its overlay name.
const KNOWN_VERSIONS: &[&str] = crate::generated::KNOWN_API_VERSIONS;
const MAX_BULK: usize = crate::validate::MAX_BULK;

pub(crate) struct Shared {
    pub(crate) keys: Vec<String>,
    pub(crate) state: Mutex<State>,
    pub(crate) limiter: Mutex<Limiter>,
    pub(crate) faults: Mutex<Faults>,
    /// Every exchange, when recording was asked for.
    pub(crate) exchanges: Option<Mutex<Vec<Exchange>>>,
    pub(crate) requests: AtomicU64,
    /// Where `--state` keeps the state, if anywhere.
    pub(crate) state_file: Option<std::path::PathBuf>,
    /// Webhook endpoints and deliveries.
    pub(crate) webhooks: super::webhooks::Hub,
    /// Which `Host` values and admin token the emulator accepts.
    pub(crate) origin: Origin,
}

/// Locks a mutex, carrying on after a panic elsewhere (the state stays usable).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// What the state file keeps: the state, and the registered webhook endpoints.
    pub(crate) fn state_document(&self) -> super::Seed {
        let mut doc = self.state().to_seed();
        doc.webhooks = self.webhooks.endpoints();
        doc
    }

    /// Adds what `seed` holds, its webhook endpoints included. Nothing is added when one of
    /// them is invalid.
    pub(crate) fn load(&self, seed: &super::Seed) -> crate::Result<()> {
        for endpoint in &seed.webhooks {
            super::webhooks::Hub::check(endpoint)?;
        }
        self.state().apply_seed(seed);
        for endpoint in &seed.webhooks {
            self.webhooks.add(endpoint)?;
        }
        Ok(())
    }

    /// Accepts an organization invitation and announces it. Returns the user's id.
    pub(crate) fn accept_org_invitation(&self, id: &str) -> Option<String> {
        let mut s = self.state();
        let user = s.accept_org_invitation(id)?;
        if let Some(inv) = s.org_invitations.iter().find(|i| i.id == id) {
            self.webhooks.organization_invitation(
                &s,
                "organizationInvitation.accepted",
                inv,
                Some(&user),
            );
        }
        Some(user)
    }
}

/// Lets a request's handling close its own connection (see `serve` in the parent module).
#[derive(Clone)]
pub(crate) struct ConnectionKill(pub(crate) Arc<Notify>);

type App = AxState<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let clerk = Router::new()
        .route(
            "/v1/invitations",
            post(create_invitation).get(list_invitations),
        )
        .route("/v1/invitations/bulk", post(create_bulk_invitations))
        .route("/v1/invitations/{id}/revoke", post(revoke_invitation))
        .route("/v1/invitations/{id}", delete(delete_invitation))
        .route(
            "/v1/organization_invitations",
            get(list_instance_org_invitations),
        )
        .route(
            "/v1/organizations/{org}/invitations",
            post(create_org_invitation).get(list_org_invitations),
        )
        .route(
            "/v1/organizations/{org}/invitations/bulk",
            post(create_org_invitation_bulk),
        )
        .route(
            "/v1/organizations/{org}/invitations/pending",
            get(list_pending_org_invitations),
        )
        .route(
            "/v1/organizations/{org}/invitations/{id}",
            get(get_org_invitation),
        )
        .route(
            "/v1/organizations/{org}/invitations/{id}/revoke",
            post(revoke_org_invitation),
        )
        .route(
            "/v1/users/{user}/organization_invitations",
            get(list_user_org_invitations),
        )
        .fallback(|| async {
            clerk_error(
                StatusCode::NOT_FOUND,
                "resource_not_found",
                "not found",
                "Resource not found",
                None,
            )
        })
        // A known path with another method: Clerk's error shape, and `Allow` as axum sets it.
        .method_not_allowed_fallback(|| async {
            clerk_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "resource_not_found",
                "not found",
                "Resource not found",
                None,
            )
        })
        .route_layer(middleware::from_fn_with_state(shared.clone(), route_guard))
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .layer(middleware::from_fn_with_state(shared.clone(), faults));
    // The admin API stands beside Clerk's routes, outside their authentication, limits and
    // faults.
    admin::admin_router()
        .merge(clerk)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            origin::origin_guard,
        ))
        .with_state(shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(offset: usize, limit: usize) -> ListQuery {
        ListQuery {
            statuses: Vec::new(),
            query: None,
            email_address: None,
            order_by: ("created_at".into(), false),
            paginated: true,
            limit,
            offset,
        }
    }

    #[test]
    fn selected_pages_equal_pages_of_the_fully_sorted_list() {
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..200 {
            let len = rng.usize(0..60);
            // Few distinct keys, so ties are common; the index breaks them.
            let items: Vec<(u8, usize)> = (0..len).map(|i| (rng.u8(0..5), i)).collect();
            let desc = round % 2 == 0;
            let cmp = |a: &(u8, usize), b: &(u8, usize)| {
                compare(a.0, b.0, desc).then_with(|| compare(a.1, b.1, desc))
            };
            let mut sorted = items.clone();
            sorted.sort_by(cmp);
            let (offset, limit) = (rng.usize(0..70), rng.usize(1..20));
            let q = query(offset, limit);
            let expected: Vec<_> = sorted.iter().copied().skip(offset).take(limit).collect();
            assert_eq!(page_sorted(items.clone(), &q, cmp), (expected.clone(), len));
            assert_eq!(page_in_order(sorted.into_iter(), &q), (expected, len));
        }
    }
}
