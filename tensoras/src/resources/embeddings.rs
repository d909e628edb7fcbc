//! `client.embeddings()`.

use crate::error::Result;
use crate::operations::CreateEmbedding;
use crate::response::Mode;
use crate::types::{Embedding, EmbeddingRequest, EmbeddingResponse};
use std::future::Future;

namespace! {
    /// `POST /embeddings`.
    ///
    /// Vectors arrive as floats, or with `encoding_format(EncodingFormat::Base64)`
    /// as base64 (a quarter of the bytes); either way each is decoded when
    /// the response is read, and [`EmbeddingExt::vector`] is a `&[f32]`.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let one = client.embeddings()
    ///     .create(EmbeddingRequest::new("bge-large-en-v1.5", "The quick brown fox."))
    ///     .await?;
    /// println!("Dimensions: {}", one.data[0].vector().len());
    /// let many = client.embeddings()
    ///     .create(EmbeddingRequest::new("bge-large-en-v1.5", ["a", "b"]).encoding_format(EncodingFormat::Base64))
    ///     .await?;
    /// let vectors: Vec<&[f32]> = many.data.iter().map(|e| e.vector()).collect();
    /// println!("{} vectors", vectors.len());
    /// let raw = client.embeddings().with_raw_response()
    ///     .create(EmbeddingRequest::new("bge-large-en-v1.5", "x"))
    ///     .await?;
    /// println!("{:?}", raw.rate_limit());
    /// # Ok(()) }
    /// ```
    Embeddings
}

impl<M: Mode> Embeddings<M> {
    /// Embeds one string or a batch.
    pub fn create(
        &self,
        request: impl Into<EmbeddingRequest>,
    ) -> impl Future<Output = Result<M::Output<EmbeddingResponse>>> + Send + 'static {
        self.client.execute::<_, M>(CreateEmbedding::new(request))
    }
}

/// An embedding's vector (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// // 1.0f32 and 2.0f32, little-endian, in base64; floats decode the same way.
/// let base64: Embedding =
///     serde_json::from_str(r#"{"object":"embedding","index":0,"embedding":"AACAPwAAAEA="}"#)?;
/// let floats: Embedding =
///     serde_json::from_str(r#"{"object":"embedding","index":0,"embedding":[1.0,2.0]}"#)?;
/// assert_eq!(base64.vector(), &[1.0, 2.0]);
/// assert_eq!(base64.vector(), floats.vector());
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait EmbeddingExt {
    /// The vector, whichever encoding the server used.
    fn vector(&self) -> &[f32];
}

impl EmbeddingExt for Embedding {
    fn vector(&self) -> &[f32] {
        self.embedding.as_slice()
    }
}
