//! `POST /chat/completions`: deterministic replies derived from the request, streamed or not, with tool calls, JSON modes and citations.

use crate::routes::bad_request;
use crate::store::{new_id, now, Shared};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

pub(crate) fn last_user_text(body: &Value) -> String {
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

pub(crate) fn chat_reply(body: &Value) -> (Value, &'static str, Vec<Value>) {
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
pub(crate) fn cite_documents(store: &Shared, body: &Value, citations: &mut [Value]) {
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
pub(crate) fn sample_for_schema(schema: &Value, question: &str) -> Value {
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

pub(crate) fn usage(body: &Value, completion_tokens: usize) -> Value {
    let prompt = body.to_string().split_whitespace().count().max(1);
    json!({"prompt_tokens": prompt, "completion_tokens": completion_tokens, "total_tokens": prompt + completion_tokens})
}

pub(crate) async fn chat(
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

pub(crate) fn chat_stream(
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
    crate::routes::event_stream(frames, Duration::from_millis(2))
}
