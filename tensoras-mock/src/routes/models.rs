//! `GET /models`, `GET /models/{id}`.

use crate::routes::error_body;
use crate::store::now;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

pub(crate) fn model_list() -> Vec<Value> {
    [("llama-3.3-70b", "meta", 131072), ("llama-3.1-8b", "meta", 131072), ("qwen-3-32b", "alibaba", 32768)]
        .iter()
        .map(|(id, owner, ctx)| {
            json!({"id": id, "object": "model", "created": now(), "owned_by": owner,
                "capabilities": {"chat_completion": true, "completion": true, "function_calling": true, "json_mode": true, "streaming": true},
                "context_length": ctx, "pricing": {"prompt": 0.0008, "completion": 0.0008, "unit": "per_1k_tokens"}})
        })
        .collect()
}

pub(crate) async fn models() -> Response {
    Json(json!({"object": "list", "data": model_list()})).into_response()
}

pub(crate) async fn model(Path(id): Path<String>) -> Response {
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
