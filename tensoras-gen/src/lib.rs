//! The low-level Tensoras API client, **generated** from `openapi/tensoras.yaml`
//! by [progenitor](https://github.com/oxidecomputer/progenitor).
//!
//! Do not edit anything in this crate by hand: change the spec (or the
//! generator in `xtask/`) and run
//!
//! ```text
//! cargo xtask codegen
//! ```
//!
//! CI runs `cargo xtask codegen --check`, which fails when the checked-in code
//! is stale. Most users want the ergonomic `tensoras` crate instead, which adds
//! retries, typed errors, streaming and uploads on top of these types.
//!
//! Operations progenitor cannot express (the multipart file upload and the
//! server-sent-event variants of chat, completions and responses) are listed
//! in `xtask/README.md`; the `tensoras` crate implements them.
//!
//! ```
//! use tensoras_gen::ClientEmbeddingsExt;
//!
//! let client = tensoras_gen::Client::new("http://127.0.0.1:8080/v1");
//! let request = tensoras_gen::types::EmbeddingRequest {
//!     model: "bge-large-en-v1.5".into(),
//!     input: tensoras_gen::types::EmbeddingInput::String("hello".into()),
//!     encoding_format: None,
//!     user: None,
//! };
//! let _call = client.create_embedding().body(request);
//! ```

// progenitor matches the `4XX`/`5XX` ranges before the specific codes the spec
// also lists (401, 404, 429, ...); both arms decode the same `ErrorResponse`,
// so the unreachable specific arms change nothing.
#![allow(unreachable_patterns)]
// typify emits default helpers for every integer type, used or not.
#![allow(dead_code)]
#![allow(missing_docs, clippy::all, clippy::pedantic, rustdoc::all)]

mod generated;
pub use generated::*;
