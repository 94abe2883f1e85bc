//! Who may talk to the emulator. It listens on loopback, but a web page the developer visits
//! can still reach loopback: through DNS rebinding (a name of the page's own that resolves to
//! 127.0.0.1, sent as the `Host`), and through cross-site "simple" requests (a `POST` with
//! `text/plain`, a form, or no body at all), which a browser sends without asking. So:
//!
//! - every request must name the emulator itself as its `Host`: `127.0.0.1`, `localhost` or
//!   `[::1]` with the emulator's port, or a host the emulator was told (`--host`); else 421;
//! - every admin write (`POST`, `DELETE` under `/__emulator/`) must say `Content-Type:
//!   application/json` (or a YAML type for a seed), which a page cannot send without the
//!   browser asking first, and the emulator never answers that question; else 415;
//! - with an admin token (`--admin-token`), every admin request must carry it as
//!   `Authorization: Bearer TOKEN`; else 401.

use super::*;

/// What the guard allows: the `Host` values, and the admin token if any (no `Debug`: the
/// token stays out of any printout).
#[derive(Clone, Default)]
pub(crate) struct Origin {
    /// Accepted `Host` header values, lower-cased (with and without the port).
    pub(crate) hosts: Vec<String>,
    pub(crate) admin_token: Option<String>,
}

impl Origin {
    /// The loopback names with `port`, and each of `extra` (a name, or a name and a port).
    pub(crate) fn new(port: u16, extra: &[String], admin_token: Option<String>) -> Self {
        let mut hosts = Vec::new();
        for name in ["127.0.0.1", "localhost", "[::1]"] {
            hosts.push(format!("{name}:{port}"));
        }
        for h in extra {
            let h = h.trim().to_ascii_lowercase();
            hosts.push(format!("{h}:{port}"));
            hosts.push(h);
        }
        Origin { hosts, admin_token }
    }

    fn host_allowed(&self, host: Option<&str>) -> bool {
        host.is_some_and(|h| {
            let h = h.trim().to_ascii_lowercase();
            self.hosts.contains(&h)
        })
    }
}

fn refusal(status: StatusCode, message: String) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

/// Content types a page cannot send cross-site without a preflight the emulator never grants.
fn non_simple(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/json" | "application/yaml" | "application/x-yaml" | "text/yaml"
    )
}

pub(super) async fn origin_guard(AxState(shared): App, request: Request, next: Next) -> Response {
    let origin = &shared.origin;
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    if !origin.host_allowed(host) {
        return refusal(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "this emulator answers requests for {} only, not for Host `{}` (start it with --host NAME to add a name)",
                origin.hosts.join(", "),
                host.unwrap_or("(none)").escape_debug()
            ),
        );
    }
    if request.uri().path().starts_with("/__emulator/") {
        if let Some(token) = &origin.admin_token {
            let sent = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            let same = sent.is_some_and(|s| {
                subtle::ConstantTimeEq::ct_eq(s.as_bytes(), token.as_bytes()).into()
            });
            if !same {
                return refusal(
                    StatusCode::UNAUTHORIZED,
                    "the admin API needs the emulator's admin token: Authorization: Bearer TOKEN"
                        .into(),
                );
            }
        }
        let writes = matches!(
            request.method().as_str(),
            "POST" | "DELETE" | "PUT" | "PATCH"
        );
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if writes && !non_simple(content_type) {
            return refusal(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "an admin write needs Content-Type: application/json (or a YAML type for a seed), not `{}`: a web page cannot send that without asking first",
                    content_type.unwrap_or("(none)").escape_debug()
                ),
            );
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_emulators_own_names_are_hosts() {
        let o = Origin::new(8080, &["emu.internal".into()], None);
        for ok in [
            "127.0.0.1:8080",
            "LOCALHOST:8080",
            "[::1]:8080",
            "emu.internal",
            "emu.internal:8080",
        ] {
            assert!(o.host_allowed(Some(ok)), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "127.0.0.1:9999",
            "localhost",
        ] {
            assert!(!o.host_allowed(Some(bad)), "{bad}");
        }
        assert!(!o.host_allowed(None));
    }

    #[test]
    fn simple_content_types_are_not_admin_writes() {
        for simple in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
        ] {
            assert!(!non_simple(simple), "{simple:?}");
        }
        assert!(non_simple(Some("application/json; charset=utf-8")));
        assert!(non_simple(Some("application/yaml")));
    }
}
