//! Embeddings (Python SDK: "Embeddings"), plus a batch with base64 transport
//! decoded transparently.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example embeddings
//! ```

use tensoras::prelude::*;

#[tokio::main]
async fn main() -> Result<(), tensoras::Error> {
    let client = Tensoras::new()?;
    let response = client
        .embeddings()
        .create(EmbeddingRequest::new(
            "gte-large-en-v1.5",
            "The quick brown fox jumps over the lazy dog.",
        ))
        .await?;
    let embedding: &[f32] = response.data[0].vector();
    println!("Dimensions: {}", embedding.len());

    // A batch, sent as base64 (a quarter of the bytes), read as floats all the same.
    let batch = client
        .embeddings()
        .create(
            EmbeddingRequest::new("gte-large-en-v1.5", ["first text", "second text"])
                .encoding_format(EncodingFormat::Base64),
        )
        .await?;
    for item in &batch.data {
        println!("input {}: {} dimensions", item.index, item.vector().len());
    }
    Ok(())
}
