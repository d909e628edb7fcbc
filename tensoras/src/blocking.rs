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

    /// Knowledge bases.
    pub fn knowledge_bases(&self) -> KnowledgeBases {
        KnowledgeBases(self.clone())
    }
}

/// Blocking `client.chat()`.
#[derive(Debug, Clone)]
pub struct Chat(Tensoras);

impl Chat {
    /// Blocking `chat().completions()`.
    pub fn completions(&self) -> ChatCompletions {
        ChatCompletions(self.0.clone())
    }
}

/// Blocking `chat().completions()`.
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
        let mut stream = self
            .0
            .run(|c| async move { c.chat().completions().create_stream(request).await })?;
        // A small buffer: the network is read ahead only a few chunks.
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        self.0.runtime.handle.spawn(async move {
            while let Some(item) = stream.next().await {
                if tx.send(item).is_err() {
                    break; // the iterator was dropped: drop the stream, close the connection
                }
            }
        });
        Ok(ChunkIter { rx })
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
#[derive(Debug)]
pub struct ChunkIter {
    rx: std::sync::mpsc::Receiver<Result<types::ChatCompletionChunk>>,
}

impl Iterator for ChunkIter {
    type Item = Result<types::ChatCompletionChunk>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rx.recv().ok()
    }
}

/// Blocking `client.embeddings()`.
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
