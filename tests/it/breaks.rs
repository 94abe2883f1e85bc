//! One test per break found by trying the crate as a hostile server and a careless operator
//! would; each failed before its fix. The seeded simulation (`simulation.rs`) looks for the
//! rest of each class.

use clerk_invitations::NewInvitation;
use clerk_invitations::bulk::{BulkInvite, BulkLimits, Erase, ErasureKind, OutcomeKind};
use clerk_invitations::emulator::{Emulator, Fault};
use clerk_invitations::prelude::*;
use std::time::Duration;

async fn emulator() -> (Emulator, Clerk) {
    let emu = Emulator::builder()
        .rate_limits(false)
        .record_exchanges(true)
        .start()
        .await
        .unwrap();
    let clerk = client(&emu, Duration::from_millis(300));
    (emu, clerk)
}

fn client(emu: &Emulator, window: Duration) -> Clerk {
    Clerk::builder()
        .secret_key(clerk_invitations::emulator::DEFAULT_EMULATOR_KEY)
        .base_url(emu.base_url())
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(6)
                .max_rate_limited(8)
                .backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .settle_window(window)
        .build()
        .unwrap()
}

/// A fresh folder of this test's own.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("clerk-breaks-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stored(emu: &Emulator, email: &str) -> Vec<String> {
    emu.invitations()
        .into_iter()
        .filter(|i| clerk_invitations::address::same(&i.email_address, email))
        .map(|i| i.id)
        .collect()
}

/// Break 1: the settling look-ups folded only ASCII case, so `ÄDA@…` was never found.
#[tokio::test]
async fn an_address_with_non_ascii_capitals_is_settled_to_its_one_invitation() {
    for ignore_existing in [true, false] {
        let (emu, clerk) = emulator().await;
        emu.inject(Fault::drop_after_processing().on("POST", "/invitations"));
        let inv = clerk
            .invitations()
            .create("ÄDA@example.com")
            .ignore_existing(ignore_existing)
            .await
            .unwrap_or_else(|e| panic!("ignore_existing {ignore_existing}: {e}"));
        assert_eq!(stored(&emu, "äda@example.com"), vec![inv.id]);
    }
    let (emu, clerk) = emulator().await;
    emu.inject(Fault::drop_after_processing().on("POST", "/invitations/bulk"));
    let made = clerk
        .invitations()
        .create_bulk([
            NewInvitation::new("ÄDA@example.com").ignore_existing(true),
            NewInvitation::new("ÖTTO@example.com").ignore_existing(true),
        ])
        .await
        .unwrap();
    assert_eq!(made.len(), 2);
    assert_eq!(
        emu.invitations().len(),
        2,
        "no second bulk request was stored"
    );
}

/// Break 2, first case: a `DELETE` answered 404 on its first attempt (a proxy without the
/// route) was counted as erased.
#[tokio::test]
async fn a_first_attempt_404_on_delete_is_a_failure_not_an_erasure() {
    let (emu, clerk) = emulator().await;
    let id = emu.seed_invitation("gone@x.test");
    let body = r#"{"errors":[{"code":"resource_not_found","message":"not found","long_message":"not found"}]}"#;
    emu.inject(
        Fault::respond(404, "application/json", body)
            .on("DELETE", &format!("/invitations/{id}"))
            .times(10),
    );
    let mut outcomes = Vec::new();
    let summary = Erase::new(&clerk)
        .run(["gone@x.test"], |e| outcomes.push(e.kind.clone()))
        .await
        .unwrap();
    assert_eq!(summary.erased, 0);
    assert!(
        matches!(&outcomes[..], [ErasureKind::Failed { error, .. }] if error.contains("404")),
        "{outcomes:?}"
    );
    assert_eq!(stored(&emu, "gone@x.test"), vec![id]);
}

/// Break 2, second case: with a lagging list, an invitation made a moment before the erasure
/// survived an erasure that reported the address clean.
#[tokio::test]
async fn an_erasure_under_a_lagging_list_erases_what_the_list_showed_late() {
    let (emu, _) = emulator().await;
    let clerk = client(&emu, Duration::from_millis(1500));
    emu.set_list_lag(Duration::from_millis(1000));
    emu.seed_invitation("late@x.test");
    let mut outcomes = Vec::new();
    Erase::new(&clerk)
        .run(["late@x.test"], |e| outcomes.push(e.kind.clone()))
        .await
        .unwrap();
    assert!(stored(&emu, "late@x.test").is_empty(), "{outcomes:?}");
    assert!(
        matches!(&outcomes[..], [ErasureKind::Erased { ids }] if ids.len() == 1),
        "{outcomes:?}"
    );
}

/// Break 2, third case: the erase journal was bound to neither service nor key.
#[tokio::test]
async fn the_erase_journal_belongs_to_one_service_and_one_run() {
    let (a, clerk_a) = emulator().await;
    let (b, clerk_b) = emulator().await;
    a.seed_invitation("x@x.test");
    b.seed_invitation("x@x.test");
    let dir = scratch("erase");
    let journal = dir.join("erase.jsonl");
    Erase::new(&clerk_a)
        .journal(&journal)
        .run(["x@x.test"], |_| {})
        .await
        .unwrap();
    let e = Erase::new(&clerk_b)
        .journal(&journal)
        .run(["x@x.test"], |_| {})
        .await
        .unwrap_err();
    assert!(e.to_string().contains("belongs to another run"), "{e}");
    assert_eq!(stored(&b, "x@x.test").len(), 1, "B was not skipped as done");
}

/// Break 4, first and second cases: a lost answer, then 429s (or then every answer lost),
/// ended in an error that says nothing happened, while the invitation existed.
#[tokio::test]
async fn a_create_that_may_have_been_executed_never_ends_in_not_executed() {
    let (emu, clerk) = emulator().await;
    emu.inject(Fault::drop_after_processing().on("POST", "/invitations"));
    emu.inject(
        Fault::status(429)
            .header("Retry-After", "0")
            .on("POST", "/invitations")
            .times(20),
    );
    let inv = clerk.invitations().create("lost@x.test").await.unwrap();
    assert_eq!(stored(&emu, "lost@x.test"), vec![inv.id]);

    let (emu, clerk) = emulator().await;
    emu.inject(
        Fault::drop_after_processing()
            .on("POST", "/invitations")
            .times(20),
    );
    let inv = clerk.invitations().create("all-lost@x.test").await.unwrap();
    assert_eq!(stored(&emu, "all-lost@x.test"), vec![inv.id]);
}

/// Break 4, third and fourth cases: a chunk whose answers were all lost was journaled
/// `failed`, and a resume against a service clock five minutes behind reported what this tool
/// made as `already_invited`.
#[tokio::test]
async fn a_resumed_run_reports_what_it_made_as_invited_on_a_slow_service_clock() {
    let (emu, clerk) = emulator().await;
    emu.set_clock_offset(-300_000);
    let dir = scratch("resume");
    let journal = dir.join("run.jsonl");
    let emails = ["r1@x.test", "r2@x.test"];
    let run = || {
        BulkInvite::application(&clerk)
            .limits(BulkLimits::application().time_scale(3600.0))
            .journal(&journal)
    };
    emu.inject(Fault::drop_after_processing().times(200));
    let first = run().run(emails, |_| {}).await;
    emu.clear_faults();
    drop(first);
    let mut outcomes = Vec::new();
    run()
        .run(emails, |o| outcomes.push(o.clone()))
        .await
        .unwrap();
    for email in emails {
        let made = stored(&emu, email);
        assert_eq!(made.len(), 1, "{email}: {made:?}");
        assert!(
            outcomes.iter().any(|o| o.email == email
                && o.kind
                    == OutcomeKind::Invited {
                        id: made[0].clone()
                    }),
            "{email}: {outcomes:?}"
        );
    }
}

/// Break 5: without a `Date` and with the service's clock two minutes behind, an
/// `ignore_existing` create stored a second invitation.
#[tokio::test]
async fn no_date_and_a_slow_clock_never_make_a_second_invitation() {
    let (emu, clerk) = emulator().await;
    emu.set_date_header(false);
    emu.set_clock_offset(-120_000);
    emu.inject(Fault::drop_after_processing().on("POST", "/invitations"));
    let result = clerk
        .invitations()
        .create("nodate@x.test")
        .ignore_existing(true)
        .await;
    let made = stored(&emu, "nodate@x.test");
    assert_eq!(made.len(), 1, "{result:?}");
    match result {
        Ok(inv) => assert_eq!(inv.id, made[0]),
        Err(e) => {
            assert!(e.is_outcome_unknown(), "{e}");
            assert_eq!(e.candidates(), &made[..]);
        }
    }
}

/// Break 6, second case: a bulk run obeyed a `Retry-After` of ten years.
#[tokio::test]
async fn a_bulk_run_refuses_to_wait_ten_years() {
    let (emu, clerk) = emulator().await;
    emu.inject(
        Fault::status(429)
            .header("Retry-After", "315360000")
            .times(50),
    );
    let e = tokio::time::timeout(
        Duration::from_secs(20),
        BulkInvite::application(&clerk).run(["wait@x.test"], |_| {}),
    )
    .await
    .expect("the run ends at once")
    .unwrap_err();
    assert!(e.to_string().contains("Retry-After"), "{e}");
}

/// Break 7: a server that echoes the `Authorization` header, and a password in the base URL.
#[tokio::test]
async fn the_key_and_a_url_password_appear_in_no_error() {
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};
    struct Echo;
    impl Respond for Echo {
        fn respond(&self, r: &Request) -> ResponseTemplate {
            let auth = r
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            ResponseTemplate::new(400).set_body_json(json!({
                "errors": [{"code": "bad", "message": auth, "long_message": format!("you sent {auth}"), "meta": {"echo": [auth]}}]
            }))
        }
    }
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Echo).mount(&server).await;
    let key = "sk_test_EchoedBackByAHostileServer";
    let base = server
        .uri()
        .replace("http://", "http://proxyuser:Pr0xyPassw0rd@");
    let clerk = Clerk::builder()
        .secret_key(key)
        .base_url(format!("{base}/v1"))
        .build()
        .unwrap();
    let e = clerk.invitations().create("a@x.test").await.unwrap_err();
    let shown = format!("{e} {e:?} {:?} {clerk:?}", e.api_errors());
    assert!(e.to_string().contains("<redacted>"), "{e}");
    for secret in [key, "Pr0xyPassw0rd"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

/// Break 8: the settling look-ups sent `status` twice, which a proxy validating against the
/// published spec (one `status`) refuses.
#[tokio::test]
async fn settling_look_ups_send_one_status_at_the_most() {
    let (emu, clerk) = emulator().await;
    emu.inject(Fault::drop_after_processing().on("POST", "/invitations"));
    clerk
        .invitations()
        .create("q@x.test")
        .ignore_existing(true)
        .await
        .unwrap();
    let lists: Vec<String> = emu
        .exchanges()
        .into_iter()
        .filter(|x| x.method == "GET")
        .map(|x| x.query)
        .collect();
    assert!(!lists.is_empty());
    for q in lists {
        assert!(q.matches("status=").count() <= 1, "{q}");
    }
}

/// No panic on extreme clocks and timestamps: each is a clear 400 or error, and the emulator
/// goes on serving.
#[tokio::test]
async fn extreme_clocks_and_timestamps_are_refused_not_panicked_on() {
    let (emu, clerk) = emulator().await;
    let admin = |body: serde_json::Value| {
        let url = format!("http://{}/__emulator/clock", emu.addr());
        async move {
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(admin(json!({"advance_ms": i64::MAX})).await, 400);
    assert_eq!(
        admin(json!({"offset_ms": 400_000_000_000_000_i64})).await,
        400
    );
    clerk.invitations().create("after@x.test").await.unwrap();
    let seed = clerk_invitations::emulator::Seed::from_yaml(&format!(
        "invitations: [{{email_address: far@x.test, created_at: {}}}]",
        i64::MAX
    ));
    assert!(seed.unwrap_err().to_string().contains("timestamp"));
    // An offset past the year 9999 set through the library is held at the latest valid time.
    emu.set_clock_offset(i64::MAX);
    clerk.invitations().create("late@x.test").await.unwrap();
}
