//! Application invitations: `clerk.invitations()`.

use crate::error::Result;
use crate::generated::types as raw;
use crate::models::{Invitation, InvitationStatus, TemplateSlug, status_param};
use crate::page::{DEFAULT_STREAM_PAGE_SIZE, Page, paginate};
use crate::request::{RequestOptions, execute, request_builder};
use crate::retry::{Operation, RetryPolicy};
use crate::transport::Response;
use crate::validate;
use crate::{Clerk, Error};
use futures_core::Stream;
use std::num::NonZeroU64;

impl Clerk {
    /// Application invitations: create, create in bulk, list, revoke.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let inv = clerk.invitations().create("someone@example.com").expires_in_days(7).await?;
    /// # Ok(()) }
    /// ```
    pub fn invitations(&self) -> Invitations {
        Invitations {
            clerk: self.clone(),
        }
    }
}

/// Application invitations. Made by [`Clerk::invitations`].
#[derive(Clone, Debug)]
pub struct Invitations {
    clerk: Clerk,
}

impl Invitations {
    /// `POST /invitations`: invites `email_address` to sign up.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let inv = clerk
    ///     .invitations()
    ///     .create("someone@example.com")
    ///     .public_metadata(serde_json::json!({"plan": "team"}))
    ///     .redirect_url("https://app.example.com/welcome")
    ///     .notify(false)
    ///     .send()
    ///     .await?;
    /// println!("accept link: {:?}", inv.url);
    /// # Ok(()) }
    /// ```
    pub fn create(&self, email_address: impl Into<String>) -> CreateInvitation {
        CreateInvitation {
            clerk: self.clerk.clone(),
            item: NewInvitation::new(email_address),
            opts: RequestOptions::default(),
        }
    }

    /// `POST /invitations/bulk`: creates 1 to 10 invitations at once, all or none.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// use clerk_invitations::NewInvitation;
    /// let created = clerk
    ///     .invitations()
    ///     .create_bulk([
    ///         NewInvitation::new("a@example.com"),
    ///         NewInvitation::new("b@example.com").expires_in_days(3),
    ///     ])
    ///     .await?;
    /// assert_eq!(created.len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn create_bulk(
        &self,
        invitations: impl IntoIterator<Item = NewInvitation>,
    ) -> CreateBulkInvitations {
        CreateBulkInvitations {
            clerk: self.clerk.clone(),
            items: invitations.into_iter().collect(),
            opts: RequestOptions::default(),
        }
    }

    /// `GET /invitations`: a page of invitations, or a stream of all of them.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// use clerk_invitations::InvitationStatus;
    /// let page = clerk
    ///     .invitations()
    ///     .list()
    ///     .status(InvitationStatus::Pending)
    ///     .order_by("-created_at")
    ///     .limit(50)
    ///     .await?;
    /// println!("{} of {:?}", page.data.len(), page.total_count);
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListInvitations {
        ListInvitations {
            clerk: self.clerk.clone(),
            statuses: Vec::new(),
            query: None,
            order_by: None,
            limit: None,
            offset: None,
            opts: RequestOptions::default(),
        }
    }

    /// `POST /invitations/{invitation_id}/revoke`: revokes a pending invitation.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let revoked = clerk.invitations().revoke("inv_123").await?;
    /// assert_eq!(revoked.status, clerk_invitations::InvitationStatus::Revoked);
    /// # Ok(()) }
    /// ```
    pub fn revoke(&self, invitation_id: impl Into<String>) -> RevokeInvitation {
        RevokeInvitation {
            clerk: self.clerk.clone(),
            invitation_id: invitation_id.into(),
            opts: RequestOptions::default(),
        }
    }
}

/// One application invitation to create: the fields of `POST /invitations`, also the items of
/// [`Invitations::create_bulk`].
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct NewInvitation {
    email_address: String,
    public_metadata: Option<serde_json::Value>,
    redirect_url: Option<String>,
    notify: Option<bool>,
    ignore_existing: Option<bool>,
    expires_in_days: Option<u32>,
    template_slug: Option<TemplateSlug>,
}

impl NewInvitation {
    /// An invitation for `email_address`, with the service's defaults for everything else.
    pub fn new(email_address: impl Into<String>) -> Self {
        NewInvitation {
            email_address: email_address.into(),
            public_metadata: None,
            redirect_url: None,
            notify: None,
            ignore_existing: None,
            expires_in_days: None,
            template_slug: None,
        }
    }

    /// The address the invitation goes to.
    pub fn email_address(&self) -> &str {
        &self.email_address
    }

    /// Metadata (a JSON object) that becomes the user's public metadata on sign-up.
    pub fn public_metadata(mut self, metadata: impl Into<serde_json::Value>) -> Self {
        self.public_metadata = Some(metadata.into());
        self
    }

    /// Where the invitation link leads (needed for a custom accept flow).
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }

    /// Whether Clerk emails the invitation (default `true`).
    pub fn notify(mut self, notify: bool) -> Self {
        self.notify = Some(notify);
        self
    }

    /// Create the invitation even when one exists for the address or the address belongs to a
    /// user (default `false`; the bulk endpoint still refuses existing users).
    pub fn ignore_existing(mut self, ignore: bool) -> Self {
        self.ignore_existing = Some(ignore);
        self
    }

    /// Days until the invitation expires, 1 to 365 (default 30).
    pub fn expires_in_days(mut self, days: u32) -> Self {
        self.expires_in_days = Some(days);
        self
    }

    /// The email template.
    pub fn template_slug(mut self, slug: TemplateSlug) -> Self {
        self.template_slug = Some(slug);
        self
    }

    fn checked(self, field: &str) -> Result<Checked> {
        validate::email(&format!("{field}email_address"), &self.email_address)?;
        let expires_in_days = self
            .expires_in_days
            .map(|d| {
                validate::in_range(
                    &format!("{field}expires_in_days"),
                    d,
                    validate::EXPIRES_IN_DAYS_RANGE,
                )
                .map(|()| nonzero(d))
            })
            .transpose()?;
        let public_metadata = self
            .public_metadata
            .map(|m| validate::metadata(&format!("{field}public_metadata"), m))
            .transpose()?;
        Ok(Checked {
            email_address: self.email_address,
            public_metadata,
            redirect_url: self.redirect_url,
            notify: self.notify,
            ignore_existing: self.ignore_existing,
            expires_in_days,
            template_slug: self.template_slug,
        })
    }
}

struct Checked {
    email_address: String,
    public_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    redirect_url: Option<String>,
    notify: Option<bool>,
    ignore_existing: Option<bool>,
    expires_in_days: Option<NonZeroU64>,
    template_slug: Option<TemplateSlug>,
}

pub(crate) fn nonzero(n: u32) -> NonZeroU64 {
    NonZeroU64::new(u64::from(n)).unwrap_or(NonZeroU64::MIN)
}

/// `POST /invitations`. Made by [`Invitations::create`]; send with `.send()` or `.await`.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct CreateInvitation {
    clerk: Clerk,
    item: NewInvitation,
    opts: RequestOptions,
}

impl CreateInvitation {
    /// Metadata (a JSON object) that becomes the user's public metadata on sign-up.
    pub fn public_metadata(mut self, metadata: impl Into<serde_json::Value>) -> Self {
        self.item = self.item.public_metadata(metadata);
        self
    }

    /// Where the invitation link leads (needed for a custom accept flow).
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.item = self.item.redirect_url(url);
        self
    }

    /// Whether Clerk emails the invitation (default `true`).
    pub fn notify(mut self, notify: bool) -> Self {
        self.item = self.item.notify(notify);
        self
    }

    /// Create the invitation even when one exists for the address, or the address belongs to
    /// a user (default `false`).
    pub fn ignore_existing(mut self, ignore: bool) -> Self {
        self.item = self.item.ignore_existing(ignore);
        self
    }

    /// Days until the invitation expires, 1 to 365 (default 30).
    pub fn expires_in_days(mut self, days: u32) -> Self {
        self.item = self.item.expires_in_days(days);
        self
    }

    /// The email template.
    pub fn template_slug(mut self, slug: TemplateSlug) -> Self {
        self.item = self.item.template_slug(slug);
        self
    }

    /// Sends the request; returns the invitation (with its accept `url`) and the HTTP status
    /// and headers.
    ///
    /// # Errors
    /// Invalid input (nothing sent): an empty or malformed email, `expires_in_days` outside
    /// 1..=365, metadata that is not a JSON object. From the service: `duplicate_record` (400)
    /// when an invitation exists, `form_identifier_exists` (422) when a user has the address.
    pub async fn send_with_http_info(self) -> Result<Response<Invitation>> {
        let c = self.item.checked("")?;
        let body = raw::CreateInvitationBody {
            email_address: c.email_address,
            expires_in_days: c.expires_in_days,
            // The generated field serializes `None` as `null`: send the documented defaults.
            ignore_existing: Some(c.ignore_existing.unwrap_or(false)),
            notify: Some(c.notify.unwrap_or(true)),
            public_metadata: c.public_metadata.unwrap_or_default(),
            redirect_url: c.redirect_url,
            template_slug: c.template_slug.map(Into::into),
        };
        let since = settle_horizon();
        let email = body.email_address.clone();
        let clerk = self.clerk.clone();
        let op = Operation {
            id: "create_invitation",
            idempotent: false,
            settled_by: Error::is_duplicate,
            settle: Some(Box::new(move || {
                let (clerk, email) = (clerk.clone(), email.clone());
                Box::pin(async move { find_created(&clerk, &email, since).await })
            })),
        };
        let req = self.clerk.inner.raw.create_invitation().body(body);
        execute(&self.clerk, &self.opts, op, || req.clone().send()).await
    }
}
request_builder!(CreateInvitation => Invitation);

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

/// `POST /invitations/bulk`. Made by [`Invitations::create_bulk`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct CreateBulkInvitations {
    clerk: Clerk,
    items: Vec<NewInvitation>,
    opts: RequestOptions,
}

impl CreateBulkInvitations {
    /// Sends the request; returns the created invitations with the HTTP status and headers.
    ///
    /// # Errors
    /// Invalid input (nothing sent): no invitations or more than 10, or any item breaking a
    /// rule of [`Invitations::create`] (the error names the item's index). From the service:
    /// the whole call fails when any address has an invitation or a user.
    pub async fn send_with_http_info(self) -> Result<Response<Vec<Invitation>>> {
        validate::bulk_size(self.items.len())?;
        let mut body = Vec::with_capacity(self.items.len());
        for (i, item) in self.items.into_iter().enumerate() {
            let c = item.checked(&format!("invitations[{i}]."))?;
            body.push(raw::CreateBulkInvitationsBodyItem {
                email_address: c.email_address,
                expires_in_days: c.expires_in_days,
                ignore_existing: Some(c.ignore_existing.unwrap_or(false)),
                notify: Some(c.notify.unwrap_or(true)),
                public_metadata: c.public_metadata,
                redirect_url: c.redirect_url,
                template_slug: c.template_slug.unwrap_or_default().into(),
            });
        }
        let since = settle_horizon();
        let emails: Vec<String> = body.iter().map(|i| i.email_address.clone()).collect();
        let clerk = self.clerk.clone();
        let op = Operation {
            id: "create_bulk_invitations",
            idempotent: false,
            settled_by: Error::is_duplicate,
            settle: Some(Box::new(move || {
                let (clerk, emails) = (clerk.clone(), emails.clone());
                Box::pin(async move {
                    // All or nothing: the earlier attempt counts only if every one exists.
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
            })),
        };
        let req = self.clerk.inner.raw.create_bulk_invitations().body(body);
        execute(&self.clerk, &self.opts, op, || req.clone().send()).await
    }
}
request_builder!(CreateBulkInvitations => Vec<Invitation>);

/// `GET /invitations`. Made by [`Invitations::list`]; `.send()`/`.await` gives one
/// [`Page`], [`stream`](ListInvitations::stream) every item.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent, awaited or streamed"]
pub struct ListInvitations {
    clerk: Clerk,
    statuses: Vec<InvitationStatus>,
    query: Option<String>,
    order_by: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
    opts: RequestOptions,
}

impl ListInvitations {
    /// Only invitations with this status; call again to add statuses (sent as repeated
    /// `status=` keys). Without a status filter the service leaves revoked invitations out.
    pub fn status(mut self, status: InvitationStatus) -> Self {
        self.statuses.push(status);
        self
    }

    /// Only invitations with one of these statuses.
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = InvitationStatus>) -> Self {
        self.statuses.extend(statuses);
        self
    }

    /// Only invitations whose email address or id matches `query`.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// Order: `created_at`, `email_address` or `expires_at`, prefixed with `-` for descending
    /// or `+` (the default) for ascending. The service's default is `-created_at`.
    pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
        self.order_by = Some(order_by.into());
        self
    }

    /// Page size, 1 to 500 (the service's default is 10).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Items to skip.
    pub fn offset(mut self, offset: u32) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Sends the request (with `paginated=true`); returns one page with the HTTP status and
    /// headers.
    ///
    /// # Errors
    /// Invalid input (nothing sent): `limit` outside 1..=500, an empty `order_by`, or a status
    /// filter the service does not know.
    pub async fn send_with_http_info(self) -> Result<Response<Page<Invitation>>> {
        let limit = check_limit(self.limit)?;
        if let Some(o) = &self.order_by {
            validate::non_empty("order_by", o)?;
        }
        let statuses = self
            .statuses
            .iter()
            .map(status_param::<raw::ListInvitationsStatusItem>)
            .collect::<Result<Vec<_>>>()?;
        let raw = &self.clerk.inner.raw;
        let mut req = raw.list_invitations().paginated(true);
        if !statuses.is_empty() {
            req = req.status(statuses);
        }
        if let Some(q) = self.query {
            req = req.query(q);
        }
        if let Some(o) = self.order_by {
            req = req.order_by(o);
        }
        if let Some(l) = limit {
            req = req.limit(nonzero(l));
        }
        if let Some(o) = self.offset {
            req = req.offset(u64::from(o));
        }
        let offset = u64::from(self.offset.unwrap_or(0));
        let op = Operation::idempotent("list_invitations");
        let response = execute(&self.clerk, &self.opts, op, || req.clone().send()).await?;
        Ok(response.map(|body| match body {
            crate::models::InvitationList::Page(p) => {
                Page::new(p.data, u64::try_from(p.total_count).ok(), offset)
            }
            crate::models::InvitationList::Array(items) => Page::new(items, None, offset),
        }))
    }

    /// Every matching invitation, fetched page by page (pages of `limit`, default 500) as the
    /// stream is polled. Stops after the last page.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let all: Vec<_> = clerk.invitations().list().stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn stream(self) -> impl Stream<Item = Result<Invitation>> + Send + 'static {
        let limit = self.limit.unwrap_or(DEFAULT_STREAM_PAGE_SIZE);
        let start = u64::from(self.offset.unwrap_or(0));
        paginate(start, limit, move |offset, limit| {
            let req = self.clone().limit(limit);
            async move { req.offset(offset_u32(offset)?).send().await }
        })
    }
}
request_builder!(ListInvitations => Page<Invitation>);

pub(crate) fn check_limit(limit: Option<u32>) -> Result<Option<u32>> {
    if let Some(l) = limit {
        validate::in_range("limit", l, validate::LIMIT_RANGE)?;
    }
    Ok(limit)
}

pub(crate) fn offset_u32(offset: u64) -> Result<u32> {
    u32::try_from(offset).map_err(|_| Error::invalid_input("offset is past 4294967295"))
}

/// `POST /invitations/{invitation_id}/revoke`. Made by [`Invitations::revoke`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct RevokeInvitation {
    clerk: Clerk,
    invitation_id: String,
    opts: RequestOptions,
}

impl RevokeInvitation {
    /// Sends the request; returns the revoked invitation with the HTTP status and headers.
    ///
    /// # Errors
    /// Invalid input (nothing sent): an empty id, `.` or `..`. From the service:
    /// `resource_not_found` (404), `invitation_already_revoked` or
    /// `invitation_already_accepted` (400).
    pub async fn send_with_http_info(self) -> Result<Response<Invitation>> {
        validate::path_id("invitation_id", &self.invitation_id)?;
        let clerk = self.clerk.clone();
        let id = self.invitation_id.clone();
        let op = Operation {
            id: "revoke_invitation",
            idempotent: true,
            settled_by: |e| e.has_code("invitation_already_revoked"),
            settle: Some(Box::new(move || {
                let (clerk, id) = (clerk.clone(), id.clone());
                Box::pin(async move { find_revoked(&clerk, &id).await })
            })),
        };
        let req = self
            .clerk
            .inner
            .raw
            .revoke_invitation()
            .invitation_id(self.invitation_id);
        execute(&self.clerk, &self.opts, op, || req.clone().send()).await
    }
}
request_builder!(RevokeInvitation => Invitation);

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
