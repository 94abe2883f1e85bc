//! Clean-up campaigns: revoking the invitations that went stale, by status, age and address.
//!
//! The invitations to revoke are selected first, by reading the whole list (so revoking never
//! shifts the pages being read: a naive loop that revokes while it pages skips items), then
//! revoked one by one within the key's global rate limit. With a journal, each revoked
//! invitation is recorded (and flushed to disk) as it is revoked: a run started again with the
//! same journal skips those, and one already revoked by a run that was cut off is taken as
//! done.
//!
//! ```no_run
//! # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
//! use clerk_invitations::bulk::RevokeStale;
//! use std::time::Duration;
//! let summary = RevokeStale::application(&clerk)
//!     .older_than(Duration::from_secs(7 * 86_400))
//!     .journal("cleanup.journal")
//!     .run(|r| println!("revoked {} ({})", r.id, r.email))
//!     .await?;
//! println!("{} revoked, {} failed", summary.revoked, summary.failed);
//! # Ok(()) }
//! ```

use super::BulkLimits;
use super::schedule::Budget;
use crate::error::{Error, Result};
use crate::models::{InvitationStatus, now_ms};
use crate::{Clerk, RetryPolicy};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What became of one selected invitation.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::{Revocation, RevocationKind, RevokeStale, RevokeSummary};
/// use std::time::Duration;
/// let summary: RevokeSummary = RevokeStale::organization(&clerk, "org_123")
///     .older_than(Duration::from_secs(30 * 86_400))
///     .dry_run(true)
///     .run(|r: &Revocation| {
///         if r.kind == RevocationKind::WouldRevoke {
///             println!("would revoke {} ({})", r.id, r.email);
///         }
///     })
///     .await?;
/// println!("{} selected", summary.selected);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Revocation {
    /// The invitation.
    pub id: String,
    /// Its address.
    pub email: String,
    /// What happened.
    #[serde(flatten)]
    pub kind: RevocationKind,
}

/// What happened to a selected invitation.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::{Revocation, RevocationKind, RevokeStale, RevokeSummary};
/// use std::time::Duration;
/// let summary: RevokeSummary = RevokeStale::organization(&clerk, "org_123")
///     .older_than(Duration::from_secs(30 * 86_400))
///     .dry_run(true)
///     .run(|r: &Revocation| {
///         if r.kind == RevocationKind::WouldRevoke {
///             println!("would revoke {} ({})", r.id, r.email);
///         }
///     })
///     .await?;
/// println!("{} selected", summary.selected);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RevocationKind {
    /// Revoked now.
    Revoked,
    /// It was no longer pending when its turn came (accepted, revoked or expired meanwhile).
    NotPending,
    /// A dry run: it would be revoked.
    WouldRevoke,
    /// The revoke failed; the next run tries it again.
    Failed {
        /// The error, as text.
        error: String,
    },
}

/// Counts for a finished clean-up.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::{Revocation, RevocationKind, RevokeStale, RevokeSummary};
/// use std::time::Duration;
/// let summary: RevokeSummary = RevokeStale::organization(&clerk, "org_123")
///     .older_than(Duration::from_secs(30 * 86_400))
///     .dry_run(true)
///     .run(|r: &Revocation| {
///         if r.kind == RevocationKind::WouldRevoke {
///             println!("would revoke {} ({})", r.id, r.email);
///         }
///     })
///     .await?;
/// println!("{} selected", summary.selected);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RevokeSummary {
    /// Invitations selected.
    pub selected: u64,
    /// Revoked now.
    pub revoked: u64,
    /// No longer pending when their turn came.
    pub not_pending: u64,
    /// A dry run would revoke these.
    pub would_revoke: u64,
    /// Failed (tried again by the next run).
    pub failed: u64,
    /// Skipped because the journal records them as revoked by an earlier run.
    pub done_earlier: u64,
    /// Requests sent (pages read and revokes).
    pub requests: u64,
}

#[derive(Clone, Debug)]
enum Scope {
    Application,
    Organization(String),
}

/// A clean-up run: revokes the pending invitations that match its filters. Made by
/// [`RevokeStale::application`] or [`RevokeStale::organization`]; started with
/// [`run`](RevokeStale::run).
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::{Revocation, RevocationKind, RevokeStale, RevokeSummary};
/// use std::time::Duration;
/// let summary: RevokeSummary = RevokeStale::organization(&clerk, "org_123")
///     .older_than(Duration::from_secs(30 * 86_400))
///     .dry_run(true)
///     .run(|r: &Revocation| {
///         if r.kind == RevocationKind::WouldRevoke {
///             println!("would revoke {} ({})", r.id, r.email);
///         }
///     })
///     .await?;
/// println!("{} selected", summary.selected);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct RevokeStale {
    clerk: Clerk,
    scope: Scope,
    older_than: Option<Duration>,
    emails: Option<HashSet<String>>,
    journal: Option<PathBuf>,
    dry_run: bool,
    limits: Option<BulkLimits>,
}

impl RevokeStale {
    /// Pending application invitations.
    pub fn application(clerk: &Clerk) -> Self {
        Self::new(clerk, Scope::Application)
    }

    /// Pending invitations of one organization.
    pub fn organization(clerk: &Clerk, organization_id: impl Into<String>) -> Self {
        Self::new(clerk, Scope::Organization(organization_id.into()))
    }

    fn new(clerk: &Clerk, scope: Scope) -> Self {
        RevokeStale {
            clerk: clerk.clone(),
            scope,
            older_than: None,
            emails: None,
            journal: None,
            dry_run: false,
            limits: None,
        }
    }

    /// Only invitations created more than `age` ago (by the service's clock, read from its
    /// `Date` header).
    pub fn older_than(mut self, age: Duration) -> Self {
        self.older_than = Some(age);
        self
    }

    /// Only invitations to these addresses (compared whole, ignoring case).
    pub fn emails<I, S>(mut self, emails: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.emails = Some(
            emails
                .into_iter()
                .map(|e| crate::address::normalize(e.as_ref()))
                .collect(),
        );
        self
    }

    /// Record each revoked invitation here (JSON lines, `0600` on Unix) and skip those it
    /// already records.
    pub fn journal(mut self, path: impl Into<PathBuf>) -> Self {
        self.journal = Some(path.into());
        self
    }

    /// Select and report only ([`RevocationKind::WouldRevoke`]); revoke nothing.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The limits to pace within (`global` and `time_scale` apply). Default: Clerk's.
    pub fn limits(mut self, limits: BulkLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Selects, then revokes, calling `on_revocation` for each selected invitation as it is
    /// handled.
    ///
    /// # Errors
    /// A journal that cannot be opened or written, a selection that cannot be read, and errors
    /// that stop every request (a refused key, an unknown organization).
    pub async fn run<F: FnMut(&Revocation)>(self, mut on_revocation: F) -> Result<RevokeSummary> {
        let limits = self
            .limits
            .unwrap_or_else(|| BulkLimits::application().for_key_of(&self.clerk));
        let mut budget = Budget::new(limits.global, limits.time_scale, limits.margin);
        let mut summary = RevokeSummary::default();
        let (mut journal, done) = match self.journal.as_deref().filter(|_| !self.dry_run) {
            Some(p) => {
                let (j, d) = RevokeJournal::open(p)?;
                (Some(j), d)
            }
            None => (None, HashSet::new()),
        };
        let selected = self.select(&mut budget, &mut summary).await?;
        summary.selected = selected.len() as u64;
        for (id, email) in selected {
            if done.contains(&id) {
                summary.done_earlier += 1;
                continue;
            }
            let kind = if self.dry_run {
                summary.would_revoke += 1;
                RevocationKind::WouldRevoke
            } else {
                budget.take().await;
                summary.requests += 1;
                match self.revoke(&id).await {
                    Ok(()) => {
                        summary.revoked += 1;
                        RevocationKind::Revoked
                    }
                    Err(e) if e.is_not_pending() => {
                        summary.not_pending += 1;
                        RevocationKind::NotPending
                    }
                    Err(e) if super::stops_everything(&e) => return Err(e),
                    Err(e) => {
                        summary.failed += 1;
                        RevocationKind::Failed {
                            error: e.to_string(),
                        }
                    }
                }
            };
            let r = Revocation { id, email, kind };
            if let Some(j) = journal.as_mut()
                && matches!(r.kind, RevocationKind::Revoked | RevocationKind::NotPending)
            {
                j.record(&r)?;
            }
            on_revocation(&r);
        }
        Ok(summary)
    }

    async fn revoke(&self, id: &str) -> Result<()> {
        let policy = RetryPolicy::default();
        match &self.scope {
            Scope::Application => self
                .clerk
                .invitations()
                .revoke(id)
                .with_retry(policy)
                .await
                .map(drop),
            Scope::Organization(org) => self
                .clerk
                .organization(org.clone())
                .invitations()
                .revoke(id)
                .with_retry(policy)
                .await
                .map(drop),
        }
    }

    /// Every pending invitation matching the filters, read in full first: `(id, address)`.
    async fn select(
        &self,
        budget: &mut Budget,
        summary: &mut RevokeSummary,
    ) -> Result<Vec<(String, String)>> {
        let limit = *crate::validate::LIMIT_RANGE.end();
        let mut found = Vec::new();
        let mut offset = 0u64;
        let started = crate::settle::Started::now();
        let mut cutoff: Option<i64> = None;
        // Ends where the service repeats itself, whatever its counts say.
        let mut walk = crate::page::Walk::new(|i: &(String, String, i64)| i.0.as_str());
        loop {
            budget.take().await;
            summary.requests += 1;
            // One page of pending invitations, oldest first, whatever the scope.
            macro_rules! page {
                ($list:expr) => {{
                    let r = $list
                        .status(InvitationStatus::Pending)
                        .order_by("created_at")
                        .limit(limit)
                        .offset(offset)
                        .send_with_http_info()
                        .await?;
                    let headers = r.headers().clone();
                    let page = r.into_value();
                    let items: Vec<(String, String, i64)> = page
                        .data
                        .into_iter()
                        .map(|i| (i.id, i.email_address, i.created_at))
                        .collect();
                    (
                        crate::Page::new(items, page.total_count, page.offset),
                        headers,
                    )
                }};
            }
            let (page, headers) = match &self.scope {
                Scope::Application => page!(self.clerk.invitations().list()),
                Scope::Organization(org) => {
                    page!(self.clerk.organization(org.clone()).invitations().list())
                }
            };
            // The age is measured on the service's clock, fixed at the first page.
            let cut = *cutoff.get_or_insert_with(|| {
                let now = started.service_start(&headers).unwrap_or_else(now_ms);
                self.older_than.map_or(i64::MAX, |age| {
                    now.saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX))
                })
            });
            let (items, next) = walk.step(page, limit)?;
            for (id, email, created_at) in items {
                let wanted = created_at < cut
                    && self
                        .emails
                        .as_ref()
                        .is_none_or(|set| set.contains(&crate::address::normalize(&email)));
                if wanted {
                    found.push((id, email));
                }
            }
            match next {
                Some(next) => offset = next,
                None => return Ok(found),
            }
        }
    }
}

/// The clean-up journal: one JSON line per invitation handled, flushed as it is written.
struct RevokeJournal {
    file: File,
}

impl RevokeJournal {
    fn open(path: &Path) -> Result<(Self, HashSet<String>)> {
        let mut done = HashSet::new();
        super::lines::read(path, |r: Revocation| {
            done.insert(r.id);
        })?;
        Ok((
            RevokeJournal {
                file: super::lines::open_append(path)?,
            },
            done,
        ))
    }

    fn record(&mut self, r: &Revocation) -> Result<()> {
        let mut line = serde_json::to_vec(r)
            .map_err(|e| Error::configuration("journal record").with_source(e))?;
        line.push(b'\n');
        super::lines::append(&mut self.file, &line)
    }
}
