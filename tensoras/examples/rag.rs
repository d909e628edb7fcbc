//! Retrieval-augmented generation with citations (Python SDK: "Query with
//! RAG"), plus direct retrieval of the matching chunks.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... TENSORAS_KB=kb_... cargo run -p tensoras --example rag
//! ```

use tensoras::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;
    // A knowledge base to ask: TENSORAS_KB, or a fresh one with a handbook.
    let kb_id = match std::env::var("TENSORAS_KB") {
        Ok(id) => id,
        Err(_) => {
            let kb = client
                .knowledge_bases()
                .create(KnowledgeBaseCreateRequest::new("support-docs"))
                .await?;
            let handbook = FileSource::bytes(
                "handbook.md",
                "To reset your password, open Settings, then Security, then Reset password.",
            );
            client
                .knowledge_bases()
                .data_sources()
                .create_from_file(&kb.id, handbook)
                .await?;
            kb.id
        }
    };

    let response = client
        .chat()
        .completions()
        .create(
            ChatCompletionRequest::new(
                "llama-3.3-70b",
                [ChatMessage::user("How do I reset my password?")],
            )
            .knowledge_bases([kb_id.as_str()]),
        )
        .await?;
    println!("{}", response.text());
    for citation in &response.citations {
        println!(" Source: {}, Score: {:.3}", citation.source, citation.score);
    }

    let chunks = client
        .knowledge_bases()
        .retrieve_chunks(
            &kb_id,
            RetrievalRequest::new("reset password")
                .top_k(3)
                .search_type(SearchType::Hybrid),
        )
        .await?;
    println!("{} chunks retrieved directly", chunks.results.len());
    Ok(())
}
