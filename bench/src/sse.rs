//! SSE: chunks per second decoding a recorded chat stream. In memory, the
//! SDK's `EventStream` against `serde_json` parsing the same `data` lines
//! into the same chunk type (the limit: no framing, no checks); over
//! loopback, the SDK against async-openai reading the same bytes.

use crate::{report, Job, Mode};
use axum::response::IntoResponse;
use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use serde_json::json;
use tensoras::prelude::ChatMessageExt;
use tensoras::sse::EventStream;
use tensoras::types::ChatCompletionChunk;
use tensoras::types::{ChatCompletionRequest, ChatMessage};

const CHUNKS: usize = 20_000;
/// The size of one network read.
const READ: usize = 4096;

/// The `data` payloads of a long reply, and the whole stream split into reads.
pub fn recorded() -> (Vec<String>, Vec<Bytes>) {
    let mut lines = Vec::with_capacity(CHUNKS);
    for i in 0..CHUNKS {
        let delta = if i == 0 {
            json!({"role": "assistant", "content": ""})
        } else {
            json!({"content": format!("word{i} ")})
        };
        lines.push(
            json!({"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1709123456,
                   "model": "llama-3.3-70b",
                   "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
            .to_string(),
        );
    }
    let mut body = String::new();
    for line in &lines {
        body.push_str("data: ");
        body.push_str(line);
        body.push_str("\n\n");
    }
    body.push_str("data: [DONE]\n\n");
    let body = Bytes::from(body);
    let reads = (0..body.len())
        .step_by(READ)
        .map(|at| body.slice(at..(at + READ).min(body.len())))
        .collect();
    (lines, reads)
}

pub async fn run() {
    in_memory(&Mode::Compare).await;
    loopback(recorded().1).await;
}

/// The in-memory comparison alone (for profiling: `-- sse-memory`).
pub async fn in_memory(mode: &Mode) {
    let (lines, reads) = recorded();
    let mut jobs: Vec<(&str, Job)> = vec![
        (
            "serde_json on the data lines (limit)",
            Box::new(|_| {
                let lines = &lines;
                async move {
                    for line in lines {
                        let chunk: ChatCompletionChunk = serde_json::from_str(line).expect("chunk");
                        std::hint::black_box(chunk);
                    }
                }
                .boxed()
            }),
        ),
        (
            "tensoras EventStream",
            Box::new(|_| {
                let reads = reads.clone();
                async move {
                    let stream = EventStream::<ChatCompletionChunk>::from_byte_stream(
                        futures::stream::iter(reads.into_iter().map(Ok::<_, std::io::Error>)),
                    );
                    assert_eq!(drain(stream).await, CHUNKS);
                }
                .boxed()
            }),
        ),
        (
            "EventStream polled in place, item moved out (no `next().await`)",
            Box::new(|_| poll_in_place(reads.clone(), false).boxed()),
        ),
        (
            "EventStream polled in place, item borrowed (no consumer's move)",
            Box::new(|_| poll_in_place(reads.clone(), true).boxed()),
        ),
        (
            "sse::Decoder + serde_json inline (framing, no stream)",
            Box::new(|_| {
                let reads = &reads;
                async move {
                    let mut count = 0;
                    decode_reads(reads, |data| {
                        if data != "[DONE]" {
                            let chunk: ChatCompletionChunk =
                                serde_json::from_str(data).expect("chunk");
                            std::hint::black_box(chunk);
                            count += 1;
                        }
                    });
                    assert_eq!(count, CHUNKS);
                }
                .boxed()
            }),
        ),
        (
            "tensoras sse::Decoder alone (framing, no JSON)",
            Box::new(|_| {
                let reads = &reads;
                async move {
                    let mut count = 0;
                    decode_reads(reads, |data| {
                        std::hint::black_box(data);
                        count += 1;
                    });
                    assert_eq!(count, CHUNKS + 1);
                }
                .boxed()
            }),
        ),
    ];
    let title = format!("SSE decoding in memory ({CHUNKS} chunks in {READ}-byte reads)");
    report(mode, (41, CHUNKS), &mut jobs, &title, "chunks/s").await;
}

/// The same stream served over loopback to the SDK and to async-openai.
async fn loopback(reads: Vec<Bytes>) {
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move || {
            let reads = reads.clone();
            async move {
                let body = axum::body::Body::from_stream(futures::stream::iter(
                    reads.into_iter().map(Ok::<_, std::convert::Infallible>),
                ));
                ([("content-type", "text/event-stream")], body).into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base_url = format!("http://{}/v1", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let sdk = tensoras::Tensoras::builder()
        .api_key("bench")
        .base_url(&base_url)
        .build()
        .expect("client");
    let openai = async_openai::Client::with_config(
        async_openai::config::OpenAIConfig::new()
            .with_api_base(&base_url)
            .with_api_key("bench"),
    );
    let request =
        ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Write a long poem.")]);
    let mut openai_request: async_openai::types::chat::CreateChatCompletionRequest =
        serde_json::from_value(json!(request.clone())).expect("payload");
    openai_request.stream = Some(true);

    let mut jobs: Vec<(&str, Job)> = vec![
        (
            "tensoras create_stream",
            Box::new(|_| {
                let (sdk, request) = (&sdk, &request);
                async move {
                    let stream = sdk
                        .chat()
                        .completions()
                        .create_stream(request.clone())
                        .await
                        .expect("stream");
                    assert_eq!(drain(stream).await, CHUNKS);
                }
                .boxed()
            }),
        ),
        (
            "async-openai create_stream",
            Box::new(|_| {
                let (openai, openai_request) = (&openai, &openai_request);
                async move {
                    let stream = openai
                        .chat()
                        .create_stream(openai_request.clone())
                        .await
                        .expect("stream");
                    assert_eq!(drain(stream).await, CHUNKS);
                }
                .boxed()
            }),
        ),
    ];
    let title = "SSE over loopback (the same recorded stream)";
    report(&Mode::Compare, (15, CHUNKS), &mut jobs, title, "chunks/s").await;
}

/// Reads a stream of chunks to its end; returns how many there were.
async fn drain<T, E: std::fmt::Debug>(
    mut stream: impl futures::Stream<Item = Result<T, E>> + Unpin,
) -> usize {
    let mut count = 0;
    while let Some(chunk) = stream.next().await {
        std::hint::black_box(chunk.expect("chunk"));
        count += 1;
    }
    count
}

/// The SDK's stream without what a consumer adds to it (issue 21, how the
/// gap to the limit divides): polled by hand with a no-op waker rather than
/// through `next().await`, each item moved out of the poll's result or only
/// borrowed from it.
async fn poll_in_place(reads: Vec<Bytes>, borrow: bool) {
    let mut stream = EventStream::<ChatCompletionChunk>::from_byte_stream(futures::stream::iter(
        reads.into_iter().map(Ok::<_, std::io::Error>),
    ));
    let waker = futures::task::noop_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    let mut count = 0;
    loop {
        let polled = futures::Stream::poll_next(std::pin::Pin::new(&mut stream), &mut cx);
        let std::task::Poll::Ready(Some(item)) = polled else {
            break;
        };
        if borrow {
            std::hint::black_box(item.as_ref().expect("chunk"));
        } else {
            std::hint::black_box(item.expect("chunk"));
        }
        count += 1;
    }
    assert_eq!(count, CHUNKS);
}

/// Runs the SSE decoder over the reads, handing each event's data to `on_data`.
fn decode_reads(reads: &[Bytes], mut on_data: impl FnMut(&str)) {
    let mut decoder = tensoras::sse::Decoder::default();
    for read in reads {
        decoder.feed_with(read, |event| on_data(event.data));
    }
}
