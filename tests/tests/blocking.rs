//! The blocking client under ordinary use: calls nested inside loops over
//! open streams and pages, many threads on one client, connections closed
//! as soon as a stream is dropped. Each scenario runs on its own thread and
//! fails (instead of hanging the run) when it does not finish in time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tensoras::prelude::*;
use tensoras_mock::{MockServer, API_KEY};
use tensoras_tests::raw::{Conn, RawServer};
use tokio::io::AsyncReadExt;

/// A runtime for the servers (the blocking client brings its own).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A runtime running a local server, the server, and a blocking client for it.
fn local() -> (
    tokio::runtime::Runtime,
    MockServer,
    tensoras::blocking::Tensoras,
) {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    let client = blocking_client(server.base_url());
    (rt, server, client)
}

fn blocking_client(base_url: &str) -> tensoras::blocking::Tensoras {
    tensoras::blocking::Tensoras::builder()
        .api_key(API_KEY)
        .base_url(base_url)
        .build()
        .expect("blocking client")
}

/// Runs `scenario` on its own thread; a scenario that has not finished
/// within `limit` (a deadlock) fails the test.
fn within<T: Send + 'static>(
    what: &str,
    limit: Duration,
    scenario: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(scenario());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => {
            let _ = handle.join();
            value
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the scenario ended without a result"),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} did not finish within {limit:?}: a blocking call hangs")
        }
    }
}

fn question(words: usize, tag: &str) -> String {
    (0..words)
        .map(|i| format!("{tag}{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn chat(text: &str) -> ChatCompletionRequest {
    ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user(text)])
}

#[test]
fn calls_nested_inside_an_open_stream_complete() {
    let (_rt, _server, client) = local();
    let asked = question(64, "w"); // 66 chunks: far more than any buffer
    let (streamed, nested) = within("calls inside an open stream", Duration::from_secs(30), {
        let asked = asked.clone();
        move || {
            let mut chunks = client
                .chat()
                .completions()
                .create_stream(chat(&asked))
                .unwrap();
            let mut text = chunks
                .next()
                .expect("a first chunk")
                .unwrap()
                .delta_text()
                .to_owned();
            // The server has sent every chunk by now: a client that reads
            // ahead into a bounded buffer has filled it.
            std::thread::sleep(Duration::from_millis(500));
            // The same client, a clone, another thread and a second stream,
            // all while the first stream is open and unread.
            let mut nested = vec![client.models().list().unwrap().data.len()];
            let clone = client.clone();
            nested.push(clone.models().list().unwrap().data.len());
            let other = client.clone();
            let from_thread = std::thread::spawn(move || other.models().list().unwrap().data.len());
            nested.push(from_thread.join().unwrap());
            let inner: String = client
                .chat()
                .completions()
                .create_stream(chat("inner"))
                .unwrap()
                .map(|c| c.unwrap().delta_text().to_owned())
                .collect();
            assert_eq!(inner, "You asked: inner");
            // And one call per chunk read, to the end of the first stream.
            for chunk in chunks {
                text.push_str(chunk.unwrap().delta_text());
                nested.push(client.models().list().unwrap().data.len());
            }
            (text, nested)
        }
    });
    assert_eq!(streamed, format!("You asked: {asked}"));
    assert!(nested.len() > 60, "{}", nested.len());
    assert!(
        nested.iter().all(|n| *n == nested[0] && *n > 0),
        "{nested:?}"
    );
}

#[test]
fn deleting_every_file_inside_list_all_deletes_them_all() {
    let (_rt, _server, client) = local();
    let (created, deleted, left) =
        within("list_all + delete", Duration::from_secs(60), move || {
            let mut created = Vec::new();
            for i in 0..50 {
                let file = client
                    .files()
                    .create(
                        FileSource::bytes(format!("f{i}.jsonl"), "{}\n"),
                        FilePurpose::Batch,
                    )
                    .unwrap();
                created.push(file.id);
            }
            let mut deleted = Vec::new();
            for file in client.files().list_all(ListFiles::new().limit(10)) {
                let id = file.unwrap().id;
                assert!(client.files().delete(&id).unwrap().deleted);
                deleted.push(id);
            }
            let left = client.files().list(ListFiles::new()).unwrap().data.len();
            (created, deleted, left)
        });
    assert_eq!(deleted, created, "every file, once, in order");
    assert_eq!(left, 0);
}

#[test]
fn thirty_two_threads_share_one_client() {
    let (_rt, _server, client) = local();
    let replies = within("32 threads", Duration::from_secs(60), move || {
        let threads: Vec<_> = (0..32)
            .map(|t| {
                let client = client.clone();
                std::thread::spawn(move || {
                    (0..10)
                        .map(|i| {
                            let asked = format!("thread {t} call {i}");
                            let reply = client.chat().completions().create(chat(&asked)).unwrap();
                            let streamed: String = client
                                .chat()
                                .completions()
                                .create_stream(chat(&asked))
                                .unwrap()
                                .map(|c| c.unwrap().delta_text().to_owned())
                                .collect();
                            (asked, reply.text().to_owned(), streamed)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(replies.len(), 320);
    for (asked, reply, streamed) in replies {
        assert_eq!(reply, format!("You asked: {asked}"));
        assert_eq!(streamed, reply);
    }
}

/// Serves an event stream's head and one event, then waits for the client
/// to close the connection and reports when it did.
fn one_event_then_wait(
    closed: Arc<Mutex<Option<Instant>>>,
) -> impl Fn(Conn) -> futures::future::BoxFuture<'static, ()> + Send + Sync {
    move |mut conn: Conn| {
        let closed = Arc::clone(&closed);
        Box::pin(async move {
            let _ = conn.read_request().await;
            let event = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n";
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{event}\r\n",
                event.len()
            );
            if conn.write(head.as_bytes()).await.is_err() {
                return;
            }
            // Nothing more is sent; a read ends when the client closes.
            let mut buf = [0u8; 64];
            let _ = tokio::time::timeout(Duration::from_secs(30), conn.stream.read(&mut buf)).await;
            *closed.lock().unwrap() = Some(Instant::now());
        })
    }
}

/// Asserts the server saw the connection close within a second of `dropped`.
fn closed_within_a_second(closed: &Arc<Mutex<Option<Instant>>>, dropped: Instant) {
    let waited = Instant::now();
    let at = loop {
        if let Some(at) = *closed.lock().unwrap() {
            break at;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "the server never saw the connection close"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let after = at.saturating_duration_since(dropped);
    assert!(
        after < Duration::from_secs(1),
        "closed {after:?} after the drop"
    );
}

#[test]
fn a_dropped_stream_closes_its_connection_at_once() {
    let rt = runtime();
    // Blocking.
    let closed = Arc::new(Mutex::new(None));
    let server = rt
        .block_on(RawServer::start(one_event_then_wait(Arc::clone(&closed))))
        .unwrap();
    let client = blocking_client(&server.base_url);
    let dropped = within("the first chunk", Duration::from_secs(30), move || {
        let mut chunks = client
            .chat()
            .completions()
            .create_stream(chat("hi"))
            .unwrap();
        assert_eq!(chunks.next().unwrap().unwrap().delta_text(), "Hel");
        drop(chunks);
        Instant::now()
    });
    closed_within_a_second(&closed, dropped);

    // Async.
    let closed = Arc::new(Mutex::new(None));
    let server = rt
        .block_on(RawServer::start(one_event_then_wait(Arc::clone(&closed))))
        .unwrap();
    let client = tensoras::Tensoras::builder()
        .api_key(API_KEY)
        .base_url(&server.base_url)
        .build()
        .unwrap();
    let dropped = rt.block_on(async move {
        use futures::StreamExt;
        let mut chunks = client
            .chat()
            .completions()
            .create_stream(chat("hi"))
            .await
            .unwrap();
        assert_eq!(chunks.next().await.unwrap().unwrap().delta_text(), "Hel");
        drop(chunks);
        Instant::now()
    });
    closed_within_a_second(&closed, dropped);
}

#[test]
fn a_dropped_list_all_fetches_no_further_page() {
    let (_rt, server, client) = local();
    let base = server.requests().len();
    let fetched = within("list_all", Duration::from_secs(30), move || {
        for i in 0..5 {
            client
                .files()
                .create(
                    FileSource::bytes(format!("f{i}.txt"), "x"),
                    FilePurpose::Batch,
                )
                .unwrap();
        }
        let mut files = client.files().list_all(ListFiles::new().limit(1));
        let first = files.next().unwrap().unwrap();
        drop(files);
        first.filename
    });
    assert_eq!(fetched, "f0.txt");
    // Time for a read-ahead to reach the server, were there one.
    std::thread::sleep(Duration::from_millis(300));
    let lists = server.requests()[base..]
        .iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(lists, 1, "one page asked for, none read ahead");
}

#[test]
fn a_blocking_client_made_from_an_async_one_inside_its_runtime_completes() {
    let (_rt, server, _) = local();
    let base_url = server.base_url().to_owned();
    let what = "a blocking call inside a current-thread runtime";
    let models = within(what, Duration::from_secs(30), move || {
        let single = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        single.block_on(async move {
            let client = tensoras::Tensoras::builder()
                .api_key(API_KEY)
                .base_url(&base_url)
                .build()
                .unwrap();
            // Opens (and pools) a connection driven by this runtime...
            client.models().list().await.unwrap();
            // ...which a blocking call on this runtime's only thread must not
            // wait on: the blocking client has connections of its own.
            let blocking = tensoras::blocking::Tensoras::from_async(client).unwrap();
            blocking.models().list().unwrap().data.len()
        })
    });
    assert!(models > 0);
}

/// Records the thread each name lookup runs on, and sends every name to
/// the local server.
struct ThreadRecordingResolver {
    to: std::net::SocketAddr,
    threads: Arc<Mutex<Vec<String>>>,
}

impl reqwest::dns::Resolve for ThreadRecordingResolver {
    fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        self.threads.lock().unwrap().push(thread);
        let addrs: reqwest::dns::Addrs = Box::new(std::iter::once(self.to));
        Box::pin(std::future::ready(Ok(addrs)))
    }
}

#[test]
fn a_blocking_call_runs_on_the_runtimes_workers_not_on_the_callers_stack() {
    // Polled on the caller's thread, a call (its send above all) left tens
    // of KiB of every caller's stack resident (issue 21). The name lookup
    // runs inside the send: its thread says where the call ran.
    let (_rt, server, _) = local();
    let threads = Arc::new(Mutex::new(Vec::new()));
    let http = reqwest::Client::builder()
        .dns_resolver(Arc::new(ThreadRecordingResolver {
            to: server.addr(),
            threads: Arc::clone(&threads),
        }))
        .pool_max_idle_per_host(0) // a new connection, so a lookup, per call
        .no_proxy() // the lookup is the resolver's, and nothing leaves this machine
        .build()
        .unwrap();
    let base_url = format!("http://tensoras.test:{}/v1", server.addr().port());
    let caller = within(
        "calls with a recording resolver",
        Duration::from_secs(30),
        move || {
            let client = tensoras::blocking::Tensoras::builder()
                .api_key(API_KEY)
                .base_url(&base_url)
                .http_client(http)
                .build()
                .unwrap();
            client.models().list().unwrap();
            let request = ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hi")]);
            let chunks = client.chat().completions().create_stream(request).unwrap();
            assert!(chunks.map(Result::unwrap).count() > 0);
            std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_owned()
        },
    );
    let threads = threads.lock().unwrap().clone();
    assert_eq!(threads.len(), 2, "one lookup per call: {threads:?}");
    for thread in &threads {
        assert_eq!(thread, "tensoras-blocking", "the caller was {caller:?}");
    }
}
