//! The outcome of a delete.

/// What a delete did. Made by the builders of delete operations (for example
/// [`DeleteInvitation`](crate::DeleteInvitation)).
///
/// A delete whose answer was lost and whose retry found the record gone (404
/// `resource_not_found`) did its work: it is reported here as done, with
/// [`already_gone`](Deleted::already_gone) set and no answer, never as an error. A first
/// attempt that gets 404 is an error, as for any operation.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// let deleted = clerk.invitations().delete("inv_123").await?;
/// assert_eq!(deleted.id, "inv_123");
/// if deleted.already_gone {
///     println!("an earlier attempt had deleted it");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Deleted<T> {
    /// The id of what was deleted.
    pub id: String,
    /// Whether the record was found already gone by a retry after an earlier attempt whose
    /// answer was lost.
    pub already_gone: bool,
    /// The service's answer (the deleted object), when this attempt's answer arrived.
    pub answer: Option<T>,
}

// Used by the builders of operations whose `x-facade.retry` is `delete`.
#[allow(dead_code)]
impl<T> Deleted<T> {
    pub(crate) fn now(id: &str, answer: T) -> Self {
        Deleted {
            id: id.to_string(),
            already_gone: false,
            answer: Some(answer),
        }
    }

    pub(crate) fn gone(id: &str) -> Self {
        Deleted {
            id: id.to_string(),
            already_gone: true,
            answer: None,
        }
    }
}
