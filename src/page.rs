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
///
/// It ends, whatever the service's counts say, at a page with no items or with no item it has
/// not yielded already, and it never yields the same id (`key`) twice: a service whose
/// `total_count` is too high, or that ignores `offset`, cannot make it run forever. Where the
/// count promised more than such a page brought, the stream ends with an
/// [`ErrorKind::Decode`](crate::ErrorKind::Decode) error naming the inconsistency.
pub(crate) fn paginate<T, F, Fut>(
    offset: u64,
    limit: u32,
    key: fn(&T) -> &str,
    fetch: F,
) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: Send + 'static,
    F: Fn(u64, u32) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send + 'static,
{
    let walk = Walk::new(key);
    stream::try_unfold((Some(offset), walk), move |(next, mut walk)| {
        let fut = next.map(|off| fetch(off, limit));
        async move {
            let Some(fut) = fut else { return Ok(None) };
            let page = fut.await?;
            let (items, next) = walk.step(page, limit)?;
            Ok(Some((items, (next, walk))))
        }
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

/// What a walk over pages has yielded: the ids seen (as hashes: a stream of 100,000 items keeps
/// 800 KB, not the ids themselves), so that it ends when the service repeats itself.
pub(crate) struct Walk<T> {
    key: fn(&T) -> &str,
    seen: std::collections::HashSet<u64>,
    hasher: std::hash::RandomState,
}

impl<T> Walk<T> {
    pub(crate) fn new(key: fn(&T) -> &str) -> Self {
        Walk {
            key,
            seen: std::collections::HashSet::new(),
            hasher: std::hash::RandomState::new(),
        }
    }

    /// A page's items not yielded before, and the offset of the next page if there is one to
    /// read. An error when the page's own count promised items it did not bring.
    pub(crate) fn step(&mut self, page: Page<T>, limit: u32) -> Result<(Vec<T>, Option<u64>)> {
        use std::hash::BuildHasher;
        let more = page.has_more(limit);
        let brought = page.data.len() as u64;
        let next_offset = page.offset.saturating_add(brought);
        let (offset, total) = (page.offset, page.total_count);
        let items: Vec<T> = page
            .data
            .into_iter()
            .filter(|i| self.seen.insert(self.hasher.hash_one((self.key)(i))))
            .collect();
        let stalled = items.is_empty();
        if stalled
            && let Some(total) = total
            && offset < total
        {
            return Err(crate::Error::new(
                crate::ErrorKind::Decode,
                format!(
                    "the service's list is inconsistent: its total_count says {total} items, and the page at offset {offset} brought {}",
                    if brought == 0 {
                        "none".to_string()
                    } else {
                        format!("only the {brought} already listed")
                    }
                ),
            ));
        }
        Ok((items, (more && !stalled).then_some(next_offset)))
    }
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

    fn id(s: &String) -> &str {
        s
    }

    #[test]
    fn a_walk_ends_where_the_service_repeats_itself_or_its_count_lies() {
        let page = |ids: &[&str], total, offset| {
            Page::new(ids.iter().map(|s| s.to_string()).collect(), total, offset)
        };
        // Offset ignored: the same page again ends the walk, with an error, yielding nothing twice.
        let mut walk = Walk::new(id);
        let (items, next) = walk.step(page(&["a", "b"], Some(10), 0), 2).unwrap();
        assert_eq!((items.len(), next), (2, Some(2)));
        let e = walk.step(page(&["a", "b"], Some(10), 2), 2).unwrap_err();
        assert!(e.to_string().contains("inconsistent"), "{e}");
        // A count too high: an empty page ends it, with an error naming the count.
        let mut walk = Walk::new(id);
        walk.step(page(&["a"], Some(5), 0), 1).unwrap();
        let e = walk.step(page(&[], Some(5), 1), 1).unwrap_err();
        assert!(e.to_string().contains("total_count says 5"), "{e}");
        // A repeated item inside new ones is dropped, the walk goes on.
        let mut walk = Walk::new(id);
        walk.step(page(&["a", "b"], Some(4), 0), 2).unwrap();
        let (items, next) = walk.step(page(&["b", "c"], Some(4), 2), 2).unwrap();
        assert_eq!((items, next), (vec!["c".to_string()], None));
        // No count: a short page is the last, a full page of repeats too (without an error).
        let mut walk = Walk::new(id);
        walk.step(page(&["a", "b"], None, 0), 2).unwrap();
        assert_eq!(walk.step(page(&["a", "b"], None, 2), 2).unwrap().1, None);
    }
}
