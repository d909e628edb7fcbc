//! `/batches`: batches that really run. Each line of the input file is
//! checked and executed through the same handler (and the same request
//! validation) as the live endpoint; the output and error files are written
//! as JSONL; `request_counts` move; the status goes `validating →
//! in_progress → finalizing → completed` (or `failed` for an input file
//! that is empty, not UTF-8 or over the line limit; `cancelling →
//! cancelled` with the partial output; `expired`). A line that is not a
//! request (not JSON, no custom id, another endpoint, a duplicate id, a
//! streamed request) goes to the error file as `invalid_request`.
//!
//! Test switches, as headers on the create call:
//! - `x-mock-batch-pace-ms: N`: wait N ms between lines and between
//!   statuses, so a test can watch the batch move (default 0);
//! - `x-mock-batch-expire-after: N`: the completion window runs out after N
//!   lines (the rest are `batch_expired` in the error file);
//! - `x-mock-batch-max-lines: N`: the most requests the batch takes
//!   (default [`MAX_LINES`]), for a job larger than the API's limit;
//! - `x-mock-batch-hold-after: N`: after N requests the batch stays
//!   `in_progress` until it is cancelled (for at most ten minutes), so a
//!   test can cancel it mid-way without racing it.
//!
//! A cancelled batch reports the requests it did not reach in its error
//! file (`batch_cancelled`), as an expired one does (`batch_expired`).

use crate::routes::{bad_request, missing};
use crate::store::{find, insert, new_id, now, page, update_in, ListQuery, Shared};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

/// The most requests a batch takes (OpenAI's limit, assumed: see
/// `openapi/DECISIONS.md`, "Batch lines").
pub const MAX_LINES: usize = 50_000;

pub(crate) async fn create_batch(
    State(store): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let input = body["input_file_id"].as_str().unwrap_or_default();
    if find(&store, "files", input).is_none() {
        return bad_request("'input_file_id' is not an uploaded file", "input_file_id");
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    // At most an hour: any header value is a valid wait.
    let pace = Duration::from_millis(header("x-mock-batch-pace-ms").unwrap_or(0).min(3_600_000));
    let expire_after = header("x-mock-batch-expire-after").map(|n| n as usize);
    let max_lines = header("x-mock-batch-max-lines").map_or(MAX_LINES, |n| n as usize);
    let hold_after = header("x-mock-batch-hold-after").map(|n| n as usize);
    let batch = json!({"id": new_id(&store, "batch_"), "object": "batch", "endpoint": body["endpoint"], "errors": null,
        "input_file_id": body["input_file_id"], "completion_window": body["completion_window"], "status": "validating",
        "output_file_id": null, "error_file_id": null, "created_at": now(), "expires_at": now() + 86400,
        "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": body.get("metadata").cloned().unwrap_or(json!({}))});
    let batch = insert(&store, "batches", batch);
    let id = batch["id"].as_str().unwrap_or_default().to_owned();
    tokio::spawn(run(
        store.clone(),
        id,
        Pacing {
            pace,
            expire_after,
            max_lines,
            hold_after,
        },
    ));
    Json(batch).into_response()
}

/// Sets fields of the batch; returns it as it now is, or `None` if gone.
fn set(store: &Shared, id: &str, fields: &[(&str, Value)]) -> Option<Value> {
    let mut s = crate::store::lock(store);
    let batch = s
        .collections
        .get_mut("batches")?
        .iter_mut()
        .find(|b| b["id"] == id)?;
    for (key, value) in fields {
        batch[*key] = value.clone();
    }
    Some(batch.clone())
}

fn status(store: &Shared, id: &str) -> Option<String> {
    find(store, "batches", id).and_then(|b| b["status"].as_str().map(str::to_owned))
}

/// Waits `pace` between steps, in short slices so that a cancel is seen at
/// once rather than after the whole wait.
async fn pause(store: &Shared, id: &str, pace: Duration) {
    if pace.is_zero() {
        tokio::task::yield_now().await;
        return;
    }
    let until = tokio::time::Instant::now() + pace;
    while tokio::time::Instant::now() < until {
        if status(store, id).as_deref() == Some("cancelling") {
            return;
        }
        let slice = until.saturating_duration_since(tokio::time::Instant::now());
        tokio::time::sleep(slice.min(Duration::from_millis(20))).await;
    }
}

/// Holds a batch where it is until it is cancelled (or gone), for at most
/// ten minutes.
async fn hold(store: &Shared, id: &str) {
    for _ in 0..60_000 {
        match status(store, id).as_deref() {
            Some("cancelling") | None => return,
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// The create call's test switches.
struct Pacing {
    pace: Duration,
    expire_after: Option<usize>,
    max_lines: usize,
    hold_after: Option<usize>,
}

/// A batch's life, from validation to its last status.
async fn run(store: Shared, id: String, pacing: Pacing) {
    let Pacing {
        pace,
        expire_after,
        max_lines,
        hold_after,
    } = pacing;
    pause(&store, &id, pace).await;
    let Some(batch) = find(&store, "batches", &id) else {
        return;
    };
    let endpoint = batch["endpoint"].as_str().unwrap_or_default().to_owned();
    let input_id = batch["input_file_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let content = crate::store::lock(&store)
        .file_content
        .get(&input_id)
        .cloned();
    let fail = |message: &str| {
        let errors = json!({"object": "list", "data": [{"code": "invalid_file", "message": message, "param": "input_file_id", "line": null}]});
        set(
            &store,
            &id,
            &[
                ("status", json!("failed")),
                ("failed_at", json!(now() + 1)),
                ("errors", errors),
            ],
        );
    };
    let Some((_, bytes)) = content else {
        return fail("the input file has no content");
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return fail("the input file is not UTF-8 text");
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return fail("the input file has no requests");
    }
    if lines.len() > max_lines {
        return fail(&format!(
            "the input file has {} requests; a batch takes at most {max_lines}",
            lines.len()
        ));
    }
    let total = lines.len();
    if status(&store, &id).as_deref() == Some("validating") {
        set(
            &store,
            &id,
            &[
                ("status", json!("in_progress")),
                ("in_progress_at", json!(now() + 1)),
                (
                    "request_counts",
                    json!({"total": total, "completed": 0, "failed": 0}),
                ),
            ],
        );
    }
    let (mut output, mut errors) = (String::new(), String::new());
    let (mut completed, mut failed) = (0usize, 0usize);
    let mut seen = std::collections::HashSet::new();
    let mut ended = "completed";
    for (i, line) in lines.iter().enumerate() {
        if hold_after == Some(i) {
            hold(&store, &id).await;
        }
        let stop = match status(&store, &id).as_deref() {
            None => return,
            Some("cancelling") => Some(("cancelled", "batch_cancelled", "cancelled")),
            _ if expire_after == Some(i) => Some(("expired", "batch_expired", "expired")),
            _ => None,
        };
        if let Some((status, code, why)) = stop {
            // The requests not reached are reported, not dropped.
            ended = status;
            for rest in &lines[i..] {
                let custom_id = serde_json::from_str::<Value>(rest)
                    .ok()
                    .and_then(|v| v["custom_id"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                let message = format!("the batch was {why} before this request ran");
                push_error(&store, &mut errors, &custom_id, code, &message);
                failed += 1;
            }
            break;
        }
        match check_line(line, &endpoint, &mut seen) {
            Err((custom_id, message)) => {
                push_error(&store, &mut errors, &custom_id, "invalid_request", &message);
                failed += 1;
            }
            Ok((custom_id, body)) => {
                let (status_code, response) = execute(&store, &endpoint, body).await;
                let line = json!({"id": new_id(&store, "batch_req_"), "custom_id": custom_id,
                    "response": {"status_code": status_code, "request_id": new_id(&store, "req_"), "body": response},
                    "error": null});
                output.push_str(&line.to_string());
                output.push('\n');
                if (200..300).contains(&status_code) {
                    completed += 1;
                } else {
                    failed += 1;
                }
            }
        }
        set(
            &store,
            &id,
            &[(
                "request_counts",
                json!({"total": total, "completed": completed, "failed": failed}),
            )],
        );
        pause(&store, &id, pace).await;
    }
    if ended == "completed" {
        set(
            &store,
            &id,
            &[
                ("status", json!("finalizing")),
                ("finalizing_at", json!(now() + 2)),
            ],
        );
        pause(&store, &id, pace).await;
    }
    let output_id = (!output.is_empty()).then(|| write_file(&store, &id, "output", output));
    let error_id = (!errors.is_empty()).then(|| write_file(&store, &id, "errors", errors));
    let counts = json!({"total": total, "completed": completed, "failed": failed});
    // Read and written under one lock: a cancel that lands now is not lost.
    let done = {
        let mut s = crate::store::lock(&store);
        let Some(batch) = s
            .collections
            .get_mut("batches")
            .and_then(|all| all.iter_mut().find(|b| b["id"] == id))
        else {
            return;
        };
        if batch["status"] == "cancelling" {
            // Cancelled after the last request ran: every request has its line.
            ended = "cancelled";
        }
        batch["status"] = json!(ended);
        batch[format!("{ended}_at")] = json!(now() + 3);
        batch["output_file_id"] = json!(output_id);
        batch["error_file_id"] = json!(error_id);
        batch["request_counts"] = counts;
        Some(batch.clone())
    };
    if let (Some(done), "completed") = (done, ended) {
        crate::deliveries::emit(&store, "batch.completed", done);
    }
}

/// A line's custom id and body, or why it cannot run (with whatever custom
/// id it had).
fn check_line(
    line: &str,
    endpoint: &str,
    seen: &mut std::collections::HashSet<String>,
) -> Result<(String, Value), (String, String)> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| (String::new(), format!("the line is not JSON: {e}")))?;
    let custom_id = value["custom_id"].as_str().unwrap_or_default().to_owned();
    let refuse = |message: String| Err((custom_id.clone(), message));
    if custom_id.is_empty() {
        return refuse("'custom_id' is required".into());
    }
    if value["method"] != "POST" {
        return refuse("'method' must be POST".into());
    }
    if value["url"] != endpoint {
        return refuse(format!("'url' must be the batch's endpoint, {endpoint}"));
    }
    if !value["body"].is_object() {
        return refuse("'body' must be an object".into());
    }
    if value["body"]["stream"] == true {
        return refuse("a batch's requests cannot be streamed".into());
    }
    if !seen.insert(custom_id.clone()) {
        return refuse(format!("'custom_id' {custom_id:?} is used twice"));
    }
    Ok((custom_id, value["body"].clone()))
}

fn push_error(store: &Shared, errors: &mut String, custom_id: &str, code: &str, message: &str) {
    let line = json!({"id": new_id(store, "batch_req_"), "custom_id": custom_id, "response": null,
        "error": {"code": code, "message": message}});
    errors.push_str(&line.to_string());
    errors.push('\n');
}

/// Runs one request as the live endpoint does: the body validated against
/// the spec (a 422 naming the field when it does not conform), then the
/// endpoint's handler. Returns the status and the JSON body.
async fn execute(store: &Shared, endpoint: &str, body: Value) -> (u16, Value) {
    if let Some(op) = crate::conformance::Spec::get().find("POST", endpoint) {
        if let Some(rejection) = crate::gate::check_request(op, false, b"{}", &Some(body.clone())) {
            return read(rejection.0).await;
        }
    }
    let response = match endpoint {
        "/v1/chat/completions" => {
            super::chat::chat(State(store.clone()), HeaderMap::new(), Json(body)).await
        }
        "/v1/completions" => {
            super::completions::completions(State(store.clone()), Json(body)).await
        }
        "/v1/embeddings" => super::embeddings::embeddings(Json(body)).await,
        other => {
            return (
                400,
                json!({"error": {"message": format!("{other} cannot be batched"), "type": "invalid_request_error", "code": "invalid_value", "param": "url"}}),
            )
        }
    };
    read(response).await
}

async fn read(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Stores a batch's output or error file; returns its id.
fn write_file(store: &Shared, batch_id: &str, kind: &str, content: String) -> String {
    let id = new_id(store, "file-");
    let bytes = bytes::Bytes::from(content);
    let size = bytes.len() as u64;
    {
        let mut s = crate::store::lock(store);
        s.file_content.insert(id.clone(), (size, bytes));
    }
    let file = json!({"id": id, "object": "file", "bytes": size, "created_at": now(),
        "filename": format!("{batch_id}_{kind}.jsonl"), "purpose": "batch_output", "status": "processed"});
    insert(store, "files", file);
    id
}

pub(crate) async fn list_batches(
    State(store): State<Shared>,
    Query(q): Query<ListQuery>,
) -> Response {
    page(&store, "batches", &q, |_| true)
}

pub(crate) async fn get_batch(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    find(&store, "batches", &id).map_or_else(|| missing("batch", &id), |b| Json(b).into_response())
}

pub(crate) async fn cancel_batch(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    // Only a batch still running can be cancelled; a finished one stays.
    match status(&store, &id).as_deref() {
        None => missing("batch", &id),
        Some("validating" | "in_progress" | "finalizing") => update_in(
            &store,
            "batches",
            &id,
            &json!({"status": "cancelling", "cancelling_at": now()}),
            "batch",
        ),
        Some(_) => get_batch(State(store), Path(id)).await,
    }
}
