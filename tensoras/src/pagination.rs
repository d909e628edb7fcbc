//! Cursor pagination (`limit`, `after`, `has_more`) and auto-paginating streams.

use crate::error::Result;
use futures::future::BoxFuture;
use futures::Stream;

/// A page of a list endpoint.
pub trait Page: Send + 'static {
    /// The listed object.
    type Item: Send + 'static;
    /// Whether more pages follow.
    fn has_more(&self) -> bool;
    /// The id of the last item, the cursor of the next page.
    fn last_id(&self) -> Option<String>;
    /// The items.
    fn into_items(self) -> Vec<Self::Item>;
}

macro_rules! impl_page {
    ($($list:ident => $item:ident),* $(,)?) => {$(
        impl Page for crate::types::$list {
            type Item = crate::types::$item;
            fn has_more(&self) -> bool {
                self.has_more
            }
            fn last_id(&self) -> Option<String> {
                self.data.last().map(|item| item.id.clone())
            }
            fn into_items(self) -> Vec<Self::Item> {
                self.data
            }
        }
    )*};
}

impl_page! {
    FileList => FileObject,
    BatchList => Batch,
    KnowledgeBaseList => KnowledgeBase,
    DataSourceList => DataSource,
    DocumentList => Document,
    IngestionJobList => IngestionJob,
    WebhookList => Webhook,
}

/// `limit` and `after` for a list call.
///
/// ```
/// let params = tensoras::ListParams::new().limit(50).after("kb_abc123");
/// # let _ = params;
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ListParams {
    pub(crate) limit: Option<u32>,
    pub(crate) after: Option<String>,
}

impl ListParams {
    /// The first page with the server's default size.
    pub fn new() -> Self {
        Self::default()
    }

    /// Items per page (the API allows 1 to 100).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The page after the item with this id.
    pub fn after(mut self, id: impl Into<String>) -> Self {
        self.after = Some(id.into());
        self
    }

    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(limit) = self.limit {
            query.push(("limit", limit.to_string()));
        }
        if let Some(after) = &self.after {
            query.push(("after", after.clone()));
        }
        query
    }
}

/// Walks every page from `first`, yielding items. Stops when `has_more` is
/// false, a page is empty, or the cursor would not advance (a server bug that
/// would otherwise loop forever).
pub(crate) fn paginate<P, F>(
    first: ListParams,
    fetch: F,
) -> impl Stream<Item = Result<P::Item>> + Send
where
    P: Page,
    F: Fn(ListParams) -> BoxFuture<'static, Result<P>> + Send + Sync + 'static,
{
    struct State<F> {
        params: Option<ListParams>,
        fetch: F,
    }
    let state = State {
        params: Some(first),
        fetch,
    };
    futures::stream::unfold(state, |mut state| async move {
        let params = state.params.take()?;
        let previous = params.after.clone();
        match (state.fetch)(params.clone()).await {
            Err(err) => Some((futures::stream::iter(vec![Err(err)]), state)),
            Ok(page) => {
                let next = page.last_id();
                if page.has_more() && next.is_some() && next != previous {
                    state.params = Some(ListParams {
                        after: next,
                        ..params
                    });
                }
                let items: Vec<Result<P::Item>> = page.into_items().into_iter().map(Ok).collect();
                Some((futures::stream::iter(items), state))
            }
        }
    })
    .flatten()
}

use futures::StreamExt as _;
