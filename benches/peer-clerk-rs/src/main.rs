//! Allocations and bytes per call (counted on the calling thread) for list and create through
//! clerk-rs 0.4.2 and through plain reqwest 0.12, against a local server on a thread of its
//! own. `PEER_VIA=clerk-rs|plain PEER_CALL=list|create PEER_CALLS=N` makes only N calls, for
//! callgrind (`run.sh`).

use clerk_rs::apis::configuration::ClerkConfiguration;
use clerk_rs::apis::invitations_api::Invitation as InvitationApi;
use clerk_rs::clerk::Clerk;
use clerk_rs::models::CreateInvitationRequest;

const KEY: &str = "sk_test_bench";

#[path = "../../support/per_call.rs"]
mod per_call;
use per_call::{counted, invitation};

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct PlainInvitation {
    id: String,
    email_address: String,
    status: String,
    url: Option<String>,
    public_metadata: serde_json::Value,
    created_at: i64,
    updated_at: i64,
}

struct Clients {
    clerk: Clerk,
    plain: reqwest::Client,
    base: String,
}

async fn once(c: &Clients, via: &str, call: &str) {
    match (via, call) {
        ("clerk-rs", "list") => {
            let list = InvitationApi::list_invitations(&c.clerk, None)
                .await
                .unwrap();
            assert_eq!(list.len(), 10);
        }
        ("clerk-rs", _) => {
            let inv = InvitationApi::create_invitation(
                &c.clerk,
                Some(CreateInvitationRequest::new("someone@example.com".into())),
            )
            .await
            .unwrap();
            assert!(inv.url.is_some());
        }
        (_, "list") => {
            let bytes = c
                .plain
                .get(format!("{}/invitations", c.base))
                .bearer_auth(KEY)
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let list: Vec<PlainInvitation> = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(list.len(), 10);
        }
        _ => {
            let bytes = c
                .plain
                .post(format!("{}/invitations", c.base))
                .bearer_auth(KEY)
                .json(&serde_json::json!({"email_address": "someone@example.com"}))
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let inv: PlainInvitation = serde_json::from_slice(&bytes).unwrap();
            assert!(inv.url.is_some());
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let list: Vec<_> = (0..10).map(invitation).collect();
    let base = per_call::serve(serde_json::json!(list));
    let mut config = ClerkConfiguration::new(None, None, Some(KEY.into()), None);
    config.base_path = base.clone();
    let clients = Clients {
        clerk: Clerk::new(config),
        plain: reqwest::Client::new(),
        base,
    };
    if let Ok(n) = std::env::var("PEER_CALLS") {
        let via = std::env::var("PEER_VIA").unwrap_or_else(|_| "clerk-rs".into());
        let call = std::env::var("PEER_CALL").unwrap_or_else(|_| "list".into());
        for _ in 0..n.parse::<usize>().expect("PEER_CALLS is a number") {
            once(&clients, &via, &call).await;
        }
        return;
    }
    println!("| call | client | allocations per call | bytes allocated per call |");
    println!("|---|---|---|---|");
    for call in ["list", "create"] {
        for via in ["clerk-rs", "plain"] {
            for _ in 0..200 {
                once(&clients, via, call).await;
            }
            let (a0, b0) = counted();
            for _ in 0..2000 {
                once(&clients, via, call).await;
            }
            let (a1, b1) = counted();
            println!(
                "| {call} | {via} | {:.1} | {:.0} |",
                (a1 - a0) as f64 / 2000.0,
                (b1 - b0) as f64 / 2000.0
            );
        }
    }
}
