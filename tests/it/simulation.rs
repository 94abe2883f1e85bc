//! The standing proof: a seeded fault simulation. From a seed, a schedule of operations (single
//! and bulk creates with and without `ignore_existing`, organization creates, revokes, deletes,
//! erasures, streams, bulk runs killed and resumed) and of faults (answers lost before and after
//! storing, truncated bodies, 5xx and 429 bursts with any `Retry-After`, list lag within the
//! settle window, service clock offsets, a missing `Date`, another party's look-alike
//! invitations) runs against the emulator, and an oracle checks the emulator's state after
//! every call:
//!
//! - no address gains more invitations than the call asked for (no duplicate);
//! - `Ok` means the effect is in the state; an error that does not say it may have taken effect
//!   (`!Error::may_have_taken_effect()`) means it is not; `OutcomeUnknown` names only
//!   candidates that exist;
//! - a delete or erasure reported done left nothing for that id or address;
//! - a bulk run reports an address it invited as invited, never as invited before it;
//! - every stream ends and yields each id once.
//!
//! A failing seed prints itself and replays exactly: `SIM_SEED=123 cargo test --features
//! emulator,cli --test it simulation`. The suite runs `SIM_SEEDS` seeds (default 12) from
//! `SIM_FIRST_SEED` (default 1); a long run is
//! `SIM_SEEDS=500 cargo test --release --features emulator,cli --test it simulation -- --nocapture`.

use clerk_invitations::bulk::{BulkInvite, BulkLimits, Erase, ErasureKind, OutcomeKind};
use clerk_invitations::emulator::{Emulator, Fault, StoredInvitation};
use clerk_invitations::prelude::*;
use clerk_invitations::{NewInvitation, address};
use std::collections::HashSet;
use std::time::Duration;

/// How long the simulated client keeps looking for a lost answer's invitation; the list lag
/// the schedule draws stays within it (the documented horizon).
const WINDOW: Duration = Duration::from_millis(400);
const ORG: &str = "org_sim";
const ROLE: &str = "org:member";
const OPS_PER_SEED: usize = 10;

/// What a run found: the number of calls and faults, and every violation.
#[derive(Default)]
struct Tally {
    calls: usize,
    faults: usize,
    violations: Vec<String>,
}

struct World {
    emu: Emulator,
    clerk: Clerk,
    /// A client that never meets a fault: another party, and the oracle's helper.
    rng: fastrand::Rng,
    dir: std::path::PathBuf,
    seed: u64,
    tally: Tally,
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_keeps_its_promise_under_seeded_faults() {
    let seeds: Vec<u64> = match std::env::var("SIM_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(one) => vec![one],
        None => {
            let first = env_u64("SIM_FIRST_SEED", 1);
            (first..first + env_u64("SIM_SEEDS", 12)).collect()
        }
    };
    let (mut calls, mut faults, mut failed) = (0, 0, Vec::new());
    for &seed in &seeds {
        let tally = simulate(seed).await;
        calls += tally.calls;
        faults += tally.faults;
        if !tally.violations.is_empty() {
            failed.push(format!(
                "seed {seed} (replay: SIM_SEED={seed} cargo test --features emulator,cli --test it simulation):\n  {}",
                tally.violations.join("\n  ")
            ));
        }
    }
    println!(
        "simulation: {} seeds, {} schedules, {calls} calls, {faults} faults, {} violations",
        seeds.len(),
        seeds.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

async fn simulate(seed: u64) -> Tally {
    let emu = Emulator::builder()
        .rate_limits(false)
        .start()
        .await
        .unwrap();
    emu.seed_organization(ORG, "Sim", "sim", None);
    emu.seed_role(ORG, ROLE, false);
    let clerk = Clerk::builder()
        .secret_key(clerk_invitations::emulator::DEFAULT_EMULATOR_KEY)
        .base_url(emu.base_url())
        .retry_policy(
            RetryPolicy::default()
                .backoff(Duration::from_millis(1), Duration::from_millis(5))
                .deadline(Some(Duration::from_secs(8))),
        )
        .timeout(Duration::from_secs(2))
        .settle_window(WINDOW)
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("clerk-sim-{}-{seed}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut w = World {
        emu,
        clerk,
        rng: fastrand::Rng::with_seed(seed),
        dir: dir.clone(),
        seed,
        tally: Tally::default(),
    };
    // A service clock off by up to five minutes either way, for the whole schedule (a clock
    // that jumps back between calls is not one a service has).
    if w.rng.bool() {
        w.emu.set_clock_offset(w.rng.i64(-300_000..=300_000));
        w.tally.faults += 1;
    }
    for step in 0..OPS_PER_SEED {
        // Time passes between calls: what an earlier call made is older than a `Date`'s
        // resolution (two seconds) when the next begins, as the README's residual risk asks.
        w.emu.advance_clock(Duration::from_secs(3));
        w.faults();
        let op = w.rng.u8(0..8);
        let what = match op {
            0 | 1 => w.create().await,
            2 => w.create_bulk().await,
            3 => w.org_create().await,
            4 => w.revoke().await,
            5 => w.delete().await,
            6 => w.erase().await,
            _ => w.bulk_run_killed_and_resumed().await,
        };
        w.stream().await;
        w.calm();
        if let Some(v) = what {
            w.tally.violations.push(format!("step {step}: {v}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    w.tally
}

impl World {
    /// An address of a small pool, so that operations meet each other's invitations; some
    /// with capitals that only Unicode folds.
    fn address(&mut self) -> String {
        let n = self.rng.u8(0..6);
        match self.rng.u8(0..3) {
            0 => format!("ÄDA{n}@Example.com"),
            1 => format!("Émile{n}@x.test"),
            _ => format!("user{n}@x.test"),
        }
    }

    fn stored(&self, email: &str) -> Vec<StoredInvitation> {
        self.emu
            .invitations()
            .into_iter()
            .filter(|i| address::same(&i.email_address, email))
            .collect()
    }

    /// Faults for the next operation, drawn from the seed.
    fn faults(&mut self) {
        let r = &mut self.rng;
        let mut n = 0;
        if r.u8(0..3) == 0 {
            self.emu.inject(
                Fault::drop_after_processing()
                    .on("POST", "/invitations")
                    .times(r.usize(1..3)),
            );
            n += 1;
        }
        if r.u8(0..4) == 0 {
            self.emu
                .inject(Fault::drop_after_processing().times(r.usize(1..3)));
            n += 1;
        }
        if r.u8(0..5) == 0 {
            self.emu.inject(Fault::drop_before_processing());
            n += 1;
        }
        if r.u8(0..5) == 0 {
            self.emu
                .inject(Fault::truncate_body().on("POST", "/invitations"));
            n += 1;
        }
        if r.u8(0..4) == 0 {
            let status = [500, 502, 503, 504][r.usize(0..4)];
            self.emu.inject(Fault::status(status).times(r.usize(1..4)));
            n += 1;
        }
        if r.u8(0..4) == 0 {
            let hint = ["0", "1", "3600", "Wed, 21 Oct 2015 07:28:00 GMT"][r.usize(0..4)];
            self.emu.inject(
                Fault::status(429)
                    .header("Retry-After", hint)
                    .times(r.usize(1..8)),
            );
            n += 1;
        }
        if r.u8(0..3) == 0 {
            self.emu.set_list_lag(Duration::from_millis(
                r.u64(0..=WINDOW.as_millis() as u64 / 2),
            ));
            n += 1;
        }
        if r.u8(0..4) == 0 {
            self.emu.set_date_header(false);
            n += 1;
        }
        self.tally.faults += n;
    }

    /// Back to a well-behaved service between operations.
    fn calm(&mut self) {
        self.emu.clear_faults();
        self.emu.set_list_lag(Duration::ZERO);
        self.emu.set_date_header(true);
    }

    /// Another party's invitation for the address, with metadata no call of the simulation
    /// asks for, made before the call (straight into the state: it meets no fault).
    fn look_alike(&mut self, email: &str) {
        if self.rng.u8(0..4) == 0 {
            self.emu
                .seed_invitation_with(email, serde_json::json!({"other": self.seed}));
        }
    }

    async fn create(&mut self) -> Option<String> {
        let email = self.address();
        self.look_alike(&email);
        let ignore = self.rng.bool();
        let metadata = self.rng.bool().then(|| json!({"sim": self.rng.u8(0..3)}));
        let before = self.stored(&email);
        let mut req = self
            .clerk
            .invitations()
            .create(email.clone())
            .ignore_existing(ignore);
        if let Some(m) = &metadata {
            req = req.public_metadata(m.clone());
        }
        self.tally.calls += 1;
        let result = req.await;
        let after = self.stored(&email);
        let new: Vec<&StoredInvitation> = after
            .iter()
            .filter(|a| !before.iter().any(|b| b.id == a.id))
            .collect();
        let ctx = format!(
            "create {email} ignore_existing={ignore}: {:?}",
            result.as_ref().map(|i| &i.id)
        );
        if new.len() > 1 {
            return Some(format!("{ctx}: {} invitations made (duplicate)", new.len()));
        }
        let pending_before = before.iter().any(|b| b.status == "pending");
        if !ignore && pending_before && !new.is_empty() {
            return Some(format!("{ctx}: a second pending invitation"));
        }
        self.check_write(&ctx, result.map(|i| i.id), &new, &after)
    }

    /// The oracle for a create's result, given what it made (`new`) and the address's
    /// invitations after it.
    fn check_write(
        &self,
        ctx: &str,
        result: Result<String>,
        new: &[&StoredInvitation],
        after: &[StoredInvitation],
    ) -> Option<String> {
        match result {
            Ok(id) if new.iter().any(|n| n.id == id) => None,
            Ok(id) => Some(format!("{ctx}: Ok({id}), which this call did not make")),
            Err(e) if e.is_outcome_unknown() => e
                .candidates()
                .iter()
                .find(|c| !after.iter().any(|a| &&a.id == c))
                .map(|c| format!("{ctx}: OutcomeUnknown names {c}, which is not there")),
            Err(e) if !e.may_have_taken_effect() && !new.is_empty() => Some(format!(
                "{ctx}: `{e}` says not executed, and {} was made",
                new[0].id
            )),
            Err(_) => None,
        }
    }

    async fn create_bulk(&mut self) -> Option<String> {
        let (a, b) = (self.address(), self.address());
        if address::same(&a, &b) {
            return None;
        }
        let before: Vec<StoredInvitation> = [&a, &b].iter().flat_map(|e| self.stored(e)).collect();
        self.tally.calls += 1;
        let result = self
            .clerk
            .invitations()
            .create_bulk([NewInvitation::new(a.clone()), NewInvitation::new(b.clone())])
            .await;
        let ctx = format!("create_bulk [{a}, {b}]");
        let mut made = Vec::new();
        for email in [&a, &b] {
            let after = self.stored(email);
            let new: Vec<&StoredInvitation> = after
                .iter()
                .filter(|x| !before.iter().any(|y| y.id == x.id))
                .collect();
            if new.len() > 1 {
                return Some(format!(
                    "{ctx}: {} invitations for {email} (duplicate)",
                    new.len()
                ));
            }
            made.extend(new.into_iter().map(|n| n.id.clone()));
        }
        let all = self.emu.invitations();
        match result {
            Ok(list) => list
                .iter()
                .find(|i| !made.contains(&i.id))
                .map(|i| format!("{ctx}: Ok names {}, which this call did not make", i.id)),
            Err(e) if e.is_outcome_unknown() => e
                .candidates()
                .iter()
                .find(|c| !all.iter().any(|x| &&x.id == c))
                .map(|c| format!("{ctx}: OutcomeUnknown names {c}, which is not there")),
            Err(e) if !e.may_have_taken_effect() && !made.is_empty() => Some(format!(
                "{ctx}: `{e}` says not executed, and {made:?} were made"
            )),
            Err(_) => None,
        }
    }

    async fn org_create(&mut self) -> Option<String> {
        let email = self.address();
        let pending = |emu: &Emulator| -> Vec<String> {
            emu.organization_invitations()
                .into_iter()
                .filter(|i| {
                    i.organization_id == ORG
                        && i.status == "pending"
                        && address::same(&i.email_address, &email)
                })
                .map(|i| i.id)
                .collect()
        };
        let before = pending(&self.emu);
        self.tally.calls += 1;
        let result = self
            .clerk
            .organization(ORG)
            .invitations()
            .create(email.clone(), ROLE)
            .await;
        let after = pending(&self.emu);
        let ctx = format!("org create {email}");
        if after.len() > 1 {
            return Some(format!(
                "{ctx}: {} pending invitations (duplicate)",
                after.len()
            ));
        }
        match result {
            Ok(c) if after.contains(&c.id) => None,
            Ok(c) => Some(format!("{ctx}: Ok({}) is not pending in the state", c.id)),
            Err(e) if !e.may_have_taken_effect() && after.len() > before.len() => Some(format!(
                "{ctx}: `{e}` says not executed, and {after:?} were made"
            )),
            Err(_) => None,
        }
    }

    /// A pending invitation of the state, made without faults if there is none.
    fn some_invitation(&mut self) -> Option<String> {
        let all: Vec<StoredInvitation> = self
            .emu
            .invitations()
            .into_iter()
            .filter(|i| i.status == "pending")
            .collect();
        if all.is_empty() {
            let email = self.address();
            return Some(self.emu.seed_invitation(&address::normalize(&email)));
        }
        Some(all[self.rng.usize(0..all.len())].id.clone())
    }

    async fn revoke(&mut self) -> Option<String> {
        let id = self.some_invitation()?;
        self.tally.calls += 1;
        let result = self.clerk.invitations().revoke(id.clone()).await;
        let status = self
            .emu
            .invitations()
            .into_iter()
            .find(|i| i.id == id)
            .map(|i| i.status);
        let revoked = status.as_deref() == Some("revoked");
        match result {
            Ok(_) if !revoked => Some(format!("revoke {id}: Ok, and the state says {status:?}")),
            Err(e) if !e.may_have_taken_effect() && revoked => Some(format!(
                "revoke {id}: `{e}` says not executed, and it is revoked"
            )),
            _ => None,
        }
    }

    async fn delete(&mut self) -> Option<String> {
        let id = self.some_invitation()?;
        self.tally.calls += 1;
        let result = self.clerk.invitations().delete(id.clone()).await;
        let there = self.emu.invitations().iter().any(|i| i.id == id);
        match result {
            Ok(_) if there => Some(format!("delete {id}: Ok, and it is still there")),
            Err(e) if !e.may_have_taken_effect() && !there => Some(format!(
                "delete {id}: `{e}` says not executed, and it is gone"
            )),
            _ => None,
        }
    }

    async fn erase(&mut self) -> Option<String> {
        let email = self.address();
        // Made a moment before the erasure, so that a lagging list may not show it yet.
        if self.rng.bool() {
            self.emu.seed_invitation(&address::normalize(&email));
        }
        self.tally.calls += 1;
        let mut erased = false;
        let result = Erase::new(&self.clerk)
            .limits(BulkLimits::application().time_scale(3600.0))
            .run([email.clone()], |e| {
                erased |= matches!(e.kind, ErasureKind::Erased { .. });
            })
            .await;
        let left = self.stored(&email);
        match result {
            Ok(_) if erased && !left.is_empty() => Some(format!(
                "erase {email}: reported erased, and {} invitation(s) remain",
                left.len()
            )),
            _ => None,
        }
    }

    /// A bulk run with a journal, killed at a random moment, then resumed to the end.
    async fn bulk_run_killed_and_resumed(&mut self) -> Option<String> {
        let mut emails: Vec<String> = (0..self.rng.usize(2..6)).map(|_| self.address()).collect();
        emails.sort_by_key(|e| address::normalize(e));
        emails.dedup_by(|a, b| address::same(a, b));
        let fresh: HashSet<String> = emails
            .iter()
            .filter(|e| self.stored(e).is_empty())
            .map(|e| address::normalize(e))
            .collect();
        let before: HashSet<String> = self.emu.invitations().into_iter().map(|i| i.id).collect();
        let journal = self.dir.join(format!("run-{}.jsonl", self.rng.u32(..)));
        let clerk = self.clerk.clone();
        let run = || {
            BulkInvite::application(&clerk)
                .limits(BulkLimits::application().time_scale(3600.0))
                .journal(&journal)
        };
        self.tally.calls += 2;
        let kill_after = Duration::from_millis(self.rng.u64(5..300));
        let mut outcomes = Vec::new();
        let first = tokio::time::timeout(
            kill_after,
            run().run(emails.clone(), |o| outcomes.push(o.clone())),
        )
        .await;
        drop(first);
        // The service behaves for the resumed run, as after an outage.
        self.calm();
        let mut resumed = Vec::new();
        let second = run().run(emails.clone(), |o| resumed.push(o.clone())).await;
        if let Err(e) = second {
            return Some(format!("bulk run resumed: {e}"));
        }
        for email in &emails {
            let made: Vec<StoredInvitation> = self
                .stored(email)
                .into_iter()
                .filter(|i| !before.contains(&i.id))
                .collect();
            if made.len() > 1 {
                return Some(format!(
                    "bulk run: {} invitations for {email} (duplicate)",
                    made.len()
                ));
            }
            let normalized = address::normalize(email);
            for o in resumed.iter().filter(|o| o.email == normalized) {
                match &o.kind {
                    OutcomeKind::Invited { id } if !made.iter().any(|m| &m.id == id) => {
                        return Some(format!(
                            "bulk run: {email} invited as {id}, not in the state"
                        ));
                    }
                    OutcomeKind::AlreadyInvited { .. }
                        if fresh.contains(&normalized) && !made.is_empty() =>
                    {
                        return Some(format!(
                            "bulk run: {email} reported already invited, and the run made {}",
                            made[0].id
                        ));
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// Every invitation, streamed: the stream ends, and yields each id once.
    async fn stream(&mut self) {
        self.tally.calls += 1;
        let items = tokio::time::timeout(
            Duration::from_secs(30),
            self.clerk
                .invitations()
                .list()
                .limit(2)
                .stream()
                .try_collect::<Vec<_>>(),
        )
        .await;
        match items {
            Err(_) => self.tally.violations.push("a stream did not end".into()),
            Ok(Ok(items)) => {
                let ids: HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
                if ids.len() != items.len() {
                    self.tally
                        .violations
                        .push("a stream yielded an id twice".into());
                }
            }
            Ok(Err(_)) => {}
        }
    }
}
