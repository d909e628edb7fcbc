//! Concurrent streams (issue 21): what an open chat stream costs while it
//! waits for its next token, for plain reqwest (the body read as bytes),
//! the SDK (async and blocking) and async-openai, at 1,000 and 10,000
//! streams held open at once against the same paced server.
//!
//! ```text
//! tensoras-streams                          # the whole table (needs this binary in release)
//! tensoras-streams server STREAMS CHUNKS INTERVAL_MS
//! tensoras-streams client CONTENDER STREAMS BASE_URL
//! ```
//!
//! The server is a process of its own (its memory is not counted) and a
//! fresh one per run (a fresh port, so the client's ports in TIME_WAIT from
//! the run before do not clash). It sends each stream's first chunk at
//! once, then holds every stream until all `STREAMS` of the run have
//! arrived — so they are all open at the same time, each waiting — and then
//! paces the rest `INTERVAL_MS` apart. The first request of a run is a
//! warm-up outside that count, served without the hold.
//!
//! Each contender runs in a fresh client process: after the warm-up stream
//! (client built, pool and lazy statics warm), the baseline is taken; then
//! the streams run, each in a task (a thread for the blocking client), and
//! the process reports its peak RSS (`VmHWM`) and, from a counting
//! allocator, the peak of live heap bytes and the allocations made, each
//! over the baseline and per stream.

use futures::StreamExt;
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The heap as the process uses it: live bytes, their peak, allocations.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to `System` unchanged; the counters only
// observe the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            // Counted as an allocation of what it added (a `Vec` that grows
            // is not a fresh allocation of its whole size each time).
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            ALLOCATED.fetch_add(new_size.saturating_sub(layout.size()), Ordering::Relaxed);
        }
        moved
    }
}

fn grew(size: usize) {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    ALLOCATED.fetch_add(size, Ordering::Relaxed);
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SIZES: [usize; 2] = [1_000, 10_000];
const CONTENDERS: [&str; 5] = [
    "reqwest",
    "tensoras",
    "async-openai",
    "tensoras-blocking",
    "threads",
];
/// Chunks per stream and the pause between them (the issue's shape: ten
/// chunks 500 ms apart).
const CHUNKS: usize = 10;
const INTERVAL_MS: u64 = 500;
/// The most a stream waits for the others to arrive (below the clients' 120 s
/// read timeout, so a slow ramp fails on the count, not as a timeout).
const HOLD_AT_MOST: Duration = Duration::from_secs(60);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => table(),
        ["server", streams, chunks, interval] => server(
            streams.parse().expect("STREAMS"),
            chunks.parse().expect("CHUNKS"),
            Duration::from_millis(interval.parse().expect("INTERVAL_MS")),
        ),
        ["client", contender, streams, base_url] => {
            client(contender, streams.parse().expect("STREAMS"), base_url)
        }
        _ => panic!("usage: tensoras-streams [server STREAMS CHUNKS INTERVAL_MS | client CONTENDER STREAMS BASE_URL]"),
    }
}

/// The parent: a fresh server and a fresh client process per size and
/// contender; prints the table.
fn table() {
    let exe = std::env::current_exe().expect("this binary");
    let sizes: Vec<usize> = match std::env::var("STREAMS") {
        Ok(list) => list
            .split(',')
            .map(|n| n.trim().parse().expect("STREAMS=1000,10000"))
            .collect(),
        Err(_) => SIZES.to_vec(),
    };
    let contenders: Vec<String> = match std::env::var("CONTENDERS") {
        Ok(list) => list.split(',').map(|c| c.trim().to_owned()).collect(),
        Err(_) => CONTENDERS.iter().map(|c| (*c).to_owned()).collect(),
    };
    println!("\n### Concurrent streams: {CHUNKS} chunks {INTERVAL_MS} ms apart, all open at once (server in its own process)\n");
    println!("| streams | contender | peak RSS over baseline | per stream | heap peak per stream | allocations per stream | streams open at once | wall |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    for streams in sizes {
        for contender in &contenders {
            let contender = contender.as_str();
            let mut server = Command::new(&exe)
                .args([
                    "server",
                    &streams.to_string(),
                    &CHUNKS.to_string(),
                    &INTERVAL_MS.to_string(),
                ])
                .stdout(Stdio::piped())
                .spawn()
                .expect("the server");
            let mut banner = String::new();
            std::io::BufRead::read_line(
                &mut std::io::BufReader::new(server.stdout.take().expect("stdout")),
                &mut banner,
            )
            .expect("the server's banner");
            let base_url = banner.trim().to_owned();
            let out = Command::new(&exe)
                .args(["client", contender, &streams.to_string(), &base_url])
                .output()
                .expect("a client run");
            let _ = server.kill();
            let _ = server.wait();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{contender} at {streams}: {}\n{text}",
                String::from_utf8_lossy(&out.stderr)
            );
            print!("{text}");
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

/// The paced server (see the module's docs); prints its base URL.
fn server(streams: usize, chunks: usize, interval: Duration) {
    check_open_files(streams);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let arrived = Arc::new(AtomicUsize::new(0));
        let (all_in, _) = tokio::sync::watch::channel(false);
        let all_in = Arc::new(all_in);
        let chunk = |i: usize| {
            let text = json!({
                "id": "chatcmpl-streams", "object": "chat.completion.chunk", "created": 1709123456,
                "model": "llama-3.3-70b",
                "choices": [{"index": 0, "delta": {"content": format!("token{i} ")}, "finish_reason": null}]
            });
            bytes::Bytes::from(format!("data: {text}\n\n"))
        };
        let app = axum::Router::new().route(
            "/v1/chat/completions",
            axum::routing::post(move || {
                let (arrived, all_in) = (Arc::clone(&arrived), Arc::clone(&all_in));
                // The warm-up (the first arrival) is not held.
                let index = arrived.fetch_add(1, Ordering::SeqCst);
                if index == streams {
                    all_in.send_replace(true);
                }
                let held = index != 0;
                let body = futures::stream::unfold(0usize, move |i| {
                    let mut all_in = all_in.subscribe();
                    async move {
                        if i > chunks {
                            return None;
                        }
                        if i == 1 && held {
                            let _ = tokio::time::timeout(HOLD_AT_MOST, all_in.wait_for(|v| *v)).await;
                        } else if i > 0 {
                            tokio::time::sleep(interval).await;
                        }
                        let bytes = if i == chunks {
                            bytes::Bytes::from_static(b"data: [DONE]\n\n")
                        } else {
                            chunk(i)
                        };
                        Some((Ok::<_, std::convert::Infallible>(bytes), i + 1))
                    }
                });
                async move {
                    axum::response::IntoResponse::into_response((
                        [("content-type", "text/event-stream")],
                        axum::body::Body::from_stream(body),
                    ))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("http://{}/v1", listener.local_addr().expect("addr"));
        axum::serve(listener, app).await.expect("serve");
    });
}

/// What each stream saw, shared by its tasks.
#[derive(Default)]
struct Tally {
    /// Streams past their first chunk and not yet ended, and the most at once.
    open: AtomicUsize,
    most_open: AtomicUsize,
    /// Streams that read every chunk to the end.
    complete: AtomicUsize,
    /// Live heap bytes when the last stream opened (all open at once).
    live_all_open: AtomicUsize,
    /// Resident KiB then.
    rss_all_open: AtomicUsize,
    /// How many streams the run has.
    streams: AtomicUsize,
}

impl Tally {
    fn first_chunk(&self) {
        let open = self.open.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_open.fetch_max(open, Ordering::SeqCst);
        if open == self.streams.load(Ordering::SeqCst) {
            self.live_all_open
                .store(LIVE.load(Ordering::SeqCst), Ordering::SeqCst);
            self.rss_all_open
                .store(status_kib("VmRSS:") as usize, Ordering::SeqCst);
        }
    }

    fn ended(&self, chunks: usize) {
        self.open.fetch_sub(1, Ordering::SeqCst);
        if chunks == CHUNKS {
            self.complete.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn request() -> tensoras::types::ChatCompletionRequest {
    use tensoras::prelude::ChatMessageExt;
    tensoras::types::ChatCompletionRequest::new(
        "llama-3.3-70b",
        [tensoras::types::ChatMessage::user("Say something, slowly.")],
    )
}

/// The longest a client run may take; past it the run fails.
const RUN_AT_MOST: Duration = Duration::from_secs(300);

/// Fails at once, with what to do, when the process may not open a socket
/// per stream (and some to spare).
fn check_open_files(streams: usize) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft: Option<usize> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse().ok());
    if let Some(soft) = soft {
        assert!(
            soft >= streams + 256,
            "{streams} streams need about {} open files; the limit is {soft} (raise it: ulimit -n)",
            streams + 256
        );
    }
}

/// One contender's run in this process; prints its table row.
fn client(contender: &str, streams: usize, base_url: &str) {
    check_open_files(streams);
    // Every wait below is bounded by the server's pacing and hold, but a
    // stalled connection would not be: the run as a whole is.
    std::thread::spawn(|| {
        std::thread::sleep(RUN_AT_MOST);
        eprintln!("the run took longer than {RUN_AT_MOST:?}");
        std::process::exit(2);
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tally = Arc::new(Tally::default());
    tally.streams.store(streams, Ordering::SeqCst);
    let (base, started) = match contender {
        "tensoras-blocking" => {
            let client = tensoras::blocking::Tensoras::builder()
                .api_key("bench")
                .base_url(base_url)
                .max_retries(0)
                .build()
                .expect("client");
            let one = |tally: &Tally| {
                let mut chunks = 0;
                for chunk in client
                    .chat()
                    .completions()
                    .create_stream(request())
                    .expect("stream")
                {
                    chunk.expect("chunk");
                    if chunks == 0 {
                        tally.first_chunk();
                    }
                    chunks += 1;
                }
                tally.ended(chunks);
            };
            one(&Tally::default()); // the warm-up
            on_threads(streams, &tally, one)
        }
        // What the blocking contender's threads cost without any stream:
        // each waits, as a stream's thread would, until all are up.
        "threads" => {
            let all_up = std::sync::Barrier::new(streams);
            on_threads(streams, &tally, |tally: &Tally| {
                tally.first_chunk();
                all_up.wait();
                std::thread::sleep(Duration::from_millis(INTERVAL_MS));
                tally.ended(CHUNKS);
            })
        }
        "reqwest" => {
            let client = reqwest::Client::new();
            let url = format!("{base_url}/chat/completions");
            let body = serde_json::to_vec(&json!({"stream": true, "model": "llama-3.3-70b",
                "messages": [{"role": "user", "content": "Say something, slowly."}]}))
            .expect("body");
            let one = move |tally: Arc<Tally>| {
                let (client, url, body) = (client.clone(), url.clone(), body.clone());
                async move {
                    let mut response = client
                        .post(url)
                        .bearer_auth("bench")
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .expect("send")
                        .error_for_status()
                        .expect("status");
                    let mut chunks = 0;
                    while let Some(bytes) = response.chunk().await.expect("read") {
                        if chunks == 0 {
                            tally.first_chunk();
                        }
                        // One read per chunk here: the server flushes each.
                        chunks += bytes.windows(6).filter(|w| w == b"data: ").count();
                    }
                    tally.ended(chunks.saturating_sub(1)); // less `[DONE]`
                }
            };
            run_async(&runtime, contender, streams, &tally, one)
        }
        "tensoras" => {
            let client = tensoras::Tensoras::builder()
                .api_key("bench")
                .base_url(base_url)
                .max_retries(0)
                .build()
                .expect("client");
            let one = move |tally: Arc<Tally>| {
                let client = client.clone();
                async move {
                    let stream = client
                        .chat()
                        .completions()
                        .create_stream(request())
                        .await
                        .expect("stream");
                    read_all(stream, &tally).await;
                }
            };
            run_async(&runtime, contender, streams, &tally, one)
        }
        "async-openai" => {
            let client = async_openai::Client::with_config(
                async_openai::config::OpenAIConfig::new()
                    .with_api_base(base_url)
                    .with_api_key("bench"),
            );
            let mut payload: async_openai::types::chat::CreateChatCompletionRequest =
                serde_json::from_value(json!(request())).expect("payload");
            payload.stream = Some(true);
            let one = move |tally: Arc<Tally>| {
                let (client, payload) = (client.clone(), payload.clone());
                async move {
                    let stream = client.chat().create_stream(payload).await.expect("stream");
                    read_all(stream, &tally).await;
                }
            };
            run_async(&runtime, contender, streams, &tally, one)
        }
        other => panic!("unknown contender {other}"),
    };
    report(contender, streams, &base, &tally, started.elapsed());
}

/// Reads a stream of typed chunks to its end, telling `tally`.
async fn read_all<T, E: std::fmt::Debug>(
    mut stream: impl futures::Stream<Item = Result<T, E>> + Unpin,
    tally: &Tally,
) {
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        chunk.expect("chunk");
        if chunks == 0 {
            tally.first_chunk();
        }
        chunks += 1;
    }
    tally.ended(chunks);
}

/// The process after its warm-up stream, before the streams measured.
struct Baseline {
    rss_kib: u64,
    live: usize,
    allocations: usize,
    allocated: usize,
}

impl Baseline {
    /// Now, and the heap's peak reset to what is live now.
    fn now() -> Self {
        let live = LIVE.load(Ordering::SeqCst);
        PEAK.store(live, Ordering::SeqCst);
        // The kernel's high-water mark restarts from now (`5` resets
        // `VmHWM`), so what came before the baseline is not counted.
        std::fs::write("/proc/self/clear_refs", "5").expect("/proc/self/clear_refs");
        Baseline {
            rss_kib: status_kib("VmRSS:"),
            live,
            allocations: ALLOCATIONS.load(Ordering::SeqCst),
            allocated: ALLOCATED.load(Ordering::SeqCst),
        }
    }
}

/// A `/proc/self/status` figure, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .expect("the field in /proc/self/status")
}

/// Prints the run's row; fails the run when a stream did not finish or the
/// streams were not all open at once.
fn report(contender: &str, streams: usize, base: &Baseline, tally: &Tally, wall: Duration) {
    let complete = tally.complete.load(Ordering::SeqCst);
    let most_open = tally.most_open.load(Ordering::SeqCst);
    assert_eq!(complete, streams, "{contender}: streams read to their end");
    assert_eq!(most_open, streams, "{contender}: streams open at once");
    let over_kib = status_kib("VmHWM:").saturating_sub(base.rss_kib);
    let heap = PEAK.load(Ordering::SeqCst).saturating_sub(base.live);
    let allocations = ALLOCATIONS.load(Ordering::SeqCst) - base.allocations;
    let all_open = tally
        .live_all_open
        .load(Ordering::SeqCst)
        .saturating_sub(base.live);
    eprintln!(
        "{contender}: when all {streams} were open: heap {:.1} KB, RSS {:.1} KB per stream; {:.1} KB allocated per stream in all",
        all_open as f64 / 1000.0 / streams as f64,
        (tally.rss_all_open.load(Ordering::SeqCst) as f64 - base.rss_kib as f64) * 1.024
            / streams as f64,
        (ALLOCATED.load(Ordering::SeqCst) - base.allocated) as f64 / 1000.0 / streams as f64
    );
    let n = streams as f64;
    println!(
        "| {streams} | {contender} | {:.1} MiB | {:.1} KB | {:.1} KB | {:.1} | {most_open} | {:.1} s |",
        over_kib as f64 / 1024.0,
        over_kib as f64 * 1.024 / n,
        heap as f64 / 1000.0 / n,
        allocations as f64 / n,
        wall.as_secs_f64(),
    );
}

/// A blocking contender's run: the baseline, then `one` on `streams`
/// threads of the caller's.
fn on_threads(streams: usize, tally: &Tally, one: impl Fn(&Tally) + Sync) -> (Baseline, Instant) {
    let (base, started) = (Baseline::now(), Instant::now());
    std::thread::scope(|scope| {
        for _ in 0..streams {
            let one = &one;
            // Small stacks: 10,000 threads of the default 2 MiB would
            // reserve 20 GB.
            std::thread::Builder::new()
                .stack_size(128 << 10)
                .spawn_scoped(scope, move || one(tally))
                .expect("a thread");
        }
    });
    (base, started)
}

/// An async contender's run: a warm-up stream, the baseline, then
/// `streams` tasks made by `one` read to their ends.
fn run_async<F>(
    runtime: &tokio::runtime::Runtime,
    contender: &str,
    streams: usize,
    tally: &Arc<Tally>,
    one: impl Fn(Arc<Tally>) -> F,
) -> (Baseline, Instant)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let warm_up = one(Arc::new(Tally::default()));
    // What a task awaiting the call and then reading the stream holds for
    // the stream's whole life.
    eprintln!(
        "{contender}: a stream's task holds {} bytes",
        std::mem::size_of_val(&warm_up)
    );
    runtime.block_on(warm_up);
    let (base, started) = (Baseline::now(), Instant::now());
    runtime.block_on(async {
        let tasks: Vec<_> = (0..streams)
            .map(|_| tokio::spawn(one(Arc::clone(tally))))
            .collect();
        for task in tasks {
            task.await.expect("a stream's task");
        }
    });
    (base, started)
}
