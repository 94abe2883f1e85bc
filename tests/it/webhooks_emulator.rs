//! End to end: the emulator delivers signed invitation events to a user's axum app that
//! receives them with the crate's extractor.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use clerk_invitations::emulator::{
    Emulator, EmulatorBuilder, Seed, WebhookDelivery, WebhookEndpoint,
};
use clerk_invitations::webhooks::axum::VerifiedEvent;
use clerk_invitations::webhooks::{InvitationEvent, Webhook};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A user's app: records every verified event; answers 500 to its first `fail_first` calls.
#[derive(Clone)]
struct App {
    webhook: Webhook,
    events: Arc<Mutex<Vec<InvitationEvent>>>,
    calls: Arc<AtomicUsize>,
    fail_first: usize,
}

impl axum::extract::FromRef<App> for Webhook {
    fn from_ref(app: &App) -> Webhook {
        app.webhook.clone()
    }
}

async fn receive(State(app): State<App>, VerifiedEvent(event): VerifiedEvent) -> StatusCode {
    if app.calls.fetch_add(1, Ordering::SeqCst) < app.fail_first {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    app.events.lock().unwrap().push(event);
    StatusCode::NO_CONTENT
}

/// Starts the app on a free loopback port; returns it and its webhook URL.
async fn start_app(fail_first: usize) -> (App, String) {
    let app = App {
        webhook: Webhook::new(SECRET).unwrap(),
        events: Arc::default(),
        calls: Arc::default(),
        fail_first,
    };
    let router = axum::Router::new()
        .route("/webhooks/clerk", post(receive))
        .with_state(app.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/clerk", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (app, url)
}

/// Starts the emulator `builder` describes, with the organization `org_1`.
async fn hooked(builder: EmulatorBuilder) -> Emulator {
    let emu = builder.start().await.unwrap();
    emu.seed_organization("org_1", "Acme", "acme", None);
    emu
}

/// Starts an emulator (with `org_1`) that delivers to `url` on `schedule`, and invites
/// ada@acme.test to `org_1`.
async fn one_invitation_to(
    url: &str,
    schedule: Vec<Duration>,
) -> (
    Emulator,
    clerk_invitations::Created<clerk_invitations::OrganizationInvitation>,
) {
    let emu = hooked(
        Emulator::builder()
            .webhook(url, SECRET)
            .webhook_retry_schedule(schedule),
    )
    .await;
    let inv = emu
        .client()
        .unwrap()
        .organization("org_1")
        .invitations()
        .create("ada@acme.test", "org:member")
        .await
        .unwrap();
    (emu, inv)
}

/// The URLs `GET /__emulator/webhooks` lists.
async fn listed_webhooks(emu: &Emulator) -> serde_json::Value {
    let admin = format!(
        "{}/__emulator/webhooks",
        emu.base_url().trim_end_matches("/v1")
    );
    let listed: serde_json::Value = reqwest::get(admin).await.unwrap().json().await.unwrap();
    listed["webhooks"].clone()
}

/// Waits (up to 10 s) until the app holds `n` events.
async fn wait_for(app: &App, n: usize) -> Vec<InvitationEvent> {
    for _ in 0..1000 {
        let events = app.events.lock().unwrap().clone();
        if events.len() >= n {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the app got {:?}", app.events.lock().unwrap());
}

/// Waits (up to 10 s) until the emulator's record of deliveries satisfies `done`: the app can
/// hold an event before the emulator has read its answer.
async fn settled(
    emu: &Emulator,
    done: impl Fn(&[WebhookDelivery]) -> bool,
) -> Vec<WebhookDelivery> {
    for _ in 0..1000 {
        let deliveries = emu.webhook_deliveries();
        if done(&deliveries) {
            return deliveries;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("deliveries: {:?}", emu.webhook_deliveries());
}

fn invitation_id(e: &InvitationEvent) -> (&str, &str) {
    match e {
        InvitationEvent::OrganizationInvitationCreated(e) => ("created", &e.data.id),
        InvitationEvent::OrganizationInvitationAccepted(e) => ("accepted", &e.data.id),
        InvitationEvent::OrganizationInvitationRevoked(e) => ("revoked", &e.data.id),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn created_accepted_and_revoked_reach_the_users_app_verified_and_in_order() {
    let (app, url) = start_app(0).await;
    let emu = hooked(Emulator::builder().webhook(&url, SECRET)).await;
    let clerk = emu.client().unwrap();
    let org = clerk.organization("org_1").invitations();

    let a = org.create("ada@acme.test", "org:member").await.unwrap();
    let user = emu.accept_organization_invitation(&a.id).unwrap();
    let b = org.create("bob@acme.test", "org:admin").await.unwrap();
    org.revoke(&b.id).await.unwrap();

    let events = wait_for(&app, 4).await;
    let seen: Vec<(&str, &str)> = events.iter().map(invitation_id).collect();
    assert_eq!(
        seen,
        [
            ("created", a.id.as_str()),
            ("accepted", a.id.as_str()),
            ("created", b.id.as_str()),
            ("revoked", b.id.as_str()),
        ]
    );
    match &events[1] {
        InvitationEvent::OrganizationInvitationAccepted(e) => {
            assert_eq!(e.data.user_id, user);
            assert_eq!(e.data.email_address, "ada@acme.test");
            assert_eq!(e.data.status.as_str(), "accepted");
            let org_data = e
                .data
                .data
                .as_ref()
                .unwrap()
                .public_organization_data
                .as_ref();
            assert_eq!(org_data.unwrap().slug, "acme");
        }
        other => panic!("{other:?}"),
    }
    match &events[3] {
        InvitationEvent::OrganizationInvitationRevoked(e) => {
            assert_eq!(e.data.role, "org:admin");
            assert_eq!(e.data.status.as_str(), "revoked");
        }
        other => panic!("{other:?}"),
    }
    let deliveries = settled(&emu, |d| d.len() == 4 && d.iter().all(|d| d.delivered)).await;
    assert!(deliveries.iter().all(|d| d.attempts.len() == 1));
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_on_the_schedule_until_it_answers() {
    let (app, url) = start_app(2).await;
    let (emu, inv) = one_invitation_to(&url, vec![Duration::from_millis(20); 3]).await;
    let events = wait_for(&app, 1).await;
    assert_eq!(invitation_id(&events[0]), ("created", inv.id.as_str()));
    let deliveries = settled(&emu, |d| d.first().is_some_and(|d| d.delivered)).await;
    let statuses: Vec<Option<u16>> = deliveries[0].attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(204)]);
    assert!(deliveries[0].delivered && !deliveries[0].failed);
    assert!(deliveries[0].id.starts_with("msg_"));
}

#[tokio::test]
async fn an_endpoint_that_never_answers_is_given_up_after_the_schedule() {
    // A port with nothing listening: bind, note it, close.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", dead.local_addr().unwrap());
    drop(dead);
    let (emu, _) = one_invitation_to(&url, vec![Duration::from_millis(10); 2]).await;
    let deliveries = settled(&emu, |d| d.first().is_some_and(|d| d.failed)).await;
    let d = &deliveries[0];
    assert!(d.failed && !d.delivered, "{d:?}");
    assert_eq!(d.attempts.len(), 3, "the first attempt and one per wait");
    assert!(
        d.attempts
            .iter()
            .all(|a| a.status.is_none() && a.error.is_some())
    );
}

#[tokio::test]
async fn a_forged_delivery_never_reaches_the_handler() {
    let (app, url) = start_app(0).await;
    // Starting an emulator installs the TLS crypto provider this test's own client needs.
    let _emu = Emulator::start().await.unwrap();
    let body = br#"{"type":"organizationInvitation.revoked","data":{}}"#;
    let client = reqwest::Client::new();
    let unsigned = client.post(&url).body(body.to_vec()).send().await.unwrap();
    assert_eq!(unsigned.status(), 400);
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let forged = Webhook::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
        .unwrap()
        .sign("msg_1", ts.parse().unwrap(), body);
    let answer = client
        .post(&url)
        .header("svix-id", "msg_1")
        .header("svix-timestamp", ts)
        .header("svix-signature", forged)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    assert!(answer.text().await.unwrap().contains("signature"));
    assert_eq!(app.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn endpoints_register_through_the_admin_api_and_the_seed_file() {
    let (app, url) = start_app(0).await;
    let (seeded_app, seeded_url) = start_app(0).await;
    let seed = Seed::from_yaml(&format!(
        "webhooks:\n  - url: {seeded_url}\n    secret: {SECRET}\n"
    ))
    .unwrap();
    let emu = hooked(Emulator::builder().seed(seed)).await;
    let admin = format!(
        "{}/__emulator/webhooks",
        emu.base_url().trim_end_matches("/v1")
    );
    let client = reqwest::Client::new();
    for (bad_url, secret) in [
        (url.as_str(), "whsec_not base64"),
        ("ftp://127.0.0.1/x", SECRET),
    ] {
        let bad = client
            .post(&admin)
            .json(&serde_json::json!({"url": bad_url, "secret": secret}))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        let text = bad.text().await.unwrap();
        assert!(
            !text.contains("not base64") || !text.contains(SECRET),
            "{text}"
        );
    }
    let added = client
        .post(&admin)
        .json(&serde_json::json!({"url": url, "secret": SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 200);
    assert_eq!(
        listed_webhooks(&emu).await,
        serde_json::json!([seeded_url, url])
    );

    emu.client()
        .unwrap()
        .organization("org_1")
        .invitations()
        .create("ada@acme.test", "org:member")
        .await
        .unwrap();
    wait_for(&app, 1).await;
    wait_for(&seeded_app, 1).await;
    settled(&emu, |d| d.len() == 2 && d.iter().all(|d| d.delivered)).await;
    let deliveries: serde_json::Value = client
        .get(format!("{admin}/deliveries"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let all = deliveries["deliveries"].as_array().unwrap();
    assert_eq!(all.len(), 2);
    // One message, delivered to both endpoints under the same id, as Svix does.
    assert_eq!(all[0]["id"], all[1]["id"]);
    assert!(
        all.iter()
            .all(|d| d["event_type"] == "organizationInvitation.created")
    );
}

#[tokio::test]
async fn the_state_file_keeps_endpoints_and_a_posted_seed_registers_its_own() {
    let (app, url) = start_app(0).await;
    let dir = std::env::temp_dir().join(format!("webhook-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.yaml");
    let _ = std::fs::remove_file(&state);

    // Registered while running (twice: the second changes nothing), saved with the state.
    let emu = Emulator::builder()
        .state_file(&state)
        .start()
        .await
        .unwrap();
    emu.add_webhook(&url, SECRET).unwrap();
    emu.add_webhook(&url, SECRET).unwrap();
    assert!(
        emu.dump().webhooks.is_empty(),
        "a dump leaves the secrets out"
    );
    emu.save_state().unwrap();
    drop(emu);
    let saved = Seed::from_file(&state).unwrap();
    assert_eq!(saved.webhooks, vec![WebhookEndpoint::new(&url, SECRET)]);

    // Restarted from the file, the endpoint named again (as `--webhook` would): registered
    // once, so each event is delivered once.
    let emu = hooked(Emulator::builder().state_file(&state).webhook(&url, SECRET)).await;
    let org = emu.client().unwrap().organization("org_1").invitations();
    org.create("ada@acme.test", "org:member").await.unwrap();
    wait_for(&app, 1).await;
    settled(&emu, |d| d.len() == 1 && d[0].delivered).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.calls.load(Ordering::SeqCst), 1, "one registration");

    // A seed posted to the admin API registers its endpoints. One with an invalid secret is
    // refused, and nothing of that seed is added.
    let (other_app, other_url) = start_app(0).await;
    let base = emu.base_url().trim_end_matches("/v1").to_string();
    let client = reqwest::Client::new();
    let post_seed = |secret: &str| {
        client
            .post(format!("{base}/__emulator/seed"))
            .header("content-type", "application/yaml")
            .body(format!(
                "organizations:\n  - {{id: org_2, name: Beta, slug: beta}}\n\
             webhooks:\n  - {{url: \"{other_url}\", secret: \"{secret}\"}}\n"
            ))
    };
    let refused = post_seed("whsec_not base64").send().await.unwrap();
    assert_eq!(refused.status(), 422);
    assert!(emu.dump().organizations.iter().all(|o| o.id != "org_2"));
    let seeded = post_seed(SECRET).send().await.unwrap();
    assert_eq!(seeded.status(), 200, "{}", seeded.text().await.unwrap());
    assert!(emu.dump().organizations.iter().any(|o| o.id == "org_2"));
    assert_eq!(
        listed_webhooks(&emu).await,
        serde_json::json!([url, other_url])
    );
    org.create("bea@acme.test", "org:member").await.unwrap();
    wait_for(&other_app, 1).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_redirect_is_a_failed_attempt_not_followed() {
    // The endpoint answers 307 to another path of the same app, which counts what reaches it.
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = reached.clone();
    let router = axum::Router::new()
        .route(
            "/hook",
            post(|| async {
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [(axum::http::header::LOCATION, "/elsewhere")],
                )
            }),
        )
        .route(
            "/elsewhere",
            post(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                async { StatusCode::NO_CONTENT }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let (emu, _) = one_invitation_to(&url, vec![Duration::from_millis(10)]).await;
    let deliveries = settled(&emu, |d| d.first().is_some_and(|d| d.failed)).await;
    let statuses: Vec<Option<u16>> = deliveries[0].attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(307), Some(307)]);
    assert_eq!(reached.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn deliveries_stop_when_the_emulator_stops() {
    // An endpoint that always fails, and a schedule that would try again after 300 ms.
    let (app, url) = start_app(usize::MAX).await;
    let (emu, _) = one_invitation_to(&url, vec![Duration::from_millis(300); 5]).await;
    settled(&emu, |d| d.first().is_some_and(|d| !d.attempts.is_empty())).await;
    drop(emu);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        app.calls.load(Ordering::SeqCst),
        1,
        "no attempt after the emulator stopped"
    );
}
