//! The handles operations hang from: `clerk.invitations()`, `clerk.organization(id)`,
//! `clerk.organization_invitations()` and `clerk.user(id)`. Their methods, one per operation,
//! are generated from the spec (each operation's `x-facade.on` names its handle).

use crate::Clerk;

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

    /// One organization, by id: `clerk.organization("org_…").invitations()`.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let page = clerk.organization("org_123").invitations().list().await?;
    /// # Ok(()) }
    /// ```
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
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let page = clerk.user("user_123").organization_invitations().list().await?;
    /// # Ok(()) }
    /// ```
    pub fn user(&self, user_id: impl Into<String>) -> User {
        User {
            clerk: self.clone(),
            user_id: user_id.into(),
        }
    }
}

/// Application invitations. Made by [`Clerk::invitations`].
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// let invitations = clerk.invitations();
/// let inv = invitations.create("ada@example.com").await?;
/// invitations.revoke(&inv.id).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Invitations {
    pub(crate) clerk: Clerk,
}

/// An organization. Made by [`Clerk::organization`].
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// let acme = clerk.organization("org_123");
/// let pending = acme.invitations().list().status("pending").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Organization {
    clerk: Clerk,
    organization_id: String,
}

impl Organization {
    /// The organization's invitations.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let invitations = clerk.organization("org_123").invitations();
    /// let inv = invitations.create("someone@example.com", "org:member").await?;
    /// # Ok(()) }
    /// ```
    pub fn invitations(&self) -> OrganizationInvitations {
        OrganizationInvitations {
            clerk: self.clerk.clone(),
            organization_id: self.organization_id.clone(),
        }
    }
}

/// A user. Made by [`Clerk::user`].
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// let page = clerk.user("user_123").organization_invitations().list().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct User {
    clerk: Clerk,
    user_id: String,
}

impl User {
    /// The organization invitations sent to this user.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
    /// let page = clerk.user("user_123").organization_invitations().list().await?;
    /// # Ok(()) }
    /// ```
    pub fn organization_invitations(&self) -> UserOrganizationInvitations {
        UserOrganizationInvitations {
            clerk: self.clerk.clone(),
            user_id: self.user_id.clone(),
        }
    }
}

/// The invitations of one organization. Made by [`Organization::invitations`].
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// let invitations = clerk.organization("org_123").invitations();
/// let inv = invitations.create("ada@example.com", "org:member").await?;
/// let same = invitations.get(&inv.id).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct OrganizationInvitations {
    pub(crate) clerk: Clerk,
    pub(crate) organization_id: String,
}

/// Organization invitations of the whole instance. Made by [`Clerk::organization_invitations`].
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// let everywhere = clerk.organization_invitations().list().status("pending").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct InstanceOrganizationInvitations {
    pub(crate) clerk: Clerk,
}

/// The organization invitations of one user. Made by [`User::organization_invitations`].
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// let mine = clerk.user("user_123").organization_invitations().list().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct UserOrganizationInvitations {
    pub(crate) clerk: Clerk,
    pub(crate) user_id: String,
}
