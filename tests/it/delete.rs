//! `DELETE /invitations/{id}`, added in YAML alone: the facade sends and decodes it, a lost
//! answer followed by a 404 on the retry is reported as done, and the emulator serves it.

use crate::schema::CheckedEmulator;
use crate::support::*;
use clerk_invitations::emulator::{Emulator, Fault};
use clerk_invitations::{Clerk, InvitationStatus, RetryPolicy};
use serde_json::json;
use std::time::Duration;

async fn setup() -> (CheckedEmulator, Clerk) {
    let emu = CheckedEmulator::start(Emulator::builder()).await;
    let clerk = Clerk::builder()
        .secret_key(clerk_invitations::emulator::DEFAULT_EMULATOR_KEY)
        .base_url(emu.base_url())
        .retry_policy(
            RetryPolicy::default().backoff(Duration::from_millis(5), Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    (emu, clerk)
}

#[tokio::test]
async fn the_facade_sends_delete_and_decodes_the_deleted_object() {
    let f = serve_json(
        200,
        json!({"object": "invitation", "id": "inv_1", "deleted": true, "slug": null}),
    )
    .await;
    let deleted = f.clerk.invitations().delete("inv_1").await.unwrap();
    let req = f.only_request().await;
    assert_request(&req, "DELETE", "/v1/invitations/inv_1");
    assert!(req.body.is_empty());
    assert_eq!(deleted.id, "inv_1");
    assert!(!deleted.already_gone);
    let answer = deleted.answer.expect("the service's answer");
    assert!(answer.deleted);
    assert_eq!(answer.object, "invitation");
    assert_eq!(answer.id.as_deref(), Some("inv_1"));
}

#[tokio::test]
async fn a_first_attempt_that_meets_404_is_an_error() {
    let (emu, clerk) = setup().await;
    let err = clerk.invitations().delete("inv_unknown").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(err.has_code("resource_not_found"), "{err}");
    assert_eq!(emu.request_count(), 1);
}

#[tokio::test]
async fn a_lost_answer_then_404_on_the_retry_is_reported_as_done() {
    let (emu, clerk) = setup().await;
    let id = emu.seed_invitation("erase@x.test");
    emu.inject(Fault::drop_after_processing().on("DELETE", "/invitations/{id}"));
    let deleted = clerk.invitations().delete(&id).await.unwrap();
    assert!(deleted.already_gone, "the retry found it gone: {deleted:?}");
    assert_eq!(deleted.id, id);
    assert!(deleted.answer.is_none());
    assert_eq!(emu.request_count(), 2, "the lost attempt, then the retry");
    assert!(emu.invitations().is_empty());
}

#[tokio::test]
async fn the_emulator_deletes_any_status_for_good_and_nothing_else() {
    let (emu, clerk) = setup().await;
    let pending = clerk.invitations().create("a@x.test").await.unwrap();
    let revoked = clerk.invitations().create("b@x.test").await.unwrap();
    clerk.invitations().revoke(&revoked.id).await.unwrap();
    let accepted = clerk.invitations().create("c@x.test").await.unwrap();
    emu.accept_invitation(&accepted.id).unwrap();
    let kept = clerk.invitations().create("d@x.test").await.unwrap();

    for inv in [&pending, &revoked, &accepted] {
        let d = clerk.invitations().delete(&inv.id).await.unwrap();
        assert_eq!(d.answer.unwrap().id.as_deref(), Some(inv.id.as_str()));
    }
    let listed = clerk
        .invitations()
        .list()
        .statuses([
            InvitationStatus::Pending,
            InvitationStatus::Revoked,
            InvitationStatus::Accepted,
        ])
        .await
        .unwrap();
    let ids: Vec<&str> = listed.data.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, [kept.id.as_str()], "gone from lists");
    let stored: Vec<String> = emu.invitations().into_iter().map(|i| i.id).collect();
    assert_eq!(stored, std::slice::from_ref(&kept.id), "gone from the stored state");
    // A look-up by address finds nothing of the deleted ones, and the address can be invited
    // again.
    let again = clerk.invitations().create("a@x.test").await.unwrap();
    assert_ne!(again.id, pending.id);
    // A second delete of the same id is 404.
    let err = clerk.invitations().delete(&pending.id).await.unwrap_err();
    assert!(err.has_code("resource_not_found"), "{err}");
}
