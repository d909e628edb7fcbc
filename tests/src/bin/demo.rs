//! The README's main command (`cargo xtask demo`): the Python SDK's quick
//! start in Rust. Runs against the local server, or against
//! `TENSORAS_BASE_URL` when both it and `TENSORAS_API_KEY` are set.

use futures::StreamExt;
use std::io::Write;
use tensoras::messages::{system, user};
use tensoras::{ChatRequest, FileSource, Tensoras};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let remote =
        std::env::var("TENSORAS_API_KEY").is_ok() && std::env::var("TENSORAS_BASE_URL").is_ok();
    let (_server, client) = if remote {
        (None, Tensoras::new()?)
    } else {
        let server = tensoras_tests::Server::start().await?;
        let client = server.client();
        (Some(server), client)
    };
    println!("Tensoras demo against {}\n", client.base_url());

    let response = client
        .chat()
        .completions()
        .create(
            ChatRequest::new(
                "llama-3.3-70b",
                [
                    system("You are a helpful assistant."),
                    user("What is the capital of France?"),
                ],
            )
            .temperature(0.7)
            .max_tokens(256),
        )
        .await?;
    println!("chat reply: {}", tensoras::text_of(&response));

    print!("streamed reply: ");
    let mut stream = client
        .chat()
        .completions()
        .create_stream(ChatRequest::new(
            "llama-3.3-70b",
            [user("Write a short poem about APIs.")],
        ))
        .await?;
    while let Some(chunk) = stream.next().await {
        if let Some(text) = chunk?.choices.first().and_then(|c| c.delta.content.clone()) {
            print!("{text}");
            std::io::stdout().flush()?;
        }
    }
    println!();

    let embeddings = client
        .embeddings()
        .create(
            "bge-large-en-v1.5",
            "The quick brown fox jumps over the lazy dog.",
        )
        .await?;
    let vector = tensoras::embedding_vector(&embeddings.data[0].embedding)?;
    println!("embedding dimensions: {}", vector.len());

    let ranked = client
        .rerank()
        .create(
            "bge-reranker-v2-m3",
            "What is deep learning?",
            [
                "Deep learning is a subset of machine learning.",
                "The weather today is sunny.",
                "Neural networks are the foundation of deep learning.",
            ],
            None,
        )
        .await?;
    for result in &ranked.results {
        println!(
            "rerank: index {} score {:.4}",
            result.index, result.relevance_score
        );
    }

    let kb = client
        .knowledge_bases()
        .create(
            &tensoras::knowledge_base("support-docs")
                .description("Customer support documentation")
                .build()?,
        )
        .await?;
    let file = client
        .files()
        .create(
            FileSource::bytes("handbook.txt", "To reset your password, open Settings."),
            "knowledge-base",
        )
        .await?;
    let source: tensoras::types::DataSourceCreateRequest =
        serde_json::from_value(serde_json::json!({
            "type": "file_upload", "config": {"file_ids": [file.id]}
        }))?;
    client
        .knowledge_bases()
        .data_sources()
        .create(&kb.id, &source)
        .await?;
    let rag = client
        .chat()
        .completions()
        .create(
            ChatRequest::new("llama-3.3-70b", [user("How do I reset my password?")])
                .knowledge_bases([kb.id.clone()]),
        )
        .await?;
    println!("RAG answer: {}", tensoras::text_of(&rag));
    for citation in &rag.citations {
        println!(
            "  Source: {}, Score: {:.3}",
            citation.source, citation.score
        );
    }
    Ok(())
}
