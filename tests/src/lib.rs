//! A local Tensoras-compatible server for the integration tests and the demo.
//!
//! Deterministic: replies are derived from the request. Every request is
//! recorded ([`Server::requests`]) so tests can assert what the SDK sent.
//!
//! Faults are switched on per request with headers (the SDK sends them via
//! `RequestOptions::header`):
//! - `x-mock-status: 503` (with `x-mock-body`, `x-mock-content-type`): fail with that status;
//! - `x-mock-fail-times: N` (with `x-mock-key`): fail only the first N requests of that key;
//! - `x-mock-fault-path: /v1/batches`: fail only requests to that path;
//! - `x-mock-retry-after: 2` or an HTTP date; `x-mock-retry-after-ms: 10`;
//! - `x-mock-should-retry: true|false`: the failure carries `x-should-retry`;
//! - `x-mock-delay-ms: 500`: answer late;
//! - `x-mock-stream: cut|error-event|error-data|malformed`: break a stream;
//! - `x-mock-redirect: URL`: answer 307 to that URL;
//! - `x-mock-reset: always` or `KEY/N`: reset the connection before any
//!   response (every time, or the first N times), see `listener`;
//! - `x-mock-nonconformant: 1`: answer with a body the spec does not allow,
//!   to show the response validation catches it;
//! - `x-mock-batch-*` on a batch's create call: its pace, expiry, size limit
//!   and a hold (see `routes/batches.rs`).
//!
//! Webhooks are live: when an ingestion job or a batch completes, every
//! subscribed webhook on a loopback URL gets a signed delivery, retried with
//! exponential backoff ([`deliveries`]).
//!
//! Every request body is validated against the spec (a 422 with the
//! details when it does not conform) and so is every response the handlers
//! produce (see [`Server::violations`]); [`conformance`] does both.

pub mod conformance;
pub mod deliveries;
mod listener;
pub mod logs;
pub mod raw;
pub mod spans;
pub mod tour;

mod gate;
mod routes;
mod store;

use axum::http::HeaderValue;
pub use routes::embed;
use std::net::SocketAddr;
use std::sync::Arc;
pub use store::Recorded;
use store::Shared;

/// The key the server accepts.
pub const API_KEY: &str = "tns_test_key";
/// The embedding size, as documented.
pub const EMBEDDING_DIM: usize = 1024;

/// A running server; dropped, it stops.
pub struct Server {
    /// `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    /// The socket address.
    pub addr: SocketAddr,
    store: Shared,
    counters: Arc<listener::Counters>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    /// Starts on a random loopback port.
    pub async fn start() -> std::io::Result<Server> {
        Self::start_on("127.0.0.1:0").await
    }

    /// Starts on `addr`.
    pub async fn start_on(addr: &str) -> std::io::Result<Server> {
        // Compile the spec's schemas now (once per process), not inside the
        // first request: that took half a second and timed out the first
        // requests of a busy test.
        tokio::task::spawn_blocking(conformance::Spec::get)
            .await
            .map_err(std::io::Error::other)?;
        let store: Shared = Arc::default();
        let inner = tokio::net::TcpListener::bind(addr).await?;
        let addr = inner.local_addr()?;
        let counters = Arc::new(listener::Counters::default());
        let listener = listener::FaultListener {
            inner,
            counters: counters.clone(),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = routes::router(store.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Server {
            base_url: format!("http://{addr}/v1"),
            addr,
            store,
            counters,
            _shutdown: tx,
        })
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.store
            .lock()
            .map(|s| s.requests.clone())
            .unwrap_or_default()
    }

    /// Every webhook delivery attempt so far (see [`deliveries`]).
    pub fn deliveries(&self) -> Vec<deliveries::Delivery> {
        self.store
            .lock()
            .map(|s| s.deliveries.clone())
            .unwrap_or_default()
    }

    /// How many TCP connections the server has accepted.
    pub fn connections(&self) -> usize {
        self.counters
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Every response the server sent that did not conform to the spec
    /// (operation, status and what was wrong). Empty in a healthy run; a
    /// server dropped with violations panics, so every test checks it.
    pub fn violations(&self) -> Vec<String> {
        self.store
            .lock()
            .map(|s| s.violations.clone())
            .unwrap_or_default()
    }

    /// Returns the violations recorded so far and forgets them (a test that
    /// provokes one on purpose takes it, so the server's drop does not panic).
    pub fn take_violations(&self) -> Vec<String> {
        self.store
            .lock()
            .map(|mut s| std::mem::take(&mut s.violations))
            .unwrap_or_default()
    }

    /// Stops validating requests and responses against the spec (for
    /// benchmarks, where it would be measured too).
    pub fn without_validation(self) -> Self {
        if let Ok(mut s) = self.store.lock() {
            s.unchecked = true;
        }
        self
    }

    /// A client for this server (its key and base URL; default retries and timeout).
    pub fn client(&self) -> tensoras::Tensoras {
        tensoras::Tensoras::builder()
            .api_key(API_KEY)
            .base_url(&self.base_url)
            .build()
            .expect("client for the local server")
    }
}

/// Request options carrying fault headers, such as
/// `faults(&[("x-mock-status", "503")])`.
pub fn faults(pairs: &[(&'static str, &str)]) -> tensoras::RequestOptions {
    pairs
        .iter()
        .fold(tensoras::RequestOptions::new(), |o, (k, v)| {
            o.header(
                axum::http::HeaderName::from_static(k),
                HeaderValue::from_str(v).expect("header value"),
            )
        })
}

impl Drop for Server {
    fn drop(&mut self) {
        let violations = self.violations();
        if !violations.is_empty() && !std::thread::panicking() {
            panic!(
                "the local server sent responses that do not conform to openapi/tensoras.yaml:\n{}",
                violations.join("\n")
            );
        }
    }
}

/// The repository README's code blocks, compile-checked with the doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
