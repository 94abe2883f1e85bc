//! The `clerk-invitations` tool as an operator runs it unsupervised: journals bound to their
//! run, escaped output, clean-up campaigns, interrupting, help, terminals and progress.

use crate::cli::*;
use crate::pty::{Terminal, on_a_terminal};
use clerk_invitations::emulator::Emulator;
use std::process::Command;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_is_bound_to_its_run() {
    let emu = Emulator::start().await.unwrap();
    emu.seed_organization("org_demo", "Demo", "demo", None);
    let dir = temp_dir("bound");
    let csv = dir.join("people.csv");
    write(&csv, "email\na@bound.test\nb@bound.test\n");
    let journal = dir.join("j.journal");
    let mut c = tool(&emu);
    c.args(["invite", "--csv"])
        .arg(&csv)
        .arg("--journal")
        .arg(&journal);
    assert_eq!(run(c).await.status.code(), Some(0));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&journal).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the journal holds every address");
    }
    let before = emu.request_count();

    // The same journal for an organization run: refused, nothing sent.
    let mut c = tool(&emu);
    c.args([
        "invite",
        "--org",
        "org_demo",
        "--role",
        "org:member",
        "--csv",
    ])
    .arg(&csv)
    .arg("--journal")
    .arg(&journal);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("belongs to another run"), "{stderr}");
    assert_eq!(emu.request_count(), before, "nothing sent");
    assert!(emu.organization_invitations().is_empty());

    // Another input with the same journal: refused too.
    let other = dir.join("other.csv");
    write(&other, "email\nc@bound.test\n");
    let mut c = tool(&emu);
    c.args(["invite", "--csv"])
        .arg(&other)
        .arg("--journal")
        .arg(&journal);
    assert_eq!(run(c).await.status.code(), Some(5));

    // Another key (another instance): refused.
    let mut c = tool(&emu);
    c.env("CLERK_SECRET_KEY", "sk_test_another_instance");
    c.args(["invite", "--csv"])
        .arg(&csv)
        .arg("--journal")
        .arg(&journal);
    assert_eq!(run(c).await.status.code(), Some(5));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_cells_are_escaped_and_an_unbalanced_quote_stops_with_its_line() {
    let emu = Emulator::start().await.unwrap();
    let dir = temp_dir("forged");
    let csv = dir.join("forged.csv");
    write(
        &csv,
        "email\n\"x\tinvited\tceo@corp.com\tinv_forged\"\n\"\u{1b}[2Jwipe@x.test\"\nok@forged.test\n",
    );
    let mut c = tool(&emu);
    c.args(["invite", "--csv"]).arg(&csv);
    let out = run(c).await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        !stdout.contains('\u{1b}'),
        "no escape sequence reaches the terminal: {stdout:?}"
    );
    for line in stdout.lines() {
        assert_eq!(
            line.split('\t').count(),
            3,
            "three fields, whatever the cells hold: {line:?}"
        );
        assert!(!line.starts_with("invited\tceo@corp.com"), "{line:?}");
    }
    assert!(stdout.contains("invited\tok@forged.test"));

    let bad = dir.join("unbalanced.csv");
    write(
        &bad,
        "email\nfirst@q.test\n\"second@q.test\nthird@q.test\nfourth@q.test\n",
    );
    let mut c = tool(&emu);
    c.args(["invite", "--csv"]).arg(&bad);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("line 3") && stderr.contains("never closed"),
        "{stderr}"
    );
    let stored: Vec<String> = emu
        .invitations()
        .into_iter()
        .map(|i| i.email_address)
        .collect();
    assert!(stored.contains(&"first@q.test".to_string()));
    assert!(
        !stored.iter().any(|e| e.contains("third")),
        "rows after the quote are not merged into an address: {stored:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_up_revokes_exactly_the_stale_ones_within_the_limits_and_resumes_after_sigkill() {
    use clerk_invitations::emulator::Seed;
    let now = clerk_invitations::models::timestamp(0)
        .elapsed()
        .unwrap()
        .as_millis() as i64;
    let day = 86_400_000_i64;
    let mut yaml = String::from("invitations:\n");
    for i in 0..1200 {
        yaml.push_str(&format!(
            "  - {{email_address: stale{i}@x.test, created_at: {}, expires_at: {}}}\n",
            now - 30 * day - i,
            now + 300 * day
        ));
    }
    for i in 0..300 {
        yaml.push_str(&format!(
            "  - {{email_address: fresh{i}@x.test, created_at: {}, expires_at: {}}}\n",
            now - day,
            now + 300 * day
        ));
    }
    let emu = Emulator::builder()
        .time_scale(3600.0)
        .record_exchanges(true)
        .seed(Seed::from_yaml(&yaml).unwrap())
        .start()
        .await
        .unwrap();
    let dir = temp_dir("cleanup");
    let journal = dir.join("cleanup.journal");
    let args = |c: &mut Command| {
        c.args([
            "revoke",
            "--older-than",
            "7d",
            "--time-scale",
            "3600",
            "--journal",
        ])
        .arg(&journal);
    };

    // A dry run selects the 1,200 and revokes nothing.
    let mut c = tool(&emu);
    args(&mut c);
    c.arg("--dry-run");
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1200);
    let revoked = |emu: &Emulator| {
        emu.invitations()
            .iter()
            .filter(|i| i.status == "revoked")
            .count()
    };
    assert_eq!(revoked(&emu), 0);

    // Killed mid-run ...
    let mut c = tool(&emu);
    args(&mut c);
    c.stdout(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    let started = Instant::now();
    while revoked(&emu) < 200 && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    let _ = child.wait();
    let after_kill = revoked(&emu);
    assert!((200..1200).contains(&after_kill), "{after_kill}");

    // ... and resumed with the same journal.
    let mut c = tool(&emu);
    args(&mut c);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("done in an earlier run"), "{stderr}");
    let stored = emu.invitations();
    let stale_revoked = stored
        .iter()
        .filter(|i| i.email_address.starts_with("stale") && i.status == "revoked")
        .count();
    let fresh_revoked = stored
        .iter()
        .filter(|i| i.email_address.starts_with("fresh") && i.status == "revoked")
        .count();
    assert_eq!((stale_revoked, fresh_revoked), (1200, 0));
    let refused = emu.exchanges().iter().filter(|x| x.status == 429).count();
    assert_eq!(refused, 0, "within the limits");
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_cleanly_says_how_to_resume_and_the_resume_invites_each_once() {
    let emu = Emulator::builder()
        .time_scale(3600.0)
        .start()
        .await
        .unwrap();
    // Slow enough that the signal arrives mid-run.
    emu.set_latency(Duration::from_millis(40));
    let dir = temp_dir("ctrlc");
    let csv = dir.join("people.csv");
    let mut text = String::from("email\n");
    for i in 0..400 {
        text.push_str(&format!("p{i}@ctrlc.test\n"));
    }
    write(&csv, &text);
    let journal = dir.join("j.journal");
    let command = |emu: &Emulator| {
        let mut c = tool(emu);
        c.args(["invite", "--time-scale", "3600", "--csv"])
            .arg(&csv)
            .arg("--journal")
            .arg(&journal)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        c
    };
    let child = command(&emu).spawn().unwrap();
    let started = Instant::now();
    while emu.invitations().len() < 30 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "the documented code: {out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("resume with the same command"), "{stderr}");
    assert!(stderr.contains("--journal"), "{stderr}");
    let first = emu.invitations().len();
    assert!(first < 400, "stopped early: {first}");

    emu.set_latency(Duration::ZERO);
    let out = tokio::task::spawn_blocking({
        let mut c = command(&emu);
        move || c.output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let mut emails: Vec<String> = emu
        .invitations()
        .into_iter()
        .map(|i| i.email_address)
        .collect();
    assert_eq!(emails.len(), 400, "each address once");
    emails.sort();
    emails.dedup();
    assert_eq!(emails.len(), 400);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every subcommand's `--help`: each option and argument explained, and the environment and
/// exit codes at the end.
#[test]
fn every_option_and_argument_has_help_and_every_help_names_env_and_exit_codes() {
    fn help(path: &[&str]) -> String {
        let mut args: Vec<&str> = path.to_vec();
        args.push("--help");
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert!(out.status.success(), "{path:?}");
        String::from_utf8(out.stdout).unwrap()
    }
    fn subcommands(text: &str) -> Vec<String> {
        let mut in_commands = false;
        let mut found = Vec::new();
        for line in text.lines() {
            if line.starts_with("Commands:") {
                in_commands = true;
                continue;
            }
            if in_commands {
                match line.strip_prefix("  ") {
                    Some(rest) if !rest.starts_with(' ') => {
                        let name = rest.split_whitespace().next().unwrap().to_string();
                        if name != "help" {
                            found.push(name);
                        }
                    }
                    _ if line.trim().is_empty() => in_commands = false,
                    _ => {}
                }
            }
        }
        found
    }
    let mut queue: Vec<Vec<String>> = vec![Vec::new()];
    let mut checked = 0;
    while let Some(path) = queue.pop() {
        let refs: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&refs);
        assert!(
            text.contains("CLERK_SECRET_KEY") && text.contains("CLERK_API_URL"),
            "{path:?}"
        );
        assert!(
            text.contains("Exit codes:") && text.contains("6  interrupted"),
            "{path:?}"
        );
        for line in text.lines() {
            let t = line.trim_start();
            let is_entry = (t.starts_with('-') || t.starts_with('<'))
                && line.starts_with("  ")
                && !line.starts_with("          ");
            if is_entry {
                // "  --limit <LIMIT>    text" or, in the long form, text on the next line.
                let described = t.split("  ").filter(|p| !p.trim().is_empty()).count() > 1;
                let next = text.lines().skip_while(|l| *l != line).nth(1).unwrap_or("");
                assert!(
                    described || next.starts_with("          "),
                    "{path:?}: `{}` has no help text",
                    t.trim()
                );
            }
        }
        for sub in subcommands(&text) {
            let mut p = path.clone();
            p.push(sub);
            queue.push(p);
        }
        checked += 1;
    }
    assert!(checked > 12, "walked {checked} commands");
    // `org pending` lists pending invitations: no --status is offered.
    assert!(!help(&["org", "pending"]).contains("--status"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_on_a_terminal_is_read_once_and_invites() {
    let emu = Emulator::start().await.unwrap();
    let (shown, code) = on_a_terminal(
        &emu,
        &["invite", "--csv", "/dev/stdin"],
        Terminal {
            input: Some("email\nfirst@tty.test\nsecond@tty.test\n"),
            ..Terminal::default()
        },
    )
    .await;
    assert_eq!(code, 0, "{shown}");
    let mut stored: Vec<String> = emu
        .invitations()
        .into_iter()
        .map(|i| i.email_address)
        .collect();
    stored.sort();
    assert_eq!(stored, ["first@tty.test", "second@tty.test"], "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_progress_of_a_two_thousand_row_run_ends_at_two_thousand_of_two_thousand() {
    let emu = Emulator::builder()
        .time_scale(3600.0)
        .start()
        .await
        .unwrap();
    let dir = temp_dir("progress");
    let csv = dir.join("people.csv");
    let mut text = String::from("email\n");
    for i in 0..2000 {
        text.push_str(&format!("p{i}@progress.test\n"));
    }
    write(&csv, &text);
    let journal = dir.join("j.journal");
    let csv_arg = csv.to_str().unwrap();
    let journal_arg = journal.to_str().unwrap();
    let (shown, code) = on_a_terminal(
        &emu,
        &[
            "invite",
            "--time-scale",
            "3600",
            "--csv",
            csv_arg,
            "--journal",
            journal_arg,
        ],
        Terminal::default(),
    )
    .await;
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("2000/2000 rows"),
        "the header is no row: {shown:.2000}"
    );
    assert!(!shown.contains("/2001"), "{shown:.2000}");
    assert_eq!(emu.invitations().len(), 2000);

    // A resumed run's total leaves out what the journal holds: it ends full too.
    let emails: Vec<String> = (2000..2100)
        .map(|i| format!("p{i}@progress.test"))
        .collect();
    let mut more = text.clone();
    for e in &emails {
        more.push_str(e);
        more.push('\n');
    }
    write(&csv, &more);
    let (shown, code) = on_a_terminal(
        &emu,
        &[
            "invite",
            "--time-scale",
            "3600",
            "--csv",
            csv_arg,
            "--journal",
            journal_arg,
        ],
        Terminal::default(),
    )
    .await;
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("100/100 rows"), "{shown:.2000}");
    assert!(
        shown.contains("2000 done in an earlier run"),
        "{shown:.2000}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
