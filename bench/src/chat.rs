//! Non-streaming chat round trips: the SDK against plain reqwest +
//! serde_json (same types, same payload, no retries or options: the limit)
//! and against async-openai pointed at the same local server.

use crate::{compare, report, Job, Mode};
use futures::{FutureExt, StreamExt};
use serde_json::json;
use tensoras::prelude::ChatMessageExt;
use tensoras::types::{ChatCompletion, ChatCompletionRequest, ChatMessage};
use tensoras_mock::{MockServer, API_KEY};

const CONCURRENCY: usize = 8;

pub(crate) fn request() -> ChatCompletionRequest {
    ChatCompletionRequest::new(
        "llama-3.3-70b",
        [
            ChatMessage::system("You are a helpful assistant."),
            ChatMessage::user("What is the capital of France?"),
        ],
    )
    .temperature(0.7)
    .max_tokens(256)
}

/// `n` calls of `call`, `CONCURRENCY` in flight at once.
fn concurrently<'a, F, Fut>(n: usize, call: F) -> futures::future::BoxFuture<'a, ()>
where
    F: Fn() -> Fut + Send + Sync + 'a,
    Fut: std::future::Future<Output = ()> + Send + 'a,
{
    futures::stream::iter(0..n)
        .for_each_concurrent(CONCURRENCY, move |_| call())
        .boxed()
}

pub async fn run(mode: &Mode) {
    let server = MockServer::builder()
        .validate(false)
        // Client and server on one runtime, as every contender is measured.
        .on_current_runtime(true)
        .start()
        .await;
    let sdk = server.client();
    let raw = reqwest::Client::new();
    let url = format!("{}/chat/completions", server.base_url());
    let prebuilt = request();
    let typed: ChatCompletionRequest = request();
    let openai = async_openai::Client::with_config(
        async_openai::config::OpenAIConfig::new()
            .with_api_base(server.base_url())
            .with_api_key(API_KEY),
    );
    let openai_request: async_openai::types::chat::CreateChatCompletionRequest =
        serde_json::from_value(json!(typed)).expect("the same payload for async-openai");

    let mut jobs: Vec<(&str, Job)> = vec![
        (
            "reqwest + serde_json",
            Box::new(|n| {
                let (raw, url, typed) = (&raw, &url, &typed);
                concurrently(n, move || async move {
                    let body = serde_json::to_vec(typed).expect("serialize");
                    let response = raw
                        .post(url)
                        .bearer_auth(API_KEY)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .expect("raw send");
                    let bytes = response.bytes().await.expect("raw body");
                    let reply: ChatCompletion = serde_json::from_slice(&bytes).expect("decode");
                    assert!(!reply.choices.is_empty());
                })
            }),
        ),
        (
            "tensoras",
            Box::new(|n| {
                let (sdk, prebuilt) = (&sdk, &prebuilt);
                concurrently(n, move || async move {
                    let reply = sdk.chat().completions().create(prebuilt.clone()).await;
                    assert!(!reply.expect("sdk").choices.is_empty());
                })
            }),
        ),
        (
            "async-openai",
            Box::new(|n| {
                let (openai, openai_request) = (&openai, &openai_request);
                concurrently(n, move || async move {
                    let reply = openai.chat().create(openai_request.clone()).await;
                    assert!(!reply.expect("async-openai").choices.is_empty());
                })
            }),
        ),
    ];
    // Warm up connections and caches once.
    compare(1, 200, &mut jobs).await;
    report(
        mode,
        (15, 2_000),
        &mut jobs,
        &format!("Chat round trip (non-streaming, {CONCURRENCY} in flight, loopback)"),
        "requests/s",
    )
    .await;
}
