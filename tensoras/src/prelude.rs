//! What most programs use, in one import: the client, the request and
//! response types, and the reading and building helpers as methods.
//!
//! ```no_run
//! use tensoras::prelude::*;
//!
//! # async fn run() -> tensoras::Result<()> {
//! let client = Tensoras::new()?;
//! let completion = client
//!     .chat()
//!     .completions()
//!     .create(ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hi")]))
//!     .await?;
//! println!("{}", completion.text());
//! # Ok(()) }
//! ```
//!
//! The helpers are extension traits because the types are generated in
//! `tensoras-gen`; each trait's page shows its methods.

pub use crate::resources::batches::BatchExt;
pub use crate::resources::chat::{
    ChatCompletionChunkExt, ChatCompletionExt, ChatMessageExt, ChatResponseMessageExt,
    ContentPartExt, MessageContentExt, ToolCallExt, ToolChoiceExt,
};
#[cfg(feature = "schemars")]
pub use crate::resources::chat::{JsonSchemaObjectExt, ResponseFormatExt, ToolExt};
pub use crate::resources::completions::CompletionExt;
pub use crate::resources::embeddings::EmbeddingExt;
pub use crate::resources::responses::ResponseExt;

pub use crate::operations::{
    ListBatches, ListDataSources, ListDocuments, ListFiles, ListIngestionJobs, ListKnowledgeBases,
    ListWebhooks,
};
pub use crate::types::*;
pub use crate::{
    ApiResponse, ChatAccumulator, CompletionAccumulator, Error, FileSource, RequestOptions,
    ResponseAccumulator, Result, Tensoras,
};
