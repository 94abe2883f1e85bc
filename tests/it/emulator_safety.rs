//! The standalone emulator is safe to leave running, tried through its binary's HTTP surface:
//! web pages cannot reach it (DNS rebinding, cross-site simple requests, a webhook pointing
//! back at it), no seed exhausts it, a restart loses nothing, its state file is the owner's
//! alone, and what a test author needs is there (webhook removal, health, version, --host).

#![cfg(unix)]

use serde_json::{Value, json};
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_clerk-emulator");

/// A running `clerk-emulator`, stopped when dropped.
struct Running {
    child: Child,
    /// `http://127.0.0.1:PORT` (without `/v1`).
    base: String,
    port: u16,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut c = Command::new(BIN);
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    let base = url.trim_end_matches("/v1").to_string();
    let port = base.rsplit(':').next().unwrap().parse().unwrap();
    Running { child, base, port }
}

impl Running {
    fn stop(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }

    /// The peak memory of the process so far, in KiB.
    fn peak_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

/// Sends a request; returns its status and JSON body (`Null` if none).
async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, Value) {
    // Building a client of the crate installs the process's TLS provider, which reqwest needs.
    let _ = clerk_invitations::Clerk::builder()
        .secret_key("sk_test_emulator")
        .build();
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

const JSON: (&str, &str) = ("content-type", "application/json");
const KEY: (&str, &str) = ("authorization", "Bearer sk_test_emulator");

async fn invitations(e: &Running) -> usize {
    let (_, state) = send("GET", &format!("{}/__emulator/state", e.base), &[], None).await;
    state["invitations"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_pages_cannot_reach_it_by_rebinding_or_cross_site_requests() {
    let e = start(&["--host", "emu.test"], &[]);
    let list = format!("{}/v1/invitations", e.base);
    // DNS rebinding: the page's own name as the Host.
    let (s, body) = send("GET", &list, &[KEY, ("host", "evil.example")], None).await;
    assert_eq!(s, 421, "{body}");
    let (s, _) = send(
        "POST",
        &format!("{}/__emulator/reset", e.base),
        &[JSON, ("host", "evil.example")],
        None,
    )
    .await;
    assert_eq!(s, 421);
    // Its own names, and what --host adds.
    for host in [
        format!("127.0.0.1:{}", e.port),
        format!("localhost:{}", e.port),
        "emu.test".into(),
    ] {
        let (s, _) = send("GET", &list, &[KEY, ("host", &host)], None).await;
        assert_eq!(s, 200, "{host}");
    }

    // Cross-site simple requests are refused, and do nothing.
    let create = format!("{}/v1/invitations", e.base);
    let (s, _) = send(
        "POST",
        &create,
        &[KEY, JSON],
        Some(r#"{"email_address":"kept@x.test"}"#),
    )
    .await;
    assert_eq!(s, 200);
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let headers: Vec<(&str, &str)> = ct.map(|c| vec![("content-type", c)]).unwrap_or_default();
        let (s, body) = send(
            "POST",
            &format!("{}/__emulator/reset", e.base),
            &headers,
            Some("{}"),
        )
        .await;
        assert_eq!(s, 415, "{ct:?}: {body}");
        let (s, _) = send(
            "POST",
            &format!("{}/__emulator/faults", e.base),
            &headers,
            Some(r#"{"status":503,"times":1000000}"#),
        )
        .await;
        assert_eq!(s, 415);
    }
    assert_eq!(invitations(&e).await, 1, "nothing was reset");
    let (s, _) = send("GET", &create, &[KEY], None).await;
    assert_eq!(s, 200, "no fault was queued");

    // A webhook pointing back at the emulator is refused, under any loopback name.
    for url in [
        format!("http://127.0.0.1:{}/__emulator/reset", e.port),
        format!("http://localhost:{}/anything", e.port),
        format!("http://0.0.0.0:{}/x", e.port),
    ] {
        let body =
            json!({"url": url, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}).to_string();
        let (s, resp) = send(
            "POST",
            &format!("{}/__emulator/webhooks", e.base),
            &[JSON],
            Some(&body),
        )
        .await;
        assert_eq!(s, 400, "{url}: {resp}");
        assert!(resp["error"].as_str().unwrap().contains("itself"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_token_guards_the_admin_api_only() {
    let e = start(&[], &[("CLERK_EMULATOR_ADMIN_TOKEN", "t0ken-for-tests")]);
    let reset = format!("{}/__emulator/reset", e.base);
    assert_eq!(send("POST", &reset, &[JSON], None).await.0, 401);
    assert_eq!(
        send(
            "POST",
            &reset,
            &[JSON, ("authorization", "Bearer wrong")],
            None
        )
        .await
        .0,
        401
    );
    assert_eq!(
        send(
            "POST",
            &reset,
            &[JSON, ("authorization", "Bearer t0ken-for-tests")],
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        send("GET", &format!("{}/v1/invitations", e.base), &[KEY], None)
            .await
            .0,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_seed_exhausts_it_and_each_refusal_names_its_limit() {
    let e = start(&[], &[]);
    let seed = format!("{}/__emulator/seed", e.base);
    let yaml = ("content-type", "application/yaml");
    // An alias bomb: ten levels of ten aliases each would be 10^10 values.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{p}"); 10].join(", ")
        ));
    }
    bomb.push_str("invitations:\n  - email_address: bomb@x.test\n    public_metadata: {m: *a9}\n");
    let before = e.peak_kib();
    let started = std::time::Instant::now();
    let (s, body) = send("POST", &seed, &[yaml], Some(&bomb)).await;
    assert_eq!(s, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("alias"), "{body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Deep nesting.
    let deep = format!(
        "invitations:\n  - email_address: d@x.test\n    public_metadata: {{m: {}{}}}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let (s, body) = send("POST", &seed, &[yaml], Some(&deep)).await;
    assert_eq!(s, 422);
    assert!(
        body["error"].as_str().unwrap().contains("deeper than 32"),
        "{body}"
    );
    // Too large a body.
    let (s, body) = send("POST", &seed, &[yaml], Some(&"#".repeat(2 * 1024 * 1024))).await;
    assert_eq!(s, 413, "{body}");
    // The process's peak memory grew by less than 64 MiB over all of it.
    assert!(
        e.peak_kib() - before < 64 * 1024,
        "{} KiB",
        e.peak_kib() - before
    );
    assert_eq!(invitations(&e).await, 0, "nothing of them was added");
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_restores_the_state_and_a_damaged_state_file_is_refused_not_overwritten() {
    let dir = std::env::temp_dir().join(format!("emu-safety-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.yaml");
    let seed = dir.join("seed.yaml");
    std::fs::write(
        &seed,
        "organizations:\n  - {id: org_1, name: One, slug: one}\n",
    )
    .unwrap();
    let args = [
        "--state",
        state.to_str().unwrap(),
        "--seed",
        seed.to_str().unwrap(),
    ];

    let e = start(&args, &[]);
    let (s, inv) = send(
        "POST",
        &format!("{}/v1/organizations/org_1/invitations", e.base),
        &[KEY, JSON],
        Some(r#"{"email_address":"joins@x.test","role":"org:member"}"#),
    )
    .await;
    assert_eq!(s, 200, "{inv}");
    let accept = format!(
        "{}/__emulator/organization_invitations/{}/accept",
        e.base,
        inv["id"].as_str().unwrap()
    );
    assert_eq!(send("POST", &accept, &[JSON], None).await.0, 200);
    let clock = format!("{}/__emulator/clock", e.base);
    assert_eq!(
        send("POST", &clock, &[JSON], Some(r#"{"offset_ms": 86400000}"#))
            .await
            .0,
        200
    );
    let (_, before) = send("GET", &format!("{}/__emulator/state", e.base), &[], None).await;
    assert!(e.stop().success());
    assert_eq!(
        mode(&state),
        0o600,
        "it holds addresses and signing secrets"
    );

    // The same command again: the state file is the state, the seed fills nothing.
    let e = start(&args, &[]);
    let (_, after) = send("GET", &format!("{}/__emulator/state", e.base), &[], None).await;
    assert_eq!(
        after, before,
        "nothing lost: the member, the accepted invitation, the clock offset"
    );
    assert_eq!(
        after["organizations"][0]["members"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert!(e.stop().success());

    // Cut at a line boundary: refused, naming the line, and left as it is.
    let full = std::fs::read_to_string(&state).unwrap();
    let cut: String = full
        .lines()
        .take(full.lines().count() / 2)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&state, &cut).unwrap();
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cut short") && stderr.contains("line"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&state).unwrap(),
        cut,
        "not saved over"
    );

    // An id twice: refused with its line.
    let twice = "users:\n  - {id: user_1, email_addresses: [a@x.test]}\n  - {id: user_1, email_addresses: [b@x.test]}\n# end of clerk-emulator state\n";
    std::fs::write(&state, twice).unwrap();
    let out = Command::new(BIN)
        .args(["--state", state.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("line 3") && stderr.contains("user_1"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_can_be_removed_are_capped_and_reset_removes_the_added_ones() {
    let e = start(
        &[
            "--webhook",
            "http://127.0.0.1:9/kept",
            "--webhook-secret",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ],
        &[],
    );
    let hooks = format!("{}/__emulator/webhooks", e.base);
    let add = |i: usize| {
        json!({"url": format!("http://127.0.0.1:9/h{i}"), "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}).to_string()
    };
    for i in 0..99 {
        assert_eq!(
            send("POST", &hooks, &[JSON], Some(&add(i))).await.0,
            200,
            "{i}"
        );
    }
    let (s, body) = send("POST", &hooks, &[JSON], Some(&add(99))).await;
    assert_eq!(s, 400, "the 101st: {body}");
    assert!(body["error"].as_str().unwrap().contains("100"));
    let (s, body) = send(
        "DELETE",
        &hooks,
        &[JSON],
        Some(r#"{"url":"http://127.0.0.1:9/h0"}"#),
    )
    .await;
    assert_eq!((s, body["removed"].clone()), (200, json!(1)));
    let (s, _) = send(
        "DELETE",
        &hooks,
        &[JSON],
        Some(r#"{"url":"http://127.0.0.1:9/h0"}"#),
    )
    .await;
    assert_eq!(s, 404);
    assert_eq!(
        send(
            "POST",
            &format!("{}/__emulator/reset", e.base),
            &[JSON],
            None
        )
        .await
        .0,
        200
    );
    let (_, body) = send("GET", &hooks, &[], None).await;
    assert_eq!(
        body["webhooks"],
        json!(["http://127.0.0.1:9/kept"]),
        "reset keeps only those given at start"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_version_and_unknown_admin_paths_answer_plainly() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("clerk-emulator {}", env!("CARGO_PKG_VERSION"))
    );
    let out = Command::new(BIN).arg("--nope").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.lines().count() == 1 && stderr.contains("--nope"),
        "one line, not the usage: {stderr}"
    );
    let e = start(&[], &[]);
    let (s, body) = send("GET", &format!("{}/__emulator/health", e.base), &[], None).await;
    assert_eq!((s, body["ok"].clone()), (200, json!(true)));
    let (s, body) = send("GET", &format!("{}/__emulator/nope", e.base), &[], None).await;
    assert_eq!(s, 404);
    assert!(body["error"].as_str().unwrap().contains("health"), "{body}");
}

#[test]
fn the_readme_names_every_flag_of_the_binarys_help() {
    let help = String::from_utf8(Command::new(BIN).arg("--help").output().unwrap().stdout).unwrap();
    let readme = include_str!("../../README.md");
    let section = readme
        .split("### Emulator for any language")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap();
    let mut flags: Vec<&str> = help
        .split(|c: char| c.is_whitespace() || c == '[' || c == ']' || c == ',')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .collect();
    flags.sort();
    flags.dedup();
    assert!(flags.len() >= 12, "{flags:?}");
    for flag in flags {
        assert!(
            section.contains(flag),
            "the README's emulator section does not name {flag}"
        );
    }
}
