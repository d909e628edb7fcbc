//! The low-level Tensoras API layer, **generated** from `openapi/tensoras.yaml`
//! by `cargo xtask codegen` (progenitor and typify for the structs; the
//! xtask for open enums, tagged unions, constructors and routing).
//!
//! Do not edit anything in this crate by hand: change the spec (or the
//! generator in `xtask/`) and run `cargo xtask codegen`. CI runs
//! `cargo xtask codegen --check`, which fails when the checked-in code is
//! stale. Most users want the `tensoras` crate, which sends these operations
//! with retries, typed errors and streaming, and re-exports these types.
//!
//! - [`types`]: every schema of the spec. Structs are built with
//!   `new(required…)` and chained setters; enums are open (`Other`).
//! - [`operations`]: one struct per operation, implementing
//!   [`operations::Operation`] (method, path template, parameters, body and
//!   response type), so a client can call an operation as soon as it is in
//!   the spec.
//!
//! ```
//! use tensoras_gen::operations::{CreateEmbedding, Operation};
//! use tensoras_gen::types::EmbeddingRequest;
//!
//! let op = CreateEmbedding::new(EmbeddingRequest::new("bge-large-en-v1.5", "hello"));
//! assert_eq!(CreateEmbedding::PATH, "/embeddings");
//! assert_eq!(serde_json::to_value(op.body().unwrap()).unwrap()["input"], "hello");
//! ```

#![allow(missing_docs, clippy::all, clippy::pedantic, rustdoc::all)]

pub mod operations;
pub mod types;
