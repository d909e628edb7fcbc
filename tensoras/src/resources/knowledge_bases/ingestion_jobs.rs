//! `…/knowledge-bases/{kb_id}/ingestion-jobs`.

use crate::error::Result;
use crate::operations::{ListIngestionJobs, RetrieveIngestionJob};
use crate::response::Mode;
use crate::types::{IngestionJob, IngestionJobList};
use futures::Stream;
use std::future::Future;

namespace! {
    /// The ingestion jobs of a knowledge base (one per data source added or
    /// synced).
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::TryStreamExt;
    /// use tensoras::prelude::*;
    /// let jobs = client.knowledge_bases().ingestion_jobs();
    /// let running = jobs
    ///     .list(ListIngestionJobs::new("kb_a1b2c3d4").status(IngestionJobStatus::Processing))
    ///     .await?;
    /// for job in &running.data {
    ///     println!("{}: {}", job.id, jobs.retrieve("kb_a1b2c3d4", &job.id).await?.status);
    /// }
    /// let every: Vec<IngestionJob> = jobs.list_all(ListIngestionJobs::new("kb_a1b2c3d4")).try_collect().await?;
    /// println!("{} jobs", every.len());
    /// # Ok(()) }
    /// ```
    IngestionJobs
}

impl<M: Mode> IngestionJobs<M> {
    /// One page of jobs.
    pub fn list(
        &self,
        request: impl Into<ListIngestionJobs>,
    ) -> impl Future<Output = Result<M::Output<IngestionJobList>>> + Send + 'static {
        self.client.execute::<_, M>(request.into())
    }

    /// Every job, page after page, fetched as the stream is read.
    #[must_use = "a stream fetches nothing until it is read"]
    pub fn list_all(
        &self,
        request: impl Into<ListIngestionJobs>,
    ) -> impl Stream<Item = Result<IngestionJob>> + Send + Unpin + 'static {
        crate::pagination::list_all(self.client.clone(), request.into())
    }

    /// One job.
    pub fn retrieve(
        &self,
        kb_id: &str,
        job_id: &str,
    ) -> impl Future<Output = Result<M::Output<IngestionJob>>> + Send + 'static {
        self.client
            .execute::<_, M>(RetrieveIngestionJob::new(kb_id, job_id))
    }
}
