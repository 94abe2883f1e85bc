//! Errors, trace ids, authentication, version checks, fault injection and recording.

use super::*;

pub(super) fn trace_id() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// An error in Clerk's envelope.
pub(super) fn clerk_error(
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

/// A `form_param_*` error, with Clerk's short message for the code and `long` (which must be
/// the catalogue's long message with its placeholders filled).
pub(super) fn param_error(code: &str, param: &str, long: String) -> Response {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let short = match code {
        "form_param_missing" => "is missing",
        "form_param_unknown" => "is unknown",
        _ => "is invalid",
    };
    clerk_error(
        status,
        code,
        short,
        &long,
        Some(json!({"param_name": param})),
    )
}

/// `form_param_value_invalid` for a value the parameter does not take (Clerk's
/// `FormInvalidParameterValue`).
pub(super) fn invalid(param: &str) -> Response {
    param_error(
        "form_param_value_invalid",
        param,
        format!("the given value does not match one of the allowed values for parameter {param}"),
    )
}

/// `form_param_value_invalid` with the values allowed (Clerk's
/// `FormInvalidParameterValueWithAllowed`).
pub(super) fn invalid_with_allowed(param: &str, value: &str, allowed: &str) -> Response {
    param_error(
        "form_param_value_invalid",
        param,
        format!(
            "{value} does not match the allowed values for parameter {param}. Allowed values: {allowed}"
        ),
    )
}

/// Checks the secret key and the API version, and stamps every answer with a trace id.
pub(super) async fn guard(AxState(shared): App, request: Request, next: Next) -> Response {
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
    // The service's clock, as its `Date` header says it (an offset clock shows here too).
    let now = shared.state().now_ms();
    if lock(&shared.faults).no_date {
        return response;
    }
    if let Some(date) = std::time::UNIX_EPOCH
        .checked_add(std::time::Duration::from_millis(now.max(0).unsigned_abs()))
        .map(httpdate::fmt_http_date)
        .and_then(|d| HeaderValue::from_str(&d).ok())
    {
        response.headers_mut().insert(header::DATE, date);
    }
    response
}

/// Applies latency and injected faults, counts requests and records exchanges.
pub(super) async fn faults(AxState(shared): App, request: Request, next: Next) -> Response {
    shared.requests.fetch_add(1, AtomicOrdering::Relaxed);
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    // Recorded requests keep their body: it is read here, and handed on as read.
    let (request, sent) = if shared.exchanges.is_some() {
        let (parts, body) = request.into_parts();
        match read_body(body).await {
            Ok(bytes) => (Request::from_parts(parts, Body::from(bytes.clone())), bytes),
            Err(refusal) => return refusal,
        }
    } else {
        (request, axum::body::Bytes::new())
    };
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
        return record(
            &shared,
            &method,
            (&path, &query, sent),
            next.run(request).await,
            false,
        )
        .await;
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
    record(&shared, &method, (&path, &query, sent), response, faulted).await
}

/// Closes the connection the request came on, without an answer.
pub(super) async fn drop_connection(kill: Option<ConnectionKill>) -> Response {
    if let Some(ConnectionKill(kill)) = kill {
        kill.notify_one();
        std::future::pending::<()>().await;
    }
    // Not served through the emulator's own loop: the nearest thing is an empty 500.
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// An answer of the emulator's own, with its whole body (the handlers build bodies in memory).
pub(super) async fn buffered(r: Response) -> (axum::http::response::Parts, bytes::Bytes) {
    let (parts, body) = r.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    (parts, bytes)
}

pub(super) async fn record(
    shared: &Shared,
    method: &axum::http::Method,
    (path, query, sent): (&str, &str, axum::body::Bytes),
    r: Response,
    faulted: bool,
) -> Response {
    let Some(exchanges) = &shared.exchanges else {
        return r;
    };
    // Recording reads the body; an answer of unknown length is sent on as one (chunked), so
    // that recording does not change what the client sees.
    let unknown_length = http_body::Body::size_hint(r.body()).exact().is_none();
    let (parts, bytes) = buffered(r).await;
    let at_ms = shared.state().now_ms();
    let mut exchanges = lock(exchanges);
    if exchanges.len() >= crate::emulator::MAX_RECORDED {
        exchanges.remove(0);
    }
    exchanges.push(Exchange {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        status: parts.status.as_u16(),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        body: bytes.clone(),
        faulted,
        at_ms,
        request_body: sent,
    });
    let body = if unknown_length {
        Body::from_stream(futures_util::stream::iter([Ok::<
            _,
            std::convert::Infallible,
        >(bytes)]))
    } else {
        Body::from(bytes)
    };
    Response::from_parts(parts, body)
}

/// For matched routes, after authentication: organizations must be enabled, and the request
/// must fit the key's rate limits.
pub(super) async fn route_guard(AxState(shared): App, request: Request, next: Next) -> Response {
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
        return clerk_error(
            StatusCode::FORBIDDEN,
            "organization_not_enabled_in_instance",
            "access denied",
            "The organizations feature is not enabled for this instance. You can enable it at https://dashboard.clerk.com.",
            None,
        );
    }
    next.run(request).await
}

pub(super) fn check(shared: &Shared, headers: &HeaderMap, query: Option<&str>) -> Option<Response> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    let key_invalid = || {
        clerk_error(
            StatusCode::UNAUTHORIZED,
            "clerk_key_invalid",
            "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.",
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
            "invalid API version",
            &format!("Invalid Clerk API version: {long}"),
            None,
        ))
    };
    match (header_version, query_version) {
        (Some(_), Some(_)) => version_invalid(
            "set it in the Clerk-API-Version header or the __clerk_api_version query parameter, not both",
        ),
        (Some(v), None) | (None, Some(v)) if !KNOWN_VERSIONS.contains(&v.as_str()) => {
            version_invalid(&format!("'{}' is not a known version", v.escape_debug()))
        }
        _ => None,
    }
}
