//! `clerk-invitations webhook verify` on captured deliveries.

use crate::cli::BIN;
use clerk_invitations::webhooks::Webhook;
use std::io::Write;
use std::process::{Command, Stdio};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Runs `webhook verify` with `args`, `capture` on standard input and no API key.
fn verify(args: &[&str], capture: &[u8]) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(["webhook", "verify"])
        .args(args)
        .env_remove("CLERK_SECRET_KEY")
        .env_remove("CLERK_WEBHOOK_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Written from a thread while the output is read, and a child that exits before reading
    // all of it (a refused argument, an oversized capture) is no failure of the test: its
    // answer is what the test checks.
    let mut stdin = child.stdin.take().unwrap();
    let capture = capture.to_vec();
    let writer = std::thread::spawn(move || match stdin.write_all(&capture) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn capture(id: &str, ts: i64, signature: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /webhooks/clerk HTTP/1.1\r\nHost: app.test\r\nContent-Type: application/json\r\nsvix-id: {id}\r\nsvix-timestamp: {ts}\r\nsvix-signature: {signature}\r\n\r\n{body}"
    )
    .into_bytes()
}

#[test]
fn a_captured_delivery_is_verified_and_a_tampered_one_refused() {
    let body =
        r#"{"object":"event","type":"user.created","timestamp":1,"instance_id":"ins_1","data":{}}"#;
    let ts = 1_700_000_000;
    let signature = Webhook::new(SECRET)
        .unwrap()
        .sign("msg_1", ts, body.as_bytes());
    let good = capture("msg_1", ts, &signature, body);

    let out = verify(&["--secret", SECRET, "--at", "1700000005"], &good);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "verified\tuser.created\tmsg_1\n"
    );

    let out = verify(&["--json", "--secret", SECRET, "--at", "1700000005"], &good);
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["type"], "user.created");

    let tampered = capture("msg_1", ts, &signature, &body.replace("ins_1", "ins_2"));
    let out = verify(&["--secret", SECRET, "--at", "1700000005"], &tampered);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("signature"));

    // Without --at the capture is too old to be accepted now.
    let out = verify(&["--secret", SECRET], &good);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ago"));

    // No secret, a bad secret, a capture without a blank line: each named, none echoing the
    // secret.
    let out = verify(&[], &good);
    assert_eq!(out.status.code(), Some(3));
    let out = verify(&["--secret", "whsec_***"], &good);
    assert_eq!(out.status.code(), Some(3));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("***"));
    let out = verify(&["--secret", SECRET], b"svix-id: msg_1");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("blank line"));
}
