//! The Rust SDK for the [Tensoras.ai](https://tensoras.ai) API.
//!
//! ```no_run
//! # async fn run() -> tensoras::Result<()> {
//! use tensoras::{ChatRequest, Tensoras, messages::user};
//!
//! let client = Tensoras::new()?; // TENSORAS_API_KEY, optionally TENSORAS_BASE_URL
//! let response = client
//!     .chat()
//!     .completions()
//!     .create(ChatRequest::new("llama-3.3-70b", [user("Explain RAG in one sentence.")]))
//!     .await?;
//! println!("{}", tensoras::text_of(&response));
//! # Ok(()) }
//! ```
//!
//! - Configuration: [`Tensoras::builder`] (key, base URL, timeout, retries, headers).
//! - Errors: one [`Error`] enum mirroring the Python SDK's exceptions.
//! - Retries: exponential backoff with jitter honouring `Retry-After`.
//! - Streaming: [`resources::chat::Completions::create_stream`] yields typed chunks.
//! - Blocking: [`blocking::Tensoras`] has the same surface without `async`.

#![warn(missing_docs)]

pub mod blocking;
mod capture;
mod client;
mod config;
mod error;
mod error_body;
pub mod messages;
mod options;
mod pagination;
mod path;
mod rate_limit;
pub mod resources;
mod retry;
pub mod sse;

/// The API's request and response types, generated from the OpenAPI spec.
pub use tensoras_gen::types;

pub use capture::{ResponseCapture, ResponseInfo};
pub use client::{ApiResponse, Tensoras};
pub use config::{
    ClientBuilder, API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
};
pub use error::{ApiError, Error, Result};
pub use options::RequestOptions;
pub use pagination::{ListParams, Page};
pub use rate_limit::RateLimit;
pub use resources::chat::{
    content_text, function_tool, json_schema_format, parse_arguments, parse_content,
    strict_schema_for, text_of, ChatAccumulator, ChatRequest, ChatStream,
};
pub use resources::embeddings::embedding_vector;
pub use resources::files::FileSource;
pub use resources::knowledge_bases::knowledge_base;

impl Tensoras {
    /// Chat completions: `client.chat().completions()`.
    pub fn chat(&self) -> resources::chat::Chat {
        resources::chat::Chat(self.clone())
    }

    /// Legacy text completions.
    pub fn completions(&self) -> resources::completions::Completions {
        resources::completions::Completions(self.clone())
    }

    /// Embeddings.
    pub fn embeddings(&self) -> resources::embeddings::Embeddings {
        resources::embeddings::Embeddings(self.clone())
    }

    /// Rerank.
    pub fn rerank(&self) -> resources::rerank::Rerank {
        resources::rerank::Rerank(self.clone())
    }

    /// Models.
    pub fn models(&self) -> resources::models::Models {
        resources::models::Models(self.clone())
    }

    /// Files.
    pub fn files(&self) -> resources::files::Files {
        resources::files::Files(self.clone())
    }

    /// Batches.
    pub fn batches(&self) -> resources::batches::Batches {
        resources::batches::Batches(self.clone())
    }

    /// Knowledge bases, with data sources, documents, retrieval and ingestion jobs.
    pub fn knowledge_bases(&self) -> resources::knowledge_bases::KnowledgeBases {
        resources::knowledge_bases::KnowledgeBases(self.clone())
    }

    /// The Responses API.
    pub fn responses(&self) -> resources::responses::Responses {
        resources::responses::Responses(self.clone())
    }

    /// Webhooks.
    pub fn webhooks(&self) -> resources::webhooks::Webhooks {
        resources::webhooks::Webhooks(self.clone())
    }
}
