//! What an operator at a terminal sees and keeps: outcomes reach a redirected standard output
//! whatever standard error is; the progress display ticks through waits, says whose limit it
//! is, stops at the true count when interrupted and fits the terminal.

use crate::cli::{temp_dir, write};
use crate::pty::{Terminal, on_a_terminal};
use clerk_invitations::emulator::Emulator;

fn roster(dir: &std::path::Path, n: usize, domain: &str) -> String {
    let csv = dir.join("people.csv");
    let mut text = String::from("email\n");
    for i in 0..n {
        text.push_str(&format!("p{i}@{domain}\n"));
    }
    write(&csv, &text);
    csv.to_str().unwrap().to_string()
}

/// The terminal's text with its escape sequences dropped.
fn plain(shown: &str) -> String {
    let mut out = String::new();
    let mut chars = shown.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ ... final byte in @..~
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_go_to_a_redirected_stdout_while_the_terminal_shows_progress() {
    let emu = Emulator::builder()
        .time_scale(3600.0)
        .start()
        .await
        .unwrap();
    let dir = temp_dir("tty-redirect");
    let csv = roster(&dir, 20, "redirect.test");
    for json in [false, true] {
        emu.reset();
        let results = dir.join(if json { "out.json" } else { "results.tsv" });
        let mut args = vec!["invite", "--time-scale", "3600", "--csv", &csv];
        if json {
            args.insert(0, "--json");
        }
        let (shown, code) = on_a_terminal(
            &emu,
            &args,
            Terminal {
                stdout_to: Some(results.clone()),
                ..Terminal::default()
            },
        )
        .await;
        assert_eq!(code, 0, "{shown}");
        let saved = std::fs::read_to_string(&results).unwrap();
        let outcome_lines = saved
            .lines()
            .filter(|l| l.contains("@redirect.test"))
            .count();
        assert_eq!(outcome_lines, 20, "every outcome in the file: {saved}");
        let shown = plain(&shown);
        assert!(
            shown.contains("rows"),
            "the terminal shows progress: {shown}"
        );
        assert!(
            !shown.contains("p3@redirect.test"),
            "no outcome on the terminal: {shown}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_wait_ticks_names_its_reason_and_freezes_at_the_true_count() {
    // Clerk's real limits on a real clock: the run soon waits for its budget.
    let emu = Emulator::start().await.unwrap();
    let dir = temp_dir("tty-wait");
    let csv = roster(&dir, 400, "wait.test");
    let journal = dir.join("j.journal");
    let (shown, code) = on_a_terminal(
        &emu,
        &[
            "invite",
            "--csv",
            &csv,
            "--journal",
            journal.to_str().unwrap(),
        ],
        Terminal {
            interrupt_on: Some("sending resumes in"),
            interrupt_delay_s: 2.5,
            columns: Some(160),
            ..Terminal::default()
        },
    )
    .await;
    assert_eq!(code, 6, "{shown}");
    let text = plain(&shown);
    assert!(
        text.contains("pacing within the instance's rate limits"),
        "the wait says whose limit: {text}"
    );
    // The countdown ticks: more than one value shown.
    let mut secs: Vec<&str> = text
        .match_indices("resumes in ")
        .map(|(i, m)| {
            let rest = &text[i + m.len()..];
            &rest[..rest.find(' ').unwrap_or(rest.len())]
        })
        .collect();
    secs.dedup();
    assert!(secs.len() >= 2, "a countdown that ticks: {secs:?}");
    let made = emu.invitations().len();
    assert!(made < 400);
    assert!(text.contains("interrupted"), "{text}");
    assert!(
        !text.contains("400/400"),
        "the bar stops at the true count: {text}"
    );
    // Each line of the bar fits the 160 columns (`^C` is the terminal's own echo of the
    // keystroke), so that redrawing it never leaves a wrapped part behind.
    let bars = text.replace("^C", "");
    for l in bars.split(['\n', '\r']).filter(|l| l.contains("/400 rows")) {
        assert!(
            l.chars().count() <= 160,
            "{} columns: {l}",
            l.chars().count()
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
