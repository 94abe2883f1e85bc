//! Exactly-once creates against a hostile service: lists that lag behind writes, a clock that
//! disagrees with ours, look-alike invitations, lost answers, and rate-limit hints that would
//! start a storm. In every case: no duplicate invitation, and each call's result true to what
//! the service stored.

use crate::schema::CheckedEmulator;
use clerk_invitations::bulk::{BulkInvite, BulkLimits};
use clerk_invitations::emulator::{Emulator, Fault};
use clerk_invitations::{Clerk, ErrorKind, NewInvitation, RetryPolicy};
use serde_json::json;
use std::time::{Duration, Instant};

async fn setup() -> (CheckedEmulator, Clerk) {
    let emu = CheckedEmulator::start(Emulator::builder()).await;
    emu.seed_organization("org_1", "Acme", "acme", None);
    let clerk = Clerk::builder()
        .secret_key(clerk_invitations::emulator::DEFAULT_EMULATOR_KEY)
        .base_url(emu.base_url())
        .retry_policy(
            RetryPolicy::default().backoff(Duration::from_millis(5), Duration::from_millis(20)),
        )
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    (emu, clerk)
}

fn stored(emu: &Emulator, email: &str) -> Vec<String> {
    emu.invitations()
        .into_iter()
        .filter(|i| i.email_address == email)
        .map(|i| i.id)
        .collect()
}

/// A create whose answer is lost after it was stored, on a service whose lists lag by `lag`:
/// one invitation, and the call returns it.
async fn lost_answer_under_lag(lag: Duration, ignore_existing: bool, lost: usize) {
    let (emu, clerk) = setup().await;
    emu.set_list_lag(lag);
    emu.inject(
        Fault::drop_after_processing()
            .on("POST", "/invitations")
            .times(lost),
    );
    let email = format!("lag{}-{ignore_existing}@x.test", lag.as_millis());
    let inv = clerk
        .invitations()
        .create(email.clone())
        .ignore_existing(ignore_existing)
        .await
        .unwrap_or_else(|e| panic!("lag {lag:?}, ignore_existing {ignore_existing}: {e}"));
    assert_eq!(
        stored(&emu, &email),
        std::slice::from_ref(&inv.id),
        "lag {lag:?}"
    );
}

#[tokio::test]
async fn a_lagging_list_of_half_a_second_makes_no_duplicate() {
    lost_answer_under_lag(Duration::from_millis(500), true, 1).await;
    lost_answer_under_lag(Duration::from_millis(500), false, 1).await;
}

#[tokio::test]
async fn a_lagging_list_of_two_seconds_makes_no_duplicate_even_with_three_lost_answers() {
    lost_answer_under_lag(Duration::from_secs(2), true, 3).await;
    lost_answer_under_lag(Duration::from_secs(2), false, 3).await;
}

#[tokio::test]
async fn a_lagging_list_of_ten_seconds_makes_no_duplicate() {
    lost_answer_under_lag(Duration::from_secs(10), true, 1).await;
}

#[tokio::test]
async fn a_lagging_list_of_ten_seconds_and_the_default_create_is_not_reported_as_a_failure() {
    lost_answer_under_lag(Duration::from_secs(10), false, 1).await;
}

#[tokio::test]
async fn a_bulk_of_ten_under_lag_makes_ten() {
    let (emu, clerk) = setup().await;
    emu.set_list_lag(Duration::from_secs(1));
    emu.inject(Fault::drop_after_processing().on("POST", "/invitations/bulk"));
    let items: Vec<NewInvitation> = (0..10)
        .map(|i| NewInvitation::new(format!("bulk{i}@x.test")).ignore_existing(true))
        .collect();
    let created = clerk.invitations().create_bulk(items).await.unwrap();
    assert_eq!(created.len(), 10);
    assert_eq!(emu.invitations().len(), 10, "ten, not twenty");
    for inv in created {
        assert_eq!(stored(&emu, &inv.email_address), [inv.id]);
    }
}

#[tokio::test]
async fn clock_offsets_of_five_minutes_either_way_make_no_duplicate() {
    for offset in [-300_000_i64, 300_000, -120_000] {
        let (emu, clerk) = setup().await;
        emu.set_clock_offset(offset);
        emu.inject(Fault::drop_after_processing().on("POST", "/invitations"));
        let email = format!("clock{offset}@x.test");
        let inv = clerk
            .invitations()
            .create(email.clone())
            .ignore_existing(true)
            .await
            .unwrap_or_else(|e| panic!("offset {offset}: {e}"));
        assert_eq!(stored(&emu, &email), [inv.id], "offset {offset}");
    }
}

#[tokio::test]
async fn a_look_alike_earlier_invitation_is_never_returned_as_ours() {
    let (emu, clerk) = setup().await;
    // An invitation of the address from five seconds earlier, with other metadata.
    emu.set_clock_offset(-5_000);
    let earlier = clerk
        .invitations()
        .create("alike@x.test")
        .public_metadata(json!({"from": "earlier"}))
        .await
        .unwrap();
    emu.set_clock_offset(0);

    // Default create, 502 never executed: the retry meets the earlier invitation; the call
    // says so (duplicate) instead of returning it as its own.
    emu.inject(Fault::status(502).on("POST", "/invitations"));
    let err = clerk
        .invitations()
        .create("alike@x.test")
        .public_metadata(json!({"from": "now"}))
        .await
        .unwrap_err();
    assert!(err.is_already_invited(), "{err}");
    assert_eq!(
        stored(&emu, "alike@x.test"),
        std::slice::from_ref(&earlier.id)
    );

    // With ignore_existing, the earlier one is known from before the call: the 502 made
    // nothing, the create is sent again, and the call returns the new one with its metadata.
    emu.inject(Fault::status(502).on("POST", "/invitations"));
    let inv = clerk
        .invitations()
        .create("alike@x.test")
        .public_metadata(json!({"from": "now"}))
        .ignore_existing(true)
        .await
        .unwrap();
    assert_ne!(inv.id, earlier.id);
    assert_eq!(inv.public_metadata["from"], "now");
    assert_eq!(
        stored(&emu, "alike@x.test").len(),
        2,
        "the earlier one and this call's"
    );
}

#[tokio::test]
async fn retry_after_zero_missing_or_huge_never_storms() {
    let (emu, clerk) = setup().await;
    for hint in [Some("0"), None] {
        let before = emu.request_count();
        let mut fault = Fault::status(429).on("GET", "/invitations").times(1000);
        if let Some(h) = hint {
            fault = fault.header("retry-after", h);
        }
        emu.inject(fault);
        let err = clerk.invitations().list().await.unwrap_err();
        assert!(err.is_rate_limited());
        let sent = emu.request_count() - before;
        assert!(sent <= 4, "{hint:?}: {sent} requests");
        emu.clear_faults();
    }
    emu.inject(
        Fault::status(429)
            .header("retry-after", "86400")
            .on("GET", "/invitations"),
    );
    let started = Instant::now();
    let err = clerk.invitations().list().await.unwrap_err();
    assert!(err.is_rate_limited());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a day is not waited"
    );
    emu.clear_faults();

    // A patient policy still gives up after a few 429s in a row.
    emu.inject(
        Fault::status(429)
            .header("retry-after", "0")
            .on("GET", "/invitations")
            .times(1000),
    );
    let before = emu.request_count();
    let patient = RetryPolicy::default()
        .max_attempts(1000)
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .max_rate_limited(6);
    let err = clerk
        .invitations()
        .list()
        .with_retry(patient)
        .await
        .unwrap_err();
    assert!(err.is_rate_limited());
    assert_eq!(emu.request_count() - before, 6);
}

#[tokio::test]
async fn a_bulk_run_under_endless_429s_stops_instead_of_storming() {
    let (emu, clerk) = setup().await;
    for hint in [Some("0"), None] {
        emu.clear_faults();
        let mut fault = Fault::status(429)
            .on("POST", "/invitations/bulk")
            .times(100_000);
        if let Some(h) = hint {
            fault = fault.header("retry-after", h);
        }
        emu.inject(fault);
        let before = emu.request_count();
        let started = Instant::now();
        let emails: Vec<String> = (0..10).map(|i| format!("storm{i}@x.test")).collect();
        let result = BulkInvite::application(&clerk)
            .limits(BulkLimits::application().time_scale(3600.0))
            .run(emails, |_| {})
            .await;
        let err = result.unwrap_err();
        assert!(err.is_rate_limited(), "{err}");
        let sent = emu.request_count() - before;
        assert!(
            sent < 100,
            "{hint:?}: {sent} requests in {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn the_organization_race_code_is_settled_to_the_pending_invitation() {
    let (emu, clerk) = setup().await;
    let org = clerk.organization("org_1").invitations();
    let first = org.create("race@x.test", "org:member").await.unwrap();
    assert!(!first.existed);
    emu.inject(Fault::respond(
        400,
        "application/json",
        json!({"errors": [{"code": "organization_invitation_not_unique",
            "message": "organization invitation not unique",
            "long_message": "Organizations cannot have duplicate pending invitations for an email address."}],
            "clerk_trace_id": "t"})
        .to_string(),
    )
    .on("POST", "/organizations/{id}/invitations"));
    let raced = org.create("race@x.test", "org:member").await.unwrap();
    assert_eq!(raced.id, first.id);
    assert!(raced.existed);
    assert_eq!(emu.organization_invitations().len(), 1);
}

#[tokio::test]
async fn an_organization_create_says_whether_it_is_new_and_what_was_applied() {
    let (emu, clerk) = setup().await;
    emu.set_clock_offset(-90_000); // the service's clock disagrees with ours: no matter
    let org = clerk.organization("org_1").invitations();
    let new = org
        .create("role@x.test", "org:member")
        .public_metadata(json!({"a": 1}))
        .await
        .unwrap();
    assert!(
        !new.existed && new.role_applied && new.metadata_applied,
        "{new:?}"
    );
    tokio::time::sleep(Duration::from_millis(2_500)).await; // past the Date's resolution
    let again = org.create("role@x.test", "org:admin").await.unwrap();
    assert_eq!(again.id, new.id);
    assert!(again.existed, "the pending one came back");
    assert!(
        !again.role_applied,
        "asked for admin, it is a member invitation"
    );
    assert!(!again.metadata_applied);
    assert_eq!(again.role, "org:member");
}

#[tokio::test]
async fn any_2xx_with_a_readable_body_is_a_success() {
    for status in [200, 201, 202] {
        let f = crate::support::serve_json(status, crate::support::invitation()).await;
        let inv = f.clerk.invitations().create("a@x.test").await.unwrap();
        assert_eq!(inv.email_address, "someone@example.com", "{status}");
    }
    // A 204 has no body to read: the create is reported executed but unreadable.
    let f = crate::support::serve(wiremock::ResponseTemplate::new(204)).await;
    let err = f.clerk.invitations().revoke("inv_1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
}

#[tokio::test]
async fn an_unreadable_revoke_answer_is_not_looked_up() {
    let (emu, clerk) = setup().await;
    let inv = clerk.invitations().create("rv@x.test").await.unwrap();
    emu.inject(Fault::truncate_body().on("POST", "/invitations/{id}/revoke"));
    let before = emu.request_count();
    let err = clerk
        .invitations()
        .revoke(&inv.id)
        .with_retry(RetryPolicy::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(emu.request_count() - before, 1, "no look-up");
}

mod property {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, Copy)]
    enum Kind {
        Create,
        CreateIgnoringExisting,
        Bulk,
        Organization,
    }

    /// One case: an earlier invitation or not, lost answers, a lagging list, an offset clock;
    /// afterwards the invitations per address are what the caller was told.
    async fn case(kind: Kind, lost: usize, lag_ms: u64, offset: i64, earlier: bool) {
        let (emu, clerk) = setup().await;
        emu.set_clock_offset(offset);
        let email = "prop@x.test".to_string();
        let org = clerk.organization("org_1").invitations();
        let mut earlier_id = None;
        if earlier {
            // Ten seconds before the call, on the service's clock.
            emu.set_clock_offset(offset - 10_000);
            earlier_id = Some(match kind {
                Kind::Organization => org
                    .create(email.clone(), "org:member")
                    .await
                    .unwrap()
                    .id
                    .clone(),
                _ => clerk.invitations().create(email.clone()).await.unwrap().id,
            });
            emu.set_clock_offset(offset);
        }
        emu.set_list_lag(Duration::from_millis(lag_ms));
        let path = match kind {
            Kind::Organization => "/organizations/{id}/invitations",
            Kind::Bulk => "/invitations/bulk",
            _ => "/invitations",
        };
        if lost > 0 {
            emu.inject(Fault::drop_after_processing().on("POST", path).times(lost));
        }
        let app_count = |e: &str| stored(&emu, e).len();
        let org_count = || emu.organization_invitations().len();
        match kind {
            Kind::Create => {
                let before = app_count(&email);
                match clerk.invitations().create(email.clone()).await {
                    Ok(inv) => {
                        assert!(
                            !earlier,
                            "an earlier pending invitation stops a default create"
                        );
                        assert_eq!(stored(&emu, &email), [inv.id]);
                    }
                    Err(e) => {
                        assert!(earlier && e.is_already_invited(), "{e}");
                        assert_eq!(app_count(&email), before, "nothing made");
                    }
                }
            }
            Kind::CreateIgnoringExisting => {
                let before = app_count(&email);
                let inv = clerk
                    .invitations()
                    .create(email.clone())
                    .ignore_existing(true)
                    .await
                    .unwrap();
                assert_eq!(app_count(&email), before + 1, "exactly one made");
                assert_ne!(Some(inv.id.clone()), earlier_id);
                assert!(stored(&emu, &email).contains(&inv.id));
            }
            Kind::Bulk => {
                let emails: Vec<String> = (0..3).map(|i| format!("prop{i}@x.test")).collect();
                let created = clerk
                    .invitations()
                    .create_bulk(
                        emails
                            .iter()
                            .map(|e| NewInvitation::new(e.clone()).ignore_existing(true)),
                    )
                    .await
                    .unwrap();
                assert_eq!(created.len(), 3);
                for (e, inv) in emails.iter().zip(&created) {
                    assert_eq!(
                        stored(&emu, e),
                        std::slice::from_ref(&inv.id),
                        "one per address"
                    );
                }
            }
            Kind::Organization => {
                let before = org_count();
                let created = org.create(email.clone(), "org:member").await.unwrap();
                match &earlier_id {
                    Some(id) => {
                        assert_eq!(&created.id, id, "the pending one");
                        assert!(created.existed);
                        assert_eq!(org_count(), before);
                    }
                    None => {
                        assert!(!created.existed);
                        assert_eq!(org_count(), before + 1);
                    }
                }
            }
        }
    }

    fn kind() -> impl Strategy<Value = Kind> {
        prop_oneof![
            Just(Kind::Create),
            Just(Kind::CreateIgnoringExisting),
            Just(Kind::Bulk),
            Just(Kind::Organization),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
        #[test]
        fn the_invitations_per_address_are_what_the_caller_was_told(
            kind in kind(),
            lost in 0usize..3,
            lag_ms in prop_oneof![Just(0u64), Just(300u64)],
            offset in -300_000i64..300_000,
            earlier in any::<bool>(),
        ) {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(case(kind, lost, lag_ms, offset, earlier));
        }
    }
}
