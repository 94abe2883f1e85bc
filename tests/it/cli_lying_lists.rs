//! Break 3 end to end: the tool's commands that walk every page (`list --all`, `erase`,
//! `revoke --older-than`) end against a server whose lists lie, print each invitation once and
//! say what the service got wrong. Before the fix, `list --all` made 26,000 requests in 20 s.

use crate::cli::BIN;
use serde_json::{Value, json};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk_test_LyingListsFixtureOnly";
/// Far more than any of these runs needs; a walk that never ends is killed here.
const DEADLINE: Duration = Duration::from_secs(60);

/// An invitation created long ago, so that `revoke --older-than 1d` selects it.
fn old_invitation(id: &str, email: &str) -> Value {
    json!({"object":"invitation","id":id,"email_address":email,"public_metadata":{},
        "status":"pending","created_at":1_600_000_000_000_i64,"updated_at":1_600_000_000_000_i64,
        "expires_at":4_000_000_000_000_i64})
}

/// How a lying server answers every `GET /invitations`.
enum Lie {
    /// The same page whatever the offset, with a total far above it.
    IgnoresOffset,
    /// One page, then empty pages, with a total far above it.
    TotalTooHigh,
}

async fn lying_server(lie: Lie) -> MockServer {
    let server = MockServer::start().await;
    let item = old_invitation("inv_lying1", "lie@lists.test");
    let list = Mock::given(method("GET")).and(path("/v1/invitations"));
    match lie {
        Lie::IgnoresOffset => {
            list.respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": [item.clone()], "total_count": 100_000})),
            )
            .mount(&server)
            .await
        }
        Lie::TotalTooHigh => {
            Mock::given(method("GET"))
                .and(path("/v1/invitations"))
                .and(wiremock::matchers::query_param_is_missing("offset"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(json!({"data": [item.clone()], "total_count": 100_000})),
                )
                .with_priority(1)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path("/v1/invitations"))
                .and(wiremock::matchers::query_param("offset", "0"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(json!({"data": [item.clone()], "total_count": 100_000})),
                )
                .with_priority(1)
                .mount(&server)
                .await;
            list.respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": [], "total_count": 100_000})),
            )
            .mount(&server)
            .await
        }
    }
    let mut revoked = item.clone();
    revoked["status"] = json!("revoked");
    revoked["revoked"] = json!(true);
    Mock::given(method("POST"))
        .and(path_regex("^/v1/invitations/[^/]+/revoke$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(revoked))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path_regex("^/v1/invitations/[^/]+$"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"object":"invitation","id":"inv_lying1","deleted":true})),
        )
        .mount(&server)
        .await;
    server
}

/// Runs the tool against `server`, killing it at [`DEADLINE`].
async fn run_until_deadline(server: &MockServer, args: &[&str]) -> Output {
    let mut c = Command::new(BIN);
    c.env("CLERK_SECRET_KEY", KEY)
        .env("CLERK_API_URL", format!("{}/v1", server.uri()))
        .env("CLERK_SETTLE_WINDOW_MS", "50")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = c.spawn().unwrap();
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > DEADLINE {
                child.kill().unwrap();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "still running after {DEADLINE:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

async fn list_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_all_ends_prints_each_invitation_once_and_names_the_inconsistency() {
    for lie in [Lie::IgnoresOffset, Lie::TotalTooHigh] {
        let server = lying_server(lie).await;
        let out = run_until_deadline(&server, &["--json", "list", "--all", "--limit", "1"]).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stdout.matches("inv_lying1").count(),
            1,
            "stdout: {stdout}\nstderr: {stderr}"
        );
        assert!(!out.status.success(), "a broken promise is not success");
        assert!(stderr.contains("total_count"), "{stderr}");
        assert!(list_requests(&server).await <= 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erase_and_a_clean_up_end_against_a_list_that_ignores_offset() {
    let server = lying_server(Lie::IgnoresOffset).await;
    let erase = run_until_deadline(&server, &["erase", "--email", "lie@lists.test"]).await;
    let stderr = format!(
        "{}{}",
        String::from_utf8_lossy(&erase.stdout),
        String::from_utf8_lossy(&erase.stderr)
    );
    // The list is inconsistent, and the address stays listed after its delete: the run must
    // not call it erased.
    assert!(!erase.status.success(), "{stderr}");
    assert!(stderr.contains("inconsistent"), "{stderr}");
    assert!(!String::from_utf8_lossy(&erase.stdout).contains("erased 1"));

    let server = lying_server(Lie::IgnoresOffset).await;
    let revoke = run_until_deadline(&server, &["revoke", "--older-than", "1d"]).await;
    let stderr = String::from_utf8_lossy(&revoke.stderr);
    let revokes = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    // The selection is read whole before anything is revoked: an inconsistent list stops the
    // clean-up before it acts, and says why.
    assert!(
        revokes <= 1,
        "one invitation, revoked once at the most: {stderr}"
    );
    assert!(!revoke.status.success(), "{stderr}");
    assert!(stderr.contains("inconsistent"), "{stderr}");
    assert!(list_requests(&server).await < 50, "{stderr}");
}
