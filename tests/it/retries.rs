//! Retries, timeouts and faults, against the emulator's fault injection.

use crate::schema::CheckedEmulator;
use clerk_invitations::emulator::{Emulator, Fault};
use clerk_invitations::{
    Clerk, ErrorKind, InvitationStatus, NewInvitation, NewOrganizationInvitation, RetryPolicy,
};
use std::time::{Duration, Instant};

/// Short waits so the suite stays quick; the policy's shape is the default's.
fn quick() -> RetryPolicy {
    RetryPolicy::default().backoff(Duration::from_millis(5), Duration::from_millis(20))
}

async fn setup() -> (CheckedEmulator, Clerk) {
    let emu = CheckedEmulator::start(Emulator::builder()).await;
    emu.seed_organization("org_1", "Acme", "acme", None);
    let clerk = Clerk::builder()
        .secret_key(clerk_invitations::emulator::DEFAULT_EMULATOR_KEY)
        .base_url(emu.base_url())
        .retry_policy(quick())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    (emu, clerk)
}

#[tokio::test]
async fn a_burst_of_429s_is_waited_out_as_told() {
    let (emu, clerk) = setup().await;
    emu.inject(
        Fault::status(429)
            .header("retry-after", "1")
            .on("GET", "/v1/invitations")
            .times(2),
    );
    let started = Instant::now();
    let page = clerk.invitations().list().await.unwrap();
    assert_eq!(page.data.len(), 0);
    assert_eq!(emu.request_count(), 3, "two refusals, then the success");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "each Retry-After of 1 s was honoured, not the 5 ms backoff: {:?}",
        started.elapsed()
    );

    // A 429 is retried for a create too: it was not executed.
    emu.inject(
        Fault::status(429)
            .header("retry-after", "0")
            .on("POST", "/invitations"),
    );
    clerk.invitations().create("after429@x.test").await.unwrap();
    assert_eq!(emu.invitations().len(), 1);
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_comes_back_at_once() {
    let (emu, clerk) = setup().await;
    emu.inject(Fault::status(429).header("retry-after", "3600"));
    let started = Instant::now();
    let err = clerk
        .invitations()
        .list()
        .with_retry(quick().deadline(Some(Duration::from_secs(30))))
        .await
        .unwrap_err();
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(err.attempts(), 1);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_503_on_a_list_is_retried_and_a_422_or_500_is_not() {
    let (emu, clerk) = setup().await;
    emu.inject(Fault::status(503).on("GET", "/invitations").times(2));
    clerk.invitations().list().await.unwrap();
    assert_eq!(emu.request_count(), 3);

    emu.inject(Fault::status(422).times(5));
    let err = clerk.invitations().create("a@x.test").await.unwrap_err();
    assert_eq!((err.status(), err.attempts()), (Some(422), 1));
    assert_eq!(emu.request_count(), 4, "a 422 is final");

    emu.clear_faults();
    emu.inject(Fault::status(500).times(5));
    let err = clerk.invitations().list().await.unwrap_err();
    assert_eq!((err.status(), err.attempts()), (Some(500), 1));

    // The policy's attempts bound the retries.
    emu.clear_faults();
    emu.inject(Fault::status(503).times(10));
    let err = clerk
        .invitations()
        .list()
        .with_retry(quick().max_attempts(3))
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.attempts()), (Some(503), 3));
    emu.clear_faults();
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_returns_the_one_invitation() {
    let (emu, clerk) = setup().await;
    emu.inject(Fault::drop_after_processing().on("POST", "/invitations"));
    let inv = clerk.invitations().create("lost@x.test").await.unwrap();
    let stored = emu.invitations();
    assert_eq!(stored.len(), 1, "exactly one invitation");
    assert_eq!(inv.id, stored[0].id, "and the caller gets it");
    assert_eq!(inv.status, InvitationStatus::Pending);

    // The look-up does not see it yet (as a lagging replica would answer), so the create is
    // sent again and meets duplicate_record: that is settled by looking again.
    emu.inject(Fault::drop_after_processing().on("POST", "/invitations"));
    emu.inject(
        Fault::respond(200, "application/json", r#"{"data":[],"total_count":0}"#)
            .on("GET", "/invitations"),
    );
    let inv = clerk.invitations().create("twice@x.test").await.unwrap();
    let stored: Vec<_> = emu
        .invitations()
        .into_iter()
        .filter(|i| i.email_address == "twice@x.test")
        .collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(inv.id, stored[0].id);

    // When the look-up itself fails, nobody knows whether the create took effect: the error
    // comes back rather than a second send.
    // (The first look-up, of the invitations that exist before the call, goes through.)
    emu.inject(Fault::delay(Duration::ZERO).on("GET", "/invitations"));
    emu.inject(Fault::drop_after_processing().on("POST", "/invitations"));
    emu.inject(Fault::status(503).on("GET", "/invitations").times(3));
    let err = clerk
        .invitations()
        .create("unknown@x.test")
        .ignore_existing(true)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    let n = emu
        .invitations()
        .iter()
        .filter(|i| i.email_address == "unknown@x.test")
        .count();
    assert_eq!(n, 1, "sent once, not again");

    // ignore_existing skips the service's duplicate check: the look-up before the retry is
    // what keeps it to one.
    emu.inject(Fault::drop_after_processing().on("POST", "/invitations"));
    clerk
        .invitations()
        .create("ignore@x.test")
        .ignore_existing(true)
        .await
        .unwrap();
    let n = emu
        .invitations()
        .iter()
        .filter(|i| i.email_address == "ignore@x.test")
        .count();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_create_whose_first_attempt_timed_out_finds_what_that_attempt_made() {
    // The create is stored, then its answer stalls until the 4 s timeout. The retry meets
    // `duplicate_record`, settled by a look-up that counts invitations made since the call
    // began (by the service's clock): since the first attempt was sent, not since it failed, or
    // this one would be taken for an older one and the duplicate returned as the error.
    let (emu, clerk) = setup().await;
    emu.inject(Fault::stall_body().on("POST", "/invitations"));
    let inv = clerk
        .invitations()
        .create("slow@x.test")
        .with_timeout(Duration::from_secs(4))
        .await
        .unwrap();
    let stored = emu.invitations();
    assert_eq!(stored.len(), 1, "exactly one invitation");
    assert_eq!(inv.id, stored[0].id);
    assert_eq!(emu.request_count(), 3, "the create, its retry, one look-up");
}

#[tokio::test]
async fn a_create_that_never_arrived_is_sent_again() {
    let (emu, clerk) = setup().await;
    emu.inject(Fault::drop_before_processing().on("POST", "/invitations"));
    emu.inject(Fault::status(503).on("POST", "/invitations"));
    let inv = clerk.invitations().create("again@x.test").await.unwrap();
    let stored = emu.invitations();
    assert_eq!(stored.len(), 1);
    assert_eq!(inv.id, stored[0].id);
    assert!(inv.url.is_some(), "the retry's own create answer");
}

#[tokio::test]
async fn an_unreadable_create_answer_is_settled_by_a_look_up() {
    let (emu, clerk) = setup().await;
    emu.inject(Fault::truncate_body().on("POST", "/invitations"));
    let inv = clerk.invitations().create("cut@x.test").await.unwrap();
    assert_eq!(emu.invitations().len(), 1);
    assert_eq!(inv.id, emu.invitations()[0].id);
    assert_eq!(inv.url, None, "a looked-up invitation has no accept link");
}

#[tokio::test]
async fn bulk_org_and_revoke_answers_lost_after_processing() {
    let (emu, clerk) = setup().await;
    emu.inject(Fault::drop_after_processing().on("POST", "/invitations/bulk"));
    let created = clerk
        .invitations()
        .create_bulk([
            NewInvitation::new("b1@x.test"),
            NewInvitation::new("b2@x.test"),
        ])
        .await
        .unwrap();
    let mut ids: Vec<_> = created.iter().map(|i| i.id.clone()).collect();
    let mut stored: Vec<_> = emu.invitations().into_iter().map(|i| i.id).collect();
    ids.sort();
    stored.sort();
    assert_eq!(ids, stored, "the two stored invitations, once each");

    emu.inject(Fault::drop_after_processing().on("POST", "/invitations/{id}/revoke"));
    let revoked = clerk.invitations().revoke(&created[0].id).await.unwrap();
    assert_eq!(revoked.status, InvitationStatus::Revoked);
    assert_eq!(revoked.id, created[0].id);

    let org = clerk.organization("org_1").invitations();
    emu.inject(Fault::drop_after_processing().on("POST", "/organizations/{org}/invitations"));
    let inv = org.create("o1@x.test", "org:member").await.unwrap();
    assert_eq!(emu.organization_invitations().len(), 1);
    assert_eq!(inv.id, emu.organization_invitations()[0].id);

    emu.inject(Fault::drop_after_processing().on("POST", "/organizations/{org}/invitations/bulk"));
    let page = org
        .create_bulk([
            NewOrganizationInvitation::new("o2@x.test", "org:member"),
            NewOrganizationInvitation::new("o3@x.test", "org:member"),
        ])
        .await
        .unwrap();
    assert_eq!(page.data.len(), 2);
    assert_eq!(emu.organization_invitations().len(), 3);

    emu.inject(
        Fault::drop_after_processing().on("POST", "/organizations/{org}/invitations/{id}/revoke"),
    );
    let gone = org.revoke(&inv.id).await.unwrap();
    assert_eq!(
        (gone.id, gone.status),
        (inv.id.clone(), InvitationStatus::Revoked)
    );
}

#[tokio::test]
async fn hostile_bodies_are_typed_errors_in_time() {
    let (emu, clerk) = setup().await;
    let no_retry = RetryPolicy::none();

    emu.inject(Fault::truncate_body().on("GET", "/invitations"));
    let err = clerk.invitations().list().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");

    emu.inject(Fault::respond(502, "text/html", "<html><h1>502 Bad Gateway</h1></html>").times(9));
    let err = clerk.invitations().list().await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Api, Some(502)));
    assert!(err.body_excerpt().unwrap().contains("Bad Gateway"));
    assert_eq!(err.attempts(), 4, "502 is retried, up to the policy");
    emu.clear_faults();

    emu.inject(Fault::respond(
        400,
        "application/json",
        vec![0xff, 0xfe, b'{', 0xc3],
    ));
    let err = clerk.invitations().list().await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Api, Some(400)));
    assert!(err.body_excerpt().is_some());

    // 10 MB of valid-looking JSON: refused at the 4 MiB limit, not buffered whole.
    let mut big = b"[".to_vec();
    big.resize(10 * 1024 * 1024 - 1, b' ');
    big.push(b']');
    // Declared with Content-Length, then sent in chunks of unknown total size.
    for fault in [
        Fault::respond(200, "application/json", big.clone()),
        Fault::respond(200, "application/json", big.clone()).chunked(),
    ] {
        emu.inject(fault);
        let started = Instant::now();
        let err = clerk.invitations().list().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.to_string().contains("larger than the limit"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    // The raw client reads through a path of its own (its request hook), with the same limit:
    // a chunked body over it is refused, one under it is read whole.
    emu.inject(Fault::respond(200, "application/json", big).chunked());
    let started = Instant::now();
    let refused = clerk.raw().list_invitations().send().await;
    assert!(refused.is_err(), "a 10 MB body past the raw client's limit");
    assert!(started.elapsed() < Duration::from_secs(5));
    emu.inject(
        Fault::respond(200, "application/json", r#"{"data": [], "total_count": 0}"#).chunked(),
    );
    match clerk
        .raw()
        .list_invitations()
        .send()
        .await
        .unwrap()
        .into_inner()
    {
        clerk_invitations::raw::InvitationList::Page(p) => assert_eq!(p.total_count, 0),
        other => panic!("{other:?}"),
    }

    emu.inject(Fault::stall_body().on("GET", "/invitations").times(5));
    let started = Instant::now();
    let err = clerk
        .invitations()
        .list()
        .with_timeout(Duration::from_millis(300))
        .with_retry(no_retry.clone())
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
    // With retries each attempt gets the timeout afresh.
    let err = clerk
        .invitations()
        .list()
        .with_timeout(Duration::from_millis(200))
        .with_retry(quick().max_attempts(2))
        .await
        .unwrap_err();
    assert!(err.is_timeout() && err.attempts() == 2, "{err}");
    emu.clear_faults();

    emu.inject(Fault::delay(Duration::from_secs(30)));
    let err = clerk
        .organization("org_1")
        .invitations()
        .get("orginv_x")
        .with_timeout(Duration::from_millis(200))
        .with_retry(no_retry)
        .await
        .unwrap_err();
    assert!(err.is_timeout());
}

#[tokio::test]
async fn hostile_ids_arrive_inside_their_segment() {
    let (emu, clerk) = setup().await;
    let long = "x".repeat(3000);
    let hostile = [
        "../x",
        "a/b",
        "%2F",
        "a?b=c",
        "a#b",
        "a\r\nX-Injected: 1",
        &long,
    ];
    for id in hostile {
        let err = clerk
            .organization("org_1")
            .invitations()
            .get(id)
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{id:?}: {err}");
        // The emulator decoded the segment back to the id itself.
        let long_message = &err.api_errors()[0].long_message;
        assert!(long_message.contains(id), "{id:?}: {long_message}");
    }
    for x in emu.exchanges() {
        let segments: Vec<&str> = x.path.trim_start_matches('/').split('/').collect();
        assert_eq!(segments.len(), 5, "{}", x.path);
        assert_eq!(
            &segments[..4],
            ["v1", "organizations", "org_1", "invitations"]
        );
    }
    for id in [".", ".."] {
        let err = clerk.invitations().revoke(id).await.unwrap_err();
        assert!(err.is_invalid_input());
    }
}
