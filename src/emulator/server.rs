//! HTTP layer of the emulator: routing, authentication, parsing and the operations.
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
use axum::routing::{get, post};
use futures_util::StreamExt;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::Notify;

/// Largest request body the emulator reads.
const MAX_BODY: usize = 1024 * 1024;
/// API versions the service knows: those the vendored spec and its overlay name.
const KNOWN_VERSIONS: &[&str] = crate::generated::KNOWN_API_VERSIONS;
const MAX_BULK: usize = 10;

pub(crate) struct Shared {
    pub(crate) keys: Vec<String>,
    pub(crate) state: Mutex<State>,
    pub(crate) limiter: Mutex<Limiter>,
    pub(crate) faults: Mutex<Faults>,
    /// Every exchange, when recording was asked for.
    pub(crate) exchanges: Option<Mutex<Vec<Exchange>>>,
    pub(crate) requests: AtomicU64,
}

/// Locks a mutex, carrying on after a panic elsewhere (the state stays usable).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

/// Lets a request's handling close its own connection (see `serve` in the parent module).
#[derive(Clone)]
pub(crate) struct ConnectionKill(pub(crate) Arc<Notify>);

type App = AxState<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/v1/invitations",
            post(create_invitation).get(list_invitations),
        )
        .route("/v1/invitations/bulk", post(create_bulk_invitations))
        .route("/v1/invitations/{id}/revoke", post(revoke_invitation))
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
                "The requested resource was not found.",
                None,
            )
        })
        .route_layer(middleware::from_fn_with_state(shared.clone(), route_guard))
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .layer(middleware::from_fn_with_state(shared.clone(), faults))
        .with_state(shared)
}

// ---------------------------------------------------------------------------------------------
// Errors, trace ids, authentication
// ---------------------------------------------------------------------------------------------

fn trace_id() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// An error in Clerk's envelope.
fn clerk_error(
    status: StatusCode,
    code: &str,
    message: &str,
    long: &str,
    meta: Option<Value>,
) -> Response {
    let mut err = json!({"message": message, "long_message": long, "code": code});
    if let Some(meta) = meta {
        err["meta"] = meta;
    }
    let trace = trace_id();
    let body = json!({"errors": [err], "meta": {}, "clerk_trace_id": trace});
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&trace) {
        response.headers_mut().insert("clerk-trace-id", v);
    }
    response
}

fn param_error(code: &str, param: &str, long: String) -> Response {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    clerk_error(
        status,
        code,
        &long,
        &long,
        Some(json!({"param_name": param})),
    )
}

fn invalid(param: &str) -> Response {
    param_error(
        "form_param_value_invalid",
        param,
        format!("{param} is invalid"),
    )
}

/// Checks the secret key and the API version, and stamps every answer with a trace id.
async fn guard(AxState(shared): App, request: Request, next: Next) -> Response {
    let mut response = match check(&shared, request.headers(), request.uri().query()) {
        Some(refusal) => refusal,
        None => next.run(request).await,
    };
    let trace = response
        .headers()
        .get("clerk-trace-id")
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&trace_id()).unwrap_or(HeaderValue::from_static("0"))
        });
    response.headers_mut().insert("clerk-trace-id", trace);
    response
}

/// Applies latency and injected faults, counts requests and records exchanges.
async fn faults(AxState(shared): App, request: Request, next: Next) -> Response {
    shared.requests.fetch_add(1, AtomicOrdering::Relaxed);
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let (fault, latency) = {
        let mut f = lock(&shared.faults);
        (f.take(&method, &path), f.latency)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let kill = request.extensions().get::<ConnectionKill>().cloned();
    let faulted = fault
        .as_ref()
        .is_some_and(|f| !matches!(f.kind, FaultKind::Delay(_)));
    let Some(fault) = fault else {
        return record(&shared, &method, &path, next.run(request).await, false).await;
    };
    let mut response = match fault.kind {
        FaultKind::Respond {
            status,
            content_type,
            body,
        } => {
            let body = if fault.chunked {
                let chunks: Vec<Result<bytes::Bytes, std::convert::Infallible>> = body
                    .chunks(64 * 1024)
                    .map(|c| Ok(body.slice_ref(c)))
                    .collect();
                Body::from_stream(futures_util::stream::iter(chunks))
            } else {
                Body::from(body)
            };
            let mut r = Response::new(body);
            *r.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            r
        }
        FaultKind::DropBefore => return drop_connection(kill).await,
        FaultKind::DropAfter => {
            let _ = next.run(request).await;
            return drop_connection(kill).await;
        }
        FaultKind::Delay(by) => {
            tokio::time::sleep(by).await;
            next.run(request).await
        }
        FaultKind::Truncate => {
            let (mut parts, bytes) = buffered(next.run(request).await).await;
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(bytes.slice(..bytes.len() / 2)))
        }
        FaultKind::Stall => {
            let (mut parts, bytes) = buffered(next.run(request).await).await;
            parts.headers.remove(header::CONTENT_LENGTH);
            let first = bytes.slice(..bytes.len() / 2);
            let stream =
                futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(first) })
                    .chain(futures_util::stream::pending());
            return Response::from_parts(parts, Body::from_stream(stream));
        }
    };
    for (name, value) in &fault.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(n, v);
        }
    }
    record(&shared, &method, &path, response, faulted).await
}

/// Closes the connection the request came on, without an answer.
async fn drop_connection(kill: Option<ConnectionKill>) -> Response {
    if let Some(ConnectionKill(kill)) = kill {
        kill.notify_one();
        std::future::pending::<()>().await;
    }
    // Not served through the emulator's own loop: the nearest thing is an empty 500.
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// An answer of the emulator's own, with its whole body (the handlers build bodies in memory).
async fn buffered(r: Response) -> (axum::http::response::Parts, bytes::Bytes) {
    let (parts, body) = r.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    (parts, bytes)
}

async fn record(
    shared: &Shared,
    method: &axum::http::Method,
    path: &str,
    r: Response,
    faulted: bool,
) -> Response {
    let Some(exchanges) = &shared.exchanges else {
        return r;
    };
    let (parts, bytes) = buffered(r).await;
    lock(exchanges).push(Exchange {
        method: method.to_string(),
        path: path.to_string(),
        status: parts.status.as_u16(),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        body: bytes.clone(),
        faulted,
    });
    Response::from_parts(parts, Body::from(bytes))
}

/// For matched routes, after authentication: organizations must be enabled, and the request
/// must fit the key's rate limits.
async fn route_guard(AxState(shared): App, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_string();
    let mut budgets = vec![("global", crate::limits::global_for_key(&key))];
    budgets.extend(ratelimit::endpoint_limit(request.method(), &route));
    let admitted = lock(&shared.limiter).admit(&key, &budgets, Instant::now());
    if let Err(wait) = admitted {
        let mut r = clerk_error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many requests",
            "Too many requests, retry later",
            None,
        );
        r.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(ratelimit::retry_after_secs(wait)),
        );
        return r;
    }
    let org_route = route.starts_with("/v1/organization") || route.starts_with("/v1/users/");
    if org_route && !shared.state().organizations_enabled {
        return forbidden(
            "organization_not_enabled_in_instance",
            "The organizations feature is not enabled for your instance.",
            None,
        );
    }
    next.run(request).await
}

fn check(shared: &Shared, headers: &HeaderMap, query: Option<&str>) -> Option<Response> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    let key_invalid = || {
        clerk_error(
            StatusCode::UNAUTHORIZED,
            "clerk_key_invalid",
            "Secret Key invalid",
            "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.",
            None,
        )
    };
    let Some(auth) = auth else {
        return Some(key_invalid());
    };
    let Some(key) = auth.strip_prefix("Bearer ") else {
        return Some(clerk_error(
            StatusCode::UNAUTHORIZED,
            "authorization_header_format_invalid",
            "Invalid Authorization header format",
            "Invalid Authorization header format. Must be 'Bearer <YOUR_API_KEY>'",
            None,
        ));
    };
    if !shared.keys.iter().any(|k| k == key) {
        return Some(key_invalid());
    }
    let header_version = headers
        .get("clerk-api-version")
        .map(|v| v.to_str().unwrap_or("").to_string());
    let query_version = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "__clerk_api_version")
            .map(|(_, v)| v.into_owned())
    });
    let version_invalid = |long: &str| {
        Some(clerk_error(
            StatusCode::BAD_REQUEST,
            "api_version_invalid",
            "Invalid API version",
            long,
            None,
        ))
    };
    match (header_version, query_version) {
        (Some(_), Some(_)) => version_invalid(
            "Set the API version in the Clerk-API-Version header or the __clerk_api_version query parameter, not both.",
        ),
        (Some(v), None) | (None, Some(v)) if !KNOWN_VERSIONS.contains(&v.as_str()) => {
            version_invalid(&format!(
                "The API version '{}' is invalid.",
                v.escape_debug()
            ))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

async fn json_body(headers: &HeaderMap, body: Body, required: bool) -> Result<Value, Response> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        clerk_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_body_too_large",
            "Request body too large",
            &format!("The request body exceeds the maximum allowed size of {MAX_BODY} bytes."),
            None,
        )
    })?;
    if bytes.is_empty() && !required {
        return Ok(Value::Object(Map::new()));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(clerk_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
            "Unsupported content type",
            "The request body must be JSON, sent with Content-Type: application/json.",
            None,
        ));
    }
    serde_json::from_slice(&bytes).map_err(|_| {
        clerk_error(
            StatusCode::BAD_REQUEST,
            "request_body_invalid",
            "Request body invalid",
            "The request body is not valid JSON.",
            None,
        )
    })
}

struct Fields<'a> {
    obj: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Fields<'a> {
    fn new(v: &'a Value, allowed: &[&str], prefix: String) -> Result<Self, Response> {
        let obj = v.as_object().ok_or_else(|| {
            clerk_error(
                StatusCode::BAD_REQUEST,
                "request_body_invalid",
                "Request body invalid",
                "The request body must be a JSON object.",
                None,
            )
        })?;
        if let Some(unknown) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            let p = format!("{prefix}{unknown}");
            return Err(param_error(
                "form_param_unknown",
                &p,
                format!("{p} is not a valid parameter for this request."),
            ));
        }
        Ok(Fields { obj, prefix })
    }

    fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    fn get(&self, field: &str) -> Option<&'a Value> {
        self.obj.get(field).filter(|v| !v.is_null())
    }

    fn email(&self) -> Result<String, Response> {
        let name = self.name("email_address");
        match self.get("email_address") {
            None => Err(param_error(
                "form_param_missing",
                &name,
                format!("{name} must be included."),
            )),
            Some(Value::String(s)) if s.trim().is_empty() => Err(param_error(
                "form_param_missing",
                &name,
                format!("{name} must be included."),
            )),
            Some(Value::String(s)) if crate::validate::email(&name, s).is_ok() => {
                Ok(s.trim().to_lowercase())
            }
            Some(_) => Err(param_error(
                "form_param_format_invalid",
                &name,
                format!("{name} must be a valid email address."),
            )),
        }
    }

    fn string(&self, field: &str) -> Result<Option<String>, Response> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(&self.name(field))),
        }
    }

    fn required_string(&self, field: &str) -> Result<String, Response> {
        match self.string(field)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => {
                let n = self.name(field);
                Err(param_error(
                    "form_param_missing",
                    &n,
                    format!("{n} must be included."),
                ))
            }
        }
    }

    fn boolean(&self, field: &str, default: bool) -> Result<bool, Response> {
        match self.get(field) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(invalid(&self.name(field))),
        }
    }

    fn metadata(&self, field: &str) -> Result<Map<String, Value>, Response> {
        match self.get(field) {
            None => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(_) => Err(invalid(&self.name(field))),
        }
    }

    fn expires_in_days(&self) -> Result<Option<i64>, Response> {
        match self.get("expires_in_days") {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(d) if (1..=365).contains(&d) => Ok(Some(d)),
                _ => Err(invalid(&self.name("expires_in_days"))),
            },
        }
    }
}

struct ListQuery {
    statuses: Vec<String>,
    query: Option<String>,
    email_address: Option<String>,
    order_by: (String, bool),
    paginated: bool,
    limit: usize,
    offset: usize,
}

fn parse_query(raw: Option<String>, allowed_order: &[&str]) -> Result<ListQuery, Response> {
    let mut q = ListQuery {
        statuses: Vec::new(),
        query: None,
        email_address: None,
        order_by: ("created_at".into(), true),
        paginated: false,
        limit: 10,
        offset: 0,
    };
    let raw = raw.unwrap_or_default();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        match &*k {
            "status" => {
                if !InvitationStatus::KNOWN.contains(&&*v) {
                    return Err(param_error(
                        "form_param_value_invalid",
                        "status",
                        format!(
                            "status must be one of {}",
                            InvitationStatus::KNOWN.join(", ")
                        ),
                    ));
                }
                q.statuses.push(v.into_owned());
            }
            "query" => q.query = Some(v.to_lowercase()),
            "email_address" => q.email_address = Some(v.to_lowercase()),
            "order_by" => {
                let (desc, field) = match v.strip_prefix('-') {
                    Some(f) => (true, f),
                    None => (false, v.strip_prefix('+').unwrap_or(&v)),
                };
                if !allowed_order.contains(&field) {
                    return Err(param_error(
                        "form_param_value_invalid",
                        "order_by",
                        format!(
                            "order_by must be one of {}, optionally prefixed with + or -",
                            allowed_order.join(", ")
                        ),
                    ));
                }
                q.order_by = (field.to_string(), desc);
            }
            "paginated" => q.paginated = v == "true",
            "limit" => match v.parse::<usize>() {
                Ok(l) if (1..=500).contains(&l) => q.limit = l,
                _ => {
                    return Err(param_error(
                        "form_param_value_invalid",
                        "limit",
                        "limit must be between 1 and 500".into(),
                    ));
                }
            },
            "offset" => match v.parse::<usize>() {
                Ok(o) => q.offset = o,
                _ => {
                    return Err(param_error(
                        "form_param_value_invalid",
                        "offset",
                        "offset must be 0 or greater".into(),
                    ));
                }
            },
            _ => {}
        }
    }
    Ok(q)
}

/// The items of a bulk request: a JSON array of 1 to 10 objects, each parsed with `parse`
/// (whose errors name the item's index).
async fn bulk_items<T>(
    headers: &HeaderMap,
    body: Body,
    parse: fn(&Value, String) -> Result<T, Response>,
) -> Result<Vec<T>, Response> {
    let v = json_body(headers, body, true).await?;
    let Some(items) = v.as_array() else {
        return Err(clerk_error(
            StatusCode::BAD_REQUEST,
            "request_body_invalid",
            "Request body invalid",
            "The request body must be a JSON array.",
            None,
        ));
    };
    if items.is_empty() {
        return Err(param_error(
            "form_param_missing",
            "invitations",
            "At least one invitation must be included.".into(),
        ));
    }
    if items.len() > MAX_BULK {
        return Err(clerk_error(
            StatusCode::BAD_REQUEST,
            "bulk_size_exceeded",
            "bulk size exceeded",
            "Parameters exceed the maximum allowed bulk processing size of 10.",
            None,
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse(item, format!("[{i}].")))
        .collect()
}

fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

fn not_found(what: &str, id: &str) -> Response {
    let long = format!("No {what} was found with id {id}.");
    clerk_error(
        StatusCode::NOT_FOUND,
        "resource_not_found",
        "not found",
        &long,
        None,
    )
}

fn compare<T: Ord>(a: T, b: T, desc: bool) -> Ordering {
    if desc { b.cmp(&a) } else { a.cmp(&b) }
}

/// The page of items already in the wanted order, and how many there are.
fn page_in_order<T>(items: impl Iterator<Item = T>, q: &ListQuery) -> (Vec<T>, usize) {
    let mut total = 0;
    let mut page = Vec::with_capacity(q.limit.min(64));
    for item in items {
        if total >= q.offset && page.len() < q.limit {
            page.push(item);
        }
        total += 1;
    }
    (page, total)
}

/// The page of `items` in the order of `cmp` (a total order), and how many there are. Selects
/// the page in linear time and sorts only the page.
fn page_sorted<T>(
    mut items: Vec<T>,
    q: &ListQuery,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> (Vec<T>, usize) {
    let total = items.len();
    if q.offset >= total || q.limit == 0 {
        return (Vec::new(), total);
    }
    if q.offset > 0 {
        items.select_nth_unstable_by(q.offset, &cmp);
        items.drain(..q.offset);
    }
    if q.limit < items.len() {
        items.select_nth_unstable_by(q.limit - 1, &cmp);
        items.truncate(q.limit);
    }
    items.sort_unstable_by(&cmp);
    (items, total)
}

// ---------------------------------------------------------------------------------------------
// Application invitations
// ---------------------------------------------------------------------------------------------

const APP_FIELDS: [&str; 7] = [
    "email_address",
    "public_metadata",
    "redirect_url",
    "notify",
    "ignore_existing",
    "expires_in_days",
    "template_slug",
];

struct NewApp {
    email: String,
    metadata: Map<String, Value>,
    notify: bool,
    ignore_existing: bool,
    days: Option<i64>,
}

fn parse_app(v: &Value, prefix: String) -> Result<NewApp, Response> {
    let f = Fields::new(v, &APP_FIELDS, prefix)?;
    let email = f.email()?;
    let metadata = f.metadata("public_metadata")?;
    f.string("redirect_url")?;
    if let Some(slug) = f.string("template_slug")?
        && !crate::models::TemplateSlug::KNOWN.contains(&slug.as_str())
    {
        return Err(invalid(&f.name("template_slug")));
    }
    Ok(NewApp {
        email,
        metadata,
        notify: f.boolean("notify", true)?,
        ignore_existing: f.boolean("ignore_existing", false)?,
        days: f.expires_in_days()?,
    })
}

fn duplicate(emails: &[String]) -> Response {
    let long = format!(
        "There are already pending invitations for the following email addresses: {}",
        emails.join(", ")
    );
    clerk_error(
        StatusCode::BAD_REQUEST,
        "duplicate_record",
        "duplicate record",
        &long,
        Some(json!({"email_addresses": emails})),
    )
}

fn identifier_exists(param: &str) -> Response {
    clerk_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_identifier_exists",
        "That email address is taken. Please try another.",
        "That email address is taken. Please try another.",
        Some(json!({"param_name": param})),
    )
}

fn has_live_invitation(s: &State, email: &str) -> bool {
    s.invitations_for(email).any(|i| {
        matches!(
            s.effective_status(&i.status, i.expires_at),
            "pending" | "accepted"
        )
    })
}

fn store_app(s: &mut State, n: NewApp) -> StoredInvitation {
    s.create_invitation(n.email, n.metadata, n.days, n.notify)
}

async fn create_invitation(AxState(shared): App, headers: HeaderMap, body: Body) -> Response {
    let v = match json_body(&headers, body, true).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let n = match parse_app(&v, String::new()) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let mut s = shared.state();
    if !n.ignore_existing {
        if s.user_by_email(&n.email).is_some() {
            return identifier_exists("email_address");
        }
        if has_live_invitation(&s, &n.email) {
            return duplicate(std::slice::from_ref(&n.email));
        }
    }
    let inv = store_app(&mut s, n);
    ok(s.invitation_json(&inv, true))
}

async fn create_bulk_invitations(AxState(shared): App, headers: HeaderMap, body: Body) -> Response {
    let parsed = match bulk_items(&headers, body, parse_app).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut s = shared.state();
    // Existing users are refused even with ignore_existing.
    if let Some(i) = parsed
        .iter()
        .position(|n| s.user_by_email(&n.email).is_some())
    {
        return identifier_exists(&format!("[{i}].email_address"));
    }
    let mut dups: Vec<String> = Vec::new();
    for (i, n) in parsed.iter().enumerate() {
        let repeated = parsed[..i].iter().any(|p| p.email == n.email);
        if !n.ignore_existing
            && (repeated || has_live_invitation(&s, &n.email))
            && !dups.contains(&n.email)
        {
            dups.push(n.email.clone());
        }
    }
    if !dups.is_empty() {
        return duplicate(&dups);
    }
    let created: Vec<Value> = parsed
        .into_iter()
        .map(|n| {
            let inv = store_app(&mut s, n);
            s.invitation_json(&inv, true)
        })
        .collect();
    ok(Value::Array(created))
}

async fn list_invitations(AxState(shared): App, RawQuery(raw): RawQuery) -> Response {
    let q = match parse_query(raw, &["created_at", "email_address", "expires_at"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let s = shared.state();
    let now = s.now_ms();
    let wanted = |inv: &StoredInvitation| {
        let status = status_at(&inv.status, inv.expires_at, now);
        let status_ok = if q.statuses.is_empty() {
            status != "revoked"
        } else {
            q.statuses.iter().any(|s| s == status)
        };
        status_ok
            && q.query.as_ref().is_none_or(|needle| {
                inv.email_address.contains(needle.as_str()) || inv.id.to_lowercase() == *needle
            })
    };
    let (field, desc) = (q.order_by.0.as_str(), q.order_by.1);
    let (items, total) = if field == "created_at" {
        // The store is in creation order, ties in insertion order: walk it, keep the page.
        if desc {
            page_in_order(s.invitations.iter().rev().filter(|i| wanted(i)), &q)
        } else {
            page_in_order(s.invitations.iter().filter(|i| wanted(i)), &q)
        }
    } else {
        let items: Vec<(usize, &StoredInvitation)> = s
            .invitations
            .iter()
            .enumerate()
            .filter(|(_, inv)| wanted(inv))
            .collect();
        let (items, total) = page_sorted(items, &q, |a, b| {
            let primary = if field == "email_address" {
                compare(&a.1.email_address, &b.1.email_address, desc)
            } else {
                compare(a.1.expires_at, b.1.expires_at, desc)
            };
            primary.then_with(|| compare(a.0, b.0, desc))
        });
        (items.into_iter().map(|(_, inv)| inv).collect(), total)
    };
    let data: Vec<Value> = items
        .into_iter()
        .map(|inv| s.invitation_json(inv, false))
        .collect();
    if q.paginated {
        ok(json!({"data": data, "total_count": total}))
    } else {
        ok(Value::Array(data))
    }
}

async fn revoke_invitation(AxState(shared): App, Path(id): Path<String>) -> Response {
    let mut s = shared.state();
    let now = s.now_ms();
    let Some(idx) = s.invitations.iter().position(|i| i.id == id) else {
        return not_found("invitation", &id);
    };
    match s.invitations[idx].status.as_str() {
        "revoked" => {
            return clerk_error(
                StatusCode::BAD_REQUEST,
                "invitation_already_revoked",
                "already revoked",
                "Invitation is already revoked.",
                None,
            );
        }
        "accepted" => {
            return clerk_error(
                StatusCode::BAD_REQUEST,
                "invitation_already_accepted",
                "already accepted",
                "Invitation is already accepted, try signing in instead.",
                None,
            );
        }
        _ => {}
    }
    let inv = &mut s.invitations[idx];
    inv.status = "revoked".into();
    inv.updated_at = now;
    let inv = inv.clone();
    ok(s.invitation_json(&inv, false))
}

// ---------------------------------------------------------------------------------------------
// Organization invitations
// ---------------------------------------------------------------------------------------------

const ORG_FIELDS: [&str; 8] = [
    "email_address",
    "role",
    "inviter_user_id",
    "public_metadata",
    "private_metadata",
    "redirect_url",
    "expires_in_days",
    "notify",
];

struct NewOrg {
    email: String,
    role: String,
    inviter: Option<String>,
    public: Map<String, Value>,
    private: Map<String, Value>,
    days: Option<i64>,
}

fn parse_org(v: &Value, prefix: String) -> Result<NewOrg, Response> {
    let f = Fields::new(v, &ORG_FIELDS, prefix)?;
    let n = NewOrg {
        email: f.email()?,
        role: f.required_string("role")?,
        inviter: f.string("inviter_user_id")?,
        public: f.metadata("public_metadata")?,
        private: f.metadata("private_metadata")?,
        days: f.expires_in_days()?,
    };
    f.string("redirect_url")?;
    f.boolean("notify", true)?;
    Ok(n)
}

fn forbidden(code: &str, long: &str, meta: Option<Value>) -> Response {
    clerk_error(StatusCode::FORBIDDEN, code, long, long, meta)
}

/// The acting user (inviter or revoker) must be a member allowed to manage members.
fn check_actor(s: &State, org: &str, user: Option<&str>) -> Result<(), Response> {
    let Some(user) = user else { return Ok(()) };
    let o = &s.organizations[org];
    let Some(role) = o.members.get(user) else {
        return Err(forbidden(
            "not_a_member_in_organization",
            "Only organization members can perform this action.",
            None,
        ));
    };
    if !o.roles.get(role).copied().unwrap_or(false) {
        return Err(forbidden(
            "missing_organization_permission",
            "You do not have the permission to perform this action.",
            Some(json!({"permissions": ["org:sys_memberships:manage"]})),
        ));
    }
    Ok(())
}

fn pending_org_invitation(s: &State, org: &str, email: &str) -> Option<usize> {
    s.org_invitations_for(org, email).find(|&idx| {
        let i = &s.org_invitations[idx];
        s.effective_status(&i.status, i.expires_at) == "pending"
    })
}

/// Pending invitations of an organization.
fn pending_in(s: &State, org: &str) -> usize {
    s.org_invitations
        .iter()
        .filter(|i| {
            i.organization_id == org && s.effective_status(&i.status, i.expires_at) == "pending"
        })
        .count()
}

/// Checks one organization invitation; `Ok(Some(idx))` when a pending one exists already.
fn check_org_invite(
    s: &State,
    org: &str,
    n: &NewOrg,
    extra_pending: usize,
) -> Result<Option<usize>, Response> {
    let o = &s.organizations[org];
    if !o.roles.contains_key(&n.role) {
        return Err(clerk_error(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "Organization role not found",
            "Organization role not found",
            Some(json!({"param_name": "role"})),
        ));
    }
    check_actor(s, org, n.inviter.as_deref())?;
    if let Some(user) = s.user_by_email(&n.email)
        && o.members.contains_key(&user.id)
    {
        let long = "The user is already a member of the organization.";
        return Err(clerk_error(
            StatusCode::BAD_REQUEST,
            "already_a_member_in_organization",
            long,
            long,
            None,
        ));
    }
    if let Some(idx) = pending_org_invitation(s, org, &n.email) {
        return Ok(Some(idx));
    }
    if let Some(max) = o.max_memberships {
        let pending = pending_in(s, org);
        if o.members.len() + pending + extra_pending >= max as usize {
            return Err(forbidden(
                "organization_membership_quota_exceeded",
                "You have reached your limit of organization memberships, including outstanding invitations.",
                None,
            ));
        }
    }
    if let Some(seats) = o.seats
        && o.members.len() + pending_in(s, org) + extra_pending >= seats as usize
    {
        let long = "There are not enough seats left in the organization's plan.";
        return Err(clerk_error(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_seats",
            long,
            long,
            None,
        ));
    }
    Ok(None)
}

fn store_org(s: &mut State, org: &str, n: NewOrg) -> StoredOrganizationInvitation {
    let now = s.creation_time();
    let inv = StoredOrganizationInvitation {
        id: s.new_id("orginv_"),
        organization_id: org.to_string(),
        email_address: n.email,
        role: n.role,
        inviter_id: n.inviter,
        status: "pending".into(),
        public_metadata: n.public,
        private_metadata: n.private,
        expires_at: s.expiry(now, n.days),
        created_at: now,
        updated_at: now,
    };
    s.push_org_invitation(inv.clone());
    inv
}

async fn create_org_invitation(
    AxState(shared): App,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !shared.state().organizations.contains_key(&org) {
        return not_found("organization", &org);
    }
    let v = match json_body(&headers, body, true).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let n = match parse_org(&v, String::new()) {
        Ok(n) => n,
        Err(r) => return r,
    };
    // Organizations are never removed: the check before parsing still holds.
    let mut s = shared.state();
    match check_org_invite(&s, &org, &n, 0) {
        Err(r) => r,
        Ok(Some(existing)) => {
            // A second invitation to a pending address returns the existing one.
            let inv = s.org_invitations[existing].clone();
            ok(s.org_invitation_json(&inv, false))
        }
        Ok(None) => {
            let inv = store_org(&mut s, &org, n);
            ok(s.org_invitation_json(&inv, false))
        }
    }
}

async fn create_org_invitation_bulk(
    AxState(shared): App,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !shared.state().organizations.contains_key(&org) {
        return not_found("organization", &org);
    }
    let parsed = match bulk_items(&headers, body, parse_org).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut s = shared.state();
    let mut plan = Vec::with_capacity(parsed.len());
    let mut new_count = 0;
    for n in &parsed {
        match check_org_invite(&s, &org, n, new_count) {
            Err(r) => return r,
            Ok(existing) => {
                if existing.is_none() {
                    new_count += 1;
                }
                plan.push(existing);
            }
        }
    }
    let mut data = Vec::with_capacity(parsed.len());
    for (n, existing) in parsed.into_iter().zip(plan) {
        let inv = match existing.or_else(|| pending_org_invitation(&s, &org, &n.email)) {
            Some(idx) => s.org_invitations[idx].clone(),
            None => store_org(&mut s, &org, n),
        };
        data.push(s.org_invitation_json(&inv, false));
    }
    let total = data.len();
    ok(json!({"data": data, "total_count": total}))
}

fn org_list(
    s: &State,
    q: &ListQuery,
    filter: impl Fn(&StoredOrganizationInvitation) -> bool,
    with_org: bool,
) -> Response {
    let now = s.now_ms();
    let items: Vec<(usize, &StoredOrganizationInvitation)> = s
        .org_invitations
        .iter()
        .enumerate()
        .filter(|(_, inv)| {
            let status = status_at(&inv.status, inv.expires_at, now);
            (q.statuses.is_empty() || q.statuses.iter().any(|s| s == status))
                && q.email_address
                    .as_ref()
                    .is_none_or(|e| &inv.email_address == e)
                && q.query
                    .as_ref()
                    .is_none_or(|needle| inv.email_address.contains(needle.as_str()))
                && filter(inv)
        })
        .collect();
    let desc = q.order_by.1;
    let (items, total) = page_sorted(items, q, |a, b| {
        let primary = if q.order_by.0 == "email_address" {
            compare(&a.1.email_address, &b.1.email_address, desc)
        } else {
            compare(a.1.created_at, b.1.created_at, desc)
        };
        primary.then_with(|| compare(a.0, b.0, desc))
    });
    let data: Vec<Value> = items
        .into_iter()
        .map(|(_, inv)| s.org_invitation_json(inv, with_org))
        .collect();
    ok(json!({"data": data, "total_count": total}))
}

async fn list_org_invitations(
    AxState(shared): App,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = match parse_query(raw, &["created_at", "email_address"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let s = shared.state();
    if !s.organizations.contains_key(&org) {
        return not_found("organization", &org);
    }
    org_list(&s, &q, |i| i.organization_id == org, false)
}

async fn list_pending_org_invitations(
    AxState(shared): App,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut q = match parse_query(raw, &["created_at"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    q.statuses = vec!["pending".into()];
    q.email_address = None;
    q.query = None;
    let s = shared.state();
    if !s.organizations.contains_key(&org) {
        return not_found("organization", &org);
    }
    org_list(&s, &q, |i| i.organization_id == org, false)
}

async fn list_instance_org_invitations(AxState(shared): App, RawQuery(raw): RawQuery) -> Response {
    let mut q = match parse_query(raw, &["created_at", "email_address"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    q.email_address = None;
    let s = shared.state();
    org_list(&s, &q, |_| true, true)
}

async fn list_user_org_invitations(
    AxState(shared): App,
    Path(user): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut q = match parse_query(raw, &["created_at"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    if q.statuses.len() > 1 {
        return param_error(
            "form_param_value_invalid",
            "status",
            "status takes a single value".into(),
        );
    }
    let s = shared.state();
    let Some(email) = s.user(&user).map(|u| u.email.clone()) else {
        return not_found("user", &user);
    };
    q.query = None;
    q.email_address = Some(email);
    org_list(&s, &q, |_| true, true)
}

async fn get_org_invitation(
    AxState(shared): App,
    Path((org, id)): Path<(String, String)>,
) -> Response {
    let s = shared.state();
    if !s.organizations.contains_key(&org) {
        return not_found("organization", &org);
    }
    match s
        .org_invitations
        .iter()
        .find(|i| i.id == id && i.organization_id == org)
    {
        Some(inv) => ok(s.org_invitation_json(inv, false)),
        None => not_found("organization invitation", &id),
    }
}

async fn revoke_org_invitation(
    AxState(shared): App,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !shared.state().organizations.contains_key(&org) {
        return not_found("organization", &org);
    }
    let v = match json_body(&headers, body, false).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let requester = match Fields::new(&v, &["requesting_user_id"], String::new())
        .and_then(|f| f.string("requesting_user_id"))
    {
        Ok(r) => r,
        Err(r) => return r,
    };
    // Organizations are never removed: the check before parsing still holds.
    let mut s = shared.state();
    if let Err(r) = check_actor(&s, &org, requester.as_deref()) {
        return r;
    }
    let now = s.now_ms();
    let idx = s.org_invitations.iter().position(|i| {
        i.id == id
            && i.organization_id == org
            && s.effective_status(&i.status, i.expires_at) == "pending"
    });
    let Some(idx) = idx else {
        let long = "The organization invitation is not in the 'pending' status.";
        return clerk_error(
            StatusCode::NOT_FOUND,
            "organization_invitation_not_pending",
            long,
            long,
            None,
        );
    };
    let inv = &mut s.org_invitations[idx];
    inv.status = "revoked".into();
    inv.updated_at = now;
    let inv = inv.clone();
    ok(s.org_invitation_json(&inv, false))
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
