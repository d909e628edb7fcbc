//! `client.batches()`: the Batch API's calls, and bulk jobs end to end
//! ([`BatchJob`] in, typed [`BatchOutcome`]s out).

mod job;
mod results;
mod run;

pub use job::{BatchJob, BatchLimits, BatchRequest, BatchResponse};
pub use results::{BatchOutcome, BatchResults};
pub use run::{BatchExt, BatchRun, WaitOptions};

use crate::error::{Error, Result};
use crate::operations::{CancelBatch, CreateBatch, ListBatches, RetrieveBatch};
use crate::response::Mode;
use crate::types::{Batch, BatchCreateRequest, BatchList, FilePurpose};
use crate::FileSource;
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

/// Bulk jobs: on the parsed namespace only (they are several calls, with
/// no single raw response to give).
impl Batches {
    /// Sends a job: writes its input file (checking it against the job's
    /// [`BatchLimits`] first, so a job that breaks one is refused with
    /// [`Error::InvalidInput`] before anything is sent), uploads it with
    /// purpose `batch`, and creates the batch. The local copy of the file
    /// is removed either way.
    ///
    /// When creating the batch fails, the uploaded file is deleted again
    /// only if the refusal proves no batch was made: a 4xx status the
    /// client does not retry (400, 401, 403, 404, 422, ...; see
    /// [`Error::is_retryable`]) answering the create's first and only
    /// attempt ([`ApiError::attempts`](crate::ApiError::attempts)). After
    /// an earlier attempt, or a status it retries (408, 409, 429,
    /// or one the server marked `x-should-retry: true`; each retry carries
    /// the same `Idempotency-Key`, so an earlier attempt whose response was
    /// lost may have created the batch), a 5xx, a timeout or a broken
    /// connection, the file may be in use by a batch that was created and
    /// is kept: its id is logged at `warn`, with the error (which does not
    /// carry it). A failed delete is logged the same way.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::BatchJob;
    /// let job = BatchJob::new()
    ///     .named("q-1", ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hi")]));
    /// let run = client.batches().submit(job).await?;
    /// println!("{} is {}", run.id(), run.batch().status);
    /// # Ok(()) }
    /// ```
    pub fn submit<R: BatchRequest>(
        &self,
        job: BatchJob<R>,
    ) -> impl Future<Output = Result<BatchRun<R::Response>>> + Send + 'static {
        let client = self.client.clone();
        async move {
            let metadata = job.metadata.clone();
            let input = job.write().await?;
            tracing::debug!(
                lines = input.lines,
                bytes = input.bytes,
                "tensoras: batch input file written"
            );
            let uploaded = client
                .files()
                .create(FileSource::path(&input.path), FilePurpose::Batch)
                .await;
            input.remove().await;
            let file = uploaded?;
            let mut request = BatchCreateRequest::new(
                file.id.clone(),
                <R::Response as BatchResponse>::endpoint(),
            );
            if let Some(metadata) = metadata {
                request = request.metadata(metadata);
            }
            let error = match client.batches().create(request).await {
                Ok(batch) => {
                    tracing::debug!(
                        batch_id = %batch.id,
                        input_file_id = %file.id,
                        "tensoras: batch submitted"
                    );
                    return BatchRun::new(client, batch);
                }
                Err(error) => error,
            };
            if crate::retry::created_nothing(&error) {
                // Refused outright: no batch uses the file.
                if let Err(cleanup) = client.files().delete(&file.id).await {
                    tracing::warn!(
                        input_file_id = %file.id,
                        error = %cleanup,
                        "tensoras: creating the batch was refused and its uploaded input file could not be deleted"
                    );
                }
            } else {
                tracing::warn!(
                    input_file_id = %file.id,
                    error = %error,
                    "tensoras: creating the batch failed; its uploaded input file is kept, since a batch may have been created with it"
                );
            }
            Err(error)
        }
    }

    /// A batch submitted before (after a restart, say), by id, typed by the
    /// response its requests get; [`Error::InvalidInput`] when the batch's
    /// endpoint does not give `T`.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::WaitOptions;
    /// let mut run = client.batches().resume::<EmbeddingResponse>("batch_abc123").await?;
    /// run.wait(WaitOptions::new()).await?;
    /// # Ok(()) }
    /// ```
    pub fn resume<T: BatchResponse>(
        &self,
        batch_id: &str,
    ) -> impl Future<Output = Result<BatchRun<T>>> + Send + 'static {
        let client = self.client.clone();
        let retrieve = client.batches().retrieve(batch_id);
        async move { BatchRun::new(client, retrieve.await?) }
    }

    /// A job from requests to results in one call: [`submit`](Self::submit),
    /// [`wait`](BatchRun::wait) as `options` say, then the
    /// [`results`](BatchRun::results) as a stream. A cancelled or expired
    /// batch gives the results of the requests that ran, and an
    /// [`Error::BatchLine`] for each request the
    /// server reports it did not run (what it leaves out,
    /// [`BatchResults::unreported`] counts).
    ///
    /// Once the batch is created, a failure carries it: a batch that failed
    /// as a whole is [`Error::BatchFailed`], and
    /// a wait that stopped (its timeout, a poll that failed for good) is
    /// [`Error::BatchUnfinished`], with the
    /// batch to resume, cancel or clean up. To keep the handle from the
    /// start, use [`submit`](Self::submit) and [`BatchRun::wait`].
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::TryStreamExt;
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::{BatchExt, BatchJob, WaitOptions};
    ///
    /// let job = BatchJob::from_requests(
    ///     ["alpha", "beta"].map(|t| EmbeddingRequest::new("bge-large-en-v1.5", t)),
    /// );
    /// let options = WaitOptions::new().on_progress(|b| println!("{}: {:?}", b.status, b.counts()));
    /// let mut results = client.batches().run(job, options).await?;
    /// while let Some(outcome) = results.try_next().await? {
    ///     match outcome.result {
    ///         Ok(response) => println!("{}: {} vectors", outcome.custom_id, response.data.len()),
    ///         Err(error) => println!("{}: {error}", outcome.custom_id),
    ///     }
    /// }
    /// results.delete_files().await?;
    /// # Ok(()) }
    /// ```
    pub fn run<R: BatchRequest>(
        &self,
        job: BatchJob<R>,
        options: WaitOptions,
    ) -> impl Future<Output = Result<BatchResults<R::Response>>> + Send + 'static {
        let submitted = self.submit(job);
        async move {
            let mut run = submitted.await?;
            if let Err(error) = run.wait(options).await {
                return Err(Error::BatchUnfinished {
                    batch: Box::new(run.batch().clone()),
                    source: Box::new(error),
                });
            }
            run.results().await
        }
    }
}
