//! Fault injection: what the next requests suffer, and which requests that is.

use axum::http::Method;
use bytes::Bytes;
use std::time::Duration;

/// A fault the emulator applies to the next requests it receives (see [`Emulator::inject`]).
///
/// A fault applies `times` times (once unless told otherwise), to any request or only to those
/// matching [`on`](Fault::on). Faults are consulted in the order they were injected; the first
/// one that matches and has uses left applies.
///
/// ```
/// # use clerk_invitations::emulator::Fault;
/// // The next two list requests fail with an HTML 502 page.
/// let fault = Fault::respond(502, "text/html", "<html>Bad gateway</html>")
///     .on("GET", "/v1/invitations")
///     .times(2);
/// # let _ = fault;
/// ```
///
/// [`Emulator::inject`]: super::Emulator::inject
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> clerk_invitations::Result<()> {
/// use clerk_invitations::emulator::{Emulator, Fault};
/// let emu = Emulator::start().await?;
/// emu.inject(Fault::status(503).on("GET", "/invitations").times(2));
/// let page = emu.client()?.invitations().list().await?; // retried past both 503s
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Fault {
    pub(crate) kind: FaultKind,
    pub(crate) times: usize,
    pub(crate) method: Option<Method>,
    pub(crate) path: Option<Vec<String>>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) chunked: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum FaultKind {
    /// Answer without processing.
    Respond {
        status: u16,
        content_type: String,
        body: Bytes,
    },
    /// Close the connection without processing or answering.
    DropBefore,
    /// Process the request, then close the connection without answering.
    DropAfter,
    /// Process the request and send the first half of the real body (with a matching
    /// `Content-Length`, so the HTTP exchange is complete but the JSON is not).
    Truncate,
    /// Process the request, send the status, headers and part of the body, then send nothing
    /// more while keeping the connection open.
    Stall,
    /// Wait, then process the request normally.
    Delay(Duration),
}

impl Fault {
    fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            times: 1,
            method: None,
            path: None,
            headers: Vec::new(),
            chunked: false,
        }
    }

    /// Answer with `status` and a Clerk error envelope, without processing the request: the
    /// service's own code and texts for 429 (`too_many_requests`, with `Retry-After: 1` unless
    /// [`header`](Fault::header) gives one), 500 (`internal_clerk_error`) and 503
    /// (`service_unavailable`); code `emulated_fault` for any other status.
    pub fn status(status: u16) -> Self {
        let (code, message, long) = match status {
            429 => ("too_many_requests", "Too many requests", "Too many requests, retry later".to_string()),
            500 => (
                "internal_clerk_error",
                "Oops, an unexpected error occurred",
                "There was an internal error on our servers. We've been notified and are working on fixing it.".to_string(),
            ),
            503 => ("service_unavailable", "Service unavailable", "Service unavailable".to_string()),
            _ => ("emulated_fault", "emulated fault", format!("The emulator was told to answer {status}.")),
        };
        let body = serde_json::json!({
            "errors": [{"message": message, "long_message": long, "code": code}],
            "meta": {},
            "clerk_trace_id": "emulated-fault",
        });
        let fault = Self::respond(status, "application/json", body.to_string());
        if status == 429 {
            fault.header("retry-after", "1")
        } else {
            fault
        }
    }

    /// Answer with this status, content type and body, without processing the request.
    pub fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        Self::new(FaultKind::Respond {
            status,
            content_type: content_type.to_string(),
            body: body.into(),
        })
    }

    /// Close the connection before the request is processed: nothing is stored.
    pub fn drop_before_processing() -> Self {
        Self::new(FaultKind::DropBefore)
    }

    /// Process the request (a create is stored), then close the connection without answering.
    pub fn drop_after_processing() -> Self {
        Self::new(FaultKind::DropAfter)
    }

    /// Process the request, then answer with only the first half of the JSON body.
    pub fn truncate_body() -> Self {
        Self::new(FaultKind::Truncate)
    }

    /// Process the request, send the status line, headers and part of the body, then stall.
    pub fn stall_body() -> Self {
        Self::new(FaultKind::Stall)
    }

    /// Wait `by`, then process the request normally.
    pub fn delay(by: Duration) -> Self {
        Self::new(FaultKind::Delay(by))
    }

    /// Apply to the next `n` matching requests (default 1).
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }

    /// Apply only to requests with this method and path. The path may start with `/v1` or not;
    /// a segment written `*` or `{name}` matches any one segment, e.g.
    /// `/v1/invitations/{id}/revoke`. The method is case-insensitive; `*` matches any method.
    pub fn on(mut self, method: &str, path: &str) -> Self {
        self.method = if method == "*" {
            None
        } else {
            Method::from_bytes(method.to_ascii_uppercase().as_bytes()).ok()
        };
        self.path = Some(segments(path));
        self
    }

    /// Add a header to a [`status`](Fault::status) or [`respond`](Fault::respond) answer, e.g.
    /// `Retry-After`.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        // A later value for a header replaces an earlier one (a 429's default `Retry-After`).
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Send a [`respond`](Fault::respond) body in chunks without a `Content-Length`, so the
    /// client cannot know its size in advance.
    pub fn chunked(mut self) -> Self {
        self.chunked = true;
        self
    }

    pub(crate) fn matches(&self, method: &Method, path: &str) -> bool {
        if self.method.as_ref().is_some_and(|m| m != method) {
            return false;
        }
        let Some(pattern) = &self.path else {
            return true;
        };
        let actual = segments(path);
        pattern.len() == actual.len()
            && pattern
                .iter()
                .zip(&actual)
                .all(|(p, a)| p == "*" || (p.starts_with('{') && p.ends_with('}')) || p == a)
    }
}

/// Path segments without a leading `v1`.
fn segments(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if parts.first().is_some_and(|p| p == "v1") {
        parts.remove(0);
    }
    parts
}

/// The injected faults, consulted in order.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) queue: Vec<Fault>,
    pub(crate) latency: Duration,
    /// Answers carry no `Date` header (a service or proxy that strips it).
    pub(crate) no_date: bool,
}

impl Faults {
    /// The fault for this request, if any, using up one of its applications.
    pub(crate) fn take(&mut self, method: &Method, path: &str) -> Option<Fault> {
        let idx = self
            .queue
            .iter()
            .position(|f| f.times > 0 && f.matches(method, path))?;
        let fault = &mut self.queue[idx];
        fault.times -= 1;
        if fault.times == 0 {
            Some(self.queue.remove(idx))
        } else {
            Some(fault.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_by_segment_with_or_without_v1() {
        let f = Fault::status(503).on("post", "/invitations/{id}/revoke");
        assert!(f.matches(&Method::POST, "/v1/invitations/inv_1/revoke"));
        assert!(!f.matches(&Method::GET, "/v1/invitations/inv_1/revoke"));
        assert!(!f.matches(&Method::POST, "/v1/invitations/inv_1"));
        assert!(!f.matches(&Method::POST, "/v1/invitations/bulk/x/revoke/y"));
        let any = Fault::status(503).on("*", "/v1/invitations");
        assert!(any.matches(&Method::GET, "/v1/invitations"));
        assert!(any.matches(&Method::POST, "/v1/invitations/"));
        assert!(!any.matches(&Method::POST, "/v1/invitations/bulk"));
    }

    #[test]
    fn faults_are_used_up_in_order() {
        let mut faults = Faults::default();
        faults
            .queue
            .push(Fault::status(500).on("GET", "/invitations"));
        faults.queue.push(Fault::status(503).times(2));
        let take = |f: &mut Faults, m: Method| {
            f.take(&m, "/v1/invitations").map(|f| match f.kind {
                FaultKind::Respond { status, .. } => status,
                _ => 0,
            })
        };
        assert_eq!(take(&mut faults, Method::POST), Some(503));
        assert_eq!(take(&mut faults, Method::GET), Some(500));
        assert_eq!(take(&mut faults, Method::GET), Some(503));
        assert_eq!(take(&mut faults, Method::GET), None);
    }
}
