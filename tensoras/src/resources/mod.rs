//! One module per API resource.

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
