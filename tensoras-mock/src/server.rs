//! The server's lifecycle: started on a free loopback port on a thread of
//! its own, stopped when dropped, expectations verified then.
//!
//! The server runs on its own thread and runtime (as wiremock's does), so it
//! serves the same way under `#[tokio::test]`'s current-thread runtime, a
//! multi-thread runtime, or plain synchronous code with the blocking client,
//! and a test's paused clock never stalls it. (Benchmarks can have it share
//! their runtime instead: [`MockServerBuilder::on_current_runtime`].)

use crate::store::{Shared, Store};
use crate::{conformance, listener, routes, API_KEY};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long a dropped server waits for its open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A running Tensoras-compatible server; dropped, it stops and fails the
/// test (panics, unless the thread is already panicking) when a mock's
/// expectation is not met ([`crate::Mock::expect`]), when it sent a reply
/// the spec does not allow ([`MockServer::violations`]) or when it received a
/// request the spec does not allow ([`MockServer::rejected`]).
///
/// ```
/// let server = tensoras_mock::MockServer::start_blocking();
/// assert!(server.base_url().starts_with("http://127.0.0.1:"));
/// assert!(server.base_url().ends_with("/v1"));
/// ```
pub struct MockServer {
    base_url: String,
    addr: SocketAddr,
    pub(crate) store: Shared,
    counters: Arc<listener::Counters>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`MockServer`] before it starts.
///
/// ```
/// # #[tokio::main] async fn main() {
/// let server = tensoras_mock::MockServer::builder()
///     .api_key("tns_my_test_key")
///     .seed(7)
///     .start()
///     .await;
/// assert_eq!(server.api_key(), "tns_my_test_key");
/// # }
/// ```
#[derive(Clone)]
#[must_use]
pub struct MockServerBuilder {
    addr: String,
    api_key: String,
    seed: u64,
    validate: bool,
    cassette: Option<Cassette>,
    replay_timing: bool,
    current_runtime: bool,
}

#[derive(Clone)]
enum Cassette {
    Record { upstream: String, path: PathBuf },
    Replay(PathBuf),
}

/// The key and the upstream URL (which may carry credentials) are not shown.
impl std::fmt::Debug for MockServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cassette = match &self.cassette {
            None => "none",
            Some(Cassette::Record { .. }) => "record",
            Some(Cassette::Replay(_)) => "replay",
        };
        f.debug_struct("MockServerBuilder")
            .field("addr", &self.addr)
            .field("api_key", &"<redacted>")
            .field("seed", &self.seed)
            .field("validate", &self.validate)
            .field("cassette", &cassette)
            .field("replay_timing", &self.replay_timing)
            .field("current_runtime", &self.current_runtime)
            .finish()
    }
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        MockServerBuilder {
            addr: "127.0.0.1:0".into(),
            api_key: API_KEY.into(),
            seed: 0,
            validate: true,
            cassette: None,
            replay_timing: false,
            current_runtime: false,
        }
    }
}

impl MockServerBuilder {
    /// The address to listen on (default `127.0.0.1:0`, a free loopback port).
    pub fn addr(mut self, addr: impl Into<String>) -> Self {
        self.addr = addr.into();
        self
    }

    /// The API key the server accepts (default [`API_KEY`]); any other key
    /// gets the API's 401.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// Seeds the fake's answers (default 0): the same seed and request give
    /// the same answer; the seed picks the phrasing of chat answers among a
    /// few. Every `u64` is a seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether requests and replies are validated against the API's spec
    /// (default `true`). Off, nothing is checked: for benchmarks, where
    /// the checking would be measured too.
    pub fn validate(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// Records a cassette: every request goes on to `upstream` (the API's
    /// base URL, such as `https://api.tensoras.ai/v1`) with the caller's own
    /// key, and each exchange is written to the YAML file at `path`
    /// (replaced), without any request header. See [`crate::cassette`].
    pub fn record(mut self, upstream: &str, path: impl AsRef<Path>) -> Self {
        self.cassette = Some(Cassette::Record {
            upstream: upstream.to_owned(),
            path: path.as_ref().to_owned(),
        });
        self
    }

    /// Replays the cassette at `path` (see [`crate::cassette`]); the start
    /// fails when it cannot be read.
    pub fn replay(mut self, path: impl AsRef<Path>) -> Self {
        self.cassette = Some(Cassette::Replay(path.as_ref().to_owned()));
        self
    }

    /// Whether a replayed stream keeps its recorded pauses (default `false`:
    /// events as fast as the client reads).
    pub fn replay_timing(mut self, timing: bool) -> Self {
        self.replay_timing = timing;
        self
    }

    /// Serves on the Tokio runtime that starts the server (default `false`:
    /// a thread and runtime of its own). The server then shares that
    /// runtime's workers with the code under test — what a benchmark that
    /// measures client and server together wants — and stops with it; a
    /// blocking client must not be used on that runtime's threads. Starting
    /// outside a runtime fails with [`std::io::ErrorKind::Unsupported`].
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let server = tensoras_mock::MockServer::builder().on_current_runtime(true).start().await;
    /// assert!(server.client().models().list().await.is_ok());
    /// # }
    /// ```
    pub fn on_current_runtime(mut self, current: bool) -> Self {
        self.current_runtime = current;
        self
    }

    /// Starts the server; panics when it cannot (see
    /// [`MockServerBuilder::try_start`]). Call it from a Tokio runtime.
    pub async fn start(self) -> MockServer {
        let addr = self.addr.clone();
        self.try_start()
            .await
            .unwrap_or_else(|e| panic!("tensoras-mock: cannot start a server on {addr}: {e}"))
    }

    /// Starts the server, or says why it cannot: the address cannot be
    /// bound, the cassette to replay cannot be read or is not one, the
    /// cassette to record cannot be written. Call it from a Tokio runtime
    /// (the spec's schemas are compiled on its blocking pool).
    pub async fn try_start(self) -> std::io::Result<MockServer> {
        // The spec's schemas compile once per process (half a second), off
        // the caller's runtime threads and before the first request.
        if self.validate {
            tokio::task::spawn_blocking(conformance::Spec::get)
                .await
                .map_err(std::io::Error::other)?;
        }
        self.launch()
    }

    /// Starts the server from synchronous code; panics when it cannot (see
    /// [`MockServerBuilder::try_start`]). It compiles the spec's schemas on the calling thread
    /// the first time (about half a second): call it from a test's own
    /// thread, not from inside an async runtime, where
    /// [`MockServerBuilder::start`] is the one to use.
    pub fn start_blocking(self) -> MockServer {
        let addr = self.addr.clone();
        self.try_start_blocking()
            .unwrap_or_else(|e| panic!("tensoras-mock: cannot start a server on {addr}: {e}"))
    }

    /// [`MockServerBuilder::start_blocking`], saying why the server cannot
    /// start (as [`MockServerBuilder::try_start`] does).
    pub fn try_start_blocking(self) -> std::io::Result<MockServer> {
        if self.validate {
            conformance::Spec::get();
        }
        self.launch()
    }

    fn launch(self) -> std::io::Result<MockServer> {
        // Bound first: a server that cannot listen leaves an earlier
        // recording as it was.
        let std_listener = std::net::TcpListener::bind(&self.addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let cassette = match self.cassette {
            None => None,
            Some(Cassette::Replay(path)) => {
                let cassette = crate::cassette::Cassette::load(&path)?;
                Some(crate::cassette::Mode::Replay {
                    used: vec![false; cassette.interactions.len()],
                    cassette,
                    timing: self.replay_timing,
                })
            }
            Some(Cassette::Record { upstream, path }) => {
                let cassette = crate::cassette::Cassette::default();
                cassette.save(&path)?;
                Some(crate::cassette::Mode::Record {
                    upstream,
                    path,
                    client: reqwest::Client::builder()
                        .build()
                        .map_err(std::io::Error::other)?,
                    cassette,
                })
            }
        };
        let store: Shared = Arc::new(std::sync::Mutex::new(Store {
            unchecked: !self.validate,
            api_key: self.api_key,
            seed: self.seed,
            cassette,
            ..Store::default()
        }));
        let counters = Arc::new(listener::Counters::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serving = serve(
            std_listener,
            routes::router(store.clone()),
            counters.clone(),
            store.clone(),
            rx,
        );
        if self.current_runtime {
            tokio::runtime::Handle::try_current()
                .map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::Unsupported,
                        "on_current_runtime(true) needs a Tokio runtime: start the server from async code",
                    )
                })?
                .spawn(serving);
        } else {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("tensoras-mock")
                .enable_all()
                .build()?;
            std::thread::Builder::new()
                .name("tensoras-mock".into())
                .spawn(move || runtime.block_on(serving))?;
        }
        Ok(MockServer {
            base_url: format!("http://{addr}/v1"),
            addr,
            store,
            counters,
            shutdown: Some(tx),
        })
    }
}

/// Serves until `stop` fires (or its sender drops); open connections then
/// get a grace period, and whatever is left goes with the runtime.
async fn serve(
    std_listener: std::net::TcpListener,
    app: axum::Router,
    counters: Arc<listener::Counters>,
    store: Shared,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(inner) = tokio::net::TcpListener::from_std(std_listener) else {
        return;
    };
    let listener = listener::FaultListener {
        inner,
        counters,
        store,
    };
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stop_rx.wait_for(|stop| *stop).await;
    });
    let serving = tokio::spawn(async move {
        let _ = serve.await;
    });
    let _ = stop.await;
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, serving).await;
}

impl MockServer {
    /// Starts a server on a free loopback port with the defaults (see
    /// [`MockServer::builder`]), from a Tokio runtime; panics when no port
    /// can be bound.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let server = tensoras_mock::MockServer::start().await;
    /// let models = server.client().models().list().await.unwrap();
    /// assert!(!models.data.is_empty());
    /// # }
    /// ```
    pub async fn start() -> MockServer {
        MockServerBuilder::default().start().await
    }

    /// [`MockServer::start`] from synchronous code (see
    /// [`MockServerBuilder::start_blocking`]).
    ///
    /// ```
    /// let server = tensoras_mock::MockServer::start_blocking();
    /// let models = server.blocking_client().models().list().unwrap();
    /// assert!(!models.data.is_empty());
    /// ```
    pub fn start_blocking() -> MockServer {
        MockServerBuilder::default().start_blocking()
    }

    /// A server with settings: address, API key, seed, validation.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The base URL to give a client: `http://ADDR/v1`, where `ADDR` is the
    /// address listened on (`127.0.0.1:PORT` by default).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key the server accepts.
    pub fn api_key(&self) -> String {
        self.lock().api_key.clone()
    }

    /// An async client for this server: its key and base URL, the SDK's
    /// default retries and timeouts.
    ///
    /// # Panics
    /// When the key given to [`MockServerBuilder::api_key`] cannot be sent
    /// in a header (empty, or with control characters); the default key
    /// always can.
    pub fn client(&self) -> tensoras::Tensoras {
        tensoras::Tensoras::builder()
            .api_key(self.api_key())
            .base_url(&self.base_url)
            .build()
            .expect("a client for a local server builds")
    }

    /// A blocking client for this server (see [`MockServer::client`]).
    ///
    /// # Panics
    /// As [`MockServer::client`].
    pub fn blocking_client(&self) -> tensoras::blocking::Tensoras {
        tensoras::blocking::Tensoras::builder()
            .api_key(self.api_key())
            .base_url(&self.base_url)
            .build()
            .expect("a client for a local server builds")
    }

    /// Every request received so far, in order, as it arrived.
    pub fn requests(&self) -> Vec<crate::Recorded> {
        self.lock().requests.clone()
    }

    /// How many TCP connections the server has accepted.
    pub fn connections(&self) -> usize {
        self.counters
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Every webhook delivery attempt so far (see [`crate::deliveries`]).
    pub fn deliveries(&self) -> Vec<crate::deliveries::Delivery> {
        self.lock().deliveries.clone()
    }

    /// Every reply the server sent that the API's spec does not allow
    /// (operation, status, the schema path and what was wrong): empty in a
    /// healthy test. A server dropped with any panics with the list, so a
    /// scripted reply that drifted from the real API fails the test.
    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// Returns the violations so far and forgets them (a test that sends a
    /// non-conforming reply on purpose takes them, so the drop does not panic).
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().violations)
    }

    /// Every request that did not conform to the spec, with the field and
    /// the rule it broke; the client got a 422 with the same details. A
    /// server dropped with any panics with the list: code under test that
    /// sends what the real API refuses fails its test, even when it handles
    /// the 422.
    pub fn rejected(&self) -> Vec<String> {
        self.lock().rejected.clone()
    }

    /// Returns the rejected requests so far and forgets them (a test that
    /// sends a non-conforming request on purpose takes them, so the drop
    /// does not panic).
    pub fn take_rejected(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().rejected)
    }

    /// Checks the expectations of every mock mounted so far, panicking with
    /// what was expected, what matched and the requests to the same
    /// operation that matched no mock. The drop does the same.
    pub fn verify(&self) {
        if let Some(report) = crate::script::unmet(&self.store) {
            panic!("{report}");
        }
    }

    /// Unmounts every mock, disarms every fault and forgets what was
    /// received and the rejected requests. The violations stay (see
    /// [`MockServer::take_violations`]), and so do what the fake holds (files,
    /// knowledge bases, batches) and a replayed cassette's used exchanges.
    /// Call it with no request in flight.
    pub fn reset(&self) {
        let mut store = self.lock();
        store.mocks.clear();
        store.faults.clear();
        store.requests.clear();
        store.rejected.clear();
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        crate::store::lock(&self.store)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if std::thread::panicking() {
            return;
        }
        let store = self.lock();
        let mut problems = Vec::new();
        if !store.violations.is_empty() {
            problems.push(format!(
                "the mock server sent replies the Tensoras API's spec does not allow:\n{}",
                store.violations.join("\n")
            ));
        }
        if !store.rejected.is_empty() {
            problems.push(format!(
                "the code under test sent requests the Tensoras API's spec does not allow (each got a 422):\n{}",
                store.rejected.join("\n")
            ));
        }
        drop(store);
        if let Some(report) = crate::script::unmet(&self.store) {
            problems.push(report);
        }
        if !problems.is_empty() {
            panic!("{}", problems.join("\n\n"));
        }
    }
}
