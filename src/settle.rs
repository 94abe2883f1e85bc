//! The retry classes the spec's `x-facade.retry` names: what an ambiguous failure means for
//! each kind of operation, and how an earlier attempt's effect is found.
//!
//! - `idempotent`: reads, and anything whose repetition is harmless.
//! - `organization-create`: the service answers a repeated organization invitation with the
//!   pending one, so retries are safe (an idempotent operation).
//! - `create-settled-by-lookup`: application invitations. After an ambiguous failure, look for
//!   the pending invitation of the address created since the call began; send again only if
//!   the look-up works and finds none. A `duplicate_record` answer to a retry is settled the
//!   same way.
//! - `revoke-invitation`, `revoke-organization-invitation`: retried; an "already revoked" or
//!   "not pending" answer to a retry is settled by reading the invitation back.
//! - `delete`: retried like a read; a 404 `resource_not_found` answer to a retry after an
//!   ambiguous failure means an earlier attempt deleted the record: reported as done, with
//!   [`Deleted::already_gone`](crate::Deleted::already_gone).

use crate::error::Result;
use crate::models::{Invitation, InvitationStatus, OrganizationInvitation};
use crate::retry::{Operation, RetryPolicy, Why};
use crate::transport::Response;
use crate::{Clerk, Error};
use http::HeaderMap;
use std::collections::HashSet;
use std::time::{Duration, Instant};

mod organization;
mod revoke;
pub(crate) use organization::*;
pub(crate) use revoke::*;

/// The look-ups made while settling an ambiguous failure: a few quick attempts.
pub(crate) fn lookup_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .deadline(Some(std::time::Duration::from_secs(30)))
}

/// Pages one settling look-up reads at the most (500 invitations each): an address or id with
/// more is past what a look-up can settle.
const MAX_LOOKUP_PAGES: u64 = 20;

/// What one settling look-up found: every application invitation whose address or id matches
/// `query`, in any status, with the first answer's status and headers (its `Date`).
struct Found {
    items: Vec<Invitation>,
    status: u16,
    headers: HeaderMap,
}

/// One settling look-up: application invitations whose address or id matches `query`, every
/// page, with a few quick retries of their own. Without `status`, no status filter is sent, and
/// the service lists every status but `revoked`; with one, that one status. Never two: the
/// published spec types `status` as one value, and a look-up must work under either reading
/// (the statuses are told apart here).
async fn lookup(clerk: &Clerk, query: &str, status: Option<InvitationStatus>) -> Result<Found> {
    let limit = *crate::validate::LIMIT_RANGE.end();
    let list = || {
        let list = clerk.invitations().list().query(query).limit(limit);
        match &status {
            Some(s) => list.status(s.clone()),
            None => list,
        }
    };
    let first = list()
        .with_retry(lookup_policy())
        .send_with_http_info()
        .await?;
    let (status, headers) = (first.status(), first.headers().clone());
    let mut page = first.into_value();
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    for n in 1.. {
        let more = page.has_more(limit);
        let offset = page.offset + page.data.len() as u64;
        let before = items.len();
        items.extend(page.data.into_iter().filter(|i| seen.insert(i.id.clone())));
        // A page that brings nothing new ends the look-up, whatever its count says.
        if !more || items.len() == before {
            break;
        }
        if n >= MAX_LOOKUP_PAGES {
            return Err(Error::outcome_unknown(
                format!(
                    "more than {} invitations match {query}: too many to settle by looking",
                    MAX_LOOKUP_PAGES * u64::from(limit)
                ),
                Vec::new(),
            ));
        }
        page = list().offset(offset).with_retry(lookup_policy()).await?;
    }
    Ok(Found {
        items,
        status,
        headers,
    })
}

/// Waits before each look-up while an invitation an earlier attempt made may not be listed
/// yet (the service's lists can lag behind its writes), as parts of the client's settle window
/// (`ClerkBuilder::settle_window`, 15.5 s by default: 0, 0.5, 1, 2, 4 and 8 s).
const LOOKUP_WAIT_PARTS: [u32; 6] = [0, 1, 2, 4, 8, 16];

fn lookup_waits(window: Duration) -> impl Iterator<Item = Duration> {
    let whole: u32 = LOOKUP_WAIT_PARTS.iter().sum();
    LOOKUP_WAIT_PARTS
        .into_iter()
        .map(move |part| window.mul_f64(f64::from(part) / f64::from(whole)))
}

/// A `Date` header has a resolution of a second; with transit, the service's time at the start
/// of a call is known to within this.
const DATE_SLACK_MS: i64 = 2_000;

/// When a call began, on this machine's monotonic clock. With a response's `Date` header it
/// gives the service's own time at that moment, whatever this machine's clock says.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Started(Instant);

impl Started {
    pub(crate) fn now() -> Self {
        Started(Instant::now())
    }

    pub(crate) fn at(instant: Instant) -> Self {
        Started(instant)
    }

    /// The earliest service time (Unix ms) an invitation made by this call can carry: the
    /// service's time at the start of the call, from the `Date` of a later answer, less the
    /// `Date`'s resolution. `None` without a `Date`: this machine's clock cannot stand in for
    /// the service's.
    pub(crate) fn horizon(&self, headers: &HeaderMap) -> Option<i64> {
        self.service_start(headers)
            .map(|start| start.saturating_sub(DATE_SLACK_MS))
    }

    /// This machine's guess of [`horizon`](Started::horizon) without a `Date`: its own clock at
    /// the start of the call, less a minute for skew. Only an organization create's `existed`
    /// uses it; settling never trusts it (see `look`).
    pub(crate) fn local_horizon(&self) -> i64 {
        let elapsed = i64::try_from(self.0.elapsed().as_millis()).unwrap_or(i64::MAX);
        crate::models::now_ms()
            .saturating_sub(elapsed)
            .saturating_sub(crate::models::CLOCK_SKEW_MS)
    }

    /// A lower bound of the service's time at the start of the call: a later answer's `Date`
    /// (rounded down to the second, so never ahead of the service's clock) less the time
    /// elapsed since. Anything the service stamped before it was there before the call.
    pub(crate) fn service_start(&self, headers: &HeaderMap) -> Option<i64> {
        let elapsed = i64::try_from(self.0.elapsed().as_millis()).unwrap_or(i64::MAX);
        service_now(headers).map(|now| now.saturating_sub(elapsed))
    }
}

/// The service's time (Unix ms) by an answer's `Date` header, if it has a valid one.
pub(crate) fn service_now(headers: &HeaderMap) -> Option<i64> {
    headers
        .get(http::header::DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok())
}

/// What a create asked for: what a found invitation must match to count as this call's.
#[derive(Clone, Debug)]
pub(crate) struct Asked {
    pub(crate) email: String,
    pub(crate) public_metadata: Option<serde_json::Value>,
    pub(crate) ignore_existing: bool,
}

impl Asked {
    fn matches(&self, inv: &Invitation) -> bool {
        let wanted = match &self.public_metadata {
            Some(serde_json::Value::Object(m)) => m.clone(),
            _ => serde_json::Map::new(),
        };
        crate::address::same(&inv.email_address, &self.email) && inv.public_metadata == wanted
    }
}

/// What one look-up for an address showed.
enum Looked {
    /// This call's invitation.
    Ours(Box<Response<Invitation>>),
    /// Invitations of the address, none of them this call's (they existed before it, or ask
    /// for something else); `pending` when one of them is pending.
    Others { pending: bool },
    /// No invitation of the address at all.
    Nothing,
}

/// The pending and accepted invitations of `asked.email`, sorted into this call's and others.
async fn look(
    clerk: &Clerk,
    asked: &Asked,
    started: Started,
    before: &HashSet<String>,
) -> Result<Looked> {
    let Found {
        items,
        status,
        headers,
    } = lookup(clerk, &asked.email, None).await?;
    let horizon = started.horizon(&headers);
    let same: Vec<Invitation> = items
        .into_iter()
        .filter(|i| {
            matches!(
                i.status,
                InvitationStatus::Pending | InvitationStatus::Accepted
            ) && crate::address::same(&i.email_address, &asked.email)
        })
        .collect();
    if same.is_empty() {
        return Ok(Looked::Nothing);
    }
    let pending = same.iter().any(|i| i.status == InvitationStatus::Pending);
    let candidates = same.into_iter().filter(|i| {
        i.status == InvitationStatus::Pending && !before.contains(&i.id) && asked.matches(i)
    });
    // By the service's clock, made since the call began (`sure`). Without a `Date` no clock
    // tells: this machine's is off from the service's by any amount, ahead or behind, so
    // every candidate is only possibly this call's (`unsure`), and the call ends in
    // `OutcomeUnknown` naming them rather than claim someone else's or create a second.
    let (sure, unsure): (Vec<Invitation>, Vec<Invitation>) = match horizon {
        Some(h) => (
            candidates.filter(|i| i.created_at >= h).collect(),
            Vec::new(),
        ),
        None => (Vec::new(), candidates.collect()),
    };
    if !unsure.is_empty() || sure.len() > 1 {
        let n = sure.len() + unsure.len();
        return Err(Error::outcome_unknown(
            if unsure.is_empty() {
                format!(
                    "{n} invitations for {} could each be the one this call created",
                    asked.email
                )
            } else {
                format!(
                    "{n} invitation(s) for {} could be the one this call created: the service's answers carry no `Date`, so its clock cannot be told from this machine's",
                    asked.email
                )
            },
            sure.into_iter().chain(unsure).map(|i| i.id).collect(),
        ));
    }
    Ok(match sure.into_iter().next() {
        Some(inv) => Looked::Ours(Box::new(Response::new(inv, status, headers))),
        None => Looked::Others { pending },
    })
}

/// Settles one address: `Ok(Some)` with this call's invitation, `Ok(None)` when it is known
/// not to exist, an [`OutcomeUnknown`](crate::ErrorKind::OutcomeUnknown) error when it cannot
/// be told.
async fn settle_one(
    clerk: &Clerk,
    asked: &Asked,
    started: Started,
    before: &HashSet<String>,
    why: Why,
) -> Result<Option<Response<Invitation>>> {
    if why == Why::Ambiguous && !asked.ignore_existing {
        // Sending again is safe: the service refuses a second invitation for the address
        // (`duplicate_record`), and that answer is settled below.
        return Ok(None);
    }
    let window = clerk.settle_window();
    let mut seen_others = false;
    for wait in lookup_waits(window) {
        tokio::time::sleep(wait).await;
        let looked = match look(clerk, asked, started, before).await {
            Ok(looked) => looked,
            // The caller tells what a failed look-up means for its last answer.
            Err(e) if e.is_outcome_unknown() || why != Why::Met => return Err(e),
            // The service says the invitation exists, and it cannot be looked up.
            Err(e) => {
                return Err(Error::outcome_unknown(
                    format!(
                        "an invitation for {} may have been created, and looking it up failed: {e}",
                        asked.email
                    ),
                    Vec::new(),
                ));
            }
        };
        match looked {
            Looked::Ours(found) => return Ok(Some(*found)),
            // Another pending invitation of the address stops a create without
            // `ignore_existing`: it stopped this call's earlier attempts too, which therefore
            // made nothing (unless an attempt is known to have succeeded).
            Looked::Others { pending: true } if !asked.ignore_existing && why != Why::Executed => {
                return Ok(None);
            }
            Looked::Others { .. } => seen_others = true,
            Looked::Nothing => {}
        }
    }
    match why {
        // Not listed after every wait: taken as not made (and, ambiguous, sent again).
        Why::Ambiguous | Why::GivingUp => Ok(None),
        _ => Err(Error::outcome_unknown(
            format!(
                "the service says an invitation for {} exists{}, but its lists do not show one \
                 this call made, after waiting {:.1} s: look again later rather than create again",
                asked.email,
                if seen_others {
                    " (others of the address are listed)"
                } else {
                    ""
                },
                window.as_secs_f64()
            ),
            Vec::new(),
        )),
    }
}

/// The invitations of the address that exist before the call, when the call may create a
/// second one (`ignore_existing`): a retry tells them from this call's own.
async fn existing(clerk: &Clerk, asked: &Asked) -> Result<HashSet<String>> {
    if !asked.ignore_existing {
        return Ok(HashSet::new());
    }
    // Boxed: a list call's state is large, and the retry loop of every create that looks
    // before sending would carry it.
    let found = Box::pin(lookup(clerk, &asked.email, None)).await?;
    Ok(found
        .items
        .into_iter()
        .filter(|i| {
            matches!(
                i.status,
                InvitationStatus::Pending | InvitationStatus::Accepted
            )
        })
        .map(|i| i.id)
        .collect())
}

/// The pending invitation for `email` created since `sent_at` by this machine's clock (Unix
/// ms), if there is one: for the bulk engine's journal of addresses in doubt. `sent_at` is
/// carried onto the service's clock by the look-up's own `Date` (the offset between the two
/// clocks now), so a service whose clock is behind this machine's does not hide the invitation.
pub(crate) async fn find_created(
    clerk: &Clerk,
    email: &str,
    sent_at: i64,
) -> Result<Option<Response<Invitation>>> {
    let asked_at = crate::models::now_ms();
    let Found {
        items,
        status,
        headers,
    } = lookup(clerk, email, None).await?;
    let since = since_on_service_clock(sent_at, asked_at, &headers);
    Ok(items
        .into_iter()
        .filter(|i| {
            i.status == InvitationStatus::Pending
                && crate::address::same(&i.email_address, email)
                && i.created_at >= since
        })
        .max_by_key(|i| i.created_at)
        .map(|inv| Response::new(inv, status, headers)))
}

/// `sent_at` (this machine's clock, Unix ms) on the service's clock, by the offset an answer's
/// `Date` shows between the two at `asked_at`, less the `Date`'s resolution; without a `Date`,
/// `sent_at` less the skew allowance.
pub(crate) fn since_on_service_clock(sent_at: i64, asked_at: i64, headers: &HeaderMap) -> i64 {
    match service_now(headers) {
        Some(service) => sent_at
            .saturating_add(service.saturating_sub(asked_at))
            .saturating_sub(DATE_SLACK_MS),
        None => sent_at.saturating_sub(crate::models::CLOCK_SKEW_MS),
    }
}

/// `create-settled-by-lookup`, one invitation. With `ignore_existing`, the address's
/// invitations are listed first, so that a retry can tell them from this call's own.
pub(crate) async fn create_invitation(
    clerk: &Clerk,
    id: &'static str,
    asked: Asked,
    started: Started,
) -> Result<Operation<'static, Invitation>> {
    let before = existing(clerk, &asked).await?;
    let clerk = clerk.clone();
    Ok(Operation {
        id,
        idempotent: false,
        settled_by: Error::is_duplicate,
        settle: Some(Box::new(move |why| {
            let (clerk, asked, before) = (clerk.clone(), asked.clone(), before.clone());
            Box::pin(async move { settle_one(&clerk, &asked, started, &before, why).await })
        })),
    })
}

/// `create-settled-by-lookup`, a bulk request: all or nothing, so the earlier attempt counts
/// only if every invitation of it is found.
pub(crate) async fn create_invitations(
    clerk: &Clerk,
    id: &'static str,
    asked: Vec<Asked>,
    started: Started,
) -> Result<Operation<'static, Vec<Invitation>>> {
    let mut before = HashSet::new();
    for a in &asked {
        before.extend(existing(clerk, a).await?);
    }
    let clerk = clerk.clone();
    Ok(Operation {
        id,
        idempotent: false,
        settled_by: Error::is_duplicate,
        settle: Some(Box::new(move |why| {
            let (clerk, asked, before) = (clerk.clone(), asked.clone(), before.clone());
            Box::pin(async move {
                let mut found = Vec::with_capacity(asked.len());
                let mut last = None;
                for a in &asked {
                    match settle_one(&clerk, a, started, &before, why).await? {
                        Some(r) => {
                            last = Some((r.status(), r.headers().clone()));
                            found.push(r.into_value());
                        }
                        None if found.is_empty() => return Ok(None),
                        None => {
                            return Err(Error::outcome_unknown(
                                format!(
                                    "{} of the {} invitations of the bulk request were found; the request is all or nothing",
                                    found.len(),
                                    asked.len()
                                ),
                                found.into_iter().map(|i| i.id).collect(),
                            ));
                        }
                    }
                }
                Ok(last.map(|(status, headers)| Response::new(found, status, headers)))
            })
        })),
    })
}
