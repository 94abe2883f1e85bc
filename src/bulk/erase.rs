//! Erasure: deleting every application invitation of a list of addresses, for data-erasure
//! requests from people who were invited but never signed up.
//!
//! For each address, every application invitation for exactly that address, in any status, is
//! found (the list's `query` matches substrings, so each found invitation's address is compared
//! with the requested one, ignoring case: `a+b@x.com` and `ba@x.com` are not `a@x.com`), then
//! deleted. Invitations are collected before any is deleted, so deleting never shifts the pages
//! being read. Requests are paced within the key's global rate limit.
//!
//! An address is reported erased only once a look-up made a settle window
//! ([`ClerkBuilder::settle_window`](crate::ClerkBuilder::settle_window)) after its first one
//! shows nothing left: a list that lags behind writes cannot hide an invitation made just
//! before the run. The confirmations of a long run happen while it goes on; a short run waits
//! for the window at its end. A delete answered `404` on its first attempt counts only if the
//! confirming look-up no longer lists the invitation (a proxy that drops the route fails the
//! address instead of reporting it erased).
//!
//! With a journal, each confirmed address is recorded (and flushed to disk): a run started
//! again with the same journal skips those, and an address cut off mid-way is simply done
//! again (finding and deleting are safe to repeat). The journal belongs to one service and key
//! (another is refused) and to one run at a time (it is locked). Running twice deletes nothing
//! the second time.
//!
//! ```no_run
//! # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
//! use clerk_invitations::bulk::{Erase, ErasureKind};
//! let summary = Erase::new(&clerk)
//!     .journal("erasure.journal")
//!     .run(["someone@example.com"], |e| {
//!         if let ErasureKind::Erased { ids } = &e.kind {
//!             println!("{}: {} invitation(s) deleted", e.email, ids.len());
//!         }
//!     })
//!     .await?;
//! println!("{} invitations deleted", summary.invitations_deleted);
//! # Ok(()) }
//! ```

use super::erase_journal::ErasureJournal;
use super::schedule::Budget;
use super::{BulkLimits, normalize, stops_everything};
use crate::error::Result;
use crate::models::InvitationStatus;
use crate::{Clerk, RetryPolicy};
use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Rounds of confirming look-ups an address gets; invitations still appearing after them fail
/// the address.
const CONFIRM_ROUNDS: u32 = 3;

/// An address whose invitations were deleted, waiting for the look-up that confirms it.
struct Unconfirmed {
    email: String,
    /// Deleted by this run.
    ids: Vec<String>,
    /// Answered `404` to their first delete: erased only if the confirming look-up no longer
    /// lists them.
    answered_404: Vec<String>,
    /// When the look-up may be made: a settle window after the address's first look-up.
    due: Instant,
    round: u32,
}

/// What became of one address.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::*;
/// let summary: ErasureSummary = Erase::new(&clerk)
///     .dry_run(true)
///     .run(["ada@example.com"], |e: &Erasure| {
///         if let ErasureKind::WouldErase { ids } = &e.kind {
///             println!("{} would lose {ids:?}", e.email);
///         }
///     })
///     .await?;
/// println!("{} invitations would be deleted", summary.would_delete);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Erasure {
    /// The address, trimmed and lower-cased.
    pub email: String,
    /// What happened.
    #[serde(flatten)]
    pub kind: ErasureKind,
}

/// The outcomes of an erasure run, one per distinct address.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::*;
/// let summary: ErasureSummary = Erase::new(&clerk)
///     .dry_run(true)
///     .run(["ada@example.com"], |e: &Erasure| {
///         if let ErasureKind::WouldErase { ids } = &e.kind {
///             println!("{} would lose {ids:?}", e.email);
///         }
///     })
///     .await?;
/// println!("{} invitations would be deleted", summary.would_delete);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErasureKind {
    /// Every invitation of the address was deleted: these (none found is a success, with no
    /// ids).
    Erased {
        /// The deleted invitations' ids.
        ids: Vec<String>,
    },
    /// A dry run found these invitations: they would be deleted.
    WouldErase {
        /// The invitations' ids.
        ids: Vec<String>,
    },
    /// Not an email address: nothing was looked up.
    Invalid {
        /// Why.
        reason: String,
    },
    /// A request failed; the address is done again by the next run.
    Failed {
        /// The error, as text.
        error: String,
        /// Invitations deleted before the failure.
        ids: Vec<String>,
    },
}

/// Counts for a finished erasure run.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::*;
/// let summary: ErasureSummary = Erase::new(&clerk)
///     .dry_run(true)
///     .run(["ada@example.com"], |e: &Erasure| {
///         if let ErasureKind::WouldErase { ids } = &e.kind {
///             println!("{} would lose {ids:?}", e.email);
///         }
///     })
///     .await?;
/// println!("{} invitations would be deleted", summary.would_delete);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ErasureSummary {
    /// Addresses whose invitations are all deleted (including those that had none).
    pub erased: u64,
    /// Of those, addresses that had no invitation.
    pub none_found: u64,
    /// Invitations deleted.
    pub invitations_deleted: u64,
    /// Invitations a dry run would delete.
    pub would_delete: u64,
    /// Addresses refused as invalid.
    pub invalid: u64,
    /// Addresses whose requests failed.
    pub failed: u64,
    /// Input entries dropped because an earlier entry had the same address.
    pub duplicates_in_input: u64,
    /// Addresses skipped because the journal records them as erased by an earlier run.
    pub done_earlier: u64,
    /// Requests sent (look-ups and deletes).
    pub requests: u64,
}

/// An erasure run. Made by [`Erase::new`]; started with [`run`](Erase::run).
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::*;
/// let summary: ErasureSummary = Erase::new(&clerk)
///     .dry_run(true)
///     .run(["ada@example.com"], |e: &Erasure| {
///         if let ErasureKind::WouldErase { ids } = &e.kind {
///             println!("{} would lose {ids:?}", e.email);
///         }
///     })
///     .await?;
/// println!("{} invitations would be deleted", summary.would_delete);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Erase {
    clerk: Clerk,
    journal: Option<PathBuf>,
    dry_run: bool,
    limits: Option<BulkLimits>,
}

impl Erase {
    /// Erasure of application invitations through `clerk`.
    pub fn new(clerk: &Clerk) -> Self {
        Erase {
            clerk: clerk.clone(),
            journal: None,
            dry_run: false,
            limits: None,
        }
    }

    /// Record each finished address in this file (JSON lines, created `0600` on Unix), and
    /// skip the addresses it already records.
    pub fn journal(mut self, path: impl Into<PathBuf>) -> Self {
        self.journal = Some(path.into());
        self
    }

    /// Look up only: report what would be deleted ([`ErasureKind::WouldErase`]), delete
    /// nothing, journal nothing.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The limits to pace within (only `global` and `time_scale` apply: look-ups and deletes
    /// draw on the key's global limit). Default: Clerk's, by the kind of key.
    pub fn limits(mut self, limits: BulkLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Erases every address of `emails`, calling `on_outcome` with each address's outcome as
    /// it finishes, and returns the counts.
    ///
    /// # Errors
    /// A journal that cannot be opened or written, and errors that stop every further
    /// request (a refused key). Outcomes reported before such an error stand.
    pub async fn run<I, F>(self, emails: I, mut on_outcome: F) -> Result<ErasureSummary>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
        F: FnMut(&Erasure),
    {
        let limits = self
            .limits
            .unwrap_or_else(|| BulkLimits::application().for_key_of(&self.clerk));
        let mut budget = Budget::new(limits.global, limits.time_scale, limits.margin);
        let (mut journal, mut done) = match self.journal.as_deref().filter(|_| !self.dry_run) {
            Some(path) => {
                let (j, done) = ErasureJournal::open(path, &self.identity())?;
                (Some(j), done)
            }
            None => (None, HashSet::new()),
        };
        let mut summary = ErasureSummary::default();
        let mut seen = HashSet::new();
        let mut waiting: VecDeque<Unconfirmed> = VecDeque::new();
        let mut report = |kind: ErasureKind,
                          email: String,
                          summary: &mut ErasureSummary,
                          journal: &mut Option<ErasureJournal>|
         -> Result<()> {
            count(&kind, summary);
            let outcome = Erasure { email, kind };
            if let Some(j) = journal.as_mut()
                && matches!(outcome.kind, ErasureKind::Erased { .. })
            {
                j.record(&outcome)?;
            }
            on_outcome(&outcome);
            Ok(())
        };
        for raw in emails {
            // Confirm the addresses whose window has passed, as the run goes on.
            while waiting.front().is_some_and(|u| u.due <= Instant::now()) {
                if let Some(u) = waiting.pop_front() {
                    match self.confirm(u, &mut budget, &mut summary).await? {
                        Confirmed::Done(email, kind) => {
                            report(kind, email, &mut summary, &mut journal)?
                        }
                        Confirmed::Again(u) => waiting.push_back(u),
                    }
                }
            }
            let email = normalize(raw.as_ref());
            if !seen.insert(email.clone()) {
                summary.duplicates_in_input += 1;
                continue;
            }
            if done.remove(&email) {
                summary.done_earlier += 1;
                continue;
            }
            let first_look = Instant::now();
            let kind = match crate::validate::email("email_address", &email) {
                Err(e) => ErasureKind::Invalid {
                    reason: e.to_string(),
                },
                Ok(()) => match self.erase_one(&email, &mut budget, &mut summary).await? {
                    Erased::Deleted { ids, answered_404 } => {
                        waiting.push_back(Unconfirmed {
                            email,
                            ids,
                            answered_404,
                            due: first_look + self.clerk.settle_window(),
                            round: 1,
                        });
                        continue;
                    }
                    Erased::Other(kind) => kind,
                },
            };
            report(kind, email, &mut summary, &mut journal)?;
        }
        // The rest, each when its window has passed.
        while let Some(u) = waiting.pop_front() {
            tokio::time::sleep_until(u.due.into()).await;
            match self.confirm(u, &mut budget, &mut summary).await? {
                Confirmed::Done(email, kind) => report(kind, email, &mut summary, &mut journal)?,
                Confirmed::Again(u) => waiting.push_back(u),
            }
        }
        Ok(summary)
    }

    /// What the journal belongs to: this service and key.
    fn identity(&self) -> super::journal::RunIdentity {
        super::journal::RunIdentity {
            target: "erasure".into(),
            organization_id: None,
            role: None,
            service: crate::redact::url(self.clerk.base_url()),
            key: self.clerk.key_fingerprint(),
            input: None,
        }
    }

    /// The look-up that confirms an address erased: nothing of it listed a settle window after
    /// its first look-up. What it still finds is deleted and confirmed again, a few rounds at
    /// the most.
    async fn confirm(
        &self,
        mut u: Unconfirmed,
        budget: &mut Budget,
        summary: &mut ErasureSummary,
    ) -> Result<Confirmed> {
        let failed = |error: String, u: Unconfirmed| {
            Ok(Confirmed::Done(
                u.email,
                ErasureKind::Failed { error, ids: u.ids },
            ))
        };
        let listed = match self.find(&u.email, budget, summary).await {
            Ok(listed) => listed,
            Err(e) if stops_everything(&e) => return Err(e),
            Err(e) => return failed(format!("the confirming look-up failed: {e}"), u),
        };
        if let Some(id) = u.answered_404.iter().find(|id| listed.contains(id)) {
            return failed(
                format!(
                    "the service answered 404 (resource_not_found) to deleting {id}, and still lists it"
                ),
                u,
            );
        }
        if listed.is_empty() {
            return Ok(Confirmed::Done(u.email, ErasureKind::Erased { ids: u.ids }));
        }
        if u.round >= CONFIRM_ROUNDS {
            return failed(
                format!(
                    "invitations of the address keep appearing ({} after {CONFIRM_ROUNDS} rounds)",
                    listed.len()
                ),
                u,
            );
        }
        let started = Instant::now();
        match self.delete_all(listed, &mut u.ids, budget, summary).await? {
            Ok(answered_404) => {
                u.answered_404 = answered_404;
                u.round += 1;
                u.due = started + self.clerk.settle_window().min(Duration::from_secs(1));
                Ok(Confirmed::Again(u))
            }
            Err(error) => failed(error, u),
        }
    }

    /// Deletes `found`, adding each deleted id to `ids`: the ids answered `404` on their first
    /// attempt, or the failure as text (an error that stops everything is returned).
    async fn delete_all(
        &self,
        found: Vec<String>,
        ids: &mut Vec<String>,
        budget: &mut Budget,
        summary: &mut ErasureSummary,
    ) -> Result<std::result::Result<Vec<String>, String>> {
        let mut answered_404 = Vec::new();
        for id in found {
            budget.take().await;
            summary.requests += 1;
            match self.clerk.invitations().delete(&id).await {
                Ok(_) => ids.push(id),
                // Gone between the look-up and the delete, or a route the service (or a proxy)
                // does not have: the confirming look-up tells which.
                Err(e) if e.has_code("resource_not_found") && !e.may_have_taken_effect() => {
                    answered_404.push(id);
                }
                Err(e) if stops_everything(&e) => return Err(e),
                Err(e) => return Ok(Err(e.to_string())),
            }
        }
        Ok(Ok(answered_404))
    }

    /// Finds and deletes (or, dry, finds) every invitation of one address. An error that stops
    /// every request (a refused key) is returned; any other becomes [`ErasureKind::Failed`].
    async fn erase_one(
        &self,
        email: &str,
        budget: &mut Budget,
        summary: &mut ErasureSummary,
    ) -> Result<Erased> {
        let found = match self.find(email, budget, summary).await {
            Ok(found) => found,
            Err(e) if stops_everything(&e) => return Err(e),
            Err(e) => {
                return Ok(Erased::Other(ErasureKind::Failed {
                    error: e.to_string(),
                    ids: Vec::new(),
                }));
            }
        };
        if self.dry_run {
            return Ok(Erased::Other(ErasureKind::WouldErase { ids: found }));
        }
        let mut ids = Vec::with_capacity(found.len());
        Ok(
            match self.delete_all(found, &mut ids, budget, summary).await? {
                Ok(answered_404) => Erased::Deleted { ids, answered_404 },
                Err(error) => Erased::Other(ErasureKind::Failed { error, ids }),
            },
        )
    }

    /// The ids of every application invitation for exactly `email`, in any status, read in
    /// full before anything is deleted: the list without a status filter (every status but
    /// `revoked`), then the revoked ones. One status per request at the most, so that the
    /// look-up works whether the service takes `status` once or repeated.
    async fn find(
        &self,
        email: &str,
        budget: &mut Budget,
        summary: &mut ErasureSummary,
    ) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for status in [None, Some(InvitationStatus::Revoked)] {
            self.find_in(email, status, &mut ids, budget, summary)
                .await?;
        }
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    async fn find_in(
        &self,
        email: &str,
        status: Option<InvitationStatus>,
        ids: &mut Vec<String>,
        budget: &mut Budget,
        summary: &mut ErasureSummary,
    ) -> Result<()> {
        let limit = *crate::validate::LIMIT_RANGE.end();
        let mut offset = 0u64;
        // Ends where the service repeats itself, whatever its counts say.
        let mut walk = crate::page::Walk::new(|i: &crate::models::Invitation| i.id.as_str());
        loop {
            budget.take().await;
            summary.requests += 1;
            let mut list = self
                .clerk
                .invitations()
                .list()
                .query(email)
                .limit(limit)
                .offset(offset)
                .with_retry(RetryPolicy::default());
            if let Some(s) = &status {
                list = list.status(s.clone());
            }
            let (items, next) = walk.step(list.await?, limit)?;
            ids.extend(
                items
                    .into_iter()
                    .filter(|i| crate::address::same(&i.email_address, email))
                    .map(|i| i.id),
            );
            match next {
                Some(next) => offset = next,
                None => return Ok(()),
            }
        }
    }
}

/// What the first pass over an address did.
enum Erased {
    /// Deleted these (maybe none), to be confirmed.
    Deleted {
        ids: Vec<String>,
        answered_404: Vec<String>,
    },
    /// Anything else: final.
    Other(ErasureKind),
}

/// What a confirming look-up decided.
enum Confirmed {
    Done(String, ErasureKind),
    /// More was found and deleted: confirmed again.
    Again(Unconfirmed),
}

fn count(kind: &ErasureKind, summary: &mut ErasureSummary) {
    match kind {
        ErasureKind::Erased { ids } => {
            summary.erased += 1;
            summary.invitations_deleted += ids.len() as u64;
            if ids.is_empty() {
                summary.none_found += 1;
            }
        }
        ErasureKind::WouldErase { ids } => summary.would_delete += ids.len() as u64,
        ErasureKind::Invalid { .. } => summary.invalid += 1,
        ErasureKind::Failed { ids, .. } => {
            summary.failed += 1;
            summary.invitations_deleted += ids.len() as u64;
        }
    }
}
