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

mod journal;
mod schedule;

use crate::error::{Error, ErrorKind, Result};
use crate::limits::{self, RateLimit};
use crate::models::{CLOCK_SKEW_MS, InvitationStatus, now_ms};
use crate::{Clerk, NewInvitation, NewOrganizationInvitation, RetryPolicy};
use schedule::Budget;
use serde::{Deserialize, Serialize};
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

/// What became of one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Outcome {
    /// The address, trimmed and lower-cased.
    pub email: String,
    /// What happened.
    #[serde(flatten)]
    pub kind: OutcomeKind,
}

/// The outcomes a run reports, one per distinct address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutcomeKind {
    /// A new invitation was created.
    Invited {
        /// Its id.
        id: String,
    },
    /// A pending (or, for application invitations, accepted) invitation already existed.
    AlreadyInvited {
        /// Its id, when the service said (organization invitations).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// A user with this address exists (application invitations).
    AlreadyUser,
    /// The user is already a member of the organization.
    AlreadyMember,
    /// The address was refused before or by the service.
    Invalid {
        /// Why.
        reason: String,
    },
    /// The request failed after its retries; a later run with the same journal tries again.
    Failed {
        /// The error, as text.
        error: String,
    },
    /// A dry run found the address valid and new: it would be invited.
    WouldInvite,
}

impl Outcome {
    /// An outcome for `email`.
    pub fn new(email: impl Into<String>, kind: OutcomeKind) -> Self {
        Outcome {
            email: email.into(),
            kind,
        }
    }
}

impl OutcomeKind {
    /// A short name: `invited`, `already_invited`, `already_user`, `already_member`,
    /// `invalid`, `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            OutcomeKind::Invited { .. } => "invited",
            OutcomeKind::AlreadyInvited { .. } => "already_invited",
            OutcomeKind::AlreadyUser => "already_user",
            OutcomeKind::AlreadyMember => "already_member",
            OutcomeKind::Invalid { .. } => "invalid",
            OutcomeKind::Failed { .. } => "failed",
            OutcomeKind::WouldInvite => "would_invite",
        }
    }
}

/// Counts for a finished run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Addresses newly invited.
    pub invited: u64,
    /// Addresses that had an invitation already.
    pub already_invited: u64,
    /// Addresses that belong to users already.
    pub already_user: u64,
    /// Addresses of organization members already.
    pub already_member: u64,
    /// Addresses refused as invalid.
    pub invalid: u64,
    /// Addresses whose request failed.
    pub failed: u64,
    /// Addresses a dry run would invite.
    pub would_invite: u64,
    /// Input entries dropped because an earlier entry had the same address.
    pub duplicates_in_input: u64,
    /// Addresses skipped because the journal holds their outcome from an earlier run.
    pub done_earlier: u64,
    /// Requests sent to the service (create requests and look-ups the engine made itself).
    pub requests: u64,
    /// Requests answered `429` (each then waited out).
    pub rate_limited: u64,
}

impl Summary {
    fn count(&mut self, kind: &OutcomeKind) {
        match kind {
            OutcomeKind::Invited { .. } => self.invited += 1,
            OutcomeKind::AlreadyInvited { .. } => self.already_invited += 1,
            OutcomeKind::AlreadyUser => self.already_user += 1,
            OutcomeKind::AlreadyMember => self.already_member += 1,
            OutcomeKind::Invalid { .. } => self.invalid += 1,
            OutcomeKind::Failed { .. } => self.failed += 1,
            OutcomeKind::WouldInvite => self.would_invite += 1,
        }
    }
}

/// The rate limits a run schedules within.
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
    /// the emulator's [`time_scale`](crate::emulator::EmulatorBuilder::time_scale) when
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
    dry_run: bool,
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
            dry_run: false,
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

    fn effective_limits(&self) -> BulkLimits {
        self.limits.unwrap_or_else(|| {
            let mut l = match self.target {
                Target::Application => BulkLimits::application(),
                Target::Organization { .. } => BulkLimits::organization(),
            };
            if self.clerk.is_production_key() {
                l.global = limits::GLOBAL_PRODUCTION;
            }
            l
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
    pub async fn run<I, F>(self, emails: I, mut on_outcome: F) -> Result<Summary>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
        F: FnMut(&Outcome),
    {
        if let Some(days) = self.expires_in_days {
            crate::validate::in_range(
                "expires_in_days",
                days,
                crate::validate::EXPIRES_IN_DAYS_RANGE,
            )?;
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
            invite: self,
        };
        let mut replay = journal::Replay::default();
        if let Some(path) = run.invite.journal.clone().filter(|_| !run.invite.dry_run) {
            let (j, r) = journal::Journal::open(&path)?;
            run.journal = Some(j);
            replay = r;
        }
        // Settle what an interrupted run left in doubt before sending anything.
        let mut in_doubt: Vec<(String, i64)> = replay.in_doubt.drain().collect();
        in_doubt.sort();
        let mut resend = Vec::new();
        for (email, sent_at) in in_doubt {
            match run.find_existing(&email, sent_at).await? {
                Some(id) => {
                    let o = Outcome {
                        email: email.clone(),
                        kind: OutcomeKind::Invited { id },
                    };
                    run.report(std::slice::from_ref(&o), &mut on_outcome)?;
                    replay.done.insert(email, o.kind);
                }
                None => resend.push(email),
            }
        }

        let hasher = RandomState::new();
        let mut seen: HashSet<u64> = HashSet::new();
        // Addresses read and checked, not yet sent: at most a batch or so, so memory does not
        // grow with the input.
        let mut fresh: VecDeque<String> = VecDeque::with_capacity(BATCH + 1);
        let mut input = emails.into_iter();
        let mut resend = resend.into_iter();
        loop {
            while fresh.len() < BATCH {
                let raw = match resend.next() {
                    Some(e) => e,
                    None => match input.next() {
                        Some(e) => e.as_ref().to_string(),
                        None => break,
                    },
                };
                let email = normalize(&raw);
                if !seen.insert(hasher.hash_one(&email)) {
                    run.summary.duplicates_in_input += 1;
                    continue;
                }
                if replay.done.remove(&email).is_some() {
                    run.summary.done_earlier += 1;
                    continue;
                }
                let kind = match crate::validate::email("email_address", &email) {
                    Err(e) => OutcomeKind::Invalid {
                        reason: e.to_string(),
                    },
                    Ok(()) if run.invite.dry_run => OutcomeKind::WouldInvite,
                    Ok(()) => {
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

struct Run {
    invite: BulkInvite,
    started_ms: i64,
    single: Budget,
    bulk: Budget,
    global: Budget,
    journal: Option<journal::Journal>,
    summary: Summary,
    /// Groups of addresses still to send; a group that failed because of some of its
    /// addresses comes back smaller.
    groups: VecDeque<Vec<String>>,
}

/// Which budgets a request draws on: the key's global one, and the endpoint's if any.
#[derive(Clone, Copy)]
enum Draw {
    Single,
    Bulk,
    GlobalOnly,
}

/// What an answer to a group means.
enum Verdict {
    /// Outcomes for (some of) the group; the rest goes back to the queue.
    Outcomes(Vec<Outcome>, Vec<String>),
    /// The error does not say which address caused it: split the group.
    Split,
    /// Rate limited: wait, then send the group again.
    Wait(Duration),
    /// Every address failed with this error (after the client's retries).
    Failed(Error),
    /// Nothing more can succeed.
    Fatal(Error),
}

impl Run {
    fn report<F: FnMut(&Outcome)>(
        &mut self,
        outcomes: &[Outcome],
        on_outcome: &mut F,
    ) -> Result<()> {
        if let Some(j) = &mut self.journal {
            j.outcomes(outcomes, now_ms())?;
        }
        for o in outcomes {
            self.summary.count(&o.kind);
            on_outcome(o);
        }
        Ok(())
    }

    /// The endpoint budget a request draws on besides the key's global one.
    fn endpoint(&mut self, draw: Draw) -> Option<&mut Budget> {
        match draw {
            Draw::Single => Some(&mut self.single),
            Draw::Bulk => Some(&mut self.bulk),
            Draw::GlobalOnly => None,
        }
    }

    /// Waits until the budgets a request draws on allow it, and records the send.
    async fn take_budget(&mut self, draw: Draw) {
        loop {
            let now = Instant::now();
            let global = self.global.ready_at(now);
            let ready = self
                .endpoint(draw)
                .map_or(global, |b| b.ready_at(now).max(global));
            if ready <= now {
                break;
            }
            tokio::time::sleep_until(ready.into()).await;
        }
        let now = Instant::now();
        self.global.record(now);
        if let Some(b) = self.endpoint(draw) {
            b.record(now);
        }
        self.summary.requests += 1;
    }

    /// Whether a group of this size should go through the bulk endpoint: always for more than
    /// one address; for one, whichever endpoint frees first.
    fn use_bulk(&self, size: usize) -> bool {
        if size > 1 {
            return true;
        }
        let now = Instant::now();
        self.bulk.ready_at(now) < self.single.ready_at(now)
    }

    /// What to send next. Both endpoints are kept busy: when the single endpoint frees before
    /// the bulk one, one address goes alone (a narrowed-down one if any, else a fresh one);
    /// otherwise a narrowed-down group or a full batch of fresh addresses goes in bulk.
    fn next_group(&mut self, fresh: &mut VecDeque<String>) -> Option<Vec<String>> {
        let now = Instant::now();
        if self.single.ready_at(now) < self.bulk.ready_at(now) {
            if let Some(pos) = self.groups.iter().position(|g| g.len() == 1) {
                return self.groups.remove(pos);
            }
            if let Some(e) = fresh.pop_back() {
                return Some(vec![e]);
            }
        }
        if let Some(g) = self.groups.pop_front() {
            return Some(g);
        }
        if fresh.is_empty() {
            return None;
        }
        let n = fresh.len().min(BATCH);
        Some(fresh.drain(..n).collect())
    }

    async fn send<F: FnMut(&Outcome)>(
        &mut self,
        group: Vec<String>,
        on_outcome: &mut F,
    ) -> Result<()> {
        let bulk = self.use_bulk(group.len());
        if let Some(j) = &mut self.journal {
            j.intent(&group, now_ms())?;
        }
        let draw = if bulk { Draw::Bulk } else { Draw::Single };
        self.take_budget(draw).await;
        let verdict = match &self.invite.target {
            Target::Application => self.send_application(&group, bulk).await,
            Target::Organization { .. } => self.send_organization(&group, bulk).await,
        };
        match verdict {
            Verdict::Outcomes(outcomes, rest) => {
                self.report(&outcomes, on_outcome)?;
                if !rest.is_empty() {
                    self.groups.push_front(rest);
                }
            }
            Verdict::Split => {
                let right = group[group.len() / 2..].to_vec();
                let left = group[..group.len() / 2].to_vec();
                self.groups.push_front(right);
                self.groups.push_front(left);
            }
            Verdict::Wait(wait) => {
                self.summary.rate_limited += 1;
                let until = Instant::now() + wait;
                self.global.block_until(until);
                if let Some(b) = self.endpoint(draw) {
                    b.block_until(until);
                }
                self.groups.push_front(group);
            }
            Verdict::Failed(e) => {
                let outcomes: Vec<Outcome> = group
                    .into_iter()
                    .map(|email| Outcome {
                        email,
                        kind: OutcomeKind::Failed {
                            error: e.to_string(),
                        },
                    })
                    .collect();
                self.report(&outcomes, on_outcome)?;
            }
            Verdict::Fatal(e) => return Err(e),
        }
        Ok(())
    }

    /// Two attempts per request: the client's own retry (after a 429's `Retry-After`, a
    /// transient failure, or settling an ambiguous create) gets one chance; a failure after
    /// that becomes a wait or the addresses' `failed` outcome, and the run moves on.
    fn policy() -> RetryPolicy {
        RetryPolicy::default().max_attempts(2)
    }

    async fn send_application(&mut self, group: &[String], bulk: bool) -> Verdict {
        let inv = &self.invite;
        let item = |email: &String| {
            let mut n = NewInvitation::new(email.clone());
            with_options!(n, inv);
            n
        };
        let result = if bulk {
            self.invite
                .clerk
                .invitations()
                .create_bulk(group.iter().map(item))
                .with_retry(Self::policy())
                .await
        } else {
            let mut req = self.invite.clerk.invitations().create(group[0].clone());
            with_options!(req, inv);
            req.with_retry(Self::policy()).await.map(|i| vec![i])
        };
        match result {
            Ok(created) => {
                let mut outcomes = Vec::with_capacity(group.len());
                for i in created {
                    outcomes.push(Outcome {
                        email: i.email_address.to_lowercase(),
                        kind: OutcomeKind::Invited { id: i.id },
                    });
                }
                Verdict::Outcomes(account_for(group, outcomes), Vec::new())
            }
            Err(e) => application_verdict(group, e),
        }
    }

    async fn send_organization(&mut self, group: &[String], bulk: bool) -> Verdict {
        let Target::Organization { id, role, inviter } = &self.invite.target else {
            return Verdict::Fatal(Error::configuration("not an organization run"));
        };
        let inv = &self.invite;
        let org = inv.clerk.organization(id.clone()).invitations();
        let result = if bulk {
            let items = group.iter().map(|email| {
                let mut n = NewOrganizationInvitation::new(email.clone(), role.clone());
                if let Some(u) = inviter {
                    n = n.inviter_user_id(u.clone());
                }
                with_options!(n, inv);
                n
            });
            org.create_bulk(items)
                .with_retry(Self::policy())
                .await
                .map(|p| p.data)
        } else {
            let mut req = org.create(group[0].clone(), role.clone());
            if let Some(u) = inviter {
                req = req.inviter_user_id(u.clone());
            }
            with_options!(req, inv);
            req.with_retry(Self::policy()).await.map(|i| vec![i])
        };
        match result {
            Ok(items) => {
                // The service answers an address with a pending invitation with that
                // invitation: one created before this run was there already.
                let horizon = self.started_ms - CLOCK_SKEW_MS;
                let outcomes = items
                    .into_iter()
                    .map(|i| Outcome {
                        email: i.email_address.to_lowercase(),
                        kind: if i.created_at < horizon {
                            OutcomeKind::AlreadyInvited { id: Some(i.id) }
                        } else {
                            OutcomeKind::Invited { id: i.id }
                        },
                    })
                    .collect();
                Verdict::Outcomes(account_for(group, outcomes), Vec::new())
            }
            Err(e) if e.has_code("already_a_member_in_organization") => {
                if group.len() == 1 {
                    Verdict::Outcomes(
                        vec![Outcome {
                            email: group[0].clone(),
                            kind: OutcomeKind::AlreadyMember,
                        }],
                        Vec::new(),
                    )
                } else {
                    Verdict::Split
                }
            }
            Err(e) => common_verdict(group, e),
        }
    }

    /// After an interrupted run: the invitation a request in doubt created, if any.
    async fn find_existing(&mut self, email: &str, sent_at: i64) -> Result<Option<String>> {
        let horizon = sent_at - CLOCK_SKEW_MS;
        self.take_budget(Draw::GlobalOnly).await;
        match &self.invite.target {
            Target::Application => {
                let found = crate::settle::find_created(&self.invite.clerk, email, horizon).await?;
                Ok(found.map(|r| r.into_value().id))
            }
            Target::Organization { id, .. } => {
                let page = self
                    .invite
                    .clerk
                    .organization(id.clone())
                    .invitations()
                    .list()
                    .email_address(email)
                    .status(InvitationStatus::Pending)
                    .await?;
                Ok(page
                    .data
                    .into_iter()
                    .find(|i| i.created_at >= horizon)
                    .map(|i| i.id))
            }
        }
    }
}

fn application_verdict(group: &[String], e: Error) -> Verdict {
    if e.is_duplicate() {
        // The service names the addresses that have invitations.
        let named: Vec<String> = e
            .api_errors()
            .iter()
            .filter_map(|a| a.meta.get("email_addresses"))
            .filter_map(|v| v.as_array())
            .flatten()
            .filter_map(|v| v.as_str())
            .map(str::to_lowercase)
            .collect();
        let (dup, rest): (Vec<String>, Vec<String>) =
            group.iter().cloned().partition(|g| named.contains(g));
        if dup.is_empty() {
            return if group.len() == 1 {
                one(group, OutcomeKind::AlreadyInvited { id: None })
            } else {
                Verdict::Split
            };
        }
        let outcomes = dup
            .into_iter()
            .map(|email| Outcome {
                email,
                kind: OutcomeKind::AlreadyInvited { id: None },
            })
            .collect();
        return Verdict::Outcomes(outcomes, rest);
    }
    if e.has_code("form_identifier_exists") {
        return blame(
            group,
            &e,
            "form_identifier_exists",
            OutcomeKind::AlreadyUser,
        );
    }
    common_verdict(group, e)
}

/// For an error that names its item by index in `meta.param_name` (`[3].email_address`),
/// gives that address `kind` and requeues the rest; otherwise splits the group.
fn blame(group: &[String], e: &Error, code: &str, kind: OutcomeKind) -> Verdict {
    if group.len() == 1 {
        return one(group, kind);
    }
    let index = e
        .api_errors()
        .iter()
        .filter(|a| a.code == code)
        .filter_map(|a| a.meta.get("param_name").and_then(|p| p.as_str()))
        .find_map(|p| {
            p.strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .and_then(|(i, _)| i.parse::<usize>().ok())
        });
    match index {
        Some(i) if i < group.len() => {
            let mut rest = group.to_vec();
            let email = rest.remove(i);
            Verdict::Outcomes(vec![Outcome { email, kind }], rest)
        }
        _ => Verdict::Split,
    }
}

/// The outcomes of a successful answer, plus a `failed` one for any address of the group the
/// answer left out (so that no address is ever lost), and none for addresses not asked for.
fn account_for(group: &[String], mut outcomes: Vec<Outcome>) -> Vec<Outcome> {
    let mut seen = HashSet::new();
    outcomes.retain(|o| group.contains(&o.email) && seen.insert(o.email.clone()));
    for email in group {
        if !outcomes.iter().any(|o| &o.email == email) {
            outcomes.push(Outcome {
                email: email.clone(),
                kind: OutcomeKind::Failed {
                    error: "the service's answer did not include this address".into(),
                },
            });
        }
    }
    outcomes
}

fn one(group: &[String], kind: OutcomeKind) -> Verdict {
    Verdict::Outcomes(
        vec![Outcome {
            email: group[0].clone(),
            kind,
        }],
        Vec::new(),
    )
}

fn common_verdict(group: &[String], e: Error) -> Verdict {
    if e.is_rate_limited() {
        return Verdict::Wait(e.retry_after().unwrap_or(Duration::from_secs(1)));
    }
    if e.status() == Some(422) && e.code().is_some_and(|c| c.starts_with("form_param")) {
        let reason = e
            .api_errors()
            .first()
            .map(|a| a.long_message.clone())
            .unwrap_or_else(|| e.to_string());
        return blame(
            group,
            &e,
            e.code().unwrap_or(""),
            OutcomeKind::Invalid { reason },
        );
    }
    match e.kind() {
        ErrorKind::Api if matches!(e.status(), Some(401..=404)) => Verdict::Fatal(e),
        ErrorKind::Configuration | ErrorKind::InvalidInput => Verdict::Fatal(e),
        _ => Verdict::Failed(e),
    }
}

/// Trimmed and lower-cased.
fn normalize(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, body: serde_json::Value) -> Error {
        crate::transport::error_from_parts(
            status,
            &reqwest::header::HeaderMap::new(),
            body.to_string().as_bytes(),
            None,
        )
    }

    fn group(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("u{i}@x.co")).collect()
    }

    #[test]
    fn duplicates_named_in_meta_are_peeled_off() {
        let e = api(
            400,
            serde_json::json!({"errors": [{"code": "duplicate_record", "meta": {"email_addresses": ["U1@x.co", "u3@x.co"]}}]}),
        );
        match application_verdict(&group(4), e) {
            Verdict::Outcomes(o, rest) => {
                assert_eq!(o.len(), 2);
                assert!(
                    o.iter()
                        .all(|o| o.kind == OutcomeKind::AlreadyInvited { id: None })
                );
                assert_eq!(rest, vec!["u0@x.co", "u2@x.co"]);
            }
            _ => panic!("expected outcomes"),
        }
    }

    #[test]
    fn an_error_that_names_no_address_splits_the_group() {
        let e = api(
            422,
            serde_json::json!({"errors": [{"code": "form_identifier_exists", "meta": {"param_name": "email_address"}}]}),
        );
        assert!(matches!(application_verdict(&group(4), e), Verdict::Split));
        let e = api(
            422,
            serde_json::json!({"errors": [{"code": "form_identifier_exists", "meta": {"param_name": "[2].email_address"}}]}),
        );
        match application_verdict(&group(4), e) {
            Verdict::Outcomes(o, rest) => {
                assert_eq!(o[0].email, "u2@x.co");
                assert_eq!(o[0].kind, OutcomeKind::AlreadyUser);
                assert_eq!(rest.len(), 3);
            }
            _ => panic!("expected outcomes"),
        }
        let e = api(
            422,
            serde_json::json!({"errors": [{"code": "form_identifier_exists"}]}),
        );
        assert!(matches!(
            application_verdict(&group(1), e),
            Verdict::Outcomes(..)
        ));
    }

    #[test]
    fn fatal_rate_limited_and_transient() {
        let e = api(
            401,
            serde_json::json!({"errors": [{"code": "clerk_key_invalid"}]}),
        );
        assert!(matches!(common_verdict(&group(2), e), Verdict::Fatal(_)));
        let e = api(
            429,
            serde_json::json!({"errors": [{"code": "too_many_requests"}]}),
        );
        assert!(matches!(common_verdict(&group(2), e), Verdict::Wait(_)));
        let e = api(503, serde_json::json!({}));
        assert!(matches!(common_verdict(&group(2), e), Verdict::Failed(_)));
    }

    #[test]
    fn answers_that_leave_out_or_add_addresses_lose_nothing() {
        let g = group(3);
        let got = vec![
            Outcome::new("u0@x.co", OutcomeKind::Invited { id: "a".into() }),
            Outcome::new("stranger@x.co", OutcomeKind::Invited { id: "b".into() }),
        ];
        let all = account_for(&g, got);
        let names: Vec<(&str, &str)> = all
            .iter()
            .map(|o| (o.email.as_str(), o.kind.name()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("u0@x.co", "invited"),
                ("u1@x.co", "failed"),
                ("u2@x.co", "failed")
            ]
        );
    }

    #[test]
    fn max_rate_counts_both_endpoints() {
        let l = BulkLimits::application();
        assert!((l.max_rate() * 3600.0 - 350.0).abs() < 1e-6);
        let o = BulkLimits::organization().time_scale(3600.0);
        assert!((o.max_rate() - 750.0).abs() < 1e-6);
    }
}
