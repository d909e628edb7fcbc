//! `/webhooks`.

use crate::routes::{bad_request, missing};
use crate::store::{delete_from, find, insert, new_id, now, page, update_in, ListQuery, Shared};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

pub(crate) async fn create_webhook(
    State(store): State<Shared>,
    Json(body): Json<Value>,
) -> Response {
    if body["url"].as_str().is_none() || body["events"].as_array().is_none_or(Vec::is_empty) {
        return bad_request("'url' and 'events' are required", "url");
    }
    let id = new_id(&store, "wh_");
    let hook = json!({"id": id, "object": "webhook", "url": body["url"], "events": body["events"],
        "status": "active", "description": body.get("description").cloned().unwrap_or(Value::Null), "created_at": now()});
    let mut created = insert(&store, "webhooks", hook);
    // The caller's secret, or one generated now and shown only in this answer.
    let secret = match body["secret"].as_str() {
        Some(secret) => secret.to_owned(),
        None => {
            let secret = format!("whsec_generated_{id}");
            created["secret"] = json!(secret);
            secret
        }
    };
    {
        let mut s = crate::store::lock(&store);
        s.secrets.insert(id, secret);
    }
    Json(created).into_response()
}

pub(crate) async fn list_webhooks(
    State(store): State<Shared>,
    Query(q): Query<ListQuery>,
) -> Response {
    page(&store, "webhooks", &q, |_| true)
}

pub(crate) async fn get_webhook(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    find(&store, "webhooks", &id)
        .map_or_else(|| missing("webhook", &id), |w| Json(w).into_response())
}

pub(crate) async fn update_webhook(
    State(store): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    update_in(&store, "webhooks", &id, &body, "webhook")
}

pub(crate) async fn delete_webhook(
    State(store): State<Shared>,
    Path(id): Path<String>,
) -> Response {
    delete_from(&store, "webhooks", &id, "webhook")
}
