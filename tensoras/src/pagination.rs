//! Auto-pagination: one implementation for every list of the API, driven by
//! the generated [`Paginated`] operations (`after` cursor, `has_more`).

use crate::client::Tensoras;
use crate::error::Result;
use crate::operations::{Callable, Paginated};
use futures::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;

/// Every item of a list, page after page, fetched as the stream is read.
///
/// Stops when `has_more` is false, a page is empty, or the next cursor is
/// one this listing has already been given (a server bug that would
/// otherwise loop for ever, whether it repeats the last cursor or cycles
/// through several). An error ends the stream after being yielded.
pub(crate) fn list_all<O>(
    client: Tensoras,
    first: O,
) -> impl Stream<Item = Result<O::Item>> + Send + 'static
where
    O: Paginated + Callable + Clone + Send + 'static,
    O::Response: DeserializeOwned + Send + 'static,
    O::Item: Send + 'static,
{
    // Boxed once, so callers can `.next()` it without pinning it themselves.
    Box::pin(
        futures::stream::unfold(
            (Some(first), Cursors::default()),
            move |(next, mut seen)| {
                let client = client.clone();
                async move {
                    let operation = next?;
                    if let Some((_, after)) = operation.query().iter().find(|(k, _)| *k == "after")
                    {
                        seen.insert(after);
                    }
                    match client.call(operation.clone()).await {
                        Err(err) => Some((futures::stream::iter(vec![Err(err)]), (None, seen))),
                        Ok(response) => {
                            let (items, has_more) = O::page(response);
                            let cursor = items.last().map(|item| O::cursor(item).to_owned());
                            let next = match cursor {
                                Some(cursor) if has_more && !seen.contains(&cursor) => {
                                    let mut operation = operation;
                                    operation.set_after(cursor);
                                    Some(operation)
                                }
                                _ => None,
                            };
                            let items: Vec<Result<O::Item>> = items.into_iter().map(Ok).collect();
                            Some((futures::stream::iter(items), (next, seen)))
                        }
                    }
                }
            },
        )
        .flatten(),
    )
}

/// The cursors a listing has been given, kept as 64-bit hashes: eight bytes
/// a page, however long the server's cursors are.
#[derive(Default)]
struct Cursors(std::collections::HashSet<u64>);

impl Cursors {
    fn hash(cursor: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        cursor.hash(&mut hasher);
        hasher.finish()
    }

    fn insert(&mut self, cursor: &str) {
        self.0.insert(Self::hash(cursor));
    }

    fn contains(&self, cursor: &str) -> bool {
        self.0.contains(&Self::hash(cursor))
    }
}
