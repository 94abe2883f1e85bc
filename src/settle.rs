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
use crate::retry::{Operation, RetryPolicy};
use crate::transport::Response;
use crate::{Clerk, Error};

/// How far back (client clock, Unix ms) an invitation found after an ambiguous failure may have
/// been created to count as this call's: the call's start, less a minute for clock skew.
fn settle_horizon() -> i64 {
    crate::models::now_ms().saturating_sub(crate::models::CLOCK_SKEW_MS)
}

/// The look-ups made while settling an ambiguous failure: a few quick attempts.
pub(crate) fn lookup_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .deadline(Some(std::time::Duration::from_secs(30)))
}

/// The pending invitation for `email` created since `since`, if there is one.
pub(crate) async fn find_created(
    clerk: &Clerk,
    email: &str,
    since: i64,
) -> Result<Option<Response<Invitation>>> {
    let response = clerk
        .invitations()
        .list()
        .query(email)
        .status(InvitationStatus::Pending)
        .limit(*crate::validate::LIMIT_RANGE.end())
        .with_retry(lookup_policy())
        .send_with_http_info()
        .await?;
    let (status, headers) = (response.status(), response.headers().clone());
    let wanted = email.to_lowercase();
    Ok(response
        .into_value()
        .data
        .into_iter()
        .filter(|i| i.email_address.to_lowercase() == wanted && i.created_at >= since)
        .max_by_key(|i| i.created_at)
        .map(|inv| Response::new(inv, status, headers)))
}

/// A create settled by looking for what an earlier attempt made: `find(clerk, key, since)`.
fn settled_create<K, T, F, Fut>(
    clerk: &Clerk,
    id: &'static str,
    key: K,
    find: F,
) -> Operation<'static, T>
where
    K: Clone + Send + Sync + 'static,
    F: Fn(Clerk, K, i64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Option<Response<T>>>> + Send + 'static,
{
    let since = settle_horizon();
    let clerk = clerk.clone();
    Operation {
        id,
        idempotent: false,
        settled_by: Error::is_duplicate,
        settle: Some(Box::new(move || {
            Box::pin(find(clerk.clone(), key.clone(), since))
        })),
    }
}

/// `create-settled-by-lookup`, one invitation.
pub(crate) fn create_invitation(
    clerk: &Clerk,
    id: &'static str,
    email: String,
) -> Operation<'static, Invitation> {
    settled_create(clerk, id, email, |clerk, email, since| async move {
        find_created(&clerk, &email, since).await
    })
}

/// `create-settled-by-lookup`, a bulk request: all or nothing, so the earlier attempt counts
/// only if every invitation exists.
pub(crate) fn create_invitations(
    clerk: &Clerk,
    id: &'static str,
    emails: Vec<String>,
) -> Operation<'static, Vec<Invitation>> {
    settled_create(clerk, id, emails, |clerk, emails, since| async move {
        let mut found = Vec::with_capacity(emails.len());
        let mut last = None;
        for email in &emails {
            let Some(r) = find_created(&clerk, email, since).await? else {
                return Ok(None);
            };
            last = Some((r.status(), r.headers().clone()));
            found.push(r.into_value());
        }
        Ok(last.map(|(status, headers)| Response::new(found, status, headers)))
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
        settle: Some(Box::new(move || {
            let (clerk, invitation_id) = (clerk.clone(), invitation_id.clone());
            Box::pin(async move { find_revoked(&clerk, &invitation_id).await })
        })),
    }
}

/// The revoked invitation with this id, if it is revoked.
async fn find_revoked(clerk: &Clerk, id: &str) -> Result<Option<Response<Invitation>>> {
    let response = clerk
        .invitations()
        .list()
        .query(id)
        .status(InvitationStatus::Revoked)
        .with_retry(lookup_policy())
        .send_with_http_info()
        .await?;
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
        settle: Some(Box::new(move || {
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
        settle: Some(Box::new(move || {
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
