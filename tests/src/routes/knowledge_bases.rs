//! `/knowledge-bases`, with data sources, documents, retrieval and ingestion jobs.

use crate::routes::{bad_request, missing};
use crate::store::{delete_from, find, insert, new_id, now, page, update_in, ListQuery, Shared};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

pub(crate) async fn create_kb(State(store): State<Shared>, Json(body): Json<Value>) -> Response {
    if body["name"].as_str().is_none_or(str::is_empty) {
        return bad_request("'name' is required", "name");
    }
    let chunking = body.get("chunking_strategy").cloned().unwrap_or(json!({}));
    let kb = json!({"id": new_id(&store, "kb_"), "object": "knowledge_base", "name": body["name"],
        "description": body.get("description").cloned().unwrap_or(json!("")),
        "embedding_model": body.get("embedding_model").cloned().unwrap_or(json!("bge-large-en-v1.5")),
        "chunking_strategy": {"type": chunking.get("type").cloned().unwrap_or(json!("recursive")),
            "chunk_size": chunking.get("chunk_size").cloned().unwrap_or(json!(512)),
            "chunk_overlap": chunking.get("chunk_overlap").cloned().unwrap_or(json!(64))},
        "document_count": 0, "chunk_count": 0, "status": "active", "created_at": now(), "updated_at": now(),
        "metadata": body.get("metadata").cloned().unwrap_or(json!({}))});
    Json(insert(&store, "kbs", kb)).into_response()
}

pub(crate) async fn list_kbs(State(store): State<Shared>, Query(q): Query<ListQuery>) -> Response {
    page(&store, "kbs", &q, |_| true)
}

pub(crate) async fn get_kb(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    find(&store, "kbs", &id).map_or_else(
        || missing("knowledge base", &id),
        |k| Json(k).into_response(),
    )
}

pub(crate) async fn update_kb(
    State(store): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    update_in(&store, "kbs", &id, &body, "knowledge_base")
}

pub(crate) async fn delete_kb(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    delete_from(&store, "kbs", &id, "knowledge_base")
}

pub(crate) async fn create_ds(
    State(store): State<Shared>,
    Path(kb): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if find(&store, "kbs", &kb).is_none() {
        return missing("knowledge base", &kb);
    }
    let kind = body["type"].as_str().unwrap_or_default().to_owned();
    const TYPES: [&str; 7] = [
        "file_upload",
        "web_crawl",
        "s3",
        "gcs",
        "confluence",
        "notion",
        "google_drive",
    ];
    if !TYPES.contains(&kind.as_str()) {
        return bad_request("'type' must be a data source type", "type");
    }
    let ds_id = new_id(&store, "ds_");
    // Secrets are taken, never returned (the spec's writeOnly members).
    let mut config = body["config"].clone();
    if let Some(members) = config.as_object_mut() {
        members.retain(|name, _| !crate::conformance::write_only_members().contains(name));
    }
    let ds = json!({"id": ds_id, "object": "data_source", "knowledge_base_id": kb, "type": kind, "name": body["name"],
        "config": config, "status": "processing", "created_at": now(), "updated_at": now()});
    // Ingestion "runs": one job, and a document per file or URL.
    let sources: Vec<String> = body["config"]["file_ids"]
        .as_array()
        .or(body["config"]["urls"].as_array())
        .map(|v| {
            v.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_else(|| vec![format!("{kind}-source")]);
    for source in &sources {
        let filename = find(&store, "files", source)
            .and_then(|f| f["filename"].as_str().map(str::to_owned))
            .unwrap_or(source.clone());
        let doc = json!({"id": new_id(&store, "doc_"), "object": "document", "knowledge_base_id": kb, "data_source_id": ds_id,
            "filename": filename, "status": "completed", "chunk_count": 3, "created_at": now()});
        insert(&store, "docs", doc);
    }
    let job = json!({"id": new_id(&store, "job_"), "object": "ingestion_job", "knowledge_base_id": kb, "data_source_id": ds_id,
        "status": "completed", "documents_processed": sources.len(), "documents_failed": 0, "chunks_created": 3 * sources.len(),
        "started_at": now(), "completed_at": now() + 60, "created_at": now(), "error": null});
    let job = insert(&store, "jobs", job);
    crate::deliveries::emit(&store, "ingestion.completed", job);
    Json(insert(&store, "data_sources", ds)).into_response()
}

pub(crate) async fn list_ds(
    State(store): State<Shared>,
    Path(kb): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    page(&store, "data_sources", &q, |d| {
        d["knowledge_base_id"] == kb.as_str()
    })
}

pub(crate) async fn get_ds(
    State(store): State<Shared>,
    Path((kb, ds)): Path<(String, String)>,
) -> Response {
    find(&store, "data_sources", &ds)
        .filter(|d| d["knowledge_base_id"] == kb.as_str())
        .map_or_else(|| missing("data source", &ds), |d| Json(d).into_response())
}

pub(crate) async fn delete_ds(
    State(store): State<Shared>,
    Path((_kb, ds)): Path<(String, String)>,
) -> Response {
    delete_from(&store, "data_sources", &ds, "data_source")
}

pub(crate) async fn list_docs(
    State(store): State<Shared>,
    Path(kb): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    page(&store, "docs", &q, |d| {
        d["knowledge_base_id"] == kb.as_str()
    })
}

pub(crate) async fn get_doc(
    State(store): State<Shared>,
    Path((_kb, doc)): Path<(String, String)>,
) -> Response {
    find(&store, "docs", &doc)
        .map_or_else(|| missing("document", &doc), |d| Json(d).into_response())
}

pub(crate) async fn delete_doc(
    State(store): State<Shared>,
    Path((_kb, doc)): Path<(String, String)>,
) -> Response {
    delete_from(&store, "docs", &doc, "document")
}

pub(crate) async fn retrieve(
    State(store): State<Shared>,
    Path(kb): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if find(&store, "kbs", &kb).is_none() {
        return missing("knowledge base", &kb);
    }
    let Some(query) = body["query"].as_str().filter(|q| !q.is_empty()) else {
        return bad_request("'query' is required", "query");
    };
    let top_k = body["top_k"].as_u64().unwrap_or(10) as usize;
    let docs: Vec<Value> = store
        .lock()
        .expect("store")
        .collections
        .get("docs")
        .cloned()
        .unwrap_or_default();
    let results: Vec<Value> = docs
        .iter()
        .filter(|d| d["knowledge_base_id"] == kb.as_str())
        .take(top_k)
        .enumerate()
        .map(|(i, d)| {
            json!({"chunk_id": format!("chunk_{i:04}"), "score": 0.9 / (i + 1) as f64, "text": format!("{} mentions {query}", d["filename"].as_str().unwrap_or_default()),
                "document_id": d["id"], "document_name": d["filename"], "source": d["filename"], "source_type": "file_upload", "metadata": {}})
        })
        .collect();
    Json(json!({"object": "list", "results": results})).into_response()
}

pub(crate) async fn list_jobs(
    State(store): State<Shared>,
    Path(kb): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    page(&store, "jobs", &q, |j| {
        j["knowledge_base_id"] == kb.as_str()
    })
}

pub(crate) async fn get_job(
    State(store): State<Shared>,
    Path((_kb, job)): Path<(String, String)>,
) -> Response {
    find(&store, "jobs", &job).map_or_else(
        || missing("ingestion job", &job),
        |j| Json(j).into_response(),
    )
}
