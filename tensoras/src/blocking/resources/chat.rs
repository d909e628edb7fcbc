//! Blocking `client.chat()`.

use crate::blocking::Iter;
use crate::error::Result;
use crate::resources::chat::{Chat as AsyncChat, Completions as AsyncCompletions};
use crate::response::Mode;
use crate::types::{ChatCompletion, ChatCompletionChunk, ChatCompletionRequest};
#[cfg(feature = "schemars")]
use serde::de::DeserializeOwned;

blocking_namespace! {
    /// Blocking `client.chat()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let reply = client.chat().completions().create(
    ///     ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hi")]),
    /// )?;
    /// println!("{}", reply.text());
    /// # Ok(()) }
    /// ```
    Chat => AsyncChat
}

impl<M: Mode> Chat<M> {
    /// Chat completions.
    pub fn completions(&self) -> Completions<M> {
        Completions::new(self.inner.completions(), self.runtime)
    }
}

blocking_namespace! {
    /// Blocking `chat().completions()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Movie { name: String, year: i32 }
    /// let request = ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Tell me about Inception.")]);
    /// println!("{}", client.chat().completions().create(request.clone())?.text());
    /// for chunk in client.chat().completions().create_stream(request.clone())? {
    ///     print!("{}", chunk?.delta_text());
    /// }
    /// let (movie, _raw): (Movie, _) = client.chat().completions().parse(request)?;
    /// println!("{} ({})", movie.name, movie.year);
    /// # Ok(()) }
    /// ```
    Completions => AsyncCompletions
}

impl<M: Mode> Completions<M> {
    /// See [`crate::resources::chat::Completions::create`].
    pub fn create(
        &self,
        request: impl Into<ChatCompletionRequest>,
    ) -> Result<M::Output<ChatCompletion>> {
        let request: ChatCompletionRequest = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.create(request))
    }

    /// See [`crate::resources::chat::Completions::create_stream`]: the chunks,
    /// one at a time.
    pub fn create_stream(
        &self,
        request: impl Into<ChatCompletionRequest>,
    ) -> Result<Iter<ChatCompletionChunk>> {
        let request: ChatCompletionRequest = request.into();
        let stream = self
            .runtime
            .run_with(&self.inner, move |inner| inner.create_stream(request))?;
        let response = Some((stream.status(), stream.headers().clone()));
        Ok(Iter::new(stream, self.runtime, response))
    }

    /// See [`crate::resources::chat::Completions::parse`].
    #[cfg(feature = "schemars")]
    #[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
    pub fn parse<T>(
        &self,
        request: impl Into<ChatCompletionRequest>,
    ) -> Result<(T, M::Output<ChatCompletion>)>
    where
        T: DeserializeOwned + schemars::JsonSchema + Send + 'static,
    {
        let request: ChatCompletionRequest = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.parse::<T>(request))
    }
}
