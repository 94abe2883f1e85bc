//! Every operation against a local server: method, path, query, headers and JSON body, and the
//! decoding of the answer.

use crate::support::*;
use clerk_invitations::{InvitationStatus, NewInvitation, NewOrganizationInvitation, TemplateSlug};
use futures_util::TryStreamExt;
use serde_json::json;

#[tokio::test]
async fn create_invitation_sends_every_field() {
    let f = serve_json(200, invitation()).await;
    // With `ignore_existing`, the address's invitations are listed before the create.
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(json!({"data": [], "total_count": 0})),
        )
        .with_priority(1)
        .mount(&f.server)
        .await;
    let inv = f
        .clerk
        .invitations()
        .create("someone@example.com")
        .public_metadata(json!({"plan": "team"}))
        .redirect_url("https://app.example.com/welcome")
        .notify(false)
        .ignore_existing(true)
        .expires_in_days(7)
        .template_slug(TemplateSlug::WaitlistInvitation)
        .await
        .unwrap();
    let reqs = f.server.received_requests().await.unwrap();
    assert_eq!(
        reqs.len(),
        2,
        "the look-up of existing invitations, then the create"
    );
    assert_eq!(reqs[0].method.as_str(), "GET");
    let req = reqs[1].clone();
    assert_request(&req, "POST", "/v1/invitations");
    assert_eq!(req.headers.get("content-type").unwrap(), "application/json");
    assert_eq!(
        body(&req),
        json!({
            "email_address": "someone@example.com",
            "public_metadata": {"plan": "team"},
            "redirect_url": "https://app.example.com/welcome",
            "notify": false,
            "ignore_existing": true,
            "expires_in_days": 7,
            "template_slug": "waitlist_invitation"
        })
    );
    assert_eq!(inv.id, "inv_3JVVYKadwJnxHT7igYFoaUZmQ96");
    assert_eq!(inv.status, InvitationStatus::Pending);
    assert_eq!(inv.created_at, 1_789_746_268_539);
    assert_eq!(inv.expires_at, Some(1_792_338_268_538));
    assert!(inv.url.as_deref().unwrap().contains("ticket="));
    assert_eq!(inv.revoked, None);
}

#[tokio::test]
async fn create_invitation_minimal_body() {
    let f = serve_json(200, invitation()).await;
    f.clerk
        .invitations()
        .create("someone@example.com")
        .send()
        .await
        .unwrap();
    let req = f.only_request().await;
    let b = body(&req);
    assert_eq!(b["email_address"], "someone@example.com");
    for absent in [
        "public_metadata",
        "redirect_url",
        "expires_in_days",
        "template_slug",
    ] {
        assert!(b.get(absent).is_none(), "{absent} should not be sent: {b}");
    }
}

#[tokio::test]
async fn create_bulk_invitations() {
    let f = serve_json(200, json!([invitation(), invitation()])).await;
    let created = f
        .clerk
        .invitations()
        .create_bulk([
            NewInvitation::new("a@example.com"),
            NewInvitation::new("b@example.com")
                .expires_in_days(3)
                .notify(false)
                .public_metadata(json!({"k": 1})),
        ])
        .await
        .unwrap();
    assert_eq!(created.len(), 2);
    let req = f.only_request().await;
    assert_request(&req, "POST", "/v1/invitations/bulk");
    let b = body(&req);
    let items = b.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["email_address"], "a@example.com");
    assert_eq!(items[1]["email_address"], "b@example.com");
    assert_eq!(items[1]["expires_in_days"], 3);
    assert_eq!(items[1]["notify"], false);
    assert_eq!(items[1]["public_metadata"], json!({"k": 1}));
}

#[tokio::test]
async fn list_invitations_sends_filters_and_paginated() {
    let f = serve_json(200, json!({"data": [invitation()], "total_count": 42})).await;
    let page = f
        .clerk
        .invitations()
        .list()
        .status(InvitationStatus::Pending)
        .status(InvitationStatus::Accepted)
        .query("example.com")
        .order_by("-expires_at")
        .limit(50)
        .offset(100)
        .await
        .unwrap();
    let req = f.only_request().await;
    assert_request(&req, "GET", "/v1/invitations");
    let mut q = query(&req);
    q.sort();
    assert_eq!(
        q,
        pairs(&[
            ("limit", "50"),
            ("offset", "100"),
            ("order_by", "-expires_at"),
            ("paginated", "true"),
            ("query", "example.com"),
            ("status", "accepted"),
            ("status", "pending"),
        ])
    );
    assert_eq!(page.total_count, Some(42));
    assert_eq!(page.offset, 100);
    assert_eq!(page.data.len(), 1);
}

#[tokio::test]
async fn list_invitations_accepts_a_bare_array() {
    let f = serve_json(200, json!([invitation(), revoked_invitation()])).await;
    let page = f.clerk.invitations().list().await.unwrap();
    assert_eq!(page.data.len(), 2);
    assert_eq!(page.total_count, None);
    assert_eq!(page.data[1].revoked, Some(true));
}

#[tokio::test]
async fn revoke_invitation() {
    let f = serve_json(200, revoked_invitation()).await;
    let inv = f.clerk.invitations().revoke("inv_123").await.unwrap();
    let req = f.only_request().await;
    assert_request(&req, "POST", "/v1/invitations/inv_123/revoke");
    assert!(query(&req).is_empty());
    assert_eq!(inv.status, InvitationStatus::Revoked);
    assert_eq!(inv.revoked, Some(true));
    assert_eq!(inv.url, None);
    assert_eq!(inv.updated_at, 1_789_746_269_004);
}

#[tokio::test]
async fn list_instance_organization_invitations() {
    let f = serve_json(
        200,
        json!({"data": [org_invitation_with_org()], "total_count": 1}),
    )
    .await;
    let page = f
        .clerk
        .organization_invitations()
        .list()
        .status(InvitationStatus::Pending)
        .status(InvitationStatus::Expired)
        .query("someone")
        .order_by("email_address")
        .limit(5)
        .offset(0)
        .await
        .unwrap();
    let req = f.only_request().await;
    assert_request(&req, "GET", "/v1/organization_invitations");
    let mut q = query(&req);
    q.sort();
    assert_eq!(
        q,
        pairs(&[
            ("limit", "5"),
            ("offset", "0"),
            ("order_by", "email_address"),
            ("query", "someone"),
            ("status", "expired"),
            ("status", "pending"),
        ])
    );
    let org = page.data[0].public_organization_data.as_ref().unwrap();
    assert_eq!(org.slug, "acme");
    assert_eq!(page.total_count, Some(1));
}

#[tokio::test]
async fn create_organization_invitation_sends_every_field() {
    let f = serve_json(200, org_invitation()).await;
    let inv = f
        .clerk
        .organization("org_1")
        .invitations()
        .create("someone@example.com", "org:member")
        .inviter_user_id("user_admin")
        .public_metadata(json!({"team": "blue"}))
        .private_metadata(json!({"crm": 7}))
        .redirect_url("https://app.example.com/join")
        .expires_in_days(14)
        .notify(true)
        .await
        .unwrap();
    let req = f.only_request().await;
    assert_request(&req, "POST", "/v1/organizations/org_1/invitations");
    assert_eq!(
        body(&req),
        json!({
            "email_address": "someone@example.com",
            "role": "org:member",
            "inviter_user_id": "user_admin",
            "public_metadata": {"team": "blue"},
            "private_metadata": {"crm": 7},
            "redirect_url": "https://app.example.com/join",
            "expires_in_days": 14,
            "notify": true
        })
    );
    assert_eq!(inv.id, "orginv_2abc");
    assert_eq!(inv.role, "org:member");
    assert_eq!(inv.organization_id, "org_1");
    let inviter = inv.public_inviter_data.as_ref().unwrap();
    assert_eq!(inviter.first_name.as_deref(), Some("Ada"));
    assert_eq!(inviter.last_name, None);
}

#[tokio::test]
async fn list_organization_invitations() {
    let f = serve_json(200, json!({"data": [org_invitation()], "total_count": 3})).await;
    let page = f
        .clerk
        .organization("org_1")
        .invitations()
        .list()
        .statuses([InvitationStatus::Pending, InvitationStatus::Revoked])
        .email_address("someone@example.com")
        .order_by("-created_at")
        .limit(1)
        .offset(2)
        .await
        .unwrap();
    let req = f.only_request().await;
    assert_request(&req, "GET", "/v1/organizations/org_1/invitations");
    let mut q = query(&req);
    q.sort();
    assert_eq!(
        q,
        pairs(&[
            ("email_address", "someone@example.com"),
            ("limit", "1"),
            ("offset", "2"),
            ("order_by", "-created_at"),
            ("status", "pending"),
            ("status", "revoked"),
        ])
    );
    assert_eq!(page.total_count, Some(3));
    assert!(!page.has_more(1));
}

#[tokio::test]
async fn create_organization_invitation_bulk() {
    let f = serve_json(
        200,
        json!({"data": [org_invitation(), org_invitation()], "total_count": 2}),
    )
    .await;
    let page = f
        .clerk
        .organization("org_1")
        .invitations()
        .create_bulk([
            NewOrganizationInvitation::new("a@example.com", "org:member"),
            NewOrganizationInvitation::new("b@example.com", "org:admin")
                .inviter_user_id("user_1")
                .expires_in_days(2),
        ])
        .await
        .unwrap();
    let req = f.only_request().await;
    assert_request(&req, "POST", "/v1/organizations/org_1/invitations/bulk");
    let b = body(&req);
    assert_eq!(b[0]["email_address"], "a@example.com");
    assert_eq!(b[0]["role"], "org:member");
    assert!(
        b[0].get("notify").is_none(),
        "an unset field is left out (the service applies its default), never sent as null: {b}"
    );
    assert_eq!(b[1]["role"], "org:admin");
    assert_eq!(b[1]["inviter_user_id"], "user_1");
    assert_eq!(b[1]["expires_in_days"], 2);
    assert_eq!(page.total_count, Some(2));
    assert_eq!(page.data.len(), 2);
}

#[tokio::test]
#[allow(deprecated)]
async fn list_pending_organization_invitations() {
    let f = serve_json(200, json!({"data": [], "total_count": 0})).await;
    let page = f
        .clerk
        .organization("org_1")
        .invitations()
        .list_pending()
        .limit(20)
        .offset(40)
        .await
        .unwrap();
    let req = f.only_request().await;
    assert_request(&req, "GET", "/v1/organizations/org_1/invitations/pending");
    let mut q = query(&req);
    q.sort();
    assert_eq!(q, pairs(&[("limit", "20"), ("offset", "40")]));
    assert!(page.data.is_empty());
}

#[tokio::test]
async fn get_organization_invitation() {
    let f = serve_json(200, org_invitation()).await;
    let inv = f
        .clerk
        .organization("org_1")
        .invitations()
        .get("orginv_2abc")
        .await
        .unwrap();
    let req = f.only_request().await;
    assert_request(
        &req,
        "GET",
        "/v1/organizations/org_1/invitations/orginv_2abc",
    );
    assert_eq!(inv.status, InvitationStatus::Pending);
}

#[tokio::test]
async fn revoke_organization_invitation() {
    let mut revoked = org_invitation();
    revoked["status"] = json!("revoked");
    let f = serve_json(200, revoked).await;
    let inv = f
        .clerk
        .organization("org_1")
        .invitations()
        .revoke("orginv_2abc")
        .requesting_user_id("user_admin")
        .await
        .unwrap();
    let req = f.only_request().await;
    assert_request(
        &req,
        "POST",
        "/v1/organizations/org_1/invitations/orginv_2abc/revoke",
    );
    assert_eq!(body(&req), json!({"requesting_user_id": "user_admin"}));
    assert_eq!(inv.status, InvitationStatus::Revoked);
}

#[tokio::test]
async fn user_organization_invitations() {
    let f = serve_json(
        200,
        json!({"data": [org_invitation_with_org()], "total_count": 1}),
    )
    .await;
    let page = f
        .clerk
        .user("user_9")
        .organization_invitations()
        .list()
        .status(InvitationStatus::Accepted)
        .limit(10)
        .offset(0)
        .await
        .unwrap();
    let req = f.only_request().await;
    assert_request(&req, "GET", "/v1/users/user_9/organization_invitations");
    let mut q = query(&req);
    q.sort();
    assert_eq!(
        q,
        pairs(&[("limit", "10"), ("offset", "0"), ("status", "accepted")])
    );
    assert_eq!(page.data.len(), 1);
}

#[tokio::test]
async fn with_http_info_gives_status_and_headers() {
    let f = serve(
        wiremock::ResponseTemplate::new(200)
            .set_body_json(invitation())
            .insert_header("Clerk-Trace-Id", "trace_ok_1"),
    )
    .await;
    let resp = f
        .clerk
        .invitations()
        .create("someone@example.com")
        .send_with_http_info()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.trace_id(), Some("trace_ok_1"));
    assert_eq!(resp.value().email_address, "someone@example.com");
}

#[tokio::test]
async fn user_agent_suffix_is_appended() {
    let f = serve_json(200, invitation()).await;
    let clerk = clerk_invitations::Clerk::builder()
        .secret_key(KEY)
        .base_url(format!("{}/v1", f.server.uri()))
        .user_agent_suffix("my-app/1.2")
        .build()
        .unwrap();
    clerk.invitations().revoke("inv_1").await.unwrap();
    let req = f.only_request().await;
    assert_eq!(
        req.headers.get("user-agent").unwrap().to_str().unwrap(),
        format!("clerk-invitations/{} my-app/1.2", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn stream_walks_every_page_and_stops() {
    use wiremock::matchers::query_param;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let total = 5;
    for offset in [0, 2, 4] {
        let n = (total - offset).min(2);
        let data: Vec<_> = (0..n)
            .map(|i| {
                let mut inv = invitation();
                inv["id"] = json!(format!("inv_{}", offset + i));
                inv
            })
            .collect();
        Mock::given(query_param("offset", offset.to_string()))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": data, "total_count": total})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let clerk = clerk_invitations::Clerk::builder()
        .secret_key(KEY)
        .base_url(server.uri())
        .build()
        .unwrap();
    let ids: Vec<String> = clerk
        .invitations()
        .list()
        .limit(2)
        .stream()
        .map_ok(|inv| inv.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["inv_0", "inv_1", "inv_2", "inv_3", "inv_4"]);
    // `expect(1)` on each page is verified when the server drops: no page fetched twice, and no
    // request after the last page.
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn org_stream_uses_total_count() {
    let f = serve_json(200, json!({"data": [org_invitation()], "total_count": 1})).await;
    let all: Vec<_> = f
        .clerk
        .organization("org_1")
        .invitations()
        .list()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    let req = f.only_request().await;
    assert!(query(&req).contains(&("limit".to_string(), "500".to_string())));
}
