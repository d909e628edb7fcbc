//! `…/knowledge-bases/{kb_id}/data-sources`.

use crate::error::Result;
use crate::operations::{CreateDataSource, DeleteDataSource, ListDataSources, RetrieveDataSource};
use crate::resources::files::FileSource;
use crate::response::{Mode, Raw};
use crate::types::{
    DataSource, DataSourceCreateRequest, DataSourceList, DeletedObject, FileObject, FilePurpose,
    FileUploadConfig,
};
use futures::Stream;
use std::future::Future;

namespace! {
    /// The data sources of a knowledge base; adding one starts an ingestion
    /// job. One config type per source type (`WebCrawlConfig`, `S3Config`,
    /// ...), each converting into the request.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::TryStreamExt;
    /// use tensoras::prelude::*;
    /// let sources = client.knowledge_bases().data_sources();
    /// let from_file = sources.create_from_file("kb_a1b2c3d4", FileSource::path("handbook.pdf")).await?;
    /// let crawl = sources
    ///     .create(
    ///         "kb_a1b2c3d4",
    ///         DataSourceCreateRequest::new(
    ///             WebCrawlConfig::new(["https://docs.example.com"]).max_pages(50),
    ///         )
    ///         .name("Docs site"),
    ///     )
    ///     .await?;
    /// let crawl = sources.retrieve("kb_a1b2c3d4", &crawl.id).await?;
    /// if let DataSourceConfig::WebCrawl(config) = &crawl.source {
    ///     println!("{:?}: {:?}", config.urls, crawl.status);
    /// }
    /// println!("{} sources", sources.list(ListDataSources::new("kb_a1b2c3d4")).await?.data.len());
    /// let every: Vec<DataSource> = sources.list_all(ListDataSources::new("kb_a1b2c3d4")).try_collect().await?;
    /// println!("{} in all", every.len());
    /// sources.delete("kb_a1b2c3d4", &from_file.id).await?;
    /// # Ok(()) }
    /// ```
    DataSources
}

impl<M: Mode> DataSources<M> {
    /// Adds a data source; this starts an ingestion job.
    pub fn create(
        &self,
        kb_id: &str,
        request: impl Into<DataSourceCreateRequest>,
    ) -> impl Future<Output = Result<M::Output<DataSource>>> + Send + 'static {
        self.client
            .execute::<_, M>(CreateDataSource::new(kb_id, request))
    }

    /// Uploads a file (purpose `knowledge-base`) and adds it as a
    /// `file_upload` data source: Python's
    /// `data_sources.create(knowledge_base_id=…, type="file_upload", file=open(…))`.
    ///
    /// When adding the data source fails, the uploaded file is deleted
    /// again only if the refusal proves no data source was made: a 4xx
    /// status the client does not retry (such as 404 for an unknown
    /// knowledge base, or 400, 403, 422; see
    /// [`Error::is_retryable`](crate::Error::is_retryable)) answering the
    /// create's first and only attempt
    /// ([`ApiError::attempts`](crate::ApiError::attempts)).
    /// After an earlier attempt, or a status it retries (408, 409, 429, or one the server marked
    /// `x-should-retry: true`; each retry carries the same
    /// `Idempotency-Key`, so an earlier attempt whose response was lost may
    /// have made the data source), a 5xx, a timeout or a broken connection,
    /// the file may be in use and is kept: its id is logged at `warn`, with
    /// the error (which does not carry it); delete it with
    /// `client.files().delete(id)` once it is known to be unused. A failed
    /// delete is logged the same way.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::FileSource;
    /// let source = client
    ///     .knowledge_bases()
    ///     .data_sources()
    ///     .create_from_file("kb_a1b2c3d4", FileSource::path("handbook.pdf"))
    ///     .await?;
    /// println!("{:?}", source.status); // processing, then completed
    /// # Ok(()) }
    /// ```
    pub fn create_from_file(
        &self,
        kb_id: &str,
        file: FileSource,
    ) -> impl Future<Output = Result<M::Output<DataSource>>> + Send + 'static {
        // Checked before uploading, so a bad id does not leave an orphan file.
        let checked = crate::path::segment("kb_id", kb_id).map(|_| kb_id.to_owned());
        let files = crate::resources::files::Files::<Raw>::new(self.client.clone());
        let sources = self.clone();
        async move {
            let kb_id = checked?;
            let uploaded: FileObject = files.create(file, FilePurpose::KnowledgeBase).await?.data;
            let file_id = uploaded.id.clone();
            let request = DataSourceCreateRequest::new(FileUploadConfig::new([uploaded.id]))
                .name(uploaded.filename);
            let error = match sources.create(&kb_id, request).await {
                Ok(source) => return Ok(source),
                Err(error) => error,
            };
            if crate::retry::created_nothing(&error) {
                // Refused outright: no data source uses the file.
                if let Err(cleanup) = files.delete(&file_id).await {
                    tracing::warn!(
                        file_id = %file_id,
                        knowledge_base_id = %kb_id,
                        error = %cleanup,
                        "tensoras: adding the data source was refused and its uploaded file could not be deleted"
                    );
                }
            } else {
                tracing::warn!(
                    file_id = %file_id,
                    knowledge_base_id = %kb_id,
                    error = %error,
                    "tensoras: adding the data source failed; its uploaded file is kept, since a data source may have been created with it"
                );
            }
            Err(error)
        }
    }

    /// One page of data sources.
    pub fn list(
        &self,
        request: impl Into<ListDataSources>,
    ) -> impl Future<Output = Result<M::Output<DataSourceList>>> + Send + 'static {
        self.client.execute::<_, M>(request.into())
    }

    /// Every data source, page after page, fetched as the stream is read.
    #[must_use = "a stream fetches nothing until it is read"]
    pub fn list_all(
        &self,
        request: impl Into<ListDataSources>,
    ) -> impl Stream<Item = Result<DataSource>> + Send + Unpin + 'static {
        crate::pagination::list_all(self.client.clone(), request.into())
    }

    /// One data source.
    pub fn retrieve(
        &self,
        kb_id: &str,
        ds_id: &str,
    ) -> impl Future<Output = Result<M::Output<DataSource>>> + Send + 'static {
        self.client
            .execute::<_, M>(RetrieveDataSource::new(kb_id, ds_id))
    }

    /// Removes a data source and its documents.
    pub fn delete(
        &self,
        kb_id: &str,
        ds_id: &str,
    ) -> impl Future<Output = Result<M::Output<DeletedObject>>> + Send + 'static {
        self.client
            .execute::<_, M>(DeleteDataSource::new(kb_id, ds_id))
    }
}
