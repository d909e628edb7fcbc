//! A local Tensoras-compatible server for testing code that uses the
//! [`tensoras`] SDK, without the network.
//!
//! - **A working fake by default.** Every operation of the API answers as the
//!   real one does, on a small scale: chat and completions reply
//!   deterministically (the same request, the same answer), streams stream,
//!   structured outputs and tool arguments follow the caller's JSON schema,
//!   embeddings are stable vectors, knowledge bases retrieve what was
//!   uploaded, files round-trip, batches run their lines and webhooks
//!   deliver signed events.
//! - **Typed scripting per operation** ([`MockServer::mock`]): match the
//!   typed request of any operation of [`tensoras::operations`] and answer
//!   with a typed response, a stream of typed chunks or an API error.
//! - **Faults as API** ([`Fault`]): fail the next calls with a status, stall
//!   before the head or mid-stream, cut a stream mid-event, slow tokens,
//!   rate-limit headers, connection resets.
//! - **What was received, typed** ([`MockServer::received`]), expectations
//!   verified when the server drops, every request validated against the
//!   API's OpenAPI spec (one the real API would refuse gets a 422 and fails
//!   the test) — and every reply too, scripted ones included, so a script
//!   that drifts from the real API fails the test.
//! - **A method per operation**, generated from the spec: `server.create_chat_completion()`
//!   is `server.mock::<CreateChatCompletion>()`.
//! - **Cassettes** ([`cassette`]): record real traffic through the server
//!   as a proxy (the API key stripped), replay it in tests.
//! - **Any language** ([`control`]): the `tensoras-mock-server` binary takes
//!   the same scripts and faults over a small HTTP control endpoint.
//!
//! ```
//! use tensoras::prelude::*;
//! use tensoras_mock::{MockServer, Reply};
//! use tensoras::operations::CreateChatCompletion;
//!
//! # #[tokio::main] async fn main() -> tensoras::Result<()> {
//! let server = MockServer::start().await;
//! server
//!     .mock::<CreateChatCompletion>()
//!     .when(|request| request.model == "llama-3.3-70b")
//!     .respond(Reply::text("Paris."))
//!     .expect(1)
//!     .mount();
//!
//! let client = server.client();
//! let request = ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Capital of France?")]);
//! let answer = client.chat().completions().create(request).await?;
//! assert_eq!(answer.text(), "Paris.");
//!
//! let received = server.received::<CreateChatCompletion>();
//! assert_eq!(received[0].body.messages.len(), 1);
//! # Ok(()) }
//! ```
//!
//! Unscripted, the server is the fake: the same client works against it as
//! against the real API.
//!
//! ```
//! use tensoras::prelude::*;
//!
//! let server = tensoras_mock::MockServer::start_blocking();
//! let client = server.blocking_client();
//! let vectors = client.embeddings().create(EmbeddingRequest::new("bge-large-en-v1.5", "hello"))?;
//! assert_eq!(vectors.data[0].embedding.len(), tensoras_mock::EMBEDDING_DIM);
//! # Ok::<(), tensoras::Error>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod cassette;
pub mod conformance;
pub mod control;
pub mod deliveries;
mod fault;
mod gate;
mod generated {
    pub(crate) mod operations;
}
mod listener;
mod received;
mod routes;
mod schema;
mod script;
mod server;
mod store;

pub use fault::Fault;
pub use received::Received;
pub use routes::embed;
pub use script::{Mock, MockGuard, Reply, Times};
pub use server::{MockServer, MockServerBuilder};
pub use store::Recorded;

/// The API key the server accepts unless [`MockServerBuilder::api_key`] says otherwise.
pub const API_KEY: &str = "tns_test_key";
/// The embedding size, as documented.
pub const EMBEDDING_DIM: usize = 1024;

/// The crate README's code blocks, compile-checked and run with the doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
