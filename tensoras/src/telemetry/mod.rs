//! Observability under OpenTelemetry's
//! [GenAI semantic conventions](https://github.com/open-telemetry/semantic-conventions-genai)
//! (version [`SEMCONV_VERSION`]; the GenAI conventions are still in
//! development, so their names may change in a later version of this crate).
//!
//! Every call is a span, through [`tracing`](https://docs.rs/tracing): any
//! subscriber sees it, and `tracing-opentelemetry` exports it as the
//! conventions describe (name in `otel.name`, kind `client` in `otel.kind`,
//! `otel.status_code = "ERROR"` and `otel.status_message` on failure, the
//! status left unset on success as instrumentation libraries should). With
//! no subscriber, nothing is computed: a disabled span is one check.
//!
//! - **Inference** (chat completions, the Responses API, legacy completions,
//!   embeddings): span `gen_ai` at `INFO`, target `tensoras`, named
//!   `{gen_ai.operation.name} {gen_ai.request.model}` (`chat llama-3.3-70b`,
//!   `text_completion …`, `embeddings …`), with `gen_ai.operation.name`,
//!   `gen_ai.provider.name` (`tensoras`), `gen_ai.request.model`,
//!   `gen_ai.request.max_tokens`, `.temperature`, `.top_p`,
//!   `.stop_sequences`, `.seed`, `.choice.count` (when not 1), `.stream`,
//!   `.encoding_formats`, `gen_ai.response.id`, `.model`,
//!   `.finish_reasons`, `.time_to_first_chunk` (streams),
//!   `gen_ai.usage.input_tokens`, `.output_tokens`,
//!   `.cache_read.input_tokens`, `server.address`, `server.port`,
//!   `error.type`, and `tensoras.request.id` (the `x-request-id`),
//!   `tensoras.attempts`, `tensoras.stream.dropped`. List-valued attributes
//!   (`stop_sequences`, `finish_reasons`, `encoding_formats`) are JSON
//!   arrays as text, since `tracing` has no list values.
//! - **Every other operation** (files, batches, knowledge bases, rerank,
//!   models, webhooks): span `tensoras.request`, named after the route
//!   (`GET /v1/files/{file_id}`), with the HTTP client attributes
//!   `http.request.method`, `url.template`, `server.address`,
//!   `server.port`, `http.response.status_code`, `error.type`, and
//!   `tensoras.operation` (the spec's operation id). A knowledge-base query
//!   is also `gen_ai.operation.name = "retrieval"` with
//!   `gen_ai.data_source.id` (the knowledge base).
//! - **Attempts**: each HTTP request of a call, retries included, is a
//!   child span `tensoras.attempt` (target `tensoras::attempt`) with
//!   `http.request.resend_count` from the second, its status or
//!   `error.type`, its request id, and `tensoras.retry.delay_ms`, the wait
//!   before the next attempt.
//! - **Streams**: the span lives until the stream ends or is dropped
//!   (`tensoras.stream.dropped = true` then), and records the time to the
//!   first chunk, the finish reasons and the usage of the final chunks.
//!
//! `error.type` is low-cardinality: see [`error_type`].
//!
//! **Content capture** is off by default, as the conventions say:
//! [`ClientBuilder::capture_content`](crate::ClientBuilder::capture_content)
//! (or [`CAPTURE_CONTENT_ENV`]) records `gen_ai.input.messages`,
//! `gen_ai.output.messages`, `gen_ai.system_instructions` and
//! `gen_ai.tool.definitions` in the conventions' structured form (JSON
//! text), each bounded in size. Headers, the API key and other secrets are
//! never recorded.
//!
//! **Metrics** (feature `opentelemetry`): `gen_ai.client.operation.duration`
//! (s), `gen_ai.client.token.usage` ({token}, by `gen_ai.token.type`),
//! `gen_ai.client.operation.time_to_first_chunk` and
//! `gen_ai.client.operation.time_per_output_chunk` (s, streams), with the
//! conventions' bucket boundaries and attributes, through the OpenTelemetry
//! metrics API: the global meter provider's meter, or
//! `ClientBuilder::meter` (with the feature).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Any `tracing` subscriber sees the spans; `tracing-opentelemetry`
//! // exports them. Here a minimal one counts them.
//! # use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
//! # struct Count(Arc<AtomicUsize>);
//! # impl tracing::Subscriber for Count {
//! #     fn enabled(&self, _: &tracing::Metadata<'_>) -> bool { true }
//! #     fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
//! #         tracing::span::Id::from_u64(self.0.fetch_add(1, Ordering::SeqCst) as u64 + 1)
//! #     }
//! #     fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
//! #     fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
//! #     fn event(&self, _: &tracing::Event<'_>) {}
//! #     fn enter(&self, _: &tracing::span::Id) {}
//! #     fn exit(&self, _: &tracing::span::Id) {}
//! # }
//! let spans = Arc::new(AtomicUsize::new(0));
//! let _guard = tracing::subscriber::set_default(Count(spans.clone()));
//! let client = tensoras::Tensoras::builder()
//!     .api_key("tns_x")
//!     .base_url("http://127.0.0.1:9") // nothing listens: the call fails
//!     .max_retries(0)
//!     .build()
//!     .unwrap();
//! let _ = client.models().list().await;
//! assert_eq!(spans.load(Ordering::SeqCst), 2); // the call and its one attempt
//! # }
//! ```

use crate::error::Error;
use crate::response::ApiResponse;
use std::any::Any;
use std::time::Instant;
use tracing::field::Empty;

pub(crate) mod content;
#[cfg(feature = "opentelemetry")]
pub(crate) mod metrics;
mod observe;

pub(crate) use observe::StreamObserver;

/// `gen_ai.provider.name` on every span and metric.
pub const PROVIDER: &str = "tensoras";

/// The version of the semantic conventions followed (the GenAI conventions
/// are in development: names may still change between versions).
pub const SEMCONV_VERSION: &str = "1.41";

/// The environment variable that switches content capture on when the
/// builder does not say (the name OpenTelemetry's GenAI instrumentations
/// use): `true` captures.
pub const CAPTURE_CONTENT_ENV: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

/// The default bound on each captured content attribute, in bytes.
pub const DEFAULT_CAPTURE_LIMIT: usize = 16 << 10;

/// What a client records beyond the spans themselves.
#[derive(Clone, Default)]
pub(crate) struct Settings {
    /// Content capture and its bound per attribute; `None`: off.
    pub(crate) capture: Option<usize>,
    #[cfg(feature = "opentelemetry")]
    pub(crate) instruments: Option<std::sync::Arc<metrics::Instruments>>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = f.debug_struct("Telemetry");
        s.field("capture_content", &self.capture);
        #[cfg(feature = "opentelemetry")]
        s.field("metrics", &self.instruments.is_some());
        s.finish()
    }
}

/// The conventions' `gen_ai.operation.name` of the API's inference and
/// retrieval operations; every other operation is an HTTP call.
fn gen_ai_operation(id: &str) -> Option<&'static str> {
    match id {
        "createChatCompletion" | "createResponse" => Some("chat"),
        "createCompletion" => Some("text_completion"),
        "createEmbedding" => Some("embeddings"),
        "retrieveChunks" => Some("retrieval"),
        _ => None,
    }
}

/// One logical operation being observed: its span, and what its metrics
/// need. It exists only when someone listens (an enabled span, or metrics).
pub(crate) struct Call {
    pub(crate) span: tracing::Span,
    started: Instant,
    /// `gen_ai.operation.name` for inference; `None` for an HTTP call.
    #[cfg_attr(not(feature = "opentelemetry"), allow(dead_code))]
    pub(crate) operation: Option<&'static str>,
    method: &'static str,
    template: String,
    host: String,
    port: u16,
    #[cfg_attr(not(feature = "opentelemetry"), allow(dead_code))]
    model: Option<String>,
    pub(crate) capture: Option<usize>,
    #[cfg(feature = "opentelemetry")]
    instruments: Option<std::sync::Arc<metrics::Instruments>>,
}

/// What a call's request says, read from its typed body.
#[derive(Default)]
struct Request<'a> {
    model: Option<&'a str>,
    stream: Option<bool>,
}

impl Call {
    /// Starts observing `operation`: `None` (and nothing computed) when no
    /// subscriber wants its span and there are no metrics to record.
    pub(crate) fn start<O: crate::operations::Operation>(
        client: &crate::Tensoras,
        operation: &O,
    ) -> Option<Box<Call>> {
        let config = &client.inner.config;
        let gen_ai = gen_ai_operation(O::ID);
        let body = operation.body().map(|b| b as &dyn Any);
        let host = || config.base.host_str().unwrap_or_default().to_owned();
        let port = || config.base.port_or_known_default().unwrap_or_default();
        let template = || format!("{}{}", config.base.path().trim_end_matches('/'), O::PATH);
        let span = match gen_ai {
            Some(name) if name != "retrieval" => {
                let request = body.map(observe::request).unwrap_or_default();
                tracing::info_span!(
                    target: "tensoras",
                    "gen_ai",
                    otel.name = %format_args!("{name} {}", request.model.unwrap_or_default()),
                    otel.kind = "client",
                    otel.status_code = Empty,
                    otel.status_message = Empty,
                    gen_ai.operation.name = name,
                    gen_ai.provider.name = PROVIDER,
                    gen_ai.request.model = request.model,
                    gen_ai.request.max_tokens = Empty,
                    gen_ai.request.temperature = Empty,
                    gen_ai.request.top_p = Empty,
                    gen_ai.request.stop_sequences = Empty,
                    gen_ai.request.seed = Empty,
                    gen_ai.request.choice.count = Empty,
                    gen_ai.request.stream = request.stream,
                    gen_ai.request.encoding_formats = Empty,
                    gen_ai.response.id = Empty,
                    gen_ai.response.model = Empty,
                    gen_ai.response.finish_reasons = Empty,
                    gen_ai.response.time_to_first_chunk = Empty,
                    gen_ai.usage.input_tokens = Empty,
                    gen_ai.usage.output_tokens = Empty,
                    gen_ai.usage.cache_read.input_tokens = Empty,
                    gen_ai.input.messages = Empty,
                    gen_ai.output.messages = Empty,
                    gen_ai.system_instructions = Empty,
                    gen_ai.tool.definitions = Empty,
                    server.address = %host(),
                    server.port = i64::from(port()),
                    error.type = Empty,
                    tensoras.request.id = Empty,
                    tensoras.attempts = Empty,
                    tensoras.stream.dropped = Empty,
                )
            }
            _ => tracing::info_span!(
                target: "tensoras",
                "tensoras.request",
                otel.name = %format_args!("{} {}", O::METHOD.as_str(), template()),
                otel.kind = "client",
                otel.status_code = Empty,
                otel.status_message = Empty,
                http.request.method = O::METHOD.as_str(),
                url.template = %template(),
                server.address = %host(),
                server.port = i64::from(port()),
                http.response.status_code = Empty,
                error.type = Empty,
                tensoras.operation = O::ID,
                tensoras.request.id = Empty,
                tensoras.attempts = Empty,
                gen_ai.operation.name = gen_ai,
                gen_ai.provider.name = gen_ai.map(|_| PROVIDER),
                gen_ai.data_source.id = gen_ai.and_then(|_| operation.path_params().first().copied()),
            ),
        };
        let settings = &config.telemetry;
        #[cfg(feature = "opentelemetry")]
        let metrics = gen_ai.is_some() && settings.instruments.is_some();
        #[cfg(not(feature = "opentelemetry"))]
        let metrics = false;
        if span.is_disabled() && !metrics {
            return None;
        }
        let capture = settings.capture.filter(|_| !span.is_disabled());
        let model = match body {
            Some(body) if gen_ai.is_some() => observe::record_request(&span, body, capture),
            _ => None,
        };
        Some(Box::new(Call {
            span,
            started: Instant::now(),
            operation: gen_ai,
            method: O::METHOD.as_str(),
            template: template(),
            host: host(),
            port: port(),
            model,
            capture,
            #[cfg(feature = "opentelemetry")]
            instruments: settings.instruments.clone(),
        }))
    }

    /// A child span for one attempt (`http.request.resend_count` from the
    /// second on), as the HTTP conventions describe a physical request.
    pub(crate) fn attempt(&self, retry: u32) -> tracing::Span {
        tracing::info_span!(
            target: "tensoras::attempt",
            parent: &self.span,
            "tensoras.attempt",
            otel.name = %format_args!("{} {}", self.method, self.template),
            otel.kind = "client",
            otel.status_code = Empty,
            http.request.method = self.method,
            url.template = %self.template,
            server.address = %self.host,
            server.port = i64::from(self.port),
            http.request.resend_count = (retry > 0).then_some(i64::from(retry)),
            http.response.status_code = Empty,
            error.type = Empty,
            tensoras.request.id = Empty,
            tensoras.retry.delay_ms = Empty,
        )
    }

    /// Ends a call that failed before anything was read.
    pub(crate) fn failed(self: Box<Self>, error: &Error) {
        self.end(Some(error), None, None);
    }

    /// Ends a call with its decoded answer or its error.
    pub(crate) fn finish<T: 'static>(self: Box<Self>, result: &crate::Result<ApiResponse<T>>) {
        match result {
            Ok(response) => {
                record_head(
                    &self.span,
                    response.status,
                    &response.headers,
                    response.attempts,
                );
                let (usage, model) = observe::record_response(&self, &response.data);
                self.end(None, usage, model);
            }
            Err(error) => self.end(Some(error), None, None),
        }
    }

    /// Records the outcome on the span and in the metrics; the span ends
    /// as `self` is dropped, here (taken by value for that).
    #[allow(clippy::boxed_local)]
    pub(crate) fn end(
        self: Box<Self>,
        error: Option<&Error>,
        usage: Option<observe::Usage>,
        response_model: Option<String>,
    ) {
        if let Some(error) = error {
            record_error(&self.span, error);
        }
        #[cfg(feature = "opentelemetry")]
        if let Some(instruments) = &self.instruments {
            instruments.record_end(&self, error, usage.as_ref(), response_model.as_deref());
        }
        let _ = (usage, response_model);
    }

    #[cfg(feature = "opentelemetry")]
    pub(crate) fn metric_attributes(
        &self,
        error: Option<&Error>,
        response_model: Option<&str>,
    ) -> Vec<opentelemetry::KeyValue> {
        use opentelemetry::KeyValue;
        let mut attributes = vec![
            KeyValue::new("gen_ai.operation.name", self.operation.unwrap_or_default()),
            KeyValue::new("gen_ai.provider.name", PROVIDER),
            KeyValue::new("server.address", self.host.clone()),
            KeyValue::new("server.port", i64::from(self.port)),
        ];
        if let Some(model) = &self.model {
            attributes.push(KeyValue::new("gen_ai.request.model", model.clone()));
        }
        if let Some(model) = response_model {
            attributes.push(KeyValue::new("gen_ai.response.model", model.to_owned()));
        }
        if let Some(error) = error {
            attributes.push(KeyValue::new("error.type", error_type(error)));
        }
        attributes
    }

    #[cfg(feature = "opentelemetry")]
    pub(crate) fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    #[cfg(feature = "opentelemetry")]
    pub(crate) fn instruments(&self) -> Option<&metrics::Instruments> {
        self.instruments.as_deref()
    }
}

/// The status, request id and attempts of a response on a span (the call's
/// or an attempt's). Integers are recorded as `i64`, which exporters carry
/// as integers (`tracing-opentelemetry` writes a `u64` as text).
pub(crate) fn record_head(
    span: &tracing::Span,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    attempts: u32,
) {
    if span.is_disabled() {
        return;
    }
    span.record("http.response.status_code", i64::from(status));
    if let Some(id) = crate::rate_limit::request_id(headers) {
        span.record("tensoras.request.id", id);
    }
    if attempts > 0 {
        span.record("tensoras.attempts", i64::from(attempts));
    }
}

/// An error on a span: `error.type`, status `ERROR` and its message.
pub(crate) fn record_error(span: &tracing::Span, error: &Error) {
    if span.is_disabled() {
        return;
    }
    span.record("error.type", error_type(error));
    span.record("otel.status_code", "ERROR");
    span.record("otel.status_message", tracing::field::display(error));
    if let Some(status) = error.status() {
        span.record("http.response.status_code", i64::from(status));
    }
    if let Some(id) = error.request_id() {
        span.record("tensoras.request.id", id);
    }
}

/// The low-cardinality `error.type` of an error: the HTTP status for an
/// API error (`"429"`), else the kind of failure.
///
/// | Error | `error.type` |
/// |---|---|
/// | an API error (`BadRequest` ... `Api`) | its status, such as `429` |
/// | `Timeout` | `timeout` |
/// | `Connection` | `connection` |
/// | `LimitExceeded` | `limit_exceeded` |
/// | `Decode` | `decode` |
/// | `Stream` | `stream` |
/// | `InvalidInput`, `Config`, `Webhook`, `Parse` | `invalid_input`, `config`, `webhook`, `parse` |
pub fn error_type(error: &Error) -> &'static str {
    match error {
        Error::Timeout { .. } => "timeout",
        Error::Connection { .. } => "connection",
        Error::LimitExceeded { .. } => "limit_exceeded",
        Error::Decode { .. } => "decode",
        Error::Stream { .. } => "stream",
        Error::InvalidInput(_) => "invalid_input",
        Error::Config(_) => "config",
        Error::Webhook(_) => "webhook",
        Error::Parse { .. } => "parse",
        other => match other.status() {
            Some(status) => status_text(status),
            None => "_OTHER",
        },
    }
}

/// An HTTP status as static text (the common ones; others are `_OTHER`
/// rather than an allocation per error).
fn status_text(status: u16) -> &'static str {
    match status {
        400 => "400",
        401 => "401",
        402 => "402",
        403 => "403",
        404 => "404",
        405 => "405",
        408 => "408",
        409 => "409",
        410 => "410",
        413 => "413",
        415 => "415",
        422 => "422",
        429 => "429",
        500 => "500",
        501 => "501",
        502 => "502",
        503 => "503",
        504 => "504",
        _ if status >= 500 => "5xx",
        _ => "4xx",
    }
}
