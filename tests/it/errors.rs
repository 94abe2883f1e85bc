//! Mapping of error responses to the one error type.

use crate::support::*;
use clerk_invitations::ErrorKind;
use serde_json::json;
use std::time::Duration;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn duplicate_record_400() {
    let f = serve_json(
        400,
        clerk_error(
            "duplicate_record",
            "There are already pending invitations for the following email addresses: a@x.com",
            json!({"email_addresses": ["a@x.com"]}),
        ),
    )
    .await;
    let err = f.clerk.invitations().create("a@x.com").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.status(), Some(400));
    assert!(err.is_duplicate());
    assert_eq!(
        err.code(),
        Some(clerk_invitations::ErrorCode::from("duplicate_record"))
    );
    assert_eq!(err.trace_id(), Some("trace_body_123"));
    assert_eq!(
        err.api_errors()[0].meta["email_addresses"],
        json!(["a@x.com"])
    );
    assert!(!err.is_retryable());
    let shown = err.to_string();
    assert!(
        shown.contains("400") && shown.contains("duplicate_record"),
        "{shown}"
    );
    assert!(!shown.contains('\n'));
}

#[tokio::test]
async fn unauthorized_401() {
    let f = serve_json(
        401,
        clerk_error(
            "clerk_key_invalid",
            "The provided Clerk Secret Key is invalid.",
            json!({}),
        ),
    )
    .await;
    // ListInvitations declares no error response in the spec: it is mapped all the same.
    let err = f.clerk.invitations().list().await.unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(
        err.code(),
        Some(clerk_invitations::ErrorCode::from("clerk_key_invalid"))
    );
    assert!(!err.to_string().contains(KEY));
    assert!(!format!("{err:?}").contains(KEY));
}

#[tokio::test]
async fn not_found_404() {
    let f = serve_json(
        404,
        clerk_error(
            "resource_not_found",
            "No invitation was found with id inv_x.",
            json!({}),
        ),
    )
    .await;
    let err = f.clerk.invitations().revoke("inv_x").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn unprocessable_422_with_several_errors() {
    let body = json!({
        "errors": [
            {"message": "taken", "long_message": "That email address is taken.", "code": "form_identifier_exists", "meta": {"param_name": "email_address"}},
            {"message": "bad", "long_message": "bad", "code": "form_param_value_invalid"}
        ],
        "clerk_trace_id": "t_422"
    });
    let f = serve_json(422, body).await;
    let err = f.clerk.invitations().create("a@x.com").await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.api_errors().len(), 2);
    assert!(err.has_code("form_param_value_invalid"));
    assert!(err.api_errors()[1].meta.is_empty());
    assert!(err.to_string().contains("(and 1 more)"));
}

#[tokio::test]
async fn rate_limited_429_with_retry_after() {
    let f = serve(
        ResponseTemplate::new(429)
            .set_body_json(clerk_error(
                "too_many_requests",
                "Too many requests, retry later",
                json!({}),
            ))
            .insert_header("Retry-After", "17"),
    )
    .await;
    let err = f
        .clerk
        .organization("org_1")
        .invitations()
        .list()
        .await
        .unwrap_err();
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(17)));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn server_error_500_with_clerk_body_and_header_trace() {
    let f = serve(
        ResponseTemplate::new(500)
            .set_body_json(json!({"errors": [{"message": "oops", "long_message": "oops", "code": "internal_clerk_error"}]}))
            .insert_header("Clerk-Trace-Id", "trace_hdr_9"),
    )
    .await;
    let err = f.clerk.organization_invitations().list().await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(
        err.code(),
        Some(clerk_invitations::ErrorCode::from("internal_clerk_error"))
    );
    // No clerk_trace_id in the body: the header is used.
    assert_eq!(err.trace_id(), Some("trace_hdr_9"));
    assert!(!err.is_retryable(), "a 500 is not retried blindly");
}

#[tokio::test]
async fn html_502_page_is_typed_with_an_excerpt() {
    let html = format!(
        "<html><head><title>502 Bad Gateway</title></head><body>{}</body></html>",
        "x".repeat(5000)
    );
    let f = serve(ResponseTemplate::new(502).set_body_raw(html.into_bytes(), "text/html")).await;
    let err = f.clerk.invitations().create("a@x.com").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.status(), Some(502));
    assert!(err.api_errors().is_empty());
    let excerpt = err.body_excerpt().unwrap();
    assert!(excerpt.starts_with("<html><head><title>502 Bad Gateway"));
    assert!(excerpt.len() < 300);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn invalid_utf8_error_body() {
    let f = serve(
        ResponseTemplate::new(400).set_body_raw(vec![0xff, 0xfe, b'{', 0x80], "application/json"),
    )
    .await;
    let err = f.clerk.invitations().revoke("inv_1").await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.body_excerpt().unwrap().contains('\u{fffd}'));
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let clerk = clerk_invitations::Clerk::builder()
        .secret_key(KEY)
        .base_url(format!("http://127.0.0.1:{port}/v1"))
        .retry_policy(
            clerk_invitations::RetryPolicy::default()
                .backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let err = clerk.invitations().create("a@x.test").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    // Nothing was sent, so even a create is retried, up to the policy's 4 attempts.
    assert_eq!(err.attempts(), 4);
    assert!(err.is_retryable());
    assert!(std::error::Error::source(&err).is_some());
    assert!(!format!("{err:?}").contains(KEY));
}

#[tokio::test]
async fn a_slow_response_times_out() {
    let f = serve(
        ResponseTemplate::new(200)
            .set_body_json(invitation())
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    let started = std::time::Instant::now();
    let err = f
        .clerk
        .invitations()
        .revoke("inv_1")
        .with_timeout(Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn the_clients_own_timeout_bounds_facade_and_raw_calls() {
    let f = serve(
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"data": [], "total_count": 0}))
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    // No per-call timeout: the client's, which the HTTP client it builds keeps by itself.
    let clerk = clerk_invitations::Clerk::builder()
        .secret_key("sk_test_timeout")
        .base_url(format!("{}/v1", f.server.uri()))
        .timeout(Duration::from_millis(200))
        .retry_policy(clerk_invitations::RetryPolicy::none())
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = clerk.invitations().list().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("200ms"), "{err}");
    // The raw client sends through the same HTTP client, so it is bounded too.
    let raw = clerk.raw().list_invitations().send().await.unwrap_err();
    assert!(
        matches!(&raw, clerk_invitations::raw::Error::CommunicationError(e) if e.is_timeout()),
        "{raw:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_host() {
    use wiremock::matchers::{header_exists, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&other)
        .await;
    let api = MockServer::start().await;
    Mock::given(path("/v1/invitations"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/v1/stolen", other.uri()).as_str()),
        )
        .mount(&api)
        .await;
    // A redirect within the same origin is followed, with the key.
    Mock::given(path("/v1/organization_invitations"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/v1/moved"))
        .mount(&api)
        .await;
    Mock::given(path("/v1/moved"))
        .and(header_exists("authorization"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"data": [], "total_count": 0})),
        )
        .mount(&api)
        .await;
    let clerk = clerk_invitations::Clerk::builder()
        .secret_key(KEY)
        .base_url(format!("{}/v1", api.uri()))
        .build()
        .unwrap();

    let err = clerk.invitations().list().await.unwrap_err();
    assert_eq!(err.status(), Some(302), "{err}");
    let leaked = other.received_requests().await.unwrap();
    assert!(leaked.is_empty(), "the other host received {leaked:?}");

    let page = clerk.organization_invitations().list().await.unwrap();
    assert_eq!(page.total_count, Some(0));
}

/// One failed create, answered with `code`.
async fn failing_with(status: u16, code: &str) -> clerk_invitations::Error {
    let f = serve_json(status, clerk_error(code, "text", json!({}))).await;
    f.clerk.invitations().create("a@x.com").await.unwrap_err()
}

#[tokio::test]
async fn each_predicate_answers_for_its_codes_and_no_other() {
    use clerk_invitations::ErrorCode as C;
    type Pred = fn(&clerk_invitations::Error) -> bool;
    let cases: [(&str, Pred, &[C]); 5] = [
        (
            "is_already_invited",
            clerk_invitations::Error::is_already_invited,
            &[C::DuplicateRecord, C::OrganizationInvitationNotUnique],
        ),
        (
            "is_already_member",
            clerk_invitations::Error::is_already_member,
            &[C::AlreadyAMemberInOrganization],
        ),
        (
            "is_existing_user",
            clerk_invitations::Error::is_existing_user,
            &[C::FormIdentifierExists],
        ),
        (
            "is_not_pending",
            clerk_invitations::Error::is_not_pending,
            &[
                C::InvitationAlreadyRevoked,
                C::InvitationAlreadyAccepted,
                C::OrganizationInvitationNotPending,
            ],
        ),
        (
            "is_quota_exceeded",
            clerk_invitations::Error::is_quota_exceeded,
            &[
                C::OrganizationMembershipQuotaExceeded,
                C::InsufficientSeats,
                C::QuotaExceeded,
            ],
        ),
    ];
    for code in C::KNOWN {
        let code = C::from(*code);
        let status = code.status().unwrap();
        let err = failing_with(status, code.as_str()).await;
        assert_eq!(err.code(), Some(code.clone()), "code() maps `{code}`");
        assert_eq!(err.status(), Some(status));
        for (name, pred, codes) in &cases {
            assert_eq!(pred(&err), codes.contains(&code), "{name} for `{code}`");
        }
        assert_eq!(
            err.is_not_found(),
            status == 404,
            "is_not_found for `{code}`"
        );
        assert_eq!(
            err.is_rate_limited(),
            status == 429,
            "is_rate_limited for `{code}`"
        );
    }
    let unknown = failing_with(400, "a_code_from_the_future").await;
    assert_eq!(
        unknown.code(),
        Some(C::Unknown("a_code_from_the_future".into()))
    );
}

#[tokio::test]
async fn display_reads_well_whatever_is_empty() {
    // An error with an empty message.
    let f = serve_json(
        400,
        json!({"errors": [{"code": "create-error-code", "message": "", "long_message": ""}]}),
    )
    .await;
    let err = f.clerk.invitations().create("a@x.com").await.unwrap_err();
    let text = err.to_string();
    assert!(
        !text.contains(":  "),
        "no empty field between separators: {text}"
    );
    assert!(!text.trim_end().ends_with(':'), "{text}");
    assert!(text.contains("create-error-code"), "{text}");
    // No code at all, and no message.
    let f = serve_json(400, json!({"errors": [{}]})).await;
    let err = f.clerk.invitations().create("a@x.com").await.unwrap_err();
    let text = err.to_string();
    assert!(!text.contains(":  ") && !text.contains(": :"), "{text}");
    // The short message stands in for an empty long one.
    let f = serve_json(
        400,
        json!({"errors": [{"code": "duplicate_record", "message": "duplicate", "long_message": ""}]}),
    )
    .await;
    let err = f.clerk.invitations().create("a@x.com").await.unwrap_err();
    assert!(
        err.to_string().contains("duplicate_record: duplicate"),
        "{err}"
    );
}
