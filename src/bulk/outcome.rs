//! What a bulk run reports: one outcome per address, and the counts.

use serde::{Deserialize, Serialize};

/// What became of one address.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::*;
/// let summary: Summary = BulkInvite::application(&clerk)
///     .run(["ada@example.com"], |o: &Outcome| match &o.kind {
///         OutcomeKind::Invited { id } => println!("{} -> {id}", o.email),
///         other => println!("{}: {}", o.email, other.name()),
///     })
///     .await?;
/// println!("{} invited, {} failed", summary.invited, summary.failed);
/// # Ok(()) }
/// ```
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
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::*;
/// let summary: Summary = BulkInvite::application(&clerk)
///     .run(["ada@example.com"], |o: &Outcome| match &o.kind {
///         OutcomeKind::Invited { id } => println!("{} -> {id}", o.email),
///         other => println!("{}: {}", o.email, other.name()),
///     })
///     .await?;
/// println!("{} invited, {} failed", summary.invited, summary.failed);
/// # Ok(()) }
/// ```
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
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::bulk::*;
/// let summary: Summary = BulkInvite::application(&clerk)
///     .run(["ada@example.com"], |o: &Outcome| match &o.kind {
///         OutcomeKind::Invited { id } => println!("{} -> {id}", o.email),
///         other => println!("{}: {}", o.email, other.name()),
///     })
///     .await?;
/// println!("{} invited, {} failed", summary.invited, summary.failed);
/// # Ok(()) }
/// ```
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
    /// Whether the run was stopped (see [`BulkInvite::stop_on`](crate::bulk::BulkInvite::stop_on))
    /// before its input was done; resume it with the same journal.
    pub interrupted: bool,
}

impl Summary {
    pub(super) fn count(&mut self, kind: &OutcomeKind) {
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
