//! Decoding of realistic and drifting responses.

use crate::support::*;
use clerk_invitations::{ErrorKind, InvitationStatus};
use serde_json::json;

#[tokio::test]
async fn unknown_fields_and_unknown_status_are_tolerated() {
    let mut inv = invitation();
    inv["brand_new_field"] = json!({"nested": [1, 2, 3]});
    inv["status"] = json!("snoozed");
    let f = serve_json(200, json!({"data": [inv], "total_count": 1, "extra": true})).await;
    let page = f.clerk.invitations().list().await.unwrap();
    let got = &page.data[0];
    assert_eq!(got.status, InvitationStatus::Unknown("snoozed".into()));
    assert_eq!(got.status.as_str(), "snoozed");
    assert_eq!(got.status.to_string(), "snoozed");
}

#[tokio::test]
async fn absent_revoked_and_url_and_null_expiry() {
    let mut inv = invitation();
    inv.as_object_mut().unwrap().remove("url");
    inv["expires_at"] = json!(null);
    let f = serve_json(200, json!([inv])).await;
    let page = f.clerk.invitations().list().await.unwrap();
    assert_eq!(page.data[0].url, None);
    assert_eq!(page.data[0].revoked, None);
    assert_eq!(page.data[0].expires_at, None);
}

#[tokio::test]
async fn null_or_absent_inviter_data() {
    let mut with_null = org_invitation();
    with_null["public_inviter_data"] = json!(null);
    with_null["inviter_id"] = json!(null);
    let mut absent = org_invitation();
    for k in ["public_inviter_data", "inviter_id", "url", "expires_at"] {
        absent.as_object_mut().unwrap().remove(k);
    }
    absent["status"] = json!("some_future_status");
    let f = serve_json(200, json!({"data": [with_null, absent], "total_count": 2})).await;
    let page = f
        .clerk
        .organization("org_1")
        .invitations()
        .list()
        .await
        .unwrap();
    assert!(page.data[0].public_inviter_data.is_none());
    assert!(page.data[0].inviter_id.is_none());
    assert!(page.data[1].public_inviter_data.is_none());
    assert_eq!(
        page.data[1].status,
        InvitationStatus::Unknown("some_future_status".into())
    );
}

#[tokio::test]
async fn millisecond_timestamps_convert() {
    let f = serve_json(200, invitation()).await;
    let inv = f
        .clerk
        .invitations()
        .create("someone@example.com")
        .await
        .unwrap();
    let created = clerk_invitations::models::timestamp(inv.created_at);
    let secs = created
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // 1789746268539 ms is in September 2026, not in the year 58,000.
    assert_eq!(secs, 1_789_746_268);
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_a_decode_error() {
    let f = serve_json(200, json!({"id": 5})).await;
    let err = f
        .clerk
        .invitations()
        .create("someone@example.com")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.body_excerpt().unwrap().contains("\"id\""));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_truncated_body_is_a_decode_error() {
    let f = serve(wiremock::ResponseTemplate::new(200).set_body_raw(
        &br#"{"object":"invitation","id":"inv_"#[..],
        "application/json",
    ))
    .await;
    let err = f.clerk.invitations().revoke("inv_1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn a_body_that_arrives_in_many_chunks_is_read_whole() {
    // About 600 KB: the HTTP stack hands it over in many pieces, which are joined in order.
    let items: Vec<serde_json::Value> = (0..2500)
        .map(|i| {
            let mut inv = invitation();
            inv["id"] = json!(format!("inv_{i:027}"));
            inv
        })
        .collect();
    let f = serve_json(200, json!({"data": items, "total_count": 2500})).await;
    let page = f.clerk.invitations().list().limit(500).await.unwrap();
    assert_eq!(page.data.len(), 2500);
    for (i, inv) in page.data.iter().enumerate() {
        assert_eq!(inv.id, format!("inv_{i:027}"));
    }
}
