//! The ergonomic client against the local server: configuration, retries,
//! errors, streaming, resources — async and blocking.

use futures::StreamExt;
use std::time::Duration;
use tensoras::prelude::*;
use tensoras_mock::{MockServer, API_KEY};

use tensoras_tests::faults as fault;

fn count(server: &MockServer, path: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.uri.starts_with(path))
        .count()
}

fn chat_request() -> ChatCompletionRequest {
    ChatCompletionRequest::new(
        "llama-3.3-70b",
        [
            ChatMessage::system("Be brief."),
            ChatMessage::user("What is hybrid search?"),
        ],
    )
}

#[tokio::test]
async fn chat_sends_the_documented_request_and_decodes_the_reply() {
    let server = MockServer::start().await;
    let client = server.client();
    let response = client
        .chat()
        .completions()
        .create(chat_request().temperature(0.7).max_tokens(256))
        .await
        .unwrap();
    assert_eq!(response.text(), "You asked: What is hybrid search?");
    assert_eq!(response.choices[0].finish_reason, Some(FinishReason::Stop));
    let sent = &server.requests()[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.uri, "/v1/chat/completions");
    let body = sent.body.as_ref().unwrap();
    assert_eq!(body["model"], "llama-3.3-70b");
    assert_eq!(body["temperature"], 0.7);
    assert_eq!(body["max_tokens"], 256);
    assert_eq!(body["messages"][0]["role"], "system");
    assert!(
        body.get("stream").is_none() && body.get("top_p").is_none(),
        "unset fields are not sent: {body}"
    );
    assert_eq!(sent.headers["authorization"], format!("Bearer {API_KEY}"));
    assert!(sent.headers["user-agent"]
        .to_str()
        .unwrap()
        .starts_with("tensoras-rust/"));
}

#[tokio::test]
async fn streaming_yields_chunks_usage_and_accumulates() {
    let server = MockServer::start().await;
    let client = server.client();
    let mut stream = client
        .chat()
        .completions()
        .create_stream(chat_request())
        .await
        .unwrap();
    let mut acc = ChatAccumulator::default();
    let mut chunks = 0;
    assert_eq!(stream.status(), 200);
    assert!(stream.request_id().is_some_and(|id| id.starts_with("req_")));
    while let Some(chunk) = stream.next().await {
        acc.push(&chunk.unwrap()).unwrap();
        chunks += 1;
    }
    assert!(chunks > 3);
    let done = acc.finish();
    assert_eq!(
        done.choices[0].message.content.as_deref(),
        Some("You asked: What is hybrid search?")
    );
    assert!(
        done.usage.is_some(),
        "the usage chunk with empty choices was decoded"
    );
    let sent = &server.requests()[0];
    assert_eq!(sent.headers["accept"], "text/event-stream");
    assert_eq!(sent.body.as_ref().unwrap()["stream"], true);
}

#[tokio::test]
async fn stream_faults_are_typed_errors() {
    let server = MockServer::start().await;
    for (mode, expect) in [
        ("cut", "ended before [DONE]"),
        ("error-event", "model overloaded"),
        ("error-data", "generation failed"),
        ("malformed", "not JSON"),
    ] {
        let client = server
            .client()
            .with_options(fault(&[("x-mock-stream", mode)]));
        let stream = client
            .chat()
            .completions()
            .create_stream(chat_request())
            .await
            .unwrap();
        let items: Vec<_> = stream.collect().await;
        let last = items.last().expect("at least one item");
        match last {
            Err(Error::Stream { message, .. }) => {
                assert!(message.contains(expect), "{mode}: {message}")
            }
            other => panic!("{mode}: expected a stream error, got {other:?}"),
        }
        assert!(
            items[..items.len() - 1].iter().all(Result::is_ok),
            "{mode}: only the last item fails"
        );
    }
}

#[tokio::test]
async fn tool_calls_stream_and_round_trip() {
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct GetWeather {
        city: String,
    }
    let server = MockServer::start().await;
    let client = server.client();
    let tool = Tool::function::<GetWeather>("get_weather", "Weather for a city.");
    let request = ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Paris")])
        .tools([tool.clone()]);
    let mut stream = client
        .chat()
        .completions()
        .create_stream(request.clone())
        .await
        .unwrap();
    let mut acc = ChatAccumulator::default();
    while let Some(chunk) = stream.next().await {
        acc.push(&chunk.unwrap()).unwrap();
    }
    let streamed = acc.finish();
    let call = &streamed.choices[0].message.tool_calls[0];
    let args: GetWeather = call.arguments().unwrap();
    assert_eq!(args.city, "Paris", "argument fragments were joined");

    let reply = client.chat().completions().create(request).await.unwrap();
    let call = reply.choices[0].message.tool_calls[0].clone();
    assert_eq!(
        reply.choices[0].finish_reason,
        Some(FinishReason::ToolCalls)
    );
    let follow_up = ChatCompletionRequest::new(
        "llama-3.3-70b",
        [
            ChatMessage::user("Paris"),
            reply.choices[0].message.to_message(),
            ChatMessage::tool(&call.id, "18C"),
        ],
    )
    .tools([tool]);
    let answer = client.chat().completions().create(follow_up).await.unwrap();
    assert_eq!(answer.text(), "The tool said: 18C");
}

#[tokio::test]
async fn structured_output_parses_into_a_type() {
    #[derive(serde::Deserialize, schemars::JsonSchema, Debug)]
    struct Movie {
        name: String,
        year: i64,
    }
    let server = MockServer::start().await;
    let (movie, _) = server
        .client()
        .chat()
        .completions()
        .parse::<Movie>(chat_request())
        .await
        .unwrap();
    assert_eq!(movie.name, "What is hybrid search?");
    assert_eq!(movie.year, "What is hybrid search?".len() as i64);
    let sent = server.requests()[0].body.clone().unwrap();
    assert_eq!(sent["response_format"]["type"], "json_schema");
    assert_eq!(sent["response_format"]["json_schema"]["strict"], true);
    assert_eq!(
        sent["response_format"]["json_schema"]["schema"]["additionalProperties"],
        false
    );

    // json_object output that does not match the type is a Parse error.
    let reply = server
        .client()
        .chat()
        .completions()
        .create(chat_request().response_format(ResponseFormat::JsonObject))
        .await
        .unwrap();
    assert!(matches!(reply.parse::<Movie>(), Err(Error::Parse { .. })));
}

#[tokio::test]
async fn retries_exactly_max_retries_plus_one_and_honours_retry_after() {
    let server = MockServer::start().await;
    for status in ["408", "409", "429", "500", "502", "503", "504"] {
        let client = server.client().with_options(
            fault(&[("x-mock-status", status), ("x-mock-retry-after-ms", "1")]).max_retries(2),
        );
        let before = count(&server, "/v1/models");
        let err = client.models().list().await.unwrap_err();
        assert_eq!(err.status(), Some(status.parse().unwrap()));
        assert_eq!(
            count(&server, "/v1/models") - before,
            3,
            "status {status}: max_retries + 1 requests"
        );
    }
    for status in ["400", "401", "403", "404", "422"] {
        let client = server
            .client()
            .with_options(fault(&[("x-mock-status", status)]));
        let before = count(&server, "/v1/models");
        let err = client.models().list().await.unwrap_err();
        assert!(!err.is_retryable());
        assert_eq!(
            count(&server, "/v1/models") - before,
            1,
            "status {status} is not retried"
        );
    }
    // N failures then success; Retry-After in seconds and as an HTTP date.
    let client = server.client().with_options(fault(&[
        ("x-mock-status", "503"),
        ("x-mock-fail-times", "2"),
        ("x-mock-key", "recover"),
        ("x-mock-retry-after", "0"),
    ]));
    assert_eq!(client.models().list().await.unwrap().data.len(), 3);
    let date = "Thu, 01 Jan 1970 00:00:00 GMT";
    let client = server.client().with_options(fault(&[
        ("x-mock-status", "429"),
        ("x-mock-fail-times", "1"),
        ("x-mock-key", "date"),
        ("x-mock-retry-after", date),
    ]));
    assert!(client.models().list().await.is_ok());
    // Retries resend an identical body.
    let client = server.client().with_options(fault(&[
        ("x-mock-status", "500"),
        ("x-mock-fail-times", "1"),
        ("x-mock-key", "body"),
        ("x-mock-retry-after-ms", "1"),
    ]));
    client
        .embeddings()
        .create(EmbeddingRequest::new("bge-large-en-v1.5", "same body"))
        .await
        .unwrap();
    let bodies: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.uri == "/v1/embeddings")
        .map(|r| r.body)
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1]);
    // Zero retries.
    let client = server
        .client()
        .with_options(fault(&[("x-mock-status", "503")]).max_retries(0));
    let before = count(&server, "/v1/models");
    assert!(client.models().list().await.is_err());
    assert_eq!(count(&server, "/v1/models") - before, 1);
}

#[tokio::test]
async fn api_errors_carry_every_field() {
    let server = MockServer::start().await;
    let client = server.client().with_options(
        fault(&[("x-mock-status", "429"), ("x-mock-retry-after", "12")]).max_retries(0),
    );
    let err = client.models().list().await.unwrap_err();
    let Error::RateLimit(api) = &err else {
        panic!("expected RateLimit, got {err:?}")
    };
    assert_eq!(api.status_code, 429);
    assert_eq!(api.message, "injected 429");
    assert_eq!(api.error_type.as_deref(), Some("server_error"));
    assert_eq!(api.code.as_deref(), Some("injected"));
    assert_eq!(api.retry_after, Some(Duration::from_secs(12)));
    assert!(api
        .request_id
        .as_deref()
        .is_some_and(|id| id.starts_with("req_")));
    assert_eq!(api.rate_limit.limit, Some(600));
    assert_eq!(err.request_id(), api.request_id.as_deref());

    type Check = fn(&Error) -> bool;
    let expectations: [(&str, Check); 8] = [
        ("400", |e| matches!(e, Error::BadRequest(_))),
        ("401", |e| matches!(e, Error::Authentication(_))),
        ("403", |e| matches!(e, Error::PermissionDenied(_))),
        ("404", |e| matches!(e, Error::NotFound(_))),
        ("409", |e| matches!(e, Error::Conflict(_))),
        ("422", |e| matches!(e, Error::UnprocessableEntity(_))),
        ("500", |e| matches!(e, Error::InternalServer(_))),
        ("402", |e| matches!(e, Error::Api(_))),
    ];
    for (status, check) in expectations {
        let client = server
            .client()
            .with_options(fault(&[("x-mock-status", status)]).max_retries(0));
        let err = client.models().list().await.unwrap_err();
        assert!(check(&err), "{status}: {err:?}");
    }
    // Bodies in other shapes still give a message.
    for (body, content_type, message) in [
        (
            "<html><head><title>502 Bad Gateway</title></head></html>",
            "text/html",
            "HTTP 502 with an HTML page: 502 Bad Gateway",
        ),
        ("", "text/plain", "HTTP 502 with an empty body"),
        (
            r#"{"detail":"upstream down"}"#,
            "application/json",
            "upstream down",
        ),
    ] {
        let client = server.client().with_options(
            fault(&[
                ("x-mock-status", "502"),
                ("x-mock-body", body),
                ("x-mock-content-type", content_type),
            ])
            .max_retries(0),
        );
        let err = client.models().list().await.unwrap_err();
        assert_eq!(err.as_api().unwrap().message, message);
    }
}

#[tokio::test]
async fn wrong_key_timeout_and_connection_refused() {
    let server = MockServer::start().await;
    let client = Tensoras::builder()
        .api_key("tns_wrong")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let err = client.models().list().await.unwrap_err();
    assert!(matches!(err, Error::Authentication(_)), "{err:?}");
    assert!(!format!("{err:?} {err}").contains("tns_wrong"));

    let slow = server.client().with_options(
        fault(&[("x-mock-delay-ms", "400")])
            .timeout(Duration::from_millis(100))
            .max_retries(1),
    );
    let before = count(&server, "/v1/models");
    let err = slow.models().list().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    // Give the server's delayed handlers time to record; both attempts were made.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(count(&server, "/v1/models") - before, 2);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let client = Tensoras::builder()
        .api_key("k")
        .base_url(format!("http://127.0.0.1:{port}"))
        .max_retries(1)
        .build()
        .unwrap();
    let err = client.models().list().await.unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
}

#[test]
fn configuration_lookup_order_and_redaction() {
    // Environment variables are process-wide: every env case lives in this one test.
    std::env::remove_var("TENSORAS_API_KEY");
    std::env::remove_var("TENSORAS_BASE_URL");
    assert!(matches!(Tensoras::new(), Err(Error::Config(_))));
    assert!(matches!(
        Tensoras::builder().api_key("  ").build(),
        Err(Error::Config(_))
    ));
    std::env::set_var("TENSORAS_API_KEY", "tns_from_env");
    let client = Tensoras::new().unwrap();
    assert_eq!(client.base_url(), "https://api.tensoras.ai/v1");
    assert!(!format!("{client:?}").contains("tns_from_env"));
    std::env::set_var("TENSORAS_BASE_URL", "http://localhost:8000/");
    assert_eq!(
        Tensoras::new().unwrap().base_url(),
        "http://localhost:8000/v1"
    );
    let explicit = Tensoras::builder()
        .api_key("tns_explicit")
        .base_url("http://h/v1/")
        .build()
        .unwrap();
    assert_eq!(explicit.base_url(), "http://h/v1");
    assert!(!format!(
        "{explicit:?} {:?}",
        Tensoras::builder().api_key("tns_explicit")
    )
    .contains("tns_explicit"));
    std::env::remove_var("TENSORAS_API_KEY");
    std::env::remove_var("TENSORAS_BASE_URL");
}

#[tokio::test]
async fn resources_round_trip() {
    let server = MockServer::start().await;
    let client = server.client();

    let e = client
        .embeddings()
        .create(EmbeddingRequest::new("bge-large-en-v1.5", ["a", "b"]))
        .await
        .unwrap();
    assert_eq!(e.data.len(), 2);
    let float = e.data[0].vector();
    let b64 = client
        .embeddings()
        .create(
            EmbeddingRequest::new("bge-large-en-v1.5", ["a", "b"])
                .encoding_format(EncodingFormat::Base64),
        )
        .await
        .unwrap();
    assert_eq!(b64.data[0].vector(), float);
    assert_eq!(float.len(), 1024);

    let ranked = client
        .rerank()
        .create(
            RerankRequest::new(
                "bge-reranker-v2-m3",
                "deep learning",
                ["sunny day", "deep learning rocks"],
            )
            .top_n(1),
        )
        .await
        .unwrap();
    assert_eq!(ranked.results.len(), 1);
    assert_eq!(ranked.results[0].index, 1);

    assert_eq!(
        client
            .models()
            .retrieve("qwen-3-32b")
            .await
            .unwrap()
            .owned_by
            .as_deref(),
        Some("alibaba")
    );
    assert!(matches!(
        client.models().retrieve("nope").await,
        Err(Error::NotFound(_))
    ));

    let dir = std::env::temp_dir().join(format!("tensoras-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("batch.jsonl");
    std::fs::write(&path, b"{\"custom_id\":\"r1\"}\n").unwrap();
    let file = client
        .files()
        .create(FileSource::path(&path), FilePurpose::Batch)
        .await
        .unwrap();
    assert_eq!(
        (file.bytes, file.filename.as_str(), file.purpose.clone()),
        (19, "batch.jsonl", FilePurpose::Batch)
    );
    let reader = client
        .files()
        .create(
            FileSource::reader("r.txt", std::io::Cursor::new(b"abc".to_vec()), Some(3)),
            FilePurpose::KnowledgeBase,
        )
        .await
        .unwrap();
    assert_eq!(reader.bytes, 3);
    let out = dir.join("download.jsonl");
    assert_eq!(
        client.files().download_to(&file.id, &out).await.unwrap(),
        19
    );
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&path).unwrap());
    let all: Vec<String> = client
        .files()
        .list_all(ListFiles::new().limit(1))
        .map(|file| file.expect("every page fetched").id)
        .collect()
        .await;
    assert_eq!(
        all,
        [file.id.clone(), reader.id.clone()],
        "auto-pagination walked both pages, in order"
    );
    assert!(client.files().delete(&reader.id).await.unwrap().deleted);

    // Paced (a minute between steps), so the batch is still running when
    // the cancel arrives.
    let paced = client.with_options(fault(&[("x-mock-batch-pace-ms", "60000")]));
    let batch = paced
        .batches()
        .create(BatchCreateRequest::new(
            file.id.as_str(),
            BatchEndpoint::ChatCompletions,
        ))
        .await
        .unwrap();
    assert_eq!(batch.completion_window, CompletionWindow::Hours24);
    assert_eq!(
        client.batches().cancel(&batch.id).await.unwrap().status,
        BatchStatus::Cancelling
    );

    let kb = client
        .knowledge_bases()
        .create(KnowledgeBaseCreateRequest::new("docs"))
        .await
        .unwrap();
    // An empty name goes to the server, which refuses it (the spec's minLength).
    assert!(matches!(
        client
            .knowledge_bases()
            .create(KnowledgeBaseCreateRequest::new(""))
            .await,
        Err(Error::UnprocessableEntity(_))
    ));
    // Sent on purpose: taken, so the server's drop does not fail the test.
    assert_eq!(server.take_rejected().len(), 1);
    let ds = client
        .knowledge_bases()
        .data_sources()
        .create(
            &kb.id,
            DataSourceCreateRequest::new(FileUploadConfig::new([file.id.as_str()])),
        )
        .await
        .unwrap();
    assert!(
        matches!(&ds.source, DataSourceConfig::FileUpload(c) if c.file_ids == [file.id.clone()]),
        "{:?}",
        ds.source
    );
    let docs = client
        .knowledge_bases()
        .documents()
        .list(ListDocuments::new(kb.id.as_str()))
        .await
        .unwrap();
    assert_eq!(docs.data[0].filename.as_deref(), Some("batch.jsonl"));
    let jobs = client
        .knowledge_bases()
        .ingestion_jobs()
        .list(ListIngestionJobs::new(kb.id.as_str()).status(IngestionJobStatus::Completed))
        .await
        .unwrap();
    assert_eq!(jobs.data[0].documents_processed, Some(1));
    let hits = client
        .knowledge_bases()
        .retrieve_chunks(&kb.id, RetrievalRequest::new("batch"))
        .await
        .unwrap();
    assert_eq!(hits.results.len(), 1);
    let rag = client
        .chat()
        .completions()
        .create(chat_request().knowledge_bases([kb.id.clone()]))
        .await
        .unwrap();
    assert_eq!(rag.citations.len(), 1);
    assert_eq!(
        rag.citations[0].source, "batch.jsonl",
        "cites the KB's document"
    );
    assert!(rag.citations[0].score > 0.0 && rag.citations[0].score <= 1.0);
    assert!(
        client
            .knowledge_bases()
            .delete(&kb.id)
            .await
            .unwrap()
            .deleted
    );
    assert!(matches!(
        client.knowledge_bases().retrieve(&kb.id).await,
        Err(Error::NotFound(_))
    ));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn blocking_client_mirrors_the_async_one() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start());
    let client = tensoras::blocking::Tensoras::from_async(server.client()).unwrap();
    let reply = client.chat().completions().create(chat_request()).unwrap();
    assert_eq!(reply.text(), "You asked: What is hybrid search?");
    let chunks = client
        .chat()
        .completions()
        .create_stream(chat_request())
        .unwrap();
    assert_eq!(chunks.status(), Some(200));
    let text: String = chunks.map(|c| c.unwrap().delta_text().to_owned()).collect();
    assert_eq!(text, "You asked: What is hybrid search?");
    assert_eq!(client.models().list().unwrap().data.len(), 3);
    let failing = tensoras::blocking::Tensoras::from_async(server.client().with_options(
        fault(&[("x-mock-status", "503"), ("x-mock-retry-after-ms", "1")]).max_retries(1),
    ))
    .unwrap();
    assert!(matches!(
        failing.models().list(),
        Err(Error::InternalServer(_))
    ));
    // Auto-pagination as an iterator, one page of one item at a time.
    for name in ["a.jsonl", "b.jsonl", "c.jsonl"] {
        client
            .files()
            .create(FileSource::bytes(name, &b"{}\n"[..]), FilePurpose::Batch)
            .unwrap();
    }
    let names: Vec<String> = client
        .files()
        .list_all(ListFiles::new().limit(1))
        .map(|f| f.unwrap().filename)
        .collect();
    assert_eq!(names, ["a.jsonl", "b.jsonl", "c.jsonl"]);
    assert_eq!(
        client.batches().list_all(ListBatches::new()).count(),
        0,
        "no batches yet"
    );
    // Inside a runtime it blocks the thread but does not panic.
    let inside = runtime.block_on(async { client.models().list().map(|m| m.data.len()) });
    assert_eq!(inside.unwrap(), 3);
}

#[test]
fn blocking_client_errors_retries_and_timeouts() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start());
    let blocking = |client: Tensoras| tensoras::blocking::Tensoras::from_async(client).unwrap();

    // Exactly max_retries + 1 requests, seen by the client and the server.
    let failing = blocking(
        server.client().with_options(
            fault(&[
                ("x-mock-status", "429"),
                ("x-mock-retry-after-ms", "1"),
                ("x-mock-fail-times", "2"),
                ("x-mock-key", "blocking-attempts"),
            ])
            .max_retries(2),
        ),
    );
    let raw = failing.models().with_raw_response().list().unwrap();
    assert_eq!(raw.attempts, 3);
    assert_eq!(count(&server, "/v1/models"), 3);
    let failing = blocking(server.client().with_options(
        fault(&[("x-mock-status", "429"), ("x-mock-retry-after-ms", "1")]).max_retries(2),
    ));
    let Err(Error::RateLimit(api)) = failing.models().list() else {
        panic!("expected a rate-limit error")
    };
    assert_eq!(api.retry_after, Some(Duration::from_millis(1)));
    assert_eq!(count(&server, "/v1/models"), 6);

    let wrong_key = blocking(
        Tensoras::builder()
            .api_key("tns_wrong")
            .base_url(server.base_url())
            .build()
            .unwrap(),
    );
    assert!(matches!(
        wrong_key.models().list(),
        Err(Error::Authentication(_))
    ));

    let slow = blocking(
        server.client().with_options(
            fault(&[("x-mock-delay-ms", "2000")])
                .timeout(Duration::from_millis(100))
                .max_retries(0),
        ),
    );
    assert!(matches!(slow.models().list(), Err(Error::Timeout { .. })));

    let nowhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", nowhere.local_addr().unwrap());
    drop(nowhere);
    let refused = blocking(
        Tensoras::builder()
            .api_key(API_KEY)
            .base_url(&url)
            .max_retries(0)
            .build()
            .unwrap(),
    );
    assert!(matches!(
        refused.models().list(),
        Err(Error::Connection { .. })
    ));
}

#[tokio::test]
async fn responses_stream_as_typed_events_and_accumulate() {
    let server = MockServer::start().await;
    let client = server.client();
    // A knowledge base with a document, for the file_search tool to find.
    let kb = client
        .knowledge_bases()
        .create(KnowledgeBaseCreateRequest::new("docs"))
        .await
        .unwrap();
    client
        .knowledge_bases()
        .data_sources()
        .create_from_file(
            &kb.id,
            FileSource::bytes("handbook.md", "Reset it in Settings."),
        )
        .await
        .unwrap();
    let request = ResponseCreateRequest::new("llama-3.3-70b", "How do I reset my password?")
        .tools([ResponseTool::from(FileSearchTool::new([kb.id.as_str()]))]);

    let whole = client.responses().create(request.clone()).await.unwrap();
    let mut stream = client.responses().create_stream(request).await.unwrap();
    assert_eq!(stream.status(), 200);
    let mut acc = ResponseAccumulator::default();
    let mut deltas = String::new();
    let mut kinds = Vec::new();
    while let Some(event) = stream.next().await {
        let event = event.unwrap();
        kinds.push(event.kind().to_owned());
        if let ResponseStreamEvent::OutputTextDelta(delta) = &event {
            deltas.push_str(&delta.delta);
        }
        acc.push(&event).unwrap();
    }
    assert_eq!(kinds.first().map(String::as_str), Some("response.created"));
    assert_eq!(kinds.last().map(String::as_str), Some("response.completed"));
    assert!(kinds
        .iter()
        .any(|k| k == "response.file_search_call.searching"));
    let rebuilt = acc.finish();
    assert_eq!(rebuilt.status, ResponseStatus::Completed);
    assert_eq!(rebuilt.text(), whole.text().replace(&whole.id, &rebuilt.id));
    assert_eq!(deltas, rebuilt.text());
    assert!(rebuilt.usage.is_some());
    // Typed output items: the search with its results, then the message.
    match &rebuilt.output[0] {
        OutputItem::FileSearchCall(search) => {
            let results = search.results.as_deref().unwrap_or_default();
            assert_eq!(results[0].document_name.as_deref(), Some("handbook.md"));
        }
        other => panic!("expected a file search, got {other:?}"),
    }
    assert!(matches!(&rebuilt.output[1], OutputItem::Message(m) if m.role == Role::Assistant));
    // The same output assembled from the deltas alone (no final output).
    let mut from_deltas = ResponseAccumulator::default();
    let stream = client
        .responses()
        .create_stream(ResponseCreateRequest::new("llama-3.3-70b", "Hi"))
        .await
        .unwrap();
    let events: Vec<_> = stream.collect().await;
    for event in &events {
        let event = event.as_ref().unwrap();
        if !matches!(event, ResponseStreamEvent::Completed(_)) {
            from_deltas.push(event).unwrap();
        }
    }
    assert_eq!(from_deltas.finish().text(), "Answer to: Hi");

    // Faults: an error event, an event the SDK does not know, a cut stream.
    let events = |mode: &'static str| {
        let client = client.with_options(fault(&[("x-mock-stream", mode)]));
        async move {
            let stream = client
                .responses()
                .create_stream(ResponseCreateRequest::new("llama-3.3-70b", "Hi"))
                .await
                .unwrap();
            stream.collect::<Vec<_>>().await
        }
    };
    let failed = events("error").await;
    match failed.last() {
        Some(Err(Error::Stream {
            api_error: Some(api),
            ..
        })) => assert_eq!(api.code.as_deref(), Some("overloaded")),
        other => panic!("expected the server's error, got {other:?}"),
    }
    let unknown = events("unknown").await;
    let other = unknown
        .iter()
        .find_map(|e| match e {
            Ok(ResponseStreamEvent::Other(value)) => Some(value.clone()),
            _ => None,
        })
        .expect("the unknown event is kept");
    assert_eq!(other["type"], "response.reasoning.delta");
    assert!(matches!(
        unknown.last(),
        Some(Ok(ResponseStreamEvent::Completed(_)))
    ));
    let cut = events("cut").await;
    assert!(
        matches!(cut.last(), Some(Err(Error::Stream { message, .. })) if message.contains("before the response completed")),
        "{cut:?}"
    );
}

#[test]
fn blocking_responses_stream() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start());
    let client = tensoras::blocking::Tensoras::from_async(server.client()).unwrap();
    let mut acc = ResponseAccumulator::default();
    let events = client
        .responses()
        .create_stream(ResponseCreateRequest::new("llama-3.3-70b", "Hi"))
        .unwrap();
    assert_eq!(events.status(), Some(200));
    for event in events {
        acc.push(&event.unwrap()).unwrap();
    }
    assert_eq!(acc.finish().text(), "Answer to: Hi");
}

#[tokio::test]
async fn call_sends_every_callable_operation_downloads_included() {
    use tensoras::operations::{DownloadFileContent, ListFiles as ListFilesOp, RetrieveFile};
    let server = MockServer::start().await;
    let client = server.client();
    let file = client
        .files()
        .create(
            FileSource::bytes("notes.txt", "line one\nline two\n"),
            FilePurpose::KnowledgeBase,
        )
        .await
        .unwrap();
    // A binary response: the bytes themselves, bounded like any body.
    let content = client
        .call(DownloadFileContent::new(file.id.as_str()))
        .await
        .unwrap();
    assert_eq!(&content[..], b"line one\nline two\n");
    let raw = client
        .call_raw(DownloadFileContent::new(file.id.as_str()))
        .await
        .unwrap();
    assert_eq!((raw.status, raw.data.len()), (200, 18));
    // JSON responses.
    assert_eq!(
        client
            .call(RetrieveFile::new(file.id.as_str()))
            .await
            .unwrap()
            .filename,
        "notes.txt"
    );
    assert_eq!(client.call(ListFilesOp::new()).await.unwrap().data.len(), 1);
    // The blocking twin.
    let blocking = tensoras::blocking::Tensoras::from_async(client.clone()).unwrap();
    let id = file.id.clone();
    let bytes = tokio::task::spawn_blocking(move || blocking.call(DownloadFileContent::new(id)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bytes.len(), 18);
}

#[tokio::test]
async fn a_files_content_reads_whole_within_its_bound() {
    let server = MockServer::start().await;
    let client = server.client();
    let text = "line one\nline two — é\n";
    let file = client
        .files()
        .create(
            FileSource::bytes("notes.txt", text),
            FilePurpose::KnowledgeBase,
        )
        .await
        .unwrap();
    let content = client.files().content(&file.id).await.unwrap();
    assert_eq!(content.max_bytes(), 128 << 20, "the default Limits");
    assert_eq!(content.text().await.unwrap(), text);
    let bytes = client
        .files()
        .content(&file.id)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], text.as_bytes());

    // Over the client's bound: refused, not truncated.
    let small = Tensoras::builder()
        .api_key(API_KEY)
        .base_url(server.base_url())
        .limits(tensoras::Limits::default().max_response_bytes(8))
        .build()
        .unwrap();
    let error = small
        .files()
        .content(&file.id)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::LimitExceeded { limit: 8, .. }),
        "{error:?}"
    );

    // Not UTF-8: a decode error, not replaced characters.
    let binary = client
        .files()
        .create(
            FileSource::bytes("blob.bin", vec![0xff, 0xfe, 0x00]),
            FilePurpose::KnowledgeBase,
        )
        .await
        .unwrap();
    let error = client
        .files()
        .content(&binary.id)
        .await
        .unwrap()
        .text()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");

    // The blocking twin.
    let blocking = tensoras::blocking::Tensoras::from_async(client.clone()).unwrap();
    let id = file.id.clone();
    let read = tokio::task::spawn_blocking(move || blocking.files().content(&id)?.text())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, text);
}

/// Adding a data source that is refused outright (404: no such knowledge
/// base) deletes the file uploaded for it again; after a status the client
/// retries (an earlier attempt may have made the source) the file is kept.
#[tokio::test]
async fn a_refused_data_source_deletes_its_uploaded_file() {
    let server = MockServer::start().await;
    let client = server.client();
    let created = client
        .knowledge_bases()
        .data_sources()
        .create_from_file("kb_missing", FileSource::bytes("notes.txt", "Some notes."));
    let error = tokio::time::timeout(Duration::from_secs(30), created)
        .await
        .expect("the call ends")
        .unwrap_err();
    assert_eq!(error.status(), Some(404), "{error:?}");
    let requests = server.requests();
    let uploads = requests
        .iter()
        .filter(|r| r.method == "POST" && r.uri == "/v1/files")
        .count();
    assert_eq!(uploads, 1, "the file was uploaded");
    let deletes: Vec<&str> = requests
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.uri.as_str())
        .collect();
    assert_eq!(deletes.len(), 1, "and deleted again: {deletes:?}");
    assert!(deletes[0].starts_with("/v1/files/"), "{deletes:?}");
    let files = client.files().list(ListFiles::new()).await.unwrap();
    assert!(files.data.is_empty(), "{:?}", files.data);

    // A 409, retried: kept.
    let kb = client
        .knowledge_bases()
        .create(KnowledgeBaseCreateRequest::new("docs"))
        .await
        .unwrap();
    let path = format!("/v1/knowledge-bases/{}/data-sources", kb.id);
    let conflicted = client.with_options(
        fault(&[
            ("x-mock-status", "409"),
            ("x-mock-fault-path", path.as_str()),
            ("x-mock-retry-after-ms", "1"),
        ])
        .max_retries(1),
    );
    let created = conflicted
        .knowledge_bases()
        .data_sources()
        .create_from_file(&kb.id, FileSource::bytes("more.txt", "More notes."));
    let error = tokio::time::timeout(Duration::from_secs(30), created)
        .await
        .expect("the call ends")
        .unwrap_err();
    assert_eq!(error.status(), Some(409), "{error:?}");
    let deletes = server
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 1, "no other delete");
    let files = client.files().list(ListFiles::new()).await.unwrap();
    assert_eq!(files.data.len(), 1, "the file is kept");
}
