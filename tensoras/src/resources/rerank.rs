//! `client.rerank()`.

use crate::error::Result;
use crate::operations::CreateRerank;
use crate::response::Mode;
use crate::types::{RerankRequest, RerankResponse};
use std::future::Future;

namespace! {
    /// `POST /rerank`: documents scored against a query, best first.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let response = client.rerank().create(
    ///     RerankRequest::new("bge-reranker-v2-m3", "What is deep learning?", [
    ///         "Deep learning is a subset of machine learning.",
    ///         "The weather today is sunny.",
    ///     ])
    ///     .top_n(1)
    ///     .return_documents(false),
    /// ).await?;
    /// for result in &response.results {
    ///     println!("Index: {}, Score: {:.4}", result.index, result.relevance_score);
    /// }
    /// let raw = client.rerank().with_raw_response()
    ///     .create(RerankRequest::new("bge-reranker-v2-m3", "q", [RerankDocument::new("a")]))
    ///     .await?;
    /// println!("{}", raw.status);
    /// # Ok(()) }
    /// ```
    Rerank
}

impl<M: Mode> Rerank<M> {
    /// Scores the documents against the query; results come best first.
    pub fn create(
        &self,
        request: impl Into<RerankRequest>,
    ) -> impl Future<Output = Result<M::Output<RerankResponse>>> + Send + 'static {
        self.client.execute::<_, M>(CreateRerank::new(request))
    }
}
