//! Contract tests of the facade against the emulator.

use crate::schema::CheckedEmulator;
use clerk_invitations::emulator::Emulator;
use clerk_invitations::{Clerk, ErrorKind, InvitationStatus, NewInvitation, RetryPolicy};
use futures_util::TryStreamExt;
use std::time::Duration;

/// An emulator whose every answer is checked against the spec when the test ends.
pub(crate) async fn checked() -> CheckedEmulator {
    CheckedEmulator::start(Emulator::builder()).await
}

pub(crate) async fn setup() -> (CheckedEmulator, Clerk) {
    let emulator = checked().await;
    emulator.seed_organization("org_1", "Acme", "acme", None);
    emulator.seed_user("user_admin", "admin@acme.test");
    emulator.seed_user("user_member", "member@acme.test");
    emulator.seed_membership("org_1", "user_admin", "org:admin");
    emulator.seed_membership("org_1", "user_member", "org:member");
    let clerk = emulator.client().unwrap();
    (emulator, clerk)
}

#[tokio::test]
async fn application_invitation_lifecycle() {
    let (emu, clerk) = setup().await;
    let inv = clerk.invitations().create("Ada@Example.com").await.unwrap();
    assert!(
        inv.id.starts_with("inv_") && inv.id.len() == 4 + 27,
        "{}",
        inv.id
    );
    assert!(inv.url.is_some(), "url only in the create response");
    assert_eq!(inv.revoked, None);
    assert_eq!(inv.expires_at, Some(inv.created_at + 30 * 24 * 3600 * 1000));
    assert!(inv.created_at > 1_600_000_000_000, "milliseconds");

    let dup = clerk
        .invitations()
        .create("ada@example.com")
        .await
        .unwrap_err();
    assert_eq!(dup.status(), Some(400));
    assert!(dup.is_duplicate());
    assert_eq!(
        dup.api_errors()[0].meta["email_addresses"][0],
        "ada@example.com"
    );
    assert!(dup.trace_id().is_some());

    let page = clerk.invitations().list().await.unwrap();
    assert_eq!(page.total_count, Some(1));
    assert_eq!(page.data[0].url, None);

    let revoked = clerk.invitations().revoke(&inv.id).await.unwrap();
    assert_eq!(revoked.status, InvitationStatus::Revoked);
    assert_eq!(revoked.revoked, Some(true));
    assert!(revoked.updated_at >= inv.updated_at);

    let again = clerk.invitations().revoke(&inv.id).await.unwrap_err();
    assert_eq!(
        again.code(),
        Some(clerk_invitations::ErrorCode::from(
            "invitation_already_revoked"
        ))
    );
    // Revoked invitations are left out of unfiltered lists.
    assert_eq!(
        clerk.invitations().list().await.unwrap().total_count,
        Some(0)
    );
    let with_revoked = clerk
        .invitations()
        .list()
        .status(InvitationStatus::Revoked)
        .await
        .unwrap();
    assert_eq!(with_revoked.data.len(), 1);
    assert_eq!(emu.invitations().len(), 1);
}

#[tokio::test]
async fn existing_users_accepted_and_expired_invitations() {
    let (emu, clerk) = setup().await;
    let taken = clerk
        .invitations()
        .create("admin@acme.test")
        .await
        .unwrap_err();
    assert_eq!(
        (taken.status(), taken.code()),
        (
            Some(422),
            Some(clerk_invitations::ErrorCode::from("form_identifier_exists"))
        )
    );

    let inv = clerk
        .invitations()
        .create("new@acme.test")
        .expires_in_days(1)
        .await
        .unwrap();
    emu.accept_invitation(&inv.id).unwrap();
    let err = clerk.invitations().revoke(&inv.id).await.unwrap_err();
    assert_eq!(
        err.code(),
        Some(clerk_invitations::ErrorCode::from(
            "invitation_already_accepted"
        ))
    );

    let later = clerk
        .invitations()
        .create("later@acme.test")
        .expires_in_days(1)
        .await
        .unwrap();
    emu.advance_clock(Duration::from_secs(2 * 24 * 3600));
    let expired = clerk
        .invitations()
        .list()
        .status(InvitationStatus::Expired)
        .await
        .unwrap();
    assert_eq!(expired.data.len(), 1);
    assert_eq!(expired.data[0].id, later.id);
    // An expired invitation does not block a new one.
    clerk.invitations().create("later@acme.test").await.unwrap();
}

#[tokio::test]
async fn bulk_is_all_or_nothing() {
    let (emu, clerk) = setup().await;
    clerk.invitations().create("b@x.test").await.unwrap();
    let err = clerk
        .invitations()
        .create_bulk([
            NewInvitation::new("a@x.test"),
            NewInvitation::new("b@x.test"),
        ])
        .await
        .unwrap_err();
    assert!(err.is_duplicate());
    assert_eq!(
        emu.invitations().len(),
        1,
        "nothing created by the failed bulk"
    );
    let created = clerk
        .invitations()
        .create_bulk((0..10).map(|i| NewInvitation::new(format!("u{i}@x.test"))))
        .await
        .unwrap();
    assert_eq!(created.len(), 10);
}

#[tokio::test]
async fn pagination_filters_and_streams() {
    let (emu, clerk) = setup().await;
    for i in 0..25 {
        clerk
            .invitations()
            .create(format!("p{i:02}@x.test"))
            .notify(false)
            .await
            .unwrap();
    }
    let page = clerk
        .invitations()
        .list()
        .order_by("email_address")
        .limit(10)
        .offset(20)
        .await
        .unwrap();
    assert_eq!(page.total_count, Some(25));
    let emails: Vec<_> = page.data.iter().map(|i| i.email_address.as_str()).collect();
    assert_eq!(
        emails,
        [
            "p20@x.test",
            "p21@x.test",
            "p22@x.test",
            "p23@x.test",
            "p24@x.test"
        ]
    );
    let newest_first = clerk.invitations().list().limit(1).await.unwrap();
    assert_eq!(newest_first.data[0].email_address, "p24@x.test");
    let all: Vec<_> = clerk
        .invitations()
        .list()
        .limit(7)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 25);
    let q = clerk.invitations().list().query("p1").await.unwrap();
    assert_eq!(q.total_count, Some(10));
    // The facade refuses an order the spec does not list before sending ...
    let sent = emu.request_count();
    let refused = clerk
        .invitations()
        .list()
        .order_by("nonsense")
        .await
        .unwrap_err();
    assert!(refused.is_invalid_input(), "{refused}");
    assert!(
        refused.to_string().contains("-created_at"),
        "names the allowed orders: {refused}"
    );
    assert_eq!(emu.request_count(), sent, "nothing was sent");
    // ... and the emulator refuses it as the service does, when the raw client sends it.
    let bad = clerk
        .raw()
        .list_invitations()
        .order_by("nonsense")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad.status().map(|s| s.as_u16()), Some(422));
}

#[tokio::test]
async fn keys_and_versions_are_checked() {
    let emu = checked().await;
    let wrong = Clerk::builder()
        .secret_key("sk_test_wrong")
        .base_url(emu.base_url())
        .build()
        .unwrap();
    let err = wrong.invitations().list().await.unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(
        err.code(),
        Some(clerk_invitations::ErrorCode::from("clerk_key_invalid"))
    );
    assert!(!err.to_string().contains("sk_test_wrong"));

    let http = reqwest::Client::new();
    let resp = http
        .get(format!("{}/invitations", emu.base_url()))
        .bearer_auth(clerk_invitations::emulator::DEFAULT_EMULATOR_KEY)
        .header("Clerk-API-Version", "1999-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().contains_key("clerk-trace-id"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "api_version_invalid");
    // Without paginated=true the list is a bare array.
    let bare: serde_json::Value = http
        .get(format!("{}/invitations", emu.base_url()))
        .bearer_auth(clerk_invitations::emulator::DEFAULT_EMULATOR_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(bare.is_array());
}

#[tokio::test]
async fn hostile_bodies_get_clerk_errors() {
    let emu = checked().await;
    let http = reqwest::Client::new();
    let url = format!("{}/invitations", emu.base_url());
    let key = clerk_invitations::emulator::DEFAULT_EMULATOR_KEY;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "application/json",
            b"{not json".to_vec(),
            400,
            "request_body_invalid",
        ),
        (
            "text/plain",
            b"{}".to_vec(),
            415,
            "unsupported_content_type",
        ),
        (
            "application/json",
            br#"{"email_address":"a@x.test","bogus":1}"#.to_vec(),
            422,
            "form_param_unknown",
        ),
        (
            "application/json",
            br#"{}"#.to_vec(),
            422,
            "form_param_missing",
        ),
        (
            "application/json",
            br#"{"email_address":"nope"}"#.to_vec(),
            422,
            "form_param_format_invalid",
        ),
        (
            "application/json",
            br#"{"email_address":"a@x.test","expires_in_days":0}"#.to_vec(),
            422,
            "form_param_value_invalid",
        ),
        (
            "application/json",
            vec![b' '; 2 * 1024 * 1024],
            413,
            "request_body_too_large",
        ),
    ];
    for (ct, body, status, code) in cases {
        let resp = http
            .post(&url)
            .bearer_auth(key)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{code}");
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v["errors"][0]["code"], code);
        assert!(v["clerk_trace_id"].is_string());
    }
    let too_many: Vec<_> = (0..11)
        .map(|i| serde_json::json!({"email_address": format!("u{i}@x.test")}))
        .collect();
    let resp = http
        .post(format!("{url}/bulk"))
        .bearer_auth(key)
        .json(&too_many)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["errors"][0]["code"], "bulk_size_exceeded");
    // Still serving.
    assert!(emu.client().unwrap().invitations().list().await.is_ok());
    let _ = ErrorKind::Api;
}

#[tokio::test]
async fn query_matches_an_email_part_or_a_whole_id() {
    let (_emu, clerk) = setup().await;
    let a = clerk.invitations().create("alpha@x.test").await.unwrap();
    clerk.invitations().create("beta@x.test").await.unwrap();
    let by_id = clerk.invitations().list().query(&a.id).await.unwrap();
    assert_eq!(by_id.data.len(), 1);
    assert_eq!(by_id.data[0].id, a.id);
    // A fragment of an id is not an id: only email addresses match by substring.
    let fragment = &a.id[4..8];
    let by_fragment = clerk.invitations().list().query(fragment).await.unwrap();
    assert!(
        by_fragment
            .data
            .iter()
            .all(|i| i.email_address.contains(&fragment.to_lowercase()))
    );
}

#[tokio::test]
async fn unknown_ids_and_malformed_authorization() {
    let (emu, clerk) = setup().await;
    let err = clerk
        .invitations()
        .revoke("inv_doesnotexist")
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.code()),
        (
            Some(404),
            Some(clerk_invitations::ErrorCode::from("resource_not_found"))
        )
    );
    let err = clerk
        .organization("org_1")
        .invitations()
        .get("orginv_doesnotexist")
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(clerk_invitations::ErrorCode::from("resource_not_found"))
    );
    let err = clerk
        .user("user_doesnotexist")
        .organization_invitations()
        .list()
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(clerk_invitations::ErrorCode::from("resource_not_found"))
    );

    let resp = reqwest::Client::new()
        .get(format!("{}/invitations", emu.base_url()))
        .header("authorization", "Basic c2tfdGVzdF9lbXVsYXRvcg==")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        v["errors"][0]["code"],
        "authorization_header_format_invalid"
    );
}

#[tokio::test]
async fn the_global_limit_depends_on_the_instance_kind() {
    let emu =
        CheckedEmulator::start(Emulator::builder().keys(["sk_test_dev", "sk_live_prod"])).await;
    let http = reqwest::Client::new();
    let url = format!("{}/invitations", emu.base_url());
    let get = |key: &'static str| http.get(&url).bearer_auth(key).send();
    for _ in 0..100 {
        assert_eq!(get("sk_test_dev").await.unwrap().status(), 200);
    }
    let refused = get("sk_test_dev").await.unwrap();
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&wait), "Retry-After {wait}");
    let v: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(v["errors"][0]["code"], "too_many_requests");
    // A production key has its own, larger budget.
    for _ in 0..150 {
        assert_eq!(get("sk_live_prod").await.unwrap().status(), 200);
    }
}

#[tokio::test]
async fn endpoint_limits_are_separate_and_renew_on_the_scaled_clock() {
    // 1800x: the hourly budgets renew every 2 real seconds.
    let emu = CheckedEmulator::start(Emulator::builder().time_scale(1800.0)).await;
    let clerk = emu.client().unwrap();
    for i in 0..25 {
        clerk
            .invitations()
            .create_bulk([NewInvitation::new(format!("b{i}@x.test"))])
            .await
            .unwrap();
    }
    let err = clerk
        .invitations()
        .create_bulk([NewInvitation::new("over@x.test")])
        .with_retry(RetryPolicy::none())
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.code()),
        (
            Some(429),
            Some(clerk_invitations::ErrorCode::from("too_many_requests"))
        )
    );
    assert!(err.is_rate_limited());
    let wait = err.retry_after().expect("Retry-After");
    assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(2));
    // Nothing was stored for the refused request; single creates have their own budget.
    assert_eq!(emu.invitations().len(), 25);
    clerk.invitations().create("single@x.test").await.unwrap();
    tokio::time::sleep(wait).await;
    clerk
        .invitations()
        .create_bulk([NewInvitation::new("later@x.test")])
        .await
        .unwrap();
}
