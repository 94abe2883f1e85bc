//! `organization-create`: an organization invitation's create, told apart as new or already
//! there, and found after an ambiguous failure.

use super::*;

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
            match pending_organization_invitation(clerk, asked).await {
                Ok(Some(found)) => found,
                _ => return Err(e),
            }
        }
        // A lost answer, then an error that says "not executed": the invitation is looked for,
        // as a repeated create would have answered it.
        Err(e) if e.may_have_taken_effect() && !e.is_outcome_unknown() => {
            match pending_organization_invitation(clerk, asked).await {
                Ok(Some(found)) => found,
                Ok(None) => return Err(e),
                // The last answer already says "maybe executed".
                Err(_) if !e.says_not_executed() => return Err(e),
                Err(lookup) => {
                    return Err(Error::outcome_unknown(
                        format!(
                            "an earlier attempt may have created the invitation of {}, and looking for it failed ({lookup}); the last answer was: {e}",
                            asked.email
                        ),
                        Vec::new(),
                    ));
                }
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

/// The pending invitation of `asked.email` in the organization, if there is one. No status
/// filter is sent (see [`lookup`]); the statuses are told apart here.
async fn pending_organization_invitation(
    clerk: &Clerk,
    asked: &OrgAsked,
) -> Result<Option<Response<OrganizationInvitation>>> {
    let page = clerk
        .organization(asked.organization_id.clone())
        .invitations()
        .list()
        .email_address(asked.email.clone())
        .limit(*crate::validate::LIMIT_RANGE.end())
        .with_retry(lookup_policy())
        .send_with_http_info()
        .await?;
    let (status, headers) = (page.status(), page.headers().clone());
    Ok(page
        .into_value()
        .data
        .into_iter()
        .find(|i| {
            i.status == InvitationStatus::Pending
                && crate::address::same(&i.email_address, &asked.email)
        })
        .map(|inv| Response::new(inv, status, headers)))
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
        .unwrap_or_else(|| started.local_horizon());
    response.map(|inv| {
        let existed = known_existing || inv.created_at < before;
        let role_applied = inv.role == asked.role;
        let metadata_applied = inv.public_metadata == object_or_empty(&asked.public_metadata)
            && inv.private_metadata == object_or_empty(&asked.private_metadata);
        crate::Created::new(inv, existed, role_applied, metadata_applied)
    })
}
