//! The Rust SDK for the [Tensoras.ai](https://tensoras.ai) API.
//!
//! ```no_run
//! # async fn run() -> tensoras::Result<()> {
//! use tensoras::prelude::*;
//!
//! let client = Tensoras::new()?; // TENSORAS_API_KEY, optionally TENSORAS_BASE_URL
//! let response = client
//!     .chat()
//!     .completions()
//!     .create(ChatCompletionRequest::new(
//!         "llama-3.3-70b",
//!         [ChatMessage::user("Explain RAG in one sentence.")],
//!     ))
//!     .await?;
//! println!("{}", response.text());
//! # Ok(()) }
//! ```
//!
//! | Namespace | What |
//! |---|---|
//! | [`client.chat().completions()`](resources::chat::Completions) | chat completions: whole, streamed, parsed into a Rust type, with tools and RAG |
//! | [`client.completions()`](resources::completions::Completions) | legacy text completions |
//! | [`client.embeddings()`](resources::embeddings::Embeddings) | embeddings, as floats or base64 |
//! | [`client.rerank()`](resources::rerank::Rerank) | documents ordered by relevance to a query |
//! | [`client.models()`](resources::models::Models) | the models available to your key |
//! | [`client.files()`](resources::files::Files) | uploads, downloads, listing |
//! | [`client.batches()`](resources::batches::Batches) | batches of requests run asynchronously |
//! | [`client.knowledge_bases()`](resources::knowledge_bases::KnowledgeBases) | knowledge bases, their [data sources](resources::knowledge_bases::DataSources), [documents](resources::knowledge_bases::Documents), [ingestion jobs](resources::knowledge_bases::IngestionJobs) and retrieval |
//! | [`client.responses()`](resources::responses::Responses) | the Responses API: whole or streamed as typed events |
//! | [`client.webhooks()`](resources::webhooks::Webhooks) | webhooks; [`webhooks::verify`] checks a delivery's signature |
//!
//! - Requests: every operation takes a request type built with
//!   `XRequest::new(required…)` and chained setters ([`types`]); the
//!   reading helpers are methods, in [`prelude`].
//! - Configuration: [`Tensoras::builder`] (key, base URL, timeouts, retries, headers).
//! - Errors: one [`Error`] enum mirroring the Python SDK's exceptions.
//! - Retries: exponential backoff with jitter honouring `Retry-After`.
//! - Streaming: `create_stream` yields typed chunks or events; accumulators
//!   rebuild the whole reply.
//! - Raw responses: `with_raw_response()` on any namespace returns
//!   [`ApiResponse`]s (status, headers, request id) of each call.
//! - Any operation of the spec: [`Tensoras::call`] with an [`operations`] value.
//! - Blocking: [`blocking::Tensoras`] (feature `blocking`, on by default)
//!   has the same surface without `async`.
//! - Observability: every call is a `tracing` span under OpenTelemetry's
//!   GenAI semantic conventions, with metrics behind the `opentelemetry`
//!   feature ([`telemetry`]).

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod accumulate;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod client;
mod config;
mod error;
mod error_body;
mod limits;
mod options;
mod pagination;
mod path;
pub mod prelude;
mod rate_limit;
pub mod resources;
mod response;
mod retry;
pub mod sse;
pub mod telemetry;
mod transport;
pub mod webhooks;

/// HTTP header names and values, for [`RequestOptions::header`],
/// [`ClientBuilder::default_header`] and the headers of responses and errors,
/// without a direct dependency on the HTTP stack (this is `http`'s `header`
/// module, as re-exported by reqwest).
///
/// ```
/// use tensoras::header::{HeaderName, HeaderValue};
/// let options = tensoras::RequestOptions::new()
///     .header(HeaderName::from_static("x-trace"), HeaderValue::from_static("abc"));
/// # let _ = options;
/// ```
pub use reqwest::header;

/// The schemars version this crate's `parse::<T>()`, `Tool::function::<T>()`
/// and `JsonSchemaObject::strict_for::<T>()` take types from (feature
/// `schemars`, on by default). Depend on the same major version (`schemars
/// = "1"`) to derive `JsonSchema`, or derive through this re-export with
/// `#[schemars(crate = "tensoras::schemars")]`.
#[cfg(feature = "schemars")]
#[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
pub use schemars;

/// Every schema of the API as Rust types, generated from the OpenAPI spec:
/// built with `new(required…)` and chained setters; enums are open.
pub use tensoras_gen::types;

/// Every operation of the API, generated from the OpenAPI spec: send any of
/// them with [`Tensoras::call`].
pub use tensoras_gen::operations;

pub use accumulate::DEFAULT_MAX_ENTRIES;
pub use client::Tensoras;
pub use config::{
    BuildClient, ClientBuilder, API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT,
};
pub use error::{ApiError, Error, Result, TimeoutKind};
pub use limits::Limits;
pub use options::RequestOptions;
pub use rate_limit::RateLimit;
pub use resources::chat::{ChatAccumulator, ChatStream};
pub use resources::completions::CompletionAccumulator;
pub use resources::files::{FileContent, FileSource};
pub use resources::responses::{ResponseAccumulator, ResponseStream};
pub use response::{ApiResponse, Mode, Parsed, Raw};

impl Tensoras {
    /// Chat completions: `client.chat().completions()`.
    pub fn chat(&self) -> resources::chat::Chat {
        resources::chat::Chat::new(self.clone())
    }

    /// Legacy text completions.
    pub fn completions(&self) -> resources::completions::Completions {
        resources::completions::Completions::new(self.clone())
    }

    /// Embeddings.
    pub fn embeddings(&self) -> resources::embeddings::Embeddings {
        resources::embeddings::Embeddings::new(self.clone())
    }

    /// Rerank.
    pub fn rerank(&self) -> resources::rerank::Rerank {
        resources::rerank::Rerank::new(self.clone())
    }

    /// Models.
    pub fn models(&self) -> resources::models::Models {
        resources::models::Models::new(self.clone())
    }

    /// Files.
    pub fn files(&self) -> resources::files::Files {
        resources::files::Files::new(self.clone())
    }

    /// Batches.
    pub fn batches(&self) -> resources::batches::Batches {
        resources::batches::Batches::new(self.clone())
    }

    /// Knowledge bases, with data sources, documents, retrieval and ingestion jobs.
    pub fn knowledge_bases(&self) -> resources::knowledge_bases::KnowledgeBases {
        resources::knowledge_bases::KnowledgeBases::new(self.clone())
    }

    /// The Responses API.
    pub fn responses(&self) -> resources::responses::Responses {
        resources::responses::Responses::new(self.clone())
    }

    /// Webhooks.
    pub fn webhooks(&self) -> resources::webhooks::Webhooks {
        resources::webhooks::Webhooks::new(self.clone())
    }
}

/// The crate README's code blocks, compile-checked with the doc tests (the
/// repository's README is checked by the workspace's tests crate).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
