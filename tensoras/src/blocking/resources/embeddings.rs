//! Blocking `client.embeddings()`.

use crate::error::Result;
use crate::resources::embeddings::Embeddings as AsyncEmbeddings;
use crate::response::Mode;
use crate::types::{EmbeddingRequest, EmbeddingResponse};

blocking_namespace! {
    /// Blocking `client.embeddings()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let response = client.embeddings().create(
    ///     EmbeddingRequest::new("bge-large-en-v1.5", "hello").encoding_format(EncodingFormat::Base64),
    /// )?;
    /// println!("{}", response.data[0].vector().len());
    /// # Ok(()) }
    /// ```
    Embeddings => AsyncEmbeddings
}

impl<M: Mode> Embeddings<M> {
    /// See [`crate::resources::embeddings::Embeddings::create`].
    pub fn create(
        &self,
        request: impl Into<EmbeddingRequest>,
    ) -> Result<M::Output<EmbeddingResponse>> {
        let request: EmbeddingRequest = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.create(request))
    }
}
