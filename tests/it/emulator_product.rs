//! The emulator as a product: seed files, the admin API over HTTP, state across restarts, and
//! slow clients that cannot lock others out.

use clerk_invitations::emulator::{DEFAULT_EMULATOR_KEY, Emulator, Seed};
use clerk_invitations::{Clerk, InvitationStatus};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SEED: &str = include_str!("../../examples/emulator/seed.yaml");

async fn admin(emu: &Emulator, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!(
        "{}/__emulator/{path}",
        emu.base_url().trim_end_matches("/v1")
    );
    let client = reqwest::Client::new();
    // Admin writes say they are JSON (a web page cannot send that cross-site).
    let mut req = client
        .request(method.parse().unwrap(), url)
        .header("content-type", "application/json");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_example_seed_file_loads_dumps_and_round_trips() {
    let seed = Seed::from_yaml(SEED).unwrap();
    let emu = Emulator::builder().seed(seed).start().await.unwrap();
    let clerk = emu.client().unwrap();

    // What the seed holds is served.
    let stale = clerk
        .invitations()
        .list()
        .statuses([
            InvitationStatus::Pending,
            InvitationStatus::Revoked,
            InvitationStatus::Accepted,
            InvitationStatus::Expired,
        ])
        .await
        .unwrap();
    assert_eq!(stale.data.len(), 4);
    let old = stale
        .data
        .iter()
        .find(|i| i.email_address == "stale@example.test")
        .unwrap();
    assert_eq!(old.created_at, 1_767_225_600_000, "created_at as seeded");
    let late = stale
        .data
        .iter()
        .find(|i| i.email_address == "late@example.test")
        .unwrap();
    assert_eq!(late.status, InvitationStatus::Expired);
    let org = clerk.organization("org_acme").invitations();
    let pending = org.list().await.unwrap();
    assert_eq!(pending.data[0].id, "orginv_pending000000000000000001");
    // The seeded admin may invite; the seeded member address is a user already.
    org.create("x@example.test", "org:billing")
        .inviter_user_id("user_admin")
        .await
        .unwrap();
    let err = clerk
        .invitations()
        .create("member.alias@acme.test")
        .await
        .unwrap_err();
    assert!(err.is_existing_user(), "{err}");

    // Dump, load into a fresh emulator, dump again: the same document.
    let dumped = emu.dump();
    let again = Emulator::builder()
        .seed(dumped.clone())
        .start()
        .await
        .unwrap();
    assert_eq!(again.dump(), dumped);
    // And through YAML text.
    assert_eq!(Seed::from_yaml(&dumped.to_yaml()).unwrap(), dumped);
}

#[tokio::test]
async fn a_bad_seed_is_a_clear_error() {
    for (text, says) in [
        ("users: [{id: u}]", "email_addresses"),
        (
            "invitations: [{email_address: a@x.test, status: lost}]",
            "status `lost`",
        ),
        ("nonsense: 1", "unknown field"),
        (
            "organization_invitations: [{organization_id: org_x, email_address: a@x.test, role: r}]",
            "org_x",
        ),
    ] {
        let e = Seed::from_yaml(text).unwrap_err();
        assert!(e.to_string().contains(says), "{text}: {e}");
    }
}

#[tokio::test]
async fn the_state_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("emu-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.yaml");
    let _ = std::fs::remove_file(&path);
    let id = {
        let emu = Emulator::builder().state_file(&path).start().await.unwrap();
        emu.seed_organization("org_1", "One", "one", None);
        let inv = emu
            .client()
            .unwrap()
            .invitations()
            .create("kept@x.test")
            .await
            .unwrap();
        emu.save_state().unwrap();
        inv.id
    };
    let emu = Emulator::builder().state_file(&path).start().await.unwrap();
    let listed = emu.client().unwrap().invitations().list().await.unwrap();
    assert_eq!(listed.data.len(), 1);
    assert_eq!(listed.data[0].id, id);
    assert!(emu.dump().organizations.iter().any(|o| o.id == "org_1"));
    // Saving is atomic: no temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn every_admin_endpoint_works_over_http() {
    let emu = Emulator::builder()
        .record_exchanges(true)
        .start()
        .await
        .unwrap();
    let clerk = emu.client().unwrap();

    // Seed (YAML as text is accepted too; JSON here).
    let (s, _) = admin(
        &emu,
        "POST",
        "seed",
        Some(json!({
            "organizations": [{"id": "org_1", "name": "One", "slug": "one"}],
            "invitations": [{"email_address": "seeded@x.test"}]
        })),
    )
    .await;
    assert_eq!(s, 200);
    let (s, state) = admin(&emu, "GET", "state", None).await;
    assert_eq!(s, 200);
    assert_eq!(state["invitations"][0]["email_address"], "seeded@x.test");
    let (s, bad) = admin(&emu, "POST", "seed", Some(json!({"bogus": 1}))).await;
    assert_eq!(s, 422, "{bad}");

    // Accept as the invitee would.
    let inv = clerk.invitations().create("a@x.test").await.unwrap();
    let (s, body) = admin(
        &emu,
        "POST",
        &format!("invitations/{}/accept", inv.id),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(body["user_id"].as_str().unwrap().starts_with("user_"));
    let org_inv = clerk
        .organization("org_1")
        .invitations()
        .create("b@x.test", "org:member")
        .await
        .unwrap();
    let (s, _) = admin(
        &emu,
        "POST",
        &format!("organization_invitations/{}/accept", org_inv.id),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = admin(&emu, "POST", "invitations/inv_nope/accept", None).await;
    assert_eq!(s, 404);

    // The clock: set, advance, read.
    let (_, c) = admin(&emu, "POST", "clock", Some(json!({"offset_ms": -60_000}))).await;
    assert_eq!(c["offset_ms"], -60_000);
    let (_, c) = admin(
        &emu,
        "POST",
        "clock",
        Some(json!({"advance_ms": 31 * 86_400_000_i64})),
    )
    .await;
    assert_eq!(c["offset_ms"], 31 * 86_400_000_i64 - 60_000);
    let (_, c) = admin(&emu, "GET", "clock", None).await;
    assert!(c["now_ms"].as_i64().unwrap() > 0);
    let expired = clerk
        .invitations()
        .list()
        .status(InvitationStatus::Expired)
        .await
        .unwrap();
    assert_eq!(
        expired.data.len(),
        1,
        "the seeded one expired as the clock moved on"
    );

    // Faults and settings.
    let (s, _) = admin(
        &emu,
        "POST",
        "faults",
        Some(json!({"kind": "status", "status": 503,
        "method": "GET", "path": "/invitations", "times": 1})),
    )
    .await;
    assert_eq!(s, 200);
    let raw = reqwest::Client::new()
        .get(format!("{}/invitations", emu.base_url()))
        .bearer_auth(DEFAULT_EMULATOR_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 503);
    let (s, e) = admin(&emu, "POST", "faults", Some(json!({"kind": "explode"}))).await;
    assert_eq!(s, 400, "{e}");
    let (s, _) = admin(
        &emu,
        "POST",
        "settings",
        Some(json!({"latency_ms": 0, "list_lag_ms": 0, "organizations_enabled": false})),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        clerk
            .organization("org_1")
            .invitations()
            .list()
            .await
            .unwrap_err()
            .status()
            == Some(403)
    );
    let (s, _) = admin(&emu, "DELETE", "faults", None).await;
    assert_eq!(s, 200);

    // Recorded requests.
    let (s, r) = admin(&emu, "GET", "requests", None).await;
    assert_eq!(s, 200);
    assert!(
        r["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["status"] == 503)
    );

    // Save without a state file is refused; reset empties.
    let (s, _) = admin(&emu, "POST", "save", None).await;
    assert_eq!(s, 409);
    let (s, _) = admin(&emu, "POST", "reset", None).await;
    assert_eq!(s, 200);
    assert!(emu.invitations().is_empty());

    // The admin API needs no key, and Clerk's routes still do.
    let refused = reqwest::Client::new()
        .get(format!("{}/invitations", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
}

#[tokio::test]
async fn slow_clients_cannot_lock_out_a_normal_request() {
    use tokio::io::AsyncWriteExt;
    let emu = Emulator::builder()
        .max_connections(16)
        .header_read_timeout(Duration::from_millis(500))
        .start()
        .await
        .unwrap();
    // Twice as many connections as places, each sending half a request and stopping.
    let mut slow = Vec::new();
    for _ in 0..32 {
        let mut s = tokio::net::TcpStream::connect(emu.addr()).await.unwrap();
        s.write_all(b"GET /v1/invitations HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(s);
    }
    let clerk = Clerk::builder()
        .secret_key(DEFAULT_EMULATOR_KEY)
        .base_url(emu.base_url())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let started = Instant::now();
    clerk.invitations().list().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "served in {:?} despite the slow clients",
        started.elapsed()
    );
    drop(slow);
}

#[tokio::test]
async fn an_organization_bulk_counts_what_it_created_as_the_service_does() {
    use clerk_invitations::NewOrganizationInvitation;
    let emu = Emulator::start().await.unwrap();
    emu.seed_organization("org_1", "One", "one", None);
    let org = emu.client().unwrap().organization("org_1").invitations();
    let first = org.create("pending@x.test", "org:member").await.unwrap();
    let page = org
        .create_bulk([
            NewOrganizationInvitation::new("pending@x.test", "org:member"),
            NewOrganizationInvitation::new("new@x.test", "org:member"),
        ])
        .await
        .unwrap();
    assert_eq!(page.data.len(), 2, "both come back");
    assert_eq!(page.data[0].id, first.id, "the pending one, unchanged");
    assert_eq!(page.total_count, Some(1), "one was created");
}

/// The binary: `--state` keeps what it holds across a SIGTERM and a restart; the key comes
/// from a file.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_keeps_its_state_across_a_restart() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let dir = std::env::temp_dir().join(format!("emu-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.yaml");
    let key_file = dir.join("key");
    std::fs::write(&key_file, "sk_test_from_a_file\n").unwrap();
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_clerk-emulator"))
            .arg("--state")
            .arg(&state)
            .arg("--key-file")
            .arg(&key_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().rsplit(' ').next().unwrap().to_string();
        (child, url)
    };
    let clerk = |url: &str| {
        Clerk::builder()
            .secret_key("sk_test_from_a_file")
            .base_url(url)
            .build()
            .unwrap()
    };
    let (mut child, url) = start();
    let inv = clerk(&url)
        .invitations()
        .create("kept@x.test")
        .await
        .unwrap();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success(), "a clean shutdown");
    assert!(state.exists(), "saved on SIGTERM");

    let (mut child, url) = start();
    let listed = clerk(&url).invitations().list().await.unwrap();
    assert_eq!(
        listed.data.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        [inv.id]
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
