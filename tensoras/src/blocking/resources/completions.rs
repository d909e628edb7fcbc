//! Blocking `client.completions()`.

use crate::blocking::Iter;
use crate::error::Result;
use crate::resources::completions::Completions as AsyncCompletions;
use crate::response::Mode;
use crate::types::{Completion, CompletionRequest};

blocking_namespace! {
    /// Blocking `client.completions()` (legacy).
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let request = CompletionRequest::new("llama-3.3-70b", "Once");
    /// println!("{}", client.completions().create(request.clone())?.text());
    /// let mut whole = CompletionAccumulator::default();
    /// for chunk in client.completions().create_stream(request)? {
    ///     whole.push(&chunk?)?;
    /// }
    /// println!("{}", whole.finish().text());
    /// # Ok(()) }
    /// ```
    Completions => AsyncCompletions
}

impl<M: Mode> Completions<M> {
    /// See [`crate::resources::completions::Completions::create`].
    pub fn create(&self, request: impl Into<CompletionRequest>) -> Result<M::Output<Completion>> {
        let request: CompletionRequest = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.create(request))
    }

    /// See [`crate::resources::completions::Completions::create_stream`].
    pub fn create_stream(&self, request: impl Into<CompletionRequest>) -> Result<Iter<Completion>> {
        let request: CompletionRequest = request.into();
        let stream = self
            .runtime
            .run_with(&self.inner, move |inner| inner.create_stream(request))?;
        let response = Some((stream.status(), stream.headers().clone()));
        Ok(Iter::new(stream, self.runtime, response))
    }
}
