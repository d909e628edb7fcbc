//! A local Tensoras-compatible server for the integration tests and the demo.
//!
//! Deterministic: replies are derived from the request. Every request is
//! recorded ([`Server::requests`]) so tests can assert what the SDK sent.
//!
//! Faults are switched on per request with headers (the SDK sends them via
//! `RequestOptions::header`):
//! - `x-mock-status: 503` (with `x-mock-body`, `x-mock-content-type`): fail with that status;
//! - `x-mock-fail-times: N` (with `x-mock-key`): fail only the first N requests of that key;
//! - `x-mock-retry-after: 2` or an HTTP date; `x-mock-retry-after-ms: 10`;
//! - `x-mock-delay-ms: 500`: answer late;
//! - `x-mock-stream: cut|error-event|error-data|malformed`: break a stream;
//! - `x-mock-redirect: URL`: answer 307 to that URL;
//! - `x-mock-reset: always` or `KEY/N`: reset the connection before any
//!   response (every time, or the first N times), see `listener`;
//! - `x-mock-nonconformant: 1`: answer with a body the spec does not allow,
//!   to show the response validation catches it.
//!
//! Every request body is validated against the spec (a 422 with the
//! details when it does not conform) and so is every response the handlers
//! produce (see [`Server::violations`]); [`conformance`] does both.

pub mod conformance;
mod listener;
pub mod tour;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The key the server accepts.
pub const API_KEY: &str = "tns_test_key";
/// The embedding size, as documented.
pub const EMBEDDING_DIM: usize = 1024;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method.
    pub method: String,
    /// The path and query.
    pub uri: String,
    /// The headers, as received.
    pub headers: HeaderMap,
    /// The JSON body, when it had one.
    pub body: Option<Value>,
}

#[derive(Default)]
struct Store {
    requests: Vec<Recorded>,
    fault_counts: HashMap<String, u32>,
    next_id: u64,
    collections: BTreeMap<String, Vec<Value>>,
    /// Per file: its size and its first MiB (see `file_content`).
    file_content: HashMap<String, (u64, bytes::Bytes)>,
    /// Responses this server sent that the spec does not allow.
    violations: Vec<String>,
    /// Validation against the spec is off (benchmarks switch it off).
    unchecked: bool,
}

type Shared = Arc<Mutex<Store>>;

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
        let app = router(store.clone());
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

fn router(store: Shared) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/completions", post(completions))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/rerank", post(rerank))
        .route("/v1/models", get(models))
        .route("/v1/models/{id}", get(model))
        .route("/v1/files", post(upload).get(list_files))
        .route("/v1/files/{id}", get(get_file).delete(delete_file))
        .route("/v1/files/{id}/content", get(file_content))
        .route("/v1/batches", post(create_batch).get(list_batches))
        .route("/v1/batches/{id}", get(get_batch))
        .route("/v1/batches/{id}/cancel", post(cancel_batch))
        .route("/v1/knowledge-bases", post(create_kb).get(list_kbs))
        .route(
            "/v1/knowledge-bases/{id}",
            get(get_kb).patch(update_kb).delete(delete_kb),
        )
        .route(
            "/v1/knowledge-bases/{id}/data-sources",
            post(create_ds).get(list_ds),
        )
        .route(
            "/v1/knowledge-bases/{id}/data-sources/{ds}",
            get(get_ds).delete(delete_ds),
        )
        .route("/v1/knowledge-bases/{id}/documents", get(list_docs))
        .route(
            "/v1/knowledge-bases/{id}/documents/{doc}",
            get(get_doc).delete(delete_doc),
        )
        .route("/v1/knowledge-bases/{id}/retrieve", post(retrieve))
        .route("/v1/knowledge-bases/{id}/ingestion-jobs", get(list_jobs))
        .route(
            "/v1/knowledge-bases/{id}/ingestion-jobs/{job}",
            get(get_job),
        )
        .route("/v1/responses", post(create_response))
        .route("/v1/responses/{id}", get(get_response))
        .route("/v1/webhooks", post(create_webhook).get(list_webhooks))
        .route(
            "/v1/webhooks/{id}",
            get(get_webhook)
                .patch(update_webhook)
                .delete(delete_webhook),
        )
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(store.clone(), gate))
        .layer(DefaultBodyLimit::max(2 << 30))
        .with_state(store)
}

fn error_body(status: StatusCode, message: &str, kind: &str, code: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": kind, "code": code, "param": null}})),
    )
        .into_response()
}

async fn not_found(uri: Uri) -> Response {
    error_body(
        StatusCode::NOT_FOUND,
        &format!("no route for {}", uri.path()),
        "not_found_error",
        "not_found",
    )
}

/// Records the request, checks the key, injects faults, adds the standard headers.
async fn gate(
    State(store): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let is_multipart = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/"));
    // Multipart bodies are streamed to the handler untouched (uploads can be large).
    let (body, raw_body, json_body) = if is_multipart {
        (body, bytes::Bytes::new(), None)
    } else {
        let bytes = axum::body::to_bytes(body, 64 << 20)
            .await
            .unwrap_or_default();
        let json = serde_json::from_slice::<Value>(&bytes).ok();
        (Body::from(bytes.clone()), bytes, json)
    };
    let (request_number, checked) = {
        let mut s = store.lock().expect("store");
        s.requests.push(Recorded {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: parts.headers.clone(),
            body: json_body.clone(),
        });
        (s.requests.len(), !s.unchecked)
    };
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };

    if let Some(ms) = header("x-mock-delay-ms").and_then(|v| v.parse().ok()) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let auth_ok = header("authorization").as_deref() == Some(&format!("Bearer {API_KEY}"));
    let mut response = if !auth_ok {
        error_body(
            StatusCode::UNAUTHORIZED,
            "Invalid API key provided.",
            "authentication_error",
            "invalid_api_key",
        )
    } else if let Some(fault) = fault(&store, &header) {
        fault
    } else {
        let operation = checked
            .then(|| conformance::Spec::get().find(parts.method.as_str(), parts.uri.path()))
            .flatten();
        let stream_fault = header("x-mock-stream").is_some();
        let nonconformant = header("x-mock-nonconformant").is_some();
        match operation.and_then(|op| check_request(op, is_multipart, &raw_body, &json_body)) {
            Some(rejection) => rejection,
            None => {
                let response = next
                    .run(axum::extract::Request::from_parts(parts, body))
                    .await;
                match operation {
                    Some(op) => {
                        let response = if nonconformant {
                            // A handler bug, simulated: a field of the wrong type.
                            Json(json!({"object": 42})).into_response()
                        } else {
                            response
                        };
                        check_response(&store, op, response, stream_fault).await
                    }
                    None => response,
                }
            }
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        "x-request-id",
        HeaderValue::from_str(&format!("req_{request_number:06}")).expect("ascii"),
    );
    headers.insert("x-ratelimit-limit", HeaderValue::from_static("600"));
    headers.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(600u32.saturating_sub(request_number as u32)),
    );
    headers.insert("x-ratelimit-reset", HeaderValue::from_static("1708200120"));
    response
}

/// A 422 naming every place where the body does not conform to the spec's
/// request schema, or `None` when it conforms.
fn check_request(
    op: &conformance::Operation,
    is_multipart: bool,
    raw: &[u8],
    json: &Option<Value>,
) -> Option<Response> {
    if is_multipart || !op.takes_json_body() {
        return None;
    }
    let violations = match json {
        None if raw.is_empty() && !op.requires_body() => return None,
        None if raw.is_empty() => vec![conformance::Violation {
            path: String::new(),
            message: "a JSON request body is required".into(),
        }],
        None => vec![conformance::Violation {
            path: String::new(),
            message: "the request body is not valid JSON".into(),
        }],
        Some(body) => op.check_request(body),
    };
    let first = violations.first()?;
    let message = format!(
        "{}: the request body does not conform to the schema: {}",
        op.id,
        violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    );
    // `param` in the dotted form the API uses (`messages.0.role`).
    let param = first.path.trim_start_matches('/').replace('/', ".");
    let details: Vec<Value> = violations
        .iter()
        .map(|v| json!({"path": v.path, "message": v.message}))
        .collect();
    Some(
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(
                json!({"error": {"message": message, "type": "invalid_request_error",
                "code": "validation_error", "param": (!param.is_empty()).then_some(param),
                "details": details}}),
            ),
        )
            .into_response(),
    )
}

/// Validates a response the handler produced against the spec; a JSON body
/// is buffered and checked at once, an event stream event by event as it
/// goes out. What does not conform is recorded (see [`Server::violations`]).
async fn check_response(
    store: &Shared,
    op: &'static conformance::Operation,
    response: Response,
    stream_fault: bool,
) -> Response {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let record = {
        let store = store.clone();
        move |what: String| {
            eprintln!("tensoras-mock-server: non-conformant response: {what}");
            if let Ok(mut s) = store.lock() {
                s.violations.push(what);
            }
        }
    };
    if content_type.starts_with("text/event-stream") {
        if stream_fault {
            return response;
        }
        let (parts, body) = response.into_parts();
        let mut decoder = tensoras::sse::Decoder::default();
        let checked = body.into_data_stream().map(move |chunk| {
            if let Ok(bytes) = &chunk {
                for event in decoder.feed(bytes) {
                    if event.data == "[DONE]" {
                        continue;
                    }
                    let found = match serde_json::from_str::<Value>(&event.data) {
                        Ok(data) => op.check_stream_event(&data),
                        Err(e) => vec![conformance::Violation {
                            path: String::new(),
                            message: format!("event data is not JSON: {e}"),
                        }],
                    };
                    for v in found {
                        record(format!("{} stream event {v}", op.id));
                    }
                }
            }
            chunk
        });
        return Response::from_parts(parts, Body::from_stream(checked));
    }
    if !content_type.starts_with("application/json") {
        if status >= 400 {
            record(format!("{} {status}: error without a JSON body", op.id));
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            record(format!("{} {status}: body unreadable: {e}", op.id));
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value) => {
            for v in op.check_response(status, &value) {
                record(format!("{} {status} {v}", op.id));
            }
        }
        Err(e) => record(format!("{} {status}: body is not JSON: {e}", op.id)),
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn fault(store: &Shared, header: &dyn Fn(&str) -> Option<String>) -> Option<Response> {
    if let Some(location) = header("x-mock-redirect") {
        // 307 keeps the method and body, like a moved API would.
        return Some(
            (
                StatusCode::TEMPORARY_REDIRECT,
                [("location", location)],
                Json(json!({"error": {"message": "moved", "type": "redirect"}})),
            )
                .into_response(),
        );
    }
    let status: u16 = header("x-mock-status")?.parse().ok()?;
    if let Some(times) = header("x-mock-fail-times").and_then(|v| v.parse::<u32>().ok()) {
        let key = header("x-mock-key").unwrap_or_default();
        let mut s = store.lock().ok()?;
        let count = s.fault_counts.entry(key).or_default();
        if *count >= times {
            return None;
        }
        *count += 1;
    }
    let status = StatusCode::from_u16(status).ok()?;
    let mut response = match header("x-mock-body") {
        Some(body) => {
            let content_type =
                header("x-mock-content-type").unwrap_or_else(|| "application/json".into());
            (status, [("content-type", content_type)], body).into_response()
        }
        None => error_body(
            status,
            &format!("injected {}", status.as_u16()),
            "server_error",
            "injected",
        ),
    };
    if let Some(v) = header("x-mock-retry-after").and_then(|v| HeaderValue::from_str(&v).ok()) {
        response.headers_mut().insert("retry-after", v);
    }
    if let Some(v) = header("x-mock-retry-after-ms").and_then(|v| HeaderValue::from_str(&v).ok()) {
        response.headers_mut().insert("retry-after-ms", v);
    }
    Some(response)
}

fn now() -> i64 {
    1709123456
}

fn new_id(store: &Shared, prefix: &str) -> String {
    let mut s = store.lock().expect("store");
    s.next_id += 1;
    format!("{prefix}{:06}", s.next_id)
}

fn bad_request(message: &str, param: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {"message": message, "type": "invalid_request_error", "code": "invalid_value", "param": param}})),
    )
        .into_response()
}

// ------------------------------------------------------------------ chat

fn last_user_text(body: &Value) -> String {
    body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .map(|m| match &m["content"] {
            Value::String(s) => s.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join(" "),
            _ => String::new(),
        })
        .unwrap_or_default()
}

fn chat_reply(body: &Value) -> (Value, &'static str, Vec<Value>) {
    let question = last_user_text(body);
    let has_tool_result = body["messages"]
        .as_array()
        .is_some_and(|m| m.iter().any(|m| m["role"] == "tool"));
    if let (Some(tool), false) = (
        body["tools"].as_array().and_then(|t| t.first()),
        has_tool_result,
    ) {
        let name = tool["function"]["name"].as_str().unwrap_or("tool");
        let first_prop = tool["function"]["parameters"]["properties"]
            .as_object()
            .and_then(|p| p.keys().next().cloned())
            .unwrap_or_else(|| "input".into());
        let arguments = json!({ first_prop: question }).to_string();
        let message = json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_000001", "type": "function", "function": {"name": name, "arguments": arguments}}
        ]});
        return (message, "tool_calls", vec![]);
    }
    let format = body["response_format"]["type"].as_str().unwrap_or("text");
    let content = match format {
        "json_object" => json!({"answer": question, "length": question.len()}).to_string(),
        "json_schema" => {
            sample_for_schema(&body["response_format"]["json_schema"]["schema"], &question)
                .to_string()
        }
        _ if has_tool_result => {
            let result = body["messages"]
                .as_array()
                .and_then(|m| m.iter().rev().find(|m| m["role"] == "tool"));
            format!(
                "The tool said: {}",
                result
                    .and_then(|m| m["content"].as_str())
                    .unwrap_or_default()
            )
        }
        _ => format!("You asked: {question}"),
    };
    let citations: Vec<Value> = body["knowledge_bases"]
        .as_array()
        .map(|kbs| {
            kbs.iter()
                .enumerate()
                .map(|(i, kb)| {
                    json!({"source": format!("{}-handbook.pdf", kb.as_str().unwrap_or("kb")),
                           "text": format!("Relevant passage about: {question}"),
                           "score": 0.9 - 0.1 * i as f64})
                })
                .collect()
        })
        .unwrap_or_default();
    (
        json!({"role": "assistant", "content": content}),
        "stop",
        citations,
    )
}

/// Names the citations after the knowledge bases' documents, when they have any.
fn cite_documents(store: &Shared, body: &Value, citations: &mut [Value]) {
    let docs = store
        .lock()
        .map(|s| s.collections.get("docs").cloned().unwrap_or_default())
        .unwrap_or_default();
    let kbs = body["knowledge_bases"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (citation, kb) in citations.iter_mut().zip(kbs) {
        if let Some(doc) = docs.iter().find(|d| d["knowledge_base_id"] == kb) {
            citation["source"] = doc["filename"].clone();
        }
    }
}

/// A value that satisfies a (simple) JSON schema, filled from the question.
fn sample_for_schema(schema: &Value, question: &str) -> Value {
    match schema["type"].as_str() {
        Some("object") => {
            let mut out = serde_json::Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (name, prop) in props {
                    out.insert(name.clone(), sample_for_schema(prop, question));
                }
            }
            Value::Object(out)
        }
        Some("integer") => json!(question.len() as i64),
        Some("number") => json!(question.len() as f64 / 2.0),
        Some("boolean") => json!(true),
        Some("array") => json!([sample_for_schema(&schema["items"], question)]),
        _ => json!(question),
    }
}

fn usage(body: &Value, completion_tokens: usize) -> Value {
    let prompt = body.to_string().split_whitespace().count().max(1);
    json!({"prompt_tokens": prompt, "completion_tokens": completion_tokens, "total_tokens": prompt + completion_tokens})
}

async fn chat(
    State(store): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if body["model"].as_str().is_none_or(str::is_empty) {
        return bad_request("'model' is a required property", "model");
    }
    if body["messages"].as_array().is_none_or(Vec::is_empty) {
        return bad_request("'messages' must be a non-empty array", "messages");
    }
    let id = new_id(&store, "chatcmpl-");
    let model = body["model"].clone();
    let (message, finish, mut citations) = chat_reply(&body);
    cite_documents(&store, &body, &mut citations);
    if body["stream"] == true {
        return chat_stream(&headers, &body, id, model, message, finish, citations);
    }
    let tokens = message["content"]
        .as_str()
        .map_or(1, |c| c.split_whitespace().count());
    let mut out = json!({"id": id, "object": "chat.completion", "created": now(), "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage(&body, tokens)});
    if !citations.is_empty() {
        out["citations"] = Value::Array(citations);
    }
    Json(out).into_response()
}

fn chat_stream(
    headers: &HeaderMap,
    body: &Value,
    id: String,
    model: Value,
    message: Value,
    finish: &str,
    citations: Vec<Value>,
) -> Response {
    let chunk = |delta: Value, finish: Value| {
        json!({"id": id, "object": "chat.completion.chunk", "created": now(), "model": model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut frames = vec![format!(
        "data: {}\n\n",
        chunk(json!({"role": "assistant", "content": ""}), Value::Null)
    )];
    frames.push(": keep-alive\n\n".into());
    if let Some(calls) = message["tool_calls"].as_array() {
        for call in calls {
            let args = call["function"]["arguments"].as_str().unwrap_or_default();
            let (a, b) = args.split_at(args.len() / 2);
            frames.push(format!(
                "data: {}\n\n",
                chunk(
                    json!({"tool_calls": [{"index": 0, "id": call["id"], "type": "function",
                "function": {"name": call["function"]["name"], "arguments": a}}]}),
                    Value::Null
                )
            ));
            frames.push(format!(
                "data: {}\n\n",
                chunk(
                    json!({"tool_calls": [{"index": 0, "function": {"arguments": b}}]}),
                    Value::Null
                )
            ));
        }
    } else {
        let text = message["content"].as_str().unwrap_or_default();
        for word in text.split_inclusive(' ') {
            frames.push(format!(
                "data: {}\n\n",
                chunk(json!({"content": word}), Value::Null)
            ));
        }
    }
    let mut last = chunk(json!({}), json!(finish));
    if !citations.is_empty() {
        last["citations"] = Value::Array(citations);
    }
    frames.push(format!("data: {last}\n\n"));
    if body["stream_options"]["include_usage"] == true {
        let usage_chunk = json!({"id": id, "object": "chat.completion.chunk", "created": now(), "model": model,
            "choices": [], "usage": usage(body, frames.len())});
        frames.push(format!("data: {usage_chunk}\n\n"));
    }
    match headers.get("x-mock-stream").and_then(|v| v.to_str().ok()) {
        Some("cut") => {
            let last = frames.pop().unwrap_or_default();
            frames.push(last[..last.len() / 2].to_owned());
        }
        Some("error-event") => frames.push(
            "event: error\ndata: {\"error\":{\"message\":\"model overloaded\",\"type\":\"server_error\",\"code\":\"overloaded\"}}\n\n".into(),
        ),
        Some("error-data") => frames.push("data: {\"error\":{\"message\":\"generation failed\",\"type\":\"server_error\"}}\n\n".into()),
        Some("malformed") => frames.push("data: {not json\n\n".into()),
        _ => frames.push("data: [DONE]\n\n".into()),
    }
    // One frame per network write, with a short pause, so reads really are split.
    let stream = futures::stream::iter(frames).then(|frame| async move {
        tokio::time::sleep(Duration::from_millis(2)).await;
        Ok::<_, std::convert::Infallible>(bytes::Bytes::from(frame))
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

use futures::StreamExt as _;

async fn completions(State(store): State<Shared>, Json(body): Json<Value>) -> Response {
    let prompt = match &body["prompt"] {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => return bad_request("'prompt' is required", "prompt"),
    };
    let text = format!(" continues {prompt}");
    Json(json!({"id": new_id(&store, "cmpl-"), "object": "text_completion", "created": now(), "model": body["model"],
        "choices": [{"text": text, "index": 0, "logprobs": null, "finish_reason": "stop"}], "usage": usage(&body, 2)}))
    .into_response()
}

// ------------------------------------------------------------ embeddings

/// A deterministic unit vector for `text`.
pub fn embed(text: &str) -> Vec<f32> {
    let mut state: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        state = (state ^ b as u64).wrapping_mul(0x100000001b3);
    }
    let mut v: Vec<f32> = (0..EMBEDDING_DIM)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        })
        .collect();
    let norm = v
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::EPSILON);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

async fn embeddings(Json(body): Json<Value>) -> Response {
    let inputs: Vec<String> = match &body["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => {
            return bad_request(
                "'input' must be a string or a non-empty array of strings",
                "input",
            )
        }
    };
    let base64 = match body["encoding_format"].as_str() {
        None | Some("float") => false,
        Some("base64") => true,
        Some(_) => {
            return bad_request(
                "'encoding_format' must be float or base64",
                "encoding_format",
            )
        }
    };
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let v = embed(text);
            let embedding = if base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    let tokens: usize = inputs.iter().map(|t| t.split_whitespace().count()).sum();
    Json(json!({"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}))
        .into_response()
}

fn words(text: &str) -> std::collections::HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

async fn rerank(Json(body): Json<Value>) -> Response {
    let Some(query) = body["query"].as_str() else {
        return bad_request("'query' is required", "query");
    };
    let Some(docs) = body["documents"].as_array().filter(|d| !d.is_empty()) else {
        return bad_request("'documents' must be a non-empty array", "documents");
    };
    let q = words(query);
    let mut results: Vec<(usize, f64, String)> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let text = d
                .as_str()
                .or_else(|| d["text"].as_str())
                .unwrap_or_default()
                .to_owned();
            let w = words(&text);
            let overlap = q.intersection(&w).count() as f64;
            (i, overlap / (q.len().max(1) as f64), text)
        })
        .collect();
    results.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if let Some(n) = body["top_n"].as_u64() {
        results.truncate(n as usize);
    }
    let with_docs = body["return_documents"] != false;
    let results: Vec<Value> = results
        .into_iter()
        .map(|(i, score, text)| {
            let mut r = json!({"index": i, "relevance_score": score});
            if with_docs {
                r["document"] = json!({"text": text});
            }
            r
        })
        .collect();
    Json(json!({"object": "list", "results": results, "model": body["model"], "usage": {"total_tokens": 10}})).into_response()
}

// ---------------------------------------------------------------- models

fn model_list() -> Vec<Value> {
    [("llama-3.3-70b", "meta", 131072), ("llama-3.1-8b", "meta", 131072), ("qwen-3-32b", "alibaba", 32768)]
        .iter()
        .map(|(id, owner, ctx)| {
            json!({"id": id, "object": "model", "created": now(), "owned_by": owner,
                "capabilities": {"chat_completion": true, "completion": true, "function_calling": true, "json_mode": true, "streaming": true},
                "context_length": ctx, "pricing": {"prompt": 0.0008, "completion": 0.0008, "unit": "per_1k_tokens"}})
        })
        .collect()
}

async fn models() -> Response {
    Json(json!({"object": "list", "data": model_list()})).into_response()
}

async fn model(Path(id): Path<String>) -> Response {
    match model_list().into_iter().find(|m| m["id"] == id.as_str()) {
        Some(m) => Json(m).into_response(),
        None => error_body(
            StatusCode::NOT_FOUND,
            &format!("No model '{id}'."),
            "not_found_error",
            "model_not_found",
        ),
    }
}

// --------------------------------------------------- generic collections

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    limit: Option<usize>,
    after: Option<String>,
    status: Option<String>,
}

fn insert(store: &Shared, collection: &str, item: Value) -> Value {
    store
        .lock()
        .expect("store")
        .collections
        .entry(collection.into())
        .or_default()
        .push(item.clone());
    item
}

fn find(store: &Shared, collection: &str, id: &str) -> Option<Value> {
    let s = store.lock().expect("store");
    s.collections
        .get(collection)?
        .iter()
        .find(|v| v["id"] == id)
        .cloned()
}

fn missing(kind: &str, id: &str) -> Response {
    error_body(
        StatusCode::NOT_FOUND,
        &format!("No {kind} with id '{id}'."),
        "not_found_error",
        "not_found",
    )
}

fn page(
    store: &Shared,
    collection: &str,
    q: &ListQuery,
    filter: impl Fn(&Value) -> bool,
) -> Response {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return bad_request("'limit' must be between 1 and 100", "limit");
    }
    let s = store.lock().expect("store");
    let all: Vec<Value> = s
        .collections
        .get(collection)
        .map(|v| {
            v.iter()
                .filter(|i| filter(i))
                .filter(|i| {
                    q.status
                        .as_ref()
                        .is_none_or(|st| i["status"] == st.as_str())
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let start = match &q.after {
        Some(after) => all
            .iter()
            .position(|v| v["id"] == after.as_str())
            .map_or(all.len(), |p| p + 1),
        None => 0,
    };
    let data: Vec<Value> = all.iter().skip(start).take(limit).cloned().collect();
    let has_more = start + data.len() < all.len();
    Json(json!({"object": "list", "data": data, "has_more": has_more})).into_response()
}

fn delete_from(store: &Shared, collection: &str, id: &str, object: &str) -> Response {
    let mut s = store.lock().expect("store");
    let items = s.collections.entry(collection.into()).or_default();
    let before = items.len();
    items.retain(|v| v["id"] != id);
    if items.len() == before {
        return missing(object, id);
    }
    Json(json!({"id": id, "object": object, "deleted": true})).into_response()
}

fn update_in(store: &Shared, collection: &str, id: &str, patch: &Value, object: &str) -> Response {
    let mut s = store.lock().expect("store");
    let items = s.collections.entry(collection.into()).or_default();
    let Some(item) = items.iter_mut().find(|v| v["id"] == id) else {
        return missing(object, id);
    };
    if let Some(fields) = patch.as_object() {
        for (k, v) in fields {
            item[k] = v.clone();
        }
    }
    item["updated_at"] = json!(now() + 1);
    Json(item.clone()).into_response()
}

// ----------------------------------------------------------------- files

async fn upload(State(store): State<Shared>, mut multipart: Multipart) -> Response {
    let (mut purpose, mut filename, mut bytes) = (None, None, None);
    loop {
        match multipart.next_field().await {
            Ok(Some(mut field)) => match field.name() {
                Some("purpose") => purpose = field.text().await.ok(),
                Some("file") => {
                    filename = field.file_name().map(str::to_owned);
                    // Keep only a digest-sized prefix: uploads may be huge.
                    let mut total = 0u64;
                    let mut kept = Vec::new();
                    loop {
                        match field.chunk().await {
                            Ok(Some(chunk)) => {
                                total += chunk.len() as u64;
                                if kept.len() < (1 << 20) {
                                    kept.extend_from_slice(
                                        &chunk[..chunk.len().min((1 << 20) - kept.len())],
                                    );
                                }
                            }
                            Ok(None) => break,
                            Err(e) => {
                                return bad_request(&format!("reading the file part: {e}"), "file")
                            }
                        }
                    }
                    bytes = Some((total, kept));
                }
                _ => {}
            },
            Ok(None) => break,
            Err(e) => return bad_request(&format!("malformed multipart body: {e}"), "file"),
        }
    }
    let Some(purpose) = purpose else {
        return bad_request("'purpose' is required", "purpose");
    };
    if !["batch", "knowledge-base", "knowledge_base"].contains(&purpose.as_str()) {
        return bad_request("'purpose' must be batch or knowledge-base", "purpose");
    }
    let Some((total, kept)) = bytes else {
        return bad_request("'file' is required", "file");
    };
    let id = new_id(&store, "file-");
    store
        .lock()
        .expect("store")
        .file_content
        .insert(id.clone(), (total, bytes::Bytes::from(kept)));
    let file = json!({"id": id, "object": "file", "bytes": total, "created_at": now(),
        "filename": filename.unwrap_or_else(|| "upload".into()), "purpose": purpose, "status": "uploaded"});
    Json(insert(&store, "files", file)).into_response()
}

async fn list_files(State(store): State<Shared>, Query(q): Query<ListQuery>) -> Response {
    page(&store, "files", &q, |_| true)
}

async fn get_file(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    find(&store, "files", &id).map_or_else(|| missing("file", &id), |f| Json(f).into_response())
}

async fn delete_file(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    delete_from(&store, "files", &id, "file")
}

async fn file_content(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    let content = store.lock().expect("store").file_content.get(&id).cloned();
    let Some((total, kept)) = content else {
        return missing("file", &id);
    };
    // The server keeps only the first MiB of an upload; a larger file is
    // served as that prefix repeated up to its size, streamed, so a 1 GiB
    // download costs the server no memory.
    let chunks = futures::stream::unfold(0u64, move |sent| {
        let kept = kept.clone();
        async move {
            if sent >= total || kept.is_empty() {
                return None;
            }
            let len = (kept.len() as u64).min(total - sent) as usize;
            Some((
                Ok::<_, std::convert::Infallible>(kept.slice(..len)),
                sent + len as u64,
            ))
        }
    });
    Response::builder()
        .header("content-type", "application/octet-stream")
        .header("content-length", total)
        .body(Body::from_stream(chunks))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

// --------------------------------------------------------------- batches

async fn create_batch(State(store): State<Shared>, Json(body): Json<Value>) -> Response {
    if find(
        &store,
        "files",
        body["input_file_id"].as_str().unwrap_or_default(),
    )
    .is_none()
    {
        return bad_request("'input_file_id' is not an uploaded file", "input_file_id");
    }
    let batch = json!({"id": new_id(&store, "batch_"), "object": "batch", "endpoint": body["endpoint"], "errors": null,
        "input_file_id": body["input_file_id"], "completion_window": body["completion_window"], "status": "validating",
        "output_file_id": null, "error_file_id": null, "created_at": now(), "expires_at": now() + 86400,
        "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": body.get("metadata").cloned().unwrap_or(json!({}))});
    Json(insert(&store, "batches", batch)).into_response()
}

async fn list_batches(State(store): State<Shared>, Query(q): Query<ListQuery>) -> Response {
    page(&store, "batches", &q, |_| true)
}

async fn get_batch(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    find(&store, "batches", &id).map_or_else(|| missing("batch", &id), |b| Json(b).into_response())
}

async fn cancel_batch(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    update_in(
        &store,
        "batches",
        &id,
        &json!({"status": "cancelling", "cancelling_at": now()}),
        "batch",
    )
}

// ------------------------------------------------------- knowledge bases

async fn create_kb(State(store): State<Shared>, Json(body): Json<Value>) -> Response {
    if body["name"].as_str().is_none_or(str::is_empty) {
        return bad_request("'name' is required", "name");
    }
    let chunking = body.get("chunking_strategy").cloned().unwrap_or(json!({}));
    let kb = json!({"id": new_id(&store, "kb_"), "object": "knowledge_base", "name": body["name"],
        "description": body.get("description").cloned().unwrap_or(json!("")),
        "embedding_model": body.get("embedding_model").cloned().unwrap_or(json!("bge-large-en-v1.5")),
        "chunking_strategy": {"type": chunking.get("type").cloned().unwrap_or(json!("recursive")),
            "chunk_size": chunking.get("chunk_size").cloned().unwrap_or(json!(512)),
            "chunk_overlap": chunking.get("chunk_overlap").cloned().unwrap_or(json!(64))},
        "document_count": 0, "chunk_count": 0, "status": "active", "created_at": now(), "updated_at": now(),
        "metadata": body.get("metadata").cloned().unwrap_or(json!({}))});
    Json(insert(&store, "kbs", kb)).into_response()
}

async fn list_kbs(State(store): State<Shared>, Query(q): Query<ListQuery>) -> Response {
    page(&store, "kbs", &q, |_| true)
}

async fn get_kb(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    find(&store, "kbs", &id).map_or_else(
        || missing("knowledge base", &id),
        |k| Json(k).into_response(),
    )
}

async fn update_kb(
    State(store): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    update_in(&store, "kbs", &id, &body, "knowledge_base")
}

async fn delete_kb(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    delete_from(&store, "kbs", &id, "knowledge_base")
}

async fn create_ds(
    State(store): State<Shared>,
    Path(kb): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if find(&store, "kbs", &kb).is_none() {
        return missing("knowledge base", &kb);
    }
    let kind = body["type"].as_str().unwrap_or_default().to_owned();
    const TYPES: [&str; 7] = [
        "file_upload",
        "web_crawl",
        "s3",
        "gcs",
        "confluence",
        "notion",
        "google_drive",
    ];
    if !TYPES.contains(&kind.as_str()) {
        return bad_request("'type' must be a data source type", "type");
    }
    let ds_id = new_id(&store, "ds_");
    let ds = json!({"id": ds_id, "object": "data_source", "knowledge_base_id": kb, "type": kind, "name": body["name"],
        "config": body["config"], "status": "processing", "created_at": now(), "updated_at": now()});
    // Ingestion "runs": one job, and a document per file or URL.
    let sources: Vec<String> = body["config"]["file_ids"]
        .as_array()
        .or(body["config"]["urls"].as_array())
        .map(|v| {
            v.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_else(|| vec![format!("{kind}-source")]);
    for source in &sources {
        let filename = find(&store, "files", source)
            .and_then(|f| f["filename"].as_str().map(str::to_owned))
            .unwrap_or(source.clone());
        let doc = json!({"id": new_id(&store, "doc_"), "object": "document", "knowledge_base_id": kb, "data_source_id": ds_id,
            "filename": filename, "status": "completed", "chunk_count": 3, "created_at": now()});
        insert(&store, "docs", doc);
    }
    let job = json!({"id": new_id(&store, "job_"), "object": "ingestion_job", "knowledge_base_id": kb, "data_source_id": ds_id,
        "status": "completed", "documents_processed": sources.len(), "documents_failed": 0, "chunks_created": 3 * sources.len(),
        "started_at": now(), "completed_at": now() + 60, "created_at": now(), "error": null});
    insert(&store, "jobs", job);
    Json(insert(&store, "data_sources", ds)).into_response()
}

async fn list_ds(
    State(store): State<Shared>,
    Path(kb): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    page(&store, "data_sources", &q, |d| {
        d["knowledge_base_id"] == kb.as_str()
    })
}

async fn get_ds(State(store): State<Shared>, Path((kb, ds)): Path<(String, String)>) -> Response {
    find(&store, "data_sources", &ds)
        .filter(|d| d["knowledge_base_id"] == kb.as_str())
        .map_or_else(|| missing("data source", &ds), |d| Json(d).into_response())
}

async fn delete_ds(
    State(store): State<Shared>,
    Path((_kb, ds)): Path<(String, String)>,
) -> Response {
    delete_from(&store, "data_sources", &ds, "data_source")
}

async fn list_docs(
    State(store): State<Shared>,
    Path(kb): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    page(&store, "docs", &q, |d| {
        d["knowledge_base_id"] == kb.as_str()
    })
}

async fn get_doc(
    State(store): State<Shared>,
    Path((_kb, doc)): Path<(String, String)>,
) -> Response {
    find(&store, "docs", &doc)
        .map_or_else(|| missing("document", &doc), |d| Json(d).into_response())
}

async fn delete_doc(
    State(store): State<Shared>,
    Path((_kb, doc)): Path<(String, String)>,
) -> Response {
    delete_from(&store, "docs", &doc, "document")
}

async fn retrieve(
    State(store): State<Shared>,
    Path(kb): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if find(&store, "kbs", &kb).is_none() {
        return missing("knowledge base", &kb);
    }
    let Some(query) = body["query"].as_str().filter(|q| !q.is_empty()) else {
        return bad_request("'query' is required", "query");
    };
    let top_k = body["top_k"].as_u64().unwrap_or(10) as usize;
    let docs: Vec<Value> = store
        .lock()
        .expect("store")
        .collections
        .get("docs")
        .cloned()
        .unwrap_or_default();
    let results: Vec<Value> = docs
        .iter()
        .filter(|d| d["knowledge_base_id"] == kb.as_str())
        .take(top_k)
        .enumerate()
        .map(|(i, d)| {
            json!({"chunk_id": format!("chunk_{i:04}"), "score": 0.9 / (i + 1) as f64, "text": format!("{} mentions {query}", d["filename"].as_str().unwrap_or_default()),
                "document_id": d["id"], "document_name": d["filename"], "source": d["filename"], "source_type": "file_upload", "metadata": {}})
        })
        .collect();
    Json(json!({"object": "list", "results": results})).into_response()
}

async fn list_jobs(
    State(store): State<Shared>,
    Path(kb): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    page(&store, "jobs", &q, |j| {
        j["knowledge_base_id"] == kb.as_str()
    })
}

async fn get_job(
    State(store): State<Shared>,
    Path((_kb, job)): Path<(String, String)>,
) -> Response {
    find(&store, "jobs", &job).map_or_else(
        || missing("ingestion job", &job),
        |j| Json(j).into_response(),
    )
}

// ------------------------------------------------------------- responses

async fn create_response(State(store): State<Shared>, Json(body): Json<Value>) -> Response {
    let input = match &body["input"] {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .rev()
            .find(|m| m["role"] == "user")
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_owned(),
        _ => return bad_request("'input' is required", "input"),
    };
    let text = format!("Answer to: {input}");
    let response = json!({"id": new_id(&store, "resp_"), "object": "response", "created_at": now(), "model": body["model"],
        "status": "completed", "output": [{"type": "message", "id": "msg_1", "role": "assistant",
        "content": [{"type": "output_text", "text": text}]}], "output_text": text,
        "usage": {"input_tokens": 10, "output_tokens": 4, "total_tokens": 14}});
    Json(insert(&store, "responses", response)).into_response()
}

async fn get_response(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    find(&store, "responses", &id)
        .map_or_else(|| missing("response", &id), |r| Json(r).into_response())
}

// -------------------------------------------------------------- webhooks

async fn create_webhook(State(store): State<Shared>, Json(body): Json<Value>) -> Response {
    if body["url"].as_str().is_none() || body["events"].as_array().is_none_or(Vec::is_empty) {
        return bad_request("'url' and 'events' are required", "url");
    }
    let hook = json!({"id": new_id(&store, "wh_"), "object": "webhook", "url": body["url"], "events": body["events"],
        "status": "active", "description": body.get("description").cloned().unwrap_or(Value::Null), "created_at": now()});
    Json(insert(&store, "webhooks", hook)).into_response()
}

async fn list_webhooks(State(store): State<Shared>, Query(q): Query<ListQuery>) -> Response {
    page(&store, "webhooks", &q, |_| true)
}

async fn get_webhook(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    find(&store, "webhooks", &id)
        .map_or_else(|| missing("webhook", &id), |w| Json(w).into_response())
}

async fn update_webhook(
    State(store): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    update_in(&store, "webhooks", &id, &body, "webhook")
}

async fn delete_webhook(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    delete_from(&store, "webhooks", &id, "webhook")
}
