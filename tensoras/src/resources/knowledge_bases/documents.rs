//! `…/knowledge-bases/{kb_id}/documents`.

use crate::error::Result;
use crate::operations::{DeleteDocument, ListDocuments, RetrieveDocument};
use crate::response::Mode;
use crate::types::{DeletedObject, Document, DocumentList};
use futures::Stream;
use std::future::Future;

namespace! {
    /// The documents ingested into a knowledge base.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::TryStreamExt;
    /// use tensoras::prelude::*;
    /// let docs = client.knowledge_bases().documents();
    /// for doc in docs.list(ListDocuments::new("kb_a1b2c3d4").limit(20)).await?.data {
    ///     println!("{}: {:?} ({:?})", doc.id, doc.filename, doc.status);
    /// }
    /// let every: Vec<Document> = docs.list_all(ListDocuments::new("kb_a1b2c3d4")).try_collect().await?;
    /// if let Some(doc) = every.first() {
    ///     docs.retrieve("kb_a1b2c3d4", &doc.id).await?;
    ///     docs.delete("kb_a1b2c3d4", &doc.id).await?;
    /// }
    /// # Ok(()) }
    /// ```
    Documents
}

impl<M: Mode> Documents<M> {
    /// One page of documents.
    pub fn list(
        &self,
        request: impl Into<ListDocuments>,
    ) -> impl Future<Output = Result<M::Output<DocumentList>>> + Send + 'static {
        self.client.execute::<_, M>(request.into())
    }

    /// Every document, page after page, fetched as the stream is read.
    #[must_use = "a stream fetches nothing until it is read"]
    pub fn list_all(
        &self,
        request: impl Into<ListDocuments>,
    ) -> impl Stream<Item = Result<Document>> + Send + Unpin + 'static {
        crate::pagination::list_all(self.client.clone(), request.into())
    }

    /// One document.
    pub fn retrieve(
        &self,
        kb_id: &str,
        document_id: &str,
    ) -> impl Future<Output = Result<M::Output<Document>>> + Send + 'static {
        self.client
            .execute::<_, M>(RetrieveDocument::new(kb_id, document_id))
    }

    /// Removes a document.
    pub fn delete(
        &self,
        kb_id: &str,
        document_id: &str,
    ) -> impl Future<Output = Result<M::Output<DeletedObject>>> + Send + 'static {
        self.client
            .execute::<_, M>(DeleteDocument::new(kb_id, document_id))
    }
}
