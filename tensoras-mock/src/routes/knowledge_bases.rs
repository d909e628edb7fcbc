//! `/knowledge-bases`, with data sources, documents, retrieval and ingestion jobs.

use crate::routes::{bad_request, missing};
use crate::store::{
    delete_from, find, insert, lock, new_id, now, page, update_in, ListQuery, Shared,
};
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
    // Ingestion runs at once: the job is done, the documents and their
    // chunks are in, the knowledge base counts them. The create call answers
    // `processing`, as the API does; every later read sees `completed`.
    let ds = json!({"id": ds_id, "object": "data_source", "knowledge_base_id": kb, "type": kind, "name": body["name"],
        "config": config, "status": "completed", "created_at": now(), "updated_at": now()});
    let sources: Vec<String> = body["config"]["file_ids"]
        .as_array()
        .or(body["config"]["urls"].as_array())
        .map(|v| {
            v.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_else(|| vec![format!("{kind}-source")]);
    let chunk_words = find(&store, "kbs", &kb)
        .and_then(|k| k["chunking_strategy"]["chunk_size"].as_u64())
        .unwrap_or(512)
        .clamp(1, 1 << 16) as usize;
    let mut chunks_created = 0;
    for source in &sources {
        let file = find(&store, "files", source);
        let filename = file
            .as_ref()
            .and_then(|f| f["filename"].as_str().map(str::to_owned))
            .unwrap_or(source.clone());
        let text = lock(&store)
            .file_content
            .get(source)
            .map(|(_, head)| String::from_utf8_lossy(head).into_owned())
            .unwrap_or_else(|| format!("The content of {source}."));
        let doc_id = new_id(&store, "doc_");
        let words: Vec<&str> = text.split_whitespace().collect();
        let pieces: Vec<String> = if words.is_empty() {
            vec![String::new()]
        } else {
            words.chunks(chunk_words).map(|c| c.join(" ")).collect()
        };
        for (index, piece) in pieces.iter().enumerate() {
            insert(
                &store,
                "chunks",
                json!({"id": format!("{doc_id}_chunk_{index:04}"), "knowledge_base_id": kb,
                "document_id": doc_id, "document_name": filename, "source": filename, "text": piece,
                "source_type": kind}),
            );
        }
        chunks_created += pieces.len();
        let doc = json!({"id": doc_id, "object": "document", "knowledge_base_id": kb, "data_source_id": ds_id,
            "filename": filename, "status": "completed", "chunk_count": pieces.len(), "created_at": now()});
        insert(&store, "docs", doc);
    }
    recount(&store, &kb);
    let job = json!({"id": new_id(&store, "job_"), "object": "ingestion_job", "knowledge_base_id": kb, "data_source_id": ds_id,
        "status": "completed", "documents_processed": sources.len(), "documents_failed": 0, "chunks_created": chunks_created,
        "started_at": now(), "completed_at": now() + 60, "created_at": now(), "error": null});
    let job = insert(&store, "jobs", job);
    crate::deliveries::emit(&store, "ingestion.completed", job);
    let mut created = insert(&store, "data_sources", ds);
    created["status"] = json!("processing");
    Json(created).into_response()
}

/// Sets a knowledge base's `document_count` and `chunk_count` from what it holds.
fn recount(store: &Shared, kb: &str) {
    let mut s = lock(store);
    let docs: Vec<u64> = s
        .collections
        .get("docs")
        .map(|d| {
            d.iter()
                .filter(|d| d["knowledge_base_id"] == kb)
                .map(|d| d["chunk_count"].as_u64().unwrap_or(0))
                .collect()
        })
        .unwrap_or_default();
    if let Some(item) = s
        .collections
        .get_mut("kbs")
        .and_then(|k| k.iter_mut().find(|k| k["id"] == kb))
    {
        item["document_count"] = json!(docs.len());
        item["chunk_count"] = json!(docs.iter().sum::<u64>());
    }
}

/// The `k` chunks of a knowledge base that share the most words with
/// `query` (ties in upload order), scored in (0, 1]: what retrieval and RAG
/// answers use.
pub(crate) fn search(store: &Shared, kb: &str, query: &str, k: usize) -> Vec<Value> {
    let words = |text: &str| -> std::collections::BTreeSet<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let wanted = words(query);
    let chunks: Vec<Value> = lock(store)
        .collections
        .get("chunks")
        .map(|c| {
            c.iter()
                .filter(|c| c["knowledge_base_id"] == kb)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let mut scored: Vec<(usize, Value)> = chunks
        .into_iter()
        .map(|c| {
            let shared = words(c["text"].as_str().unwrap_or_default())
                .intersection(&wanted)
                .count();
            (shared, c)
        })
        .collect();
    // Stable: equal scores keep upload order.
    scored.sort_by_key(|(shared, _)| std::cmp::Reverse(*shared));
    scored
        .into_iter()
        .take(k)
        .map(|(shared, mut c)| {
            let score = (shared as f64 + 1.0) / (wanted.len() as f64 + 1.0);
            c["score"] = json!((score * 1000.0).round() / 1000.0);
            c
        })
        .collect()
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
    Path((kb, doc)): Path<(String, String)>,
) -> Response {
    let response = delete_from(&store, "docs", &doc, "document");
    if let Some(chunks) = lock(&store).collections.get_mut("chunks") {
        chunks.retain(|c| c["document_id"] != doc.as_str());
    }
    recount(&store, &kb);
    response
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
    let top_k = body["top_k"].as_u64().unwrap_or(10).min(1000) as usize;
    let results: Vec<Value> = search(&store, &kb, query, top_k)
        .into_iter()
        .map(|c| {
            json!({"chunk_id": c["id"], "score": c["score"], "text": c["text"],
                "document_id": c["document_id"], "document_name": c["document_name"], "source": c["source"],
                "source_type": c["source_type"], "metadata": {}})
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
