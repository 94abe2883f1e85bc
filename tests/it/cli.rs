//! The `clerk-invitations` tool, end to end, against an emulator in the test process.

use clerk_invitations::emulator::{DEFAULT_EMULATOR_KEY, Emulator};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_clerk-invitations");

pub(crate) fn tool(emu: &Emulator) -> Command {
    let mut c = Command::new(BIN);
    c.env("CLERK_SECRET_KEY", DEFAULT_EMULATOR_KEY)
        .env("CLERK_API_URL", emu.base_url())
        .env("CLERK_SETTLE_WINDOW_MS", "300")
        .stdin(Stdio::null());
    c
}

/// Runs the tool off the async runtime's threads (the emulator must keep serving).
pub(crate) async fn run(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clerk-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

pub(crate) fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_from_a_csv_text_json_dry_run_and_header_only() {
    let emu = Emulator::start().await.unwrap();
    emu.seed_user("user_1", "taken@cli.test");
    let dir = temp_dir("csv");
    let csv = dir.join("people.csv");
    write(
        &csv,
        "name,email\nAda,ada@cli.test\nGrace,GRACE@cli.test\nTaken,taken@cli.test\nBad,not an email\nShort\nAda again,ada@cli.test\n",
    );

    // A column that holds no field of an invitation is refused before anything is read.
    let mut c = tool(&emu);
    c.args(["invite", "--csv"]).arg(&csv);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 1") && stderr.contains("`name`"),
        "{stderr}"
    );
    assert_eq!(emu.request_count(), 0);

    // --dry-run asks the service and sends nothing.
    let mut c = tool(&emu);
    c.args([
        "--json",
        "invite",
        "--map",
        "name=ignore",
        "--dry-run",
        "--csv",
    ])
    .arg(&csv);
    let out = run(c).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "invalid rows make the exit code 1"
    );
    assert!(emu.invitations().is_empty(), "a dry run sends nothing");
    let lines = json_lines(&out);
    let would: Vec<&str> = lines
        .iter()
        .filter(|l| l["action"] == "invite")
        .map(|l| l["email"].as_str().unwrap())
        .collect();
    assert_eq!(would.len(), 3, "{lines:?}");
    let duplicates = lines.iter().filter(|l| l["state"] == "duplicate").count();
    assert_eq!(duplicates, 1);

    // The real run, as text.
    let mut c = tool(&emu);
    c.args(["invite", "--map", "name=ignore", "--csv"])
        .arg(&csv);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut kinds: Vec<(String, String)> = stdout
        .lines()
        .map(|l| {
            let mut parts = l.split('\t');
            (
                parts.next().unwrap().to_string(),
                parts.next().unwrap().to_string(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("already_user".into(), "taken@cli.test".into()),
            ("invalid".into(), "(line 6)".into()),
            ("invalid".into(), "not an email".into()),
            ("invited".into(), "ada@cli.test".into()),
            ("invited".into(), "grace@cli.test".into()),
        ],
        "{stdout}"
    );
    assert_eq!(emu.invitations().len(), 2);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("invited 2"), "{stderr}");
    assert!(!stderr.contains(DEFAULT_EMULATOR_KEY) && !stdout.contains(DEFAULT_EMULATOR_KEY));

    // Again, as JSON: everyone is there already.
    let mut c = tool(&emu);
    c.args(["--json", "invite", "--map", "name=ignore", "--csv"])
        .arg(&csv);
    let lines = json_lines(&run(c).await);
    let again: Vec<&str> = lines.iter().filter_map(|l| l["outcome"].as_str()).collect();
    assert_eq!(again.iter().filter(|k| **k == "already_invited").count(), 2);

    // A file with only a header: nothing to do, success.
    let empty = dir.join("empty.csv");
    write(&empty, "email\n");
    let mut c = tool(&emu);
    c.args(["--json", "invite", "--csv"]).arg(&empty);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "only the summary");
    assert_eq!(lines[0]["summary"]["requests"], 0);

    // A missing file is a usage error; no key is a configuration error.
    let mut c = tool(&emu);
    c.args(["invite", "--csv"]).arg(dir.join("nope.csv"));
    assert_eq!(run(c).await.status.code(), Some(2));
    let mut c = tool(&emu);
    c.env_remove("CLERK_SECRET_KEY").arg("list");
    assert_eq!(run(c).await.status.code(), Some(3));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_from_the_command_line() {
    let emu = Emulator::start().await.unwrap();
    emu.seed_organization("org_1", "Acme", "acme", None);
    emu.seed_user("user_admin", "admin@acme.test");
    emu.seed_membership("org_1", "user_admin", "org:admin");
    let json = |args: &[&str]| {
        let mut c = tool(&emu);
        c.arg("--json").args(args);
        c
    };

    let out = run(json(&["create", "one@cli.test", "--expires-in-days", "3"])).await;
    assert_eq!(out.status.code(), Some(0));
    let inv = &json_lines(&out)[0];
    let id = inv["id"].as_str().unwrap().to_string();
    assert!(inv["url"].is_string());

    let out = run(json(&["list", "--status", "pending", "--all"])).await;
    assert_eq!(json_lines(&out)[0]["id"], id.as_str());
    let out = run(json(&["revoke", &id])).await;
    assert_eq!(json_lines(&out)[0]["status"], "revoked");
    let out = run(json(&["revoke", &id])).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "already revoked: the service refused"
    );
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("invitation_already_revoked")
    );

    let out = run(json(&[
        "org",
        "create",
        "org_1",
        "two@cli.test",
        "--role",
        "org:member",
        "--inviter",
        "user_admin",
    ]))
    .await;
    let org_inv = json_lines(&out)[0]["id"].as_str().unwrap().to_string();
    for args in [
        vec!["org", "list", "org_1", "--status", "pending"],
        vec!["org", "pending", "org_1"],
        vec!["org", "get", "org_1", org_inv.as_str()],
        vec!["org", "all", "--query", "two@"],
    ] {
        let out = run(json(&args)).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(json_lines(&out)[0]["id"], org_inv.as_str(), "{args:?}");
    }
    let user = emu.accept_organization_invitation(&org_inv).unwrap();
    let out = run(json(&["user", "org-invitations", &user])).await;
    assert_eq!(json_lines(&out)[0]["status"], "accepted");
    let out = run(json(&[
        "org",
        "create",
        "org_1",
        "three@cli.test",
        "--role",
        "org:member",
    ]))
    .await;
    let third = json_lines(&out)[0]["id"].as_str().unwrap().to_string();
    let out = run(json(&[
        "org",
        "revoke",
        "org_1",
        &third,
        "--requesting-user",
        "user_admin",
    ]))
    .await;
    assert_eq!(json_lines(&out)[0]["status"], "revoked");

    let out = run(json(&["list", "--status", "bogus"])).await;
    assert_eq!(out.status.code(), Some(2));
    // Options a command cannot honour are refused, not ignored.
    let out = run(json(&["org", "pending", "org_1", "--status", "accepted"])).await;
    assert_eq!(out.status.code(), Some(2));
    let two = [
        "user",
        "org-invitations",
        &user,
        "--status",
        "pending",
        "--status",
        "accepted",
    ];
    assert_eq!(run(json(&two)).await.status.code(), Some(2));
    // --all walks every page of the other lists too (pages of one here).
    for email in ["four@cli.test", "five@cli.test"] {
        let out = run(json(&[
            "org",
            "create",
            "org_1",
            email,
            "--role",
            "org:member",
        ]))
        .await;
        assert_eq!(out.status.code(), Some(0));
    }
    for (expected, args) in [
        (2, vec!["org", "pending", "org_1", "--all", "--limit", "1"]),
        (4, vec!["org", "all", "--all", "--limit", "1"]),
        (
            1,
            vec![
                "user",
                "org-invitations",
                user.as_str(),
                "--all",
                "--limit",
                "1",
            ],
        ),
    ] {
        let out = run(json(&args)).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(json_lines(&out).len(), expected, "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_resumes_from_its_journal_without_sending_twice() {
    const SCALE: &str = "720";
    let emu = Emulator::builder().time_scale(720.0).start().await.unwrap();
    let dir = temp_dir("resume");
    let csv = dir.join("many.csv");
    let journal = dir.join("run.journal");
    let mut text = String::from("email\n");
    for i in 0..600 {
        text.push_str(&format!("person{i:03}@resume.test\n"));
    }
    write(&csv, &text);
    let command = || {
        let mut c = tool(&emu);
        c.args(["--json", "invite", "--time-scale", SCALE, "--journal"])
            .arg(&journal)
            .arg("--csv")
            .arg(&csv)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };

    let mut child = command().spawn().unwrap();
    // Kill it once some outcomes are journaled, well before the end.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let outcomes = std::fs::read_to_string(&journal)
            .map(|j| j.matches("\"type\":\"outcome\"").count())
            .unwrap_or(0);
        if outcomes >= 100 {
            break;
        }
        assert!(Instant::now() < deadline, "the run made no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it could be killed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = emu.invitations().len();
    assert!(before < 600, "killed mid-run ({before} invited)");

    let mut c = command();
    c.stdout(Stdio::piped());
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(0));
    let summary = json_lines(&out).pop().unwrap();
    assert!(summary["summary"]["done_earlier"].as_u64().unwrap() >= 100);

    // Every address invited exactly once.
    let stored = emu.invitations();
    assert_eq!(stored.len(), 600);
    let mut emails: Vec<&str> = stored.iter().map(|i| i.email_address.as_str()).collect();
    emails.sort_unstable();
    emails.dedup();
    assert_eq!(emails.len(), 600);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_and_erase_from_the_command_line() {
    let emu = Emulator::start().await.unwrap();
    let keep = emu.seed_invitation("ab@cli.test");
    let one = emu.seed_invitation("a@cli.test");
    let two = emu.seed_invitation("other@cli.test");

    let mut c = tool(&emu);
    c.args(["delete", &two]);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("deleted\t{two}\n")
    );

    // Erase, dry: nothing deleted.
    let mut c = tool(&emu);
    c.args([
        "erase",
        "--dry-run",
        "--email",
        "A@cli.test",
        "--email",
        "none@cli.test",
    ]);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!("would_delete\ta@cli.test\t{one}")),
        "{stdout}"
    );
    assert_eq!(emu.invitations().len(), 2);

    let dir = temp_dir("erase");
    let csv = dir.join("erase.csv");
    write(&csv, "email\nA@cli.test\nnone@cli.test\n");
    let mut c = tool(&emu);
    c.args(["erase", "--csv"]).arg(&csv);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        format!(
            "deleted\ta@cli.test\t{one}\nerased\ta@cli.test\t1 invitation(s)\nerased\tnone@cli.test\t0 invitation(s)\n"
        )
    );
    let left: Vec<String> = emu.invitations().into_iter().map(|i| i.id).collect();
    assert_eq!(left, [keep], "the look-alike address is untouched");

    // A second run deletes nothing and succeeds.
    let mut c = tool(&emu);
    c.args(["erase", "--csv"]).arg(&csv);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8(out.stdout).unwrap().contains("deleted\t"));

    // An unknown id is a failure of the service (exit 1), reported on standard error.
    let mut c = tool(&emu);
    c.args(["delete", "inv_nope"]);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().contains("inv_nope"));
    let _ = std::fs::remove_dir_all(&dir);
}
