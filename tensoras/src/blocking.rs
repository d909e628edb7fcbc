//! A blocking client with the same surface as the async one.
//!
//! It owns a small Tokio runtime on a background thread and sends every call
//! there, so it works in plain `fn main` programs. Called from inside an async
//! runtime it does not panic (unlike `Runtime::block_on`), but it blocks that
//! runtime's worker thread for the length of the call: in async code, use
//! [`crate::Tensoras`].
//!
//! ```no_run
//! use tensoras::{ChatRequest, messages::user};
//! let client = tensoras::blocking::Tensoras::new()?;
//! let response = client.chat().completions().create(
//!     ChatRequest::new("llama-3.3-70b", [user("What is the capital of France?")]),
//! )?;
//! println!("{}", tensoras::text_of(&response));
//! # Ok::<(), tensoras::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::types;
use futures::StreamExt;
use std::future::Future;
use std::sync::Arc;

/// The blocking client. Cheap to clone; clones share the runtime and pool.
#[derive(Clone, Debug)]
pub struct Tensoras {
    inner: crate::Tensoras,
    runtime: Arc<Runtime>,
}

#[derive(Debug)]
struct Runtime {
    handle: tokio::runtime::Handle,
    // Dropping the sender stops the runtime thread.
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Runtime {
    fn start() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tensoras-blocking")
            .enable_all()
            .build()
            .map_err(|e| Error::Config(format!("starting the blocking client's runtime: {e}")))?;
        let handle = runtime.handle().clone();
        let (shutdown, wait) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("tensoras-blocking-runtime".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = wait.await;
                });
            })
            .map_err(|e| Error::Config(format!("starting the blocking client's thread: {e}")))?;
        Ok(Runtime {
            handle,
            _shutdown: shutdown,
        })
    }
}

impl Tensoras {
    /// A client configured from the environment (see [`crate::Tensoras::new`]).
    pub fn new() -> Result<Self> {
        Self::from_async(crate::Tensoras::new()?)
    }

    /// Wraps a configured async client (build it with [`crate::Tensoras::builder`]).
    pub fn from_async(client: crate::Tensoras) -> Result<Self> {
        Ok(Tensoras {
            inner: client,
            runtime: Arc::new(Runtime::start()?),
        })
    }

    /// The async client this one drives.
    pub fn as_async(&self) -> &crate::Tensoras {
        &self.inner
    }

    /// Runs any async call of the async client to completion, for endpoints
    /// without a blocking mirror here.
    pub fn run<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: FnOnce(crate::Tensoras) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let future = call(self.inner.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        self.runtime.handle.spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv()
            .map_err(|_| Error::Config("the blocking client's runtime stopped".into()))?
    }

    /// Chat completions.
    pub fn chat(&self) -> Chat {
        Chat(self.clone())
    }

    /// Embeddings.
    pub fn embeddings(&self) -> Embeddings {
        Embeddings(self.clone())
    }

    /// Rerank.
    pub fn rerank(&self) -> Rerank {
        Rerank(self.clone())
    }

    /// Models.
    pub fn models(&self) -> Models {
        Models(self.clone())
    }

    /// Knowledge bases, with their data sources, documents and ingestion jobs.
    pub fn knowledge_bases(&self) -> KnowledgeBases {
        KnowledgeBases(self.clone())
    }

    /// Legacy text completions.
    pub fn completions(&self) -> Completions {
        Completions(self.clone())
    }

    /// Files.
    pub fn files(&self) -> Files {
        Files(self.clone())
    }

    /// Batches.
    pub fn batches(&self) -> Batches {
        Batches(self.clone())
    }

    /// The Responses API.
    pub fn responses(&self) -> Responses {
        Responses(self.clone())
    }

    /// Webhooks.
    pub fn webhooks(&self) -> Webhooks {
        Webhooks(self.clone())
    }

    /// A blocking iterator over an async stream made on the runtime. At most
    /// a few items are read ahead; dropping the iterator drops the stream.
    fn iterate<T, F, S>(&self, make: F) -> Iter<T>
    where
        F: FnOnce(crate::Tensoras) -> S + Send + 'static,
        S: futures::Stream<Item = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        let client = self.inner.clone();
        self.runtime.handle.spawn(async move {
            let mut stream = std::pin::pin!(make(client));
            while let Some(item) = stream.next().await {
                if tx.send(item).is_err() {
                    break; // the iterator was dropped: drop the stream, close the connection
                }
            }
        });
        Iter { rx }
    }
}

/// Blocking `client.chat()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::{messages::user, ChatRequest};
/// let reply = client.chat().completions().create(ChatRequest::new("llama-3.3-70b", [user("Hi")]))?;
/// println!("{}", tensoras::text_of(&reply));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Chat(Tensoras);

impl Chat {
    /// Blocking `chat().completions()`.
    pub fn completions(&self) -> ChatCompletions {
        ChatCompletions(self.0.clone())
    }
}

/// Blocking `chat().completions()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::{messages::user, ChatRequest};
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Movie { name: String, year: i32 }
/// let request = ChatRequest::new("llama-3.3-70b", [user("Tell me about Inception.")]);
/// println!("{}", tensoras::text_of(&client.chat().completions().create(request.clone())?));
/// for chunk in client.chat().completions().create_stream(request.clone())? {
///     print!("{}", chunk?.choices.first().and_then(|c| c.delta.content.clone()).unwrap_or_default());
/// }
/// let (movie, _raw): (Movie, _) = client.chat().completions().parse(request)?;
/// println!("{} ({})", movie.name, movie.year);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ChatCompletions(Tensoras);

impl ChatCompletions {
    /// See [`crate::resources::chat::Completions::create`].
    pub fn create(
        &self,
        request: impl Into<types::ChatCompletionRequest>,
    ) -> Result<types::ChatCompletion> {
        let request = request.into();
        self.0
            .run(|c| async move { c.chat().completions().create(request).await })
    }

    /// See [`crate::resources::chat::Completions::create_stream`]; an
    /// iterator of chunks. Dropping it closes the connection.
    pub fn create_stream(
        &self,
        request: impl Into<types::ChatCompletionRequest>,
    ) -> Result<ChunkIter> {
        let request = request.into();
        let stream = self
            .0
            .run(|c| async move { c.chat().completions().create_stream(request).await })?;
        Ok(self.0.iterate(move |_| stream))
    }

    /// See [`crate::resources::chat::Completions::parse`].
    pub fn parse<T>(
        &self,
        request: impl Into<types::ChatCompletionRequest>,
    ) -> Result<(T, types::ChatCompletion)>
    where
        T: serde::de::DeserializeOwned + schemars::JsonSchema + Send + 'static,
    {
        let request = request.into();
        self.0
            .run(|c| async move { c.chat().completions().parse::<T>(request).await })
    }
}

/// The chunks of a blocking chat stream.
pub type ChunkIter = Iter<types::ChatCompletionChunk>;

/// The items of an async stream (chunks, pages of a list), one at a time.
#[derive(Debug)]
pub struct Iter<T> {
    rx: std::sync::mpsc::Receiver<Result<T>>,
}

impl<T> Iterator for Iter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rx.recv().ok()
    }
}

/// Blocking `client.embeddings()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// let response = client.embeddings().create("bge-large-en-v1.5", "hello")?;
/// println!("{}", tensoras::embedding_vector(&response.data[0].embedding)?.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Embeddings(Tensoras);

impl Embeddings {
    /// See [`crate::resources::embeddings::Embeddings::create`].
    pub fn create(
        &self,
        model: impl Into<String>,
        input: impl Into<crate::resources::embeddings::Input>,
    ) -> Result<types::EmbeddingResponse> {
        let (model, input) = (model.into(), input.into());
        self.0
            .run(|c| async move { c.embeddings().create(model, input).await })
    }
}

/// Blocking `client.rerank()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// let ranked = client.rerank().create("bge-reranker-v2-m3", "q", ["a", "b"], None)?;
/// println!("{}", ranked.results[0].relevance_score);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Rerank(Tensoras);

impl Rerank {
    /// See [`crate::resources::rerank::Rerank::create`].
    pub fn create<S: Into<String>>(
        &self,
        model: impl Into<String>,
        query: impl Into<String>,
        documents: impl IntoIterator<Item = S>,
        top_n: Option<u64>,
    ) -> Result<types::RerankResponse> {
        let (model, query) = (model.into(), query.into());
        let documents: Vec<String> = documents.into_iter().map(Into::into).collect();
        self.0
            .run(|c| async move { c.rerank().create(model, query, documents, top_n).await })
    }
}

/// Blocking `client.models()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// for model in client.models().list()?.data {
///     println!("{}", model.id);
/// }
/// println!("{:?}", client.models().retrieve("llama-3.3-70b")?.context_length);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Models(Tensoras);

impl Models {
    /// See [`crate::resources::models::Models::list`].
    pub fn list(&self) -> Result<types::ModelList> {
        self.0.run(|c| async move { c.models().list().await })
    }

    /// See [`crate::resources::models::Models::retrieve`].
    pub fn retrieve(&self, model_id: &str) -> Result<types::Model> {
        let id = model_id.to_owned();
        self.0
            .run(|c| async move { c.models().retrieve(&id).await })
    }
}

/// Blocking `client.knowledge_bases()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::ListParams;
/// let kbs = client.knowledge_bases();
/// let kb = kbs.create(&tensoras::knowledge_base("docs").build()?)?;
/// kbs.update(&kb.id, &serde_json::from_value(serde_json::json!({"description": "Docs"}))?)?;
/// println!("{}", kbs.retrieve(&kb.id)?.name);
/// println!("{}", kbs.list(ListParams::new())?.data.len());
/// for kb in kbs.list_all(ListParams::new()) {
///     println!("{}", kb?.id);
/// }
/// let hits = kbs.retrieve_chunks(&kb.id, &serde_json::from_value(serde_json::json!({"query": "refunds"}))?)?;
/// println!("{}", hits.results.len());
/// kbs.delete(&kb.id)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct KnowledgeBases(Tensoras);

impl KnowledgeBases {
    /// See [`crate::resources::knowledge_bases::KnowledgeBases::create`].
    pub fn create(
        &self,
        request: &types::KnowledgeBaseCreateRequest,
    ) -> Result<types::KnowledgeBase> {
        let request = request.clone();
        self.0
            .run(|c| async move { c.knowledge_bases().create(&request).await })
    }

    /// See [`crate::resources::knowledge_bases::KnowledgeBases::list`].
    pub fn list(&self, params: crate::ListParams) -> Result<types::KnowledgeBaseList> {
        self.0
            .run(|c| async move { c.knowledge_bases().list(params).await })
    }

    /// See [`crate::resources::knowledge_bases::KnowledgeBases::retrieve`].
    pub fn retrieve(&self, kb_id: &str) -> Result<types::KnowledgeBase> {
        let id = kb_id.to_owned();
        self.0
            .run(|c| async move { c.knowledge_bases().retrieve(&id).await })
    }

    /// See [`crate::resources::knowledge_bases::KnowledgeBases::delete`].
    pub fn delete(&self, kb_id: &str) -> Result<types::DeletedObject> {
        let id = kb_id.to_owned();
        self.0
            .run(|c| async move { c.knowledge_bases().delete(&id).await })
    }
}

impl KnowledgeBases {
    /// See [`crate::resources::knowledge_bases::KnowledgeBases::list_all`].
    pub fn list_all(&self, params: crate::ListParams) -> Iter<types::KnowledgeBase> {
        self.0
            .iterate(move |c| c.knowledge_bases().list_all(params))
    }

    /// See [`crate::resources::knowledge_bases::KnowledgeBases::update`].
    pub fn update(
        &self,
        kb_id: &str,
        request: &types::KnowledgeBaseUpdateRequest,
    ) -> Result<types::KnowledgeBase> {
        let (id, request) = (kb_id.to_owned(), request.clone());
        self.0
            .run(|c| async move { c.knowledge_bases().update(&id, &request).await })
    }

    /// See [`crate::resources::knowledge_bases::KnowledgeBases::retrieve_chunks`].
    pub fn retrieve_chunks(
        &self,
        kb_id: &str,
        request: &types::RetrievalRequest,
    ) -> Result<types::RetrievalResponse> {
        let (id, request) = (kb_id.to_owned(), request.clone());
        self.0
            .run(|c| async move { c.knowledge_bases().retrieve_chunks(&id, &request).await })
    }

    /// Blocking `knowledge_bases().data_sources()`.
    pub fn data_sources(&self) -> DataSources {
        DataSources(self.0.clone())
    }

    /// Blocking `knowledge_bases().documents()`.
    pub fn documents(&self) -> Documents {
        Documents(self.0.clone())
    }

    /// Blocking `knowledge_bases().ingestion_jobs()`.
    pub fn ingestion_jobs(&self) -> IngestionJobs {
        IngestionJobs(self.0.clone())
    }
}

/// Blocking `knowledge_bases().data_sources()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::{FileSource, ListParams};
/// let sources = client.knowledge_bases().data_sources();
/// let source = sources.create_from_file("kb_a1b2c3d4", FileSource::path("handbook.pdf"))?;
/// let crawl = sources.create("kb_a1b2c3d4", &serde_json::from_value(serde_json::json!({
///     "type": "web_crawl", "config": {"urls": ["https://docs.example.com"]}
/// }))?)?;
/// println!("{:?}", sources.retrieve("kb_a1b2c3d4", &crawl.id)?.status);
/// println!("{}", sources.list("kb_a1b2c3d4", ListParams::new())?.data.len());
/// sources.delete("kb_a1b2c3d4", &source.id)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DataSources(Tensoras);

impl DataSources {
    /// See [`crate::resources::knowledge_bases::DataSources::create`].
    pub fn create(
        &self,
        kb_id: &str,
        request: &types::DataSourceCreateRequest,
    ) -> Result<types::DataSource> {
        let (kb, request) = (kb_id.to_owned(), request.clone());
        self.0.run(|c| async move {
            c.knowledge_bases()
                .data_sources()
                .create(&kb, &request)
                .await
        })
    }

    /// See [`crate::resources::knowledge_bases::DataSources::create_from_file`].
    pub fn create_from_file(
        &self,
        kb_id: &str,
        file: crate::FileSource,
    ) -> Result<types::DataSource> {
        let kb = kb_id.to_owned();
        self.0.run(|c| async move {
            c.knowledge_bases()
                .data_sources()
                .create_from_file(&kb, file)
                .await
        })
    }

    /// See [`crate::resources::knowledge_bases::DataSources::list`].
    pub fn list(&self, kb_id: &str, params: crate::ListParams) -> Result<types::DataSourceList> {
        let kb = kb_id.to_owned();
        self.0
            .run(|c| async move { c.knowledge_bases().data_sources().list(&kb, params).await })
    }

    /// See [`crate::resources::knowledge_bases::DataSources::retrieve`].
    pub fn retrieve(&self, kb_id: &str, ds_id: &str) -> Result<types::DataSource> {
        let (kb, ds) = (kb_id.to_owned(), ds_id.to_owned());
        self.0
            .run(|c| async move { c.knowledge_bases().data_sources().retrieve(&kb, &ds).await })
    }

    /// See [`crate::resources::knowledge_bases::DataSources::delete`].
    pub fn delete(&self, kb_id: &str, ds_id: &str) -> Result<types::DeletedObject> {
        let (kb, ds) = (kb_id.to_owned(), ds_id.to_owned());
        self.0
            .run(|c| async move { c.knowledge_bases().data_sources().delete(&kb, &ds).await })
    }
}

/// Blocking `knowledge_bases().documents()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::ListParams;
/// let docs = client.knowledge_bases().documents();
/// for doc in docs.list("kb_a1b2c3d4", ListParams::new())?.data {
///     println!("{:?}", docs.retrieve("kb_a1b2c3d4", &doc.id)?.status);
///     docs.delete("kb_a1b2c3d4", &doc.id)?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Documents(Tensoras);

impl Documents {
    /// See [`crate::resources::knowledge_bases::Documents::list`].
    pub fn list(&self, kb_id: &str, params: crate::ListParams) -> Result<types::DocumentList> {
        let kb = kb_id.to_owned();
        self.0
            .run(|c| async move { c.knowledge_bases().documents().list(&kb, params).await })
    }

    /// See [`crate::resources::knowledge_bases::Documents::list_all`].
    pub fn list_all(&self, kb_id: &str, params: crate::ListParams) -> Iter<types::Document> {
        let kb = kb_id.to_owned();
        self.0
            .iterate(move |c| c.knowledge_bases().documents().list_all(&kb, params))
    }

    /// See [`crate::resources::knowledge_bases::Documents::retrieve`].
    pub fn retrieve(&self, kb_id: &str, document_id: &str) -> Result<types::Document> {
        let (kb, doc) = (kb_id.to_owned(), document_id.to_owned());
        self.0
            .run(|c| async move { c.knowledge_bases().documents().retrieve(&kb, &doc).await })
    }

    /// See [`crate::resources::knowledge_bases::Documents::delete`].
    pub fn delete(&self, kb_id: &str, document_id: &str) -> Result<types::DeletedObject> {
        let (kb, doc) = (kb_id.to_owned(), document_id.to_owned());
        self.0
            .run(|c| async move { c.knowledge_bases().documents().delete(&kb, &doc).await })
    }
}

/// Blocking `knowledge_bases().ingestion_jobs()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::ListParams;
/// let jobs = client.knowledge_bases().ingestion_jobs();
/// for job in jobs.list("kb_a1b2c3d4", ListParams::new(), None)?.data {
///     println!("{}", jobs.retrieve("kb_a1b2c3d4", &job.id)?.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct IngestionJobs(Tensoras);

impl IngestionJobs {
    /// See [`crate::resources::knowledge_bases::IngestionJobs::list`].
    pub fn list(
        &self,
        kb_id: &str,
        params: crate::ListParams,
        status: Option<&str>,
    ) -> Result<types::IngestionJobList> {
        let (kb, status) = (kb_id.to_owned(), status.map(str::to_owned));
        self.0.run(|c| async move {
            c.knowledge_bases()
                .ingestion_jobs()
                .list(&kb, params, status.as_deref())
                .await
        })
    }

    /// See [`crate::resources::knowledge_bases::IngestionJobs::retrieve`].
    pub fn retrieve(&self, kb_id: &str, job_id: &str) -> Result<types::IngestionJob> {
        let (kb, job) = (kb_id.to_owned(), job_id.to_owned());
        self.0.run(|c| async move {
            c.knowledge_bases()
                .ingestion_jobs()
                .retrieve(&kb, &job)
                .await
        })
    }
}

/// Blocking `client.completions()` (legacy).
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// let request: tensoras::types::CompletionRequest =
///     serde_json::from_value(serde_json::json!({"model": "llama-3.3-70b", "prompt": "Once"}))?;
/// println!("{}", client.completions().create(&request)?.choices[0].text);
/// for chunk in client.completions().create_stream(&request)? {
///     print!("{}", chunk?.choices[0].text);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Completions(Tensoras);

impl Completions {
    /// See [`crate::resources::completions::Completions::create`].
    pub fn create(&self, request: &types::CompletionRequest) -> Result<types::Completion> {
        let request = request.clone();
        self.0
            .run(|c| async move { c.completions().create(&request).await })
    }

    /// See [`crate::resources::completions::Completions::create_stream`].
    pub fn create_stream(
        &self,
        request: &types::CompletionRequest,
    ) -> Result<Iter<types::Completion>> {
        let request = request.clone();
        let stream = self
            .0
            .run(|c| async move { c.completions().create_stream(&request).await })?;
        Ok(self.0.iterate(move |_| stream))
    }
}

/// Blocking `client.files()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::{FileSource, ListParams};
/// let file = client.files().create(FileSource::path("requests.jsonl"), "batch")?;
/// println!("{}", client.files().retrieve(&file.id)?.bytes);
/// println!("{}", client.files().list(ListParams::new())?.data.len());
/// for file in client.files().list_all(ListParams::new()) {
///     println!("{}", file?.filename);
/// }
/// for bytes in client.files().content(&file.id)? {
///     println!("{} bytes", bytes?.len());
/// }
/// client.files().download_to(&file.id, "copy.jsonl")?;
/// client.files().delete(&file.id)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Files(Tensoras);

impl Files {
    /// See [`crate::resources::files::Files::create`].
    pub fn create(
        &self,
        source: crate::FileSource,
        purpose: impl Into<String>,
    ) -> Result<types::FileObject> {
        let purpose = purpose.into();
        self.0
            .run(|c| async move { c.files().create(source, purpose).await })
    }

    /// See [`crate::resources::files::Files::list`].
    pub fn list(&self, params: crate::ListParams) -> Result<types::FileList> {
        self.0.run(|c| async move { c.files().list(params).await })
    }

    /// See [`crate::resources::files::Files::list_all`].
    pub fn list_all(&self, params: crate::ListParams) -> Iter<types::FileObject> {
        self.0.iterate(move |c| c.files().list_all(params))
    }

    /// See [`crate::resources::files::Files::retrieve`].
    pub fn retrieve(&self, file_id: &str) -> Result<types::FileObject> {
        let id = file_id.to_owned();
        self.0.run(|c| async move { c.files().retrieve(&id).await })
    }

    /// See [`crate::resources::files::Files::delete`].
    pub fn delete(&self, file_id: &str) -> Result<types::DeletedObject> {
        let id = file_id.to_owned();
        self.0.run(|c| async move { c.files().delete(&id).await })
    }

    /// See [`crate::resources::files::Files::content`]: the bytes, chunk
    /// by chunk as they arrive.
    pub fn content(&self, file_id: &str) -> Result<Iter<bytes::Bytes>> {
        let id = file_id.to_owned();
        let stream = self
            .0
            .run(|c| async move { c.files().content(&id).await })?;
        Ok(self.0.iterate(move |_| stream))
    }

    /// See [`crate::resources::files::Files::download_to`].
    pub fn download_to(
        &self,
        file_id: &str,
        destination: impl AsRef<std::path::Path>,
    ) -> Result<u64> {
        let (id, destination) = (file_id.to_owned(), destination.as_ref().to_path_buf());
        self.0
            .run(|c| async move { c.files().download_to(&id, destination).await })
    }
}

/// Blocking `client.batches()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::ListParams;
/// let batch = client.batches().create(&serde_json::from_value(serde_json::json!({
///     "input_file_id": "file-abc123", "endpoint": "/v1/chat/completions", "completion_window": "24h"
/// }))?)?;
/// println!("{}", client.batches().retrieve(&batch.id)?.status);
/// println!("{}", client.batches().list(ListParams::new())?.data.len());
/// client.batches().cancel(&batch.id)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Batches(Tensoras);

impl Batches {
    /// See [`crate::resources::batches::Batches::create`].
    pub fn create(&self, request: &types::BatchCreateRequest) -> Result<types::Batch> {
        let request = request.clone();
        self.0
            .run(|c| async move { c.batches().create(&request).await })
    }

    /// See [`crate::resources::batches::Batches::list`].
    pub fn list(&self, params: crate::ListParams) -> Result<types::BatchList> {
        self.0
            .run(|c| async move { c.batches().list(params).await })
    }

    /// See [`crate::resources::batches::Batches::list_all`].
    pub fn list_all(&self, params: crate::ListParams) -> Iter<types::Batch> {
        self.0.iterate(move |c| c.batches().list_all(params))
    }

    /// See [`crate::resources::batches::Batches::retrieve`].
    pub fn retrieve(&self, batch_id: &str) -> Result<types::Batch> {
        let id = batch_id.to_owned();
        self.0
            .run(|c| async move { c.batches().retrieve(&id).await })
    }

    /// See [`crate::resources::batches::Batches::cancel`].
    pub fn cancel(&self, batch_id: &str) -> Result<types::Batch> {
        let id = batch_id.to_owned();
        self.0.run(|c| async move { c.batches().cancel(&id).await })
    }
}

/// Blocking `client.responses()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// let response = client.responses().create(&serde_json::from_value(serde_json::json!({
///     "model": "llama-3.3-70b", "input": "Hello"
/// }))?)?;
/// println!("{:?}", client.responses().retrieve(&response.id)?.output_text);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Responses(Tensoras);

impl Responses {
    /// See [`crate::resources::responses::Responses::create`].
    pub fn create(&self, request: &types::ResponseCreateRequest) -> Result<types::Response> {
        let request = request.clone();
        self.0
            .run(|c| async move { c.responses().create(&request).await })
    }

    /// See [`crate::resources::responses::Responses::retrieve`].
    pub fn retrieve(&self, response_id: &str) -> Result<types::Response> {
        let id = response_id.to_owned();
        self.0
            .run(|c| async move { c.responses().retrieve(&id).await })
    }
}

/// Blocking `client.webhooks()`.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::ListParams;
/// let hook = client.webhooks().create(&serde_json::from_value(serde_json::json!({
///     "url": "https://example.com/hooks", "events": ["batch.completed"]
/// }))?)?;
/// client.webhooks().retrieve(&hook.id)?;
/// client.webhooks().update(&hook.id, &serde_json::from_value(serde_json::json!({"status": "disabled"}))?)?;
/// println!("{}", client.webhooks().list(ListParams::new())?.data.len());
/// client.webhooks().delete(&hook.id)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Webhooks(Tensoras);

impl Webhooks {
    /// See [`crate::resources::webhooks::Webhooks::create`].
    pub fn create(&self, request: &types::WebhookCreateRequest) -> Result<types::Webhook> {
        let request = request.clone();
        self.0
            .run(|c| async move { c.webhooks().create(&request).await })
    }

    /// See [`crate::resources::webhooks::Webhooks::list`].
    pub fn list(&self, params: crate::ListParams) -> Result<types::WebhookList> {
        self.0
            .run(|c| async move { c.webhooks().list(params).await })
    }

    /// See [`crate::resources::webhooks::Webhooks::retrieve`].
    pub fn retrieve(&self, webhook_id: &str) -> Result<types::Webhook> {
        let id = webhook_id.to_owned();
        self.0
            .run(|c| async move { c.webhooks().retrieve(&id).await })
    }

    /// See [`crate::resources::webhooks::Webhooks::update`].
    pub fn update(
        &self,
        webhook_id: &str,
        request: &types::WebhookUpdateRequest,
    ) -> Result<types::Webhook> {
        let (id, request) = (webhook_id.to_owned(), request.clone());
        self.0
            .run(|c| async move { c.webhooks().update(&id, &request).await })
    }

    /// See [`crate::resources::webhooks::Webhooks::delete`].
    pub fn delete(&self, webhook_id: &str) -> Result<types::DeletedObject> {
        let id = webhook_id.to_owned();
        self.0
            .run(|c| async move { c.webhooks().delete(&id).await })
    }
}
