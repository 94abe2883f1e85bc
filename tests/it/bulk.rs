//! Bulk invitations against the emulator with Clerk's limits on a scaled clock.

use clerk_invitations::bulk::{BulkInvite, BulkLimits, Outcome, OutcomeKind};
use clerk_invitations::emulator::Emulator;
use std::collections::HashMap;

const SCALE: f64 = 3600.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_addresses_each_get_one_correct_outcome_without_a_429() {
    let emu = Emulator::builder()
        .time_scale(SCALE)
        .record_exchanges(true)
        .start()
        .await
        .unwrap();
    let mut input = Vec::new();
    let mut expected: HashMap<String, &str> = HashMap::new();
    for i in 0..1600 {
        let e = format!("new{i:04}@bulk.test");
        expected.insert(e.clone(), "invited");
        input.push(e);
    }
    for i in 0..100 {
        let e = format!("user{i:03}@bulk.test");
        emu.seed_user(&format!("user_{i}"), &e);
        expected.insert(e.clone(), "already_user");
        input.push(e);
    }
    for i in 0..200 {
        let e = format!("old{i:03}@bulk.test");
        emu.seed_invitation(&e);
        expected.insert(e.clone(), "already_invited");
        input.push(e);
    }
    for i in 0..50 {
        let e = format!("broken{i} at bulk.test");
        expected.insert(e.clone(), "invalid");
        input.push(e);
    }
    // Repeats of earlier addresses, in other cases and with spaces.
    for i in 0..50 {
        input.push(format!("  NEW{:04}@Bulk.Test ", i * 7));
    }
    // Interleave so every batch mixes kinds.
    let mut rng = fastrand::Rng::with_seed(3);
    rng.shuffle(&mut input);
    assert_eq!(input.len(), 2000);

    let clerk = emu.client().unwrap();
    let mut outcomes: Vec<Outcome> = Vec::new();
    // A margin of 10 % of the (1 s) window: a busy test machine may delay a request by more
    // than the default 2 %.
    let summary = BulkInvite::application(&clerk)
        .limits(
            BulkLimits::application()
                .time_scale(SCALE)
                .with_margin(std::time::Duration::from_millis(100)),
        )
        .run(&input, |o| outcomes.push(o.clone()))
        .await
        .unwrap();

    // Exactly one outcome per distinct address, and the right one.
    let mut by_email: HashMap<String, OutcomeKind> = HashMap::new();
    for o in &outcomes {
        assert!(
            by_email.insert(o.email.clone(), o.kind.clone()).is_none(),
            "{} twice",
            o.email
        );
    }
    assert_eq!(by_email.len(), expected.len());
    for (email, want) in &expected {
        let got = by_email
            .get(email)
            .unwrap_or_else(|| panic!("no outcome for {email}"));
        assert_eq!(got.name(), *want, "{email}: {got:?}");
    }
    assert_eq!(summary.invited, 1600);
    assert_eq!(summary.already_user, 100);
    assert_eq!(summary.already_invited, 200);
    assert_eq!(summary.invalid, 50);
    assert_eq!(summary.duplicates_in_input, 50);
    assert_eq!(summary.failed, 0);

    // The emulator's state matches: one invitation per invited address, with the reported id.
    let stored = emu.invitations();
    assert_eq!(stored.len(), 200 + 1600);
    let mut per_email: HashMap<&str, Vec<&str>> = HashMap::new();
    for inv in &stored {
        per_email
            .entry(&inv.email_address)
            .or_default()
            .push(&inv.id);
    }
    for (email, kind) in &by_email {
        if let OutcomeKind::Invited { id } = kind {
            assert_eq!(per_email[email.as_str()], vec![id.as_str()], "{email}");
        }
    }
    // And no request was refused for its rate.
    let limited = emu.exchanges().iter().filter(|x| x.status == 429).count();
    assert_eq!(limited, 0, "429s were drawn");
    assert_eq!(summary.rate_limited, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organization_runs_narrow_down_errors_that_name_no_address() {
    let emu = Emulator::builder().time_scale(SCALE).start().await.unwrap();
    emu.seed_organization("org_1", "Acme", "acme", None);
    emu.seed_user("user_admin", "admin@acme.test");
    emu.seed_membership("org_1", "user_admin", "org:admin");
    let mut input: Vec<String> = (0..37).map(|i| format!("m{i:02}@org.test")).collect();
    // Members: the service's already_a_member_in_organization does not say which address.
    for i in 0..3 {
        let e = format!("member{i}@org.test");
        emu.seed_user(&format!("user_m{i}"), &e);
        emu.seed_membership("org_1", &format!("user_m{i}"), "org:member");
        input.insert(i * 12 + 5, e);
    }
    let clerk = emu.client().unwrap();
    let mut outcomes = Vec::new();
    let summary = BulkInvite::organization(&clerk, "org_1", "org:member")
        .inviter_user_id("user_admin")
        .limits(BulkLimits::organization().time_scale(SCALE))
        .run(&input, |o| outcomes.push(o.clone()))
        .await
        .unwrap();
    assert_eq!((summary.invited, summary.already_member), (37, 3));
    assert_eq!(outcomes.len(), 40);
    for o in &outcomes {
        let member = o.email.starts_with("member");
        assert_eq!(
            o.kind.name(),
            if member { "already_member" } else { "invited" },
            "{o:?}"
        );
    }
    assert_eq!(emu.organization_invitations().len(), 37);

    // A fatal error (an inviter without permission) stops the run with an error.
    emu.seed_user("user_plain", "plain@acme.test");
    emu.seed_membership("org_1", "user_plain", "org:member");
    let err = BulkInvite::organization(&clerk, "org_1", "org:member")
        .inviter_user_id("user_plain")
        .limits(BulkLimits::organization().time_scale(SCALE))
        .run(["x1@org.test", "x2@org.test"], |_| {})
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(clerk_invitations::ErrorCode::from(
            "missing_organization_permission"
        ))
    );
}

#[tokio::test]
async fn addresses_in_doubt_are_settled_only_when_they_are_in_this_input() {
    use std::io::Write;
    let emu = Emulator::builder()
        .time_scale(3600.0)
        .start()
        .await
        .unwrap();
    let clerk = emu.client().unwrap();
    let dir = std::env::temp_dir().join(format!("in-doubt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("j.journal");
    let _ = std::fs::remove_file(&journal);
    let run = || {
        BulkInvite::application(&clerk)
            .limits(BulkLimits::application().time_scale(3600.0))
            .journal(&journal)
    };
    run().run(["a@doubt.test"], |_| {}).await.unwrap();
    // An interrupted run left two addresses in doubt, one with an extreme timestamp.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .unwrap();
    writeln!(
        f,
        r#"{{"type":"intent","emails":["elsewhere@doubt.test","b@doubt.test"],"at":-9223372036854775808}}"#
    )
    .unwrap();
    drop(f);
    let summary = run()
        .run(["a@doubt.test", "b@doubt.test"], |_| {})
        .await
        .unwrap();
    assert_eq!(summary.done_earlier, 1);
    assert_eq!(
        summary.invited, 1,
        "b, in this input, was settled and invited"
    );
    let stored: Vec<String> = emu
        .invitations()
        .into_iter()
        .map(|i| i.email_address)
        .collect();
    assert!(
        !stored.contains(&"elsewhere@doubt.test".to_string()),
        "not in this input: {stored:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_address_invited_just_before_the_run_is_reported_as_already_invited() {
    let emu = Emulator::builder().time_scale(SCALE).start().await.unwrap();
    emu.seed_organization("org_1", "Acme", "acme", None);
    let clerk = emu.client().unwrap();
    // Invited seconds before the run, by the service's clock: well inside the minute of skew
    // this machine's clock is allowed, so only the service's own time can tell.
    let earlier = clerk
        .organization("org_1")
        .invitations()
        .create("moment@org.test", "org:member")
        .await
        .unwrap();
    emu.advance_clock(std::time::Duration::from_secs(5));
    let mut outcomes = Vec::new();
    let summary = BulkInvite::organization(&clerk, "org_1", "org:member")
        .limits(BulkLimits::organization().time_scale(SCALE))
        .run(["moment@org.test"], |o| outcomes.push(o.clone()))
        .await
        .unwrap();
    assert_eq!(summary.already_invited, 1, "{outcomes:?}");
    assert_eq!(outcomes[0].kind.name(), "already_invited");
    assert_eq!(emu.organization_invitations().len(), 1);
    assert_eq!(emu.organization_invitations()[0].id, earlier.id);
}
