//! The control endpoint: the same scripting and faults over HTTP, for tests
//! in any language against the `tensoras-mock-server` binary (or a
//! [`crate::MockServer`]: every server has it), under `/__mock/` beside the
//! API's `/v1/`. JSON in, JSON out; no API key: keep the server on loopback
//! (the default address), where only this machine reaches it — on another
//! address, anyone who reaches it can script it and read what it received.
//!
//! | Call | What |
//! |---|---|
//! | `POST /__mock/mocks` | mounts a mock, answers `{"id": N}` |
//! | `POST /__mock/faults` | arms a fault |
//! | `GET /__mock/requests[?operation=ID]` | what was received (secret headers, such as `authorization`, left out) |
//! | `GET /__mock/verify` | 200 `{"ok": true}`, or 409 with the report of unmet expectations |
//! | `GET /__mock/violations` | replies the spec does not allow, and requests it rejected |
//! | `POST /__mock/reset` | unmounts, disarms, forgets what was received, the rejected requests and the violations |
//!
//! A mock: `operation` is an `operationId` of the spec; `when` holds any of
//! `model`, `contains` (a body string contains it), `path_contains`,
//! `header` (`[name, value]`); `reply` is one of `{"status", "body"}`,
//! `{"text"}` or `{"tool_call": {"name", "arguments"}}` (chat: whole or
//! streamed as the request asks), `{"events": [...], "pace_ms", "done"}`,
//! `{"error": {"status", "type", "message", "code", "retry_after_ms"}}`;
//! with `headers`, `delay_ms`, `times`, `expect` and `name` beside it.
//!
//! ```text
//! curl -s localhost:8000/__mock/mocks -H 'content-type: application/json' -d '{"operation": "createChatCompletion",
//!   "when": {"contains": "capital"}, "reply": {"text": "Paris."}, "expect": 1}'
//! ```
//!
//! A fault: `kind` is `status` (`status`, `retry_after_ms`),
//! `stall_before_head` (`ms`), `stall_mid_stream` (`after`, `ms`),
//! `cut_stream` (`after`), `slow_tokens` (`ms`), `rate_limit` (`limit`,
//! `remaining`, `reset_s`) or `reset`; with `times` and `operation` beside it.
//!
//! ## Fault headers
//!
//! A client that can add headers to its requests can also ask for a fault
//! per request, without the control endpoint:
//! - `x-mock-status: 503` (with `x-mock-body`, `x-mock-content-type`): fail with that status;
//! - `x-mock-fail-times: N` (with `x-mock-key`): fail only the first N requests of that key;
//! - `x-mock-fault-path: /v1/batches`: fail only requests to that path;
//! - `x-mock-retry-after: 2` or an HTTP date; `x-mock-retry-after-ms: 10`;
//! - `x-mock-should-retry: true|false`: the failure carries `x-should-retry`;
//! - `x-mock-delay-ms: 500`: answer late;
//! - `x-mock-stream: cut|error-event|error-data|malformed`: break a chat stream;
//! - `x-mock-redirect: URL`: answer 307 to that URL;
//! - `x-mock-reset: always` or `KEY/N`: reset the connection before any
//!   response (every time, or the first N times);
//! - `x-mock-nonconformant: 1`: answer with a body the spec does not allow
//!   (to see the reply check catch it);
//! - `x-mock-batch-pace-ms: N`, `x-mock-batch-expire-after: N`, `x-mock-batch-max-lines: N`,
//!   `x-mock-batch-hold-after: N` on a batch's create call: its pace between lines, when its
//!   window runs out (after N lines), its size limit, and after how many lines it stays
//!   `in_progress` until cancelled (ten minutes at most).
//!
//! ## Example
//!
//! ```
//! use tensoras::prelude::*;
//!
//! # #[tokio::main] async fn main() {
//! let server = tensoras_mock::MockServer::start().await;
//! let control = server.base_url().replace("/v1", "/__mock");
//! let http = reqwest::Client::new();
//! let mounted = http
//!     .post(format!("{control}/mocks"))
//!     .json(&serde_json::json!({"operation": "createChatCompletion",
//!         "reply": {"text": "Scripted over HTTP."}}))
//!     .send()
//!     .await
//!     .unwrap();
//! assert_eq!(mounted.status(), 201);
//! let answer = server
//!     .client()
//!     .chat()
//!     .completions()
//!     .create(ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hi")]))
//!     .await
//!     .unwrap();
//! assert_eq!(answer.text(), "Scripted over HTTP.");
//! # }
//! ```

use crate::fault::{Armed, Fault};
use crate::generated::operations::OPERATIONS;
use crate::script::{self, conditions, Answer, Body};
use crate::store::{lock, Shared};
use axum::extract::{Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// The largest wait the endpoint takes, in milliseconds (a day): a bound on
/// what a script can ask of the server.
const MAX_MS: u64 = 86_400_000;

pub(crate) fn router(store: Shared) -> Router {
    Router::new()
        .route("/__mock/mocks", post(mount))
        .route("/__mock/faults", post(inject))
        .route("/__mock/requests", get(requests))
        .route("/__mock/verify", get(verify))
        .route("/__mock/violations", get(violations))
        .route("/__mock/reset", post(reset))
        .with_state(store)
}

fn route(operation: &str) -> Result<(&'static str, &'static str, &'static str), String> {
    OPERATIONS
        .iter()
        .find(|(id, _, _)| *id == operation)
        .map(|(id, method, template)| (*id, *method, *template))
        .ok_or_else(|| {
            format!(
                "unknown operation {operation:?}; the operations are the spec's operationIds, such as createChatCompletion"
            )
        })
}

fn bad(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

fn millis(value: &Value, field: &str) -> Result<Duration, String> {
    match &value[field] {
        Value::Null => Ok(Duration::ZERO),
        v => v
            .as_u64()
            .filter(|ms| *ms <= MAX_MS)
            .map(Duration::from_millis)
            .ok_or_else(|| {
                format!("{field} must be a whole number of milliseconds up to {MAX_MS}")
            }),
    }
}

fn count(value: &Value, field: &str) -> Result<Option<u64>, String> {
    match &value[field] {
        Value::Null => Ok(None),
        v => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{field} must be a non-negative whole number")),
    }
}

#[derive(Deserialize)]
struct MockRequest {
    operation: String,
    #[serde(default)]
    when: Value,
    #[serde(default)]
    reply: Option<Value>,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
    #[serde(flatten)]
    rest: Value,
}

async fn mount(State(store): State<Shared>, Json(request): Json<MockRequest>) -> Response {
    match build(request) {
        Ok(spec) => {
            let id = script::mount(&mut lock(&store), spec);
            (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
        }
        Err(why) => bad(&why),
    }
}

fn build(request: MockRequest) -> Result<script::Spec, String> {
    let (operation, method, template) = route(&request.operation)?;
    let mut when = Vec::new();
    if let Some(model) = request.when["model"].as_str() {
        when.push(conditions::model(model));
    }
    if let Some(text) = request.when["contains"].as_str() {
        when.push(conditions::body_contains(text));
    }
    if let Some(text) = request.when["path_contains"].as_str() {
        when.push(conditions::path_contains(text));
    }
    if let Some([name, value]) = request.when["header"].as_array().map(Vec::as_slice) {
        match (name.as_str(), value.as_str()) {
            (Some(name), Some(value)) => when.push(conditions::header(name, value)),
            _ => return Err("when.header must be [name, value], two strings".to_owned()),
        }
    }
    let reply = match request.reply {
        None => None,
        Some(reply) => {
            let mut answer = Answer {
                body: reply_body(&reply)?,
                headers: Vec::new(),
                delay: millis(&request.rest, "delay_ms")?,
                problems: Vec::new(),
            };
            for (name, value) in &request.headers {
                let value = value.as_str().unwrap_or_default();
                match (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    (Ok(n), Ok(v)) => answer.headers.push((n, v)),
                    _ => return Err(format!("header {name:?} is not a valid HTTP header")),
                }
            }
            if let Some(error) = reply.get("error") {
                let wait = millis(error, "retry_after_ms")?;
                if !wait.is_zero() {
                    answer
                        .headers
                        .extend(crate::fault::retry_after_headers(wait));
                }
            }
            Some(answer)
        }
    };
    Ok(script::Spec {
        label: request.rest["name"].as_str().map(str::to_owned),
        method,
        template,
        operation,
        conditions: when,
        reply,
        limit: count(&request.rest, "times")?,
        expect: count(&request.rest, "expect")?.map(script::Times::from),
    })
}

fn reply_body(reply: &Value) -> Result<Body, String> {
    if let Some(text) = reply["text"].as_str() {
        return Ok(Body::Chat {
            message: json!({"role": "assistant", "content": text}),
            finish: "stop".into(),
        });
    }
    if let Some(call) = reply.get("tool_call") {
        let name = call["name"]
            .as_str()
            .ok_or_else(|| "tool_call.name must be a string".to_owned())?;
        return Ok(Body::Chat {
            message: json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_mock_1", "type": "function",
                 "function": {"name": name, "arguments": call["arguments"].to_string()}}]}),
            finish: "tool_calls".into(),
        });
    }
    if let Some(events) = reply["events"].as_array() {
        return Ok(Body::Events {
            events: events.clone(),
            pace: millis(reply, "pace_ms")?,
            done: reply["done"].as_bool().unwrap_or(true),
        });
    }
    if let Some(error) = reply.get("error") {
        let status = error["status"].as_u64().unwrap_or(500);
        return Ok(Body::Json {
            status: u16::try_from(status)
                .map_err(|_| "error.status must be an HTTP status".to_owned())?,
            body: json!({"error": {"message": error["message"].as_str().unwrap_or("scripted error"),
                "type": error["type"].as_str().unwrap_or("server_error"),
                "code": error["code"], "param": error["param"]}}),
        });
    }
    if reply.get("body").is_some() {
        let status = reply["status"].as_u64().unwrap_or(200);
        return Ok(Body::Json {
            status: u16::try_from(status)
                .map_err(|_| "status must be an HTTP status".to_owned())?,
            body: reply["body"].clone(),
        });
    }
    Err("reply must have one of body, text, tool_call, events or error".to_owned())
}

async fn inject(State(store): State<Shared>, Json(request): Json<Value>) -> Response {
    let fault = match fault(&request) {
        Ok(fault) => fault,
        Err(why) => return bad(&why),
    };
    lock(&store).faults.push(Armed::new(fault));
    StatusCode::CREATED.into_response()
}

fn fault(request: &Value) -> Result<Fault, String> {
    let after = || -> Result<usize, String> {
        request["after"]
            .as_u64()
            .and_then(|a| usize::try_from(a).ok())
            .ok_or_else(|| "after must be a count of events".to_owned())
    };
    let mut fault = match request["kind"].as_str().unwrap_or_default() {
        "status" => {
            let status = request["status"]
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .ok_or_else(|| "status must be an HTTP status".to_owned())?;
            let wait = millis(request, "retry_after_ms")?;
            let fault = Fault::status(status);
            if wait.is_zero() {
                fault
            } else {
                fault.retry_after(wait)
            }
        }
        "stall_before_head" => Fault::stall_before_head(millis(request, "ms")?),
        "stall_mid_stream" => Fault::stall_mid_stream(after()?, millis(request, "ms")?),
        "cut_stream" => Fault::cut_stream(after()?),
        "slow_tokens" => Fault::slow_tokens(millis(request, "ms")?),
        "rate_limit" => Fault::rate_limit(
            request["limit"].as_u64().unwrap_or(600),
            request["remaining"].as_u64().unwrap_or(0),
            Duration::from_secs(request["reset_s"].as_u64().unwrap_or(60).min(MAX_MS / 1000)),
        ),
        "reset" => Fault::reset(),
        other => {
            return Err(format!(
                "unknown fault kind {other:?}: status, stall_before_head, stall_mid_stream, cut_stream, slow_tokens, rate_limit or reset"
            ))
        }
    };
    if let Some(times) = count(request, "times")? {
        fault = fault.times(times);
    }
    if let Some(operation) = request["operation"].as_str() {
        let (_, method, template) = route(operation)?;
        fault = fault.on_route(method, template);
    }
    Ok(fault)
}

#[derive(Deserialize)]
struct RequestsQuery {
    operation: Option<String>,
}

async fn requests(State(store): State<Shared>, Query(q): Query<RequestsQuery>) -> Response {
    let filter = match q.operation.as_deref().map(route).transpose() {
        Ok(filter) => filter,
        Err(why) => return bad(&why),
    };
    let requests = lock(&store).requests.clone();
    let listed: Vec<Value> = requests
        .iter()
        .filter(|r| {
            filter.is_none_or(|(_, method, template)| {
                r.method == method && script::path_matches(template, script::v1_path(&r.uri))
            })
        })
        .map(|r| {
            let headers: serde_json::Map<String, Value> = r
                .headers
                .iter()
                .filter(|(_, value)| !value.is_sensitive())
                .map(|(name, value)| {
                    (name.to_string(), json!(String::from_utf8_lossy(value.as_bytes())))
                })
                .collect();
            json!({"method": r.method, "uri": r.uri, "headers": headers, "body": r.body, "matched": r.matched})
        })
        .collect();
    Json(json!({"requests": listed})).into_response()
}

async fn verify(State(store): State<Shared>) -> Response {
    match script::unmet(&store) {
        None => Json(json!({"ok": true})).into_response(),
        Some(report) => (
            StatusCode::CONFLICT,
            Json(json!({"ok": false, "report": report})),
        )
            .into_response(),
    }
}

async fn violations(State(store): State<Shared>) -> Response {
    let s = lock(&store);
    Json(json!({"violations": s.violations, "rejected": s.rejected})).into_response()
}

async fn reset(State(store): State<Shared>) -> Response {
    let mut s = lock(&store);
    s.mocks.clear();
    s.faults.clear();
    s.requests.clear();
    s.rejected.clear();
    s.violations.clear();
    StatusCode::NO_CONTENT.into_response()
}
