//! Per-call overhead: the same list and create calls through the facade, through the raw
//! generated client, and through hand-written reqwest + serde_json, against one local server
//! that answers with fixed bodies. Sequential and with 64 concurrent callers, interleaved over
//! several rounds; prints the median throughput of each and the facade's ratio to plain reqwest.
//! The callers run on one thread and the server on another, so the callers' CPU is the limit.
//!
//! `OVERHEAD_PROFILE=facade|raw|plain` runs only that client (list calls, 64 callers, 128,000
//! calls) in the process: for a profiler, and for comparing the clients without the others
//! sharing the process.
//!
//! First, per call: the allocations and bytes allocated by the calling thread (a counting
//! global allocator; the server's thread is not counted), sequential calls after a warm-up.
//!
//! `OVERHEAD_PROFILE=facade|raw|plain OVERHEAD_CALL=list|create OVERHEAD_CALLS=N` makes only N
//! sequential calls of that client: `benches/instructions.sh` runs it under callgrind to count
//! instructions per call.
//!
//! Run: `cargo bench --bench overhead --features emulator`

use clerk_invitations::{Clerk, Invitation, RetryPolicy};
use serde::Deserialize;
use std::future::Future;
use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::Instant;

const KEY: &str = "sk_test_bench";

#[path = "support/per_call.rs"]
mod per_call;
use per_call::{counted, invitation};

const SEQUENTIAL_CALLS: usize = 4000;
const CONCURRENCY: usize = 64;
const CONCURRENT_CALLS: usize = 12800;
const ROUNDS: usize = 9;

/// What a user would write by hand for the list envelope.
#[derive(Deserialize)]
struct PlainPage {
    data: Vec<Invitation>,
    #[allow(dead_code)]
    total_count: u64,
}

/// The local server, answering the list with the `{data, total_count}` envelope.
fn serve() -> String {
    let page: Vec<_> = (0..10).map(invitation).collect();
    per_call::serve(serde_json::json!({"data": page, "total_count": 10}))
}

#[derive(Clone)]
struct Clients {
    clerk: Clerk,
    plain: reqwest::Client,
    base: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Via {
    Facade,
    Raw,
    Plain,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Call {
    List,
    Create,
}

async fn once(c: &Clients, via: Via, call: Call) {
    match (via, call) {
        (Via::Facade, Call::List) => {
            let page = c.clerk.invitations().list().limit(10).await.unwrap();
            assert_eq!(page.data.len(), 10);
        }
        (Via::Facade, Call::Create) => {
            let inv = c
                .clerk
                .invitations()
                .create("someone@example.com")
                .await
                .unwrap();
            assert!(inv.url.is_some());
        }
        (Via::Raw, Call::List) => {
            let r = c
                .clerk
                .raw()
                .list_invitations()
                .paginated(true)
                .limit(NonZeroU64::new(10).unwrap())
                .send()
                .await
                .unwrap();
            match r.into_inner() {
                clerk_invitations::models::InvitationList::Page(p) => {
                    assert_eq!(p.data.len(), 10)
                }
                _ => panic!("not a page"),
            }
        }
        (Via::Raw, Call::Create) => {
            let body = clerk_invitations::raw::types::CreateInvitationBody::builder()
                .email_address("someone@example.com")
                .ignore_existing(Some(false))
                .notify(Some(true));
            let r = c
                .clerk
                .raw()
                .create_invitation()
                .body(body)
                .send()
                .await
                .unwrap();
            assert!(r.into_inner().url.is_some());
        }
        (Via::Plain, Call::List) => {
            let bytes = c
                .plain
                .get(format!("{}/invitations", c.base))
                .query(&[("paginated", "true"), ("limit", "10")])
                .bearer_auth(KEY)
                .header("clerk-api-version", clerk_invitations::API_VERSION)
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let page: PlainPage = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(page.data.len(), 10);
        }
        (Via::Plain, Call::Create) => {
            let bytes = c
                .plain
                .post(format!("{}/invitations", c.base))
                .bearer_auth(KEY)
                .header("clerk-api-version", clerk_invitations::API_VERSION)
                .json(&serde_json::json!({
                    "email_address": "someone@example.com",
                    "public_metadata": {},
                    "notify": true,
                    "ignore_existing": false,
                }))
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let inv: Invitation = serde_json::from_slice(&bytes).unwrap();
            assert!(inv.url.is_some());
        }
    }
}

/// Calls per second for `calls` calls made by `callers` concurrent tasks.
async fn throughput<F, Fut>(callers: usize, calls: usize, f: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let f = Arc::new(f);
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let f = f.clone();
            tokio::spawn(async move {
                for _ in 0..calls / callers {
                    f().await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    calls as f64 / started.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let base = serve();
    let clerk = Clerk::builder()
        .secret_key(KEY)
        .base_url(&base)
        .retry_policy(RetryPolicy::default())
        .build()
        .unwrap();
    let clients = Clients {
        clerk,
        plain: reqwest::Client::new(),
        base,
    };
    // OVERHEAD_PROFILE=facade|raw|plain: only that client, for a profiler.
    if let Ok(only) = std::env::var("OVERHEAD_PROFILE") {
        let via = match only.as_str() {
            "facade" => Via::Facade,
            "raw" => Via::Raw,
            _ => Via::Plain,
        };
        if let Ok(n) = std::env::var("OVERHEAD_CALLS") {
            let n: usize = n.parse().expect("OVERHEAD_CALLS is a number");
            let call = match std::env::var("OVERHEAD_CALL").as_deref() {
                Ok("create") => Call::Create,
                _ => Call::List,
            };
            for _ in 0..n {
                once(&clients, via, call).await;
            }
            return;
        }
        let c = clients.clone();
        let rate = throughput(CONCURRENCY, CONCURRENT_CALLS * 10, move || {
            let c = c.clone();
            async move { once(&c, via, Call::List).await }
        })
        .await;
        println!("{via:?}: {rate:.0} calls/s");
        return;
    }
    // Per call, on the calling thread.
    println!("| call | client | allocations per call | bytes allocated per call |");
    println!("|---|---|---|---|");
    for call in [Call::List, Call::Create] {
        for via in [Via::Facade, Via::Raw, Via::Plain] {
            for _ in 0..200 {
                once(&clients, via, call).await;
            }
            let n = 2000;
            let (a0, b0) = counted();
            for _ in 0..n {
                once(&clients, via, call).await;
            }
            let (a1, b1) = counted();
            println!(
                "| {call:?} | {via:?} | {:.1} | {:.0} |",
                (a1 - a0) as f64 / n as f64,
                (b1 - b0) as f64 / n as f64
            );
        }
    }
    println!();
    println!(
        "| call | callers | facade calls/s | raw calls/s | plain reqwest calls/s | facade / plain |"
    );
    println!("|---|---|---|---|---|---|");
    for call in [Call::List, Call::Create] {
        for (callers, calls) in [(1, SEQUENTIAL_CALLS), (CONCURRENCY, CONCURRENT_CALLS)] {
            let mut results = [Vec::new(), Vec::new(), Vec::new()];
            // Warm the connection pools.
            for via in [Via::Facade, Via::Raw, Via::Plain] {
                let c = clients.clone();
                throughput(callers, callers * 4, move || {
                    let c = c.clone();
                    async move { once(&c, via, call).await }
                })
                .await;
            }
            for round in 0..ROUNDS {
                // Rotate the order so no client always runs first or last.
                for k in 0..3 {
                    let i = (round + k) % 3;
                    let via = [Via::Facade, Via::Raw, Via::Plain][i];
                    let c = clients.clone();
                    let rate = throughput(callers, calls, move || {
                        let c = c.clone();
                        async move { once(&c, via, call).await }
                    })
                    .await;
                    results[i].push(rate);
                }
            }
            let [facade, raw, plain] = results.map(median);
            println!(
                "| {call:?} | {callers} | {facade:.0} | {raw:.0} | {plain:.0} | {:.3} |",
                facade / plain
            );
        }
    }
}
