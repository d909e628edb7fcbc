//! `client.rerank()`.

use crate::client::Tensoras;
use crate::error::Result;
use crate::types::{RerankInputDocument, RerankRequest, RerankResponse};

/// `POST /rerank`.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// let ranked = client
///     .rerank()
///     .create("bge-reranker-v2-m3", "deep learning", ["sunny", "neural networks"], Some(1))
///     .await?;
/// println!("best: {}", ranked.results[0].index);
/// let raw: tensoras::types::RerankRequest = serde_json::from_value(serde_json::json!({
///     "model": "bge-reranker-v2-m3", "query": "q", "documents": [{"text": "a"}],
///     "return_documents": false
/// }))?;
/// client.rerank().create_raw(&raw).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Rerank(pub(crate) Tensoras);

impl Rerank {
    /// Scores `documents` against `query`; results come best first.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// let response = client.rerank().create("bge-reranker-v2-m3", "What is deep learning?", [
    ///     "Deep learning is a subset of machine learning.",
    ///     "The weather today is sunny.",
    /// ], None).await?;
    /// for result in &response.results {
    ///     println!("Index: {}, Score: {:.4}", result.index, result.relevance_score);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn create<S: Into<String>>(
        &self,
        model: impl Into<String>,
        query: impl Into<String>,
        documents: impl IntoIterator<Item = S>,
        top_n: Option<u64>,
    ) -> Result<RerankResponse> {
        let request = RerankRequest {
            model: model.into(),
            query: query.into(),
            // Plain strings, as in the reference's example request.
            documents: documents
                .into_iter()
                .map(|d| RerankInputDocument::String(d.into()))
                .collect(),
            top_n: top_n.and_then(std::num::NonZeroU64::new),
            return_documents: None,
        };
        self.create_raw(&request).await
    }

    /// Sends a fully specified request (`return_documents`, `{text}` documents, ...).
    pub async fn create_raw(&self, request: &RerankRequest) -> Result<RerankResponse> {
        self.0.post_json("rerank", request).await
    }
}
