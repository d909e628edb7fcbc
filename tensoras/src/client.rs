//! The async client, and the one path every call takes: an operation from
//! `tensoras-gen` becomes a [`Request`], is sent with retries, and its body
//! is read and decoded.

use crate::config::{ClientBuilder, Config};
use crate::error::{Error, Result};
use crate::operations::{BodyKind, Callable, Method, Operation, Streaming};
use crate::options::{Idempotency, RequestOptions};
use crate::response::{ApiResponse, Mode};
use crate::retry;
use crate::sse::EventStream;
use crate::telemetry;
use crate::transport::{self, Progress, Settings};
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

/// The async Tensoras client. Cheap to clone: clones share one connection pool.
///
/// ```no_run
/// # async fn run() -> tensoras::Result<()> {
/// use tensoras::prelude::*;
///
/// let client = Tensoras::new()?; // reads TENSORAS_API_KEY
/// let response = client
///     .chat()
///     .completions()
///     .create(ChatCompletionRequest::new(
///         "llama-3.3-70b",
///         [ChatMessage::user("Explain RAG in one sentence.")],
///     ))
///     .await?;
/// println!("{}", response.text());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Tensoras {
    pub(crate) inner: Arc<Inner>,
    pub(crate) options: Arc<RequestOptions>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
}

impl std::fmt::Debug for Tensoras {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tensoras")
            .field(
                "base_url",
                &crate::config::redact_url(&self.inner.config.base_url),
            )
            .field("api_key", &self.inner.config.api_key)
            .field("read_timeout", &self.inner.config.read_timeout)
            .field("write_timeout", &self.inner.config.write_timeout)
            .field("total_timeout", &self.inner.config.total_timeout)
            .field("max_retries", &self.inner.config.max_retries)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Builds a multipart form for one attempt; its file parts report their
/// progress to the attempt's [`Progress`].
pub(crate) type MakeForm =
    Box<dyn Fn(&Arc<Progress>) -> Result<reqwest::multipart::Form> + Send + Sync>;

/// The body of one request, rebuilt for every attempt.
pub(crate) enum Body {
    None,
    Json(Bytes),
    Multipart(MakeForm),
}

/// One call, ready to send: everything is checked and serialized, so what
/// is left can only fail on the wire.
pub(crate) struct Request {
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    /// Relative to the base URL, ids checked and encoded (borrowed from the
    /// operation when it has no ids).
    pub(crate) path: Cow<'static, str>,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Body,
    pub(crate) accept: Option<&'static str>,
    /// The call's span and metrics, when someone listens (see `telemetry`).
    pub(crate) observed: Option<Box<telemetry::Call>>,
}

/// A 2xx response whose body is unread, how many attempts it took, and the
/// bounds its body is read within.
pub(crate) struct Sent {
    pub(crate) response: reqwest::Response,
    pub(crate) attempts: u32,
    pub(crate) settings: Settings,
    /// The call being observed, which lives on while the body is read.
    pub(crate) observed: Option<Box<telemetry::Call>>,
}

impl Tensoras {
    /// A client configured from the environment: `TENSORAS_API_KEY` and
    /// optionally `TENSORAS_BASE_URL`.
    pub fn new() -> Result<Self> {
        Self::builder().build()
    }

    /// A builder for every option.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn from_parts(config: Config, http: reqwest::Client) -> Self {
        Tensoras {
            inner: Arc::new(Inner { config, http }),
            options: Arc::new(RequestOptions::default()),
        }
    }

    /// The base URL requests go to, such as `https://api.tensoras.ai/v1`.
    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
    }

    /// A client that shares this one's connections and applies `options`
    /// (timeout, retries, extra headers, query or body fields) to every call.
    ///
    /// ```
    /// # let client = tensoras::Tensoras::builder().api_key("k").build()?;
    /// use std::time::Duration;
    /// let patient = client.with_options(
    ///     tensoras::RequestOptions::new().timeout(Duration::from_secs(600)).max_retries(0),
    /// );
    /// # let _ = patient;
    /// # Ok::<(), tensoras::Error>(())
    /// ```
    #[must_use = "the client with the options is returned; this one is unchanged"]
    pub fn with_options(&self, options: RequestOptions) -> Self {
        Tensoras {
            inner: Arc::clone(&self.inner),
            options: Arc::new(self.options.merged(options)),
        }
    }

    /// Sends an operation of the spec and decodes its answer (JSON, or the
    /// bytes of a download): the low-level entry point, with this client's
    /// authentication, base URL, retries and typed errors. An operation
    /// added to the spec can be called this way as soon as `cargo xtask
    /// codegen` has run.
    ///
    /// It takes every [`Callable`] operation: all but the multipart upload
    /// (`CreateFile`), whose file the caller streams through
    /// [`files().create`](crate::resources::files::Files::create); passing
    /// that one does not compile:
    ///
    /// ```compile_fail
    /// # async fn run(client: tensoras::Tensoras) {
    /// let _ = client.call(tensoras::operations::CreateFile::new()).await;
    /// # }
    /// ```
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::operations::ListIngestionJobs;
    /// use tensoras::types::IngestionJobStatus;
    ///
    /// let page = client
    ///     .call(ListIngestionJobs::new("kb_abc123").status(IngestionJobStatus::Failed).limit(5))
    ///     .await?;
    /// println!("{} failed jobs", page.data.len());
    /// # Ok(()) }
    /// ```
    pub fn call<O>(
        &self,
        operation: O,
    ) -> impl Future<Output = Result<O::Response>> + Send + 'static
    where
        O: Callable,
        O::Response: Send + 'static,
    {
        self.execute::<O, crate::response::Parsed>(operation)
    }

    /// [`call`](Self::call), returning the whole [`ApiResponse`]: status,
    /// headers, request id, rate limit, attempts.
    pub fn call_raw<O>(
        &self,
        operation: O,
    ) -> impl Future<Output = Result<ApiResponse<O::Response>>> + Send + 'static
    where
        O: Callable,
        O::Response: Send + 'static,
    {
        self.execute::<O, crate::response::Raw>(operation)
    }

    /// Sends a streaming operation with `stream: true` and returns its
    /// events as they arrive (see [`EventStream`]).
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::StreamExt;
    /// use tensoras::operations::CreateCompletion;
    /// use tensoras::types::CompletionRequest;
    ///
    /// let mut events = client
    ///     .call_stream(CreateCompletion::new(CompletionRequest::new("llama-3.3-70b", "Once upon")))
    ///     .await?;
    /// while let Some(chunk) = events.next().await {
    ///     print!("{}", chunk?.choices[0].text);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn call_stream<O>(
        &self,
        mut operation: O,
    ) -> impl Future<Output = Result<EventStream<O::Event>>> + Send + 'static
    where
        O: Streaming + Callable,
        O::Event: DeserializeOwned,
    {
        operation.set_stream(true);
        self.stream_request(self.request(&operation))
    }

    /// [`call_stream`](Self::call_stream) of an operation already made
    /// into a request (by [`request`](Self::request)).
    pub(crate) fn stream_request<T: DeserializeOwned>(
        &self,
        request: Result<Request>,
    ) -> impl Future<Output = Result<EventStream<T>>> + Send + 'static {
        let request = request.map(|r| Request {
            accept: Some("text/event-stream"),
            ..r
        });
        use futures::FutureExt as _;
        self.send_unread(request)
            .map(|sent| sent.map(EventStream::new))
    }

    /// Sends `request`, for a response whose body is read as it arrives
    /// (a stream, a download).
    ///
    /// Boxed: a caller's task that awaits the call and then reads the body
    /// is as large as the larger of the two for the whole life of the body.
    /// The call's state (the request, its settings, the send: about 1 KB)
    /// is let go when the head arrives, and the task keeps two words
    /// (issue 21: 10,000 open streams).
    pub(crate) fn send_unread(
        &self,
        request: Result<Request>,
    ) -> futures::future::BoxFuture<'static, Result<Sent>> {
        // Checked before the future is made: a `request?` inside it would
        // hold the request twice (the `Result` and what it held).
        let mut request = match request {
            Ok(request) => request,
            Err(error) => return Box::pin(async move { Err(error) }),
        };
        let client = self.clone();
        Box::pin(async move { client.send(&mut request).await })
    }

    /// Sends `operation` and returns its body as `M` wants it.
    pub(crate) fn execute<O, M>(
        &self,
        operation: O,
    ) -> impl Future<Output = Result<M::Output<O::Response>>> + Send + 'static
    where
        O: Operation,
        O::Response: Send + 'static,
        M: Mode,
    {
        // Built now, before the first await: the future holds the request,
        // not the operation.
        self.execute_request::<_, M>(self.request(&operation), O::decode)
    }

    /// [`execute`](Self::execute) of an operation already made into a
    /// request (by [`request`](Self::request)) and its decoder.
    pub(crate) fn execute_request<T: Send + 'static, M: Mode>(
        &self,
        request: Result<Request>,
        decode: fn(&Bytes) -> serde_json::Result<T>,
    ) -> impl Future<Output = Result<M::Output<T>>> + Send + 'static {
        let client = self.clone();
        async move { Ok(M::output(client.decoded(request?, decode).await?)) }
    }

    /// Checks and serializes `operation` into a [`Request`].
    pub(crate) fn request<O: Operation>(&self, operation: &O) -> Result<Request> {
        let path = crate::path::fill(O::PATH, &operation.path_params())?;
        let body = match (O::BODY, operation.body()) {
            (BodyKind::Json, Some(body)) => Body::Json(self.json_body(body)?),
            (BodyKind::Multipart, _) => {
                return Err(Error::InvalidInput(format!(
                    "{} sends a multipart body, which the caller builds: use the resource method \
                     (such as `files().create`)",
                    O::ID
                )))
            }
            _ => Body::None,
        };
        Ok(Request {
            operation: O::ID,
            method: O::METHOD,
            path,
            query: operation.query(),
            body,
            accept: None,
            observed: telemetry::Call::prepare(self, operation),
        })
    }

    /// A request for an operation whose multipart body the caller builds
    /// (`make` runs once per attempt).
    pub(crate) fn multipart_request<O: Operation>(
        &self,
        operation: &O,
        make: MakeForm,
    ) -> Result<Request> {
        Ok(Request {
            operation: O::ID,
            method: O::METHOD,
            path: crate::path::fill(O::PATH, &operation.path_params())?,
            query: operation.query(),
            body: Body::Multipart(make),
            accept: None,
            observed: telemetry::Call::prepare(self, operation),
        })
    }

    /// Sends a request and decodes its JSON answer, all within the total
    /// timeout when there is one.
    pub(crate) async fn json<T: DeserializeOwned + 'static>(
        &self,
        request: Request,
    ) -> Result<ApiResponse<T>> {
        self.decoded(request, |body| serde_json::from_slice(body))
            .await
    }

    /// Sends a request and decodes its answer with `decode`, all within the
    /// total timeout when there is one.
    pub(crate) async fn decoded<T: 'static>(
        &self,
        mut request: Request,
        decode: fn(&Bytes) -> serde_json::Result<T>,
    ) -> Result<ApiResponse<T>> {
        let mut observed = request.observed.take();
        if let Some(call) = &mut observed {
            call.begin(); // the first poll: the call starts now
        }
        let result = self
            .decoded_within(request, decode, observed.as_deref())
            .await;
        if let Some(call) = observed {
            call.finish(&result);
        }
        result
    }

    /// [`decoded`](Self::decoded) without starting or finishing the call's
    /// observation (its attempts are observed). (Its own function, with the
    /// request moved into the inner future: a future holding both would be
    /// larger, and every call's future is moved.)
    async fn decoded_within<T>(
        &self,
        request: Request,
        decode: fn(&Bytes) -> serde_json::Result<T>,
        observed: Option<&telemetry::Call>,
    ) -> Result<ApiResponse<T>> {
        let answer = self.answer_within(request, observed).await?;
        let data = decode(&answer.body).map_err(|e| Error::decode(e.to_string(), &answer.body))?;
        Ok(ApiResponse::new(
            data,
            answer.status,
            answer.headers,
            answer.attempts,
        ))
    }

    /// A non-streaming call's 2xx answer, its body read within the call's
    /// bounds. Not generic over the decoded type: the retry loop is
    /// compiled once for every JSON call, not once per response type.
    async fn answer_within(
        &self,
        request: Request,
        observed: Option<&telemetry::Call>,
    ) -> Result<Answer> {
        let settings = self.settings(&request)?;
        let bounds = &settings;
        // Boxed: held inline, the body read's state (600 bytes) would sit
        // beside the attempt's live locals in every call's future.
        let read = move |response, attempts| Box::pin(read_answer(response, attempts, bounds));
        // Lent, not moved: a moved request would be held twice.
        let attempts = self.send_with(&request, &settings, observed, read);
        transport::within_total(settings.deadline, attempts).await
    }

    /// The bounds of one call: the client's configuration, overridden by
    /// its options; the total timeout starts now.
    pub(crate) fn settings(&self, request: &Request) -> Result<Settings> {
        let config = &self.inner.config;
        let options = &self.options;
        let total = options.total_timeout.or(config.total_timeout);
        let idempotency_key = match (&options.idempotency, request.method) {
            (Some(Idempotency::Off), _) | (None, Method::Get) => None,
            (Some(Idempotency::Key(key)), _) => Some(HeaderValue::from_str(key).map_err(|_| {
                Error::InvalidInput(
                    "the idempotency key has characters a header cannot carry".into(),
                )
            })?),
            (None, _) => Some(retry::idempotency_key()),
        };
        Ok(Settings {
            read: options.read_timeout.unwrap_or(config.read_timeout),
            write: options.write_timeout.unwrap_or(config.write_timeout),
            connect: config.connect_timeout,
            // A total past what the clock can hold is no bound at all.
            deadline: total
                .and_then(|t| transport::later(tokio::time::Instant::now(), t).map(|at| (t, at))),
            max_retries: options.max_retries.unwrap_or(config.max_retries),
            limits: config.limits,
            idempotency_key,
        })
    }

    pub(crate) fn json_body<B: Serialize + ?Sized>(&self, body: &B) -> Result<Bytes> {
        let unserializable = |e: serde_json::Error| {
            Error::InvalidInput(format!("the request does not serialize: {e}"))
        };
        if self.options.extra_body.is_empty() {
            // The usual case: serialize once, straight to bytes.
            return serde_json::to_vec(body)
                .map(Bytes::from)
                .map_err(unserializable);
        }
        let mut value = serde_json::to_value(body).map_err(unserializable)?;
        let Some(object) = value.as_object_mut() else {
            return Err(Error::InvalidInput(
                "extra body fields need a JSON object body".into(),
            ));
        };
        for (k, v) in &self.options.extra_body {
            object.insert(k.clone(), v.clone());
        }
        serde_json::to_vec(&value)
            .map(Bytes::from)
            .map_err(unserializable)
    }

    /// One attempt's request, and for a body that goes out as a stream the
    /// [`Progress`] that sees it go.
    fn build(
        &self,
        request: &Request,
        settings: &Settings,
        retry: u32,
    ) -> Result<(reqwest::Request, Option<Arc<Progress>>)> {
        use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
        let config = &self.inner.config;
        let mut url = config.base.clone();
        let mut path = String::with_capacity(url.path().len() + 1 + request.path.len());
        path.push_str(url.path().trim_end_matches('/'));
        path.push('/');
        path.push_str(&request.path);
        url.set_path(&path);
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
            other => {
                return Err(Error::InvalidInput(format!(
                    "unsupported method {}",
                    other.as_str()
                )))
            }
        };
        let mut builder = self.inner.http.request(method, url);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        if !self.options.extra_query.is_empty() {
            builder = builder.query(&self.options.extra_query);
        }
        // A large or multipart body goes out as a stream whose progress is
        // tracked, so the write timeout applies; a small one at once.
        let mut progress = None;
        let mut json = false;
        match &request.body {
            Body::None => {}
            Body::Json(bytes) if bytes.len() > transport::STREAM_JSON_ABOVE => {
                let tracker = progress.insert(Progress::new(settings));
                builder = builder
                    .header(CONTENT_LENGTH, bytes.len())
                    .body(transport::tracked_bytes(bytes.clone(), tracker));
                json = true;
            }
            Body::Json(bytes) => {
                builder = builder.body(bytes.clone());
                json = true;
            }
            Body::Multipart(make) => {
                let tracker = progress.insert(Progress::new(settings));
                builder = builder.multipart(make(tracker)?);
            }
        }
        let mut built = builder.build().map_err(Error::connection)?;
        // The headers go straight into a map sized for them: through the
        // builder, each was a fallible conversion and the map grew on the way.
        // Sized for them and one more: reqwest then looks up each of its
        // own default headers (`accept`, `user-agent`) with `entry`, which
        // grows a full map to twice its room even when the header is there.
        // Counted, not a fixed guess: a `GET` needs half the room of a
        // streamed chat call, and the map is held (and cloned, room and
        // all) while the request is out (issue 21: 10,000 calls in flight).
        let headers = built.headers_mut();
        headers.reserve(
            config.default_headers.len()
                + 3 // authorization, retry count, accept
                + usize::from(settings.idempotency_key.is_some())
                + usize::from(json)
                + self.options.extra_headers.len()
                + 1,
        );
        for (name, value) in &config.default_headers {
            headers.append(name, value.clone());
        }
        headers.insert(AUTHORIZATION, config.api_key.header_value());
        headers.insert(retry::RETRY_COUNT_HEADER, retry::retry_count_value(retry));
        if let Some(key) = &settings.idempotency_key {
            headers.insert(retry::IDEMPOTENCY_HEADER, key.clone());
        }
        match request.accept {
            Some(accept) => {
                headers.insert(ACCEPT, HeaderValue::from_static(accept));
            }
            // The SDK's own reqwest client would add its default, the same
            // `*/*`; added here, reqwest's lookup finds it and adds nothing
            // to a map sized for ours. One set with `default_header` stays,
            // and a client of the caller's adds its own default.
            None if config.own_http => {
                headers
                    .entry(ACCEPT)
                    .or_insert(HeaderValue::from_static("*/*"));
            }
            None => {}
        }
        if json {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        // Last, and replacing: a per-call header overrides any set above.
        let mut name = None;
        for (next, value) in self.options.extra_headers.iter() {
            if name != Some(next) {
                headers.remove(next);
                name = Some(next);
            }
            headers.append(next, value.clone());
        }
        Ok((built, progress))
    }

    /// Sends with retries and returns a 2xx response whose body is unread,
    /// within the total timeout when there is one (the caller reads the
    /// body within its own bounds: streams, downloads).
    ///
    /// The request is lent, not given: this future would hold a request
    /// it was given twice (an `async fn` moves its arguments into its
    /// body), and the caller's future holds it anyway.
    pub(crate) async fn send(&self, request: &mut Request) -> Result<Sent> {
        let mut observed = request.observed.take();
        if let Some(call) = &mut observed {
            call.begin(); // the first poll: the call starts now
        }
        let failed = |observed: Option<Box<telemetry::Call>>, error: Error| {
            if let Some(call) = observed {
                call.failed(&error);
            }
            Err(error)
        };
        // The settings are this future's own, lent to the attempts (moved
        // into an inner future, they would be held twice; matched on where
        // they are used, so would the `Result` they came in).
        let settings = match self.settings(request) {
            Ok(settings) => settings,
            Err(error) => return failed(observed, error),
        };
        let head = |response, attempts| std::future::ready(Ok((response, attempts)));
        let attempts = self.send_with(request, &settings, observed.as_deref(), head);
        match transport::within_total(settings.deadline, attempts).await {
            Ok((response, attempts)) => Ok(Sent {
                response,
                attempts,
                settings,
                observed,
            }),
            Err(error) => failed(observed, error),
        }
    }

    /// The attempts of a call, each sent and its 2xx answer handed to
    /// `answer` with the attempt's count: what `answer` makes of it, or the
    /// last attempt's error. [`send`](Self::send)'s `answer` keeps the
    /// response unread; [`decoded`](Self::decoded)'s reads its body (and
    /// decodes it after the loop: an undecodable body is not retried).
    ///
    /// An answer whose body fails on its way (a stall past the read
    /// timeout, a reset) is retried like an attempt whose head never came,
    /// within the same count, as openai-python does — when sending it again
    /// cannot do the work twice: a `GET`, `PUT` or `DELETE`, or a call with
    /// an idempotency key (every attempt carries the same). An oversized or
    /// undecodable body is not retried ([`Error::is_retryable`]).
    async fn send_with<R, A>(
        &self,
        request: &Request,
        settings: &Settings,
        observed: Option<&telemetry::Call>,
        mut answer: impl FnMut(reqwest::Response, u32) -> A,
    ) -> Result<R>
    where
        A: std::future::Future<Output = Result<R>>,
    {
        let replayable = matches!(request.method, Method::Get | Method::Put | Method::Delete)
            || settings.idempotency_key.is_some();
        let mut retry = 0;
        loop {
            let (built, progress) = self.build(request, settings, retry)?;
            let send = self.inner.http.execute(built);
            // Boxed: held across the attempt's await, it would otherwise
            // enlarge every call's future, observed or not.
            let attempt = observed.map(|call| Box::new(call.attempt(retry)));
            let attempts = retry.saturating_add(1);
            let err = match transport::attempt(send, progress.as_deref(), settings).await {
                Err(err) => err,
                Ok(response) if response.status().is_success() => {
                    if let Some(attempt) = &attempt {
                        attempt.answered(response.status().as_u16(), response.headers());
                    }
                    match answer(response, attempts).await {
                        Ok(done) => {
                            if let Some(attempt) = attempt {
                                attempt.succeeded();
                            }
                            return Ok(done);
                        }
                        Err(err) if replayable => err,
                        Err(err) => {
                            if let Some(attempt) = attempt {
                                attempt.failed(&err, None);
                            }
                            return Err(err);
                        }
                    }
                }
                // Boxed: the error path's state would otherwise make every
                // request's future (moved into each task) larger.
                Ok(response) => {
                    Box::pin(transport::error_from_response(response, settings, attempts)).await
                }
            };
            let wait = retry_wait(settings, retry, &err);
            if let Some(attempt) = attempt {
                attempt.failed(&err, wait);
            }
            let Some(delay) = wait else {
                return Err(err);
            };
            log_retry(request.operation, &err, retry, settings, delay);
            tokio::time::sleep(delay).await;
            retry += 1;
        }
    }
}

/// How long to wait before retrying after `err` failed the attempt with
/// retry number `retry` (0 for the first attempt), or `None` when it is not
/// retried: the count is used up, the error is not retryable, or the wait
/// would outlast the total timeout — then the call ends now with the error
/// that asked for the wait (a 429 and its Retry-After), not with a timeout
/// that would hide it.
fn retry_wait(settings: &Settings, retry: u32, err: &Error) -> Option<std::time::Duration> {
    if retry >= settings.max_retries || !err.is_retryable() {
        return None;
    }
    let delay = retry::delay(retry, err.as_api().and_then(|e| e.retry_after));
    let outlasts_total = settings.deadline.is_some_and(|(_, at)| {
        transport::later(tokio::time::Instant::now(), delay).is_none_or(|wake| wake >= at)
    });
    (!outlasts_total).then_some(delay)
}

/// The warning every retry logs.
fn log_retry(
    operation: &'static str,
    err: &Error,
    retry: u32,
    settings: &Settings,
    delay: std::time::Duration,
) {
    tracing::warn!(
        target: "tensoras::retry",
        operation,
        status = err.status(),
        attempt = retry.saturating_add(1),
        max_retries = settings.max_retries,
        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
        error = %err,
        "retrying request"
    );
}

/// A 2xx answer, its body read whole.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
    /// How many attempts the call took.
    attempts: u32,
}

/// Reads a success body within the call's bounds; `attempts` is how many
/// the call took.
async fn read_answer(
    mut response: reqwest::Response,
    attempts: u32,
    settings: &Settings,
) -> Result<Answer> {
    let status = response.status().as_u16();
    let headers: HeaderMap = std::mem::take(response.headers_mut()); // moved, not copied
    let body = transport::read_body(&mut response, settings).await?;
    Ok(Answer {
        status,
        headers,
        body,
        attempts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            read: std::time::Duration::from_secs(5),
            write: std::time::Duration::from_secs(5),
            connect: std::time::Duration::from_secs(5),
            deadline: None,
            max_retries: 0,
            limits: crate::Limits::default(),
            idempotency_key: None,
        }
    }

    fn response_of(reads: &[&'static str]) -> reqwest::Response {
        let reads = reads
            .iter()
            .map(|r| Ok::<_, std::io::Error>(Bytes::from_static(r.as_bytes())));
        let body = reqwest::Body::wrap_stream(futures::stream::iter(reads.collect::<Vec<_>>()));
        reqwest::Response::from(http::Response::new(body))
    }

    #[tokio::test]
    async fn a_body_is_read_whole_in_one_read_or_many() {
        for reads in [
            &[][..],
            &["{\"a\":1}"][..],
            &["{\"a\"", ":1}"][..],
            &["{", "\"a\"", ":", "1", "}"][..],
        ] {
            let mut response = response_of(reads);
            let body = transport::read_body(&mut response, &settings())
                .await
                .expect("body");
            assert_eq!(body, reads.concat().as_bytes(), "{reads:?}");
        }
        // Read with the status and headers kept.
        let mut response = response_of(&["{\"a\"", ":1}"]);
        response
            .headers_mut()
            .insert("x-request-id", HeaderValue::from_static("req_1"));
        let answer = read_answer(response, 2, &settings()).await.expect("body");
        assert_eq!(answer.body, "{\"a\":1}");
        assert_eq!(answer.status, 200);
        assert_eq!(answer.headers["x-request-id"], "req_1");
        assert_eq!(answer.attempts, 2);
    }

    #[test]
    fn urls_are_the_base_extended_as_a_full_parse_would_make_them() {
        for base in [
            "http://127.0.0.1:9/v1",
            "http://user:pa%20ss@api.example.com/proxy/v2/",
            "http://[::1]:8080",
        ] {
            let client = Tensoras::builder()
                .api_key("k")
                .base_url(base)
                .build()
                .unwrap();
            for (path, query) in [
                ("chat/completions", vec![]),
                (
                    "knowledge-bases/kb%201/documents/d%2F2",
                    vec![("limit", "5".to_owned())],
                ),
                (
                    "files/%3Fx%23y/content",
                    vec![("after", "a b&c".to_owned())],
                ),
            ] {
                let request = Request {
                    operation: "test",
                    method: Method::Get,
                    path: Cow::Borrowed(path),
                    query: query.clone(),
                    body: Body::None,
                    accept: None,
                    observed: None,
                };
                let (built, _) = client.build(&request, &settings(), 0).unwrap();
                let mut expected =
                    reqwest::Url::parse(&format!("{}/{path}", client.base_url())).unwrap();
                if !query.is_empty() {
                    expected.query_pairs_mut().extend_pairs(&query);
                }
                // reqwest moves URL credentials into an `Authorization` header
                // (which the API key's then replaces).
                let _ = expected.set_username("");
                let _ = expected.set_password(None);
                assert_eq!(built.url(), &expected, "{base} {path}");
            }
        }
    }

    #[test]
    fn a_request_s_header_map_has_room_for_its_headers_and_reqwest_s_lookups() {
        // Held, and cloned with its room, while each request is out (issue
        // 21). reqwest then looks up its own default headers with `entry`,
        // which grows a full map to twice its room: a map sized for the
        // headers alone would be grown on every request.
        use reqwest::header::{Entry, ACCEPT, USER_AGENT};
        let client = Tensoras::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:9/v1")
            .build()
            .unwrap();
        let keyed = Settings {
            idempotency_key: Some(HeaderValue::from_static("key-1")),
            ..settings()
        };
        let request = |method, body: &'static [u8], accept| Request {
            operation: "test",
            method,
            path: Cow::Borrowed("chat/completions"),
            query: vec![],
            body: match body {
                b"" => Body::None,
                json => Body::Json(Bytes::from_static(json)),
            },
            accept,
            observed: None,
        };
        let post = request(Method::Post, b"{}", None);
        let stream = request(Method::Post, b"{}", Some("text/event-stream"));
        let get = request(Method::Get, b"", None);
        // The headers of each, and the room `http` gives a map of 8 or 16
        // slots (it keeps a quarter free).
        for (request, settings, headers, room) in [
            (&post, &keyed, 6, 12),
            (&stream, &keyed, 6, 12),
            (&get, &settings(), 4, 6),
        ] {
            let (mut built, _) = client.build(request, settings, 0).unwrap();
            let map = built.headers_mut();
            assert_eq!(map.len(), headers, "{:?}", map.keys().collect::<Vec<_>>());
            assert_eq!(map.capacity(), room);
            for name in [ACCEPT, USER_AGENT] {
                match map.entry(name) {
                    Entry::Occupied(_) => {}
                    Entry::Vacant(_) => panic!("reqwest would add a header"),
                }
            }
            assert_eq!(map.capacity(), room, "grown by reqwest's lookups");
        }
        let (built, _) = client.build(&stream, &keyed, 0).unwrap();
        let mut names: Vec<_> = built.headers().keys().map(|n| n.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "accept",
                "authorization",
                "content-type",
                "idempotency-key",
                "user-agent",
                "x-tensoras-retry-count"
            ]
        );
        assert_eq!(built.headers()[ACCEPT], "text/event-stream");
        // reqwest's default, as before.
        let (built, _) = client.build(&get, &settings(), 0).unwrap();
        assert_eq!(built.headers()[ACCEPT], "*/*");
        // An `Accept` of the caller's is kept; a stream's replaces it, as
        // it always did.
        let client = Tensoras::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:9/v1")
            .default_header(ACCEPT, HeaderValue::from_static("application/json"))
            .build()
            .unwrap();
        for (request, accept) in [
            (&get, "application/json"),
            (&post, "application/json"),
            (&stream, "text/event-stream"),
        ] {
            let (built, _) = client.build(request, &keyed, 0).unwrap();
            assert_eq!(built.headers().get_all(ACCEPT).iter().count(), 1);
            assert_eq!(built.headers()[ACCEPT], accept);
        }
    }

    #[test]
    fn a_calls_state_stays_small() {
        // Every call's future is moved (into a task, a `select!`) and
        // alive while the call is out: 10,000 calls in flight hold 10,000
        // of them (issue 21). The bounds are the docs' "about 1 KB" for a
        // streaming call's send (`send_unread`), and twice that for a
        // call that also reads its body, in a debug build (a release
        // build's are smaller).
        let client = Tensoras::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:9/v1")
            .build()
            .unwrap();
        let request = || Request {
            operation: "test",
            method: Method::Post,
            path: Cow::Borrowed("chat/completions"),
            query: vec![],
            body: Body::Json(Bytes::from_static(b"{}")),
            accept: None,
            observed: None,
        };
        let mut streamed = request();
        let send = client.send(&mut streamed);
        assert!(
            std::mem::size_of_val(&send) <= 1024,
            "{}",
            std::mem::size_of_val(&send)
        );
        drop(send);
        let decoded = client.decoded::<serde_json::Value>(request(), |b| serde_json::from_slice(b));
        assert!(
            std::mem::size_of_val(&decoded) <= 2048,
            "{}",
            std::mem::size_of_val(&decoded)
        );
    }
}
