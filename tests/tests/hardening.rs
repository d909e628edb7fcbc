//! A stalled, hostile or odd server cannot hang, bloat or mislead the
//! client; the retry policy follows the trusted SDKs. One group per finding
//! of the hardening issue; the fault matrix is in `tests/README.md`.
//!
//! Raw-socket servers (`tensoras_tests::raw`) send exactly what a broken
//! proxy or a stalled worker sends; the local server's `x-mock-*` faults
//! cover the rest. Every test is bounded in time by `bounded`.

use futures::StreamExt;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tensoras::prelude::*;
use tensoras::TimeoutKind;
use tensoras_mock::MockServer;
use tensoras_tests::faults;
use tensoras_tests::raw::{Conn, RawServer};

/// Fails the test instead of hanging it.
async fn bounded<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

fn quick(read: u64) -> RequestOptions {
    RequestOptions::new()
        .timeout(Duration::from_millis(read))
        .max_retries(0)
}

/// A chat stream opened within [`bounded`] (the head must arrive).
async fn open_stream(client: &Tensoras) -> tensoras::ChatStream {
    bounded(
        "create_stream",
        client.chat().completions().create_stream(request()),
    )
    .await
    .unwrap()
}

fn chunk_event(text: &str) -> String {
    format!(
        "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n"
    )
}

const SSE_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";

/// One chunk of a chunked body.
fn chunked(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
    out
}

fn request() -> ChatCompletionRequest {
    ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("hi")])
}

// ------------------------------------------------------- 1. no hang

/// Headers and one chunk, then nothing, with the socket kept open.
async fn stall_after_one_chunk(mut conn: Conn) {
    let _ = conn.read_request().await;
    let _ = conn.write(SSE_HEAD).await;
    let _ = conn.write(&chunked(chunk_event("Hel").as_bytes())).await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

#[tokio::test]
async fn a_stalled_stream_ends_with_a_read_timeout() {
    let server = RawServer::start(stall_after_one_chunk).await.unwrap();
    let client = server.client(quick(300));
    let mut stream = open_stream(&client).await;
    let first = bounded("first chunk", stream.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.delta_text(), "Hel");
    let started = Instant::now();
    let second = bounded("the stalled read", stream.next()).await.unwrap();
    assert!(
        matches!(
            second,
            Err(Error::Timeout {
                kind: TimeoutKind::Read,
                ..
            })
        ),
        "{second:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        bounded("after the end", stream.next()).await.is_none(),
        "the stream ended"
    );
}

/// The read timeout bounds the server's silence while the client waits:
/// a reader that pauses longer than it between pieces (say, a slow
/// database write per batch result) is not cut when it comes back.
#[tokio::test]
async fn a_slow_reader_does_not_use_up_the_read_timeout() {
    let server = RawServer::start(|mut conn: Conn| async move {
        let _ = conn.read_request().await;
        let _ = conn
            .write(b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 20\r\n\r\nfirst part")
            .await;
        // The rest 3.2 s later: 0.2 s after the reader comes back.
        tokio::time::sleep(Duration::from_millis(3200)).await;
        let _ = conn.write(b"second par").await;
    })
    .await
    .unwrap();
    let client = server.client(quick(1000));
    let mut content = bounded("content", client.files().content("file-1"))
        .await
        .unwrap();
    let first = bounded("first part", content.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&first[..], b"first part");
    // Away for three read timeouts, not waiting for the server.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let second = bounded("second part", content.next()).await.unwrap();
    assert_eq!(&second.unwrap()[..], b"second par");
}

#[tokio::test]
async fn a_stalled_download_and_a_stalled_json_body_end_with_read_timeouts() {
    let server = RawServer::start(|mut conn: Conn| async move {
        let _ = conn.read_request().await;
        let _ = conn
            .write(b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 1000\r\n\r\n0123456789")
            .await;
        tokio::time::sleep(Duration::from_secs(3600)).await;
    })
    .await
    .unwrap();
    let client = server.client(quick(300));
    let mut content = bounded("content", client.files().content("file-1"))
        .await
        .unwrap();
    assert_eq!(content.content_length(), Some(1000));
    assert_eq!(
        bounded("first bytes", content.next())
            .await
            .unwrap()
            .unwrap()
            .len(),
        10
    );
    let stalled = bounded("the stalled read", content.next()).await.unwrap();
    assert!(
        matches!(
            stalled,
            Err(Error::Timeout {
                kind: TimeoutKind::Read,
                ..
            })
        ),
        "{stalled:?}"
    );
    // download_to ends the same way.
    let path = std::env::temp_dir().join(format!("tensoras-stall-{}", std::process::id()));
    let result = bounded("download_to", client.files().download_to("file-1", &path)).await;
    assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    std::fs::remove_file(&path).ok();
    // A JSON body that stops half-way.
    let result = bounded("retrieve", client.files().retrieve("file-1")).await;
    assert!(
        matches!(
            result,
            Err(Error::Timeout {
                kind: TimeoutKind::Read,
                ..
            })
        ),
        "{result:?}"
    );
}

/// The names in `dir`, sorted.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_stream_answered_with_json_or_html_reports_what_came() {
    // An error reported with a 200: the server's error, typed.
    let items = stream_items(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 62\r\n\r\n{\"error\":{\"message\":\"model overloaded\",\"type\":\"server_error\"}}").await;
    let [Err(Error::Stream {
        api_error: Some(api),
        ..
    })] = items.as_slice()
    else {
        panic!("{items:?}");
    };
    assert_eq!(api.message, "model overloaded");
    // A whole completion (the server ignored `stream: true`), a proxy's page.
    for (answer, shown) in [
        (
            &b"HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: 43\r\n\r\n{\"id\":\"c\",\"object\":\"chat.completion\",\"x\":1}"[..],
            "`application/json` where an event stream was expected",
        ),
        (
            &b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 30\r\n\r\n<html>proxy sign-in</html>\n\n\n\n"[..],
            "proxy sign-in",
        ),
    ] {
        let items = stream_items(answer).await;
        let [Err(Error::Stream { message, .. })] = items.as_slice() else {
            panic!("{items:?}");
        };
        assert!(message.contains(shown), "{message}");
    }
    // Events labelled `text/plain`, or even `application/json`, are events.
    for content_type in ["text/plain", "application/json"] {
        let body = format!("{}data: [DONE]\n\n", chunk_event("Hi"));
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let items = stream_items(Box::leak(answer.into_bytes().into_boxed_slice())).await;
        let [Ok(chunk)] = items.as_slice() else {
            panic!("{content_type}: {items:?}");
        };
        assert_eq!(chunk.choices[0].delta.content.as_deref(), Some("Hi"));
    }
}

/// The items of a chat stream from a server that answers with `answer`.
async fn stream_items(answer: &'static [u8]) -> Vec<Result<ChatCompletionChunk>> {
    let server = answering(answer).await;
    let stream = stream_from(&server).await.expect("the head");
    bounded("the items", stream.collect()).await
}

/// A destination that is not a regular file (a pipe here; `/dev/null` is
/// the same case) is written in place, not replaced by a renamed file.
#[cfg(unix)]
#[tokio::test]
async fn a_download_into_a_pipe_writes_through_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = std::env::temp_dir().join(format!("tensoras-download-pipe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pipe = dir.join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("no mkfifo here: skipped");
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let reading = pipe.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read(&reading));
    });
    let server = answering(b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 10\r\n\r\n0123456789").await;
    let client = server.client(quick(5000));
    let written = bounded("download_to", client.files().download_to("file-1", &pipe)).await;
    // Replaced by a renamed file, the pipe would never see a writer.
    let read = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the pipe's reader ends");
    let still_a_pipe = std::fs::symlink_metadata(&pipe).map(|m| m.file_type().is_fifo());
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(written.unwrap(), 10);
    assert_eq!(read.unwrap(), b"0123456789");
    assert!(matches!(still_a_pipe, Ok(true)), "{still_a_pipe:?}");
}

/// A symbolic link is written through (to what it points to, which may be
/// `/dev/stdout`), not replaced by a renamed file.
#[cfg(unix)]
#[tokio::test]
async fn a_download_through_a_link_writes_what_it_points_to() {
    let dir = std::env::temp_dir().join(format!("tensoras-download-link-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("target.jsonl");
    std::fs::write(&target, b"old").unwrap();
    let link = dir.join("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let server = answering(b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 10\r\n\r\n0123456789").await;
    let written = bounded(
        "download_to",
        server
            .client(quick(5000))
            .files()
            .download_to("file-1", &link),
    )
    .await;
    let still_a_link = std::fs::symlink_metadata(&link).map(|m| m.file_type().is_symlink());
    let contents = std::fs::read(&target);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(written.unwrap(), 10);
    assert!(matches!(still_a_link, Ok(true)), "{still_a_link:?}");
    assert_eq!(contents.unwrap(), b"0123456789");
}

/// A chat stream opened on `server` (its head within [`bounded`]).
async fn stream_from(server: &RawServer) -> Result<tensoras::ChatStream> {
    bounded(
        "create_stream",
        server
            .client(quick(5000))
            .chat()
            .completions()
            .create_stream(request()),
    )
    .await
}

/// A server that answers every request with `bytes` and closes the connection.
async fn answering(bytes: &'static [u8]) -> RawServer {
    RawServer::start(move |mut conn: Conn| async move {
        let _ = conn.read_request().await;
        let _ = conn.write(bytes).await;
    })
    .await
    .unwrap()
}

/// A download that breaks mid-way leaves its destination as it was (the
/// old contents, or no file at all) and no temporary file beside it; a
/// whole one replaces it.
#[tokio::test]
async fn a_broken_download_leaves_the_destination_as_it_was() {
    let dir = std::env::temp_dir().join(format!("tensoras-download-to-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let destination = dir.join("results.jsonl");
    std::fs::write(&destination, b"the old contents\n").unwrap();

    // Ten bytes of a thousand, then the connection closes.
    let broken = answering(b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 1000\r\n\r\n0123456789").await;
    let client = broken.client(quick(5000));
    let result = bounded(
        "download_to",
        client.files().download_to("file-1", &destination),
    )
    .await;
    assert!(
        matches!(result, Err(Error::Connection { .. })),
        "{result:?}"
    );
    assert_eq!(std::fs::read(&destination).unwrap(), b"the old contents\n");
    assert_eq!(
        names_in(&dir),
        ["results.jsonl"],
        "no temporary file is left"
    );
    let absent = dir.join("absent.jsonl");
    let result = bounded("download_to", client.files().download_to("file-1", &absent)).await;
    assert!(result.is_err(), "{result:?}");
    assert!(!absent.exists(), "no partial file where there was none");
    assert_eq!(
        names_in(&dir),
        ["results.jsonl"],
        "no temporary file is left"
    );

    // The whole file: it replaces the old contents.
    let whole = answering(b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 10\r\n\r\n0123456789").await;
    let client = whole.client(quick(5000));
    let written = bounded(
        "download_to",
        client.files().download_to("file-1", &destination),
    )
    .await
    .unwrap();
    assert_eq!(written, 10);
    assert_eq!(std::fs::read(&destination).unwrap(), b"0123456789");
    assert_eq!(names_in(&dir), ["results.jsonl"]);
    std::fs::remove_dir_all(&dir).ok();
}

/// Keep-alive comments every 50 ms for a while, then the answer.
async fn keep_alives_then_done(mut conn: Conn, pings: usize) {
    let _ = conn.read_request().await;
    let _ = conn.write(SSE_HEAD).await;
    for _ in 0..pings {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if conn.write(&chunked(b": keep-alive\n\n")).await.is_err() {
            return;
        }
    }
    let _ = conn.write(&chunked(chunk_event("done").as_bytes())).await;
    let _ = conn.write(&chunked(b"data: [DONE]\n\n")).await;
    let _ = conn.write(b"0\r\n\r\n").await;
}

#[tokio::test]
async fn keep_alives_count_as_progress_and_the_total_timeout_bounds_everything() {
    // 30 pings 50 ms apart (1.5 s) with a 1 s read timeout: the stream
    // outlives the timeout, and a ping may come 950 ms late on a loaded
    // machine before the test could fail.
    let server = RawServer::start(|conn| keep_alives_then_done(conn, 30))
        .await
        .unwrap();
    let stream = open_stream(&server.client(quick(1000))).await;
    let items: Vec<_> = bounded("the whole stream", stream.collect()).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap().delta_text(), "done");

    // Pings forever: only the total timeout ends it, and it is not retried.
    // (The read timeout is far above the ping interval, so it cannot end
    // the stream first and be retried on a loaded machine.)
    let server = RawServer::start(|conn| keep_alives_then_done(conn, usize::MAX))
        .await
        .unwrap();
    let client = server.client(
        quick(5_000)
            .total_timeout(Duration::from_millis(700))
            .max_retries(3),
    );
    let stream = open_stream(&client).await;
    let items: Vec<_> = bounded("the endless stream", stream.collect()).await;
    assert!(
        matches!(
            items.last(),
            Some(Err(Error::Timeout {
                kind: TimeoutKind::Total,
                ..
            }))
        ),
        "{items:?}"
    );
    assert_eq!(server.counters.connections.load(Ordering::Relaxed), 1);
}

// ------------------------------------------- 2. bounded memory

#[tokio::test]
async fn an_endless_event_line_is_refused_at_the_limit() {
    // `data: aaaa…` with no newline, up to 256 MiB if the client kept reading.
    let server = RawServer::start(|mut conn: Conn| async move {
        let _ = conn.read_request().await;
        let _ = conn.write(SSE_HEAD).await;
        let piece = chunked(&[b'a'; 64 << 10]);
        let _ = conn.write(&chunked(b"data: ")).await;
        for _ in 0..4096 {
            if conn.write(&piece).await.is_err() {
                return;
            }
        }
    })
    .await
    .unwrap();
    let limits = tensoras::Limits::default().max_event_line_bytes(1 << 20);
    let client = tensoras::Tensoras::builder()
        .api_key(tensoras_mock::API_KEY)
        .base_url(server.base_url())
        .limits(limits)
        .max_retries(0)
        .build()
        .unwrap();
    let stream = open_stream(&client).await;
    let items: Vec<_> = bounded("the endless line", stream.collect()).await;
    assert!(
        matches!(items.last(), Some(Err(Error::LimitExceeded { limit, .. })) if *limit == 1 << 20),
        "{items:?}"
    );
    // The server could only push the limit plus what the sockets buffer.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let written = server.counters.written.load(Ordering::Relaxed);
    assert!(
        written < 32 << 20,
        "{written} bytes were sent before the client let go"
    );
}

#[tokio::test]
async fn a_huge_error_body_is_not_read_past_its_limit() {
    let server = RawServer::start(|mut conn: Conn| async move {
        let _ = conn.read_request().await;
        let head = format!(
            "HTTP/1.1 500 Internal MockServer Error\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
            200u64 << 20
        );
        let _ = conn.write(head.as_bytes()).await;
        let piece = [b'x'; 64 << 10];
        for _ in 0..3200 {
            if conn.write(&piece).await.is_err() {
                return;
            }
        }
    })
    .await
    .unwrap();
    let client = server.client(RequestOptions::new().max_retries(0));
    let error = bounded("the error", client.models().list())
        .await
        .unwrap_err();
    let Error::InternalServer(api) = &error else {
        panic!("{error:?}")
    };
    assert!(api.body.len() <= 4096 + 3, "kept {} bytes", api.body.len());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let written = server.counters.written.load(Ordering::Relaxed);
    assert!(
        written < 32 << 20,
        "{written} bytes were sent before the client let go"
    );
}

#[tokio::test]
async fn a_json_body_past_the_limit_is_refused() {
    for declared in [true, false] {
        let server = RawServer::start(move |mut conn: Conn| async move {
            let _ = conn.read_request().await;
            let body = format!("{{\"object\":\"list\",\"data\":[],\"pad\":\"{}\"}}", "p".repeat(4 << 20));
            let head = if declared {
                format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", body.len())
            } else {
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n".to_owned()
            };
            let _ = conn.write(head.as_bytes()).await;
            let _ = conn.write(body.as_bytes()).await;
        })
        .await
        .unwrap();
        let client = tensoras::Tensoras::builder()
            .api_key(tensoras_mock::API_KEY)
            .base_url(server.base_url())
            .limits(tensoras::Limits::default().max_response_bytes(1 << 20))
            .max_retries(2)
            .build()
            .unwrap();
        let error = bounded("list", client.models().list()).await.unwrap_err();
        assert!(
            matches!(error, Error::LimitExceeded { limit, .. } if limit == 1 << 20),
            "{error:?}"
        );
        assert_eq!(
            server.counters.connections.load(Ordering::Relaxed),
            1,
            "not retried"
        );
    }
}

#[tokio::test]
async fn tool_call_indexes_from_the_server_are_sparse_and_checked() {
    let server = RawServer::start(|mut conn: Conn| async move {
        let _ = conn.read_request().await;
        let _ = conn.write(SSE_HEAD).await;
        for index in ["3000000", "1099511627776", "0", "3000000"] {
            let event = format!(
                "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":{index},\"function\":{{\"name\":\"f\",\"arguments\":\"x\"}}}}]}}}}]}}\n\n"
            );
            let _ = conn.write(&chunked(event.as_bytes())).await;
        }
        let _ = conn.write(&chunked(b"data: [DONE]\n\n")).await;
        let _ = conn.write(b"0\r\n\r\n").await;
    })
    .await
    .unwrap();
    let stream = open_stream(&server.client(quick(2000))).await;
    let mut acc = ChatAccumulator::default();
    for chunk in bounded("chunks", stream.collect::<Vec<_>>()).await {
        acc.push(&chunk.unwrap()).unwrap();
    }
    let calls = &acc.finish().choices[0].message.tool_calls;
    assert_eq!(calls.len(), 3, "three distinct indexes, three entries");
    assert_eq!(calls[1].function.arguments, "xx", "index 3,000,000 joined");

    let negative: ChatCompletionChunk = serde_json::from_str(
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":-1}]}}]}"#,
    )
    .unwrap();
    assert!(matches!(
        ChatAccumulator::default().push(&negative),
        Err(Error::Stream { .. })
    ));
}

// ------------------------------------------------ 3. path safety

#[tokio::test]
async fn ids_that_escape_their_path_segment_send_nothing() {
    let server = MockServer::start().await;
    let client = server.client();
    let kb = "kb_1";
    for bad in ["", ".", "..", "a\nb", "x\u{0}y", "\u{7f}"] {
        macro_rules! refused {
            ($call:expr) => {{
                let result = bounded(stringify!($call), $call).await;
                assert!(
                    matches!(&result, Err(Error::InvalidInput(m)) if m.contains("path parameter")),
                    "{} with {bad:?}: {result:?}",
                    stringify!($call)
                );
            }};
        }
        refused!(client.models().retrieve(bad));
        refused!(client.files().retrieve(bad));
        refused!(client.files().delete(bad));
        refused!(client.files().content(bad));
        refused!(client
            .files()
            .download_to(bad, std::env::temp_dir().join("never")));
        refused!(client.batches().retrieve(bad));
        refused!(client.batches().cancel(bad));
        let kbs = client.knowledge_bases();
        refused!(kbs.retrieve(bad));
        refused!(kbs.update(bad, KnowledgeBaseUpdateRequest::new().description("x")));
        refused!(kbs.delete(bad));
        refused!(kbs.retrieve_chunks(bad, RetrievalRequest::new("q")));
        let web = || DataSourceCreateRequest::new(WebCrawlConfig::new(["https://x"]));
        refused!(kbs.data_sources().create(bad, web()));
        refused!(kbs
            .data_sources()
            .create_from_file(bad, FileSource::bytes("a.txt", "a")));
        refused!(kbs.data_sources().list(ListDataSources::new(bad)));
        refused!(kbs.data_sources().retrieve(bad, "ds_1"));
        refused!(kbs.data_sources().retrieve(kb, bad));
        refused!(kbs.data_sources().delete(bad, "ds_1"));
        refused!(kbs.data_sources().delete(kb, bad));
        refused!(kbs.documents().list(ListDocuments::new(bad)));
        refused!(kbs.documents().retrieve(bad, "doc_1"));
        refused!(kbs.documents().retrieve(kb, bad));
        refused!(kbs.documents().delete(bad, "doc_1"));
        refused!(kbs.documents().delete(kb, bad));
        refused!(kbs.ingestion_jobs().list(ListIngestionJobs::new(bad)));
        refused!(kbs.ingestion_jobs().retrieve(bad, "job_1"));
        refused!(kbs.ingestion_jobs().retrieve(kb, bad));
        refused!(client.responses().retrieve(bad));
        refused!(client.webhooks().retrieve(bad));
        refused!(client.webhooks().update(bad, WebhookUpdateRequest::new()));
        refused!(client.webhooks().delete(bad));
        // The low-level call checks the same way.
        refused!(client.call(tensoras::operations::DeleteDocument::new(kb, bad)));
        // Lists fail at their first page.
        let first = bounded(
            "list_all",
            client
                .knowledge_bases()
                .documents()
                .list_all(ListDocuments::new(bad))
                .next(),
        )
        .await;
        assert!(
            matches!(first, Some(Err(Error::InvalidInput(_)))),
            "{first:?}"
        );
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    // Anything else is one encoded segment.
    let result = client.files().delete("a/../b?c#d").await;
    assert!(matches!(result, Err(Error::NotFound(_))), "{result:?}");
    assert_eq!(server.requests()[0].uri, "/v1/files/a%2F..%2Fb%3Fc%23d");
}

#[tokio::test]
async fn numbers_json_cannot_carry_are_refused_and_send_nothing() {
    // serde_json writes NaN and the infinities as `null`, which a server
    // reads as the member left out: the caller's value would be gone
    // without a word. Each is refused, naming the member.
    let server = MockServer::start().await;
    let client = server.client();
    let chat = || ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hi")]);
    fn refused<T: std::fmt::Debug>(result: &Result<T>, member: &str) {
        assert!(
            matches!(result, Err(Error::InvalidInput(m)) if m.contains(&format!("`{member}`"))),
            "{member}: {result:?}"
        );
    }
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let chats = client.chat().completions();
        refused(&chats.create(chat().temperature(bad)).await, "temperature");
        refused(&chats.create(chat().top_p(bad)).await, "top_p");
        refused(
            &chats.create(chat().frequency_penalty(bad)).await,
            "frequency_penalty",
        );
        refused(
            &chats.create(chat().presence_penalty(bad)).await,
            "presence_penalty",
        );
        let stream = chats.create_stream(chat().temperature(bad)).await;
        assert!(
            matches!(&stream, Err(Error::InvalidInput(m)) if m.contains("`temperature`")),
            "{bad}"
        );
        let response = ResponseCreateRequest::new("llama-3.3-70b", "Hi").top_p(bad);
        refused(&client.responses().create(response).await, "top_p");
        let query = RetrievalRequest::new("reset password").min_score(bad);
        let chunks = client
            .knowledge_bases()
            .retrieve_chunks("kb_1", query)
            .await;
        refused(&chunks, "min_score");
    }
    assert_eq!(server.requests().len(), 0, "nothing was sent");
    // In a map too (a response type: a caller may send it on, or write it
    // out).
    let top = std::collections::HashMap::from([("a".to_owned(), f64::NEG_INFINITY)]);
    let logprobs = CompletionLogprobs::new().top_logprobs([Some(top)]);
    let error = serde_json::to_string(&logprobs).unwrap_err().to_string();
    assert!(
        error.contains("`top_logprobs` is NaN or infinite"),
        "{error}"
    );
    // A finite value goes out as it is.
    let sent = client
        .chat()
        .completions()
        .create(chat().temperature(1e-300).top_p(0.5))
        .await;
    assert!(sent.is_ok(), "{sent:?}");
    let body = server.requests()[0].body.clone().expect("a JSON body");
    assert_eq!(body["temperature"], serde_json::json!(1e-300));
    assert_eq!(body["top_p"], serde_json::json!(0.5));
}

// ---------------------------------- 4. uploads and slow answers

#[tokio::test]
async fn a_slow_upload_that_keeps_moving_is_not_timed_out() {
    // The server takes 16 MiB at about 3 MiB/s (5 s) with a 2 s write
    // timeout; every wait for it to take more is far under 2 s. The read
    // timeout, which starts once the socket has taken the last piece, is
    // long: what the socket buffers still hold then is not this test's
    // subject (see `transport::drain`).
    let server = RawServer::start(|mut conn: Conn| async move {
        let head = conn.read_head().await.unwrap_or_default();
        let length: u64 = head
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
            .unwrap_or(0);
        let mut got = 0u64;
        while got < length {
            match conn.read_some(64 << 10).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got += n as u64,
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let body = r#"{"id":"file-1","object":"file","bytes":16777216,"created_at":1,"filename":"big.bin","purpose":"batch"}"#;
        let head = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", body.len());
        let _ = conn.write(head.as_bytes()).await;
        let _ = conn.write(body.as_bytes()).await;
    })
    .await
    .unwrap();
    let client = server.client(
        RequestOptions::new()
            .write_timeout(Duration::from_secs(2))
            .read_timeout(Duration::from_secs(20))
            .max_retries(3),
    );
    let started = Instant::now();
    let file = bounded(
        "upload",
        client.files().create(
            FileSource::bytes("big.bin", vec![7u8; 16 << 20]),
            FilePurpose::Batch,
        ),
    )
    .await
    .unwrap();
    assert_eq!(file.bytes, 16 << 20);
    assert!(
        started.elapsed() > Duration::from_secs(2),
        "the upload took longer than one timeout"
    );
    assert_eq!(
        server.counters.connections.load(Ordering::Relaxed),
        1,
        "sent once"
    );

    // A server that never reads the body: the write timeout ends the
    // attempt. The body is far larger than the socket buffers can take
    // (a receive buffer stays small while nothing reads it; one that a fast
    // reader had grown to its 32 MiB maximum could swallow a smaller upload
    // whole, and the wait would then be for the answer: a read timeout).
    let stuck = RawServer::start(|mut conn: Conn| async move {
        let _ = conn.read_head().await;
        tokio::time::sleep(Duration::from_secs(3600)).await;
    })
    .await
    .unwrap();
    let error = bounded(
        "stuck upload",
        stuck.client(quick(300)).files().create(
            FileSource::bytes("big.bin", vec![7u8; 96 << 20]),
            FilePurpose::Batch,
        ),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                kind: TimeoutKind::Write,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_large_json_request_waits_for_its_answer_within_the_read_timeout() {
    // A chat request of about 400 KB (sent as a tracked stream with its
    // length), read whole by a server that then thinks for 1.5 s: the wait
    // is the read phase's (10 s), not the upload's (300 ms).
    let server = RawServer::start(|mut conn: Conn| async move {
        let _ = conn.read_request().await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let body = format!("{}data: [DONE]\n\n", chunk_event("done"));
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let _ = conn.write(head.as_bytes()).await;
        let _ = conn.write(body.as_bytes()).await;
    })
    .await
    .unwrap();
    let client = server.client(
        RequestOptions::new()
            .write_timeout(Duration::from_millis(300))
            .read_timeout(Duration::from_secs(10))
            .max_retries(0),
    );
    let long = "x".repeat(400_000);
    let request = ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user(long)]);
    let stream = bounded(
        "a large request",
        client.chat().completions().create_stream(request),
    )
    .await
    .unwrap();
    let items: Vec<_> = bounded("its stream", stream.collect()).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap().delta_text(), "done");
    assert_eq!(server.counters.connections.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn every_attempt_of_a_call_carries_the_same_idempotency_key_and_its_count() {
    let server = MockServer::start().await;
    // An answer slower than the read timeout, retried: the server can tell.
    let slow = server.client().with_options(
        faults(&[("x-mock-delay-ms", "600")])
            .timeout(Duration::from_millis(150))
            .max_retries(2),
    );
    let error = bounded("slow create", slow.chat().completions().create(request()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                kind: TimeoutKind::Read,
                ..
            }
        ),
        "{error:?}"
    );
    // The delayed handlers record when they answer: wait for all three.
    let mut seen = server.requests();
    for _ in 0..200 {
        if seen.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen = server.requests();
    }
    assert_eq!(seen.len(), 3);
    let keys: Vec<_> = seen
        .iter()
        .map(|r| r.headers["idempotency-key"].clone())
        .collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    let counts: Vec<_> = seen
        .iter()
        .map(|r| {
            r.headers["x-tensoras-retry-count"]
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(counts, ["0", "1", "2"]);

    // A new call, a new key; GET has none; opting out or choosing one.
    let client = server.client();
    client.chat().completions().create(request()).await.unwrap();
    client.models().list().await.unwrap();
    client
        .with_options(RequestOptions::new().no_idempotency_key())
        .chat()
        .completions()
        .create(request())
        .await
        .unwrap();
    client
        .with_options(RequestOptions::new().idempotency_key("order-42"))
        .chat()
        .completions()
        .create(request())
        .await
        .unwrap();
    let seen = server.requests();
    let key = |i: usize| {
        seen[i]
            .headers
            .get("idempotency-key")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert!(key(3).is_some_and(|k| k != keys[0].to_str().unwrap()));
    assert_eq!(key(4), None, "GET");
    assert_eq!(key(5), None, "opted out");
    assert_eq!(key(6).as_deref(), Some("order-42"));
}

#[tokio::test]
async fn per_call_headers_override_client_headers_and_bad_keys_are_refused() {
    use tensoras::header::{HeaderName, HeaderValue};
    let server = MockServer::start().await;
    let tag = HeaderName::from_static("x-team");
    let client = Tensoras::builder()
        .api_key(tensoras_mock::API_KEY)
        .base_url(server.base_url())
        .default_header(tag.clone(), HeaderValue::from_static("client"))
        .build()
        .unwrap();
    client.models().list().await.unwrap();
    client
        .with_options(RequestOptions::new().header(tag.clone(), HeaderValue::from_static("call")))
        .models()
        .list()
        .await
        .unwrap();
    let seen = server.requests();
    let tags = |i: usize| -> Vec<_> { seen[i].headers.get_all(&tag).iter().cloned().collect() };
    assert_eq!(tags(0), ["client"]);
    assert_eq!(tags(1), ["call"], "replaced, not added");
    for request in &seen {
        assert_eq!(request.headers.get_all("authorization").iter().count(), 1);
    }

    // A key no header can carry is the caller's error, before anything is sent.
    let error = client
        .with_options(RequestOptions::new().idempotency_key("line\nbreak"))
        .chat()
        .completions()
        .create(request())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput(m) if m.contains("idempotency")),
        "{error:?}"
    );
    assert_eq!(server.requests().len(), 2);
}

// ------------------------------------------------- 5. retry policy

async fn attempts(server: &MockServer, options: RequestOptions) -> (Result<ModelList>, usize) {
    let before = server.requests().len();
    let result = bounded(
        "list",
        server.client().with_options(options).models().list(),
    )
    .await;
    (result, server.requests().len() - before)
}

#[tokio::test]
async fn a_retry_wait_past_the_total_timeout_ends_with_the_servers_error() {
    // Waiting out a 30 s Retry-After cannot fit in a 5 s total timeout:
    // the call ends at once with the 429 and its Retry-After, not with a
    // total timeout that would hide them.
    // A wait that fits is made.
    let server = MockServer::start().await;
    for (wait_ms, total_s, max_retries, made) in [("30000", 5, 3, 1), ("1", 20, 2, 3)] {
        let (result, n) = attempts(
            &server,
            faults(&[("x-mock-status", "429"), ("x-mock-retry-after-ms", wait_ms)])
                .max_retries(max_retries)
                .total_timeout(Duration::from_secs(total_s)),
        )
        .await;
        assert_eq!(n, made, "{wait_ms} ms");
        let Err(Error::RateLimit(api)) = &result else {
            panic!("{result:?}");
        };
        let wait = Duration::from_millis(wait_ms.parse().unwrap());
        assert_eq!(api.retry_after, Some(wait));
        assert_eq!(api.attempts as usize, made);
    }
}

#[tokio::test]
async fn an_answer_whose_body_breaks_off_is_retried() {
    // The first connection sends the head and 10 of 1,000 bytes, then
    // closes; the second, the whole answer.
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&answered);
    let server = RawServer::start(move |mut conn: Conn| {
        let attempt = count.fetch_add(1, Ordering::SeqCst);
        async move {
            let request = conn.read_request().await.unwrap_or_default();
            if attempt == 0 {
                let _ = conn
                    .write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"object\":")
                    .await;
                return; // dropped: the body breaks off
            }
            assert!(
                request
                    .to_ascii_lowercase()
                    .contains("x-tensoras-retry-count: 1"),
                "{request}"
            );
            let body = br#"{"object":"list","data":[]}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            let _ = conn.write(head.as_bytes()).await;
            let _ = conn.write(body).await;
        }
    })
    .await
    .unwrap();
    let client = server.client(RequestOptions::new().max_retries(1));
    let models = bounded("list", client.models().list()).await.unwrap();
    assert!(models.data.is_empty());
    assert_eq!(answered.load(Ordering::SeqCst), 2);
    // Without retries left, the broken body is the call's error.
    answered.store(0, Ordering::SeqCst);
    let client = server.client(RequestOptions::new().max_retries(0));
    let result = bounded("list", client.models().list()).await;
    assert!(
        matches!(result, Err(Error::Connection { .. })),
        "{result:?}"
    );
    assert_eq!(answered.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_servers_word_and_every_5xx_decide_retries() {
    let server = MockServer::start().await;
    let fast = |pairs: &[(&'static str, &str)]| faults(pairs).max_retries(2);
    let (_, n) = attempts(
        &server,
        fast(&[("x-mock-status", "500"), ("x-mock-should-retry", "false")]),
    )
    .await;
    assert_eq!(n, 1, "x-should-retry: false on a 500");
    let (_, n) = attempts(
        &server,
        fast(&[
            ("x-mock-status", "400"),
            ("x-mock-should-retry", "true"),
            ("x-mock-retry-after-ms", "1"),
        ]),
    )
    .await;
    assert_eq!(n, 3, "x-should-retry: true on a 400");
    for status in ["501", "520", "522", "524", "529"] {
        let (result, n) = attempts(
            &server,
            fast(&[("x-mock-status", status), ("x-mock-retry-after-ms", "1")]),
        )
        .await;
        assert_eq!(n, 3, "{status}");
        assert!(matches!(result, Err(Error::InternalServer(_))));
    }
}

#[tokio::test]
async fn retry_after_zero_past_or_too_long_gets_the_normal_backoff() {
    let server = MockServer::start().await;
    for value in ["0", "Thu, 01 Jan 1970 00:00:00 GMT"] {
        let started = Instant::now();
        let (_, n) = attempts(
            &server,
            faults(&[("x-mock-status", "503"), ("x-mock-retry-after", value)]).max_retries(2),
        )
        .await;
        assert_eq!(n, 3);
        // Two backoffs of at least 0.25 s and 0.5 s (jitter halves at most).
        assert!(
            started.elapsed() >= Duration::from_millis(740),
            "{value}: {:?}",
            started.elapsed()
        );
    }
    // A wait past the 60 s cap is not honoured, and the call is still retried.
    let started = Instant::now();
    let (_, n) = attempts(
        &server,
        faults(&[("x-mock-status", "429"), ("x-mock-retry-after", "3600")]).max_retries(1),
    )
    .await;
    assert_eq!(n, 2);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn redirect_loops_and_oversized_heads_are_not_retried() {
    let server = MockServer::start().await;
    let to_itself = format!("{}/models", server.base_url());
    let (result, n) = attempts(
        &server,
        faults(&[("x-mock-redirect", &to_itself)]).max_retries(3),
    )
    .await;
    assert!(
        matches!(&result, Err(e @ Error::Connection { .. }) if !e.is_retryable()),
        "{result:?}"
    );
    assert!(n <= 11, "one attempt's redirects, not four: {n}");

    let huge = RawServer::start(|mut conn: Conn| async move {
        let _ = conn.read_request().await;
        let _ = conn.write(b"HTTP/1.1 200 OK\r\nx-padding: ").await;
        let _ = conn.write(&vec![b'p'; 2 << 20]).await;
        let _ = conn.write(b"\r\ncontent-length: 2\r\n\r\n{}").await;
    })
    .await
    .unwrap();
    let result = bounded(
        "huge head",
        huge.client(RequestOptions::new().max_retries(3))
            .models()
            .list(),
    )
    .await;
    assert!(
        matches!(&result, Err(e @ Error::Connection { .. }) if !e.is_retryable()),
        "{result:?}"
    );
    assert_eq!(huge.counters.connections.load(Ordering::Relaxed), 1);

    // A body that does not decode is not retried either.
    let server = MockServer::start().await;
    let (result, n) = attempts(
        &server,
        faults(&[("x-mock-nonconformant", "1")]).max_retries(3),
    )
    .await;
    assert!(matches!(result, Err(Error::Decode { .. })));
    assert_eq!(n, 1);
    server.take_violations();
}

// ------------------------------------------------------ 6. secrets

#[tokio::test]
async fn secrets_never_show() {
    let options = RequestOptions::new()
        .header(
            tensoras::header::AUTHORIZATION,
            tensoras::header::HeaderValue::from_static("Bearer tns_secret_a"),
        )
        .header(
            tensoras::header::HeaderName::from_static("x-api-key"),
            tensoras::header::HeaderValue::from_static("tns_secret_b"),
        )
        .header(
            tensoras::header::HeaderName::from_static("proxy-authorization"),
            tensoras::header::HeaderValue::from_static("Basic c2VjcmV0"),
        );
    let shown = format!("{options:?}");
    for secret in ["tns_secret_a", "tns_secret_b", "c2VjcmV0"] {
        assert!(!shown.contains(secret), "{shown}");
    }

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let client = Tensoras::builder()
        .api_key("tns_secret_key")
        .base_url(format!("http://user:hunter2@127.0.0.1:{port}/v1"))
        .max_retries(1)
        .build()
        .unwrap()
        .with_options(options);
    let error = bounded("refused", client.models().list())
        .await
        .unwrap_err();
    // A token given as the URL's user name, and base URLs the builder refuses.
    let token_user = Tensoras::builder()
        .api_key("tns_secret_key")
        .base_url(format!("http://tns_url_token@127.0.0.1:{port}/v1"))
        .max_retries(0)
        .build()
        .unwrap();
    let token_error = bounded("refused", token_user.models().list())
        .await
        .unwrap_err();
    let refused: Vec<String> = [
        "ftp://u:hunter2@h/v1",
        "http://u:hunter2@h/v1?x=1",
        "http://tns_url_token@h/v1#f",
        "u:hunter2@h",
    ]
    .into_iter()
    .map(|url| {
        let error = Tensoras::builder()
            .api_key("tns_secret_key")
            .base_url(url)
            .build()
            .unwrap_err();
        assert!(matches!(error, Error::Config(_)), "{url}: {error:?}");
        format!("{error} {error:?}")
    })
    .collect();
    let everything = format!(
        "{client:?} {error} {error:?} {:?} {token_user:?} {token_error} {token_error:?} {refused:?}",
        Tensoras::builder()
            .base_url("http://u:hunter2@h")
            .api_key("tns_secret_key"),
    );
    for secret in [
        "hunter2",
        "tns_secret_key",
        "tns_secret_a",
        "tns_secret_b",
        "tns_url_token",
    ] {
        assert!(!everything.contains(secret), "{secret} in {everything}");
    }
    // The error still names where it failed.
    assert!(
        everything.contains(&format!("127.0.0.1:{port}")),
        "{everything}"
    );

    // Nor in what the SDK logs (the retry warning names the error).
    let logs = tensoras_tests::logs::capture(|| async {
        let _ = client.models().list().await;
    })
    .await;
    assert!(logs.contains("retrying request"), "{logs}");
    for secret in ["hunter2", "tns_secret_key", "tns_secret_a"] {
        assert!(!logs.contains(secret), "{secret} in {logs}");
    }
}

// --------------------------------------------------- 7. raw responses

#[tokio::test]
async fn concurrent_calls_see_only_their_own_response() {
    let server = MockServer::start().await;
    let client = server.client();
    let calls = (0..24u32).map(|i| {
        let key = format!("own-{i}");
        let fails = (i % 3).to_string();
        let client = client.with_options(
            faults(&[
                ("x-mock-status", "503"),
                ("x-mock-fail-times", &fails),
                ("x-mock-key", &key),
                ("x-mock-retry-after-ms", "1"),
            ])
            .max_retries(3),
        );
        async move { (i, client.models().with_raw_response().list().await) }
    });
    let results = bounded("calls", futures::future::join_all(calls)).await;
    let mut ids = std::collections::BTreeSet::new();
    for (i, result) in results {
        let raw = result.unwrap();
        assert_eq!(raw.attempts, i % 3 + 1, "call {i}");
        assert_eq!(raw.status, 200);
        assert!(
            ids.insert(raw.request_id().unwrap().to_owned()),
            "request ids are the call's own"
        );
    }

    // Streams: status, headers and request id before the first item.
    let stream = client
        .chat()
        .completions()
        .create_stream(request())
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert!(stream.request_id().is_some());
    let events = client
        .responses()
        .create_stream(ResponseCreateRequest::new("llama-3.3-70b", "hi"))
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    assert!(events.request_id().is_some());
}

// ------------------------------------------- 8. pagination a server loops

#[tokio::test]
async fn a_server_whose_cursors_cycle_cannot_make_list_all_loop() {
    // Pages A → B → A → B ...: every page says there is more.
    let server = RawServer::start(|mut conn: Conn| async move {
        while let Ok(head) = conn.read_head().await {
            if head.is_empty() {
                return;
            }
            let line = head.lines().next().unwrap_or_default();
            let id = if line.contains("after=file-a") { "file-b" } else { "file-a" };
            let body = format!(
                r#"{{"object":"list","data":[{{"id":"{id}","object":"file","bytes":1,"created_at":1,"filename":"{id}","purpose":"batch"}}],"has_more":true}}"#
            );
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            if conn.write(response.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await
    .unwrap();
    let client = server.client(RequestOptions::new());
    let ids: Vec<String> = bounded(
        "list_all over cycling cursors",
        client
            .files()
            .list_all(ListFiles::new())
            .map(|f| f.unwrap().id)
            .collect(),
    )
    .await;
    // A, then B, then A again (the page is what the server sent): the next
    // cursor, B, was given before, so the listing stops there.
    assert_eq!(ids, ["file-a", "file-b", "file-a"]);
}
