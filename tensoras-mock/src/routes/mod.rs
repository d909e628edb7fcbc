//! The routes of the local server, one module per resource, and the error
//! answers they share.

mod batches;
mod chat;
mod completions;
mod embeddings;
mod files;
mod knowledge_bases;
mod models;
mod rerank;
mod responses;
mod webhooks;

pub use embeddings::embed;

use crate::store::Shared;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

pub(crate) fn router(store: Shared) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat::chat))
        .route("/v1/completions", post(completions::completions))
        .route("/v1/embeddings", post(embeddings::embeddings))
        .route("/v1/rerank", post(rerank::rerank))
        .route("/v1/models", get(models::models))
        .route("/v1/models/{id}", get(models::model))
        .route("/v1/files", post(files::upload).get(files::list_files))
        .route(
            "/v1/files/{id}",
            get(files::get_file).delete(files::delete_file),
        )
        .route("/v1/files/{id}/content", get(files::file_content))
        .route(
            "/v1/batches",
            post(batches::create_batch).get(batches::list_batches),
        )
        .route("/v1/batches/{id}", get(batches::get_batch))
        .route("/v1/batches/{id}/cancel", post(batches::cancel_batch))
        .route(
            "/v1/knowledge-bases",
            post(knowledge_bases::create_kb).get(knowledge_bases::list_kbs),
        )
        .route(
            "/v1/knowledge-bases/{id}",
            get(knowledge_bases::get_kb)
                .patch(knowledge_bases::update_kb)
                .delete(knowledge_bases::delete_kb),
        )
        .route(
            "/v1/knowledge-bases/{id}/data-sources",
            post(knowledge_bases::create_ds).get(knowledge_bases::list_ds),
        )
        .route(
            "/v1/knowledge-bases/{id}/data-sources/{ds}",
            get(knowledge_bases::get_ds).delete(knowledge_bases::delete_ds),
        )
        .route(
            "/v1/knowledge-bases/{id}/documents",
            get(knowledge_bases::list_docs),
        )
        .route(
            "/v1/knowledge-bases/{id}/documents/{doc}",
            get(knowledge_bases::get_doc).delete(knowledge_bases::delete_doc),
        )
        .route(
            "/v1/knowledge-bases/{id}/retrieve",
            post(knowledge_bases::retrieve),
        )
        .route(
            "/v1/knowledge-bases/{id}/ingestion-jobs",
            get(knowledge_bases::list_jobs),
        )
        .route(
            "/v1/knowledge-bases/{id}/ingestion-jobs/{job}",
            get(knowledge_bases::get_job),
        )
        .route("/v1/responses", post(responses::create_response))
        .route("/v1/responses/{id}", get(responses::get_response))
        .route(
            "/v1/webhooks",
            post(webhooks::create_webhook).get(webhooks::list_webhooks),
        )
        .route(
            "/v1/webhooks/{id}",
            get(webhooks::get_webhook)
                .patch(webhooks::update_webhook)
                .delete(webhooks::delete_webhook),
        )
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            store.clone(),
            crate::gate::gate,
        ))
        .layer(DefaultBodyLimit::max(2 << 30))
        .with_state(store.clone())
        // The control endpoint: outside the gate (no key, not recorded).
        .merge(crate::control::router(store))
}

/// An event stream of `frames`, one network write each after `pause`, so a
/// client's reads really are split.
pub(crate) fn event_stream(frames: Vec<String>, pause: std::time::Duration) -> Response {
    use futures::StreamExt as _;
    let stream = futures::stream::iter(frames).then(move |frame| async move {
        tokio::time::sleep(pause).await;
        Ok::<_, std::convert::Infallible>(bytes::Bytes::from(frame))
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(axum::body::Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// An event stream of `frames`, each sent after its pause; `cut`, the
/// connection drops after them instead of ending the stream.
pub(crate) fn paced_stream(
    status: StatusCode,
    content_type: &str,
    frames: Vec<(std::time::Duration, String)>,
    cut: bool,
) -> Response {
    use futures::StreamExt as _;
    let stream = futures::stream::iter(frames)
        .then(|(pause, frame)| async move {
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            Ok::<_, std::io::Error>(bytes::Bytes::from(frame))
        })
        .chain(futures::stream::iter(cut.then(|| {
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "tensoras-mock: the recorded stream broke off here",
            ))
        })));
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-cache")
        .body(axum::body::Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

pub(crate) fn error_body(status: StatusCode, message: &str, kind: &str, code: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": kind, "code": code, "param": null}})),
    )
        .into_response()
}

pub(crate) async fn not_found(uri: Uri) -> Response {
    error_body(
        StatusCode::NOT_FOUND,
        &format!("no route for {}", uri.path()),
        "not_found_error",
        "not_found",
    )
}

pub(crate) fn bad_request(message: &str, param: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {"message": message, "type": "invalid_request_error", "code": "invalid_value", "param": param}})),
    )
        .into_response()
}

pub(crate) fn missing(kind: &str, id: &str) -> Response {
    error_body(
        StatusCode::NOT_FOUND,
        &format!("No {kind} with id '{id}'."),
        "not_found_error",
        "not_found",
    )
}

/// The response of a mock's scripted reply to a request with this JSON body.
pub(crate) fn scripted(
    store: &Shared,
    body: &serde_json::Value,
    answer: crate::script::Answer,
) -> Response {
    use crate::script::Body;
    let mut problems = answer.problems;
    let mut response = match answer.body {
        // 1xx is not a final answer: hyper would turn it into a broken 500.
        Body::Json { status, body } => match StatusCode::from_u16(status) {
            Ok(status) if status.as_u16() >= 200 => (status, Json(body)).into_response(),
            _ => {
                let why = format!(
                    "tensoras-mock: a scripted reply has the status {status}, which is not a final HTTP status"
                );
                problems.push(why.clone());
                error_body(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &why,
                    "server_error",
                    "invalid_mock",
                )
            }
        },
        Body::Events { events, pace, done } => {
            let mut frames: Vec<String> = events.iter().map(|e| format!("data: {e}\n\n")).collect();
            if done {
                frames.push("data: [DONE]\n\n".into());
            }
            event_stream(frames, pace)
        }
        Body::Chat { message, finish } => chat::answer(
            store,
            &axum::http::HeaderMap::new(),
            body,
            message,
            &finish,
            Vec::new(),
        ),
    };
    for (name, value) in answer.headers {
        response.headers_mut().append(name, value);
    }
    if !problems.is_empty() {
        crate::store::lock(store).violations.extend(problems);
    }
    response
}
