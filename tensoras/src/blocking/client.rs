//! The blocking client: the async client driven on the shared runtime.

use crate::blocking::iter::Iter;
use crate::blocking::resources;
use crate::blocking::runtime::Runtime;
use crate::config::{BuildClient, Config};
use crate::error::Result;
use crate::operations::{Callable, Streaming};
use crate::response::ApiResponse;
use crate::RequestOptions;
use serde::de::DeserializeOwned;

/// The blocking client. Cheap to clone; every blocking client of the process
/// shares one runtime (see [`crate::blocking`]), and clones share the
/// connection pool. Any number of threads may share one client: each call
/// is a task on the shared runtime, which its caller waits for.
///
/// ```no_run
/// use std::time::Duration;
/// use tensoras::prelude::*;
///
/// let client = tensoras::blocking::Tensoras::builder()
///     .timeout(Duration::from_secs(60))
///     .max_retries(5)
///     .build()?;
/// let patient = client.with_options(RequestOptions::new().timeout(Duration::from_secs(600)));
/// for model in patient.models().list()?.data {
///     println!("{}", model.id);
/// }
/// # Ok::<(), tensoras::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Tensoras {
    inner: crate::Tensoras,
    runtime: &'static Runtime,
}

impl crate::config::sealed::Sealed for Tensoras {}

impl BuildClient for Tensoras {
    fn from_parts(config: Config, http: reqwest::Client) -> Result<Self> {
        Ok(Tensoras {
            inner: crate::Tensoras::from_parts(config, http),
            runtime: Runtime::shared()?,
        })
    }
}

impl Tensoras {
    /// A client configured from the environment (see [`crate::Tensoras::new`]).
    pub fn new() -> Result<Self> {
        Self::builder().build()
    }

    /// A builder for every option (see [`crate::ClientBuilder`]).
    pub fn builder() -> crate::blocking::ClientBuilder {
        crate::ClientBuilder::default()
    }

    /// A blocking client with the configuration and options of `client`.
    ///
    /// Its connections are its own: a connection is driven by the runtime
    /// that opened it, and a blocking call must never wait on one whose
    /// runtime it may be holding up (the caller's own, when it is called
    /// from async code). Only a client built with your own
    /// [`http_client`](crate::ClientBuilder::http_client) shares that
    /// client's connections, since another like it cannot be made: then make
    /// blocking calls from outside the runtime the async client runs on.
    pub fn from_async(client: crate::Tensoras) -> Result<Self> {
        let client = if client.inner.config.own_http {
            let config = client.inner.config.clone();
            let http = crate::config::http_client(config.connect_timeout)?;
            crate::Tensoras::from_parts(config, http).with_options((*client.options).clone())
        } else {
            client
        };
        Ok(Tensoras {
            inner: client,
            runtime: Runtime::shared()?,
        })
    }

    /// The async client this one drives, sharing its connections. For async
    /// code that also holds this blocking client: a connection it opens is
    /// driven by the runtime it runs on, so a blocking call made on that
    /// same runtime's thread could wait on a connection only that blocked
    /// thread would drive. Prefer a separate async client there.
    pub fn as_async(&self) -> &crate::Tensoras {
        &self.inner
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    /// See [`crate::Tensoras::with_options`]; the copy shares this client's
    /// connections and runtime.
    #[must_use = "the client with the options is returned; this one is unchanged"]
    pub fn with_options(&self, options: RequestOptions) -> Self {
        Tensoras {
            inner: self.inner.with_options(options),
            runtime: self.runtime,
        }
    }

    /// See [`crate::Tensoras::call`].
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::operations::RetrieveModel;
    /// println!("{:?}", client.call(RetrieveModel::new("llama-3.3-70b"))?.context_length);
    /// # Ok(()) }
    /// ```
    pub fn call<O>(&self, operation: O) -> Result<O::Response>
    where
        O: Callable,
        O::Response: Send + 'static,
    {
        self.execute::<O, crate::response::Parsed>(operation)
    }

    /// `call` and `call_raw`. The operation is made into a request here:
    /// the task takes the request, so `O` need not be `Send`.
    fn execute<O, M>(&self, operation: O) -> Result<M::Output<O::Response>>
    where
        O: Callable,
        O::Response: Send + 'static,
        M: crate::response::Mode,
    {
        let request = self.inner.request(&operation);
        let decode: fn(&bytes::Bytes) -> serde_json::Result<O::Response> = O::decode;
        self.runtime.run_with(&self.inner, move |inner| {
            inner.execute_request::<_, M>(request, decode)
        })
    }

    /// See [`crate::Tensoras::call_raw`].
    pub fn call_raw<O>(&self, operation: O) -> Result<ApiResponse<O::Response>>
    where
        O: Callable,
        O::Response: Send + 'static,
    {
        self.execute::<O, crate::response::Raw>(operation)
    }

    /// See [`crate::Tensoras::call_stream`]: the events, one at a time.
    pub fn call_stream<O>(&self, mut operation: O) -> Result<Iter<O::Event>>
    where
        O: Streaming + Callable,
        O::Event: DeserializeOwned + Send + 'static,
    {
        // As in `execute`: the task takes the request, not the operation.
        operation.set_stream(true);
        let request = self.inner.request(&operation);
        let stream = self
            .runtime
            .run_with(&self.inner, move |inner| inner.stream_request(request))?;
        Ok(self.iter_events(stream))
    }

    pub(crate) fn iter_events<T>(&self, stream: crate::sse::EventStream<T>) -> Iter<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let response = Some((stream.status(), stream.headers().clone()));
        Iter::new(stream, self.runtime, response)
    }

    /// Chat completions.
    pub fn chat(&self) -> resources::chat::Chat {
        resources::chat::Chat::new(self.inner.chat(), self.runtime)
    }

    /// Legacy text completions.
    pub fn completions(&self) -> resources::completions::Completions {
        resources::completions::Completions::new(self.inner.completions(), self.runtime)
    }

    /// Embeddings.
    pub fn embeddings(&self) -> resources::embeddings::Embeddings {
        resources::embeddings::Embeddings::new(self.inner.embeddings(), self.runtime)
    }

    /// Rerank.
    pub fn rerank(&self) -> resources::rerank::Rerank {
        resources::rerank::Rerank::new(self.inner.rerank(), self.runtime)
    }

    /// Models.
    pub fn models(&self) -> resources::models::Models {
        resources::models::Models::new(self.inner.models(), self.runtime)
    }

    /// Files.
    pub fn files(&self) -> resources::files::Files {
        resources::files::Files::new(self.inner.files(), self.runtime)
    }

    /// Batches.
    pub fn batches(&self) -> resources::batches::Batches {
        resources::batches::Batches::new(self.inner.batches(), self.runtime)
    }

    /// Knowledge bases, with their data sources, documents and ingestion jobs.
    pub fn knowledge_bases(&self) -> resources::knowledge_bases::KnowledgeBases {
        resources::knowledge_bases::KnowledgeBases::new(self.inner.knowledge_bases(), self.runtime)
    }

    /// The Responses API.
    pub fn responses(&self) -> resources::responses::Responses {
        resources::responses::Responses::new(self.inner.responses(), self.runtime)
    }

    /// Webhooks.
    pub fn webhooks(&self) -> resources::webhooks::Webhooks {
        resources::webhooks::Webhooks::new(self.inner.webhooks(), self.runtime)
    }
}
