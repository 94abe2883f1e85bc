//! Pagination at scale: streaming every invitation out of the emulator in pages of 500,
//! through the facade's `.stream()` and through a hand-written reqwest loop over the same
//! pages. Prints requests made, time, and the peak growth of heap memory while streaming
//! (a counting allocator; the in-process emulator's own allocations are included for both).
//!
//! Run: `cargo bench --bench pagination --features emulator`

use clerk_invitations::emulator::{DEFAULT_EMULATOR_KEY, Emulator};
use clerk_invitations::{Clerk, Invitation};
use futures_util::TryStreamExt;
use serde::Deserialize;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PAGE: u32 = 500;
const ROUNDS: usize = 3;

#[derive(Deserialize)]
struct PlainPage {
    data: Vec<Invitation>,
    total_count: u64,
}

struct Run {
    items: u64,
    requests: u64,
    time: Duration,
    peak_growth: usize,
}

fn start_measuring() -> usize {
    let now = CURRENT.load(Ordering::Relaxed);
    PEAK.store(now, Ordering::Relaxed);
    now
}

async fn facade(emu: &Emulator, clerk: &Clerk) -> Run {
    let requests_before = emu.request_count();
    let base = start_measuring();
    let started = Instant::now();
    let mut items = 0u64;
    let mut stream = clerk.invitations().list().limit(PAGE).stream();
    while let Some(inv) = stream.try_next().await.unwrap() {
        std::hint::black_box(&inv);
        items += 1;
    }
    Run {
        items,
        requests: emu.request_count() - requests_before,
        time: started.elapsed(),
        peak_growth: PEAK.load(Ordering::Relaxed) - base,
    }
}

async fn plain(emu: &Emulator, http: &reqwest::Client) -> Run {
    let requests_before = emu.request_count();
    let base = start_measuring();
    let started = Instant::now();
    let mut items = 0u64;
    let mut offset = 0u64;
    loop {
        let bytes = http
            .get(format!("{}/invitations", emu.base_url()))
            .query(&[
                ("paginated", "true".to_string()),
                ("limit", PAGE.to_string()),
                ("offset", offset.to_string()),
            ])
            .bearer_auth(DEFAULT_EMULATOR_KEY)
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
        let n = page.data.len() as u64;
        for inv in page.data {
            std::hint::black_box(&inv);
            items += 1;
        }
        offset += n;
        if n == 0 || offset >= page.total_count {
            break;
        }
    }
    Run {
        items,
        requests: emu.request_count() - requests_before,
        time: started.elapsed(),
        peak_growth: PEAK.load(Ordering::Relaxed) - base,
    }
}

fn median(mut v: Vec<Run>) -> Run {
    v.sort_by_key(|r| r.time);
    v.swap_remove(v.len() / 2)
}

#[tokio::main]
async fn main() {
    println!("| invitations | via | requests | time | items/s | peak heap growth | time / plain |");
    println!("|---|---|---|---|---|---|---|");
    for stored in [20_000usize, 100_000] {
        let emu = Emulator::builder()
            .rate_limits(false)
            .start()
            .await
            .unwrap();
        for i in 0..stored {
            emu.seed_invitation(&format!("person{i:06}@bench.test"));
        }
        let clerk = emu.client().unwrap();
        let http = reqwest::Client::new();
        // Warm both connection pools.
        facade(&emu, &clerk).await;
        plain(&emu, &http).await;
        let mut f = Vec::new();
        let mut p = Vec::new();
        for _ in 0..ROUNDS {
            f.push(facade(&emu, &clerk).await);
            p.push(plain(&emu, &http).await);
        }
        let (f, p) = (median(f), median(p));
        assert_eq!(f.items, stored as u64);
        assert_eq!(p.items, stored as u64);
        for (via, r) in [("facade `.stream()`", &f), ("plain reqwest loop", &p)] {
            println!(
                "| {stored} | {via} | {} | {:.2} s | {:.0} | {:.1} MiB | {:.3} |",
                r.requests,
                r.time.as_secs_f64(),
                r.items as f64 / r.time.as_secs_f64(),
                r.peak_growth as f64 / (1024.0 * 1024.0),
                r.time.as_secs_f64() / p.time.as_secs_f64(),
            );
        }
    }
}
