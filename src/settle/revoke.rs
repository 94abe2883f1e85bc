//! `revoke-invitation`, `revoke-organization-invitation` and `delete`: a retry that meets
//! "already revoked", "not pending" or "not found" after an ambiguous failure is settled by
//! reading back.

use super::*;

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
    let Found {
        items,
        status,
        headers,
    } = lookup(clerk, id, Some(InvitationStatus::Revoked)).await?;
    Ok(items
        .into_iter()
        .find(|i| i.id == id && i.status == InvitationStatus::Revoked)
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
        settle: Some(Box::new(move |why| {
            let deleted_id = deleted_id.clone();
            Box::pin(async move {
                // Only a 404 met by a retry says an earlier attempt deleted it; a call giving
                // up has nothing it can read back, and its error says "maybe executed".
                Ok((why == Why::Met).then(|| {
                    Response::new(
                        crate::Deleted::gone(&deleted_id),
                        404,
                        http::HeaderMap::new(),
                    )
                }))
            })
        })),
    }
}
