//! Typed scripting, received requests and expectations, through the public API.

mod support;
use futures::StreamExt as _;
use std::panic::AssertUnwindSafe;
use std::time::Duration;
use support::{ask, finish};
use tensoras::operations::{CreateChatCompletion, CreateEmbedding, RetrieveBatch};
use tensoras::prelude::*;
use tensoras_mock::{MockServer, Reply};

/// The panic message of `f`, or `None` when it does not panic.
fn panic_of(f: impl FnOnce()) -> Option<String> {
    let payload = std::panic::catch_unwind(AssertUnwindSafe(f)).err()?;
    Some(
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default(),
    )
}

#[tokio::test]
async fn mocks_match_typed_requests_and_answer_in_mount_order() {
    let server = MockServer::start().await;
    server
        .mock::<CreateChatCompletion>()
        .when(|r| r.messages.len() == 1)
        .when_contains("capital")
        .respond(Reply::text("Paris."))
        .expect(1)
        .mount();
    server
        .mock::<CreateChatCompletion>()
        .when_model("small-model")
        .respond(Reply::text("Small."))
        .mount();
    let client = server.client();
    let chat = client.chat();
    let completions = chat.completions();
    assert_eq!(
        completions
            .create(ask("The capital of France?"))
            .await
            .unwrap()
            .text(),
        "Paris."
    );
    let small = ChatCompletionRequest::new("small-model", [ChatMessage::user("x")]);
    assert_eq!(completions.create(small).await.unwrap().text(), "Small.");
    // No mock takes it: the fake answers.
    assert_eq!(
        completions.create(ask("Hello")).await.unwrap().text(),
        "You asked: Hello"
    );

    let received = server.received::<CreateChatCompletion>();
    assert_eq!(received.len(), 3);
    assert_eq!(received[1].body.model, "small-model");
    assert_eq!(received[0].path, "/chat/completions");
    let matched: Vec<Option<u64>> = server.requests().iter().map(|r| r.matched).collect();
    assert_eq!(matched, [Some(1), Some(2), None]);
}

#[tokio::test]
async fn a_text_reply_streams_when_asked_and_counts_usage_the_same() {
    let server = MockServer::start().await;
    server
        .mock::<CreateChatCompletion>()
        .respond(Reply::text("one two three four"))
        .mount();
    let client = server.client();
    let whole = client
        .chat()
        .completions()
        .create(ask("Count"))
        .await
        .unwrap();
    let stream = client
        .chat()
        .completions()
        .create_stream(ask("Count"))
        .await
        .unwrap();
    let streamed = finish(stream).await;
    assert_eq!(streamed.text(), "one two three four");
    let (whole, streamed) = (whole.usage.unwrap(), streamed.usage.unwrap());
    assert_eq!(whole.completion_tokens, Some(4));
    assert_eq!(streamed.completion_tokens, Some(4));
    assert_eq!(whole.prompt_tokens, streamed.prompt_tokens);
}

#[tokio::test]
async fn typed_stream_chunks_arrive_as_scripted() {
    let server = MockServer::start().await;
    let chunk = |text: &str| -> ChatCompletionChunk {
        serde_json::from_value(serde_json::json!({"id": "c1", "object": "chat.completion.chunk",
            "created": 1, "model": "m", "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]}))
        .unwrap()
    };
    server
        .mock::<CreateChatCompletion>()
        .respond(Reply::stream([chunk("Hel"), chunk("lo")]).pace(Duration::from_millis(1)))
        .mount();
    let mut stream = server
        .client()
        .chat()
        .completions()
        .create_stream(ask("Hi"))
        .await
        .unwrap();
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        text.push_str(chunk.unwrap().delta_text());
    }
    assert_eq!(text, "Hello");
}

#[tokio::test]
async fn errors_carry_status_type_code_and_retry_after() {
    let server = MockServer::start().await;
    server
        .mock::<CreateEmbedding>()
        .respond(
            Reply::error(429, "rate_limit_error", "Slow down.")
                .code("rate_limit_exceeded")
                .retry_after(Duration::from_millis(1500)),
        )
        .mount();
    let client = tensoras::Tensoras::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    let err = client
        .embeddings()
        .create(EmbeddingRequest::new("bge-large-en-v1.5", "x"))
        .await
        .unwrap_err();
    let Error::RateLimit(api) = &err else {
        panic!("expected a rate limit, got {err:?}");
    };
    assert_eq!(api.status_code, 429);
    assert_eq!(api.code.as_deref(), Some("rate_limit_exceeded"));
    assert_eq!(api.message, "Slow down.");
    assert_eq!(api.retry_after, Some(Duration::from_millis(1500)));
}

#[tokio::test]
async fn times_limits_a_mock_then_the_fake_answers() {
    let server = MockServer::start().await;
    let guard = server
        .mock::<CreateChatCompletion>()
        .respond(Reply::error(503, "server_error", "busy"))
        .times(2)
        .mount();
    // The SDK's two retries: 503, 503, then the fake's answer.
    let answer = server
        .client()
        .chat()
        .completions()
        .create(ask("Hi"))
        .await
        .unwrap();
    assert_eq!(answer.text(), "You asked: Hi");
    assert_eq!(guard.hits(), 2);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn path_parameters_are_matched_and_received() {
    let server = MockServer::start().await;
    let batch: Batch = serde_json::from_value(serde_json::json!({
        "id": "batch_abc", "object": "batch", "endpoint": "/v1/chat/completions",
        "input_file_id": "file-1", "completion_window": "24h", "status": "completed",
        "created_at": 1, "request_counts": {"total": 1, "completed": 1, "failed": 0}}))
    .unwrap();
    server
        .mock::<RetrieveBatch>()
        .when_path_contains("batch_abc")
        .respond(Reply::ok(batch))
        .mount();
    let got = server
        .client()
        .batches()
        .retrieve("batch_abc")
        .await
        .unwrap();
    assert_eq!(got.status, BatchStatus::Completed);
    let missing = server
        .client()
        .batches()
        .retrieve("batch_other")
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404));
    let received = server.received::<RetrieveBatch>();
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/batches/batch_abc", "/batches/batch_other"]);
}

#[test]
fn unmet_expectations_fail_at_the_drop_with_the_unmatched_requests() {
    let server = MockServer::start_blocking();
    server
        .mock::<CreateChatCompletion>()
        .named("the weather mock")
        .when_contains("weather")
        .respond(Reply::text("Sunny."))
        .expect(1)
        .mount();
    server
        .blocking_client()
        .chat()
        .completions()
        .create(ask("What time is it?"))
        .unwrap();
    let message = panic_of(|| drop(server)).expect("the drop panics");
    assert!(message.contains("the weather mock"), "{message}");
    assert!(
        message.contains("expected exactly 1 requests, matched 0"),
        "{message}"
    );
    assert!(
        message.contains("unmatched: POST /v1/chat/completions"),
        "{message}"
    );
    assert!(
        message.contains("- a body string contains \"weather\""),
        "{message}"
    );
    assert!(message.contains("What time is it?"), "{message}");
}

#[test]
fn a_met_expectation_and_a_range_pass() {
    let server = MockServer::start_blocking();
    server.mock::<CreateEmbedding>().expect(1..=2).mount();
    server
        .blocking_client()
        .embeddings()
        .create(EmbeddingRequest::new("bge-large-en-v1.5", "x"))
        .unwrap();
    server.verify();
    assert_eq!(panic_of(|| drop(server)), None);
}

#[test]
fn a_scripted_reply_the_spec_does_not_allow_fails_with_its_schema_path() {
    let server = MockServer::start_blocking();
    server
        .mock::<CreateEmbedding>()
        .respond(Reply::json(
            200,
            serde_json::json!({"object": "list", "data": "not a list"}),
        ))
        .mount();
    // The SDK rejects it too; the server names why.
    let _ = server
        .blocking_client()
        .embeddings()
        .create(EmbeddingRequest::new("bge-large-en-v1.5", "x"));
    let violations = server.take_violations();
    assert!(
        violations
            .iter()
            .any(|v| v.contains("createEmbedding 200") && v.contains("/data")),
        "{violations:?}"
    );
}

#[test]
fn a_request_the_spec_does_not_allow_is_rejected_and_fails_the_test() {
    let server = MockServer::start_blocking();
    let err = server
        .blocking_client()
        .chat()
        .completions()
        .create(ask("Hi").temperature(9.0))
        .unwrap_err();
    assert_eq!(err.status(), Some(422));
    let rejected = server.rejected();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(rejected[0].contains("/temperature"), "{rejected:?}");
    // Code that swallows the 422 still fails its test.
    let message = panic_of(|| drop(server)).expect("the drop panics");
    assert!(
        message.contains("requests the Tensoras API's spec does not allow"),
        "{message}"
    );
    assert!(message.contains("/temperature"), "{message}");

    let server = MockServer::start_blocking();
    let _ = server
        .blocking_client()
        .chat()
        .completions()
        .create(ask("Hi").temperature(9.0));
    assert_eq!(server.take_rejected().len(), 1);
    assert_eq!(panic_of(|| drop(server)), None);
}

#[tokio::test]
async fn every_operation_has_its_generated_method() {
    let server = MockServer::start().await;
    server
        .create_embedding()
        .respond(Reply::error(
            400,
            "invalid_request_error",
            "scripted through the named method",
        ))
        .expect(1)
        .mount();
    let err = server
        .client()
        .embeddings()
        .create(EmbeddingRequest::new("bge-large-en-v1.5", "x"))
        .await
        .unwrap_err();
    assert_eq!(
        err.as_api().unwrap().message,
        "scripted through the named method"
    );
}

#[test]
fn a_panicking_predicate_is_reported_not_a_hung_server() {
    let server = MockServer::start_blocking();
    server
        .mock::<CreateChatCompletion>()
        .when(|_| panic!("boom in a predicate"))
        .respond(Reply::text("never"))
        .mount();
    let answer = server
        .blocking_client()
        .chat()
        .completions()
        .create(ask("Hi"))
        .unwrap();
    assert_eq!(answer.text(), "You asked: Hi");
    let violations = server.take_violations();
    assert!(
        violations.iter().any(|v| v.contains("boom in a predicate")),
        "{violations:?}"
    );
}

#[test]
fn the_received_key_does_not_print() {
    let server = MockServer::start_blocking();
    server.blocking_client().models().list().unwrap();
    let all = format!("{:?}", server.requests());
    assert!(!all.contains(&server.api_key()), "{all}");
    assert!(all.contains("Sensitive"));
}

#[test]
fn an_invalid_scripted_header_or_status_is_a_violation() {
    let server = MockServer::start_blocking();
    server
        .mock::<CreateEmbedding>()
        .respond(Reply::error(400, "invalid_request_error", "x").header("bad header", "v"))
        .times(1)
        .mount();
    server
        .mock::<CreateEmbedding>()
        .respond(Reply::json(101, serde_json::json!({})))
        .times(1)
        .mount();
    let client = server.blocking_client();
    let request = || EmbeddingRequest::new("bge-large-en-v1.5", "x");
    assert_eq!(
        client.embeddings().create(request()).unwrap_err().status(),
        Some(400)
    );
    // The 1xx is sent as a 500 (and retried: the fake answers the retry).
    client.embeddings().create(request()).unwrap();
    let violations = server.take_violations();
    assert!(
        violations.iter().any(|v| v.contains("\"bad header\"")),
        "{violations:?}"
    );
    assert!(
        violations.iter().any(|v| v.contains("status 101")),
        "{violations:?}"
    );
}
