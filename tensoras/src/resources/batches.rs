//! `client.batches()`.

use crate::error::Result;
use crate::operations::{CancelBatch, CreateBatch, ListBatches, RetrieveBatch};
use crate::response::Mode;
use crate::types::{Batch, BatchCreateRequest, BatchList};
use futures::Stream;
use std::future::Future;

namespace! {
    /// The Batches API.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::TryStreamExt;
    /// use tensoras::prelude::*;
    /// let batch = client.batches()
    ///     .create(BatchCreateRequest::new("file-abc123", BatchEndpoint::ChatCompletions)) // window: 24h
    ///     .await?;
    /// let batch = client.batches().retrieve(&batch.id).await?;
    /// println!("{}: {}", batch.id, batch.status);
    /// let page = client.batches().list(ListBatches::new().limit(10)).await?;
    /// let every: Vec<Batch> = client.batches().list_all(ListBatches::new()).try_collect().await?;
    /// println!("{} on the first page, {} in all", page.data.len(), every.len());
    /// client.batches().cancel(&batch.id).await?;
    /// let raw = client.batches().with_raw_response().retrieve(&batch.id).await?;
    /// println!("{:?}", raw.request_id());
    /// # Ok(()) }
    /// ```
    Batches
}

impl<M: Mode> Batches<M> {
    /// Starts a batch over an uploaded JSONL file.
    pub fn create(
        &self,
        request: impl Into<BatchCreateRequest>,
    ) -> impl Future<Output = Result<M::Output<Batch>>> + Send + 'static {
        self.client.execute::<_, M>(CreateBatch::new(request))
    }

    /// One batch.
    pub fn retrieve(
        &self,
        batch_id: &str,
    ) -> impl Future<Output = Result<M::Output<Batch>>> + Send + 'static {
        self.client.execute::<_, M>(RetrieveBatch::new(batch_id))
    }

    /// One page of batches.
    pub fn list(
        &self,
        request: impl Into<ListBatches>,
    ) -> impl Future<Output = Result<M::Output<BatchList>>> + Send + 'static {
        self.client.execute::<_, M>(request.into())
    }

    /// Every batch, page after page, fetched as the stream is read.
    #[must_use = "a stream fetches nothing until it is read"]
    pub fn list_all(
        &self,
        request: impl Into<ListBatches>,
    ) -> impl Stream<Item = Result<Batch>> + Send + Unpin + 'static {
        crate::pagination::list_all(self.client.clone(), request.into())
    }

    /// Asks a batch to stop.
    pub fn cancel(
        &self,
        batch_id: &str,
    ) -> impl Future<Output = Result<M::Output<Batch>>> + Send + 'static {
        self.client.execute::<_, M>(CancelBatch::new(batch_id))
    }
}
