//! Reranking (Python SDK: "Reranking").
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example rerank
//! ```

use tensoras::prelude::*;

#[tokio::main]
async fn main() -> Result<(), tensoras::Error> {
    let client = Tensoras::new()?;
    let response = client
        .rerank()
        .create(RerankRequest::new(
            "bge-reranker-v2-m3",
            "What is deep learning?",
            [
                "Deep learning is a subset of machine learning.",
                "The weather today is sunny.",
                "Neural networks are the foundation of deep learning.",
            ],
        ))
        .await?;
    for result in &response.results {
        println!(
            "Index: {}, Score: {:.4}",
            result.index, result.relevance_score
        );
    }
    Ok(())
}
