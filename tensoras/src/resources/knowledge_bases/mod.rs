//! `client.knowledge_bases()`, with its data sources, documents, ingestion
//! jobs and retrieval.

mod data_sources;
mod documents;
mod ingestion_jobs;

pub use data_sources::DataSources;
pub use documents::Documents;
pub use ingestion_jobs::IngestionJobs;

use crate::error::{Error, Result};
use crate::operations::{
    CreateKnowledgeBase, DeleteKnowledgeBase, ListKnowledgeBases, RetrieveChunks,
    RetrieveKnowledgeBase, UpdateKnowledgeBase,
};
use crate::response::{ApiResponse, Mode};
use crate::types::{
    DeletedObject, KnowledgeBase, KnowledgeBaseCreateRequest, KnowledgeBaseList,
    KnowledgeBaseUpdateRequest, RetrievalRequest, RetrievalResponse,
};
use futures::Stream;
use serde_json::Value;
use std::future::Future;

namespace! {
    /// The Knowledge Bases API.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::TryStreamExt;
    /// use tensoras::prelude::*;
    /// let kbs = client.knowledge_bases();
    /// let kb = kbs
    ///     .create(KnowledgeBaseCreateRequest::new("support-docs").description("Customer support documentation"))
    ///     .await?;
    /// kbs.update(&kb.id, KnowledgeBaseUpdateRequest::new().description("Support")).await?;
    /// println!("{}", kbs.retrieve(&kb.id).await?.name);
    /// println!("{} on the first page", kbs.list(ListKnowledgeBases::new()).await?.data.len());
    /// let every: Vec<KnowledgeBase> = kbs.list_all(ListKnowledgeBases::new()).try_collect().await?;
    /// let hits = kbs
    ///     .retrieve_chunks(&kb.id, RetrievalRequest::new("reset password").top_k(3))
    ///     .await?;
    /// println!("{} knowledge bases, {} hits", every.len(), hits.results.len());
    /// let raw = kbs.with_raw_response().retrieve(&kb.id).await?;
    /// println!("{:?}", raw.request_id());
    /// kbs.delete(&kb.id).await?;
    /// # Ok(()) }
    /// ```
    KnowledgeBases
}

impl<M: Mode> KnowledgeBases<M> {
    /// Creates a knowledge base.
    pub fn create(
        &self,
        request: impl Into<KnowledgeBaseCreateRequest>,
    ) -> impl Future<Output = Result<M::Output<KnowledgeBase>>> + Send + 'static {
        self.client
            .execute::<_, M>(CreateKnowledgeBase::new(request))
    }

    /// One page of knowledge bases.
    pub fn list(
        &self,
        request: impl Into<ListKnowledgeBases>,
    ) -> impl Future<Output = Result<M::Output<KnowledgeBaseList>>> + Send + 'static {
        self.client.execute::<_, M>(request.into())
    }

    /// Every knowledge base, page after page, fetched as the stream is read.
    #[must_use = "a stream fetches nothing until it is read"]
    pub fn list_all(
        &self,
        request: impl Into<ListKnowledgeBases>,
    ) -> impl Stream<Item = Result<KnowledgeBase>> + Send + Unpin + 'static {
        crate::pagination::list_all(self.client.clone(), request.into())
    }

    /// One knowledge base.
    pub fn retrieve(
        &self,
        kb_id: &str,
    ) -> impl Future<Output = Result<M::Output<KnowledgeBase>>> + Send + 'static {
        self.client
            .execute::<_, M>(RetrieveKnowledgeBase::new(kb_id))
    }

    /// Changes name, description or metadata.
    pub fn update(
        &self,
        kb_id: &str,
        request: impl Into<KnowledgeBaseUpdateRequest>,
    ) -> impl Future<Output = Result<M::Output<KnowledgeBase>>> + Send + 'static {
        self.client
            .execute::<_, M>(UpdateKnowledgeBase::new(kb_id, request))
    }

    /// Deletes a knowledge base.
    pub fn delete(
        &self,
        kb_id: &str,
    ) -> impl Future<Output = Result<M::Output<DeletedObject>>> + Send + 'static {
        self.client.execute::<_, M>(DeleteKnowledgeBase::new(kb_id))
    }

    /// Searches a knowledge base (`client.retrieval.query` in Python).
    ///
    /// The result list is `results` in the REST reference and `chunks` in
    /// the Python SDK's docs; both are accepted (`openapi/DECISIONS.md` #11).
    pub fn retrieve_chunks(
        &self,
        kb_id: &str,
        request: impl Into<RetrievalRequest>,
    ) -> impl Future<Output = Result<M::Output<RetrievalResponse>>> + Send + 'static {
        let request = self.client.request(&RetrieveChunks::new(kb_id, request));
        let client = self.client.clone();
        async move {
            let raw: ApiResponse<Value> = client.json(request?).await?;
            let mut value = raw.data;
            if let Value::Object(map) = &mut value {
                if !map.contains_key("results") {
                    if let Some(chunks) = map.remove("chunks") {
                        map.insert("results".into(), chunks);
                    }
                }
                map.entry("object").or_insert_with(|| "list".into());
            }
            let data = <RetrievalResponse as serde::Deserialize>::deserialize(value)
                .map_err(|e| Error::decode(e.to_string(), b"(a retrieval response)"))?;
            Ok(M::output(ApiResponse::new(
                data,
                raw.status,
                raw.headers,
                raw.attempts,
            )))
        }
    }

    /// Data sources of a knowledge base.
    pub fn data_sources(&self) -> DataSources<M> {
        DataSources::new(self.client.clone())
    }

    /// Documents of a knowledge base.
    pub fn documents(&self) -> Documents<M> {
        Documents::new(self.client.clone())
    }

    /// Ingestion jobs of a knowledge base.
    pub fn ingestion_jobs(&self) -> IngestionJobs<M> {
        IngestionJobs::new(self.client.clone())
    }
}
