//! Copied into a scratch copy of the crate by `tests/yaml-edits/run.sh`, after the YAML edits of
//! `overlay-additions.yaml`: a user's program that reaches each edit through the facade. It
//! compiles only if every edit reached the public API with no Rust edit to the crate.

use clerk_invitations::{Clerk, InvitationStatus, RetryPolicy, TemplateSlug};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn invitation(status: &str) -> serde_json::Value {
    json!({"object":"invitation","id":"inv_1","email_address":"a@example.com","public_metadata":{},
           "status":status,"locale":"fr","created_at":1,"updated_at":2})
}

async fn fixture(body: serde_json::Value) -> (MockServer, Clerk) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let clerk = Clerk::builder()
        .secret_key("sk_test_probe")
        .base_url(format!("{}/v1", server.uri()))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    (server, clerk)
}

#[tokio::test]
async fn every_yaml_edit_reaches_the_facade() {
    // 1. The new query parameter, with the check its schema states.
    let (server, clerk) = fixture(json!({"data": [], "total_count": 0})).await;
    clerk
        .invitations()
        .list()
        .email_address("a@example.com")
        .await
        .unwrap();
    let req = &server.received_requests().await.unwrap()[0];
    assert!(req.url.query().unwrap().contains("email_address=a%40example.com"));
    let err = clerk.invitations().list().email_address("nope").await.unwrap_err();
    assert!(err.is_invalid_input(), "{err}");

    // 2. The new body property, and 5. the new template.
    let (server, clerk) = fixture(invitation("pending")).await;
    clerk
        .invitations()
        .create("a@example.com")
        .locale("fr")
        .template_slug(TemplateSlug::TeamInvitation)
        .await
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(body["locale"], "fr");
    assert_eq!(body["template_slug"], "team_invitation");
    let err = clerk.invitations().create("a@example.com").locale("x").await.unwrap_err();
    assert!(err.to_string().contains("locale"), "{err}");

    // 3. The new response property, 4. the new status, and 6. the new operation.
    let (server, clerk) = fixture(invitation("archived")).await;
    let inv = clerk.invitations().get("inv_1").await.unwrap();
    assert_eq!(inv.locale.as_deref(), Some("fr"));
    assert_eq!(inv.status, InvitationStatus::Archived);
    let req = &server.received_requests().await.unwrap()[0];
    assert_eq!(req.method.as_str(), "GET");
    assert_eq!(req.url.path(), "/v1/invitations/inv_1");
    // The new status is a filter value too.
    clerk
        .invitations()
        .list()
        .status(InvitationStatus::Archived)
        .send()
        .await
        .ok();
    let reqs = server.received_requests().await.unwrap();
    assert!(reqs[1].url.query().unwrap().contains("status=archived"));
}

#[test]
fn the_webhook_edits_reach_the_events() {
    use clerk_invitations::webhooks::{HeaderMap, InvitationEvent, Webhook};
    // 7. The new property, and 8. the new event (with 4., the new status, which the events
    // share with the API's answers).
    let body = serde_json::to_vec(&json!({
        "object": "event", "type": "organizationInvitation.expired", "instance_id": "ins_1",
        "timestamp": 1,
        "data": {"object": "organization_invitation", "id": "orginv_1", "email_address": "a@example.com",
                 "role": "org:member", "role_name": "Member", "organization_id": "org_1",
                 "status": "archived", "public_metadata": {}, "url": null, "expires_at": 1,
                 "created_at": 1, "updated_at": 2, "locale": "fr"}
    }))
    .unwrap();
    let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut headers = HeaderMap::new();
    headers.insert("svix-id", "msg_1".parse().unwrap());
    headers.insert("svix-timestamp", ts.to_string().parse().unwrap());
    headers.insert("svix-signature", webhook.sign("msg_1", ts, &body).parse().unwrap());
    match webhook.verify(&headers, &body).unwrap() {
        InvitationEvent::OrganizationInvitationExpired(e) => {
            assert_eq!(e.data.locale.as_deref(), Some("fr"));
            assert_eq!(e.data.status, InvitationStatus::Archived);
        }
        other => panic!("{other:?}"),
    }
    assert!(InvitationEvent::TYPED.contains(&"organizationInvitation.expired"));
}
