//! Erasure: deleting every application invitation of a list of addresses, for data-erasure
//! requests from people who were invited but never signed up.
//!
//! For each address, every application invitation for exactly that address, in any status, is
//! found (the list's `query` matches substrings, so each found invitation's address is compared
//! with the requested one, ignoring case: `a+b@x.com` and `ba@x.com` are not `a@x.com`), then
//! deleted. Invitations are collected before any is deleted, so deleting never shifts the pages
//! being read. Requests are paced within the key's global rate limit. With a journal, each
//! finished address is recorded (and flushed to disk) as it finishes: a run started again with
//! the same journal skips those, and an address cut off mid-way is simply done again (finding
//! and deleting are safe to repeat). Running twice deletes nothing the second time.
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

use super::schedule::Budget;
use super::{BulkLimits, normalize, stops_everything};
use crate::error::{Error, Result};
use crate::models::{InvitationStatus, now_ms};
use crate::{Clerk, RetryPolicy};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

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
                let (j, done) = ErasureJournal::open(path)?;
                (Some(j), done)
            }
            None => (None, HashSet::new()),
        };
        let mut summary = ErasureSummary::default();
        let mut seen = HashSet::new();
        for raw in emails {
            let email = normalize(raw.as_ref());
            if !seen.insert(email.clone()) {
                summary.duplicates_in_input += 1;
                continue;
            }
            if done.remove(&email) {
                summary.done_earlier += 1;
                continue;
            }
            let kind = match crate::validate::email("email_address", &email) {
                Err(e) => ErasureKind::Invalid {
                    reason: e.to_string(),
                },
                Ok(()) => self.erase_one(&email, &mut budget, &mut summary).await?,
            };
            match &kind {
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
            let outcome = Erasure { email, kind };
            if let Some(j) = journal.as_mut()
                && matches!(outcome.kind, ErasureKind::Erased { .. })
            {
                j.record(&outcome)?;
            }
            on_outcome(&outcome);
        }
        Ok(summary)
    }

    /// Finds and deletes (or, dry, finds) every invitation of one address. An error that stops
    /// every request (a refused key) is returned; any other becomes [`ErasureKind::Failed`].
    async fn erase_one(
        &self,
        email: &str,
        budget: &mut Budget,
        summary: &mut ErasureSummary,
    ) -> Result<ErasureKind> {
        let found = match self.find(email, budget, summary).await {
            Ok(found) => found,
            Err(e) if stops_everything(&e) => return Err(e),
            Err(e) => {
                return Ok(ErasureKind::Failed {
                    error: e.to_string(),
                    ids: Vec::new(),
                });
            }
        };
        if self.dry_run {
            return Ok(ErasureKind::WouldErase { ids: found });
        }
        let mut ids = Vec::with_capacity(found.len());
        for id in found {
            budget.take().await;
            summary.requests += 1;
            match self.clerk.invitations().delete(&id).await {
                Ok(_) => ids.push(id),
                // Gone between the look-up and the delete: erased all the same.
                Err(e) if e.has_code("resource_not_found") => ids.push(id),
                Err(e) if stops_everything(&e) => return Err(e),
                Err(e) => {
                    return Ok(ErasureKind::Failed {
                        error: e.to_string(),
                        ids,
                    });
                }
            }
        }
        Ok(ErasureKind::Erased { ids })
    }

    /// The ids of every application invitation for exactly `email`, in any status, read in
    /// full before anything is deleted.
    async fn find(
        &self,
        email: &str,
        budget: &mut Budget,
        summary: &mut ErasureSummary,
    ) -> Result<Vec<String>> {
        let limit = *crate::validate::LIMIT_RANGE.end();
        let mut ids = Vec::new();
        let mut offset = 0u64;
        loop {
            budget.take().await;
            summary.requests += 1;
            let page = self
                .clerk
                .invitations()
                .list()
                .query(email)
                .statuses(InvitationStatus::KNOWN.iter().copied())
                .limit(limit)
                .offset(offset)
                .with_retry(RetryPolicy::default())
                .await?;
            let more = page.has_more(limit);
            offset += page.data.len() as u64;
            ids.extend(
                page.data
                    .into_iter()
                    .filter(|i| crate::address::same(&i.email_address, email))
                    .map(|i| i.id),
            );
            if !more {
                return Ok(ids);
            }
        }
    }
}

/// The erasure journal: one JSON line per address erased, flushed to disk as it is written.
struct ErasureJournal {
    file: File,
}

impl ErasureJournal {
    /// Opens (creating, `0600`) the journal and returns the addresses it records as erased.
    fn open(path: &Path) -> Result<(Self, HashSet<String>)> {
        let mut done = HashSet::new();
        super::lines::read(path, |e: Erasure| {
            if let ErasureKind::Erased { .. } = e.kind {
                done.insert(e.email);
            }
        })?;
        Ok((
            ErasureJournal {
                file: super::lines::open_append(path)?,
            },
            done,
        ))
    }

    fn record(&mut self, outcome: &Erasure) -> Result<()> {
        let mut line = serde_json::to_vec(&serde_json::json!({
            "email": outcome.email,
            "at": now_ms(),
            "outcome": "erased",
            "ids": match &outcome.kind {
                ErasureKind::Erased { ids } => ids.clone(),
                _ => Vec::new(),
            },
        }))
        .map_err(|e| Error::configuration("journal record").with_source(e))?;
        line.push(b'\n');
        super::lines::append(&mut self.file, &line)
    }
}
