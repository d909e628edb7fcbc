//! `/batches`.

use crate::routes::{bad_request, missing};
use crate::store::{find, insert, new_id, now, page, update_in, ListQuery, Shared};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

pub(crate) async fn create_batch(State(store): State<Shared>, Json(body): Json<Value>) -> Response {
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
    let batch = insert(&store, "batches", batch);
    // The batch runs a moment, then completes (unless cancelled first).
    let (runner, id) = (
        store.clone(),
        batch["id"].as_str().unwrap_or_default().to_owned(),
    );
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let done = {
            let Ok(mut s) = runner.lock() else { return };
            let Some(item) = s
                .collections
                .get_mut("batches")
                .and_then(|b| b.iter_mut().find(|b| b["id"] == id.as_str()))
            else {
                return;
            };
            if item["status"] != "validating" {
                return;
            }
            item["status"] = json!("completed");
            item["completed_at"] = json!(now() + 60);
            item["output_file_id"] = item["input_file_id"].clone();
            item.clone()
        };
        crate::deliveries::emit(&runner, "batch.completed", done);
    });
    Json(batch).into_response()
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
    update_in(
        &store,
        "batches",
        &id,
        &json!({"status": "cancelling", "cancelling_at": now()}),
        "batch",
    )
}
