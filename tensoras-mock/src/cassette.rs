//! Cassettes: real traffic recorded once, replayed in tests.
//!
//! In **record** mode ([`crate::MockServerBuilder::record`]) the server is a
//! proxy: every request goes on to the upstream API with the caller's own
//! key, and each exchange is written to a YAML file as it completes —
//! method, path, JSON body, status, content type, and the reply's body (JSON,
//! else text, else base64) or its events with their timing. Request headers are not written, so
//! the API key never reaches the file.
//!
//! In **replay** mode ([`crate::MockServerBuilder::replay`]) each request
//! gets the first unused recorded exchange with the same method, path and
//! body; streams come back event by event, with their recorded pauses when
//! [`crate::MockServerBuilder::replay_timing`] asks for them. A request the
//! cassette does not have gets a 404 (code `cassette_miss`) and fails the test at the server's
//! drop, naming the request.
//!
//! Scripted mocks come first in both modes; the spec checks apply to
//! recorded and replayed traffic alike.
//!
//! ```
//! use tensoras::prelude::*;
//! use tensoras_mock::MockServer;
//!
//! # #[tokio::main] async fn main() -> tensoras::Result<()> {
//! let dir = std::env::temp_dir().join(format!("tensoras-mock-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let cassette = dir.join("embeddings.yaml");
//!
//! // The upstream here is another local server; in a real project it is
//! // `https://api.tensoras.ai/v1` with a real key, once.
//! let upstream = MockServer::start().await;
//! let recorder = MockServer::builder().record(upstream.base_url(), &cassette).start().await;
//! let client = tensoras::Tensoras::builder()
//!     .api_key(upstream.api_key())
//!     .base_url(recorder.base_url())
//!     .build()?;
//! let live = client.embeddings().create(EmbeddingRequest::new("bge-large-en-v1.5", "hi")).await?;
//! drop(recorder);
//! assert!(!std::fs::read_to_string(&cassette).unwrap().contains(&upstream.api_key()));
//!
//! let replay = MockServer::builder().replay(&cassette).start().await;
//! let again = replay.client().embeddings().create(EmbeddingRequest::new("bge-large-en-v1.5", "hi")).await?;
//! assert_eq!(again.data[0].embedding, live.data[0].embedding);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest reply body recorded whole (64 MiB): a bound on what an
/// upstream can make the recorder hold.
pub(crate) const MAX_BODY: usize = 64 << 20;
/// The most events of one stream a cassette keeps.
pub(crate) const MAX_EVENTS: usize = 100_000;

/// A cassette file: the exchanges in the order they happened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Cassette {
    /// Every recorded exchange.
    pub interactions: Vec<Interaction>,
}

/// One request and its reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Interaction {
    /// What was asked.
    pub request: Request,
    /// What came back.
    pub response: Reply,
}

/// A recorded request: no headers, so no key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path after `/v1`, with its query.
    pub path: String,
    /// The JSON body, if it had one (multipart uploads are not recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// A recorded reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `content-type`, if there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// A JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// A body that is not JSON but is UTF-8, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A body that is neither JSON nor UTF-8 (a file's content), in base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
    /// An event stream's events, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<Event>>,
    /// The stream broke off upstream, or was too long to keep whole: the
    /// events are its beginning, and a replay ends by dropping the
    /// connection after them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// One server-sent event of a recorded stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// Milliseconds since the previous event (or the response head).
    pub after_ms: u64,
    /// The `event:` field, when it was not the default `message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The `data:` field.
    pub data: String,
}

impl Cassette {
    /// Reads a cassette file.
    pub fn load(path: &Path) -> std::io::Result<Cassette> {
        let text = std::fs::read_to_string(path)?;
        serde_norway::from_str(&text).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not a cassette: {e}", path.display()),
            )
        })
    }

    /// Writes the cassette to `path` (through a temporary file in the same
    /// folder, so a reader never sees half a file).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_norway::to_string(self).map_err(std::io::Error::other)?;
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".partial");
        let temporary = PathBuf::from(temporary);
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, path)
    }
}

/// The server's cassette mode.
#[derive(Debug, Clone)]
pub(crate) enum Mode {
    Record {
        upstream: String,
        path: PathBuf,
        client: reqwest::Client,
        cassette: Cassette,
    },
    Replay {
        cassette: Cassette,
        used: Vec<bool>,
        timing: bool,
    },
}

/// The first unused recorded exchange for this request, marked used.
pub(crate) fn next_replay(
    mode: &mut Mode,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Option<(Reply, bool)> {
    let Mode::Replay {
        cassette,
        used,
        timing,
    } = mode
    else {
        return None;
    };
    let index = cassette
        .interactions
        .iter()
        .enumerate()
        .position(|(i, x)| {
            !used[i]
                && x.request.method == method
                && x.request.path == path
                && x.request.body.as_ref() == body
        })?;
    used[index] = true;
    Some((cassette.interactions[index].response.clone(), *timing))
}

/// In replay mode, the recorded answer to this request, or a 404 (and a
/// violation) when the cassette has none; `None` when not replaying.
pub(crate) fn answer(
    store: &crate::store::Shared,
    method: &str,
    uri: &axum::http::Uri,
    body: Option<&Value>,
) -> Option<axum::response::Response> {
    let path = crate::script::v1_path(uri.path());
    let at = redact_query(&match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    });
    // Compared as recorded: secrets redacted.
    let redacted = body.map(tensoras::types::redact_secrets);
    let found = {
        let mut s = crate::store::lock(store);
        next_replay(s.cassette.as_mut()?, method, &at, redacted.as_ref())
    };
    Some(match found {
        Some((reply, timing)) => replay(reply, timing),
        None => {
            let why = format!(
                "the cassette has no unused exchange for {method} /v1{at} with body {}",
                body.map_or("(none)".into(), Value::to_string)
            );
            crate::store::lock(store)
                .violations
                .push(format!("tensoras-mock: {why}"));
            crate::routes::error_body(
                axum::http::StatusCode::NOT_FOUND,
                &why,
                "not_found_error",
                "cassette_miss",
            )
        }
    })
}

/// Builds the response of a recorded reply.
pub(crate) fn replay(reply: Reply, timing: bool) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = axum::http::StatusCode::from_u16(reply.status)
        .unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
    let content_type = reply
        .content_type
        .unwrap_or_else(|| "application/json".into());
    if let Some(events) = reply.events {
        let frames: Vec<(Duration, String)> = events
            .into_iter()
            .map(|e| {
                let mut frame = String::new();
                if let Some(name) = e.event {
                    frame.push_str(&format!("event: {name}\n"));
                }
                for line in e.data.split('\n') {
                    frame.push_str("data: ");
                    frame.push_str(line);
                    frame.push('\n');
                }
                frame.push('\n');
                let pause = if timing {
                    Duration::from_millis(e.after_ms)
                } else {
                    Duration::ZERO
                };
                (pause, frame)
            })
            .collect();
        return crate::routes::paced_stream(status, &content_type, frames, reply.truncated);
    }
    let body: Vec<u8> = match (reply.body, reply.text, reply.base64) {
        (Some(json), _, _) => json.to_string().into_bytes(),
        (None, Some(text), _) => text.into_bytes(),
        (None, None, Some(encoded)) => {
            use base64::Engine as _;
            match base64::engine::general_purpose::STANDARD.decode(encoded.trim()) {
                Ok(bytes) => bytes,
                Err(e) => {
                    return crate::routes::error_body(
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        &format!("tensoras-mock: a recorded body is not base64: {e}"),
                        "server_error",
                        "cassette",
                    )
                }
            }
        }
        (None, None, None) => Vec::new(),
    };
    (status, [("content-type", content_type)], body).into_response()
}

/// `path?query` with the values of secret-named parameters (`api_key`,
/// `token`, …) replaced by `<redacted>`: how a cassette writes paths (and
/// matches them on replay).
///
/// ```
/// assert_eq!(
///     tensoras_mock::cassette::redact_query("/models?token=t0k&limit=2"),
///     "/models?token=<redacted>&limit=2"
/// );
/// ```
pub fn redact_query(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if crate::store::is_secret_header(name) => format!("{name}=<redacted>"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// The upstream URL for a path after `/v1` (`upstream` ends with the API's
/// version, such as `https://api.tensoras.ai/v1`).
pub(crate) fn upstream_url(upstream: &str, path_and_query: &str) -> String {
    format!("{}{path_and_query}", upstream.trim_end_matches('/'))
}

/// Headers not passed on between the client and the upstream: hop-by-hop
/// ones, the ones the HTTP client sets itself, `accept-encoding` (so the
/// upstream answers uncompressed and the cassette holds readable bodies)
/// and this server's fault headers.
fn forwarded(name: &str) -> bool {
    !matches!(
        name,
        "host"
            | "content-length"
            | "connection"
            | "transfer-encoding"
            | "keep-alive"
            | "upgrade"
            | "accept-encoding"
    ) && !name.starts_with("x-mock-")
}

/// Passes a request on to the upstream and records the exchange; a 502
/// when the upstream cannot be reached.
pub(crate) async fn record(
    store: &crate::store::Shared,
    parts: &axum::http::request::Parts,
    body: axum::body::Body,
    json: Option<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use futures::StreamExt as _;
    let found = {
        let s = crate::store::lock(store);
        match &s.cassette {
            Some(Mode::Record {
                upstream, client, ..
            }) => Some((upstream.clone(), client.clone(), s.saver.clone())),
            _ => None,
        }
    };
    let (upstream, client, saver) = match found {
        Some(found) => found,
        None => {
            return crate::routes::error_body(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "tensoras-mock: not recording",
                "server_error",
                "cassette",
            )
        }
    };
    let path = crate::script::v1_path(parts.uri.path()).to_owned();
    let path_and_query = match parts.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let mut request = client.request(
        parts.method.clone(),
        upstream_url(&upstream, &path_and_query),
    );
    for (name, value) in &parts.headers {
        if forwarded(name.as_str()) {
            request = request.header(name, value);
        }
    }
    let request = request.body(reqwest::Body::wrap_stream(body.into_data_stream()));
    // Secrets never reach the file: the spec's secret members and
    // secret-named query parameters are written as `<redacted>`.
    let recorded = Request {
        method: parts.method.to_string(),
        path: redact_query(&path_and_query),
        body: json.as_ref().map(tensoras::types::redact_secrets),
    };
    let upstream_reply = match request.send().await {
        Ok(reply) => reply,
        Err(e) => {
            // Without the URL: it may carry credentials.
            return crate::routes::error_body(
                axum::http::StatusCode::BAD_GATEWAY,
                &format!(
                    "tensoras-mock: the upstream did not answer: {}",
                    e.without_url()
                ),
                "server_error",
                "upstream_unreachable",
            );
        }
    };
    let status = upstream_reply.status();
    let content_type = upstream_reply
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut head = axum::http::Response::builder().status(status.as_u16());
    for (name, value) in upstream_reply.headers() {
        if forwarded(name.as_str()) {
            head = head.header(name.as_str(), value.as_bytes());
        }
    }
    let is_stream = content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("text/event-stream"));
    if is_stream {
        // Passed on as it comes; the events and their pauses recorded on the
        // way, the exchange saved at `[DONE]`, at the end, or when the client
        // hangs up first (see `StreamRecording`).
        let recording = StreamRecording {
            store: store.clone(),
            saver,
            decoder: tensoras::sse::Decoder::default(),
            events: Vec::new(),
            kept: 0,
            truncated: false,
            last: std::time::Instant::now(),
            pending: Some((recorded, status.as_u16(), content_type)),
        };
        let body = async_stream(upstream_reply.bytes_stream(), recording);
        return head
            .body(body)
            .unwrap_or_else(|_| axum::http::StatusCode::BAD_GATEWAY.into_response());
    }
    let mut bytes = Vec::new();
    let mut chunks = upstream_reply.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        match chunk {
            Ok(chunk) if bytes.len() + chunk.len() <= MAX_BODY => bytes.extend_from_slice(&chunk),
            Ok(_) => {
                return crate::routes::error_body(
                    axum::http::StatusCode::BAD_GATEWAY,
                    "tensoras-mock: the upstream's reply is over 64 MiB, too large to record",
                    "server_error",
                    "upstream_too_large",
                )
            }
            Err(e) => {
                return crate::routes::error_body(
                    axum::http::StatusCode::BAD_GATEWAY,
                    &format!(
                        "tensoras-mock: the upstream's reply broke off: {}",
                        e.without_url()
                    ),
                    "server_error",
                    "upstream_broken",
                )
            }
        }
    }
    // JSON, else text, else base64: nothing recorded is lost.
    let (body, text, base64) = match serde_json::from_slice::<Value>(&bytes) {
        Ok(json) => (Some(tensoras::types::redact_secrets(&json)), None, None),
        Err(_) => match String::from_utf8(bytes.clone()) {
            Ok(text) => (None, Some(text), None),
            Err(_) => {
                use base64::Engine as _;
                let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
                (None, None, Some(encoded))
            }
        },
    };
    let interaction = Interaction {
        request: recorded,
        response: Reply {
            status: status.as_u16(),
            content_type,
            body,
            text,
            base64,
            events: None,
            truncated: false,
        },
    };
    save(store, &saver, interaction).await;
    head.body(axum::body::Body::from(bytes))
        .unwrap_or_else(|_| axum::http::StatusCode::BAD_GATEWAY.into_response())
}

/// A stream being recorded: its events so far, and the exchange until it
/// is saved.
struct StreamRecording {
    store: crate::store::Shared,
    saver: Saver,
    decoder: tensoras::sse::Decoder,
    events: Vec<Event>,
    kept: usize,
    truncated: bool,
    last: std::time::Instant,
    pending: Option<(Request, u16, Option<String>)>,
}

impl StreamRecording {
    /// Records a chunk (`None`: the end); the exchange to save, once, at
    /// `[DONE]` (before the client sees it) or at the end.
    fn observe(&mut self, chunk: Option<&reqwest::Result<bytes::Bytes>>) -> Option<Interaction> {
        let finished = match chunk {
            Some(Ok(bytes)) => {
                let mut done = false;
                for e in self.decoder.feed(bytes) {
                    done |= e.data == "[DONE]";
                    // Bounded: past the limits the stream still passes, the
                    // cassette keeps what came first.
                    if self.events.len() >= MAX_EVENTS || self.kept + e.data.len() > MAX_BODY {
                        self.truncated = true;
                        continue;
                    }
                    self.kept += e.data.len();
                    let now = std::time::Instant::now();
                    self.events.push(Event {
                        after_ms: now
                            .duration_since(self.last)
                            .as_millis()
                            .min(u128::from(u64::MAX)) as u64,
                        event: (e.event != "message" && !e.event.is_empty()).then_some(e.event),
                        data: e.data,
                    });
                    self.last = now;
                }
                done
            }
            Some(Err(_)) => {
                self.truncated = true;
                true
            }
            None => true,
        };
        if finished {
            self.interaction()
        } else {
            None
        }
    }

    fn interaction(&mut self) -> Option<Interaction> {
        let (request, status, content_type) = self.pending.take()?;
        Some(Interaction {
            request,
            response: Reply {
                status,
                content_type,
                body: None,
                text: None,
                base64: None,
                events: Some(std::mem::take(&mut self.events)),
                truncated: self.truncated,
            },
        })
    }
}

impl Drop for StreamRecording {
    /// The client hung up before the end: what came is saved, marked truncated.
    fn drop(&mut self) {
        self.truncated = true;
        let Some(interaction) = self.interaction() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (store, saver) = (self.store.clone(), self.saver.clone());
            runtime.spawn(async move { save(&store, &saver, interaction).await });
        }
    }
}

/// A body passing `chunks` on, recording each (and the end) first.
fn async_stream<S>(chunks: S, mut recording: StreamRecording) -> axum::body::Body
where
    S: futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
{
    use futures::StreamExt as _;
    let (store, saver) = (recording.store.clone(), recording.saver.clone());
    let observed = chunks
        .map(Some)
        .chain(futures::stream::once(async { None }))
        .then(move |chunk| {
            let done = recording.observe(chunk.as_ref());
            let (store, saver) = (store.clone(), saver.clone());
            async move {
                if let Some(interaction) = done {
                    save(&store, &saver, interaction).await;
                }
                chunk
            }
        })
        .filter_map(|chunk| async move {
            chunk.map(|c| c.map_err(|e| std::io::Error::other(e.without_url())))
        });
    axum::body::Body::from_stream(observed)
}

/// Serializes the cassette's saves, so a later save never loses to an earlier one.
pub(crate) type Saver = std::sync::Arc<tokio::sync::Mutex<()>>;

/// Adds an exchange and writes the cassette (off the runtime's threads); a
/// failure to write is a violation, failing the test at the drop.
///
/// The work is a task of its own, holding its turn until the file is
/// written: a caller dropped mid-way (a client that hung up) cannot let the
/// next save start while this one still writes.
async fn save(store: &crate::store::Shared, saver: &Saver, interaction: Interaction) {
    let store = store.clone();
    let saver = saver.clone();
    let task = tokio::spawn(async move {
        let _turn = saver.lock().await;
        let snapshot = {
            let mut s = crate::store::lock(&store);
            match &mut s.cassette {
                Some(Mode::Record { cassette, path, .. }) => {
                    cassette.interactions.push(interaction);
                    Some((cassette.clone(), path.clone()))
                }
                _ => None,
            }
        };
        let Some((cassette, path)) = snapshot else {
            return;
        };
        let written = tokio::task::spawn_blocking(move || {
            cassette.save(&path).map_err(|e| {
                format!(
                    "tensoras-mock: cannot write the cassette {}: {e}",
                    path.display()
                )
            })
        })
        .await
        .unwrap_or_else(|e| Err(format!("tensoras-mock: the cassette writer failed: {e}")));
        if let Err(why) = written {
            crate::store::lock(&store).violations.push(why);
        }
    });
    let _ = task.await;
}
