//! `client.chat().completions()`: chat completions, streaming, structured
//! outputs, tools and RAG. The resource is here; the accumulator, message
//! and tool helpers and structured outputs have a file each.

mod accumulator;
mod completion;
mod messages;
#[cfg(feature = "schemars")]
mod structured;
mod tools;

pub use accumulator::ChatAccumulator;
pub use completion::{ChatCompletionChunkExt, ChatCompletionExt};
pub use messages::{ChatMessageExt, ChatResponseMessageExt, ContentPartExt, MessageContentExt};
#[cfg(feature = "schemars")]
pub use structured::{JsonSchemaObjectExt, ResponseFormatExt};
#[cfg(feature = "schemars")]
pub use tools::ToolExt;
pub use tools::{ToolCallExt, ToolChoiceExt};

use crate::error::Result;
use crate::operations::CreateChatCompletion;
use crate::response::Mode;
#[cfg(feature = "schemars")]
use crate::response::Raw;
use crate::sse::EventStream;
use crate::types::{ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, StreamOptions};
#[cfg(feature = "schemars")]
use serde::de::DeserializeOwned;
use std::future::Future;

namespace! {
    /// The `chat` namespace: `client.chat().completions()`.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let request = ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hi")]);
    /// let reply = client.chat().completions().create(request.clone()).await?;
    /// println!("{}", reply.text());
    /// let raw = client.chat().with_raw_response().completions().create(request).await?;
    /// println!("{} {:?}", raw.status, raw.request_id());
    /// # Ok(()) }
    /// ```
    Chat
}

impl<M: Mode> Chat<M> {
    /// Chat completions.
    pub fn completions(&self) -> Completions<M> {
        Completions::new(self.client.clone())
    }
}

namespace! {
    /// `POST /chat/completions`: a reply, a stream of chunks, or a reply
    /// parsed into your type.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::StreamExt;
    /// use tensoras::prelude::*;
    ///
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Haiku { lines: Vec<String> }
    ///
    /// let completions = client.chat().completions();
    /// let request = ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Write a haiku.")]);
    /// println!("{}", completions.create(request.clone()).await?.text());
    ///
    /// let mut stream = completions.create_stream(request.clone()).await?;
    /// let mut whole = ChatAccumulator::default();
    /// while let Some(chunk) = stream.next().await {
    ///     whole.push(&chunk?)?;
    /// }
    /// println!("{}", whole.finish().text());
    ///
    /// let (haiku, _completion): (Haiku, _) = completions.parse(request).await?;
    /// println!("{}", haiku.lines.join(" / "));
    /// # Ok(()) }
    /// ```
    Completions
}

/// The stream [`Completions::create_stream`] returns.
pub type ChatStream = EventStream<ChatCompletionChunk>;

impl<M: Mode> Completions<M> {
    /// Creates a completion. `stream` in the request is ignored (forced off);
    /// use [`create_stream`](Self::create_stream) to stream.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let response = client.chat().completions().create(
    ///     ChatCompletionRequest::new("llama-3.3-70b", [
    ///         ChatMessage::system("You are a helpful assistant."),
    ///         ChatMessage::user("What is the capital of France?"),
    ///     ])
    ///     .temperature(0.7)
    ///     .max_tokens(256),
    /// ).await?;
    /// println!("{}", response.text());
    /// # Ok(()) }
    /// ```
    pub fn create(
        &self,
        request: impl Into<ChatCompletionRequest>,
    ) -> impl Future<Output = Result<M::Output<ChatCompletion>>> + Send + 'static {
        let mut request = request.into();
        request.stream = None;
        request.stream_options = None;
        self.client
            .execute::<_, M>(CreateChatCompletion::new(request))
    }

    /// Creates a completion and streams it as typed chunks, asking for a
    /// final usage chunk unless `stream_options` says otherwise. The stream
    /// carries the response's status and headers; dropping it closes the
    /// connection.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::StreamExt;
    /// use tensoras::prelude::*;
    /// let mut stream = client.chat().completions()
    ///     .create_stream(ChatCompletionRequest::new(
    ///         "llama-3.3-70b",
    ///         [ChatMessage::user("Write a short poem about APIs.")],
    ///     ))
    ///     .await?;
    /// while let Some(chunk) = stream.next().await {
    ///     print!("{}", chunk?.delta_text());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn create_stream(
        &self,
        request: impl Into<ChatCompletionRequest>,
    ) -> impl Future<Output = Result<ChatStream>> + Send + 'static {
        let mut request = request.into();
        if request.stream_options.is_none() {
            request.stream_options = Some(StreamOptions::new().include_usage(true));
        }
        self.client.call_stream(CreateChatCompletion::new(request))
    }

    /// Asks for JSON matching `T`'s schema (strict mode) and parses the reply
    /// into `T`. A reply that does not match is [`Error::Parse`](crate::Error::Parse).
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Movie { name: String, year: i32, genre: String }
    ///
    /// use tensoras::prelude::*;
    /// let (movie, _raw): (Movie, _) = client.chat().completions()
    ///     .parse(ChatCompletionRequest::new(
    ///         "llama-3.3-70b",
    ///         [ChatMessage::user("Tell me about Inception.")],
    ///     ))
    ///     .await?;
    /// println!("{} ({})", movie.name, movie.year);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "schemars")]
    #[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
    pub fn parse<T>(
        &self,
        request: impl Into<ChatCompletionRequest>,
    ) -> impl Future<Output = Result<(T, M::Output<ChatCompletion>)>> + Send + 'static
    where
        T: DeserializeOwned + schemars::JsonSchema,
    {
        let mut request = request.into();
        request.response_format =
            Some(<crate::types::ResponseFormat as ResponseFormatExt>::json_schema::<T>());
        let call = Completions::<Raw>::new(self.client.clone()).create(request);
        async move {
            let response = call.await?;
            let parsed = response.data.parse::<T>()?;
            Ok((parsed, M::output(response)))
        }
    }
}
