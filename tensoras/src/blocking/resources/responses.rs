//! Blocking `client.responses()`.

use crate::blocking::Iter;
use crate::error::Result;
use crate::resources::responses::Responses as AsyncResponses;
use crate::response::Mode;
use crate::types::{Response, ResponseCreateRequest, ResponseStreamEvent};

blocking_namespace! {
    /// Blocking `client.responses()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let request = ResponseCreateRequest::new("llama-3.3-70b", "Hello");
    /// let response = client.responses().create(request.clone())?;
    /// println!("{:?}", client.responses().retrieve(&response.id)?.output_text);
    /// let mut whole = ResponseAccumulator::default();
    /// for event in client.responses().create_stream(request)? {
    ///     whole.push(&event?)?;
    /// }
    /// println!("{}", whole.finish().text());
    /// # Ok(()) }
    /// ```
    Responses => AsyncResponses
}

impl<M: Mode> Responses<M> {
    /// See [`crate::resources::responses::Responses::create`].
    pub fn create(&self, request: impl Into<ResponseCreateRequest>) -> Result<M::Output<Response>> {
        let request: ResponseCreateRequest = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.create(request))
    }

    /// See [`crate::resources::responses::Responses::create_stream`]: the
    /// events, one at a time.
    pub fn create_stream(
        &self,
        request: impl Into<ResponseCreateRequest>,
    ) -> Result<Iter<ResponseStreamEvent>> {
        let request: ResponseCreateRequest = request.into();
        let stream = self
            .runtime
            .run_with(&self.inner, move |inner| inner.create_stream(request))?;
        let response = stream.response();
        Ok(Iter::new(stream, self.runtime, response))
    }

    /// See [`crate::resources::responses::Responses::retrieve`].
    pub fn retrieve(&self, response_id: &str) -> Result<M::Output<Response>> {
        let response_id = response_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.retrieve(&response_id))
    }
}
