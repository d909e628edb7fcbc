//! One module per resource, mirroring [`crate::resources`]: the same type
//! and method names, returning values instead of futures and [`Iter`]s
//! instead of streams.
//!
//! [`Iter`]: crate::blocking::Iter

pub mod batches;
pub mod chat;
pub mod completions;
pub mod embeddings;
pub mod files;
pub mod knowledge_bases;
pub mod models;
pub mod rerank;
pub mod responses;
pub mod webhooks;
