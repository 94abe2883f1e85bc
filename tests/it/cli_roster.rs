//! The operator's roster, end to end on an emulator: `plan` tells each address's state,
//! `apply` does exactly the plan (a change since the plan is a conflict), a second `plan` has
//! nothing left to do, `--prune` revokes exactly the pending invitations the roster no longer
//! lists, and a killed `apply` resumes with every action done once.

use crate::cli::{json_lines, run, temp_dir, tool, write};
use clerk_invitations::emulator::Emulator;
use serde_json::{Value, json};
use std::collections::HashMap;

const ORG: &str = "org_roster";

fn team(t: &str) -> Value {
    json!({ "team": t })
}

/// The plan's entries by address (the last line is the counts).
fn entries(lines: &[Value]) -> HashMap<String, Value> {
    lines
        .iter()
        .filter(|l| l.get("state").is_some())
        .filter(|l| l["state"] != "duplicate" && l["state"] != "invalid")
        .map(|l| (l["email"].as_str().unwrap_or("").to_string(), l.clone()))
        .collect()
}

fn org_pending(emu: &Emulator, email: &str) -> Vec<(String, String, Value)> {
    emu.organization_invitations()
        .into_iter()
        .filter(|i| i.email_address == email && i.status == "pending")
        .map(|i| (i.id, i.role, Value::Object(i.public_metadata)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roster_is_planned_applied_exactly_and_planned_again_with_nothing_to_do() {
    let emu = Emulator::builder()
        .time_scale(3600.0)
        .start()
        .await
        .unwrap();
    emu.seed_organization(ORG, "Roster", "roster", None);
    let clerk = emu.client().unwrap();
    let invitations = clerk.organization(ORG).invitations();
    let make =
        |email: &str, role: &str, t: &str| invitations.create(email, role).public_metadata(team(t));
    // What the service holds before the plan.
    make("same@r.test", "org:member", "blue").await.unwrap();
    make("otherrole@r.test", "org:admin", "blue").await.unwrap();
    make("otherteam@r.test", "org:member", "red").await.unwrap();
    let accepted = make("accepted@r.test", "org:member", "blue").await.unwrap();
    emu.accept_organization_invitation(&accepted.id).unwrap();
    let revoked = make("revoked@r.test", "org:member", "blue").await.unwrap();
    invitations.revoke(&revoked.id).await.unwrap();
    let stale1 = make("gone1@r.test", "org:member", "blue").await.unwrap();
    let stale2 = make("gone2@r.test", "org:member", "blue").await.unwrap();
    emu.seed_user("user_member", "member@r.test");
    emu.seed_membership(ORG, "user_member", "org:member");

    // The people team's export: 50 rows, a duplicate in another case, a bad row.
    let dir = temp_dir("roster");
    let roster = dir.join("roster.csv");
    let mut text = String::from("Email Address,Name,Team,Role\n");
    let mut new = Vec::new();
    for i in 0..42 {
        let email = format!("new{i}@r.test");
        text.push_str(&format!("{email},Person {i},blue,org:member\n"));
        new.push(email);
    }
    for e in [
        "same",
        "otherrole",
        "otherteam",
        "accepted",
        "revoked",
        "member",
    ] {
        text.push_str(&format!("{e}@r.test,{e},blue,org:member\n"));
    }
    text.push_str("NEW0@R.TEST,Again,blue,org:member\n");
    text.push_str("not-an-address,Bad,blue,org:member\n");
    write(&roster, &text);
    let plan_file = dir.join("plan.json");
    let plan_args = |out: Option<&std::path::Path>| {
        let mut c = tool(&emu);
        c.args(["--json", "plan", "--org", ORG, "--prune"])
            .args(["--map", "Name=ignore", "--map", "Team=public_metadata.team"])
            .arg(&roster);
        if let Some(o) = out {
            c.arg("--out").arg(o);
        }
        c
    };

    let requests_before = emu.request_count();
    let planned = run(plan_args(Some(&plan_file))).await;
    assert_eq!(planned.status.code(), Some(1), "the bad row makes it 1");
    let writes = emu
        .organization_invitations()
        .iter()
        .filter(|i| i.status == "pending")
        .count();
    assert_eq!(writes, 5, "a plan sends nothing");
    assert!(emu.request_count() > requests_before, "it asks the service");
    let lines = json_lines(&planned);
    let by = entries(&lines);
    let state = |e: &str| by[e]["state"].as_str().unwrap().to_string();
    let action = |e: &str| by[e]["action"].as_str().unwrap().to_string();
    for e in &new {
        assert_eq!(
            (state(e), action(e)),
            ("new".into(), "invite".into()),
            "{e}"
        );
    }
    assert_eq!(state("same@r.test"), "pending");
    assert_eq!(state("otherrole@r.test"), "pending_differs");
    assert!(
        by["otherrole@r.test"]["detail"]
            .as_str()
            .unwrap()
            .contains("role org:admin")
    );
    assert_eq!(state("otherteam@r.test"), "pending_differs");
    assert_eq!(state("accepted@r.test"), "accepted");
    assert_eq!(
        (state("revoked@r.test"), action("revoked@r.test")),
        ("revoked".into(), "invite".into())
    );
    assert_eq!(
        (state("gone1@r.test"), action("gone1@r.test")),
        ("not_in_roster".into(), "revoke".into())
    );
    assert_eq!(action("gone2@r.test"), "revoke");
    let states: Vec<(&str, u64)> = lines
        .iter()
        .filter(|l| l.get("state").is_some())
        .filter_map(|l| Some((l["state"].as_str()?, l["line"].as_u64()?)))
        .filter(|(s, _)| matches!(*s, "duplicate" | "invalid"))
        .collect();
    assert_eq!(
        states,
        [("duplicate", 50), ("invalid", 51)],
        "with their lines"
    );
    let counts = &lines.last().unwrap()["plan"];
    assert_eq!(
        counts["invite"],
        42 + 1 + 1,
        "new, revoked, and the member (unknown to a plan)"
    );
    assert_eq!(counts["revoke"], 2);

    // Between plan and apply, someone invites one of the new addresses with another role.
    let late = make("new7@r.test", "org:admin", "blue").await.unwrap();

    let mut c = tool(&emu);
    c.args(["--json", "apply", "--time-scale", "3600"])
        .arg(&plan_file);
    let applied = run(c).await;
    let outcomes: HashMap<String, String> = json_lines(&applied)
        .iter()
        .map(|l| {
            (
                l["email"].as_str().unwrap().to_string(),
                l["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        applied.status.code(),
        Some(1),
        "a conflict makes it 1: {outcomes:?}"
    );
    assert_eq!(outcomes["new7@r.test"], "conflict");
    assert_eq!(
        org_pending(&emu, "new7@r.test"),
        [(late.id.clone(), "org:admin".into(), team("blue"))],
        "not acted on"
    );
    for e in new.iter().filter(|e| *e != "new7@r.test") {
        assert_eq!(outcomes[e], "invited", "{e}");
        assert_eq!(org_pending(&emu, e).len(), 1, "{e}: exactly one");
        assert_eq!(org_pending(&emu, e)[0].1, "org:member");
        assert_eq!(
            org_pending(&emu, e)[0].2,
            team("blue"),
            "the team column is metadata"
        );
    }
    assert_eq!(outcomes["revoked@r.test"], "invited");
    assert_eq!(outcomes["member@r.test"], "already_member");
    assert_eq!(outcomes["gone1@r.test"], "revoked");
    assert_eq!(outcomes["gone2@r.test"], "revoked");
    assert!(
        org_pending(&emu, "gone1@r.test").is_empty()
            && org_pending(&emu, "gone2@r.test").is_empty()
    );
    assert_eq!(
        outcomes.len(),
        41 + 1 + 1 + 1 + 2,
        "one line per action: {outcomes:?}"
    );
    // Untouched: what the plan said to leave.
    assert_eq!(org_pending(&emu, "otherrole@r.test")[0].1, "org:admin");
    assert_eq!(org_pending(&emu, "same@r.test").len(), 1);
    let _ = stale1;
    let _ = stale2;

    // Planned again: nothing left to do but the member, whom a plan cannot see.
    let again = json_lines(&run(plan_args(None)).await);
    let counts = &again.last().unwrap()["plan"];
    assert_eq!(counts["revoke"], 0);
    let to_invite: Vec<String> = entries(&again)
        .into_iter()
        .filter(|(_, e)| e["action"] == "invite")
        .map(|(k, _)| k)
        .collect();
    assert_eq!(to_invite, ["member@r.test"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_refuses_a_changed_roster_and_another_key() {
    let emu = Emulator::start().await.unwrap();
    let dir = temp_dir("roster-changed");
    let roster = dir.join("r.csv");
    write(&roster, "email\na@changed.test\n");
    let plan_file = dir.join("p.json");
    let mut c = tool(&emu);
    c.arg("plan").arg(&roster).arg("--out").arg(&plan_file);
    assert_eq!(run(c).await.status.code(), Some(0));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&plan_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "a plan holds addresses");
    }
    write(&roster, "email\na@changed.test\nb@changed.test\n");
    let mut c = tool(&emu);
    c.arg("apply").arg(&plan_file);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("changed since the plan"));
    assert!(emu.invitations().is_empty());

    write(&roster, "email\na@changed.test\n");
    let mut c = tool(&emu);
    c.env("CLERK_SECRET_KEY", "sk_test_AnotherKeyOfAnotherInstance")
        .arg("apply")
        .arg(&plan_file);
    let out = run(c).await;
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("AnotherKeyOf"));
    assert!(emu.invitations().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_apply_resumes_and_every_planned_invitation_is_made_once() {
    // Realistic limits, a clock 600 times faster: the apply takes a few seconds.
    let emu = Emulator::builder().time_scale(600.0).start().await.unwrap();
    let dir = temp_dir("roster-kill");
    let roster = dir.join("r.csv");
    let emails: Vec<String> = (0..300).map(|i| format!("k{i}@kill.test")).collect();
    write(&roster, &format!("email\n{}\n", emails.join("\n")));
    let plan_file = dir.join("p.json");
    let mut c = tool(&emu);
    c.arg("plan").arg(&roster).arg("--out").arg(&plan_file);
    assert_eq!(run(c).await.status.code(), Some(0));

    let mut c = tool(&emu);
    c.args(["apply", "--time-scale", "600"]).arg(&plan_file);
    c.stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    // Killed once some invitations exist, with requests in flight.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while emu.invitations().len() < 40 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    let _ = child.wait();
    let made = emu.invitations().len();
    assert!((40..300).contains(&made), "killed in the middle: {made}");

    let mut c = tool(&emu);
    c.args(["--json", "apply", "--time-scale", "600"])
        .arg(&plan_file);
    let out = run(c).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 300, "one line per planned action");
    let mut stored: Vec<String> = emu
        .invitations()
        .into_iter()
        .map(|i| i.email_address)
        .collect();
    stored.sort();
    let mut want = emails.clone();
    want.sort();
    assert_eq!(stored, want, "every address once, none twice");
    std::fs::remove_dir_all(&dir).unwrap();
}
