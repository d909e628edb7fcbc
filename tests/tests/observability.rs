//! Every call is a span under OpenTelemetry's GenAI conventions, seen by an
//! in-process subscriber: name, kind, status and each attribute for a plain
//! call, a stream read to its end, a stream dropped early, a retried call, a
//! failed call, the HTTP operations, and content capture on and off.
//! Expected values come from the conventions (names, forms) and from what
//! the server answered (ids, usage), never from the SDK's own records.

use futures::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use tensoras::prelude::*;
use tensoras_mock::{MockServer, API_KEY};
use tensoras_tests::faults;
use tensoras_tests::spans::{SpanRecord, Spans};

fn request() -> ChatCompletionRequest {
    ChatCompletionRequest::new(
        "llama-3.3-70b",
        [
            ChatMessage::system("Be brief."),
            ChatMessage::user("What is RAG?"),
        ],
    )
    .max_tokens(256)
    .temperature(0.7)
    .top_p(0.9)
    .seed(42)
    .n(2)
    .stop(vec!["\n\n".to_owned(), "END".to_owned()])
}

fn the_one(spans: &Spans, name: &str) -> SpanRecord {
    let found = spans.named(name);
    assert_eq!(found.len(), 1, "one {name} span: {found:#?}");
    found.into_iter().next().unwrap()
}

fn json_field(span: &SpanRecord, field: &str) -> Value {
    let text = span
        .get(field)
        .unwrap_or_else(|| panic!("{field} in {span:#?}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{field} is not JSON ({e}): {text}"))
}

#[tokio::test]
async fn a_chat_call_is_one_client_span_with_the_conventions_attributes() {
    let server = MockServer::start().await;
    let (spans, _guard) = Spans::capture();
    let reply = server
        .client()
        .chat()
        .completions()
        .with_raw_response()
        .create(request())
        .await
        .unwrap();

    let span = the_one(&spans, "gen_ai");
    assert!(span.closed, "ended with the call");
    assert_eq!(span.target, "tensoras");
    let port = server.addr().port().to_string();
    for (field, expected) in [
        ("otel.name", "chat llama-3.3-70b"),
        ("otel.kind", "client"),
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", "tensoras"),
        ("gen_ai.request.model", "llama-3.3-70b"),
        ("gen_ai.request.max_tokens", "256"),
        ("gen_ai.request.temperature", "0.7"),
        ("gen_ai.request.top_p", "0.9"),
        ("gen_ai.request.seed", "42"),
        ("gen_ai.request.choice.count", "2"),
        ("gen_ai.request.stop_sequences", r#"["\n\n","END"]"#),
        ("gen_ai.response.id", reply.data.id.as_str()),
        ("gen_ai.response.model", reply.data.model.as_str()),
        ("gen_ai.response.finish_reasons", r#"["stop"]"#),
        ("server.address", "127.0.0.1"),
        ("server.port", port.as_str()),
        ("tensoras.request.id", reply.request_id().unwrap()),
        ("tensoras.attempts", "1"),
    ] {
        assert_eq!(span.get(field), Some(expected), "{field}: {span:#?}");
    }
    let usage = reply.data.usage.as_ref().unwrap();
    assert_eq!(
        span.get("gen_ai.usage.input_tokens"),
        Some(usage.prompt_tokens.to_string().as_str())
    );
    assert_eq!(
        span.get("gen_ai.usage.output_tokens"),
        Some(usage.completion_tokens.unwrap().to_string().as_str())
    );
    // Success leaves the status unset; no stream, no error, no content.
    for absent in [
        "otel.status_code",
        "error.type",
        "gen_ai.request.stream",
        "gen_ai.response.time_to_first_chunk",
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "tensoras.stream.dropped",
    ] {
        assert_eq!(span.get(absent), None, "{absent}");
    }
    // One attempt, a child HTTP span.
    let attempts = spans.children(&span);
    assert_eq!(attempts.len(), 1, "{attempts:#?}");
    let attempt = &attempts[0];
    assert_eq!(attempt.name, "tensoras.attempt");
    assert_eq!(attempt.get("otel.name"), Some("POST /v1/chat/completions"));
    assert_eq!(attempt.get("http.request.method"), Some("POST"));
    assert_eq!(attempt.get("url.template"), Some("/v1/chat/completions"));
    assert_eq!(attempt.get("http.response.status_code"), Some("200"));
    assert_eq!(attempt.get("http.request.resend_count"), None);
}

#[tokio::test]
async fn a_stream_read_to_the_end_is_one_span_until_its_end() {
    let server = MockServer::start().await;
    let (spans, _guard) = Spans::capture();
    let mut stream = server
        .client()
        .chat()
        .completions()
        .create_stream(request().n(1))
        .await
        .unwrap();
    assert!(
        !the_one(&spans, "gen_ai").closed,
        "open while the stream is"
    );
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.next().await {
        chunks.push(chunk.unwrap());
    }
    let span = the_one(&spans, "gen_ai");
    assert!(span.closed);
    assert_eq!(span.get("gen_ai.request.stream"), Some("true"));
    assert_eq!(span.get("gen_ai.response.id"), Some(chunks[0].id.as_str()));
    assert_eq!(
        span.get("gen_ai.response.finish_reasons"),
        Some(r#"["stop"]"#)
    );
    let first: f64 = span
        .get("gen_ai.response.time_to_first_chunk")
        .unwrap()
        .parse()
        .unwrap();
    assert!(first > 0.0 && first < 30.0, "{first}");
    // The usage chunk `create_stream` asks for.
    let usage = chunks
        .iter()
        .find_map(|c| c.usage.clone())
        .expect("a usage chunk");
    assert_eq!(
        span.get("gen_ai.usage.input_tokens"),
        Some(usage.prompt_tokens.to_string().as_str())
    );
    assert_eq!(span.get("tensoras.stream.dropped"), None);
    assert_eq!(span.get("otel.status_code"), None);
}

#[tokio::test]
async fn a_stream_dropped_early_says_so() {
    let server = MockServer::start().await;
    let (spans, _guard) = Spans::capture();
    let mut stream = server
        .client()
        .chat()
        .completions()
        .create_stream(ChatCompletionRequest::new(
            "llama-3.3-70b",
            [ChatMessage::user("one two three four five six")],
        ))
        .await
        .unwrap();
    stream.next().await.unwrap().unwrap();
    assert!(!the_one(&spans, "gen_ai").closed);
    drop(stream);
    let span = the_one(&spans, "gen_ai");
    assert!(span.closed, "ended when dropped");
    assert_eq!(span.get("tensoras.stream.dropped"), Some("true"));
    assert_eq!(
        span.get("otel.status_code"),
        None,
        "dropping is not an error"
    );
    assert!(span.get("gen_ai.response.time_to_first_chunk").is_some());
}

#[tokio::test]
async fn a_retried_call_has_an_attempt_span_each_and_one_call_span() {
    let server = MockServer::start().await;
    let (spans, _guard) = Spans::capture();
    let client = server.client().with_options(faults(&[
        ("x-mock-status", "503"),
        ("x-mock-fail-times", "2"),
        ("x-mock-key", "observed-retries"),
        ("x-mock-retry-after-ms", "10"),
    ]));
    client
        .embeddings()
        .create(EmbeddingRequest::new("bge-large-en-v1.5", "hello"))
        .await
        .unwrap();

    let span = the_one(&spans, "gen_ai");
    assert_eq!(span.get("otel.name"), Some("embeddings bge-large-en-v1.5"));
    assert_eq!(span.get("gen_ai.operation.name"), Some("embeddings"));
    assert_eq!(span.get("tensoras.attempts"), Some("3"));
    assert_eq!(span.get("otel.status_code"), None, "the call succeeded");
    let attempts = spans.children(&span);
    let seen: Vec<_> = attempts
        .iter()
        .map(|a| {
            (
                a.get("http.request.resend_count"),
                a.get("http.response.status_code"),
                a.get("error.type"),
                a.get("tensoras.retry.delay_ms"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (None, Some("503"), Some("503"), Some("10")),
            (Some("1"), Some("503"), Some("503"), Some("10")),
            (Some("2"), Some("200"), None, None),
        ]
    );
    assert!(attempts[..2]
        .iter()
        .all(|a| a.get("otel.status_code") == Some("ERROR")));
}

#[tokio::test]
async fn an_attempt_whose_body_breaks_off_is_a_failed_attempt() {
    // The first answer is a 200 whose body stops after 10 of its 1,000
    // bytes; the retry gets the whole answer. The first attempt's span
    // ends when its body fails, not when its head came.
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tensoras_tests::raw::{Conn, RawServer};
    let answered = std::sync::Arc::new(AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&answered);
    let server = RawServer::start(move |mut conn: Conn| {
        let attempt = count.fetch_add(1, Ordering::SeqCst);
        async move {
            let _ = conn.read_request().await;
            if attempt == 0 {
                let _ = conn
                    .write(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n{\"object\":")
                    .await;
                return; // dropped: the body breaks off
            }
            let body = br#"{"object":"list","data":[]}"#;
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
            let _ = conn.write(head.as_bytes()).await;
            let _ = conn.write(body).await;
        }
    })
    .await
    .unwrap();
    let (spans, _guard) = Spans::capture();
    let client = server.client(RequestOptions::new().max_retries(1));
    let models = tokio::time::timeout(Duration::from_secs(30), client.models().list())
        .await
        .expect("the call ends")
        .unwrap();
    assert!(models.data.is_empty());
    assert_eq!(answered.load(Ordering::SeqCst), 2);

    let span = the_one(&spans, "tensoras.request");
    assert_eq!(span.get("tensoras.attempts"), Some("2"));
    assert_eq!(span.get("otel.status_code"), None, "the call succeeded");
    let attempts = spans.children(&span);
    let seen: Vec<_> = attempts
        .iter()
        .map(|a| {
            (
                a.get("http.response.status_code"),
                a.get("error.type"),
                a.get("otel.status_code"),
                a.get("tensoras.retry.delay_ms").is_some(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Some("200"), Some("connection"), Some("ERROR"), true),
            (Some("200"), None, None, false),
        ]
    );

    // A `POST` without an idempotency key is not sent again: its one
    // attempt fails with the body, and so does the call.
    answered.store(0, Ordering::SeqCst);
    let once = server.client(RequestOptions::new().max_retries(1).no_idempotency_key());
    let request = EmbeddingRequest::new("bge-large-en-v1.5", "hello");
    let result = tokio::time::timeout(Duration::from_secs(30), once.embeddings().create(request))
        .await
        .expect("the call ends");
    assert!(
        matches!(result, Err(Error::Connection { .. })),
        "{result:?}"
    );
    assert_eq!(answered.load(Ordering::SeqCst), 1);
    let span = the_one(&spans, "gen_ai");
    assert_eq!(span.get("tensoras.attempts"), Some("1"));
    assert_eq!(span.get("error.type"), Some("connection"));
    let attempts = spans.children(&span);
    let [attempt] = attempts.as_slice() else {
        panic!("one attempt: {attempts:#?}");
    };
    assert_eq!(attempt.get("http.response.status_code"), Some("200"));
    assert_eq!(attempt.get("error.type"), Some("connection"));
    assert_eq!(attempt.get("tensoras.retry.delay_ms"), None);
}

#[tokio::test]
async fn a_failed_call_records_its_error_type_and_status() {
    let server = MockServer::start().await;
    let (spans, _guard) = Spans::capture();
    let wrong_key = Tensoras::builder()
        .api_key("tns_wrong")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let error = wrong_key
        .chat()
        .completions()
        .create(request())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Authentication(_)));
    let span = the_one(&spans, "gen_ai");
    assert_eq!(span.get("error.type"), Some("401"));
    assert_eq!(span.get("otel.status_code"), Some("ERROR"));
    // The status says what failed, not what the server's message said.
    assert_eq!(
        span.get("otel.status_description"),
        Some("401 (invalid_api_key)")
    );
    assert!(span.closed);
    let everything = format!("{:?}", spans.all());
    assert!(!everything.contains("tns_wrong"), "{everything}");

    // A timeout.
    let (spans, _guard) = Spans::capture();
    let slow = server.client().with_options(
        faults(&[("x-mock-delay-ms", "2000")])
            .timeout(Duration::from_millis(100))
            .max_retries(0),
    );
    slow.chat()
        .completions()
        .create(request())
        .await
        .unwrap_err();
    assert_eq!(the_one(&spans, "gen_ai").get("error.type"), Some("timeout"));
    let everything = format!("{:?}", spans.all());
    assert!(!everything.contains(API_KEY), "{everything}");
}

#[tokio::test]
async fn a_call_starts_when_polled_and_a_dropped_one_is_cancelled() {
    let server = MockServer::start().await;
    let (spans, _guard) = Spans::capture();
    let client = server.client();
    // Made, not polled: nothing has started.
    let pending = client.chat().completions().create(request());
    assert!(spans.all().is_empty(), "{:?}", spans.all());
    pending.await.unwrap();
    assert_eq!(spans.named("gen_ai").len(), 1);
    // A future that is never polled leaves no span at all.
    drop(client.chat().completions().create(request()));
    assert_eq!(spans.named("gen_ai").len(), 1);

    // Cut short by the caller while the server thinks: cancelled, and the
    // attempt under way too.
    let (spans, _guard) = Spans::capture();
    let slow = client.with_options(faults(&[("x-mock-delay-ms", "5000")]));
    let cut = tokio::time::timeout(
        Duration::from_millis(200),
        slow.chat().completions().create(request()),
    )
    .await;
    assert!(cut.is_err(), "the caller's timeout ran out");
    let span = the_one(&spans, "gen_ai");
    assert!(span.closed);
    assert_eq!(span.get("error.type"), Some("cancelled"));
    assert_eq!(span.get("otel.status_code"), Some("ERROR"));
    let attempts = spans.children(&span);
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].get("error.type"), Some("cancelled"));
    assert_eq!(
        span.get("otel.status_description"),
        Some("cancelled by the caller")
    );
    assert_eq!(
        attempts[0].get("otel.status_description"),
        Some("cut short by the call's total timeout or its caller")
    );

    // The client's own total timeout: a timeout, the attempt cancelled.
    let (spans, _guard) = Spans::capture();
    let bounded = client.with_options(
        faults(&[("x-mock-delay-ms", "5000")]).total_timeout(Duration::from_millis(200)),
    );
    bounded
        .chat()
        .completions()
        .create(request())
        .await
        .unwrap_err();
    let span = the_one(&spans, "gen_ai");
    assert_eq!(span.get("error.type"), Some("timeout"));
    let attempt = &spans.children(&span)[0];
    assert_eq!(attempt.get("error.type"), Some("cancelled"));
    // Not "by the caller": the call's own timeout cut it.
    assert_eq!(
        attempt.get("otel.status_description"),
        Some("cut short by the call's total timeout or its caller")
    );
}

#[tokio::test]
async fn a_responses_stream_ends_at_its_last_event_and_a_download_when_read() {
    let server = MockServer::start().await;
    let (spans, _guard) = Spans::capture();
    let client = server.client();
    let events: Vec<_> = client
        .responses()
        .create_stream(ResponseCreateRequest::new("llama-3.3-70b", "Hi"))
        .await
        .unwrap()
        .collect()
        .await;
    assert!(events.iter().all(Result::is_ok));
    let span = the_one(&spans, "gen_ai");
    assert!(span.closed);
    assert_eq!(
        span.get("tensoras.stream.dropped"),
        None,
        "ended, not dropped"
    );
    assert_eq!(
        span.get("gen_ai.response.finish_reasons"),
        Some(r#"["completed"]"#)
    );
    assert_eq!(span.get("otel.status_code"), None);

    let (spans, _guard) = Spans::capture();
    let file = client
        .files()
        .create(
            FileSource::bytes("a.txt", "hello"),
            FilePurpose::KnowledgeBase,
        )
        .await
        .unwrap();
    let content = client.files().content(&file.id).await.unwrap();
    let download = |spans: &Spans| {
        spans
            .named("tensoras.request")
            .into_iter()
            .find(|s| s.get("tensoras.operation") == Some("downloadFileContent"))
            .unwrap()
    };
    assert!(!download(&spans).closed, "open until the body is read");
    let bytes: Vec<_> = content.collect().await;
    assert_eq!(bytes.len(), 1);
    let done = download(&spans);
    assert!(done.closed);
    assert_eq!(done.get("tensoras.stream.dropped"), None);
    assert_eq!(done.get("http.response.status_code"), Some("200"));
}

#[tokio::test]
async fn other_operations_are_http_client_spans_named_after_their_route() {
    let server = MockServer::start().await;
    let (spans, _guard) = Spans::capture();
    let client = server.client();
    let file = client
        .files()
        .create(
            FileSource::bytes("a.txt", "hello"),
            FilePurpose::KnowledgeBase,
        )
        .await
        .unwrap();
    client.files().retrieve(&file.id).await.unwrap();
    let error = client.files().retrieve("file-missing").await.unwrap_err();
    assert!(matches!(error, Error::NotFound(_)));

    let http = spans.named("tensoras.request");
    let seen: Vec<_> = http
        .iter()
        .map(|s| {
            (
                s.get("otel.name"),
                s.get("tensoras.operation"),
                s.get("http.response.status_code"),
                s.get("error.type"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                Some("POST /v1/files"),
                Some("createFile"),
                Some("200"),
                None
            ),
            (
                Some("GET /v1/files/{file_id}"),
                Some("retrieveFile"),
                Some("200"),
                None
            ),
            (
                Some("GET /v1/files/{file_id}"),
                Some("retrieveFile"),
                Some("404"),
                Some("404")
            ),
        ]
    );
    assert!(http
        .iter()
        .all(|s| s.get("otel.kind") == Some("client") && s.closed));
    assert!(spans.named("gen_ai").is_empty());

    // A knowledge-base query is a retrieval.
    let (spans, _guard) = Spans::capture();
    let kb = client
        .knowledge_bases()
        .create(KnowledgeBaseCreateRequest::new("docs"))
        .await
        .unwrap();
    client
        .knowledge_bases()
        .retrieve_chunks(&kb.id, RetrievalRequest::new("what?"))
        .await
        .unwrap();
    let query = spans
        .named("tensoras.request")
        .into_iter()
        .find(|s| s.get("tensoras.operation") == Some("retrieveChunks"))
        .expect("the query's span");
    assert_eq!(query.get("gen_ai.operation.name"), Some("retrieval"));
    assert_eq!(query.get("gen_ai.data_source.id"), Some(kb.id.as_str()));
}

#[tokio::test]
async fn content_is_captured_only_when_asked_in_the_conventions_form() {
    let server = MockServer::start().await;
    let weather = Tool::new(
        FunctionDefinition::new("get_weather")
            .description("The weather in a city.")
            .parameters(serde_json::from_value::<JsonSchemaObject>(json!({
                "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]
            })).unwrap()),
    );
    let asked = ChatCompletionRequest::new(
        "llama-3.3-70b",
        [
            ChatMessage::system("Be brief."),
            ChatMessage::user("Weather in Paris?"),
        ],
    )
    .tools([weather]);

    // Off by default (the environment does not switch it on here).
    let (spans, _guard) = Spans::capture();
    server
        .client()
        .chat()
        .completions()
        .create(asked.clone())
        .await
        .unwrap();
    let span = the_one(&spans, "gen_ai");
    for field in [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.tool.definitions",
    ] {
        assert_eq!(
            span.get(field),
            None,
            "{field} recorded without being asked"
        );
    }

    // On.
    let capturing = Tensoras::builder()
        .api_key(API_KEY)
        .base_url(server.base_url())
        .capture_content(true)
        .build()
        .unwrap();
    let (spans, _guard) = Spans::capture();
    let reply = capturing
        .chat()
        .completions()
        .create(asked.clone())
        .await
        .unwrap();
    let span = the_one(&spans, "gen_ai");
    assert_eq!(
        json_field(&span, "gen_ai.input.messages"),
        json!([
            {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
            {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
        ])
    );
    assert_eq!(
        json_field(&span, "gen_ai.tool.definitions"),
        json!([{"type": "function", "name": "get_weather", "description": "The weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}])
    );
    let call = &reply.choices[0].message.tool_calls[0];
    assert_eq!(
        json_field(&span, "gen_ai.output.messages"),
        json!([{"role": "assistant", "finish_reason": "tool_calls", "parts": [{"type": "tool_call",
            "id": call.id, "name": "get_weather",
            "arguments": serde_json::from_str::<Value>(&call.function.arguments).unwrap()}]}])
    );
    assert!(!format!("{:?}", spans.all()).contains(API_KEY));

    // A stream's output is rebuilt from its chunks; a bound applies.
    let bounded = Tensoras::builder()
        .api_key(API_KEY)
        .base_url(server.base_url())
        .capture_content(true)
        .captured_content_limit(64)
        .build()
        .unwrap();
    let (spans, _guard) = Spans::capture();
    let long = "word ".repeat(200);
    let stream = bounded
        .chat()
        .completions()
        .create_stream(ChatCompletionRequest::new(
            "llama-3.3-70b",
            [ChatMessage::user(long)],
        ))
        .await
        .unwrap();
    let _: Vec<_> = stream.collect().await;
    let span = the_one(&spans, "gen_ai");
    for field in ["gen_ai.input.messages", "gen_ai.output.messages"] {
        let text = span.get(field).unwrap();
        assert!(text.len() <= 64, "{field}: {} bytes", text.len());
        let value: Value = serde_json::from_str(text).unwrap();
        assert!(value.is_array(), "{text}");
    }

    // The Responses API: instructions are system instructions.
    let (spans, _guard) = Spans::capture();
    capturing
        .responses()
        .create(ResponseCreateRequest::new("llama-3.3-70b", "Hi").instructions("Answer in French."))
        .await
        .unwrap();
    let span = the_one(&spans, "gen_ai");
    assert_eq!(
        json_field(&span, "gen_ai.system_instructions"),
        json!([{"type": "text", "content": "Answer in French."}])
    );
    assert_eq!(
        json_field(&span, "gen_ai.input.messages"),
        json!([{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}])
    );
}

#[test]
fn the_blocking_client_opens_the_same_spans() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(MockServer::start());
    let client = tensoras::blocking::Tensoras::builder()
        .api_key(API_KEY)
        .base_url(server.base_url())
        .build()
        .unwrap();
    let (spans, _guard) = Spans::capture();
    let chunks: Vec<_> = client
        .chat()
        .completions()
        .create_stream(ChatCompletionRequest::new(
            "llama-3.3-70b",
            [ChatMessage::user("hi")],
        ))
        .unwrap()
        .collect();
    assert!(chunks.iter().all(Result::is_ok));
    let span = the_one(&spans, "gen_ai");
    assert!(span.closed);
    assert_eq!(span.get("gen_ai.request.stream"), Some("true"));
    assert_eq!(spans.children(&span).len(), 1);
}
