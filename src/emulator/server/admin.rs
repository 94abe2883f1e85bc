//! The admin API, under `/__emulator/` (a prefix none of Clerk's paths can take): every control
//! the Rust API has, over HTTP, for tests in any language. No key is needed: the emulator
//! listens on loopback only.

use super::*;
use crate::emulator::Fault;
use crate::emulator::seed::Seed;
use axum::routing::delete as delete_route;

pub(crate) fn admin_router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/__emulator/health", get(health))
        .route("/__emulator/{*rest}", axum::routing::any(unknown))
        .route("/__emulator/state", get(dump))
        .route("/__emulator/seed", post(load))
        .route("/__emulator/reset", post(reset))
        .route("/__emulator/save", post(save))
        .route("/__emulator/invitations/{id}/accept", post(accept))
        .route(
            "/__emulator/organization_invitations/{id}/accept",
            post(accept_org),
        )
        .route("/__emulator/clock", get(clock).post(set_clock))
        .route("/__emulator/settings", post(settings))
        .route("/__emulator/faults", get(queued).post(inject).delete(clear))
        .route("/__emulator/requests", get(requests))
        .route(
            "/__emulator/webhooks",
            get(webhooks).post(add_webhook).delete(remove_webhooks),
        )
        .route("/__emulator/webhooks/deliveries", get(webhook_deliveries))
        .route("/__emulator/faults/all", delete_route(clear))
}

/// `GET /__emulator/health`: the emulator answers, and its version.
async fn health() -> Response {
    axum::Json(json!({"ok": true, "version": env!("CARGO_PKG_VERSION")})).into_response()
}

/// Any other path under `/__emulator/`: 404, naming the admin API's paths.
async fn unknown() -> Response {
    admin_error(
        StatusCode::NOT_FOUND,
        "no such admin endpoint: health, state, seed, reset, save, invitations/{id}/accept, organization_invitations/{id}/accept, clock, settings, faults, requests, webhooks, webhooks/deliveries",
    )
}

fn admin_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": message.into()}))).into_response()
}

async fn body_text(body: Body) -> Result<String, Response> {
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| admin_error(StatusCode::PAYLOAD_TOO_LARGE, "the body is too large"))?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| admin_error(StatusCode::BAD_REQUEST, "the body is not UTF-8"))
}

async fn json_object(body: Body) -> Result<Map<String, Value>, Response> {
    let text = body_text(body).await?;
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(admin_error(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object",
        )),
    }
}

/// `GET /__emulator/state`: everything the emulator holds, as a seed document (JSON), without
/// the webhook endpoints (their secrets stay out of the admin API).
async fn dump(AxState(shared): App) -> Response {
    let seed = shared.state().to_seed();
    axum::Json(seed).into_response()
}

/// `POST /__emulator/seed`: adds a seed document (YAML or JSON) to the state, and registers its
/// webhook endpoints.
async fn load(AxState(shared): App, body: Body) -> Response {
    let text = match body_text(body).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match Seed::from_yaml(&text).and_then(|seed| shared.load(&seed)) {
        Ok(()) => axum::Json(json!({"seeded": true})).into_response(),
        Err(e) => admin_error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    }
}

/// `POST /__emulator/reset`: an empty state, no queued faults, an empty request log and record
/// of deliveries, and no webhook endpoints but those given at start (`--webhook`). Keys,
/// limits and settings stay.
async fn reset(AxState(shared): App) -> Response {
    *shared.state() = State::default();
    shared.webhooks.reset();
    lock(&shared.faults).queue.clear();
    if let Some(x) = &shared.exchanges {
        lock(x).clear();
    }
    axum::Json(json!({"reset": true})).into_response()
}

/// `POST /__emulator/save`: writes the state file (`--state`) now.
async fn save(AxState(shared): App) -> Response {
    let Some(path) = &shared.state_file else {
        return admin_error(
            StatusCode::CONFLICT,
            "no state file: start the emulator with --state FILE",
        );
    };
    match crate::emulator::state_file::save(&shared.state_document(), path) {
        Ok(()) => axum::Json(json!({"saved": path.display().to_string()})).into_response(),
        Err(e) => admin_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `POST /__emulator/invitations/{id}/accept`: the invitee signs up.
async fn accept(AxState(shared): App, Path(id): Path<String>) -> Response {
    match shared.state().accept_invitation(&id) {
        Some(user) => axum::Json(json!({"user_id": user})).into_response(),
        None => admin_error(
            StatusCode::NOT_FOUND,
            format!("no pending application invitation {id}"),
        ),
    }
}

/// `POST /__emulator/organization_invitations/{id}/accept`: the invitee joins.
async fn accept_org(AxState(shared): App, Path(id): Path<String>) -> Response {
    match shared.accept_org_invitation(&id) {
        Some(user) => axum::Json(json!({"user_id": user})).into_response(),
        None => admin_error(
            StatusCode::NOT_FOUND,
            format!("no pending organization invitation {id}"),
        ),
    }
}

/// `GET /__emulator/webhooks`: the URLs events are delivered to.
async fn webhooks(AxState(shared): App) -> Response {
    axum::Json(json!({"webhooks": shared.webhooks.urls()})).into_response()
}

/// `POST /__emulator/webhooks` `{"url": ..., "secret": "whsec_..."}`: delivers events to one
/// more endpoint.
async fn add_webhook(AxState(shared): App, body: Body) -> Response {
    let body = match json_object(body).await {
        Ok(b) => Value::Object(b),
        Err(r) => return r,
    };
    let Ok(endpoint) = serde_json::from_value::<crate::emulator::WebhookEndpoint>(body) else {
        return admin_error(
            StatusCode::BAD_REQUEST,
            "expected {\"url\": ..., \"secret\": \"whsec_...\"}",
        );
    };
    match shared.webhooks.add(&endpoint) {
        Ok(()) => axum::Json(json!({"webhooks": shared.webhooks.urls()})).into_response(),
        Err(e) => admin_error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

/// `DELETE /__emulator/webhooks` with `{"url": ...}`: stops delivering to that endpoint (its
/// pending retries included); without a URL, to every endpoint.
async fn remove_webhooks(AxState(shared): App, body: Body) -> Response {
    let m = match json_object(body).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let url = match m.get("url") {
        None => None,
        Some(Value::String(u)) => Some(u.as_str()),
        Some(_) => return admin_error(StatusCode::BAD_REQUEST, "`url` must be a string"),
    };
    let removed = shared.webhooks.remove(url);
    if url.is_some() && removed == 0 {
        return admin_error(StatusCode::NOT_FOUND, "no webhook endpoint with that URL");
    }
    axum::Json(json!({"removed": removed, "webhooks": shared.webhooks.urls()})).into_response()
}

/// `GET /__emulator/webhooks/deliveries`: every delivery with its attempts.
async fn webhook_deliveries(AxState(shared): App) -> Response {
    axum::Json(json!({"deliveries": shared.webhooks.deliveries()})).into_response()
}

fn clock_json(s: &State) -> Response {
    axum::Json(json!({"now_ms": s.now_ms(), "offset_ms": s.clock_offset_ms})).into_response()
}

/// `GET /__emulator/clock`: the emulator's time and its offset from this machine's.
async fn clock(AxState(shared): App) -> Response {
    clock_json(&shared.state())
}

/// `POST /__emulator/clock` with `{"offset_ms": N}` (set) and/or `{"advance_ms": N}` (move on).
async fn set_clock(AxState(shared): App, body: Body) -> Response {
    let m = match json_object(body).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut s = shared.state();
    if let Some(v) = m.get("offset_ms") {
        match v.as_i64() {
            Some(n) => {
                if let Err(e) = s.set_clock_offset(n) {
                    return admin_error(StatusCode::BAD_REQUEST, &e);
                }
            }
            None => return admin_error(StatusCode::BAD_REQUEST, "offset_ms must be an integer"),
        }
    }
    if let Some(v) = m.get("advance_ms") {
        match v.as_i64() {
            Some(n) if n >= 0 => {
                let offset = s.clock_offset_ms.saturating_add(n);
                if let Err(e) = s.set_clock_offset(offset) {
                    return admin_error(StatusCode::BAD_REQUEST, &e);
                }
            }
            _ => {
                return admin_error(
                    StatusCode::BAD_REQUEST,
                    "advance_ms must be a non-negative integer",
                );
            }
        }
    }
    clock_json(&s)
}

/// `POST /__emulator/settings` with any of `latency_ms`, `list_lag_ms`,
/// `organizations_enabled`, `organization_seats` (`{"org_1": 5}`; null: unlimited),
/// `rate_limits` (a boolean) and `time_scale` (a positive number).
async fn settings(AxState(shared): App, body: Body) -> Response {
    let m = match json_object(body).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    for (k, v) in &m {
        match (k.as_str(), v) {
            ("latency_ms", Value::Number(n)) if n.as_u64().is_some() => {
                lock(&shared.faults).latency =
                    std::time::Duration::from_millis(n.as_u64().unwrap_or(0));
            }
            ("list_lag_ms", Value::Number(n)) if n.as_i64().is_some_and(|n| n >= 0) => {
                shared.state().list_lag_ms = n.as_i64().unwrap_or(0);
            }
            ("organizations_enabled", Value::Bool(b)) => shared.state().organizations_enabled = *b,
            // The rate limits on or off, and how fast their windows pass, while it runs (the
            // windows start afresh).
            ("rate_limits", Value::Bool(on)) => {
                let scale = lock(&shared.limiter).time_scale;
                *lock(&shared.limiter) = ratelimit::Limiter::new(*on, scale);
            }
            ("time_scale", Value::Number(n))
                if n.as_f64().is_some_and(|x| x.is_finite() && x > 0.0) =>
            {
                let on = lock(&shared.limiter).enabled;
                *lock(&shared.limiter) = ratelimit::Limiter::new(on, n.as_f64().unwrap_or(1.0));
            }
            // {"org_1": 5, "org_2": null}: the seats of each organization's plan.
            ("organization_seats", Value::Object(seats)) => {
                let mut s = shared.state();
                for (org, n) in seats {
                    let Some(o) = s.organizations.get_mut(org) else {
                        return admin_error(
                            StatusCode::NOT_FOUND,
                            format!("no organization {org}"),
                        );
                    };
                    o.seats = n.as_u64().and_then(|n| u32::try_from(n).ok());
                }
            }
            _ => {
                return admin_error(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "unknown setting or bad value: `{k}` (latency_ms and list_lag_ms take milliseconds, organizations_enabled and rate_limits a boolean, time_scale a positive number, organization_seats an object)"
                    ),
                );
            }
        }
    }
    axum::Json(json!({"ok": true})).into_response()
}

/// `POST /__emulator/faults`: queues a fault, described in JSON:
/// `{"kind": "status", "status": 503, "method": "GET", "path": "/invitations", "times": 2,
/// "headers": {"retry-after": "1"}}`. Kinds: `status`, `respond` (with `status`,
/// `content_type`, `body`), `drop_before`, `drop_after`, `truncate`, `stall`, `delay` (with
/// `delay_ms`).
async fn inject(AxState(shared): App, body: Body) -> Response {
    let m = match json_object(body).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    match fault_from(&m) {
        Ok(f) => {
            lock(&shared.faults).queue.push(f);
            axum::Json(json!({"queued": true})).into_response()
        }
        Err(e) => admin_error(StatusCode::BAD_REQUEST, e),
    }
}

fn fault_from(m: &Map<String, Value>) -> Result<Fault, String> {
    let status = || {
        m.get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| "`status` must be an HTTP status".to_string())
    };
    let kind = m.get("kind").and_then(Value::as_str).unwrap_or("status");
    let mut f = match kind {
        "status" => Fault::status(status()?),
        "respond" => Fault::respond(
            status()?,
            m.get("content_type")
                .and_then(Value::as_str)
                .unwrap_or("application/json"),
            m.get("body")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        ),
        "drop_before" => Fault::drop_before_processing(),
        "drop_after" => Fault::drop_after_processing(),
        "truncate" => Fault::truncate_body(),
        "stall" => Fault::stall_body(),
        "delay" => Fault::delay(std::time::Duration::from_millis(
            m.get("delay_ms").and_then(Value::as_u64).unwrap_or(0),
        )),
        other => {
            return Err(format!(
                "unknown fault kind `{other}`: use status, respond, drop_before, drop_after, truncate, stall or delay"
            ));
        }
    };
    if let Some(n) = m.get("times") {
        f = f.times(
            n.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or("`times` must be a count")?,
        );
    }
    match (m.get("method"), m.get("path")) {
        (None, None) => {}
        (method, path) => {
            f = f.on(
                method.and_then(Value::as_str).unwrap_or("*"),
                path.and_then(Value::as_str)
                    .ok_or("`path` must go with `method`")?,
            );
        }
    }
    for (k, v) in m
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        f = f.header(k, v.as_str().ok_or("header values must be strings")?);
    }
    Ok(f)
}

/// `GET /__emulator/faults`: the queued faults, in the order they apply, with the added
/// latency.
async fn queued(AxState(shared): App) -> Response {
    use crate::emulator::faults::FaultKind;
    let f = lock(&shared.faults);
    let list: Vec<Value> = f
        .queue
        .iter()
        .map(|q| {
            let (kind, status) = match &q.kind {
                FaultKind::Respond { status, .. } => ("respond", Some(*status)),
                FaultKind::DropBefore => ("drop_before", None),
                FaultKind::DropAfter => ("drop_after", None),
                FaultKind::Truncate => ("truncate", None),
                FaultKind::Stall => ("stall", None),
                FaultKind::Delay(_) => ("delay", None),
            };
            json!({
                "kind": kind,
                "status": status,
                "times": q.times,
                "method": q.method.as_ref().map(ToString::to_string),
                "path": q.path.as_ref().map(|p| format!("/{}", p.join("/"))),
                "headers": q.headers.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            })
        })
        .collect();
    axum::Json(json!({"faults": list, "latency_ms": f.latency.as_millis()})).into_response()
}

/// `DELETE /__emulator/faults`: clears queued faults and the added latency.
async fn clear(AxState(shared): App) -> Response {
    let mut f = lock(&shared.faults);
    f.queue.clear();
    f.latency = std::time::Duration::ZERO;
    axum::Json(json!({"cleared": true})).into_response()
}

/// `GET /__emulator/requests`: the requests answered so far (most recent last), with method,
/// path, status and body.
async fn requests(AxState(shared): App) -> Response {
    let Some(x) = &shared.exchanges else {
        return admin_error(
            StatusCode::CONFLICT,
            "requests are not recorded: start the emulator with recording on",
        );
    };
    let list: Vec<Value> = lock(x)
        .iter()
        .map(|e| {
            json!({
                "at_ms": e.at_ms,
                "method": e.method,
                "path": e.path,
                "query": e.query,
                "request_body": serde_json::from_slice::<Value>(&e.request_body)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&e.request_body).into_owned())),
                "status": e.status,
                "body": serde_json::from_slice::<Value>(&e.body)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&e.body).into_owned())),
                "faulted": e.faulted,
            })
        })
        .collect();
    axum::Json(json!({"requests": list, "total": shared.requests.load(AtomicOrdering::Relaxed)}))
        .into_response()
}
