//! What a test author meets at the emulator's edges: Clerk-shaped errors for wrong methods,
//! unknown routes and bad bodies; faults that look like the service's own; queued faults that
//! can be read back; limits that can be changed while it runs; a request log with time and
//! query.

use clerk_invitations::emulator::{Emulator, Fault};
use serde_json::{Value, json};

async fn call(
    emu: &Emulator,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", emu.base_url().trim_end_matches("/v1"));
    let mut req = client
        .request(method.parse().unwrap(), url)
        .header("authorization", "Bearer sk_test_emulator")
        .header("content-type", "application/json");
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let r = req.send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

fn code(v: &Value) -> &str {
    v["errors"][0]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn wrong_methods_unknown_routes_and_bad_bodies_answer_as_clerk_does() {
    let emu = Emulator::builder()
        .record_exchanges(true)
        .start()
        .await
        .unwrap();
    let (s, h, v) = call(&emu, "PUT", "/v1/invitations", Some("{}")).await;
    assert_eq!((s, code(&v)), (405, "resource_not_found"), "{v}");
    assert!(h.contains_key("allow"));
    let (s, _, v) = call(&emu, "GET", "/v1/no_such_thing", None).await;
    assert_eq!((s, code(&v)), (404, "resource_not_found"));
    assert_eq!(v["errors"][0]["long_message"], "Resource not found");
    for (path, body) in [("/v1/invitations", "[1]"), ("/v1/invitations/bulk", "{}")] {
        let (s, _, v) = call(&emu, "POST", path, Some(body)).await;
        assert_eq!((s, code(&v)), (400, "request_body_invalid"), "{path}: {v}");
        assert_eq!(
            v["errors"][0]["long_message"],
            "The request body is invalid. Please consult the API documentation for more information."
        );
    }
}

#[tokio::test]
async fn a_429_fault_looks_like_the_services_and_queued_faults_can_be_read() {
    let emu = Emulator::builder()
        .record_exchanges(true)
        .start()
        .await
        .unwrap();
    emu.inject(Fault::status(429).on("GET", "/invitations").times(2));
    let (s, _, faults) = call(&emu, "GET", "/__emulator/faults", None).await;
    assert_eq!(s, 200);
    assert_eq!(faults["faults"][0]["status"], 429);
    assert_eq!(faults["faults"][0]["times"], 2);
    assert_eq!(faults["faults"][0]["path"], "/invitations");
    let (s, h, v) = call(&emu, "GET", "/v1/invitations?limit=3", None).await;
    assert_eq!((s, code(&v)), (429, "too_many_requests"), "{v}");
    assert_eq!(h["retry-after"], "1");
    // The request log has the time and the query.
    let (_, _, log) = call(&emu, "GET", "/__emulator/requests", None).await;
    let last = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|r| r["path"] == "/v1/invitations")
        .unwrap()
        .clone();
    assert_eq!(last["query"], "limit=3");
    call(
        &emu,
        "POST",
        "/v1/invitations",
        Some(r#"{"email_address":"logged@x.test"}"#),
    )
    .await;
    let (_, _, log) = call(&emu, "GET", "/__emulator/requests", None).await;
    let created = log["requests"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        created["request_body"],
        json!({"email_address": "logged@x.test"})
    );
    assert!(last["at_ms"].as_i64().unwrap() > 1_700_000_000_000);
}

#[tokio::test]
async fn rate_limits_and_the_time_scale_change_while_it_runs() {
    let emu = Emulator::builder()
        .rate_limits(false)
        .start()
        .await
        .unwrap();
    let settings = |body: Value| {
        let emu = &emu;
        async move {
            call(emu, "POST", "/__emulator/settings", Some(&body.to_string()))
                .await
                .0
        }
    };
    assert_eq!(settings(json!({"rate_limits": true})).await, 200);
    // With the limits on, the single-create budget (100 an hour) runs out.
    let mut limited = false;
    for i in 0..110 {
        let body = json!({"email_address": format!("p{i}@limits.test")}).to_string();
        if call(&emu, "POST", "/v1/invitations", Some(&body)).await.0 == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "the limits apply once switched on");
    assert_eq!(settings(json!({"rate_limits": false})).await, 200);
    let body = json!({"email_address": "after@limits.test"}).to_string();
    assert_eq!(
        call(&emu, "POST", "/v1/invitations", Some(&body)).await.0,
        200
    );
    assert_eq!(settings(json!({"time_scale": 3600})).await, 200);
    assert_eq!(settings(json!({"time_scale": -1})).await, 400);
}
