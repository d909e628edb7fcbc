//! Blocking `client.knowledge_bases()`, with data sources, documents and
//! ingestion jobs.

use crate::blocking::Iter;
use crate::error::Result;
use crate::operations::{ListDataSources, ListDocuments, ListIngestionJobs, ListKnowledgeBases};
use crate::resources::files::FileSource;
use crate::resources::knowledge_bases::{
    DataSources as AsyncDataSources, Documents as AsyncDocuments,
    IngestionJobs as AsyncIngestionJobs, KnowledgeBases as AsyncKnowledgeBases,
};
use crate::response::Mode;
use crate::types::{
    DataSource, DataSourceCreateRequest, DataSourceList, DeletedObject, Document, DocumentList,
    IngestionJob, IngestionJobList, KnowledgeBase, KnowledgeBaseCreateRequest, KnowledgeBaseList,
    KnowledgeBaseUpdateRequest, RetrievalRequest, RetrievalResponse,
};

blocking_namespace! {
    /// Blocking `client.knowledge_bases()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let kbs = client.knowledge_bases();
    /// let kb = kbs.create(KnowledgeBaseCreateRequest::new("docs"))?;
    /// kbs.update(&kb.id, KnowledgeBaseUpdateRequest::new().description("Docs"))?;
    /// println!("{}", kbs.retrieve(&kb.id)?.name);
    /// println!("{}", kbs.list(ListKnowledgeBases::new())?.data.len());
    /// for kb in kbs.list_all(ListKnowledgeBases::new()) {
    ///     println!("{}", kb?.id);
    /// }
    /// let hits = kbs.retrieve_chunks(&kb.id, RetrievalRequest::new("refunds"))?;
    /// println!("{}", hits.results.len());
    /// kbs.delete(&kb.id)?;
    /// # Ok(()) }
    /// ```
    KnowledgeBases => AsyncKnowledgeBases
}

impl<M: Mode> KnowledgeBases<M> {
    /// See [`crate::resources::knowledge_bases::KnowledgeBases::create`].
    pub fn create(
        &self,
        request: impl Into<KnowledgeBaseCreateRequest>,
    ) -> Result<M::Output<KnowledgeBase>> {
        let request: KnowledgeBaseCreateRequest = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.create(request))
    }

    /// See [`crate::resources::knowledge_bases::KnowledgeBases::list`].
    pub fn list(
        &self,
        request: impl Into<ListKnowledgeBases>,
    ) -> Result<M::Output<KnowledgeBaseList>> {
        let request: ListKnowledgeBases = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.list(request))
    }

    /// See [`crate::resources::knowledge_bases::KnowledgeBases::list_all`].
    pub fn list_all(&self, request: impl Into<ListKnowledgeBases>) -> Iter<KnowledgeBase> {
        Iter::new(self.inner.list_all(request), self.runtime, None)
    }

    /// See [`crate::resources::knowledge_bases::KnowledgeBases::retrieve`].
    pub fn retrieve(&self, kb_id: &str) -> Result<M::Output<KnowledgeBase>> {
        let kb_id = kb_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.retrieve(&kb_id))
    }

    /// See [`crate::resources::knowledge_bases::KnowledgeBases::update`].
    pub fn update(
        &self,
        kb_id: &str,
        request: impl Into<KnowledgeBaseUpdateRequest>,
    ) -> Result<M::Output<KnowledgeBase>> {
        let kb_id = kb_id.to_owned();
        let request: KnowledgeBaseUpdateRequest = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.update(&kb_id, request))
    }

    /// See [`crate::resources::knowledge_bases::KnowledgeBases::delete`].
    pub fn delete(&self, kb_id: &str) -> Result<M::Output<DeletedObject>> {
        let kb_id = kb_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.delete(&kb_id))
    }

    /// See [`crate::resources::knowledge_bases::KnowledgeBases::retrieve_chunks`].
    pub fn retrieve_chunks(
        &self,
        kb_id: &str,
        request: impl Into<RetrievalRequest>,
    ) -> Result<M::Output<RetrievalResponse>> {
        let kb_id = kb_id.to_owned();
        let request: RetrievalRequest = request.into();
        self.runtime.run_with(&self.inner, move |inner| {
            inner.retrieve_chunks(&kb_id, request)
        })
    }

    /// Data sources of a knowledge base.
    pub fn data_sources(&self) -> DataSources<M> {
        DataSources::new(self.inner.data_sources(), self.runtime)
    }

    /// Documents of a knowledge base.
    pub fn documents(&self) -> Documents<M> {
        Documents::new(self.inner.documents(), self.runtime)
    }

    /// Ingestion jobs of a knowledge base.
    pub fn ingestion_jobs(&self) -> IngestionJobs<M> {
        IngestionJobs::new(self.inner.ingestion_jobs(), self.runtime)
    }
}

blocking_namespace! {
    /// Blocking `knowledge_bases().data_sources()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let sources = client.knowledge_bases().data_sources();
    /// let source = sources.create_from_file("kb_a1b2c3d4", FileSource::path("handbook.pdf"))?;
    /// let crawl = sources.create(
    ///     "kb_a1b2c3d4",
    ///     DataSourceCreateRequest::new(WebCrawlConfig::new(["https://docs.example.com"])),
    /// )?;
    /// println!("{:?}", sources.retrieve("kb_a1b2c3d4", &crawl.id)?.status);
    /// println!("{}", sources.list(ListDataSources::new("kb_a1b2c3d4"))?.data.len());
    /// for source in sources.list_all(ListDataSources::new("kb_a1b2c3d4")) {
    ///     println!("{}", source?.source.kind());
    /// }
    /// sources.delete("kb_a1b2c3d4", &source.id)?;
    /// # Ok(()) }
    /// ```
    DataSources => AsyncDataSources
}

impl<M: Mode> DataSources<M> {
    /// See [`crate::resources::knowledge_bases::DataSources::create`].
    pub fn create(
        &self,
        kb_id: &str,
        request: impl Into<DataSourceCreateRequest>,
    ) -> Result<M::Output<DataSource>> {
        let kb_id = kb_id.to_owned();
        let request: DataSourceCreateRequest = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.create(&kb_id, request))
    }

    /// See [`crate::resources::knowledge_bases::DataSources::create_from_file`].
    pub fn create_from_file(&self, kb_id: &str, file: FileSource) -> Result<M::Output<DataSource>> {
        let kb_id = kb_id.to_owned();
        self.runtime.run_with(&self.inner, move |inner| {
            inner.create_from_file(&kb_id, file)
        })
    }

    /// See [`crate::resources::knowledge_bases::DataSources::list`].
    pub fn list(&self, request: impl Into<ListDataSources>) -> Result<M::Output<DataSourceList>> {
        let request: ListDataSources = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.list(request))
    }

    /// See [`crate::resources::knowledge_bases::DataSources::list_all`].
    pub fn list_all(&self, request: impl Into<ListDataSources>) -> Iter<DataSource> {
        Iter::new(self.inner.list_all(request), self.runtime, None)
    }

    /// See [`crate::resources::knowledge_bases::DataSources::retrieve`].
    pub fn retrieve(&self, kb_id: &str, ds_id: &str) -> Result<M::Output<DataSource>> {
        let kb_id = kb_id.to_owned();
        let ds_id = ds_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.retrieve(&kb_id, &ds_id))
    }

    /// See [`crate::resources::knowledge_bases::DataSources::delete`].
    pub fn delete(&self, kb_id: &str, ds_id: &str) -> Result<M::Output<DeletedObject>> {
        let kb_id = kb_id.to_owned();
        let ds_id = ds_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.delete(&kb_id, &ds_id))
    }
}

blocking_namespace! {
    /// Blocking `knowledge_bases().documents()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let docs = client.knowledge_bases().documents();
    /// for doc in docs.list(ListDocuments::new("kb_a1b2c3d4"))?.data {
    ///     println!("{:?}", docs.retrieve("kb_a1b2c3d4", &doc.id)?.status);
    /// }
    /// for doc in docs.list_all(ListDocuments::new("kb_a1b2c3d4")) {
    ///     docs.delete("kb_a1b2c3d4", &doc?.id)?;
    /// }
    /// # Ok(()) }
    /// ```
    Documents => AsyncDocuments
}

impl<M: Mode> Documents<M> {
    /// See [`crate::resources::knowledge_bases::Documents::list`].
    pub fn list(&self, request: impl Into<ListDocuments>) -> Result<M::Output<DocumentList>> {
        let request: ListDocuments = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.list(request))
    }

    /// See [`crate::resources::knowledge_bases::Documents::list_all`].
    pub fn list_all(&self, request: impl Into<ListDocuments>) -> Iter<Document> {
        Iter::new(self.inner.list_all(request), self.runtime, None)
    }

    /// See [`crate::resources::knowledge_bases::Documents::retrieve`].
    pub fn retrieve(&self, kb_id: &str, document_id: &str) -> Result<M::Output<Document>> {
        let kb_id = kb_id.to_owned();
        let document_id = document_id.to_owned();
        self.runtime.run_with(&self.inner, move |inner| {
            inner.retrieve(&kb_id, &document_id)
        })
    }

    /// See [`crate::resources::knowledge_bases::Documents::delete`].
    pub fn delete(&self, kb_id: &str, document_id: &str) -> Result<M::Output<DeletedObject>> {
        let kb_id = kb_id.to_owned();
        let document_id = document_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.delete(&kb_id, &document_id))
    }
}

blocking_namespace! {
    /// Blocking `knowledge_bases().ingestion_jobs()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let jobs = client.knowledge_bases().ingestion_jobs();
    /// for job in jobs.list(ListIngestionJobs::new("kb_a1b2c3d4"))?.data {
    ///     println!("{}", jobs.retrieve("kb_a1b2c3d4", &job.id)?.status);
    /// }
    /// for job in jobs.list_all(ListIngestionJobs::new("kb_a1b2c3d4").status(IngestionJobStatus::Failed)) {
    ///     println!("{:?}", job?.error);
    /// }
    /// # Ok(()) }
    /// ```
    IngestionJobs => AsyncIngestionJobs
}

impl<M: Mode> IngestionJobs<M> {
    /// See [`crate::resources::knowledge_bases::IngestionJobs::list`].
    pub fn list(
        &self,
        request: impl Into<ListIngestionJobs>,
    ) -> Result<M::Output<IngestionJobList>> {
        let request: ListIngestionJobs = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.list(request))
    }

    /// See [`crate::resources::knowledge_bases::IngestionJobs::list_all`].
    pub fn list_all(&self, request: impl Into<ListIngestionJobs>) -> Iter<IngestionJob> {
        Iter::new(self.inner.list_all(request), self.runtime, None)
    }

    /// See [`crate::resources::knowledge_bases::IngestionJobs::retrieve`].
    pub fn retrieve(&self, kb_id: &str, job_id: &str) -> Result<M::Output<IngestionJob>> {
        let kb_id = kb_id.to_owned();
        let job_id = job_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.retrieve(&kb_id, &job_id))
    }
}
