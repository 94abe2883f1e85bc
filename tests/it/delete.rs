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
    assert_eq!(
        stored,
        std::slice::from_ref(&kept.id),
        "gone from the stored state"
    );
    // A look-up by address finds nothing of the deleted ones, and the address can be invited
    // again.
    let again = clerk.invitations().create("a@x.test").await.unwrap();
    assert_ne!(again.id, pending.id);
    // A second delete of the same id is 404.
    let err = clerk.invitations().delete(&pending.id).await.unwrap_err();
    assert!(err.has_code("resource_not_found"), "{err}");
}

/// Stores application invitations directly, in any status, for the erasure tests.
async fn erasure_fixture(clerk: &Clerk, emu: &CheckedEmulator) -> Vec<(String, String)> {
    let mut made = Vec::new();
    for email in [
        "a@x.test",
        "A@X.test",   // the same address, another case
        "a+b@x.test", // look-alikes the list's substring query also matches
        "ba@x.test",
        "b@x.test",
    ] {
        let inv = clerk
            .invitations()
            .create(email)
            .ignore_existing(true)
            .await
            .unwrap();
        made.push((email.to_lowercase(), inv.id));
    }
    // A revoked and an accepted invitation of the erased address.
    let revoked = clerk
        .invitations()
        .create("a@x.test")
        .ignore_existing(true)
        .await
        .unwrap();
    clerk.invitations().revoke(&revoked.id).await.unwrap();
    let accepted = clerk
        .invitations()
        .create("a@x.test")
        .ignore_existing(true)
        .await
        .unwrap();
    emu.accept_invitation(&accepted.id).unwrap();
    made.push(("a@x.test".into(), revoked.id));
    made.push(("a@x.test".into(), accepted.id));
    made
}

#[tokio::test]
async fn erase_deletes_exactly_the_invitations_of_the_addresses_and_a_second_run_nothing() {
    use clerk_invitations::bulk::{Erase, ErasureKind};
    let (emu, clerk) = setup().await;
    let made = erasure_fixture(&clerk, &emu).await;
    let mut expected: Vec<String> = made
        .iter()
        .filter(|(e, _)| e == "a@x.test" || e == "b@x.test")
        .map(|(_, id)| id.clone())
        .collect();
    expected.sort();

    // A dry run finds them and deletes nothing.
    let mut found = Vec::new();
    let dry = Erase::new(&clerk)
        .dry_run(true)
        .run([" A@x.TEST ", "b@x.test", "nobody@x.test"], |e| {
            if let ErasureKind::WouldErase { ids } = &e.kind {
                found.extend(ids.clone());
            }
        })
        .await
        .unwrap();
    found.sort();
    assert_eq!(found, expected);
    assert_eq!(dry.would_delete, 5);
    assert_eq!(
        emu.invitations().len(),
        made.len(),
        "a dry run deletes nothing"
    );

    let dir = std::env::temp_dir().join(format!("erase-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("erase.journal");
    let _ = std::fs::remove_file(&journal);
    let mut deleted = Vec::new();
    let mut outcomes = Vec::new();
    let summary = Erase::new(&clerk)
        .journal(&journal)
        .run(
            [" A@x.TEST ", "b@x.test", "nobody@x.test", "a@x.test"],
            |e| {
                outcomes.push(e.clone());
                if let ErasureKind::Erased { ids } = &e.kind {
                    deleted.extend(ids.clone());
                }
            },
        )
        .await
        .unwrap();
    deleted.sort();
    assert_eq!(
        deleted, expected,
        "exactly the invitations of the addresses"
    );
    assert_eq!(summary.erased, 3);
    assert_eq!(summary.none_found, 1, "none found is a success");
    assert_eq!(summary.invitations_deleted, 5);
    assert_eq!(summary.duplicates_in_input, 1);
    let left: Vec<String> = emu
        .invitations()
        .into_iter()
        .map(|i| i.email_address)
        .collect();
    let mut left_sorted = left.clone();
    left_sorted.sort();
    assert_eq!(
        left_sorted,
        ["a+b@x.test", "ba@x.test"],
        "look-alikes untouched"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&journal).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the journal holds addresses");
    }

    // Again with the same journal: every address is done; without it, nothing is found.
    let again = Erase::new(&clerk)
        .journal(&journal)
        .run(["a@x.test", "b@x.test", "nobody@x.test"], |_| {})
        .await
        .unwrap();
    assert_eq!((again.done_earlier, again.requests), (3, 0));
    let fresh = Erase::new(&clerk)
        .run(["a@x.test", "b@x.test"], |_| {})
        .await
        .unwrap();
    assert_eq!(fresh.invitations_deleted, 0, "a second run deletes nothing");
    assert_eq!(fresh.none_found, 2);
    let _ = std::fs::remove_dir_all(&dir);
}
