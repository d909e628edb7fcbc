//! `client.embeddings()`.

use crate::client::Tensoras;
use crate::error::{Error, Result};
use crate::types::{EmbeddingInput, EmbeddingRequest, EmbeddingResponse, EmbeddingVector};
use base64::Engine;

/// `POST /embeddings`.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// let one = client.embeddings().create("bge-large-en-v1.5", "hello").await?;
/// let many = client.embeddings().create_base64("bge-large-en-v1.5", ["a", "b"]).await?;
/// for item in one.data.iter().chain(&many.data) {
///     println!("{}", tensoras::embedding_vector(&item.embedding)?.len());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Embeddings(pub(crate) Tensoras);

impl Embeddings {
    /// Embeds one string or a batch (`Vec<String>`, `&[&str]`, ...).
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// let response = client.embeddings()
    ///     .create("bge-large-en-v1.5", "The quick brown fox jumps over the lazy dog.")
    ///     .await?;
    /// let vector = tensoras::embedding_vector(&response.data[0].embedding)?;
    /// println!("Dimensions: {}", vector.len());
    /// # Ok(()) }
    /// ```
    pub async fn create(
        &self,
        model: impl Into<String>,
        input: impl Into<Input>,
    ) -> Result<EmbeddingResponse> {
        self.send(model.into(), input.into(), None).await
    }

    /// Like [`create`](Self::create) with `encoding_format: "base64"`: a
    /// quarter of the bytes on the wire; [`embedding_vector`] decodes it.
    pub async fn create_base64(
        &self,
        model: impl Into<String>,
        input: impl Into<Input>,
    ) -> Result<EmbeddingResponse> {
        self.send(model.into(), input.into(), Some("base64".into()))
            .await
    }

    async fn send(
        &self,
        model: String,
        input: Input,
        encoding_format: Option<String>,
    ) -> Result<EmbeddingResponse> {
        let request = EmbeddingRequest {
            model,
            input: input.0,
            encoding_format,
            user: None,
        };
        self.0.post_json("embeddings", &request).await
    }
}

/// Embedding input: one string or many.
#[derive(Debug, Clone)]
pub struct Input(EmbeddingInput);

impl From<&str> for Input {
    fn from(value: &str) -> Self {
        Input(EmbeddingInput::String(value.to_owned()))
    }
}
impl From<String> for Input {
    fn from(value: String) -> Self {
        Input(EmbeddingInput::String(value))
    }
}
impl From<Vec<String>> for Input {
    fn from(value: Vec<String>) -> Self {
        Input(EmbeddingInput::Array(value))
    }
}
impl From<&[&str]> for Input {
    fn from(value: &[&str]) -> Self {
        Input(EmbeddingInput::Array(
            value.iter().map(|s| (*s).to_owned()).collect(),
        ))
    }
}
impl<const N: usize> From<[&str; N]> for Input {
    fn from(value: [&str; N]) -> Self {
        Input(EmbeddingInput::Array(
            value.iter().map(|s| (*s).to_owned()).collect(),
        ))
    }
}

/// The vector of an embedding as `f32`s, whichever encoding the server used
/// (a float array, or base64 of little-endian `f32` bytes).
///
/// ```
/// use tensoras::types::EmbeddingVector;
/// // 1.0f32 and 2.0f32, little-endian, in base64.
/// let v = tensoras::embedding_vector(&EmbeddingVector::String("AACAPwAAAEA=".into()))?;
/// assert_eq!(v, vec![1.0, 2.0]);
/// # Ok::<(), tensoras::Error>(())
/// ```
pub fn embedding_vector(vector: &EmbeddingVector) -> Result<Vec<f32>> {
    match vector {
        EmbeddingVector::Array(values) => Ok(values.clone()),
        EmbeddingVector::String(encoded) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|e| {
                    Error::decode(
                        format!("embedding is not valid base64: {e}"),
                        encoded.as_bytes(),
                    )
                })?;
            if bytes.len() % 4 != 0 {
                return Err(Error::decode(
                    format!(
                        "base64 embedding has {} bytes, not a multiple of 4",
                        bytes.len()
                    ),
                    encoded.as_bytes(),
                ));
            }
            Ok(bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect())
        }
    }
}
