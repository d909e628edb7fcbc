//! The gate every request passes: it is recorded, its key checked, faults
//! injected on request, its body validated against the spec, and the
//! response validated on its way out.

use crate::routes::error_body;
use crate::store::{lock, Recorded, Shared};
use crate::{conformance, fault, script};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt as _;
use serde_json::{json, Value};
use std::time::Duration;

/// The largest JSON (non-multipart) request body the server reads.
const MAX_JSON_BODY: usize = 64 << 20;

/// Records the request, checks the key, injects faults, answers from a
/// mock or the fake, adds the standard headers.
pub(crate) async fn gate(
    State(store): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let is_multipart = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/"));
    // Multipart bodies are streamed to the handler untouched (uploads can be large).
    let (body, raw_body, json_body) = if is_multipart {
        (body, bytes::Bytes::new(), None)
    } else {
        // Over the limit (or broken off), the request is answered 413 and
        // goes no further: never read as an empty body.
        let Ok(bytes) = axum::body::to_bytes(body, MAX_JSON_BODY).await else {
            return error_body(
                StatusCode::PAYLOAD_TOO_LARGE,
                "tensoras-mock: the request body is over 64 MiB or broke off",
                "invalid_request_error",
                "request_too_large",
            );
        };
        let json = serde_json::from_slice::<Value>(&bytes).ok();
        (Body::from(bytes.clone()), bytes, json)
    };
    // No key or other secret shows in a `Debug` of what was received.
    for (name, value) in parts.headers.iter_mut() {
        if crate::store::is_secret_header(name.as_str()) {
            value.set_sensitive(true);
        }
    }
    let method = parts.method.as_str().to_owned();
    let path = script::v1_path(parts.uri.path()).to_owned();
    let (request_number, checked, auth_ok, head_faults, recording) = {
        let mut s = lock(&store);
        // Recording, the upstream checks the caller's own key.
        let recording = matches!(s.cassette, Some(crate::cassette::Mode::Record { .. }));
        let auth_ok = recording
            || parts
                .headers
                .get("authorization")
                .is_some_and(|v| v.as_bytes() == format!("Bearer {}", s.api_key).as_bytes());
        // A request the key turns away uses up no fault.
        let head_faults = if auth_ok {
            fault::take(&mut s, fault::Stage::Head, &method, &path)
        } else {
            Vec::new()
        };
        // Numbered for good: a `reset()` clears the list, not the count.
        s.received += 1;
        let number = s.received;
        s.requests.push(Recorded {
            method: method.clone(),
            uri: parts.uri.to_string(),
            headers: parts.headers.clone(),
            body: json_body.clone(),
            matched: None,
            number,
        });
        (number, !s.unchecked, auth_ok, head_faults, recording)
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
    let mut failure = None;
    for kind in head_faults {
        match kind {
            fault::Kind::StallBeforeHead(pause) => tokio::time::sleep(pause).await,
            fault::Kind::Status {
                status,
                retry_after,
            } => failure = Some(fault::failure(status, retry_after)),
            _ => {}
        }
    }
    // Recording, the upstream checks the caller's own key.
    let operation = checked
        .then(|| conformance::Spec::get().find(&method, parts.uri.path()))
        .flatten();
    let mut response = if !auth_ok {
        error_body(
            StatusCode::UNAUTHORIZED,
            "Invalid API key provided.",
            "authentication_error",
            "invalid_api_key",
        )
    } else if let Some(failure) = failure {
        failure
    } else if let Some(fault) = header_fault(&store, &header, parts.uri.path()) {
        fault
    } else {
        let stream_fault = header("x-mock-stream").is_some();
        let nonconformant = header("x-mock-nonconformant").is_some();
        match operation.and_then(|op| check_request(op, is_multipart, &raw_body, &json_body)) {
            Some((rejection, why)) => {
                lock(&store).rejected.push(why);
                rejection
            }
            None => {
                // A mock takes the request only now: one the key, a fault
                // or the spec check turned away is not a mock's hit.
                let scripted = {
                    let incoming = script::Incoming {
                        path: &path,
                        headers: &parts.headers,
                        body: json_body.as_ref(),
                    };
                    let candidates = script::candidates(&lock(&store), &method, &path);
                    let mut taken = None;
                    for (id, conditions) in candidates {
                        match script::holds(&conditions, &incoming) {
                            Ok(true) => {}
                            Ok(false) => continue,
                            Err(why) => {
                                lock(&store).violations.push(why);
                                continue;
                            }
                        }
                        let mut s = lock(&store);
                        if let Some(answer) = script::claim(&mut s, id) {
                            if let Some(record) = s
                                .requests
                                .iter_mut()
                                .rev()
                                .find(|r| r.number == request_number)
                            {
                                record.matched = Some(id);
                            }
                            taken = answer;
                            break;
                        }
                    }
                    taken
                };
                let response = match scripted {
                    Some(answer) => {
                        if !answer.delay.is_zero() {
                            tokio::time::sleep(answer.delay).await;
                        }
                        let body = json_body.clone().unwrap_or(Value::Null);
                        crate::routes::scripted(&store, &body, answer)
                    }
                    None if recording => {
                        crate::cassette::record(&store, &parts, body, json_body.clone()).await
                    }
                    None => match crate::cassette::answer(
                        &store,
                        &method,
                        &parts.uri,
                        json_body.as_ref(),
                    ) {
                        Some(replayed) => replayed,
                        None => {
                            next.run(axum::extract::Request::from_parts(parts, body))
                                .await
                        }
                    },
                };
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
    let is_stream = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    let (stream_faults, header_faults) = {
        let mut s = lock(&store);
        let stream_faults = if is_stream {
            fault::take(&mut s, fault::Stage::Stream, &method, &path)
        } else {
            Vec::new()
        };
        let header_faults = if auth_ok {
            fault::take(&mut s, fault::Stage::Headers, &method, &path)
        } else {
            Vec::new()
        };
        (stream_faults, header_faults)
    };
    let headers = response.headers_mut();
    headers.insert(
        "x-request-id",
        HeaderValue::from_str(&format!("req_{request_number:06}")).expect("ascii"),
    );
    headers.insert("x-ratelimit-limit", HeaderValue::from_static("600"));
    headers.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(600u64.saturating_sub(request_number)),
    );
    headers.insert("x-ratelimit-reset", HeaderValue::from_static("1708200120"));
    fault::rate_limit_headers(&mut response, &header_faults);
    fault::shape_stream(response, stream_faults)
}

/// A 422 naming every place where the body does not conform to the spec's
/// request schema, or `None` when it conforms.
/// The 422 also comes back as text for [`crate::MockServer::rejected`].
pub(crate) fn check_request(
    op: &conformance::Operation,
    is_multipart: bool,
    raw: &[u8],
    json: &Option<Value>,
) -> Option<(Response, String)> {
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
    let response = (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(
            json!({"error": {"message": message, "type": "invalid_request_error",
            "code": "validation_error", "param": (!param.is_empty()).then_some(param),
            "details": details}}),
        ),
    )
        .into_response();
    Some((response, message))
}

/// Validates a response the handler produced against the spec; a JSON body
/// is buffered and checked at once, an event stream event by event as it
/// goes out. What does not conform is recorded (see [`Server::violations`]).
pub(crate) async fn check_response(
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
            {
                let mut s = crate::store::lock(&store);
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

/// The faults a request asks for with `x-mock-*` headers (see the
/// crate's `control` docs), for clients that cannot reach the API.
pub(crate) fn header_fault(
    store: &Shared,
    header: &dyn Fn(&str) -> Option<String>,
    path: &str,
) -> Option<Response> {
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
    // `x-mock-fault-path`: only requests to that path fail (a client's
    // options go on every call; this picks one of them).
    if header("x-mock-fault-path").is_some_and(|only| only != path) {
        return None;
    }
    if let Some(times) = header("x-mock-fail-times").and_then(|v| v.parse::<u32>().ok()) {
        let key = header("x-mock-key").unwrap_or_default();
        let mut s = lock(store);
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
    if let Some(v) = header("x-mock-should-retry").and_then(|v| HeaderValue::from_str(&v).ok()) {
        response.headers_mut().insert("x-should-retry", v);
    }
    Some(response)
}
