//! Application invitations: create, create in bulk, list, revoke, delete.

use super::*;

pub(super) const APP_FIELDS: [&str; 7] = [
    "email_address",
    "public_metadata",
    "redirect_url",
    "notify",
    "ignore_existing",
    "expires_in_days",
    "template_slug",
];

pub(super) struct NewApp {
    pub(super) email: String,
    pub(super) metadata: Map<String, Value>,
    pub(super) notify: bool,
    pub(super) ignore_existing: bool,
    pub(super) days: Option<i64>,
}

pub(super) fn parse_app(v: &Value, prefix: String) -> Result<NewApp, Response> {
    let f = Fields::new(v, &APP_FIELDS, prefix)?;
    let email = f.email()?;
    let metadata = f.metadata("public_metadata")?;
    f.string("redirect_url")?;
    if let Some(slug) = f.string("template_slug")?
        && !crate::models::TemplateSlug::KNOWN.contains(&slug.as_str())
    {
        return Err(invalid(&f.name("template_slug")));
    }
    Ok(NewApp {
        email,
        metadata,
        notify: f.boolean("notify", true)?,
        ignore_existing: f.boolean("ignore_existing", false)?,
        days: f.expires_in_days()?,
    })
}

pub(super) fn duplicate(emails: &[String]) -> Response {
    let long = format!(
        "There are already pending invitations for the following email addresses: {}",
        emails.join(", ")
    );
    clerk_error(
        StatusCode::BAD_REQUEST,
        "duplicate_record",
        "duplicate record",
        &long,
        Some(json!({"email_addresses": emails})),
    )
}

pub(super) fn identifier_exists(param: &str) -> Response {
    clerk_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_identifier_exists",
        "That email address is taken. Please try another.",
        "That email address is taken. Please try another.",
        Some(json!({"param_name": param})),
    )
}

pub(super) fn has_live_invitation(s: &State, email: &str) -> bool {
    s.invitations_for(email).any(|i| {
        matches!(
            s.effective_status(&i.status, i.expires_at),
            "pending" | "accepted"
        )
    })
}

pub(super) fn store_app(s: &mut State, n: NewApp) -> StoredInvitation {
    s.create_invitation(n.email, n.metadata, n.days, n.notify)
}

pub(super) async fn create_invitation(
    AxState(shared): App,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let v = match json_body(&headers, body, true).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let n = match parse_app(&v, String::new()) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let mut s = shared.state();
    if !n.ignore_existing {
        if s.user_by_email(&n.email).is_some() {
            return identifier_exists("email_address");
        }
        if has_live_invitation(&s, &n.email) {
            return duplicate(std::slice::from_ref(&n.email));
        }
    }
    let inv = store_app(&mut s, n);
    ok(s.invitation_json(&inv, true))
}

pub(super) async fn create_bulk_invitations(
    AxState(shared): App,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let parsed = match bulk_items(&headers, body, parse_app).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut s = shared.state();
    // Existing users are refused even with ignore_existing.
    if let Some(i) = parsed
        .iter()
        .position(|n| s.user_by_email(&n.email).is_some())
    {
        return identifier_exists(&format!("[{i}].email_address"));
    }
    let mut dups: Vec<String> = Vec::new();
    for (i, n) in parsed.iter().enumerate() {
        let repeated = parsed[..i].iter().any(|p| p.email == n.email);
        if !n.ignore_existing
            && (repeated || has_live_invitation(&s, &n.email))
            && !dups.contains(&n.email)
        {
            dups.push(n.email.clone());
        }
    }
    if !dups.is_empty() {
        return duplicate(&dups);
    }
    let created: Vec<Value> = parsed
        .into_iter()
        .map(|n| {
            let inv = store_app(&mut s, n);
            s.invitation_json(&inv, true)
        })
        .collect();
    ok(Value::Array(created))
}

pub(super) async fn list_invitations(AxState(shared): App, RawQuery(raw): RawQuery) -> Response {
    let q = match parse_query(raw, &["created_at", "email_address", "expires_at"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let s = shared.state();
    let now = s.now_ms();
    let wanted = |inv: &StoredInvitation| {
        let status = status_at(&inv.status, inv.expires_at, now);
        let status_ok = if q.statuses.is_empty() {
            status != "revoked"
        } else {
            q.statuses.iter().any(|s| s == status)
        };
        status_ok
            && s.listed(inv.created_at)
            && q.query.as_ref().is_none_or(|needle| {
                inv.email_address.contains(needle.as_str()) || inv.id.to_lowercase() == *needle
            })
    };
    let (field, desc) = (q.order_by.0.as_str(), q.order_by.1);
    let (items, total) = if field == "created_at" {
        // The store is in creation order, ties in insertion order: walk it, keep the page.
        if desc {
            page_in_order(s.invitations.iter().rev().filter(|i| wanted(i)), &q)
        } else {
            page_in_order(s.invitations.iter().filter(|i| wanted(i)), &q)
        }
    } else {
        let items: Vec<(usize, &StoredInvitation)> = s
            .invitations
            .iter()
            .enumerate()
            .filter(|(_, inv)| wanted(inv))
            .collect();
        let (items, total) = page_sorted(items, &q, |a, b| {
            let primary = if field == "email_address" {
                compare(&a.1.email_address, &b.1.email_address, desc)
            } else {
                compare(a.1.expires_at, b.1.expires_at, desc)
            };
            primary.then_with(|| compare(a.0, b.0, desc))
        });
        (items.into_iter().map(|(_, inv)| inv).collect(), total)
    };
    let data: Vec<Value> = items
        .into_iter()
        .map(|inv| s.invitation_json(inv, false))
        .collect();
    if q.paginated {
        ok(json!({"data": data, "total_count": total}))
    } else {
        ok(Value::Array(data))
    }
}

pub(super) async fn revoke_invitation(AxState(shared): App, Path(id): Path<String>) -> Response {
    let mut s = shared.state();
    let now = s.now_ms();
    let Some(idx) = s.invitations.iter().position(|i| i.id == id) else {
        return not_found("invitation", &id);
    };
    match s.invitations[idx].status.as_str() {
        "revoked" => {
            return clerk_error(
                StatusCode::BAD_REQUEST,
                "invitation_already_revoked",
                "Invitation is already revoked.",
                "Invitation is already revoked.",
                None,
            );
        }
        "accepted" => {
            return clerk_error(
                StatusCode::BAD_REQUEST,
                "invitation_already_accepted",
                "Invitation is already accepted, try signing in instead.",
                "Invitation is already accepted, try signing in instead.",
                None,
            );
        }
        _ => {}
    }
    let inv = &mut s.invitations[idx];
    inv.status = "revoked".into();
    inv.updated_at = now;
    let inv = inv.clone();
    ok(s.invitation_json(&inv, false))
}

/// `DELETE /invitations/{id}`: the invitation, in any status, is deleted for good; an unknown
/// (or already deleted) id is 404.
pub(super) async fn delete_invitation(AxState(shared): App, Path(id): Path<String>) -> Response {
    match shared.state().delete_invitation(&id) {
        Some(inv) => ok(json!({"object": "invitation", "id": inv.id, "deleted": true})),
        None => not_found("invitation", &id),
    }
}
