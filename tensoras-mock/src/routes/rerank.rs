//! `POST /rerank`: documents scored by word overlap with the query.

use crate::routes::bad_request;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

pub(crate) fn words(text: &str) -> std::collections::HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

pub(crate) async fn rerank(Json(body): Json<Value>) -> Response {
    let Some(query) = body["query"].as_str() else {
        return bad_request("'query' is required", "query");
    };
    let Some(docs) = body["documents"].as_array().filter(|d| !d.is_empty()) else {
        return bad_request("'documents' must be a non-empty array", "documents");
    };
    let q = words(query);
    let mut results: Vec<(usize, f64, String)> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let text = d
                .as_str()
                .or_else(|| d["text"].as_str())
                .unwrap_or_default()
                .to_owned();
            let w = words(&text);
            let overlap = q.intersection(&w).count() as f64;
            (i, overlap / (q.len().max(1) as f64), text)
        })
        .collect();
    results.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if let Some(n) = body["top_n"].as_u64() {
        results.truncate(n as usize);
    }
    let with_docs = body["return_documents"] != false;
    let results: Vec<Value> = results
        .into_iter()
        .map(|(i, score, text)| {
            let mut r = json!({"index": i, "relevance_score": score});
            if with_docs {
                r["document"] = json!({"text": text});
            }
            r
        })
        .collect();
    Json(json!({"object": "list", "results": results, "model": body["model"], "usage": {"total_tokens": 10}})).into_response()
}
