//! `/files`: streamed uploads (only the first MiB is kept, but a batch's
//! input whole) and downloads.

use crate::routes::{bad_request, missing};
use crate::store::{delete_from, find, insert, new_id, now, page, ListQuery, Shared};
use axum::body::Body;
use axum::extract::Multipart;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub(crate) async fn upload(State(store): State<Shared>, mut multipart: Multipart) -> Response {
    let (mut purpose, mut filename, mut bytes) = (None, None, None);
    loop {
        match multipart.next_field().await {
            Ok(Some(mut field)) => match field.name() {
                Some("purpose") => purpose = field.text().await.ok(),
                Some("file") => {
                    filename = field.file_name().map(str::to_owned);
                    // Keep only a digest-sized prefix: uploads may be huge.
                    // A batch's input (its purpose given first, as the SDK
                    // sends it) is kept whole, up to 256 MiB: the batch runs it.
                    let keep = if purpose.as_deref() == Some("batch") {
                        256 << 20
                    } else {
                        1 << 20
                    };
                    let mut total = 0u64;
                    let mut kept = Vec::new();
                    loop {
                        match field.chunk().await {
                            Ok(Some(chunk)) => {
                                total += chunk.len() as u64;
                                if kept.len() < keep {
                                    kept.extend_from_slice(
                                        &chunk[..chunk.len().min(keep - kept.len())],
                                    );
                                }
                            }
                            Ok(None) => break,
                            Err(e) => {
                                return bad_request(&format!("reading the file part: {e}"), "file")
                            }
                        }
                    }
                    bytes = Some((total, kept));
                }
                _ => {}
            },
            Ok(None) => break,
            Err(e) => return bad_request(&format!("malformed multipart body: {e}"), "file"),
        }
    }
    let Some(purpose) = purpose else {
        return bad_request("'purpose' is required", "purpose");
    };
    if !["batch", "knowledge-base", "knowledge_base"].contains(&purpose.as_str()) {
        // `batch_output` too: those files are the server's own.
        return bad_request("'purpose' must be batch or knowledge-base", "purpose");
    }
    let Some((total, kept)) = bytes else {
        return bad_request("'file' is required", "file");
    };
    let id = new_id(&store, "file-");
    crate::store::lock(&store)
        .file_content
        .insert(id.clone(), (total, bytes::Bytes::from(kept)));
    let file = json!({"id": id, "object": "file", "bytes": total, "created_at": now(),
        "filename": filename.unwrap_or_else(|| "upload".into()), "purpose": purpose, "status": "uploaded"});
    Json(insert(&store, "files", file)).into_response()
}

pub(crate) async fn list_files(
    State(store): State<Shared>,
    Query(q): Query<ListQuery>,
) -> Response {
    page(&store, "files", &q, |_| true)
}

pub(crate) async fn get_file(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    find(&store, "files", &id).map_or_else(|| missing("file", &id), |f| Json(f).into_response())
}

pub(crate) async fn delete_file(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    delete_from(&store, "files", &id, "file")
}

pub(crate) async fn file_content(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    let content = crate::store::lock(&store).file_content.get(&id).cloned();
    let Some((total, kept)) = content else {
        return missing("file", &id);
    };
    // The server keeps only the first MiB of an upload; a larger file is
    // served as that prefix repeated up to its size, streamed, so a 1 GiB
    // download costs the server no memory.
    let chunks = futures::stream::unfold(0u64, move |sent| {
        let kept = kept.clone();
        async move {
            if sent >= total || kept.is_empty() {
                return None;
            }
            let len = (kept.len() as u64).min(total - sent) as usize;
            Some((
                Ok::<_, std::convert::Infallible>(kept.slice(..len)),
                sent + len as u64,
            ))
        }
    });
    Response::builder()
        .header("content-type", "application/octet-stream")
        .header("content-length", total)
        .body(Body::from_stream(chunks))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
