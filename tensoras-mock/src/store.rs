//! The server's state: what it received, what it holds, and the helpers
//! every collection route uses (insert, find, page, update, delete).

use crate::routes::{bad_request, missing};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// One request as the server saw it. Secret headers (the key, cookies,
/// anything named like a token) are marked sensitive: `Debug` shows
/// `Sensitive` instead of their values.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Recorded {
    /// The method.
    pub method: String,
    /// The path and query.
    pub uri: String,
    /// The headers, as received.
    pub headers: HeaderMap,
    /// The JSON body, when it had one.
    pub body: Option<Value>,
    /// The id of the mock that answered it ([`crate::MockGuard::id`]), if one did.
    pub matched: Option<u64>,
    /// Its number among the requests the server received, from 1 (the
    /// `x-request-id` it was answered with is `req_` and this number).
    pub number: u64,
}

#[derive(Default)]
pub(crate) struct Store {
    pub(crate) requests: Vec<Recorded>,
    pub(crate) fault_counts: HashMap<String, u32>,
    pub(crate) next_id: u64,
    pub(crate) collections: BTreeMap<String, Vec<Value>>,
    /// Per file: its size and its first MiB (see `file_content`).
    pub(crate) file_content: HashMap<String, (u64, bytes::Bytes)>,
    /// Responses this server sent that the spec does not allow.
    pub(crate) violations: Vec<String>,
    /// Validation against the spec is off (benchmarks switch it off).
    pub(crate) unchecked: bool,
    /// Signing secrets, by webhook id.
    pub(crate) secrets: HashMap<String, String>,
    /// Every webhook delivery attempt.
    pub(crate) deliveries: Vec<crate::deliveries::Delivery>,
    /// The key the server accepts.
    pub(crate) api_key: String,
    /// Varies the fake's answers (see `MockServerBuilder::seed`).
    pub(crate) seed: u64,
    /// Scripted answers, in mount order.
    pub(crate) mocks: Vec<crate::script::Mounted>,
    /// Armed faults, in the order they were injected.
    pub(crate) faults: Vec<crate::fault::Armed>,
    /// Requests that did not conform to the spec, and why.
    pub(crate) rejected: Vec<String>,
    /// The id the next mock mounted gets.
    pub(crate) next_mock: u64,
    /// How many requests were received, ever.
    pub(crate) received: u64,
    /// Recording or replaying a cassette.
    pub(crate) cassette: Option<crate::cassette::Mode>,
    /// Serializes the cassette's saves.
    pub(crate) saver: crate::cassette::Saver,
}

pub(crate) type Shared = Arc<Mutex<Store>>;

/// Whether a header carries a secret: `authorization`, `proxy-authorization`,
/// cookies, and anything named like a key, token, secret or signature (the
/// SDK's own rule for what it never logs).
pub(crate) fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) || ["key", "token", "secret", "auth", "signature", "password"]
        .iter()
        .any(|word| name.contains(word))
}

/// Locks the store. A test that panicked while holding it (an assertion in a
/// mock's predicate) leaves the data intact, so the poison is ignored.
pub(crate) fn lock(store: &Shared) -> std::sync::MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn now() -> i64 {
    1709123456
}

pub(crate) fn new_id(store: &Shared, prefix: &str) -> String {
    let mut s = lock(store);
    s.next_id += 1;
    format!("{prefix}{:06}", s.next_id)
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct ListQuery {
    pub(crate) limit: Option<usize>,
    pub(crate) after: Option<String>,
    pub(crate) status: Option<String>,
}

pub(crate) fn insert(store: &Shared, collection: &str, item: Value) -> Value {
    lock(store)
        .collections
        .entry(collection.into())
        .or_default()
        .push(item.clone());
    item
}

pub(crate) fn find(store: &Shared, collection: &str, id: &str) -> Option<Value> {
    let s = lock(store);
    s.collections
        .get(collection)?
        .iter()
        .find(|v| v["id"] == id)
        .cloned()
}

pub(crate) fn page(
    store: &Shared,
    collection: &str,
    q: &ListQuery,
    filter: impl Fn(&Value) -> bool,
) -> Response {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return bad_request("'limit' must be between 1 and 100", "limit");
    }
    let s = lock(store);
    let all: Vec<Value> = s
        .collections
        .get(collection)
        .map(|v| {
            v.iter()
                .filter(|i| filter(i))
                .filter(|i| {
                    q.status
                        .as_ref()
                        .is_none_or(|st| i["status"] == st.as_str())
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    // Ids grow with creation (a fixed-width counter), so a cursor is a
    // place in that order: paging on after deleting the cursor's own object
    // (a loop that deletes what it lists) goes on where it was.
    let start = match &q.after {
        Some(after) => all
            .iter()
            .position(|v| v["id"].as_str().is_some_and(|id| id > after.as_str()))
            .unwrap_or(all.len()),
        None => 0,
    };
    let data: Vec<Value> = all.iter().skip(start).take(limit).cloned().collect();
    let has_more = start + data.len() < all.len();
    Json(json!({"object": "list", "data": data, "has_more": has_more})).into_response()
}

pub(crate) fn delete_from(store: &Shared, collection: &str, id: &str, object: &str) -> Response {
    let mut s = lock(store);
    let items = s.collections.entry(collection.into()).or_default();
    let before = items.len();
    items.retain(|v| v["id"] != id);
    if items.len() == before {
        return missing(object, id);
    }
    Json(json!({"id": id, "object": object, "deleted": true})).into_response()
}

pub(crate) fn update_in(
    store: &Shared,
    collection: &str,
    id: &str,
    patch: &Value,
    object: &str,
) -> Response {
    let mut s = lock(store);
    let items = s.collections.entry(collection.into()).or_default();
    let Some(item) = items.iter_mut().find(|v| v["id"] == id) else {
        return missing(object, id);
    };
    if let Some(fields) = patch.as_object() {
        for (k, v) in fields {
            item[k] = v.clone();
        }
    }
    item["updated_at"] = json!(now() + 1);
    Json(item.clone()).into_response()
}
