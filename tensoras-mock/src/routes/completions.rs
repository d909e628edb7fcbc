//! `POST /completions`.

use super::chat::usage;
use crate::routes::bad_request;
use crate::store::{new_id, now, Shared};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

pub(crate) async fn completions(State(store): State<Shared>, Json(body): Json<Value>) -> Response {
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
