//! The emulator's fault injection, observed with a plain HTTP client.

use clerk_invitations::emulator::{DEFAULT_EMULATOR_KEY, Emulator, Fault};
use serde_json::json;
use std::time::Duration;

async fn start() -> (Emulator, reqwest::Client, String) {
    let emu = Emulator::start().await.unwrap();
    let url = format!("{}/invitations", emu.base_url());
    (emu, reqwest::Client::new(), url)
}

fn create(http: &reqwest::Client, url: &str, email: &str) -> reqwest::RequestBuilder {
    http.post(url)
        .bearer_auth(DEFAULT_EMULATOR_KEY)
        .json(&json!({ "email_address": email }))
}

fn list(http: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
    http.get(url).bearer_auth(DEFAULT_EMULATOR_KEY)
}

#[tokio::test]
async fn canned_answers_apply_to_the_next_matching_requests_only() {
    let (emu, http, url) = start().await;
    emu.inject(
        Fault::status(503)
            .on("GET", "/v1/invitations")
            .times(2)
            .header("retry-after", "7"),
    );
    // A create does not match the fault.
    assert_eq!(
        create(&http, &url, "a@x.test")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    for _ in 0..2 {
        let r = list(&http, &url).send().await.unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "7");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            v["errors"][0]["code"], "service_unavailable",
            "the service's own code for a 503"
        );
    }
    let r = list(&http, &url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(emu.request_count(), 4);

    emu.inject(Fault::respond(502, "text/html", "<html>bad gateway</html>"));
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 502, "a fault applies before authentication");
    assert_eq!(r.headers()["content-type"], "text/html");
    assert_eq!(r.text().await.unwrap(), "<html>bad gateway</html>");
}

#[tokio::test]
async fn dropped_connections_before_and_after_processing() {
    let (emu, http, url) = start().await;
    emu.inject(Fault::drop_before_processing());
    let err = create(&http, &url, "before@x.test")
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert!(emu.invitations().is_empty(), "nothing was stored");

    emu.inject(Fault::drop_after_processing());
    let err = create(&http, &url, "after@x.test")
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    let stored = emu.invitations();
    assert_eq!(stored.len(), 1, "the create was stored");
    assert_eq!(stored[0].email_address, "after@x.test");
}

#[tokio::test]
async fn truncated_and_stalled_bodies() {
    let (emu, http, url) = start().await;
    emu.inject(Fault::truncate_body());
    let r = create(&http, &url, "t@x.test").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    assert!(!body.is_empty());
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
    assert_eq!(emu.invitations().len(), 1);

    emu.inject(Fault::stall_body());
    let r = create(&http, &url, "s@x.test").send().await.unwrap();
    assert_eq!(r.status(), 200, "status and headers arrive");
    let read = tokio::time::timeout(Duration::from_millis(300), r.bytes()).await;
    assert!(read.is_err(), "the body never completes");
}

#[tokio::test]
async fn delays_and_latency() {
    let (emu, http, url) = start().await;
    emu.inject(Fault::delay(Duration::from_secs(30)).on("POST", "/invitations"));
    let slow = tokio::time::timeout(
        Duration::from_millis(200),
        create(&http, &url, "slow@x.test").send(),
    )
    .await;
    assert!(slow.is_err(), "the delayed request had not been answered");

    emu.clear_faults();
    emu.set_latency(Duration::from_secs(30));
    let slow = tokio::time::timeout(Duration::from_millis(200), list(&http, &url).send()).await;
    assert!(slow.is_err(), "latency applies to every request");
    emu.set_latency(Duration::ZERO);
    let r = list(&http, &url).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
