//! Organization invitations: `clerk.organization(id).invitations()`,
//! `clerk.organization_invitations()` and `clerk.user(id).organization_invitations()`.

use crate::error::Result;
use crate::generated::types as raw;
use crate::invitations::{check_limit, nonzero, offset_u32};
use crate::models::{
    InvitationStatus, OrganizationInvitation, OrganizationInvitationWithPublicOrganizationData,
    status_param,
};
use crate::page::{DEFAULT_STREAM_PAGE_SIZE, Page, paginate};
use crate::request::{RequestOptions, execute, request_builder};
use crate::retry::Operation;
use crate::transport::Response;
use crate::validate;
use crate::{Clerk, Error};
use futures_core::Stream;

impl Clerk {
    /// One organization, by id: `clerk.organization("org_…").invitations()`.
    pub fn organization(&self, organization_id: impl Into<String>) -> Organization {
        Organization {
            clerk: self.clone(),
            organization_id: organization_id.into(),
        }
    }

    /// Organization invitations across every organization of the instance.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let page = clerk.organization_invitations().list().query("example.com").await?;
    /// # Ok(()) }
    /// ```
    pub fn organization_invitations(&self) -> InstanceOrganizationInvitations {
        InstanceOrganizationInvitations {
            clerk: self.clone(),
        }
    }

    /// One user, by id: `clerk.user("user_…").organization_invitations()`.
    pub fn user(&self, user_id: impl Into<String>) -> User {
        User {
            clerk: self.clone(),
            user_id: user_id.into(),
        }
    }
}

/// An organization. Made by [`Clerk::organization`].
#[derive(Clone, Debug)]
pub struct Organization {
    clerk: Clerk,
    organization_id: String,
}

impl Organization {
    /// The organization's invitations.
    pub fn invitations(&self) -> OrganizationInvitations {
        OrganizationInvitations {
            clerk: self.clerk.clone(),
            organization_id: self.organization_id.clone(),
        }
    }
}

/// A user. Made by [`Clerk::user`].
#[derive(Clone, Debug)]
pub struct User {
    clerk: Clerk,
    user_id: String,
}

impl User {
    /// The organization invitations sent to this user.
    pub fn organization_invitations(&self) -> UserOrganizationInvitations {
        UserOrganizationInvitations {
            clerk: self.clerk.clone(),
            user_id: self.user_id.clone(),
        }
    }
}

/// The invitations of one organization. Made by [`Organization::invitations`].
#[derive(Clone, Debug)]
pub struct OrganizationInvitations {
    clerk: Clerk,
    organization_id: String,
}

impl OrganizationInvitations {
    /// `POST /organizations/{organization_id}/invitations`: invites `email_address` with `role`
    /// (e.g. `org:member`, `org:admin` or a custom role key).
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let inv = clerk
    ///     .organization("org_123")
    ///     .invitations()
    ///     .create("someone@example.com", "org:member")
    ///     .inviter_user_id("user_admin")
    ///     .private_metadata(serde_json::json!({"source": "crm"}))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn create(
        &self,
        email_address: impl Into<String>,
        role: impl Into<String>,
    ) -> CreateOrganizationInvitation {
        CreateOrganizationInvitation {
            clerk: self.clerk.clone(),
            organization_id: self.organization_id.clone(),
            item: NewOrganizationInvitation::new(email_address, role),
            opts: RequestOptions::default(),
        }
    }

    /// `POST /organizations/{organization_id}/invitations/bulk`: 1 to 10 invitations at once,
    /// all or none.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// use clerk_invitations::NewOrganizationInvitation;
    /// let page = clerk
    ///     .organization("org_123")
    ///     .invitations()
    ///     .create_bulk([
    ///         NewOrganizationInvitation::new("a@example.com", "org:member"),
    ///         NewOrganizationInvitation::new("b@example.com", "org:admin").inviter_user_id("user_1"),
    ///     ])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn create_bulk(
        &self,
        invitations: impl IntoIterator<Item = NewOrganizationInvitation>,
    ) -> CreateOrganizationInvitationBulk {
        CreateOrganizationInvitationBulk {
            clerk: self.clerk.clone(),
            organization_id: self.organization_id.clone(),
            items: invitations.into_iter().collect(),
            opts: RequestOptions::default(),
        }
    }

    /// `GET /organizations/{organization_id}/invitations/{invitation_id}`.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let inv = clerk.organization("org_123").invitations().get("orginv_123").await?;
    /// # Ok(()) }
    /// ```
    pub fn get(&self, invitation_id: impl Into<String>) -> GetOrganizationInvitation {
        GetOrganizationInvitation {
            clerk: self.clerk.clone(),
            organization_id: self.organization_id.clone(),
            invitation_id: invitation_id.into(),
            opts: RequestOptions::default(),
        }
    }

    /// `GET /organizations/{organization_id}/invitations`.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// use clerk_invitations::InvitationStatus;
    /// let page = clerk
    ///     .organization("org_123")
    ///     .invitations()
    ///     .list()
    ///     .status(InvitationStatus::Pending)
    ///     .email_address("someone@example.com")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListOrganizationInvitations {
        ListOrganizationInvitations {
            clerk: self.clerk.clone(),
            organization_id: self.organization_id.clone(),
            statuses: Vec::new(),
            email_address: None,
            order_by: None,
            limit: None,
            offset: None,
            opts: RequestOptions::default(),
        }
    }

    /// `GET /organizations/{organization_id}/invitations/pending` (deprecated upstream).
    ///
    /// ```no_run
    /// # #[allow(deprecated)]
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let page = clerk.organization("org_123").invitations().list_pending().await?;
    /// # Ok(()) }
    /// ```
    #[deprecated(note = "deprecated by Clerk: use `list().status(InvitationStatus::Pending)`")]
    pub fn list_pending(&self) -> ListPendingOrganizationInvitations {
        ListPendingOrganizationInvitations {
            clerk: self.clerk.clone(),
            organization_id: self.organization_id.clone(),
            limit: None,
            offset: None,
            opts: RequestOptions::default(),
        }
    }

    /// `POST /organizations/{organization_id}/invitations/{invitation_id}/revoke`.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let inv = clerk
    ///     .organization("org_123")
    ///     .invitations()
    ///     .revoke("orginv_123")
    ///     .requesting_user_id("user_admin")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn revoke(&self, invitation_id: impl Into<String>) -> RevokeOrganizationInvitation {
        RevokeOrganizationInvitation {
            clerk: self.clerk.clone(),
            organization_id: self.organization_id.clone(),
            invitation_id: invitation_id.into(),
            requesting_user_id: None,
            opts: RequestOptions::default(),
        }
    }
}

/// One organization invitation to create: the fields of
/// `POST /organizations/{id}/invitations`, also the items of
/// [`OrganizationInvitations::create_bulk`].
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct NewOrganizationInvitation {
    email_address: String,
    role: String,
    inviter_user_id: Option<String>,
    public_metadata: Option<serde_json::Value>,
    private_metadata: Option<serde_json::Value>,
    redirect_url: Option<String>,
    expires_in_days: Option<u32>,
    notify: Option<bool>,
}

impl NewOrganizationInvitation {
    /// An invitation for `email_address` with `role`.
    pub fn new(email_address: impl Into<String>, role: impl Into<String>) -> Self {
        NewOrganizationInvitation {
            email_address: email_address.into(),
            role: role.into(),
            inviter_user_id: None,
            public_metadata: None,
            private_metadata: None,
            redirect_url: None,
            expires_in_days: None,
            notify: None,
        }
    }

    /// The address the invitation goes to.
    pub fn email_address(&self) -> &str {
        &self.email_address
    }

    /// The user who sends the invitation; must be allowed to manage the organization's members.
    pub fn inviter_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.inviter_user_id = Some(user_id.into());
        self
    }

    /// Public metadata (a JSON object), moved to the membership on acceptance.
    pub fn public_metadata(mut self, metadata: impl Into<serde_json::Value>) -> Self {
        self.public_metadata = Some(metadata.into());
        self
    }

    /// Private metadata (a JSON object), moved to the membership on acceptance.
    pub fn private_metadata(mut self, metadata: impl Into<serde_json::Value>) -> Self {
        self.private_metadata = Some(metadata.into());
        self
    }

    /// Where the invitee lands after accepting.
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }

    /// Days until the invitation expires, 1 to 365 (default 30).
    pub fn expires_in_days(mut self, days: u32) -> Self {
        self.expires_in_days = Some(days);
        self
    }

    /// Whether Clerk emails the invitation (default `true`).
    pub fn notify(mut self, notify: bool) -> Self {
        self.notify = Some(notify);
        self
    }

    fn checked(self, field: &str) -> Result<raw::CreateOrganizationInvitationBulkBodyItem> {
        validate::email(&format!("{field}email_address"), &self.email_address)?;
        validate::non_empty(&format!("{field}role"), &self.role)?;
        if let Some(u) = &self.inviter_user_id {
            validate::non_empty(&format!("{field}inviter_user_id"), u)?;
        }
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
        let private_metadata = self
            .private_metadata
            .map(|m| validate::metadata(&format!("{field}private_metadata"), m))
            .transpose()?;
        Ok(raw::CreateOrganizationInvitationBulkBodyItem {
            email_address: self.email_address,
            expires_in_days,
            inviter_user_id: self.inviter_user_id,
            // The generated field serializes `None` as `null`: send the documented default.
            notify: Some(self.notify.unwrap_or(true)),
            private_metadata,
            public_metadata,
            redirect_url: self.redirect_url,
            role: self.role,
        })
    }
}

/// `POST /organizations/{organization_id}/invitations`. Made by
/// [`OrganizationInvitations::create`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct CreateOrganizationInvitation {
    clerk: Clerk,
    organization_id: String,
    item: NewOrganizationInvitation,
    opts: RequestOptions,
}

impl CreateOrganizationInvitation {
    /// The user who sends the invitation; must be allowed to manage the organization's members.
    pub fn inviter_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.item = self.item.inviter_user_id(user_id);
        self
    }

    /// Public metadata (a JSON object), moved to the membership on acceptance.
    pub fn public_metadata(mut self, metadata: impl Into<serde_json::Value>) -> Self {
        self.item = self.item.public_metadata(metadata);
        self
    }

    /// Private metadata (a JSON object), moved to the membership on acceptance.
    pub fn private_metadata(mut self, metadata: impl Into<serde_json::Value>) -> Self {
        self.item = self.item.private_metadata(metadata);
        self
    }

    /// Where the invitee lands after accepting.
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.item = self.item.redirect_url(url);
        self
    }

    /// Days until the invitation expires, 1 to 365 (default 30).
    pub fn expires_in_days(mut self, days: u32) -> Self {
        self.item = self.item.expires_in_days(days);
        self
    }

    /// Whether Clerk emails the invitation (default `true`).
    pub fn notify(mut self, notify: bool) -> Self {
        self.item = self.item.notify(notify);
        self
    }

    /// Sends the request; returns the invitation with the HTTP status and headers.
    ///
    /// # Errors
    /// Invalid input (nothing sent): an empty organization id, email or role, a malformed
    /// email, `expires_in_days` outside 1..=365, metadata that is not an object. From the
    /// service: 403 when the inviter is not an admin, 404 for an unknown organization or role,
    /// 400 `already_a_member_in_organization`.
    pub async fn send_with_http_info(self) -> Result<Response<OrganizationInvitation>> {
        validate::path_id("organization_id", &self.organization_id)?;
        let c = self.item.checked("")?;
        let body = raw::CreateOrganizationInvitationBody {
            email_address: c.email_address,
            expires_in_days: c.expires_in_days,
            inviter_user_id: c.inviter_user_id,
            notify: c.notify,
            private_metadata: c.private_metadata,
            public_metadata: c.public_metadata,
            redirect_url: c.redirect_url,
            role: c.role,
        };
        // The service answers a repeated invitation with the pending one: retries are safe.
        let op = Operation::idempotent("create_organization_invitation");
        let req = self
            .clerk
            .inner
            .raw
            .create_organization_invitation()
            .organization_id(self.organization_id)
            .body(body);
        execute(&self.clerk, &self.opts, op, || req.clone().send()).await
    }
}
request_builder!(CreateOrganizationInvitation => OrganizationInvitation);

/// `POST /organizations/{organization_id}/invitations/bulk`. Made by
/// [`OrganizationInvitations::create_bulk`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct CreateOrganizationInvitationBulk {
    clerk: Clerk,
    organization_id: String,
    items: Vec<NewOrganizationInvitation>,
    opts: RequestOptions,
}

impl CreateOrganizationInvitationBulk {
    /// Sends the request; returns the created invitations (as a page whose `total_count` is the
    /// number created) with the HTTP status and headers.
    ///
    /// # Errors
    /// Invalid input (nothing sent): no invitations or more than 10, or any item breaking a
    /// rule of [`OrganizationInvitations::create`] (the error names the item's index).
    pub async fn send_with_http_info(self) -> Result<Response<Page<OrganizationInvitation>>> {
        validate::path_id("organization_id", &self.organization_id)?;
        validate::bulk_size(self.items.len())?;
        let body = self
            .items
            .into_iter()
            .enumerate()
            .map(|(i, item)| item.checked(&format!("invitations[{i}].")))
            .collect::<Result<Vec<_>>>()?;
        // As for single invitations, repeats come back as the pending invitations.
        let op = Operation::idempotent("create_organization_invitation_bulk");
        let req = self
            .clerk
            .inner
            .raw
            .create_organization_invitation_bulk()
            .organization_id(self.organization_id)
            .body(body);
        let response = execute(&self.clerk, &self.opts, op, || req.clone().send()).await?;
        Ok(response.map(|p| Page::new(p.data, u64::try_from(p.total_count).ok(), 0)))
    }
}
request_builder!(CreateOrganizationInvitationBulk => Page<OrganizationInvitation>);

/// `GET /organizations/{organization_id}/invitations/{invitation_id}`. Made by
/// [`OrganizationInvitations::get`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct GetOrganizationInvitation {
    clerk: Clerk,
    organization_id: String,
    invitation_id: String,
    opts: RequestOptions,
}

impl GetOrganizationInvitation {
    /// Sends the request; returns the invitation with the HTTP status and headers.
    ///
    /// # Errors
    /// Invalid input (nothing sent): an empty id, `.` or `..`. From the service: 404.
    pub async fn send_with_http_info(self) -> Result<Response<OrganizationInvitation>> {
        validate::path_id("organization_id", &self.organization_id)?;
        validate::path_id("invitation_id", &self.invitation_id)?;
        let op = Operation::idempotent("get_organization_invitation");
        let req = self
            .clerk
            .inner
            .raw
            .get_organization_invitation()
            .organization_id(self.organization_id)
            .invitation_id(self.invitation_id);
        execute(&self.clerk, &self.opts, op, || req.clone().send()).await
    }
}
request_builder!(GetOrganizationInvitation => OrganizationInvitation);

/// `POST /organizations/{organization_id}/invitations/{invitation_id}/revoke`. Made by
/// [`OrganizationInvitations::revoke`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct RevokeOrganizationInvitation {
    clerk: Clerk,
    organization_id: String,
    invitation_id: String,
    requesting_user_id: Option<String>,
    opts: RequestOptions,
}

impl RevokeOrganizationInvitation {
    /// The user who revokes the invitation; must be allowed to manage the organization's members.
    pub fn requesting_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.requesting_user_id = Some(user_id.into());
        self
    }

    /// Sends the request; returns the revoked invitation with the HTTP status and headers.
    ///
    /// # Errors
    /// Invalid input (nothing sent): an empty id, `.` or `..`, an empty `requesting_user_id`.
    /// From the service: 404 `organization_invitation_not_pending` when it is not pending.
    pub async fn send_with_http_info(self) -> Result<Response<OrganizationInvitation>> {
        validate::path_id("organization_id", &self.organization_id)?;
        validate::path_id("invitation_id", &self.invitation_id)?;
        if let Some(u) = &self.requesting_user_id {
            validate::non_empty("requesting_user_id", u)?;
        }
        let (clerk, org, id) = (
            self.clerk.clone(),
            self.organization_id.clone(),
            self.invitation_id.clone(),
        );
        let op = Operation {
            id: "revoke_organization_invitation",
            idempotent: true,
            // A retry of a revoke that took effect finds the invitation no longer pending.
            settled_by: |e| e.has_code("organization_invitation_not_pending"),
            settle: Some(Box::new(move || {
                let (clerk, org, id) = (clerk.clone(), org.clone(), id.clone());
                Box::pin(async move {
                    let found = clerk
                        .organization(org)
                        .invitations()
                        .get(id)
                        .with_retry(crate::invitations::lookup_policy())
                        .send_with_http_info()
                        .await?;
                    Ok((found.value().status == InvitationStatus::Revoked).then_some(found))
                })
            })),
        };
        let req = self
            .clerk
            .inner
            .raw
            .revoke_organization_invitation()
            .organization_id(self.organization_id)
            .invitation_id(self.invitation_id)
            .body(raw::RevokeOrganizationInvitationBody {
                requesting_user_id: self.requesting_user_id,
            });
        execute(&self.clerk, &self.opts, op, || req.clone().send()).await
    }
}
request_builder!(RevokeOrganizationInvitation => OrganizationInvitation);

/// Shared body of the organization list builders: validate, send, wrap in a [`Page`].
macro_rules! org_list_stream {
    ($builder:ident => $item:ty) => {
        impl $builder {
            /// Every matching invitation, fetched page by page (pages of `limit`, default 500)
            /// as the stream is polled. Stops after the last page.
            pub fn stream(self) -> impl Stream<Item = Result<$item>> + Send + 'static {
                let limit = self.limit.unwrap_or(DEFAULT_STREAM_PAGE_SIZE);
                let start = u64::from(self.offset.unwrap_or(0));
                paginate(start, limit, move |offset, limit| {
                    let mut req = self.clone();
                    req.limit = Some(limit);
                    async move {
                        req.offset = Some(offset_u32(offset)?);
                        req.send().await
                    }
                })
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
        }
    };
}

fn page<T>(items: Vec<T>, total: i64, offset: Option<u32>) -> Page<T> {
    Page::new(
        items,
        u64::try_from(total).ok(),
        u64::from(offset.unwrap_or(0)),
    )
}

/// `GET /organizations/{organization_id}/invitations`. Made by
/// [`OrganizationInvitations::list`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent, awaited or streamed"]
pub struct ListOrganizationInvitations {
    clerk: Clerk,
    organization_id: String,
    statuses: Vec<InvitationStatus>,
    email_address: Option<String>,
    order_by: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
    opts: RequestOptions,
}

impl ListOrganizationInvitations {
    /// Only invitations with this status; call again to add statuses.
    pub fn status(mut self, status: InvitationStatus) -> Self {
        self.statuses.push(status);
        self
    }

    /// Only invitations with one of these statuses.
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = InvitationStatus>) -> Self {
        self.statuses.extend(statuses);
        self
    }

    /// Only invitations to this address.
    pub fn email_address(mut self, email: impl Into<String>) -> Self {
        self.email_address = Some(email.into());
        self
    }

    /// Order: `created_at` or `email_address`, prefixed with `-` (descending) or `+`.
    pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
        self.order_by = Some(order_by.into());
        self
    }

    /// Sends the request; returns one page with the HTTP status and headers.
    ///
    /// # Errors
    /// Invalid input (nothing sent): an empty organization id, `limit` outside 1..=500, an
    /// empty `order_by`, an unknown status filter.
    pub async fn send_with_http_info(self) -> Result<Response<Page<OrganizationInvitation>>> {
        validate::path_id("organization_id", &self.organization_id)?;
        let limit = check_limit(self.limit)?;
        if let Some(o) = &self.order_by {
            validate::non_empty("order_by", o)?;
        }
        let statuses = self
            .statuses
            .iter()
            .map(status_param::<raw::ListOrganizationInvitationsStatusItem>)
            .collect::<Result<Vec<_>>>()?;
        let raw = &self.clerk.inner.raw;
        let mut req = raw
            .list_organization_invitations()
            .organization_id(self.organization_id);
        if !statuses.is_empty() {
            req = req.status(statuses);
        }
        if let Some(e) = self.email_address {
            req = req.email_address(e);
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
        let op = Operation::idempotent("list_organization_invitations");
        let response = execute(&self.clerk, &self.opts, op, || req.clone().send()).await?;
        Ok(response.map(|p| page(p.data, p.total_count, self.offset)))
    }
}
request_builder!(ListOrganizationInvitations => Page<OrganizationInvitation>);
org_list_stream!(ListOrganizationInvitations => OrganizationInvitation);

/// `GET /organizations/{organization_id}/invitations/pending` (deprecated upstream). Made by
/// [`OrganizationInvitations::list_pending`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent, awaited or streamed"]
pub struct ListPendingOrganizationInvitations {
    clerk: Clerk,
    organization_id: String,
    limit: Option<u32>,
    offset: Option<u32>,
    opts: RequestOptions,
}

impl ListPendingOrganizationInvitations {
    /// Sends the request; returns one page with the HTTP status and headers.
    ///
    /// # Errors
    /// Invalid input (nothing sent): an empty organization id, `limit` outside 1..=500.
    pub async fn send_with_http_info(self) -> Result<Response<Page<OrganizationInvitation>>> {
        validate::path_id("organization_id", &self.organization_id)?;
        let limit = check_limit(self.limit)?;
        let raw = &self.clerk.inner.raw;
        let mut req = raw
            .list_pending_organization_invitations()
            .organization_id(self.organization_id);
        if let Some(l) = limit {
            req = req.limit(nonzero(l));
        }
        if let Some(o) = self.offset {
            req = req.offset(u64::from(o));
        }
        let op = Operation::idempotent("list_pending_organization_invitations");
        let response = execute(&self.clerk, &self.opts, op, || req.clone().send()).await?;
        Ok(response.map(|p| page(p.data, p.total_count, self.offset)))
    }
}
request_builder!(ListPendingOrganizationInvitations => Page<OrganizationInvitation>);
org_list_stream!(ListPendingOrganizationInvitations => OrganizationInvitation);

/// Organization invitations of the whole instance. Made by [`Clerk::organization_invitations`].
#[derive(Clone, Debug)]
pub struct InstanceOrganizationInvitations {
    clerk: Clerk,
}

impl InstanceOrganizationInvitations {
    /// `GET /organization_invitations`.
    pub fn list(&self) -> ListInstanceOrganizationInvitations {
        ListInstanceOrganizationInvitations {
            clerk: self.clerk.clone(),
            statuses: Vec::new(),
            query: None,
            order_by: None,
            limit: None,
            offset: None,
            opts: RequestOptions::default(),
        }
    }
}

/// `GET /organization_invitations`. Made by [`InstanceOrganizationInvitations::list`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent, awaited or streamed"]
pub struct ListInstanceOrganizationInvitations {
    clerk: Clerk,
    statuses: Vec<InvitationStatus>,
    query: Option<String>,
    order_by: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
    opts: RequestOptions,
}

impl ListInstanceOrganizationInvitations {
    /// Only invitations with this status; call again to add statuses.
    pub fn status(mut self, status: InvitationStatus) -> Self {
        self.statuses.push(status);
        self
    }

    /// Only invitations with one of these statuses.
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = InvitationStatus>) -> Self {
        self.statuses.extend(statuses);
        self
    }

    /// Only invitations whose invitee address matches `query`.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// Order: `created_at` or `email_address`, prefixed with `-` (descending) or `+`.
    pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
        self.order_by = Some(order_by.into());
        self
    }

    /// Sends the request; returns one page with the HTTP status and headers.
    ///
    /// # Errors
    /// Invalid input (nothing sent): `limit` outside 1..=500, an empty `order_by`, an unknown
    /// status filter.
    pub async fn send_with_http_info(
        self,
    ) -> Result<Response<Page<OrganizationInvitationWithPublicOrganizationData>>> {
        let limit = check_limit(self.limit)?;
        if let Some(o) = &self.order_by {
            validate::non_empty("order_by", o)?;
        }
        let statuses = self
            .statuses
            .iter()
            .map(status_param::<raw::ListInstanceOrganizationInvitationsStatusItem>)
            .collect::<Result<Vec<_>>>()?;
        let raw = &self.clerk.inner.raw;
        let mut req = raw.list_instance_organization_invitations();
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
        let op = Operation::idempotent("list_instance_organization_invitations");
        let response = execute(&self.clerk, &self.opts, op, || req.clone().send()).await?;
        Ok(response.map(|p| page(p.data, p.total_count, self.offset)))
    }
}
request_builder!(ListInstanceOrganizationInvitations => Page<OrganizationInvitationWithPublicOrganizationData>);
org_list_stream!(ListInstanceOrganizationInvitations => OrganizationInvitationWithPublicOrganizationData);

/// The organization invitations of one user. Made by [`User::organization_invitations`].
#[derive(Clone, Debug)]
pub struct UserOrganizationInvitations {
    clerk: Clerk,
    user_id: String,
}

impl UserOrganizationInvitations {
    /// `GET /users/{user_id}/organization_invitations`.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let page = clerk.user("user_123").organization_invitations().list().await?;
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListUserOrganizationInvitations {
        ListUserOrganizationInvitations {
            clerk: self.clerk.clone(),
            user_id: self.user_id.clone(),
            status: None,
            limit: None,
            offset: None,
            opts: RequestOptions::default(),
        }
    }
}

/// `GET /users/{user_id}/organization_invitations`. Made by
/// [`UserOrganizationInvitations::list`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent, awaited or streamed"]
pub struct ListUserOrganizationInvitations {
    clerk: Clerk,
    user_id: String,
    status: Option<InvitationStatus>,
    limit: Option<u32>,
    offset: Option<u32>,
    opts: RequestOptions,
}

impl ListUserOrganizationInvitations {
    /// Only invitations with this status (this endpoint takes one).
    pub fn status(mut self, status: InvitationStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Sends the request; returns one page with the HTTP status and headers.
    ///
    /// # Errors
    /// Invalid input (nothing sent): an empty user id, `limit` outside 1..=500, an unknown
    /// status filter. From the service: 404 for an unknown user.
    pub async fn send_with_http_info(
        self,
    ) -> Result<Response<Page<OrganizationInvitationWithPublicOrganizationData>>> {
        validate::path_id("user_id", &self.user_id)?;
        let limit = check_limit(self.limit)?;
        let raw = &self.clerk.inner.raw;
        let mut req = raw
            .users_get_organization_invitations()
            .user_id(self.user_id);
        if let Some(s) = &self.status {
            req = req.status(status_param::<raw::UsersGetOrganizationInvitationsStatus>(
                s,
            )?);
        }
        if let Some(l) = limit {
            req = req.limit(nonzero(l));
        }
        if let Some(o) = self.offset {
            req = req.offset(u64::from(o));
        }
        let op = Operation::idempotent("users_get_organization_invitations");
        let response = execute(&self.clerk, &self.opts, op, || req.clone().send()).await?;
        Ok(response.map(|p| page(p.data, p.total_count, self.offset)))
    }
}
request_builder!(ListUserOrganizationInvitations => Page<OrganizationInvitationWithPublicOrganizationData>);
org_list_stream!(ListUserOrganizationInvitations => OrganizationInvitationWithPublicOrganizationData);

#[allow(dead_code)]
fn _assert_send(clerk: Clerk) {
    fn is_send<T: Send>(_: T) {}
    is_send(clerk.invitations().list().send());
    is_send(clerk.organization("o").invitations().list().stream());
    let _ = Error::invalid_input("");
}
