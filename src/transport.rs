//! The glue between the facade and the generated client: request hooks, timeouts and the
//! mapping of every outcome to [`Error`] or [`Response`].

use crate::error::{ApiError, Error, ErrorKind, Result};
use crate::generated;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use std::fmt;
use std::time::{Duration, SystemTime};

/// Clerk's API version header.
pub(crate) const API_VERSION_HEADER: HeaderName = HeaderName::from_static("clerk-api-version");
/// The header progenitor adds to every request; Clerk does not know it.
const PROGENITOR_VERSION_HEADER: &str = "api-version";
/// Clerk's trace id header.
const TRACE_ID_HEADER: &str = "clerk-trace-id";
/// How much of an error body is read (the rest is dropped).
const MAX_ERROR_BODY: usize = 64 * 1024;
/// How much of an unreadable body is kept in an error, for humans.
const EXCERPT_LEN: usize = 200;

/// Per-client state the request hooks need. The authorization value is marked sensitive, so
/// `Debug` does not print it.
#[derive(Clone)]
pub struct HookContext {
    pub(crate) auth: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    /// Largest success body read; a larger one is a [`ErrorKind::Decode`] error.
    pub(crate) max_response_body: usize,
}

/// Marks the stand-in response `exec` returns when a success body was too large; `call` turns
/// it into a typed error. Its status is 500 only so that the generated code hands the response
/// back instead of decoding it.
#[derive(Clone, Copy, Debug)]
struct BodyTooLarge {
    status: u16,
    limit: usize,
}

impl HookContext {
    /// Adds what every request carries: the API version, the key and the user agent.
    pub(crate) fn identify(&self, headers: &mut HeaderMap) {
        headers.insert(
            API_VERSION_HEADER,
            HeaderValue::from_static(generated::SPEC_VERSION),
        );
        headers.insert(AUTHORIZATION, self.auth.clone());
        headers.insert(USER_AGENT, self.user_agent.clone());
    }
}

impl fmt::Debug for HookContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookContext")
            .field("auth", &"<redacted>")
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

impl ClientHooks<HookContext> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> std::result::Result<(), progenitor_client::Error<E>> {
        let headers = request.headers_mut();
        headers.remove(PROGENITOR_VERSION_HEADER);
        self.inner().identify(headers);
        Ok(())
    }

    /// Sends the request with the body size limit of [`execute_limited`].
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        execute_limited(self.client(), request, self.inner().max_response_body).await
    }
}

/// Sends `request` and, for a success, enforces the body size limit: a declared
/// `Content-Length` over the limit is refused before reading; a body of unknown length
/// (chunked) is read here, up to the limit, so a huge body costs at most the limit in memory.
///
/// A plain function: the request is handed to reqwest before the future is made, so the
/// future does not carry it.
pub(crate) fn execute_limited(
    client: &reqwest::Client,
    request: reqwest::Request,
    limit: usize,
) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static {
    let pending = client.execute(request);
    async move {
        let response = pending.await?;
        if !response.status().is_success() {
            return Ok(response);
        }
        match response.content_length() {
            Some(n) if n > limit as u64 => Ok(too_large(response.status(), limit)),
            // HTTP/1.1 framing holds the body to its declared length: nothing to guard.
            Some(_) => Ok(response),
            // Only a body of unknown length is read here (boxed: it is rare, and its future
            // large).
            None => Box::pin(read_unknown_length(response, limit)).await,
        }
    }
}

/// The stand-in response for a success body over the limit.
pub(crate) fn too_large(status: reqwest::StatusCode, limit: usize) -> reqwest::Response {
    let mut r = http::Response::new(bytes::Bytes::new());
    *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    r.extensions_mut().insert(BodyTooLarge {
        status: status.as_u16(),
        limit,
    });
    reqwest::Response::from(r)
}

/// Reads a success body of unknown length (chunked) up to `limit`, so that a huge body costs
/// at most the limit in memory; its headers are kept for the rebuilt response.
async fn read_unknown_length(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let mut body = crate::attempt::Joined::default();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(too_large(status, limit));
        }
        body.push(chunk);
    }
    let mut rebuilt = http::Response::new(body.finish());
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}

/// A typed value with the HTTP status and headers of the response that carried it.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// let response = clerk.invitations().list().send_with_http_info().await?;
/// println!("HTTP {}, trace {:?}", response.status(), response.trace_id());
/// let page = response.into_value();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Response<T> {
    value: T,
    status: u16,
    headers: HeaderMap,
}

impl<T> Response<T> {
    pub(crate) fn new(value: T, status: u16, headers: HeaderMap) -> Self {
        Response {
            value,
            status,
            headers,
        }
    }

    /// The decoded value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The decoded value, by value.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `Clerk-Trace-Id` header, when the service sent one.
    pub fn trace_id(&self) -> Option<&str> {
        self.headers
            .get(TRACE_ID_HEADER)
            .and_then(|v| v.to_str().ok())
    }

    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            value: f(self.value),
            status: self.status,
            headers: self.headers,
        }
    }
}

/// Runs one attempt and maps its outcome. The attempt carries its own timeout (reqwest's
/// per-request timeout, from connecting to the end of the body: see `request::send`), so no
/// timer is kept here; a timeout is reported with the time allowed.
pub(crate) async fn call<T, F>(timeout: Duration, fut: F) -> Result<Response<T>>
where
    F: std::future::Future<Output = std::result::Result<Response<T>, progenitor_client::Error<()>>>,
{
    match fut.await {
        Ok(r) => Ok(r),
        // Boxed: reading an error body is a large future, and errors are rare.
        Err(e) => {
            let e = Box::pin(map_error(e)).await;
            if e.is_timeout() {
                Err(Error::new(
                    ErrorKind::Timeout,
                    format!("no complete response within {timeout:?}"),
                ))
            } else {
                Err(e)
            }
        }
    }
}

async fn map_error(e: progenitor_client::Error<()>) -> Error {
    use progenitor_client::Error as P;
    match e {
        P::UnexpectedResponse(response) => {
            if let Some(big) = response.extensions().get::<BodyTooLarge>() {
                return Error::new(
                    ErrorKind::Decode,
                    format!(
                        "the response body is larger than the limit of {} bytes",
                        big.limit
                    ),
                )
                .with_status(big.status)
                .with_trace_id(
                    response
                        .headers()
                        .get(TRACE_ID_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string),
                );
            }
            from_error_response(response).await
        }
        P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
            from_reqwest(e)
        }
        P::InvalidResponsePayload(bytes, e) => Error::new(
            ErrorKind::Decode,
            format!("the response body is not the expected JSON: {e}"),
        )
        .with_body_excerpt(Some(excerpt(&bytes)))
        .with_source(e),
        P::ErrorResponse(rv) => Error::new(ErrorKind::Api, "the service refused the request")
            .with_status(rv.status().as_u16()),
        P::InvalidRequest(msg) => Error::invalid_input(msg),
        P::Custom(msg) => Error::new(ErrorKind::Transport, msg),
    }
}

pub(crate) fn from_reqwest(e: reqwest::Error) -> Error {
    // reqwest's messages carry the URL, never headers, so the key cannot leak through them.
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_builder() {
        ErrorKind::Configuration
    } else {
        ErrorKind::Transport
    };
    let message = match kind {
        ErrorKind::Timeout => "the request timed out",
        ErrorKind::Configuration => "the request could not be built",
        _ if e.is_connect() => "could not connect to the service",
        _ if e.is_body() || e.is_decode() => "the connection failed while reading the response",
        _ => "the request failed before a response arrived",
    };
    let mut err = Error::new(kind, message);
    if let Some(status) = e.status() {
        err = err.with_status(status.as_u16());
    }
    err.with_source(e)
}

#[derive(serde::Deserialize)]
struct Envelope {
    errors: Vec<ApiError>,
    #[serde(default)]
    clerk_trace_id: Option<String>,
}

/// Turns a non-2xx (or an undeclared) response into an [`Error`], reading at most
/// [`MAX_ERROR_BODY`] bytes of its body.
async fn from_error_response(mut response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    let mut read_error = None;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_ERROR_BODY - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= MAX_ERROR_BODY {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                read_error = Some(e);
                break;
            }
        }
    }
    error_from_parts(status, &headers, &body, read_error)
}

/// Builds the error for a response from its parts. Public to the crate so that the decoding can
/// be tested on arbitrary input without a server.
pub(crate) fn error_from_parts(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    read_error: Option<reqwest::Error>,
) -> Error {
    let header_trace = headers
        .get(TRACE_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let retry_after = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let envelope = serde_json::from_slice::<Envelope>(body).ok();
    let (kind, message) = if (200..300).contains(&status) {
        (
            ErrorKind::Decode,
            format!("unexpected success status {status}"),
        )
    } else {
        (ErrorKind::Api, reason(status).to_string())
    };
    let mut err = Error::new(kind, message)
        .with_status(status)
        .with_retry_after(retry_after);
    match envelope {
        Some(env) => {
            err = err
                .with_trace_id(
                    env.clerk_trace_id
                        .filter(|t| !t.is_empty())
                        .or(header_trace),
                )
                .with_api_errors(env.errors);
        }
        None => {
            err = err
                .with_trace_id(header_trace)
                .with_body_excerpt((!body.is_empty()).then(|| excerpt(body)));
        }
    }
    if let Some(e) = read_error {
        err = err.with_source(e);
    }
    err
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "bad request",
        401 => "unauthorized",
        402 => "payment required",
        403 => "forbidden",
        404 => "not found",
        409 => "conflict",
        422 => "unprocessable request",
        429 => "rate limited",
        500 => "internal server error",
        502 => "bad gateway",
        503 => "service unavailable",
        504 => "gateway timeout",
        s if s >= 500 => "server error",
        s if s >= 400 => "request refused",
        _ => "unexpected status",
    }
}

/// The first [`EXCERPT_LEN`] bytes of a body, as lossy UTF-8 on one line.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(EXCERPT_LEN)];
    let text = String::from_utf8_lossy(cut);
    let mut one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.len() > EXCERPT_LEN {
        one_line.push('…');
    }
    one_line
}

/// Longest wait a `Retry-After` may ask for before it is capped.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// `Retry-After` as seconds or an HTTP date, capped at [`MAX_RETRY_AFTER`].
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else if let Ok(secs) = value.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        Duration::from_secs_f64(secs.min(MAX_RETRY_AFTER.as_secs_f64()))
    } else {
        let when = httpdate::parse_http_date(value).ok()?;
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("999999"), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
        let later = SystemTime::now() + Duration::from_secs(120);
        let d = parse_retry_after(&httpdate::fmt_http_date(later)).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH);
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
    }

    #[test]
    fn excerpt_is_short_and_one_line() {
        let body = format!("<html>\n{}</html>", "x".repeat(500));
        let e = excerpt(body.as_bytes());
        assert!(!e.contains('\n'));
        assert!(e.ends_with('…'));
        assert!(e.chars().count() <= EXCERPT_LEN + 1);
        assert_eq!(excerpt(&[0xff, b'a']), "\u{fffd}a");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any status, body and headers give an error value, never a panic, and the error keeps
        /// what it can.
        #[test]
        fn error_mapping_never_panics(
            status in 0u16..1000,
            body in proptest::collection::vec(any::<u8>(), 0..2048),
            retry_after in "\\PC{0,40}",
            trace in "[ -~]{0,40}",
        ) {
            let mut headers = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&retry_after) {
                headers.insert(reqwest::header::RETRY_AFTER, v);
            }
            if let Ok(v) = HeaderValue::from_str(&trace) {
                headers.insert(TRACE_ID_HEADER, v);
            }
            let err = error_from_parts(status, &headers, &body, None);
            prop_assert_eq!(err.status(), Some(status));
            prop_assert!(err.retry_after().is_none_or(|d| d <= MAX_RETRY_AFTER));
            if let Some(x) = err.body_excerpt() {
                prop_assert!(x.chars().count() <= EXCERPT_LEN + 1);
            }
            let _ = (err.to_string(), format!("{err:?}"), err.is_retryable());
        }

        /// Bodies that are JSON but not Clerk's envelope, or an envelope with odd fields.
        #[test]
        fn envelope_like_bodies_never_panic(
            status in 400u16..600,
            code in "\\PC{0,20}",
            meta in prop_oneof![Just("null"), Just("{}"), Just("[]"), Just("1"), Just("{\"a\":[1,{}]}")],
            errors_is_array in any::<bool>(),
        ) {
            let errors = if errors_is_array {
                format!(r#"[{{"code":{code:?},"meta":{meta}}}]"#)
            } else {
                format!("{code:?}")
            };
            let body = format!(r#"{{"errors":{errors},"clerk_trace_id":{code:?}}}"#);
            let err = error_from_parts(status, &HeaderMap::new(), body.as_bytes(), None);
            let _ = (err.code(), err.trace_id(), err.to_string());
        }

        #[test]
        fn retry_after_parsing_never_panics(value in "\\PC{0,60}") {
            if let Some(d) = parse_retry_after(&value) {
                prop_assert!(d <= MAX_RETRY_AFTER);
            }
        }

        /// The generated response types reject or accept arbitrary bytes without panicking.
        #[test]
        fn decoding_arbitrary_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..1024)) {
            use crate::generated::types as t;
            let _ = serde_json::from_slice::<t::Invitation>(&body);
            let _ = serde_json::from_slice::<crate::models::InvitationList>(&body);
            let _ = serde_json::from_slice::<t::OrganizationInvitation>(&body);
            let _ = serde_json::from_slice::<t::OrganizationInvitations>(&body);
            let _ = serde_json::from_slice::<t::OrganizationInvitationsWithPublicOrganizationData>(&body);
        }

        /// An invitation whose one field holds a value of any JSON type.
        #[test]
        fn invitations_with_a_field_of_the_wrong_type_never_panic(
            field in prop_oneof![
                Just("object"), Just("id"), Just("email_address"), Just("public_metadata"),
                Just("revoked"), Just("status"), Just("url"), Just("expires_at"),
                Just("created_at"), Just("updated_at"), Just("unknown_field"),
            ],
            value in prop_oneof![
                Just(serde_json::json!(null)), Just(serde_json::json!(true)),
                Just(serde_json::json!(-1)), Just(serde_json::json!(1.5)),
                Just(serde_json::json!(u64::MAX)), Just(serde_json::json!("")),
                Just(serde_json::json!("\u{0}\u{202e}")), Just(serde_json::json!([])),
                Just(serde_json::json!({"a": {"b": [1]}})),
            ],
        ) {
            let mut inv = serde_json::json!({
                "object": "invitation", "id": "inv_1", "email_address": "a@b.co",
                "public_metadata": {}, "status": "pending", "created_at": 1, "updated_at": 1,
            });
            inv[field] = value;
            let _ = serde_json::from_value::<crate::generated::types::Invitation>(inv.clone());
            let list = serde_json::json!({"data": [inv], "total_count": 1});
            let _ = serde_json::from_value::<crate::models::InvitationList>(list);
        }
    }
}
