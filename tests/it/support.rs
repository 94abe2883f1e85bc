//! A local HTTP server (wiremock, bound to 127.0.0.1:0) and realistic fixtures.

use clerk_invitations::Clerk;
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const KEY: &str = "sk_test_Fixture0nlyNotASecret";

pub struct Fixture {
    pub server: MockServer,
    pub clerk: Clerk,
}

/// A server that answers every request with `template`, and a client for it that does not
/// retry: these fixtures check what is sent and how answers map, one request each. Retries are
/// tested against the emulator (`retries.rs`).
pub async fn serve(template: ResponseTemplate) -> Fixture {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(template)
        .mount(&server)
        .await;
    let clerk = Clerk::builder()
        .secret_key(KEY)
        .base_url(format!("{}/v1", server.uri()))
        .retry_policy(clerk_invitations::RetryPolicy::none())
        .build()
        .expect("client");
    Fixture { server, clerk }
}

pub async fn serve_json(status: u16, body: Value) -> Fixture {
    serve(ResponseTemplate::new(status).set_body_json(body)).await
}

impl Fixture {
    /// The one request the server received.
    pub async fn only_request(&self) -> Request {
        let mut reqs = self.server.received_requests().await.expect("recording on");
        assert_eq!(
            reqs.len(),
            1,
            "expected exactly one request, got {}",
            reqs.len()
        );
        reqs.remove(0)
    }

    pub async fn request_count(&self) -> usize {
        self.server
            .received_requests()
            .await
            .expect("recording on")
            .len()
    }
}

/// Method, path and the headers every request must carry.
pub fn assert_request(req: &Request, method: &str, path: &str) {
    assert_eq!(req.method.as_str(), method);
    assert_eq!(req.url.path(), path);
    let h = |name: &str| {
        req.headers
            .get(name)
            .map(|v| v.to_str().expect("ascii header").to_string())
    };
    assert_eq!(
        h("authorization").as_deref(),
        Some(&*format!("Bearer {KEY}"))
    );
    assert_eq!(
        h("clerk-api-version").as_deref(),
        Some(clerk_invitations::API_VERSION)
    );
    assert_eq!(clerk_invitations::API_VERSION, spec_version());
    assert!(
        h("api-version").is_none(),
        "progenitor's api-version header must not be sent"
    );
    let ua = h("user-agent").expect("user agent");
    assert_eq!(
        ua,
        format!("clerk-invitations/{}", env!("CARGO_PKG_VERSION"))
    );
}

pub fn query(req: &Request) -> Vec<(String, String)> {
    req.url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn body(req: &Request) -> Value {
    serde_json::from_slice(&req.body).expect("JSON body")
}

pub fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A create response as captured from the live API (ms timestamps, `url`, no `revoked`).
pub fn invitation() -> Value {
    json!({"object":"invitation","id":"inv_3JVVYKadwJnxHT7igYFoaUZmQ96","email_address":"someone@example.com","public_metadata":{},"status":"pending","url":"https://accounts.example.com/v1/tickets/accept?ticket=eyJ","expires_at":1792338268538_i64,"created_at":1789746268539_i64,"updated_at":1789746268539_i64})
}

/// The revoke of the same invitation: `revoked: true`, no `url`.
pub fn revoked_invitation() -> Value {
    json!({"object":"invitation","id":"inv_3JVVYKadwJnxHT7igYFoaUZmQ96","email_address":"someone@example.com","public_metadata":{},"revoked":true,"status":"revoked","expires_at":1792338268538_i64,"created_at":1789746268539_i64,"updated_at":1789746269004_i64})
}

pub fn org_invitation() -> Value {
    json!({
        "object": "organization_invitation",
        "id": "orginv_2abc",
        "email_address": "someone@example.com",
        "role": "org:member",
        "role_name": "Member",
        "organization_id": "org_1",
        "inviter_id": "user_admin",
        "public_inviter_data": {
            "user_id": "user_admin", "first_name": "Ada", "last_name": null,
            "image_url": "https://img.example.com/a", "has_image": false,
            "identifier": "ada@example.com"
        },
        "status": "pending",
        "public_metadata": {"team": "blue"},
        "private_metadata": {},
        "url": null,
        "expires_at": 1792338268538_i64,
        "created_at": 1789746268539_i64,
        "updated_at": 1789746268539_i64
    })
}

pub fn org_invitation_with_org() -> Value {
    let mut v = org_invitation();
    v["public_organization_data"] = json!({
        "id": "org_1", "name": "Acme", "slug": "acme", "image_url": "https://img.example.com/o",
        "has_image": true
    });
    v
}

pub fn clerk_error(code: &str, long: &str, meta: Value) -> Value {
    json!({
        "errors": [{"message": long, "long_message": long, "code": code, "meta": meta}],
        "meta": {},
        "clerk_trace_id": "trace_body_123"
    })
}

/// The vendored spec's version, read from the corrected spec build.rs wrote.
pub fn spec_version() -> String {
    let spec: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("OUT_DIR"),
        "/corrected-spec.json"
    )))
    .expect("the corrected spec is JSON");
    spec["info"]["version"]
        .as_str()
        .expect("info.version")
        .to_string()
}
