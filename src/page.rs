//! Pages of list results and streams across pages.

use crate::error::Result;
use futures_core::Stream;
use futures_util::{StreamExt, TryStreamExt, stream};
use std::future::Future;

/// Page size a stream uses when the list request sets no `limit`: the largest the service allows,
/// so that a stream makes as few requests as possible.
pub const DEFAULT_STREAM_PAGE_SIZE: u32 = 500;

/// One page of a list: the items and the number of items matching the filters.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// let page = clerk.invitations().list().limit(100).await?;
/// println!("{} of {:?} from offset {}", page.data.len(), page.total_count, page.offset);
/// for invitation in page {
///     println!("{}", invitation.email_address);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page, in the order the service returned them.
    pub data: Vec<T>,
    /// How many items match the filters across all pages. `None` only when the service answered
    /// `GET /invitations` with a bare array (no envelope), which carries no count.
    pub total_count: Option<u64>,
    /// The offset this page starts at.
    pub offset: u64,
}

impl<T> Page<T> {
    pub(crate) fn new(data: Vec<T>, total_count: Option<u64>, offset: u64) -> Self {
        Page {
            data,
            total_count,
            offset,
        }
    }

    /// Whether a next page may hold more items.
    pub fn has_more(&self, limit: u32) -> bool {
        if self.data.is_empty() {
            return false;
        }
        let seen = self.offset.saturating_add(self.data.len() as u64);
        match self.total_count {
            Some(total) => seen < total,
            None => self.data.len() as u64 >= u64::from(limit),
        }
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.data.into_iter()
    }
}

/// A lazy stream of the items of every page, fetched one page at a time, from `offset` on.
pub(crate) fn paginate<T, F, Fut>(
    offset: u64,
    limit: u32,
    fetch: F,
) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: Send + 'static,
    F: Fn(u64, u32) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send + 'static,
{
    stream::try_unfold(Some(offset), move |next| {
        let fut = next.map(|off| fetch(off, limit));
        async move {
            let Some(fut) = fut else { return Ok(None) };
            let page = fut.await?;
            let next = page
                .has_more(limit)
                .then(|| page.offset + page.data.len() as u64);
            Ok(Some((page.data, next)))
        }
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

/// A stream's next offset as the 32-bit `offset` of a list whose spec bounds it so.
#[allow(dead_code)]
pub(crate) fn offset_u32(offset: u64) -> Result<u32> {
    u32::try_from(offset).map_err(|_| crate::Error::invalid_input("offset is past 4294967295"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_more_with_and_without_a_count() {
        assert!(Page::new(vec![1, 2], Some(5), 0).has_more(2));
        assert!(!Page::new(vec![1, 2], Some(4), 2).has_more(2));
        assert!(!Page::<i32>::new(vec![], Some(9), 0).has_more(2));
        assert!(Page::new(vec![1, 2], None, 0).has_more(2));
        assert!(!Page::new(vec![1], None, 0).has_more(2));
    }
}
