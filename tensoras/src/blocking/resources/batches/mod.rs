//! Blocking `client.batches()`, bulk jobs included.

mod run;

pub use run::{BatchResults, BatchRun};
// What a job is made of is shared with the async client.
pub use crate::resources::batches::{
    BatchExt, BatchJob, BatchLimits, BatchOutcome, BatchRequest, BatchResponse, WaitOptions,
};

use crate::blocking::Iter;
use crate::error::Result;
use crate::operations::ListBatches;
use crate::resources::batches::Batches as AsyncBatches;
use crate::response::Mode;
use crate::types::{Batch, BatchCreateRequest, BatchList};

blocking_namespace! {
    /// Blocking `client.batches()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let batch = client.batches().create(BatchCreateRequest::new("file-abc123", BatchEndpoint::ChatCompletions))?;
    /// println!("{}", client.batches().retrieve(&batch.id)?.status);
    /// println!("{}", client.batches().list(ListBatches::new())?.data.len());
    /// for batch in client.batches().list_all(ListBatches::new()) {
    ///     println!("{}", batch?.id);
    /// }
    /// client.batches().cancel(&batch.id)?;
    /// # Ok(()) }
    /// ```
    Batches => AsyncBatches
}

impl<M: Mode> Batches<M> {
    /// See [`crate::resources::batches::Batches::create`].
    pub fn create(&self, request: impl Into<BatchCreateRequest>) -> Result<M::Output<Batch>> {
        let request: BatchCreateRequest = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.create(request))
    }

    /// See [`crate::resources::batches::Batches::retrieve`].
    pub fn retrieve(&self, batch_id: &str) -> Result<M::Output<Batch>> {
        let batch_id = batch_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.retrieve(&batch_id))
    }

    /// See [`crate::resources::batches::Batches::list`].
    pub fn list(&self, request: impl Into<ListBatches>) -> Result<M::Output<BatchList>> {
        let request: ListBatches = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.list(request))
    }

    /// See [`crate::resources::batches::Batches::list_all`].
    pub fn list_all(&self, request: impl Into<ListBatches>) -> Iter<Batch> {
        Iter::new(self.inner.list_all(request), self.runtime, None)
    }

    /// See [`crate::resources::batches::Batches::cancel`].
    pub fn cancel(&self, batch_id: &str) -> Result<M::Output<Batch>> {
        let batch_id = batch_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.cancel(&batch_id))
    }
}

/// Bulk jobs: on the parsed namespace only (they are several calls, with
/// no single raw response to give).
impl Batches {
    /// See [`crate::resources::batches::Batches::submit`].
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::BatchJob;
    /// let job = BatchJob::from_requests(["a", "b"].map(|t| EmbeddingRequest::new("bge-large-en-v1.5", t)));
    /// let run = client.batches().submit(job)?;
    /// println!("{}", run.id());
    /// # Ok(()) }
    /// ```
    pub fn submit<R: BatchRequest>(&self, job: BatchJob<R>) -> Result<BatchRun<R::Response>> {
        let run = self
            .runtime
            .run_with(&self.inner, move |inner| inner.submit(job))?;
        Ok(BatchRun::new(run, self.runtime))
    }

    /// See [`crate::resources::batches::Batches::resume`].
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let run = client.batches().resume::<ChatCompletion>("batch_abc123")?;
    /// println!("{}", run.batch().status);
    /// # Ok(()) }
    /// ```
    pub fn resume<T: BatchResponse>(&self, batch_id: &str) -> Result<BatchRun<T>> {
        let batch_id = batch_id.to_owned();
        let run = self
            .runtime
            .run_with(&self.inner, move |inner| inner.resume::<T>(&batch_id))?;
        Ok(BatchRun::new(run, self.runtime))
    }

    /// See [`crate::resources::batches::Batches::run`].
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::{BatchJob, WaitOptions};
    /// let job = BatchJob::from_requests(["a", "b"].map(|t| EmbeddingRequest::new("bge-large-en-v1.5", t)));
    /// for outcome in client.batches().run(job, WaitOptions::new())? {
    ///     let outcome = outcome?;
    ///     println!("{}: {}", outcome.custom_id, outcome.result.is_ok());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn run<R: BatchRequest>(
        &self,
        job: BatchJob<R>,
        options: WaitOptions,
    ) -> Result<BatchResults<R::Response>> {
        // Polled here, not a task: the wait runs the caller's `on_progress`,
        // which may block or make blocking calls of its own, on the
        // caller's thread rather than a shared worker.
        let results = self.runtime.block_on(self.inner.run(job, options))?;
        Ok(BatchResults::new(results, self.runtime))
    }
}
