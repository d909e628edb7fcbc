//! Blocking `client.rerank()`.

use crate::error::Result;
use crate::resources::rerank::Rerank as AsyncRerank;
use crate::response::Mode;
use crate::types::{RerankRequest, RerankResponse};

blocking_namespace! {
    /// Blocking `client.rerank()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let ranked = client.rerank().create(RerankRequest::new("bge-reranker-v2-m3", "q", ["a", "b"]))?;
    /// println!("{}", ranked.results[0].relevance_score);
    /// # Ok(()) }
    /// ```
    Rerank => AsyncRerank
}

impl<M: Mode> Rerank<M> {
    /// See [`crate::resources::rerank::Rerank::create`].
    pub fn create(&self, request: impl Into<RerankRequest>) -> Result<M::Output<RerankResponse>> {
        let request: RerankRequest = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.create(request))
    }
}
