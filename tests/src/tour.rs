//! One call of every operation in the spec through the ergonomic client.
//!
//! Shared by the local-server tests and the Prism run: against the local
//! server the ids are real; against Prism they are the spec's examples, which
//! is fine because Prism answers any id.

use futures::StreamExt as _;
use tensoras::prelude::*;

/// An operation that failed: its `operationId` and the error.
#[derive(Debug)]
pub struct Failed {
    /// The spec's `operationId`.
    pub operation: &'static str,
    /// What the client returned.
    pub error: Error,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.operation, self.error)
    }
}

/// The calls, written once for both clients: `$($aw)*` is `.await` for the
/// async client and nothing for the blocking one, and `drain!` empties a
/// stream or an iterator. Their call signatures are the same by design, so
/// this compiling is itself a check that the blocking surface mirrors the
/// async one.
macro_rules! every_operation {
    ($client:expr, [$($aw:tt)*], $next:path) => {{
        let client = $client;
        let mut done: Vec<&'static str> = Vec::new();
        macro_rules! call {
            ($id:literal, $e:expr) => {{
                let value = $e $($aw)* .map_err(|error| Failed {
                    operation: $id,
                    error,
                })?;
                done.push($id);
                value
            }};
        }
        macro_rules! drain {
            ($id:literal, $items:expr) => {{
                let mut items = $items;
                while let Some(item) = $next(&mut items) $($aw)* {
                    item.map_err(|error| Failed {
                        operation: $id,
                        error,
                    })?;
                }
            }};
        }

    let request = ChatCompletionRequest::new(
        "llama-3.3-70b",
        [ChatMessage::user("What is the capital of France?")],
    );
    call!(
        "createChatCompletion",
        client.chat().completions().create(request.clone())
    );
    let stream = call!(
        "createChatCompletion",
        client.chat().completions().create_stream(request)
    );
    drain!("createChatCompletion", stream);
    call!(
        "createCompletion",
        client
            .completions()
            .create(CompletionRequest::new("llama-3.3-70b", "Once upon"))
    );
    call!(
        "createEmbedding",
        client
            .embeddings()
            .create(EmbeddingRequest::new("bge-large-en-v1.5", ["hello", "world"]))
    );
    call!(
        "createRerank",
        client.rerank().create(
            RerankRequest::new(
                "bge-reranker-v2-m3",
                "deep learning",
                ["a sunny day", "deep learning rocks"]
            )
            .top_n(1)
        )
    );
    let models = call!("listModels", client.models().list());
    let model_id = models
        .data
        .first()
        .map_or("llama-3.3-70b".to_owned(), |m| m.id.clone());
    call!("retrieveModel", client.models().retrieve(&model_id));

    let file = call!(
        "createFile",
        client.files().create(
            FileSource::bytes("batch.jsonl", &b"{\"custom_id\":\"r1\"}\n"[..]),
            FilePurpose::Batch
        )
    );
    call!("listFiles", client.files().list(ListFiles::new().limit(10)));
    call!("retrieveFile", client.files().retrieve(&file.id));
    let content = call!("downloadFileContent", client.files().content(&file.id));
    drain!("downloadFileContent", content);

    let batch = call!(
        "createBatch",
        client.batches().create(BatchCreateRequest::new(
            file.id.as_str(),
            BatchEndpoint::ChatCompletions
        ))
    );
    call!("listBatches", client.batches().list(ListBatches::new()));
    call!("retrieveBatch", client.batches().retrieve(&batch.id));
    call!("cancelBatch", client.batches().cancel(&batch.id));

    let kbs = client.knowledge_bases();
    let kb = call!(
        "createKnowledgeBase",
        kbs.create(KnowledgeBaseCreateRequest::new("docs").description("Product documentation"))
    );
    call!("listKnowledgeBases", kbs.list(ListKnowledgeBases::new()));
    call!("retrieveKnowledgeBase", kbs.retrieve(&kb.id));
    call!(
        "updateKnowledgeBase",
        kbs.update(&kb.id, KnowledgeBaseUpdateRequest::new().description("Updated"))
    );
    let ds = call!(
        "createDataSource",
        kbs.data_sources().create(
            &kb.id,
            DataSourceCreateRequest::new(FileUploadConfig::new([file.id.as_str()]))
        )
    );
    call!(
        "listDataSources",
        kbs.data_sources().list(ListDataSources::new(kb.id.as_str()))
    );
    call!(
        "retrieveDataSource",
        kbs.data_sources().retrieve(&kb.id, &ds.id)
    );
    let docs = call!(
        "listDocuments",
        kbs.documents().list(ListDocuments::new(kb.id.as_str()))
    );
    let doc_id = docs
        .data
        .first()
        .map_or("doc_missing".to_owned(), |d| d.id.clone());
    call!(
        "retrieveDocument",
        kbs.documents().retrieve(&kb.id, &doc_id)
    );
    call!(
        "retrieveChunks",
        kbs.retrieve_chunks(&kb.id, RetrievalRequest::new("batch").top_k(3))
    );
    let jobs = call!(
        "listIngestionJobs",
        kbs.ingestion_jobs().list(ListIngestionJobs::new(kb.id.as_str()))
    );
    let job_id = jobs
        .data
        .first()
        .map_or("job_missing".to_owned(), |j| j.id.clone());
    call!(
        "retrieveIngestionJob",
        kbs.ingestion_jobs().retrieve(&kb.id, &job_id)
    );

    let response = call!(
        "createResponse",
        client.responses().create(ResponseCreateRequest::new(
            "llama-3.3-70b",
            "What is the capital of France?"
        ))
    );
    let events = call!(
        "createResponse",
        client.responses().create_stream(ResponseCreateRequest::new(
            "llama-3.3-70b",
            "What is the capital of France?"
        ))
    );
    drain!("createResponse", events);
    call!(
        "retrieveResponse",
        client.responses().retrieve(&response.id)
    );

    let hooks = client.webhooks();
    let hook = call!(
        "createWebhook",
        hooks.create(WebhookCreateRequest::new(
            "https://example.com/hooks",
            [WebhookEventType::BatchCompleted]
        ))
    );
    call!("listWebhooks", hooks.list(ListWebhooks::new()));
    call!("retrieveWebhook", hooks.retrieve(&hook.id));
    call!(
        "updateWebhook",
        hooks.update(&hook.id, WebhookUpdateRequest::new().status(WebhookStatus::Disabled))
    );
    call!("deleteWebhook", hooks.delete(&hook.id));

    call!("deleteDocument", kbs.documents().delete(&kb.id, &doc_id));
    call!(
        "deleteDataSource",
        kbs.data_sources().delete(&kb.id, &ds.id)
    );
    call!("deleteKnowledgeBase", kbs.delete(&kb.id));
    call!("deleteFile", client.files().delete(&file.id));
        done.dedup();
        Ok(done)
    }};
}

/// Calls every operation once, in an order where each call can use the
/// ids the previous ones returned. Returns the operation ids it called.
pub async fn every_operation(client: &Tensoras) -> Result<Vec<&'static str>, Failed> {
    every_operation!(client, [.await], next_async)
}

/// [`every_operation`] through the blocking client: the same calls in the
/// same order, so the two servers must see the same requests.
pub fn every_operation_blocking(
    client: &tensoras::blocking::Tensoras,
) -> Result<Vec<&'static str>, Failed> {
    every_operation!(client, [], Iterator::next)
}

fn next_async<S: futures::Stream + Unpin>(stream: &mut S) -> futures::stream::Next<'_, S> {
    stream.next()
}
