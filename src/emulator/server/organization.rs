//! Organization invitations: create, create in bulk, list, get, revoke.

use super::*;

pub(super) const ORG_FIELDS: [&str; 8] = [
    "email_address",
    "role",
    "inviter_user_id",
    "public_metadata",
    "private_metadata",
    "redirect_url",
    "expires_in_days",
    "notify",
];

pub(super) struct NewOrg {
    pub(super) email: String,
    pub(super) role: String,
    pub(super) inviter: Option<String>,
    pub(super) public: Map<String, Value>,
    pub(super) private: Map<String, Value>,
    pub(super) days: Option<i64>,
}

pub(super) fn parse_org(v: &Value, prefix: String) -> Result<NewOrg, Response> {
    let f = Fields::new(v, &ORG_FIELDS, prefix)?;
    let n = NewOrg {
        email: f.email()?,
        role: f.required_string("role")?,
        inviter: f.string("inviter_user_id")?,
        public: f.metadata("public_metadata")?,
        private: f.metadata("private_metadata")?,
        days: f.expires_in_days()?,
    };
    f.string("redirect_url")?;
    f.boolean("notify", true)?;
    Ok(n)
}

pub(super) fn forbidden(code: &str, short: &str, long: &str, meta: Option<Value>) -> Response {
    clerk_error(StatusCode::FORBIDDEN, code, short, long, meta)
}

/// The acting user (inviter or revoker) must be a member allowed to manage members.
pub(super) fn check_actor(s: &State, org: &str, user: Option<&str>) -> Result<(), Response> {
    let Some(user) = user else { return Ok(()) };
    let o = &s.organizations[org];
    let Some(role) = o.members.get(user) else {
        return Err(forbidden(
            "not_a_member_in_organization",
            "not a member",
            "Current user is not a member of the organization. Only organization members can perform this action.",
            None,
        ));
    };
    if !o.roles.get(role).copied().unwrap_or(false) {
        return Err(forbidden(
            "missing_organization_permission",
            "missing permission",
            "Current user is missing an organization permission.",
            Some(json!({"permissions": ["org:sys_memberships:manage"]})),
        ));
    }
    Ok(())
}

pub(super) fn pending_org_invitation(s: &State, org: &str, email: &str) -> Option<usize> {
    s.org_invitations_for(org, email).find(|&idx| {
        let i = &s.org_invitations[idx];
        s.effective_status(&i.status, i.expires_at) == "pending"
    })
}

/// Pending invitations of an organization.
pub(super) fn pending_in(s: &State, org: &str) -> usize {
    s.org_invitations
        .iter()
        .filter(|i| {
            i.organization_id == org && s.effective_status(&i.status, i.expires_at) == "pending"
        })
        .count()
}

/// Checks one organization invitation; `Ok(Some(idx))` when a pending one exists already.
pub(super) fn check_org_invite(
    s: &State,
    org: &str,
    n: &NewOrg,
    extra_pending: usize,
) -> Result<Option<usize>, Response> {
    let o = &s.organizations[org];
    if !o.roles.contains_key(&n.role) {
        return Err(clerk_error(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            "Organization role not found",
            Some(json!({"param_name": "role"})),
        ));
    }
    check_actor(s, org, n.inviter.as_deref())?;
    if let Some(user) = s.user_by_email(&n.email)
        && o.members.contains_key(&user.id)
    {
        return Err(clerk_error(
            StatusCode::BAD_REQUEST,
            "already_a_member_in_organization",
            "already a member",
            &format!("{} is already a member of the organization.", n.email),
            None,
        ));
    }
    if let Some(idx) = pending_org_invitation(s, org, &n.email) {
        return Ok(Some(idx));
    }
    if let Some(max) = o.max_memberships {
        let pending = pending_in(s, org);
        if o.members.len() + pending + extra_pending >= max as usize {
            return Err(forbidden(
                "organization_membership_quota_exceeded",
                "organization membership quota exceeded",
                &format!(
                    "You have reached your limit of {max} organization memberships, including outstanding invitations."
                ),
                None,
            ));
        }
    }
    if let Some(seats) = o.seats
        && o.members.len() + pending_in(s, org) + extra_pending >= seats as usize
    {
        return Err(clerk_error(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_seats",
            "Insufficient seats",
            "You have reached the seat limit for your current plan.",
            Some(json!({"seats_quantity": seats})),
        ));
    }
    Ok(None)
}

/// Stores a new organization invitation and announces it to the webhook endpoints.
pub(super) fn store_org(
    shared: &Shared,
    s: &mut State,
    org: &str,
    n: NewOrg,
) -> StoredOrganizationInvitation {
    let now = s.creation_time();
    let inv = StoredOrganizationInvitation {
        id: s.new_id("orginv_"),
        organization_id: org.to_string(),
        email_address: n.email,
        role: n.role,
        inviter_id: n.inviter,
        status: "pending".into(),
        public_metadata: n.public,
        private_metadata: n.private,
        expires_at: s.expiry(now, n.days),
        created_at: now,
        updated_at: now,
    };
    s.push_org_invitation(inv.clone());
    shared
        .webhooks
        .organization_invitation(s, "organizationInvitation.created", &inv, None);
    inv
}

pub(super) async fn create_org_invitation(
    AxState(shared): App,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !shared.state().organizations.contains_key(&org) {
        return not_found("organization", &org);
    }
    let v = match json_body(&headers, body, true).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let n = match parse_org(&v, String::new()) {
        Ok(n) => n,
        Err(r) => return r,
    };
    // Organizations are never removed: the check before parsing still holds.
    let mut s = shared.state();
    match check_org_invite(&s, &org, &n, 0) {
        Err(r) => r,
        Ok(Some(existing)) => {
            // A second invitation to a pending address returns the existing one.
            let inv = s.org_invitations[existing].clone();
            ok(s.org_invitation_json(&inv, false))
        }
        Ok(None) => {
            let inv = store_org(&shared, &mut s, &org, n);
            ok(s.org_invitation_json(&inv, false))
        }
    }
}

pub(super) async fn create_org_invitation_bulk(
    AxState(shared): App,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !shared.state().organizations.contains_key(&org) {
        return not_found("organization", &org);
    }
    let parsed = match bulk_items(&headers, body, parse_org).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut s = shared.state();
    let mut plan = Vec::with_capacity(parsed.len());
    let mut new_count = 0;
    for n in &parsed {
        match check_org_invite(&s, &org, n, new_count) {
            Err(r) => return r,
            Ok(existing) => {
                if existing.is_none() {
                    new_count += 1;
                }
                plan.push(existing);
            }
        }
    }
    let mut data = Vec::with_capacity(parsed.len());
    // As the service counts it: the invitations created, not those already pending.
    let mut created = 0;
    for (n, existing) in parsed.into_iter().zip(plan) {
        let inv = match existing.or_else(|| pending_org_invitation(&s, &org, &n.email)) {
            Some(idx) => s.org_invitations[idx].clone(),
            None => {
                created += 1;
                store_org(&shared, &mut s, &org, n)
            }
        };
        data.push(s.org_invitation_json(&inv, false));
    }
    ok(json!({"data": data, "total_count": created}))
}

pub(super) fn org_list(
    s: &State,
    q: &ListQuery,
    filter: impl Fn(&StoredOrganizationInvitation) -> bool,
    with_org: bool,
) -> Response {
    let now = s.now_ms();
    let items: Vec<(usize, &StoredOrganizationInvitation)> = s
        .org_invitations
        .iter()
        .enumerate()
        .filter(|(_, inv)| {
            let status = status_at(&inv.status, inv.expires_at, now);
            (q.statuses.is_empty() || q.statuses.iter().any(|s| s == status))
                && q.email_address
                    .as_ref()
                    .is_none_or(|e| &inv.email_address == e)
                && q.query
                    .as_ref()
                    .is_none_or(|needle| inv.email_address.contains(needle.as_str()))
                && s.listed(inv.created_at)
                && filter(inv)
        })
        .collect();
    let desc = q.order_by.1;
    let (items, total) = page_sorted(items, q, |a, b| {
        let primary = if q.order_by.0 == "email_address" {
            compare(&a.1.email_address, &b.1.email_address, desc)
        } else {
            compare(a.1.created_at, b.1.created_at, desc)
        };
        primary.then_with(|| compare(a.0, b.0, desc))
    });
    let data: Vec<Value> = items
        .into_iter()
        .map(|(_, inv)| s.org_invitation_json(inv, with_org))
        .collect();
    ok(json!({"data": data, "total_count": total}))
}

pub(super) async fn list_org_invitations(
    AxState(shared): App,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = match parse_query(raw, &["created_at", "email_address"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let s = shared.state();
    if !s.organizations.contains_key(&org) {
        return not_found("organization", &org);
    }
    org_list(&s, &q, |i| i.organization_id == org, false)
}

pub(super) async fn list_pending_org_invitations(
    AxState(shared): App,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut q = match parse_query(raw, &["created_at"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    q.statuses = vec!["pending".into()];
    q.email_address = None;
    q.query = None;
    let s = shared.state();
    if !s.organizations.contains_key(&org) {
        return not_found("organization", &org);
    }
    org_list(&s, &q, |i| i.organization_id == org, false)
}

pub(super) async fn list_instance_org_invitations(
    AxState(shared): App,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut q = match parse_query(raw, &["created_at", "email_address"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    q.email_address = None;
    let s = shared.state();
    org_list(&s, &q, |_| true, true)
}

pub(super) async fn list_user_org_invitations(
    AxState(shared): App,
    Path(user): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut q = match parse_query(raw, &["created_at"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    if q.statuses.len() > 1 {
        return param_error(
            "form_param_value_invalid",
            "status",
            "status is invalid. Only one of the following parameter values is allowed: pending, accepted, revoked, expired".into(),
        );
    }
    let s = shared.state();
    let Some(email) = s.user(&user).map(|u| u.email.clone()) else {
        return not_found("user", &user);
    };
    q.query = None;
    q.email_address = Some(email);
    org_list(&s, &q, |_| true, true)
}

pub(super) async fn get_org_invitation(
    AxState(shared): App,
    Path((org, id)): Path<(String, String)>,
) -> Response {
    let s = shared.state();
    if !s.organizations.contains_key(&org) {
        return not_found("organization", &org);
    }
    match s
        .org_invitations
        .iter()
        .find(|i| i.id == id && i.organization_id == org)
    {
        Some(inv) => ok(s.org_invitation_json(inv, false)),
        None => not_found("organization invitation", &id),
    }
}

pub(super) async fn revoke_org_invitation(
    AxState(shared): App,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !shared.state().organizations.contains_key(&org) {
        return not_found("organization", &org);
    }
    let v = match json_body(&headers, body, false).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let requester = match Fields::new(&v, &["requesting_user_id"], String::new())
        .and_then(|f| f.string("requesting_user_id"))
    {
        Ok(r) => r,
        Err(r) => return r,
    };
    // Organizations are never removed: the check before parsing still holds.
    let mut s = shared.state();
    if let Err(r) = check_actor(&s, &org, requester.as_deref()) {
        return r;
    }
    let now = s.now_ms();
    let idx = s.org_invitations.iter().position(|i| {
        i.id == id
            && i.organization_id == org
            && s.effective_status(&i.status, i.expires_at) == "pending"
    });
    let Some(idx) = idx else {
        return clerk_error(
            StatusCode::NOT_FOUND,
            "organization_invitation_not_pending",
            "not pending",
            "The organization invitation is not in the 'pending' status.",
            None,
        );
    };
    let inv = &mut s.org_invitations[idx];
    inv.status = "revoked".into();
    inv.updated_at = now;
    let inv = inv.clone();
    shared
        .webhooks
        .organization_invitation(&s, "organizationInvitation.revoked", &inv, None);
    ok(s.org_invitation_json(&inv, false))
}
