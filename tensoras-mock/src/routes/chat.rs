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

pub(crate) fn chat_reply(store: &Shared, body: &Value) -> (Value, &'static str, Vec<Value>) {
    let question = last_user_text(body);
    let has_tool_result = body["messages"]
        .as_array()
        .is_some_and(|m| m.iter().any(|m| m["role"] == "tool"));
    if let (Some(tool), false) = (
        body["tools"].as_array().and_then(|t| t.first()),
        has_tool_result,
    ) {
        let name = tool["function"]["name"].as_str().unwrap_or("tool");
        // Every required argument, nested types through `$ref`, enums: the
        // arguments parse as the tool's type.
        let parameters = &tool["function"]["parameters"];
        let arguments = if parameters.is_object() {
            crate::schema::sample(parameters, &question)
        } else {
            json!({ "input": question })
        }
        .to_string();
        let message = json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_000001", "type": "function", "function": {"name": name, "arguments": arguments}}
        ]});
        return (message, "tool_calls", vec![]);
    }
    let format = body["response_format"]["type"].as_str().unwrap_or("text");
    let content = match format {
        "json_object" => json!({"answer": question, "length": question.len()}).to_string(),
        "json_schema" => {
            crate::schema::sample(&body["response_format"]["json_schema"]["schema"], &question)
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
        _ => phrase(store, &question),
    };
    // Grounded: the knowledge bases' best passages for the question, cited,
    // and the best one quoted in the answer.
    let kbs: Vec<&str> = body["knowledge_bases"]
        .as_array()
        .map(|kbs| kbs.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut passages: Vec<Value> = kbs
        .iter()
        .flat_map(|kb| super::knowledge_bases::search(store, kb, &question, 3))
        .collect();
    passages.sort_by(|a, b| {
        b["score"]
            .as_f64()
            .partial_cmp(&a["score"].as_f64())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    passages.truncate(3);
    let citations: Vec<Value> = passages
        .iter()
        .map(|p| json!({"source": p["source"], "text": p["text"], "score": p["score"]}))
        .collect();
    let content = match (format, citations.first()) {
        ("text", Some(best)) if !has_tool_result => format!(
            "According to {}: {}",
            best["source"].as_str().unwrap_or_default(),
            best["text"].as_str().unwrap_or_default()
        ),
        _ => content,
    };
    (
        json!({"role": "assistant", "content": content}),
        "stop",
        citations,
    )
}

/// The fake's plain answer: the question echoed, in a phrasing the server's
/// seed picks (seed 0: `You asked: …`).
fn phrase(store: &Shared, question: &str) -> String {
    const OPENERS: [&str; 4] = ["You asked", "Your question", "On the question", "Asked"];
    let seed = crate::store::lock(store).seed;
    let opener = OPENERS[(seed % OPENERS.len() as u64) as usize];
    format!("{opener}: {question}")
}

/// The middle of `text`, moved back to a character boundary (a split of
/// non-ASCII text never panics).
fn half(text: &str) -> usize {
    (0..=text.len() / 2)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

/// The completion tokens of a message: its content's words, or its tool
/// calls' argument words, at least one. Streamed or not, an answer counts
/// the same.
pub(crate) fn completion_tokens(message: &Value) -> usize {
    let words = |text: &str| text.split_whitespace().count();
    let count = match message["tool_calls"].as_array() {
        Some(calls) => calls
            .iter()
            .map(|c| words(c["function"]["arguments"].as_str().unwrap_or_default()))
            .sum(),
        None => words(message["content"].as_str().unwrap_or_default()),
    };
    count.max(1)
}

/// Usage as the API reports it: prompt tokens are the words of what was
/// asked (messages, prompt or input), so a request counts the same
/// streamed or not.
pub(crate) fn usage(body: &Value, completion_tokens: usize) -> Value {
    fn words(value: &Value) -> usize {
        match value {
            Value::String(s) => s.split_whitespace().count(),
            Value::Array(items) => items.iter().map(words).sum(),
            Value::Object(members) => members.values().map(words).sum(),
            _ => 0,
        }
    }
    let prompt = ["messages", "prompt", "input"]
        .iter()
        .map(|key| words(&body[*key]))
        .sum::<usize>()
        .max(1);
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
    let (message, finish, citations) = chat_reply(&store, &body);
    answer(&store, &headers, &body, message, finish, citations)
}

/// Answers a chat request with `message`: whole, or streamed when the
/// request asked for a stream.
pub(crate) fn answer(
    store: &Shared,
    headers: &HeaderMap,
    body: &Value,
    message: Value,
    finish: &str,
    citations: Vec<Value>,
) -> Response {
    let id = new_id(store, "chatcmpl-");
    let model = body["model"].clone();
    if body["stream"] == true {
        return chat_stream(headers, body, id, model, message, finish, citations);
    }
    let tokens = completion_tokens(&message);
    let mut out = json!({"id": id, "object": "chat.completion", "created": now(), "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage(body, tokens)});
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
            let (a, b) = args.split_at(half(args));
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
            "choices": [], "usage": usage(body, completion_tokens(&message))});
        frames.push(format!("data: {usage_chunk}\n\n"));
    }
    match headers.get("x-mock-stream").and_then(|v| v.to_str().ok()) {
        Some("cut") => {
            let last = frames.pop().unwrap_or_default();
            frames.push(last[..half(&last)].to_owned());
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

#[cfg(test)]
mod tests {
    #[test]
    fn halves_fall_on_character_boundaries() {
        for text in ["", "a", "ab", "日本語", "{\"q\":\"日本語\"}", "é"] {
            let at = super::half(text);
            assert!(text.is_char_boundary(at), "{text}");
            assert!(at <= text.len() / 2, "{text}");
        }
        assert_eq!(super::half("abcd"), 2);
        assert_eq!(super::half("日本"), 3);
    }
}
