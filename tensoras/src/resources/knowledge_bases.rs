//! `client.knowledge_bases()` with data sources, documents, retrieval and ingestion jobs.

use crate::client::Tensoras;
use crate::error::Result;
use crate::pagination::{paginate, ListParams};
use crate::path::segment;
use crate::resources::files::FileSource;
use crate::types::{
    DataSource, DataSourceCreateRequest, DataSourceList, DeletedObject, Document, DocumentList,
    FileUploadConfig, FileUploadDataSource, FileUploadDataSourceType, IngestionJob,
    IngestionJobList, KnowledgeBase, KnowledgeBaseCreateRequest, KnowledgeBaseList,
    KnowledgeBaseUpdateRequest, RetrievalRequest, RetrievalResponse,
};
use futures::Stream;

/// The Knowledge Bases API.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use futures::TryStreamExt;
/// use tensoras::ListParams;
/// let kbs = client.knowledge_bases();
/// let kb = kbs.create(&tensoras::knowledge_base("support-docs").build()?).await?;
/// kbs.update(&kb.id, &serde_json::from_value(serde_json::json!({"description": "Support"}))?).await?;
/// println!("{}", kbs.retrieve(&kb.id).await?.name);
/// println!("{} on the first page", kbs.list(ListParams::new()).await?.data.len());
/// let every: Vec<_> = kbs.list_all(ListParams::new()).try_collect().await?;
/// let hits = kbs
///     .retrieve_chunks(&kb.id, &serde_json::from_value(serde_json::json!({"query": "refunds"}))?)
///     .await?;
/// println!("{} knowledge bases, {} hits", every.len(), hits.results.len());
/// kbs.delete(&kb.id).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct KnowledgeBases(pub(crate) Tensoras);

fn kb_path(kb_id: &str, rest: &str) -> Result<String> {
    Ok(format!("knowledge-bases/{}{rest}", segment(kb_id)?))
}

impl KnowledgeBases {
    /// Creates a knowledge base.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// let kb = client.knowledge_bases()
    ///     .create(&tensoras::knowledge_base("support-docs").description("Customer support documentation").build()?)
    ///     .await?;
    /// println!("{}", kb.id);
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, request: &KnowledgeBaseCreateRequest) -> Result<KnowledgeBase> {
        self.0.post_json("knowledge-bases", request).await
    }

    /// One page of knowledge bases.
    pub async fn list(&self, params: ListParams) -> Result<KnowledgeBaseList> {
        self.0.get_json("knowledge-bases", &params.query()).await
    }

    /// Every knowledge base, page after page.
    pub fn list_all(&self, params: ListParams) -> impl Stream<Item = Result<KnowledgeBase>> + Send {
        let client = self.0.clone();
        paginate(params, move |p| {
            let client = client.clone();
            Box::pin(async move {
                client
                    .get_json::<KnowledgeBaseList>("knowledge-bases", &p.query())
                    .await
            })
        })
    }

    /// One knowledge base.
    pub async fn retrieve(&self, kb_id: &str) -> Result<KnowledgeBase> {
        self.0.get_json(&kb_path(kb_id, "")?, &[]).await
    }

    /// Changes name, description or metadata.
    pub async fn update(
        &self,
        kb_id: &str,
        request: &KnowledgeBaseUpdateRequest,
    ) -> Result<KnowledgeBase> {
        self.0.patch_json(&kb_path(kb_id, "")?, request).await
    }

    /// Deletes a knowledge base.
    pub async fn delete(&self, kb_id: &str) -> Result<DeletedObject> {
        self.0.delete_json(&kb_path(kb_id, "")?).await
    }

    /// Searches a knowledge base (`client.retrieval.query` in Python).
    pub async fn retrieve_chunks(
        &self,
        kb_id: &str,
        request: &RetrievalRequest,
    ) -> Result<RetrievalResponse> {
        let raw: serde_json::Value = self
            .0
            .post_json(&kb_path(kb_id, "/retrieve")?, request)
            .await?;
        // The Python SDK docs call the list `chunks`; accept both (openapi/DECISIONS.md #11).
        let raw = match raw {
            serde_json::Value::Object(mut map)
                if !map.contains_key("results") && map.contains_key("chunks") =>
            {
                if let Some(chunks) = map.remove("chunks") {
                    map.insert("results".into(), chunks);
                }
                map.entry("object").or_insert_with(|| "list".into());
                serde_json::Value::Object(map)
            }
            other => other,
        };
        serde_json::from_value(raw.clone())
            .map_err(|e| crate::Error::decode(e.to_string(), raw.to_string().as_bytes()))
    }

    /// Data sources of a knowledge base.
    pub fn data_sources(&self) -> DataSources {
        DataSources(self.0.clone())
    }

    /// Documents of a knowledge base.
    pub fn documents(&self) -> Documents {
        Documents(self.0.clone())
    }

    /// Ingestion jobs of a knowledge base.
    pub fn ingestion_jobs(&self) -> IngestionJobs {
        IngestionJobs(self.0.clone())
    }
}

/// A [`KnowledgeBaseCreateRequest`] builder.
pub fn knowledge_base(name: impl Into<String>) -> KnowledgeBaseBuilder {
    KnowledgeBaseBuilder {
        name: name.into(),
        description: None,
        embedding_model: None,
        chunking_strategy: None,
    }
}

/// Builds a [`KnowledgeBaseCreateRequest`].
#[derive(Debug, Clone)]
#[must_use]
pub struct KnowledgeBaseBuilder {
    name: String,
    description: Option<String>,
    embedding_model: Option<String>,
    chunking_strategy: Option<crate::types::ChunkingStrategy>,
}

impl KnowledgeBaseBuilder {
    /// A description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// The embedding model (default `bge-large-en-v1.5`).
    pub fn embedding_model(mut self, model: impl Into<String>) -> Self {
        self.embedding_model = Some(model.into());
        self
    }

    /// Chunking: `recursive`, `fixed_size` or `semantic`, size and overlap in tokens.
    pub fn chunking(
        mut self,
        kind: impl Into<String>,
        chunk_size: u64,
        chunk_overlap: u64,
    ) -> Self {
        self.chunking_strategy = Some(crate::types::ChunkingStrategy {
            type_: Some(kind.into()),
            chunk_size: std::num::NonZeroU64::new(chunk_size),
            chunk_overlap: Some(chunk_overlap),
        });
        self
    }

    /// The request; an empty name is [`crate::Error::InvalidInput`].
    pub fn build(self) -> Result<KnowledgeBaseCreateRequest> {
        let name = self
            .name
            .try_into()
            .map_err(|e| crate::Error::InvalidInput(format!("knowledge base name: {e}")))?;
        Ok(KnowledgeBaseCreateRequest {
            name,
            description: self.description,
            embedding_model: self.embedding_model,
            chunking_strategy: self.chunking_strategy,
            metadata: Default::default(),
        })
    }
}

/// `…/knowledge-bases/{kb_id}/data-sources`.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::{FileSource, ListParams};
/// let sources = client.knowledge_bases().data_sources();
/// let from_file = sources.create_from_file("kb_a1b2c3d4", FileSource::path("handbook.pdf")).await?;
/// let crawl = sources
///     .create("kb_a1b2c3d4", &serde_json::from_value(serde_json::json!({
///         "type": "web_crawl", "config": {"urls": ["https://docs.example.com"]}
///     }))?)
///     .await?;
/// println!("{:?}", sources.retrieve("kb_a1b2c3d4", &crawl.id).await?.status);
/// println!("{} sources", sources.list("kb_a1b2c3d4", ListParams::new()).await?.data.len());
/// sources.delete("kb_a1b2c3d4", &from_file.id).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DataSources(Tensoras);

impl DataSources {
    /// Adds a data source; this starts an ingestion job.
    pub async fn create(
        &self,
        kb_id: &str,
        request: &DataSourceCreateRequest,
    ) -> Result<DataSource> {
        self.0
            .post_json(&kb_path(kb_id, "/data-sources")?, request)
            .await
    }

    /// Uploads a file (purpose `knowledge-base`) and adds it as a
    /// `file_upload` data source: Python's
    /// `data_sources.create(knowledge_base_id=…, type="file_upload", file=open(…))`.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::FileSource;
    /// let source = client
    ///     .knowledge_bases()
    ///     .data_sources()
    ///     .create_from_file("kb_a1b2c3d4", FileSource::path("handbook.pdf"))
    ///     .await?;
    /// println!("{:?}", source.status); // "processing" -> "completed"
    /// # Ok(()) }
    /// ```
    pub async fn create_from_file(&self, kb_id: &str, file: FileSource) -> Result<DataSource> {
        // Check the id before uploading, so a bad id does not leave an orphan file.
        kb_path(kb_id, "")?;
        let uploaded = self.0.files().create(file, "knowledge-base").await?;
        let request = DataSourceCreateRequest::FileUploadDataSource(FileUploadDataSource {
            config: FileUploadConfig {
                file_ids: vec![uploaded.id],
            },
            name: Some(uploaded.filename),
            type_: FileUploadDataSourceType::FileUpload,
        });
        self.create(kb_id, &request).await
    }

    /// One page of data sources.
    pub async fn list(&self, kb_id: &str, params: ListParams) -> Result<DataSourceList> {
        self.0
            .get_json(&kb_path(kb_id, "/data-sources")?, &params.query())
            .await
    }

    /// One data source.
    pub async fn retrieve(&self, kb_id: &str, ds_id: &str) -> Result<DataSource> {
        self.0
            .get_json(
                &kb_path(kb_id, &format!("/data-sources/{}", segment(ds_id)?))?,
                &[],
            )
            .await
    }

    /// Removes a data source and its documents.
    pub async fn delete(&self, kb_id: &str, ds_id: &str) -> Result<DeletedObject> {
        self.0
            .delete_json(&kb_path(
                kb_id,
                &format!("/data-sources/{}", segment(ds_id)?),
            )?)
            .await
    }
}

/// `…/knowledge-bases/{kb_id}/documents`.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use futures::TryStreamExt;
/// use tensoras::ListParams;
/// let docs = client.knowledge_bases().documents();
/// for doc in docs.list("kb_a1b2c3d4", ListParams::new()).await?.data {
///     println!("{}: {:?} ({:?})", doc.id, doc.filename, doc.status);
/// }
/// let every: Vec<_> = docs.list_all("kb_a1b2c3d4", ListParams::new()).try_collect().await?;
/// if let Some(doc) = every.first() {
///     docs.retrieve("kb_a1b2c3d4", &doc.id).await?;
///     docs.delete("kb_a1b2c3d4", &doc.id).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Documents(Tensoras);

impl Documents {
    /// One page of documents.
    pub async fn list(&self, kb_id: &str, params: ListParams) -> Result<DocumentList> {
        self.0
            .get_json(&kb_path(kb_id, "/documents")?, &params.query())
            .await
    }

    /// Every document, page after page.
    pub fn list_all(
        &self,
        kb_id: &str,
        params: ListParams,
    ) -> impl Stream<Item = Result<Document>> + Send {
        let client = self.0.clone();
        let path = kb_path(kb_id, "/documents").map_err(|e| e.to_string());
        paginate(params, move |p| {
            let client = client.clone();
            let path = path.clone();
            Box::pin(async move {
                let path = path.map_err(crate::Error::InvalidInput)?;
                client.get_json::<DocumentList>(&path, &p.query()).await
            })
        })
    }

    /// One document.
    pub async fn retrieve(&self, kb_id: &str, document_id: &str) -> Result<Document> {
        self.0
            .get_json(
                &kb_path(kb_id, &format!("/documents/{}", segment(document_id)?))?,
                &[],
            )
            .await
    }

    /// Removes a document.
    pub async fn delete(&self, kb_id: &str, document_id: &str) -> Result<DeletedObject> {
        self.0
            .delete_json(&kb_path(
                kb_id,
                &format!("/documents/{}", segment(document_id)?),
            )?)
            .await
    }
}

/// `…/knowledge-bases/{kb_id}/ingestion-jobs`.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::ListParams;
/// let jobs = client.knowledge_bases().ingestion_jobs();
/// let running = jobs.list("kb_a1b2c3d4", ListParams::new(), Some("running")).await?;
/// for job in &running.data {
///     println!("{}: {}", job.id, jobs.retrieve("kb_a1b2c3d4", &job.id).await?.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct IngestionJobs(Tensoras);

impl IngestionJobs {
    /// One page of jobs, optionally only those with `status`.
    pub async fn list(
        &self,
        kb_id: &str,
        params: ListParams,
        status: Option<&str>,
    ) -> Result<IngestionJobList> {
        let mut query = params.query();
        if let Some(status) = status {
            query.push(("status", status.to_owned()));
        }
        self.0
            .get_json(&kb_path(kb_id, "/ingestion-jobs")?, &query)
            .await
    }

    /// One job.
    pub async fn retrieve(&self, kb_id: &str, job_id: &str) -> Result<IngestionJob> {
        self.0
            .get_json(
                &kb_path(kb_id, &format!("/ingestion-jobs/{}", segment(job_id)?))?,
                &[],
            )
            .await
    }
}
