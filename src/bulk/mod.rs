//! Inviting many people: one call that validates, de-duplicates, packs bulk requests, narrows
//! down failures to the addresses that caused them, schedules within Clerk's rate limits, and
//! can journal every outcome so that an interrupted run resumes without sending an address
//! twice.
//!
//! ```no_run
//! # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
//! use clerk_invitations::bulk::{BulkInvite, OutcomeKind};
//! let emails = ["ada@example.com", "grace@example.com", "Ada@Example.com"];
//! let summary = BulkInvite::application(&clerk)
//!     .expires_in_days(14)
//!     .journal("invites.journal")
//!     .run(emails.iter().map(|e| e.to_string()), |outcome| {
//!         if let OutcomeKind::Invited { id } = &outcome.kind {
//!             println!("{} -> {id}", outcome.email);
//!         }
//!     })
//!     .await?;
//! assert_eq!(summary.duplicates_in_input, 1);
//! # Ok(()) }
//! ```

mod erase;
mod invitee;
mod journal;
mod lines;
mod outcome;
mod revoke;
mod schedule;
mod verdict;

use crate::error::{Error, ErrorKind, Result};
use crate::limits::{self, RateLimit};
use crate::models::{CLOCK_SKEW_MS, InvitationStatus, now_ms};
use crate::{Clerk, NewInvitation, NewOrganizationInvitation, RetryPolicy};
use schedule::Budget;

pub use erase::{Erase, Erasure, ErasureKind, ErasureSummary};
pub use invitee::Invitee;
pub use outcome::{Outcome, OutcomeKind, Summary};
pub use revoke::{Revocation, RevocationKind, RevokeStale, RevokeSummary};
pub use run::MAX_RETRY_AFTER;
use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Applies a run's expiry, notify and redirect options to an invitation or a request.
macro_rules! with_options {
    ($n:ident, $inv:expr) => {
        if let Some(d) = $inv.expires_in_days {
            $n = $n.expires_in_days(d);
        }
        if let Some(b) = $inv.notify {
            $n = $n.notify(b);
        }
        if let Some(u) = &$inv.redirect_url {
            $n = $n.redirect_url(u.clone());
        }
    };
}

/// Addresses per bulk request (the service's maximum).
const BATCH: usize = crate::validate::MAX_BULK;

mod erase_journal;
mod run;
use run::Run;

/// The rate limits a run schedules within.
///
/// ```
/// use clerk_invitations::bulk::BulkLimits;
/// let limits = BulkLimits::application();
/// println!("at most {:.2} invitations per second", limits.max_rate());
/// // Against an emulator whose clock runs an hour per second:
/// let fast = BulkLimits::application().time_scale(3600.0);
/// assert!(fast.max_rate() > limits.max_rate());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[must_use]
pub struct BulkLimits {
    /// The single-create endpoint.
    pub single: RateLimit,
    /// The bulk-create endpoint.
    pub bulk: RateLimit,
    /// All requests of the key.
    pub global: RateLimit,
    /// How much faster than real time the service's windows pass (1 for the real service;
    /// the emulator's `time_scale` (feature `emulator`) when
    /// testing).
    pub time_scale: f64,
    /// Extra real time kept between the first and the last request a window allows, for
    /// latency jitter between the client and the service (`None`: 2 % of the window, at most
    /// 1 s).
    pub margin: Option<Duration>,
}

impl BulkLimits {
    /// Clerk's limits for application invitations (development-instance global limit).
    pub fn application() -> Self {
        BulkLimits {
            single: limits::CREATE_INVITATION,
            bulk: limits::CREATE_BULK_INVITATIONS,
            global: limits::GLOBAL_DEVELOPMENT,
            time_scale: 1.0,
            margin: None,
        }
    }

    /// Clerk's limits for organization invitations (development-instance global limit).
    pub fn organization() -> Self {
        BulkLimits {
            single: limits::CREATE_ORGANIZATION_INVITATION,
            bulk: limits::CREATE_ORGANIZATION_INVITATION_BULK,
            global: limits::GLOBAL_DEVELOPMENT,
            time_scale: 1.0,
            margin: None,
        }
    }

    /// The same limits with the global limit of `clerk`'s kind of key (production keys have a
    /// larger one).
    pub(crate) fn for_key_of(mut self, clerk: &Clerk) -> Self {
        if clerk.is_production_key() {
            self.global = limits::GLOBAL_PRODUCTION;
        }
        self
    }

    /// The same limits on a clock running `scale` times faster.
    pub fn time_scale(mut self, scale: f64) -> Self {
        if scale.is_finite() && scale > 0.0 {
            self.time_scale = scale;
        }
        self
    }

    /// The margin kept for latency jitter (see [`BulkLimits::margin`]).
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = Some(margin);
        self
    }

    /// The most invitations per second these limits allow: full bulk requests plus single
    /// ones, on the scaled clock.
    pub fn max_rate(&self) -> f64 {
        let per_sec =
            |l: RateLimit| f64::from(l.requests) / (l.window.as_secs_f64() / self.time_scale);
        per_sec(self.bulk) * BATCH as f64 + per_sec(self.single)
    }
}

#[derive(Clone, Debug)]
enum Target {
    Application,
    Organization {
        id: String,
        role: String,
        inviter: Option<String>,
    },
}

/// A bulk invitation run. Made by [`BulkInvite::application`] or
/// [`BulkInvite::organization`]; started with [`run`](BulkInvite::run).
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::*;
/// let summary = BulkInvite::organization(&clerk, "org_123", "org:member")
///     .inviter_user_id("user_admin")
///     .journal("org-invites.journal")
///     .run(["ada@example.com", "grace@example.com"], |o| println!("{}: {}", o.email, o.kind.name()))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct BulkInvite {
    clerk: Clerk,
    target: Target,
    limits: Option<BulkLimits>,
    journal: Option<PathBuf>,
    expires_in_days: Option<u32>,
    notify: Option<bool>,
    redirect_url: Option<String>,
    public_metadata: serde_json::Map<String, serde_json::Value>,
    private_metadata: serde_json::Map<String, serde_json::Value>,
    dry_run: bool,
    input: Option<String>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
    progress: Option<ProgressHook>,
}

/// What a run reports besides outcomes, for a progress display: see
/// [`BulkInvite::on_progress`].
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::{BulkInvite, Progress};
/// let summary = BulkInvite::application(&clerk)
///     .on_progress(|p| match p {
///         Progress::DoneEarlier => eprintln!("done in an earlier run"),
///         Progress::Waiting(until) => eprintln!("waiting until {until:?}"),
///         Progress::Sending => eprintln!("sending again"),
///         _ => {}
///     })
///     .run(["ada@example.com"], |_| {})
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// An address of the input that the journal records as done by an earlier run (it gets
    /// no outcome in this one).
    DoneEarlier,
    /// Waiting for the rate limits until this moment before sending again.
    Waiting(std::time::Instant),
    /// Sending again after a wait.
    Sending,
    /// The service answered 429 (too many requests): nothing is sent before this moment. A
    /// [`Waiting`](Progress::Waiting) until then follows.
    RateLimited(std::time::Instant),
}

/// A progress callback (shared, so the run stays `Clone`).
#[derive(Clone)]
pub(crate) struct ProgressHook(std::sync::Arc<dyn Fn(Progress) + Send + Sync>);

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressHook")
    }
}

impl BulkInvite {
    /// Application invitations (`POST /invitations` and `/invitations/bulk`).
    pub fn application(clerk: &Clerk) -> Self {
        Self::new(clerk, Target::Application)
    }

    /// Organization invitations with `role`.
    pub fn organization(
        clerk: &Clerk,
        organization_id: impl Into<String>,
        role: impl Into<String>,
    ) -> Self {
        Self::new(
            clerk,
            Target::Organization {
                id: organization_id.into(),
                role: role.into(),
                inviter: None,
            },
        )
    }

    fn new(clerk: &Clerk, target: Target) -> Self {
        BulkInvite {
            clerk: clerk.clone(),
            target,
            limits: None,
            journal: None,
            expires_in_days: None,
            notify: None,
            redirect_url: None,
            public_metadata: serde_json::Map::new(),
            private_metadata: serde_json::Map::new(),
            dry_run: false,
            input: None,
            stop: None,
            progress: None,
        }
    }

    /// The inviting user of organization invitations (ignored for application invitations).
    pub fn inviter_user_id(mut self, user_id: impl Into<String>) -> Self {
        if let Target::Organization { inviter, .. } = &mut self.target {
            *inviter = Some(user_id.into());
        }
        self
    }

    /// Days until the invitations expire (1..=365).
    pub fn expires_in_days(mut self, days: u32) -> Self {
        self.expires_in_days = Some(days);
        self
    }

    /// Whether Clerk emails the invitees (default true).
    pub fn notify(mut self, notify: bool) -> Self {
        self.notify = Some(notify);
        self
    }

    /// Where the accept link leads.
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }

    /// The rate limits to schedule within (default: Clerk's, with the production global limit
    /// for an `sk_live_…` key).
    pub fn limits(mut self, limits: BulkLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Record every outcome in this file as it happens, and resume from it.
    pub fn journal(mut self, path: impl Into<PathBuf>) -> Self {
        self.journal = Some(path.into());
        self
    }

    /// Validate and de-duplicate only: no request is sent, nothing is journaled; valid
    /// addresses are reported as [`OutcomeKind::WouldInvite`].
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Stops the run when `stop` turns `true` (on Ctrl-C, say): no request is started after
    /// that (a wait for the rate limit ends at once), the one in flight finishes and is
    /// journaled, and [`run`](BulkInvite::run) returns the counts with
    /// [`Summary::interrupted`] set. Resume with the same journal.
    pub fn stop_on(mut self, stop: tokio::sync::watch::Receiver<bool>) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Calls `hook` with what an honest progress display needs besides the outcomes: addresses
    /// the journal already holds, and waits for the rate limits (a wait of over a second).
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// use clerk_invitations::bulk::{BulkInvite, Progress};
    /// let run = BulkInvite::application(&clerk).on_progress(|p| {
    ///     if let Progress::Waiting(until) = p {
    ///         eprintln!("waiting {:?} for the rate limits", until - std::time::Instant::now());
    ///     }
    /// });
    /// # Ok(()) }
    /// ```
    pub fn on_progress(mut self, hook: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(ProgressHook(std::sync::Arc::new(hook)));
        self
    }

    pub(crate) fn report_progress(&self, p: Progress) {
        if let Some(h) = &self.progress {
            (h.0)(p);
        }
    }

    /// The name of the input, recorded in the journal: a journal is resumed only by a run of
    /// the same input (the CLI passes the CSV file's path).
    pub fn input(mut self, name: impl Into<String>) -> Self {
        self.input = Some(name.into());
        self
    }

    fn identity(&self) -> journal::RunIdentity {
        let (target, organization_id, role) = match &self.target {
            Target::Application => ("application", None, None),
            Target::Organization { id, role, .. } => {
                ("organization", Some(id.clone()), Some(role.clone()))
            }
        };
        journal::RunIdentity {
            target: target.into(),
            organization_id,
            role,
            service: crate::redact::url(self.clerk.base_url()),
            key: self.clerk.key_fingerprint(),
            input: self.input.clone(),
        }
    }

    fn effective_limits(&self) -> BulkLimits {
        self.limits.unwrap_or_else(|| {
            match self.target {
                Target::Application => BulkLimits::application(),
                Target::Organization { .. } => BulkLimits::organization(),
            }
            .for_key_of(&self.clerk)
        })
    }

    /// Invites every address of `emails`, calling `on_outcome` with each outcome as it
    /// happens (one per distinct address, in no particular order), and returns the counts.
    ///
    /// # Errors
    /// A journal that cannot be opened or written, invalid options (`expires_in_days`), and
    /// errors that stop every further request: a refused key, an unknown organization or
    /// role, an inviter without permission, a full organization. Outcomes reported before
    /// such an error stand (and are journaled).
    pub async fn run<I, F>(self, emails: I, on_outcome: F) -> Result<Summary>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
        F: FnMut(&Outcome),
    {
        self.run_invitees(
            emails.into_iter().map(|e| Invitee::new(e.as_ref())),
            on_outcome,
        )
        .await
    }

    /// [`run`](BulkInvite::run) for people who each carry their own metadata, role, redirect
    /// or expiry (a roster): see [`Invitee`]. The first row of an address wins; later ones
    /// count as duplicates.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// use clerk_invitations::bulk::{BulkInvite, Invitee};
    /// use serde_json::json;
    /// let team = |t: &str| json!({ "team": t }).as_object().cloned().unwrap_or_default();
    /// let people = [
    ///     Invitee::new("ada@example.com").public_metadata(team("compilers")).role("org:admin"),
    ///     Invitee::new("grace@example.com").public_metadata(team("navy")),
    /// ];
    /// BulkInvite::organization(&clerk, "org_123", "org:member")
    ///     .run_invitees(people, |o| println!("{}: {}", o.email, o.kind.name()))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`run`](BulkInvite::run); and private metadata or a role for an application
    /// invitation (which carries neither) is an invalid-input error before anything is sent.
    pub async fn run_invitees<I, F>(self, invitees: I, mut on_outcome: F) -> Result<Summary>
    where
        I: IntoIterator<Item = Invitee>,
        F: FnMut(&Outcome),
    {
        if let Some(days) = self.expires_in_days {
            crate::validate::in_range(
                "expires_in_days",
                days,
                crate::validate::EXPIRES_IN_DAYS_RANGE,
            )?;
        }
        if matches!(self.target, Target::Application) && !self.private_metadata.is_empty() {
            return Err(no_private_metadata());
        }
        let limits = self.effective_limits();
        let mut run = Run {
            started_ms: now_ms(),
            single: Budget::new(limits.single, limits.time_scale, limits.margin),
            bulk: Budget::new(limits.bulk, limits.time_scale, limits.margin),
            global: Budget::new(limits.global, limits.time_scale, limits.margin),
            journal: None,
            summary: Summary::default(),
            groups: VecDeque::new(),
            rate_limited_in_a_row: 0,
            time_scale: limits.time_scale,
            people: std::collections::HashMap::new(),
            invite: self,
        };
        let mut replay = journal::Replay::default();
        if let Some(path) = run.invite.journal.clone().filter(|_| !run.invite.dry_run) {
            let (j, r) = journal::Journal::open(&path, &run.invite.identity())?;
            run.journal = Some(j);
            replay = r;
        }

        let hasher = RandomState::new();
        let mut seen: HashSet<u64> = HashSet::new();
        // Addresses read and checked, not yet sent: at most a batch or so, so memory does not
        // grow with the input.
        let mut fresh: VecDeque<String> = VecDeque::with_capacity(BATCH + 1);
        let mut input = invitees.into_iter();
        loop {
            if run.stopped() {
                run.summary.interrupted = true;
                break;
            }
            while fresh.len() < BATCH {
                let Some(person) = input.next() else {
                    break;
                };
                let email = normalize(&person.email);
                if !seen.insert(hasher.hash_one(&email)) {
                    run.summary.duplicates_in_input += 1;
                    continue;
                }
                if replay.done.remove(&email).is_some() {
                    run.summary.done_earlier += 1;
                    run.invite.report_progress(Progress::DoneEarlier);
                    continue;
                }
                // Sent by an interrupted run without an outcome: settled before anything is
                // sent again. Only addresses of this input are (others stay in doubt).
                if let Some(sent_at) = replay.in_doubt.remove(&email)
                    && let Some(id) = run.find_existing(&email, sent_at).await?
                {
                    let o = Outcome {
                        email,
                        kind: OutcomeKind::Invited { id },
                    };
                    run.report(std::slice::from_ref(&o), &mut on_outcome)?;
                    continue;
                }
                let kind = match run.invite.check(&email, &person) {
                    Err(reason) => OutcomeKind::Invalid { reason },
                    Ok(()) if run.invite.dry_run => OutcomeKind::WouldInvite,
                    Ok(()) => {
                        if !person.is_plain() {
                            run.people.insert(email.clone(), person);
                        }
                        fresh.push_back(email);
                        continue;
                    }
                };
                run.report(&[Outcome { email, kind }], &mut on_outcome)?;
            }
            let Some(group) = run.next_group(&mut fresh) else {
                break;
            };
            run.send(group, &mut on_outcome).await?;
        }
        Ok(run.summary)
    }
}

impl BulkInvite {
    /// Public metadata for every invitation of the run (an [`Invitee`]'s own keys win).
    pub fn public_metadata(mut self, metadata: serde_json::Map<String, serde_json::Value>) -> Self {
        self.public_metadata = metadata;
        self
    }

    /// Private metadata for every invitation of the run (organization runs only; an
    /// [`Invitee`]'s own keys win).
    pub fn private_metadata(
        mut self,
        metadata: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        self.private_metadata = metadata;
        self
    }

    /// Why `person` cannot be sent, if it cannot: its address, and what its target allows.
    fn check(&self, email: &str, person: &Invitee) -> std::result::Result<(), String> {
        crate::validate::email("email_address", email).map_err(|e| e.to_string())?;
        if let Some(d) = person.expires_in_days {
            crate::validate::in_range("expires_in_days", d, crate::validate::EXPIRES_IN_DAYS_RANGE)
                .map_err(|e| e.to_string())?;
        }
        if matches!(self.target, Target::Application) {
            if !person.private_metadata.is_empty() {
                return Err(no_private_metadata().to_string());
            }
            if person.role.is_some() {
                return Err("a role applies to organization invitations only".into());
            }
        } else if person.template_slug.is_some() {
            return Err("a template applies to application invitations only".into());
        }
        Ok(())
    }
}

fn no_private_metadata() -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        "private_metadata applies to organization invitations only (an application invitation carries public metadata alone)",
    )
}

/// A fingerprint of a secret key that tells keys apart without revealing them: 64 bits of
/// FNV-1a (the key has far more entropy than the fingerprint keeps).
pub(crate) fn key_fingerprint(key: &[u8]) -> String {
    use std::hash::Hasher;
    let mut h = fnv::FnvHasher::default();
    h.write(key);
    format!("fnv1a64:{:016x}", h.finish())
}

/// Errors after which no request of a run can succeed (a refused key, a forbidden request).
pub(crate) fn stops_everything(e: &Error) -> bool {
    e.is_unauthorized() || e.status() == Some(403)
}

/// Trimmed and lower-cased: the crate's one address rule.
fn normalize(email: &str) -> String {
    crate::address::normalize(email)
}
