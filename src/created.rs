//! The outcome of an organization create: the invitation, and whether it is new.

/// An organization invitation as a create left it. Dereferences to the invitation, so
/// `created.id` and friends read as before.
///
/// The service answers a create for an address that has a pending invitation in the
/// organization with that invitation, unchanged: [`existed`](Created::existed) says so, and
/// [`role_applied`](Created::role_applied) and [`metadata_applied`](Created::metadata_applied)
/// say whether it carries what this call asked for. The crate decides with the service's own
/// clock (its `Date` header), so the caller guesses nothing from `created_at`.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// let created = clerk
///     .organization("org_123")
///     .invitations()
///     .create("ada@example.com", "org:admin")
///     .await?;
/// if created.existed && !created.role_applied {
///     println!("already invited as {}: revoke and invite again to change the role", created.role);
/// }
/// println!("{}", created.id); // the invitation's fields, through `Deref`
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Created<T> {
    /// The invitation.
    pub invitation: T,
    /// Whether the invitation existed before this call (the service answered with the pending
    /// invitation of the address instead of making one).
    pub existed: bool,
    /// Whether the invitation has the role this call asked for.
    pub role_applied: bool,
    /// Whether the invitation has the metadata this call asked for.
    pub metadata_applied: bool,
}

impl<T> Created<T> {
    pub(crate) fn new(
        invitation: T,
        existed: bool,
        role_applied: bool,
        metadata_applied: bool,
    ) -> Self {
        Created {
            invitation,
            existed,
            role_applied,
            metadata_applied,
        }
    }

    /// The invitation, by value.
    pub fn into_inner(self) -> T {
        self.invitation
    }
}

impl<T> std::ops::Deref for Created<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.invitation
    }
}
