//! Observability under OpenTelemetry's
//! [GenAI semantic conventions](https://github.com/open-telemetry/semantic-conventions-genai)
//! (version [`SEMCONV_VERSION`]; the GenAI conventions are still in
//! development, so their names may change in a later version of this crate).
//!
//! Every call is a span, through [`tracing`](https://docs.rs/tracing): any
//! subscriber sees it, and `tracing-opentelemetry` exports it as the
//! conventions describe (name in `otel.name`, kind `client` in `otel.kind`,
//! `otel.status_code = "ERROR"` and `otel.status_description` on failure,
//! the status left unset on success as instrumentation libraries should).
//! The span opens when the call's future is first polled (under the span
//! current then) and ends with its outcome; a call dropped before its end is
//! `error.type = "cancelled"` (and so is an attempt the call's total
//! timeout cut short, described as such). The status description names the failure
//! (`429 (rate_limit_exceeded)`, `the response did not decode`), never an
//! error's message or a body excerpt, which can quote content.
//!
//! With no subscriber interested in target `tensoras` at `INFO`, a call
//! costs one interest check: nothing is computed or allocated. (With the
//! `opentelemetry` feature, each GenAI call also prepares its metric
//! attributes: a few small allocations.)
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
//!   `http.request.resend_count` from the second, its status (when a head
//!   came), its `error.type` when it failed (for a call whose body the SDK
//!   reads whole — not a stream or a download — a 2xx whose body broke
//!   off included: its span ends after the body; a body read whole that
//!   does not decode fails the call, not the attempt), its request id, and
//!   `tensoras.retry.delay_ms`, the wait before the next attempt. The call's span counts them in
//!   `tensoras.attempts`, whether it succeeded or not.
//! - **Streams**: the span lives until the stream ends or is dropped
//!   (`tensoras.stream.dropped = true` then), and records the time to the
//!   first chunk (any event), the finish reasons and the usage of the final
//!   chunks (a caller that stops at the finish reason, before the usage
//!   chunk, leaves the usage out). A Responses run that ends `failed` is
//!   `error.type = "response_failed"`.
//!
//! `error.type` is low-cardinality: see [`error_type`].
//!
//! **Content capture** is off by default, as the conventions say:
//! [`ClientBuilder::capture_content`](crate::ClientBuilder::capture_content)
//! (or [`CAPTURE_CONTENT_ENV`]) records `gen_ai.input.messages`,
//! `gen_ai.output.messages`, `gen_ai.system_instructions` and
//! `gen_ai.tool.definitions` in the conventions' structured form (JSON
//! text), each bounded in size (texts cut, then the oldest messages left
//! out). Headers and the API key are never recorded.
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
//! # async fn main() -> tensoras::Result<()> {
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
//!     .build()?;
//! let _ = client.models().list().await;
//! assert_eq!(spans.load(Ordering::SeqCst), 2); // the call and its one attempt
//! # Ok(())
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
/// use): `true`, `SPAN_ONLY` or `SPAN_AND_EVENT` (any case) capture; any
/// other value does not.
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

/// Whether a GenAI operation is inference (a `gen_ai` span) rather than a
/// retrieval (an HTTP span with the retrieval attributes).
fn gen_ai_operation_is_inference(name: &str) -> bool {
    name != "retrieval"
}

/// One logical operation being observed. Prepared when the call is made
/// (from its typed request, which the call's future does not keep), begun
/// at its first poll (the span starts, the clock runs), ended once with its
/// outcome; dropped unended after it began, it was cancelled.
pub(crate) struct Call {
    /// `Span::none()` until [`Call::begin`].
    pub(crate) span: tracing::Span,
    started: Option<Instant>,
    ended: bool,
    attempts: std::sync::atomic::AtomicU32,
    pub(crate) prepared: Box<observe::Prepared>,
    #[cfg(feature = "opentelemetry")]
    instruments: Option<std::sync::Arc<metrics::Instruments>>,
    /// The metric attributes known when the call began (built once).
    #[cfg(feature = "opentelemetry")]
    pub(crate) metric_attributes: Vec<opentelemetry::KeyValue>,
}

impl Call {
    /// Prepares to observe `operation`: `None`, with nothing computed,
    /// when no subscriber wants the call's span and there are no metrics.
    pub(crate) fn prepare<O: crate::operations::Operation>(
        client: &crate::Tensoras,
        operation: &O,
    ) -> Option<Box<Call>> {
        let config = &client.inner.config;
        let settings = &config.telemetry;
        let listening = tracing::span_enabled!(target: "tensoras", tracing::Level::INFO);
        let gen_ai = gen_ai_operation(O::ID);
        #[cfg(feature = "opentelemetry")]
        let metrics = gen_ai.is_some() && settings.instruments.is_some();
        #[cfg(not(feature = "opentelemetry"))]
        let metrics = false;
        if !listening && !metrics {
            return None;
        }
        let body = operation.body().map(|b| b as &dyn Any);
        let capture = settings.capture.filter(|_| listening);
        let prepared = observe::prepare::<O>(config, operation, body, gen_ai, listening, capture);
        Some(Box::new(Call {
            span: tracing::Span::none(),
            started: None,
            ended: false,
            attempts: std::sync::atomic::AtomicU32::new(0),
            prepared: Box::new(prepared),
            #[cfg(feature = "opentelemetry")]
            instruments: settings.instruments.clone(),
            #[cfg(feature = "opentelemetry")]
            metric_attributes: Vec::new(),
        }))
    }

    /// The call starts (its first poll): the span opens, under whatever
    /// span is current then, and the clock runs.
    pub(crate) fn begin(&mut self) {
        if self.started.is_some() {
            return;
        }
        self.span = self.prepared.span();
        self.started = Some(Instant::now());
        #[cfg(feature = "opentelemetry")]
        if self.instruments.is_some() {
            self.metric_attributes = self.prepared.metric_attributes();
        }
    }

    /// A child span for one attempt (`http.request.resend_count` from the
    /// second on), as the HTTP conventions describe a physical request.
    pub(crate) fn attempt(&self, retry: u32) -> Attempt {
        self.attempts
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = &self.prepared;
        Attempt {
            span: tracing::info_span!(
                target: "tensoras::attempt",
                parent: &self.span,
                "tensoras.attempt",
                otel.name = %format_args!("{} {}", p.method, p.template),
                otel.kind = "client",
                otel.status_code = Empty,
                otel.status_description = Empty,
                http.request.method = p.method,
                url.template = %p.template,
                server.address = %p.host,
                server.port = i64::from(p.port),
                http.request.resend_count = (retry > 0).then_some(i64::from(retry)),
                http.response.status_code = Empty,
                error.type = Empty,
                tensoras.request.id = Empty,
                tensoras.retry.delay_ms = Empty,
            ),
            done: false,
        }
    }

    /// Ends a call that failed before anything was read.
    pub(crate) fn failed(self: Box<Self>, error: &Error) {
        self.end(Some(Outcome::Error(error)), None, None);
    }

    /// The HTTP status, on an HTTP span (a `gen_ai` span has none: its
    /// attempts carry theirs).
    pub(crate) fn record_status(&self, status: u16) {
        let http = self
            .prepared
            .operation
            .is_none_or(|o| !gen_ai_operation_is_inference(o));
        if http && !self.span.is_disabled() {
            self.span
                .record("http.response.status_code", i64::from(status));
        }
    }

    /// Ends a call with its decoded answer or its error.
    pub(crate) fn finish<T: 'static>(self: Box<Self>, result: &crate::Result<ApiResponse<T>>) {
        match result {
            Ok(response) => {
                record_request_id(&self.span, &response.headers);
                self.record_status(response.status);
                let (usage, model, failed) = observe::record_response(&self, &response.data);
                self.end(failed.then_some(Outcome::ResponseFailed), usage, model);
            }
            Err(error) => self.end(Some(Outcome::Error(error)), None, None),
        }
    }

    /// Records the outcome on the span and in the metrics; the span ends
    /// as `self` is dropped, here (taken by value, box and all, for that).
    #[allow(clippy::boxed_local)]
    pub(crate) fn end(
        mut self: Box<Self>,
        outcome: Option<Outcome<'_>>,
        usage: Option<observe::Usage>,
        response_model: Option<String>,
    ) {
        self.ended = true;
        self.record_end(outcome, usage, response_model);
    }

    fn record_end(
        &self,
        outcome: Option<Outcome<'_>>,
        usage: Option<observe::Usage>,
        response_model: Option<String>,
    ) {
        let attempts = self.attempts.load(std::sync::atomic::Ordering::Relaxed);
        if attempts > 0 {
            self.span.record("tensoras.attempts", i64::from(attempts));
        }
        let kind = outcome.as_ref().map(Outcome::kind);
        if let Some(outcome) = &outcome {
            outcome.record(&self.span);
            if let Outcome::Error(error) = outcome {
                if let Some(status) = error.status() {
                    self.record_status(status);
                }
            }
        }
        #[cfg(feature = "opentelemetry")]
        if let (Some(instruments), Some(started)) = (&self.instruments, self.started) {
            instruments.record_end(
                self,
                started.elapsed(),
                kind.as_deref(),
                usage.as_ref(),
                response_model.as_deref(),
            );
        }
        let _ = (kind, usage, response_model);
    }

    /// When the call began (its first poll).
    pub(crate) fn started(&self) -> Option<Instant> {
        self.started
    }

    #[cfg(feature = "opentelemetry")]
    pub(crate) fn instruments(&self) -> Option<&metrics::Instruments> {
        self.instruments.as_deref()
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if self.started.is_some() && !self.ended {
            // Begun and never ended: the caller dropped the call's future
            // (a timeout of its own, a `select!`).
            self.record_end(Some(Outcome::Cancelled), None, None);
        }
    }
}

/// How a call or an attempt failed.
pub(crate) enum Outcome<'a> {
    Error(&'a Error),
    /// Dropped by the caller before it completed.
    Cancelled,
    /// An attempt dropped before its end: its call's total timeout, or its
    /// caller, cut the call short.
    CutShort,
    /// A Responses run the server ended as `failed`.
    ResponseFailed,
}

impl Outcome<'_> {
    fn kind(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Outcome::Error(error) => error_type(error),
            Outcome::Cancelled | Outcome::CutShort => "cancelled".into(),
            Outcome::ResponseFailed => "response_failed".into(),
        }
    }

    /// `error.type`, status `ERROR` and a description without any body
    /// text (an error's message can quote what the server or the model
    /// sent, which may hold content).
    fn record(&self, span: &tracing::Span) {
        if span.is_disabled() {
            return;
        }
        span.record("error.type", &*self.kind());
        span.record("otel.status_code", "ERROR");
        match self {
            Outcome::Error(error) => {
                span.record("otel.status_description", describe(error).as_str());
                if let Some(id) = error.request_id() {
                    span.record("tensoras.request.id", id);
                }
            }
            Outcome::Cancelled => {
                span.record("otel.status_description", "cancelled by the caller");
            }
            Outcome::CutShort => {
                span.record(
                    "otel.status_description",
                    "cut short by the call's total timeout or its caller",
                );
            }
            Outcome::ResponseFailed => {
                span.record("otel.status_description", "the response run failed");
            }
        }
    }
}

/// One attempt's span; dropped without an outcome (the call's total
/// timeout, or the caller, cut it short), it records `cancelled`.
pub(crate) struct Attempt {
    span: tracing::Span,
    done: bool,
}

impl Attempt {
    /// The attempt got a success response's head (its body may still
    /// fail: then [`failed`](Self::failed) follows).
    pub(crate) fn answered(&self, status: u16, headers: &reqwest::header::HeaderMap) {
        if !self.span.is_disabled() {
            self.span
                .record("http.response.status_code", i64::from(status));
            record_request_id(&self.span, headers);
        }
    }

    /// The attempt's answer was read (for a stream: its head).
    pub(crate) fn succeeded(mut self) {
        self.done = true;
    }

    /// The attempt failed; `retry_in` is the wait before the next one.
    pub(crate) fn failed(mut self, error: &Error, retry_in: Option<std::time::Duration>) {
        self.done = true;
        if self.span.is_disabled() {
            return;
        }
        Outcome::Error(error).record(&self.span);
        if let Some(status) = error.status() {
            self.span
                .record("http.response.status_code", i64::from(status));
        }
        if let Some(wait) = retry_in {
            let millis = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
            self.span.record("tensoras.retry.delay_ms", millis);
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if !self.done {
            Outcome::CutShort.record(&self.span);
        }
    }
}

/// The request id of a response on a span.
pub(crate) fn record_request_id(span: &tracing::Span, headers: &reqwest::header::HeaderMap) {
    if span.is_disabled() {
        return;
    }
    if let Some(id) = crate::rate_limit::request_id(headers) {
        span.record("tensoras.request.id", id);
    }
}

/// What a span's status description says of an error: its kind and, for an
/// API error, the status and the server's error type or code, never the
/// message or a body excerpt (which can quote content).
fn describe(error: &Error) -> String {
    match error {
        Error::Timeout { kind, after } => format!("{kind} timed out after {after:?}"),
        Error::Connection { .. } => "the connection failed".into(),
        Error::LimitExceeded { what, limit } => format!("{what} exceeded its limit of {limit}"),
        Error::Decode { .. } => "the response did not decode".into(),
        Error::Parse { .. } => "the output did not parse into the type".into(),
        Error::Config(_) => "invalid configuration".into(),
        Error::InvalidInput(_) => "invalid input".into(),
        Error::Webhook(_) => "webhook refused".into(),
        Error::BatchFailed(_) => "the batch failed".into(),
        Error::BatchUnfinished { .. } => "the batch has not finished".into(),
        Error::BatchLine { .. } => "the batch did not run the request".into(),
        other => match other.as_api() {
            Some(api) => {
                let kind = api.code.as_deref().or(api.error_type.as_deref());
                match (api.status_code, kind) {
                    (200, Some(kind)) => format!("the stream failed ({kind})"),
                    (200, None) => "the stream failed".into(),
                    (status, Some(kind)) => format!("{status} ({kind})"),
                    (status, None) => status.to_string(),
                }
            }
            None => "the stream failed".into(),
        },
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
/// | `BatchFailed`, `BatchUnfinished`, `BatchLine` | `batch_failed`, `batch_unfinished`, `batch_line` |
/// | a Responses run that ended `failed` | `response_failed` |
/// | a call dropped by the caller before it completed | `cancelled` |
pub fn error_type(error: &Error) -> std::borrow::Cow<'static, str> {
    let kind = match error {
        Error::Timeout { .. } => "timeout",
        Error::Connection { .. } => "connection",
        Error::LimitExceeded { .. } => "limit_exceeded",
        Error::Decode { .. } => "decode",
        Error::Stream { .. } => "stream",
        Error::InvalidInput(_) => "invalid_input",
        Error::Config(_) => "config",
        Error::Webhook(_) => "webhook",
        Error::Parse { .. } => "parse",
        Error::BatchFailed(_) => "batch_failed",
        Error::BatchUnfinished { .. } => "batch_unfinished",
        Error::BatchLine { .. } => "batch_line",
        other => {
            return match other.status() {
                Some(status) => status.to_string().into(),
                None => "_OTHER".into(),
            }
        }
    };
    kind.into()
}

/// Whether an environment value of [`CAPTURE_CONTENT_ENV`] asks for capture.
pub(crate) fn capture_requested(value: &str) -> bool {
    let value = value.trim();
    ["true", "span_only", "span_and_event"]
        .iter()
        .any(|on| value.eq_ignore_ascii_case(on))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_switch_takes_the_conventions_values() {
        for on in ["true", "TRUE", " SPAN_ONLY ", "span_and_event"] {
            assert!(capture_requested(on), "{on}");
        }
        for off in ["", "false", "1", "EVENT_ONLY", "NO_CONTENT", "yes"] {
            assert!(!capture_requested(off), "{off}");
        }
    }

    #[test]
    fn error_types_are_low_cardinality_and_documented() {
        let api = |status: u16| {
            Error::from_api(crate::ApiError::from_response(
                status,
                &reqwest::header::HeaderMap::new(),
                b"",
            ))
        };
        assert_eq!(error_type(&api(429)), "429");
        assert_eq!(error_type(&api(599)), "599");
        assert_eq!(error_type(&api(418)), "418");
        let timeout = Error::Timeout {
            after: std::time::Duration::from_secs(1),
            kind: crate::TimeoutKind::Read,
        };
        assert_eq!(error_type(&timeout), "timeout");
        assert_eq!(error_type(&Error::Config("x".into())), "config");
        // The description never quotes the server's message.
        let quoted = Error::from_api(crate::ApiError::from_response(
            400,
            &reqwest::header::HeaderMap::new(),
            br#"{"error":{"message":"bad value 'my secret prompt'","type":"invalid_request_error"}}"#,
        ));
        assert_eq!(describe(&quoted), "400 (invalid_request_error)");
    }
}
