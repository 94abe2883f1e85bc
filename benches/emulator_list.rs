//! How fast the emulator answers a filtered, ordered page of 500 out of 100,000 stored
//! invitations. Prints its figures; run with
//! `cargo bench --bench emulator_list --features emulator`.

use clerk_invitations::emulator::{DEFAULT_EMULATOR_KEY, Emulator};
use std::time::{Duration, Instant};

const STORED: usize = 100_000;
const ROUNDS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

#[tokio::main]
async fn main() {
    let emu = Emulator::builder()
        .rate_limits(false)
        .start()
        .await
        .unwrap();
    // Half of them expire: filters have work to do.
    let seeding = Instant::now();
    for i in 0..STORED / 2 {
        emu.seed_invitation(&format!("old{i:06}@bench.test"));
    }
    emu.advance_clock(Duration::from_secs(31 * 24 * 3600));
    for i in 0..STORED / 2 {
        emu.seed_invitation(&format!("new{:06}@bench.test", (i * 7919) % (STORED / 2)));
    }
    println!(
        "seeded {STORED} invitations in {:.0} ms",
        seeding.elapsed().as_secs_f64() * 1000.0
    );
    let http = reqwest::Client::new();
    let base = emu.base_url();
    let cases = [
        (
            "status=pending, newest first, offset 0",
            "status=pending&order_by=-created_at&limit=500&offset=0",
        ),
        (
            "status=pending, newest first, offset 25000",
            "status=pending&order_by=-created_at&limit=500&offset=25000",
        ),
        (
            "status=pending, by email, offset 25000",
            "status=pending&order_by=email_address&limit=500&offset=25000",
        ),
        (
            "status=expired, oldest first, offset 49500",
            "status=expired&order_by=created_at&limit=500&offset=49500",
        ),
    ];
    println!("| page of 500 of {STORED} stored | median | p99 | pages/s |");
    println!("|---|---|---|---|");
    for (name, query) in cases {
        let url = format!("{base}/invitations?paginated=true&{query}");
        let mut times = Vec::with_capacity(ROUNDS);
        let all = Instant::now();
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let r = http
                .get(&url)
                .bearer_auth(DEFAULT_EMULATOR_KEY)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let body = r.bytes().await.unwrap();
            assert!(body.len() > 1000);
            times.push(t.elapsed());
        }
        let total = all.elapsed();
        times.sort();
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.0} |",
            percentile(&times, 0.5).as_secs_f64() * 1000.0,
            percentile(&times, 0.99).as_secs_f64() * 1000.0,
            ROUNDS as f64 / total.as_secs_f64()
        );
    }
}
