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

/// The look-ups made while settling an ambiguous failure: a few quick attempts.
pub(crate) fn lookup_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .deadline(Some(std::time::Duration::from_secs(30)))
}

/// One settling look-up: application invitations whose address or id matches `query`, in
/// `statuses`, a full page, with a few quick retries of its own.
async fn lookup<const N: usize>(
    clerk: &Clerk,
    query: &str,
    statuses: [InvitationStatus; N],
) -> Result<Response<crate::Page<Invitation>>> {
    clerk
        .invitations()
        .list()
        .query(query)
        .statuses(statuses)
        .limit(*crate::validate::LIMIT_RANGE.end())
        .with_retry(lookup_policy())
        .send_with_http_info()
        .await
}

/// Waits before each look-up while an invitation an earlier attempt made may not be listed yet
/// (the service's lists can lag behind its writes): about 15 s in all.
const LOOKUP_WAITS_MS: [u64; 6] = [0, 500, 1_000, 2_000, 4_000, 8_000];

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
    /// `Date`'s resolution. Without a `Date`, this machine's clock less a minute for skew.
    pub(crate) fn horizon(&self, headers: &HeaderMap) -> i64 {
        self.service_start(headers)
            .map(|start| start.saturating_sub(DATE_SLACK_MS))
            .unwrap_or_else(|| {
                let elapsed = i64::try_from(self.0.elapsed().as_millis()).unwrap_or(i64::MAX);
                crate::models::now_ms()
                    .saturating_sub(elapsed)
                    .saturating_sub(crate::models::CLOCK_SKEW_MS)
            })
    }

    /// A lower bound of the service's time at the start of the call: a later answer's `Date`
    /// (rounded down to the second, so never ahead of the service's clock) less the time
    /// elapsed since. Anything the service stamped before it was there before the call.
    pub(crate) fn service_start(&self, headers: &HeaderMap) -> Option<i64> {
        let elapsed = i64::try_from(self.0.elapsed().as_millis()).unwrap_or(i64::MAX);
        let service_now = headers
            .get(http::header::DATE)
            .and_then(|d| d.to_str().ok())
            .and_then(|d| httpdate::parse_http_date(d).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_millis()).ok());
        service_now.map(|now| now.saturating_sub(elapsed))
    }
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
        inv.email_address
            .trim()
            .eq_ignore_ascii_case(self.email.trim())
            && inv.public_metadata == wanted
    }
}

/// What one look-up for an address showed.
enum Looked {
    /// This call's invitation.
    Ours(Box<Response<Invitation>>),
    /// Invitations of the address, none of them this call's (they existed before it, or ask
    /// for something else).
    Others,
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
    let response = lookup(
        clerk,
        &asked.email,
        [InvitationStatus::Pending, InvitationStatus::Accepted],
    )
    .await?;
    let horizon = started.horizon(response.headers());
    let (status, headers) = (response.status(), response.headers().clone());
    let same: Vec<Invitation> = response
        .into_value()
        .data
        .into_iter()
        .filter(|i| {
            i.email_address
                .trim()
                .eq_ignore_ascii_case(asked.email.trim())
        })
        .collect();
    if same.is_empty() {
        return Ok(Looked::Nothing);
    }
    let mut ours: Vec<Invitation> = same
        .into_iter()
        .filter(|i| {
            i.status == InvitationStatus::Pending
                && !before.contains(&i.id)
                && i.created_at >= horizon
                && asked.matches(i)
        })
        .collect();
    match ours.len() {
        0 => Ok(Looked::Others),
        1 => Ok(Looked::Ours(Box::new(Response::new(
            ours.remove(0),
            status,
            headers,
        )))),
        _ => Err(Error::outcome_unknown(
            format!(
                "{} invitations for {} could each be the one this call created",
                ours.len(),
                asked.email
            ),
            ours.into_iter().map(|i| i.id).collect(),
        )),
    }
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
    let mut seen_others = false;
    for wait in LOOKUP_WAITS_MS {
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let looked = match look(clerk, asked, started, before).await {
            Ok(looked) => looked,
            Err(e) if e.is_outcome_unknown() || why != Why::Met => return Err(e),
            // The invitation exists (or an answer arrived for it), and it cannot be looked up.
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
            // A retry refused as a duplicate because of another invitation of the address:
            // that one stopped this call's first attempt too, which therefore made nothing.
            Looked::Others if why == Why::Met && !asked.ignore_existing => return Ok(None),
            Looked::Others => seen_others = true,
            Looked::Nothing => {}
        }
    }
    match why {
        // Not listed after every wait: taken as not made, and sent again.
        Why::Ambiguous => Ok(None),
        _ => Err(Error::outcome_unknown(
            format!(
                "the service says an invitation for {} exists{}, but its lists do not show one \
                 this call made, after waiting {} s: look again later rather than create again",
                asked.email,
                if seen_others {
                    " (others of the address are listed)"
                } else {
                    ""
                },
                LOOKUP_WAITS_MS.iter().sum::<u64>() / 1000
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
    let page = Box::pin(lookup(
        clerk,
        &asked.email,
        [InvitationStatus::Pending, InvitationStatus::Accepted],
    ))
    .await?;
    Ok(page.into_value().data.into_iter().map(|i| i.id).collect())
}

/// The pending invitation for `email` created since `since` (service time, Unix ms), if there
/// is one: for the bulk engine's journal of addresses in doubt.
pub(crate) async fn find_created(
    clerk: &Clerk,
    email: &str,
    since: i64,
) -> Result<Option<Response<Invitation>>> {
    let response = lookup(clerk, email, [InvitationStatus::Pending]).await?;
    let (status, headers) = (response.status(), response.headers().clone());
    Ok(response
        .into_value()
        .data
        .into_iter()
        .filter(|i| {
            i.email_address.trim().eq_ignore_ascii_case(email.trim()) && i.created_at >= since
        })
        .max_by_key(|i| i.created_at)
        .map(|inv| Response::new(inv, status, headers)))
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

/// What an organization create asked for.
#[derive(Clone, Debug)]
pub(crate) struct OrgAsked {
    pub(crate) organization_id: String,
    pub(crate) email: String,
    pub(crate) role: String,
    pub(crate) public_metadata: Option<serde_json::Value>,
    pub(crate) private_metadata: Option<serde_json::Value>,
}

fn object_or_empty(v: &Option<serde_json::Value>) -> serde_json::Map<String, serde_json::Value> {
    match v {
        Some(serde_json::Value::Object(m)) => m.clone(),
        _ => serde_json::Map::new(),
    }
}

/// `organization-create`: the answer, or after `organization_invitation_not_unique` (two
/// creates for the address raced) the pending invitation of the address, told apart as new or
/// existing, with whether what was asked was applied.
pub(crate) async fn organization_created(
    clerk: &Clerk,
    result: Result<Response<OrganizationInvitation>>,
    started: Started,
    asked: &OrgAsked,
) -> Result<Response<crate::Created<OrganizationInvitation>>> {
    // Known to exist already: the service refused a second one.
    let mut known_existing = false;
    let response = match result {
        Ok(r) => r,
        Err(e) if e.has_code(crate::ErrorCode::OrganizationInvitationNotUnique) => {
            known_existing = true;
            let Ok(page) = clerk
                .organization(asked.organization_id.clone())
                .invitations()
                .list()
                .email_address(asked.email.clone())
                .status(InvitationStatus::Pending)
                .with_retry(lookup_policy())
                .send_with_http_info()
                .await
            else {
                return Err(e);
            };
            let (status, headers) = (page.status(), page.headers().clone());
            match page.into_value().data.into_iter().next() {
                Some(inv) => Response::new(inv, status, headers),
                None => return Err(e),
            }
        }
        Err(e) => return Err(e),
    };
    Ok(organization_answered(
        response,
        started,
        known_existing,
        asked,
    ))
}

/// An organization create's answer, told apart as new or already there (`known_existing`: the
/// service refused a second one).
pub(crate) fn organization_answered(
    response: Response<OrganizationInvitation>,
    started: Started,
    known_existing: bool,
    asked: &OrgAsked,
) -> Response<crate::Created<OrganizationInvitation>> {
    // Stamped before the call began, by the service's clock: it was there before. Without a
    // `Date`, this machine's clock less the skew allowance.
    let before = started
        .service_start(response.headers())
        .unwrap_or_else(|| started.horizon(response.headers()));
    response.map(|inv| {
        let existed = known_existing || inv.created_at < before;
        let role_applied = inv.role == asked.role;
        let metadata_applied = inv.public_metadata == object_or_empty(&asked.public_metadata)
            && inv.private_metadata == object_or_empty(&asked.private_metadata);
        crate::Created::new(inv, existed, role_applied, metadata_applied)
    })
}

/// `revoke-invitation`: a retry that meets "already revoked" finds the revoked invitation.
pub(crate) fn revoke_invitation(
    clerk: &Clerk,
    id: &'static str,
    invitation_id: String,
) -> Operation<'static, Invitation> {
    let clerk = clerk.clone();
    Operation {
        id,
        idempotent: true,
        settled_by: |e| e.has_code("invitation_already_revoked"),
        settle: Some(Box::new(move |_| {
            let (clerk, invitation_id) = (clerk.clone(), invitation_id.clone());
            Box::pin(async move { find_revoked(&clerk, &invitation_id).await })
        })),
    }
}

/// The revoked invitation with this id, if it is revoked.
async fn find_revoked(clerk: &Clerk, id: &str) -> Result<Option<Response<Invitation>>> {
    let response = lookup(clerk, id, [InvitationStatus::Revoked]).await?;
    let (status, headers) = (response.status(), response.headers().clone());
    Ok(response
        .into_value()
        .data
        .into_iter()
        .find(|i| i.id == id)
        .map(|inv| Response::new(inv, status, headers)))
}

/// `revoke-organization-invitation`: a retry of a revoke that took effect finds the invitation
/// no longer pending; it is read back and returned if it is revoked.
pub(crate) fn revoke_organization_invitation(
    clerk: &Clerk,
    id: &'static str,
    organization_id: String,
    invitation_id: String,
) -> Operation<'static, OrganizationInvitation> {
    let clerk = clerk.clone();
    Operation {
        id,
        idempotent: true,
        settled_by: |e| e.has_code("organization_invitation_not_pending"),
        settle: Some(Box::new(move |_| {
            let (clerk, org, id) = (
                clerk.clone(),
                organization_id.clone(),
                invitation_id.clone(),
            );
            Box::pin(async move {
                let found = clerk
                    .organization(org)
                    .invitations()
                    .get(id)
                    .with_retry(lookup_policy())
                    .send_with_http_info()
                    .await?;
                Ok((found.value().status == InvitationStatus::Revoked).then_some(found))
            })
        })),
    }
}

#[allow(dead_code)] // used by operations whose `x-facade.retry` is `delete`
/// `delete`: idempotent; a retry that meets `resource_not_found` after an ambiguous failure
/// reports the record as already gone.
pub(crate) fn delete<T: Send + 'static>(
    id: &'static str,
    deleted_id: String,
) -> Operation<'static, crate::Deleted<T>> {
    Operation {
        id,
        idempotent: true,
        settled_by: |e| e.status() == Some(404) && e.has_code("resource_not_found"),
        settle: Some(Box::new(move |_| {
            let deleted_id = deleted_id.clone();
            Box::pin(async move {
                Ok(Some(Response::new(
                    crate::Deleted::gone(&deleted_id),
                    404,
                    http::HeaderMap::new(),
                )))
            })
        })),
    }
}
