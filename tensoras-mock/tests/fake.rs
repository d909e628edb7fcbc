//! The fake with no scripting, tried as a new user would: answers follow
//! the caller's schema, knowledge bases hold and retrieve what was
//! uploaded, statuses converge, usage counts the same streamed or not.

mod support;
use schemars::JsonSchema;
use serde::Deserialize;
use support::{ask, finish};
use tensoras::prelude::*;
use tensoras::FileSource;
use tensoras_mock::MockServer;

#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
struct Address {
    city: String,
    zip: u32,
}

#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
enum Tier {
    Free,
    Pro,
}

/// A nested struct, an enum, a list and an option: what schemars gives
/// with `$ref` / `$defs`.
#[derive(Debug, Deserialize, JsonSchema)]
struct Customer {
    name: String,
    address: Address,
    tier: Tier,
    tags: Vec<String>,
    nickname: Option<String>,
    previous: Vec<Address>,
}

/// Two required arguments, one of them a nested type.
#[derive(Debug, Deserialize, JsonSchema)]
struct BookFlight {
    to: String,
    passenger: Address,
    seats: u8,
}

#[tokio::test]
async fn structured_outputs_parse_into_nested_types() {
    let server = MockServer::start().await;
    let (customer, _) = server
        .client()
        .chat()
        .completions()
        .parse::<Customer>(ask("Ada from Paris"))
        .await
        .unwrap();
    assert_eq!(customer.name, "Ada from Paris");
    assert_eq!(customer.address.city, "Ada from Paris");
    assert_eq!(customer.tier, Tier::Free);
    assert!(!customer.tags.is_empty());
    assert!(!customer.previous.is_empty());
    assert_eq!(customer.nickname.as_deref(), Some("Ada from Paris"));
}

#[tokio::test]
async fn tool_arguments_have_every_required_field() {
    let server = MockServer::start().await;
    let tool = Tool::function::<BookFlight>("book_flight", "Books a flight");
    let first = server
        .client()
        .chat()
        .completions()
        .create(ask("To Lisbon").tools([tool]))
        .await
        .unwrap();
    let call = &first.tool_calls()[0];
    assert_eq!(call.function.name, "book_flight");
    let args: BookFlight = call.arguments().unwrap();
    assert_eq!(args.to, "To Lisbon");
    assert_eq!(args.passenger.city, "To Lisbon");
    assert_eq!(args.seats, 9, "the question's length");
}

#[tokio::test]
async fn a_knowledge_base_holds_and_retrieves_what_was_uploaded() {
    let server = MockServer::start().await;
    let client = server.client();
    let kb = client
        .knowledge_bases()
        .create(KnowledgeBaseCreateRequest::new("support"))
        .await
        .unwrap();
    let handbook = FileSource::bytes(
        "handbook.md",
        "To reset your password, open Settings, then Security, then Reset password.",
    );
    let source = client
        .knowledge_bases()
        .data_sources()
        .create_from_file(&kb.id, handbook)
        .await
        .unwrap();
    assert_eq!(source.status, Some(ProcessingStatus::Processing));
    // Ingestion is done by the next read, as its job says.
    let source = client
        .knowledge_bases()
        .data_sources()
        .retrieve(&kb.id, &source.id)
        .await
        .unwrap();
    assert_eq!(source.status, Some(ProcessingStatus::Completed));
    let jobs = client
        .knowledge_bases()
        .ingestion_jobs()
        .list(ListIngestionJobs::new(&kb.id))
        .await
        .unwrap();
    assert_eq!(jobs.data[0].status, IngestionJobStatus::Completed);
    let kb = client.knowledge_bases().retrieve(&kb.id).await.unwrap();
    assert_eq!(kb.document_count, Some(1));

    let chunks = client
        .knowledge_bases()
        .retrieve_chunks(&kb.id, RetrievalRequest::new("reset password").top_k(3))
        .await
        .unwrap();
    assert!(chunks.results[0]
        .text
        .as_deref()
        .unwrap()
        .contains("open Settings, then Security"));

    let answer = client
        .chat()
        .completions()
        .create(ask("How do I reset my password?").knowledge_bases([kb.id.as_str()]))
        .await
        .unwrap();
    assert!(
        answer.text().contains("open Settings, then Security"),
        "{}",
        answer.text()
    );
    assert_eq!(answer.citations[0].source, "handbook.md");
}

#[tokio::test]
async fn usage_is_the_same_streamed_or_not() {
    let server = MockServer::start().await;
    let client = server.client();
    let request = ask("How many tokens is this answer?");
    let whole = client
        .chat()
        .completions()
        .create(request.clone())
        .await
        .unwrap();
    let stream = client
        .chat()
        .completions()
        .create_stream(request)
        .await
        .unwrap();
    let streamed = finish(stream).await;
    assert_eq!(streamed.text(), whole.text());
    // "You asked: How many tokens is this answer?" is eight words.
    assert_eq!(whole.usage.as_ref().unwrap().completion_tokens, Some(8));
    assert_eq!(whole.usage, streamed.usage);
}

#[tokio::test]
async fn the_seed_picks_the_phrasing_and_the_same_seed_repeats_it() {
    let answer = |seed| async move {
        let server = MockServer::builder().seed(seed).start().await;
        let completion = server
            .client()
            .chat()
            .completions()
            .create(ask("Hi"))
            .await
            .unwrap();
        completion.text().to_owned()
    };
    assert_eq!(answer(0).await, "You asked: Hi");
    assert_eq!(answer(1).await, "Your question: Hi");
    assert_eq!(answer(1).await, answer(1).await);
}

#[tokio::test]
async fn embeddings_are_stable_per_text() {
    let server = MockServer::start().await;
    let client = server.client();
    let embed = |text: &'static str| {
        let client = client.clone();
        async move {
            client
                .embeddings()
                .create(EmbeddingRequest::new("bge-large-en-v1.5", text))
                .await
                .unwrap()
                .data[0]
                .embedding
                .clone()
        }
    };
    assert_eq!(embed("cat").await, embed("cat").await);
    assert_ne!(embed("cat").await, embed("dog").await);
    assert_eq!(embed("cat").await.len(), tensoras_mock::EMBEDDING_DIM);
}
