//! Bulk invitation rate against the limits: how close a run gets to the highest rate Clerk's
//! limits allow, on the emulator with those limits enforced on a clock 3600x faster (an hour's
//! budget per second), and how many requests were refused with 429.
//!
//! Run: `cargo bench --bench bulk_rate --features emulator`

use clerk_invitations::bulk::{BulkInvite, BulkLimits};
use clerk_invitations::emulator::Emulator;
use std::time::Instant;

const SCALE: f64 = 3600.0;
/// Seconds of budget each run should need at the highest allowed rate.
const SECONDS: f64 = 20.0;

#[tokio::main]
async fn main() {
    println!(
        "| target | addresses | time | achieved/s | highest allowed/s | achieved / allowed | steady state / allowed | 429s |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for org in [false, true] {
        let emu = Emulator::builder()
            .time_scale(SCALE)
            .record_exchanges(false)
            .start()
            .await
            .unwrap();
        emu.seed_organization("org_bench", "Bench", "bench", None);
        let clerk = emu.client().unwrap();
        let (run, limits, name) = if org {
            let l = BulkLimits::organization().time_scale(SCALE);
            (
                BulkInvite::organization(&clerk, "org_bench", "org:member"),
                l,
                "organization",
            )
        } else {
            let l = BulkLimits::application().time_scale(SCALE);
            (BulkInvite::application(&clerk), l, "application")
        };
        let n = (limits.max_rate() * SECONDS) as usize;
        let emails: Vec<String> = (0..n).map(|i| format!("p{i:06}@rate.test")).collect();
        let started = Instant::now();
        let summary = run.limits(limits).run(&emails, |_| {}).await.unwrap();
        let t = started.elapsed().as_secs_f64();
        // Every budget is whole at the start, so a run of k windows ends as its k-th window
        // opens: leave one window's worth out to get the steady rate.
        let window_budget = limits.max_rate() * (3600.0 / SCALE);
        let steady = (n as f64 - window_budget) / t;
        assert_eq!(summary.invited as usize, n);
        let achieved = n as f64 / t;
        println!(
            "| {name} | {n} | {t:.1} s | {achieved:.1} | {:.1} | {:.3} | {:.3} | {} |",
            limits.max_rate(),
            achieved / limits.max_rate(),
            steady / limits.max_rate(),
            summary.rate_limited
        );
    }
}
