//! Embeddings (Python SDK: "Embeddings"), plus a batch with base64 transport
//! decoded transparently.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example embeddings
//! ```

use tensoras::Tensoras;

#[tokio::main]
async fn main() -> Result<(), tensoras::Error> {
    let client = Tensoras::new()?;
    let response = client
        .embeddings()
        .create(
            "gte-large-en-v1.5",
            "The quick brown fox jumps over the lazy dog.",
        )
        .await?;
    let embedding = tensoras::embedding_vector(&response.data[0].embedding)?;
    println!("Dimensions: {}", embedding.len());

    // A batch, sent as base64 (smaller and faster to decode), read as Vec<f32>.
    let batch = client
        .embeddings()
        .create_base64("gte-large-en-v1.5", ["first text", "second text"])
        .await?;
    for item in &batch.data {
        let vector = tensoras::embedding_vector(&item.embedding)?;
        println!("input {}: {} dimensions", item.index, vector.len());
    }
    Ok(())
}
