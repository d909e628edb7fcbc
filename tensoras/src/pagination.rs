//! Auto-pagination: one implementation for every list of the API, driven by
//! the generated [`Paginated`] operations (`after` cursor, `has_more`).

use crate::client::Tensoras;
use crate::error::Result;
use crate::operations::Paginated;
use futures::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;

/// Every item of a list, page after page, fetched as the stream is read.
///
/// Stops when `has_more` is false, a page is empty, or the cursor would not
/// advance (a server bug that would otherwise loop forever). An error ends
/// the stream after being yielded.
pub(crate) fn list_all<O>(
    client: Tensoras,
    first: O,
) -> impl Stream<Item = Result<O::Item>> + Send + 'static
where
    O: Paginated + Clone + Send + 'static,
    O::Response: DeserializeOwned + Send + 'static,
    O::Item: Send + 'static,
{
    // Boxed once, so callers can `.next()` it without pinning it themselves.
    Box::pin(
        futures::stream::unfold(Some(first), move |next| {
            let client = client.clone();
            async move {
                let operation = next?;
                let previous = operation
                    .query()
                    .into_iter()
                    .find(|(k, _)| *k == "after")
                    .map(|(_, v)| v);
                match client.call(operation.clone()).await {
                    Err(err) => Some((futures::stream::iter(vec![Err(err)]), None)),
                    Ok(response) => {
                        let (items, has_more) = O::page(response);
                        let cursor = items.last().map(|item| O::cursor(item).to_owned());
                        let next = match cursor {
                            Some(cursor) if has_more && Some(&cursor) != previous.as_ref() => {
                                let mut operation = operation;
                                operation.set_after(cursor);
                                Some(operation)
                            }
                            _ => None,
                        };
                        let items: Vec<Result<O::Item>> = items.into_iter().map(Ok).collect();
                        Some((futures::stream::iter(items), next))
                    }
                }
            }
        })
        .flatten(),
    )
}
