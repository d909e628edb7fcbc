//! Faults as API, through the public surface.

mod support;
use futures::StreamExt as _;
use std::time::Duration;
use support::{ask, finish};
use tensoras::operations::{CreateChatCompletion, CreateEmbedding, ListModels};
use tensoras::prelude::*;
use tensoras_mock::{Fault, MockServer, Reply};

fn client(server: &MockServer, retries: u32) -> tensoras::Tensoras {
    tensoras::Tensoras::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
        .max_retries(retries)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_status_fault_fails_the_next_calls_of_its_operation_only() {
    let server = MockServer::start().await;
    server.inject(
        Fault::status(503)
            .retry_after(Duration::from_millis(10))
            .times(2)
            .on::<CreateChatCompletion>(),
    );
    let client = client(&server, 0);
    // Another operation is untouched.
    client.models().list().await.unwrap();
    for _ in 0..2 {
        let err = client
            .chat()
            .completions()
            .create(ask("Hi"))
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(503));
        assert_eq!(
            err.as_api().unwrap().retry_after,
            Some(Duration::from_millis(10))
        );
    }
    assert_eq!(
        client
            .chat()
            .completions()
            .create(ask("Hi"))
            .await
            .unwrap()
            .text(),
        "You asked: Hi"
    );
}

#[tokio::test]
async fn a_fault_fails_a_call_a_mock_would_answer_and_the_mock_is_not_hit() {
    let server = MockServer::start().await;
    let mock = server
        .mock::<CreateEmbedding>()
        .respond(Reply::error(400, "invalid_request_error", "scripted"))
        .mount();
    server.inject(Fault::status(429).times(1));
    let err = client(&server, 0)
        .embeddings()
        .create(EmbeddingRequest::new("bge-large-en-v1.5", "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RateLimit(_)), "{err:?}");
    assert_eq!(mock.hits(), 0);
}

#[tokio::test]
async fn a_stall_before_the_head_times_the_client_out() {
    let server = MockServer::start().await;
    server.inject(Fault::stall_before_head(Duration::from_secs(30)).times(1));
    let impatient = tensoras::Tensoras::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
        .max_retries(0)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = impatient.models().list().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // Used up: the next call is answered (by a client without the short
    // timeout, so a loaded machine cannot fail it).
    client(&server, 0).models().list().await.unwrap();
}

#[tokio::test]
async fn a_cut_stream_is_a_typed_stream_error_after_the_events_before_it() {
    let server = MockServer::start().await;
    server
        .mock::<CreateChatCompletion>()
        .respond(Reply::text("alpha beta gamma delta"))
        .mount();
    // Frames: the role chunk, a keep-alive comment, then a word each.
    server.inject(Fault::cut_stream(3).times(1));
    let mut stream = client(&server, 0)
        .chat()
        .completions()
        .create_stream(ask("Hi"))
        .await
        .unwrap();
    let mut text = String::new();
    let mut error = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => text.push_str(chunk.delta_text()),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    assert_eq!(text, "alpha ");
    let error = error.expect("the cut is an error, not a quiet end");
    assert!(
        matches!(error, Error::Stream { .. } | Error::Connection { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn slow_tokens_and_a_mid_stream_stall_still_deliver_every_token() {
    let server = MockServer::start().await;
    server.inject(Fault::slow_tokens(Duration::from_millis(5)).times(1));
    server.inject(Fault::stall_mid_stream(2, Duration::from_millis(50)).times(1));
    let started = std::time::Instant::now();
    let stream = client(&server, 0)
        .chat()
        .completions()
        .create_stream(ask("one two three"))
        .await
        .unwrap();
    assert_eq!(finish(stream).await.text(), "You asked: one two three");
    // Both acted: 50 ms once, 5 ms before each of the ten or so frames (a
    // lower bound: a loaded machine is slower, never faster).
    assert!(
        started.elapsed() >= Duration::from_millis(80),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn rate_limit_headers_reach_the_raw_response() {
    let server = MockServer::start().await;
    server.inject(Fault::rate_limit(100, 7, Duration::from_secs(30)).on::<ListModels>());
    let raw = server
        .client()
        .models()
        .with_raw_response()
        .list()
        .await
        .unwrap();
    let limits = raw.rate_limit();
    assert_eq!(limits.limit, Some(100));
    assert_eq!(limits.remaining, Some(7));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset = limits.reset.unwrap();
    assert!((now..=now + 60).contains(&reset), "{reset} against {now}");
}

#[tokio::test]
async fn a_reset_connection_is_retried_by_the_sdk() {
    let server = MockServer::start().await;
    server.inject(Fault::reset().times(1).on::<ListModels>());
    let err = client(&server, 0).models().list().await.unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    server.inject(Fault::reset().times(1).on::<ListModels>());
    // The default client retries a reset connection.
    let models = server.client().models().list().await.unwrap();
    assert!(!models.data.is_empty());
}

#[tokio::test]
async fn a_request_with_a_wrong_key_uses_up_no_fault() {
    let server = MockServer::start().await;
    server.inject(Fault::status(503).times(1));
    let stranger = tensoras::Tensoras::builder()
        .api_key("tns_not_the_key")
        .base_url(server.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    let err = stranger.models().list().await.unwrap_err();
    assert!(matches!(err, Error::Authentication(_)), "{err:?}");
    let err = client(&server, 0).models().list().await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    client(&server, 0).models().list().await.unwrap();
}

#[tokio::test]
async fn faults_of_one_kind_queue_up_in_order() {
    let server = MockServer::start().await;
    server.inject(Fault::status(503).times(1));
    server.inject(Fault::status(500).times(1));
    let client = client(&server, 0);
    assert_eq!(
        client.models().list().await.unwrap_err().status(),
        Some(503)
    );
    assert_eq!(
        client.models().list().await.unwrap_err().status(),
        Some(500)
    );
    client.models().list().await.unwrap();
}

#[tokio::test]
async fn the_control_endpoint_is_never_faulted() {
    let server = MockServer::start().await;
    server.inject(Fault::reset());
    let control = server.base_url().replace("/v1", "/__mock");
    let reset = reqwest::Client::new()
        .post(format!("{control}/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    // Disarmed by that call: the API answers again.
    client(&server, 0).models().list().await.unwrap();
}
