//! Rules checked before anything is sent, and ids that must stay inside their path segment.

use crate::support::*;
use clerk_invitations::{ErrorKind, InvitationStatus, NewInvitation, NewOrganizationInvitation};
use serde_json::json;

async fn assert_refused<T: std::fmt::Debug>(
    f: &Fixture,
    result: clerk_invitations::Result<T>,
    rule: &str,
) {
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(
        err.to_string().contains(rule),
        "`{err}` should name `{rule}`"
    );
    assert_eq!(f.request_count().await, 0, "nothing may be sent");
}

#[tokio::test]
async fn every_rule_is_checked_before_sending() {
    let f = serve_json(200, json!({})).await;
    let inv = f.clerk.invitations();
    let org = f.clerk.organization("org_1").invitations();

    assert_refused(&f, inv.create("").await, "email_address must not be empty").await;
    assert_refused(
        &f,
        inv.create("not-an-email").await,
        "not a valid email address",
    )
    .await;
    assert_refused(
        &f,
        inv.create("a@x.com").expires_in_days(0).await,
        "between 1 and 365",
    )
    .await;
    assert_refused(
        &f,
        inv.create("a@x.com").expires_in_days(366).await,
        "between 1 and 365",
    )
    .await;
    assert_refused(
        &f,
        inv.create("a@x.com").public_metadata(json!("x")).await,
        "public_metadata must be a JSON object",
    )
    .await;
    assert_refused(&f, inv.create_bulk(Vec::new()).await, "1 to 10").await;
    let eleven = (0..11).map(|i| NewInvitation::new(format!("u{i}@x.com")));
    assert_refused(&f, inv.create_bulk(eleven).await, "not 11").await;
    assert_refused(
        &f,
        inv.create_bulk([NewInvitation::new("a@x.com"), NewInvitation::new("")])
            .await,
        "invitations[1].email_address",
    )
    .await;
    assert_refused(&f, inv.list().limit(0).await, "limit").await;
    assert_refused(&f, inv.list().limit(501).await, "between 1 and 500").await;
    assert_refused(&f, inv.list().order_by(" ").await, "order_by").await;
    assert_refused(
        &f,
        inv.list()
            .status(InvitationStatus::Unknown("zzz".into()))
            .await,
        "zzz",
    )
    .await;
    assert_refused(&f, inv.revoke("").await, "invitation_id must not be empty").await;
    assert_refused(&f, inv.revoke("..").await, "invitation_id").await;

    assert_refused(
        &f,
        org.create("a@x.com", "").await,
        "role must not be empty",
    )
    .await;
    assert_refused(&f, org.create("", "org:member").await, "email_address").await;
    assert_refused(
        &f,
        org.create("a@x.com", "org:member")
            .private_metadata(json!([1]))
            .await,
        "private_metadata",
    )
    .await;
    assert_refused(
        &f,
        org.create("a@x.com", "org:member")
            .inviter_user_id("")
            .await,
        "inviter_user_id",
    )
    .await;
    assert_refused(
        &f,
        org.create("a@x.com", "org:member")
            .expires_in_days(400)
            .await,
        "expires_in_days",
    )
    .await;
    let eleven =
        (0..11).map(|i| NewOrganizationInvitation::new(format!("u{i}@x.com"), "org:member"));
    assert_refused(&f, org.create_bulk(eleven).await, "1 to 10").await;
    assert_refused(&f, org.get(" ").await, "invitation_id").await;
    assert_refused(&f, org.list().limit(1000).await, "limit").await;
    assert_refused(
        &f,
        org.revoke("orginv_1").requesting_user_id("").await,
        "requesting_user_id",
    )
    .await;
    assert_refused(
        &f,
        f.clerk.organization("").invitations().list().await,
        "organization_id",
    )
    .await;
    assert_refused(
        &f,
        f.clerk
            .organization(".")
            .invitations()
            .create("a@x.com", "r")
            .await,
        "organization_id",
    )
    .await;
    assert_refused(
        &f,
        f.clerk.user("").organization_invitations().list().await,
        "user_id",
    )
    .await;
    assert_refused(
        &f,
        f.clerk.organization_invitations().list().limit(501).await,
        "limit",
    )
    .await;
}

#[tokio::test]
async fn hostile_ids_stay_inside_their_path_segment() {
    let cases = [
        ("../x", "/v1/invitations/..%2Fx/revoke"),
        ("a/b?c#d", "/v1/invitations/a%2Fb%3Fc%23d/revoke"),
        ("%2F", "/v1/invitations/%252F/revoke"),
        (
            "id\r\nX-Injected: 1",
            "/v1/invitations/id%0D%0AX-Injected:%201/revoke",
        ),
    ];
    for (id, path) in cases {
        let f = serve_json(200, revoked_invitation()).await;
        f.clerk.invitations().revoke(id).await.unwrap();
        let req = f.only_request().await;
        assert_eq!(req.url.path(), path, "id {id:?}");
        assert!(
            req.url.query().is_none(),
            "id {id:?} must not create a query"
        );
        assert!(req.headers.get("x-injected").is_none());
    }
    // Both segments of a nested path.
    let f = serve_json(200, org_invitation()).await;
    f.clerk
        .organization("o/../../users")
        .invitations()
        .get("i?x=1")
        .await
        .unwrap();
    let req = f.only_request().await;
    assert_eq!(
        req.url.path(),
        "/v1/organizations/o%2F..%2F..%2Fusers/invitations/i%3Fx=1"
    );
    assert!(req.url.query().is_none());
}

#[tokio::test]
async fn a_very_long_id_is_sent_encoded_not_truncated() {
    let id = "x".repeat(4000);
    let f = serve_json(200, revoked_invitation()).await;
    f.clerk.invitations().revoke(id.clone()).await.unwrap();
    let req = f.only_request().await;
    assert_eq!(req.url.path(), format!("/v1/invitations/{id}/revoke"));
}
