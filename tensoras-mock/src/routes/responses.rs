//! `/responses`: a deterministic "tool loop". With a `file_search` tool the
//! loop first searches the named knowledge bases (a `file_search_call` item
//! with the matching documents as results), then answers. With
//! `stream: true` the same response arrives as the OpenAI Responses event
//! family (`event:` line and `type` alike), ending after `response.completed`.
//!
//! `x-mock-stream` breaks a stream: `cut` (the body ends before the final
//! event), `error` (an `error` event instead of the answer), `unknown` (an
//! event of a type the spec does not know, before the answer).

use crate::routes::{bad_request, missing};
use crate::store::{find, insert, new_id, now, Shared};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

fn input_text(body: &Value) -> Option<String> {
    match &body["input"] {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .rev()
                .find(|m| m["role"] == "user")
                .and_then(|m| m["content"].as_str())
                .unwrap_or_default()
                .to_owned(),
        ),
        _ => None,
    }
}

/// The `file_search_call` item for the request's `file_search` tool, if it has one.
fn file_search(store: &Shared, body: &Value, question: &str) -> Option<Value> {
    let tool = body["tools"]
        .as_array()?
        .iter()
        .find(|t| t["type"] == "file_search")?;
    // The same retrieval as `/knowledge-bases/{id}/retrieve`: the uploaded
    // documents' passages that share the most words with the question.
    let results: Vec<Value> = tool["knowledge_base_ids"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .flat_map(|kb| super::knowledge_bases::search(store, kb, question, 5))
        .map(|c| {
            json!({"chunk_id": c["id"], "score": c["score"], "text": c["text"],
                "document_id": c["document_id"], "document_name": c["document_name"], "source": c["source"],
                "source_type": c["source_type"]})
        })
        .collect();
    Some(
        json!({"type": "file_search_call", "id": new_id(store, "fs_"), "status": "completed",
        "queries": [question], "results": results}),
    )
}

pub(crate) async fn create_response(
    State(store): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let Some(question) = input_text(&body) else {
        return bad_request("'input' is required", "input");
    };
    let mut output = Vec::new();
    if let Some(search) = file_search(&store, &body, &question) {
        output.push(search);
    }
    let text = format!("Answer to: {question}");
    let message = json!({"type": "message", "id": new_id(&store, "msg_"), "role": "assistant",
        "status": "completed", "content": [{"type": "output_text", "text": text, "annotations": []}]});
    output.push(message);
    let id = new_id(&store, "resp_");
    let usage = json!({"input_tokens": 10, "output_tokens": 4, "total_tokens": 14});
    let response = json!({"id": id, "object": "response", "created_at": now(), "model": body["model"],
        "status": "completed", "output": output, "output_text": text, "usage": usage});
    insert(&store, "responses", response.clone());
    if body["stream"] == true {
        return stream(&headers, response);
    }
    Json(response).into_response()
}

/// The events of `whole`, one per network write.
fn stream(headers: &HeaderMap, whole: Value) -> Response {
    let mut sequence = 0u64;
    let mut frames: Vec<String> = Vec::new();
    let mut event = |mut data: Value| {
        data["sequence_number"] = json!(sequence);
        sequence += 1;
        let name = data["type"].as_str().unwrap_or_default().to_owned();
        frames.push(format!("event: {name}\ndata: {data}\n\n"));
    };
    let skeleton = |status: &str| {
        let mut r = whole.clone();
        r["status"] = json!(status);
        r["output"] = json!([]);
        r.as_object_mut().map(|o| {
            o.remove("output_text");
            o.remove("usage")
        });
        r
    };
    event(json!({"type": "response.created", "response": skeleton("in_progress")}));
    event(json!({"type": "response.in_progress", "response": skeleton("in_progress")}));
    let fault = headers
        .get("x-mock-stream")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if fault.as_deref() == Some("unknown") {
        event(json!({"type": "response.reasoning.delta", "output_index": 0, "delta": "thinking"}));
    }
    if fault.as_deref() == Some("error") {
        event(
            json!({"type": "error", "code": "overloaded", "message": "model overloaded", "param": null}),
        );
        return crate::routes::event_stream(frames, Duration::from_millis(1));
    }
    let items = whole["output"].as_array().cloned().unwrap_or_default();
    for (index, item) in items.iter().enumerate() {
        if item["type"] != "message" {
            event(
                json!({"type": "response.output_item.added", "output_index": index, "item": item}),
            );
            if item["type"] == "file_search_call" {
                for stage in ["in_progress", "searching", "completed"] {
                    event(json!({"type": format!("response.file_search_call.{stage}"),
                        "item_id": item["id"], "output_index": index}));
                }
            }
            event(
                json!({"type": "response.output_item.done", "output_index": index, "item": item}),
            );
            continue;
        }
        let mut empty = item.clone();
        empty["content"] = json!([]);
        empty["status"] = json!("in_progress");
        event(json!({"type": "response.output_item.added", "output_index": index, "item": empty}));
        let text = item["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        event(
            json!({"type": "response.content_part.added", "item_id": item["id"], "output_index": index,
            "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}),
        );
        for word in text.split_inclusive(' ') {
            event(
                json!({"type": "response.output_text.delta", "item_id": item["id"], "output_index": index,
                "content_index": 0, "delta": word}),
            );
        }
        event(
            json!({"type": "response.output_text.done", "item_id": item["id"], "output_index": index,
            "content_index": 0, "text": text}),
        );
        event(
            json!({"type": "response.content_part.done", "item_id": item["id"], "output_index": index,
            "content_index": 0, "part": item["content"][0]}),
        );
        event(json!({"type": "response.output_item.done", "output_index": index, "item": item}));
    }
    event(json!({"type": "response.completed", "response": whole}));
    if fault.as_deref() == Some("cut") {
        frames.pop();
    }
    crate::routes::event_stream(frames, Duration::from_millis(1))
}

pub(crate) async fn get_response(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    find(&store, "responses", &id)
        .map_or_else(|| missing("response", &id), |r| Json(r).into_response())
}
