//! What the conventions' attributes are read from: the typed request body
//! (when the call is made), the typed answer and, for streams, each typed
//! chunk (by their types, not by a second parse).

use super::{content, gen_ai_operation_is_inference, record_request_id, Call, Outcome, PROVIDER};
use crate::accumulate::DEFAULT_MAX_ENTRIES;
use crate::error::Error;
use crate::resources::chat::ChatAccumulator;
use crate::resources::completions::CompletionAccumulator;
use crate::resources::responses::ResponseAccumulator;
use crate::types::{
    ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, Completion, CompletionPrompt,
    CompletionRequest, EmbeddingRequest, EmbeddingResponse, FinishReason, Response,
    ResponseCreateRequest, ResponseInput, ResponseStatus, ResponseStreamEvent, StopSequences,
    Usage as ChatUsage,
};
use serde_json::Value;
use std::any::Any;
use std::time::Instant;
use tracing::field::Empty;

/// Token counts a call reported.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Usage {
    pub(crate) input: Option<i64>,
    pub(crate) output: Option<i64>,
    pub(crate) cached: Option<i64>,
}

impl Usage {
    fn chat(usage: &ChatUsage) -> Self {
        Usage {
            input: Some(usage.prompt_tokens),
            output: usage.completion_tokens,
            cached: usage
                .prompt_tokens_details
                .as_ref()
                .and_then(|d| d.cached_tokens),
        }
    }

    fn record(&self, span: &tracing::Span) {
        span.record("gen_ai.usage.input_tokens", self.input);
        span.record("gen_ai.usage.output_tokens", self.output);
        span.record("gen_ai.usage.cache_read.input_tokens", self.cached);
    }
}

/// Everything a call's span records at its start, read from the typed
/// request when the call is made.
#[derive(Default)]
pub(crate) struct Prepared {
    /// `gen_ai.operation.name`; `None` for an HTTP call.
    pub(crate) operation: Option<&'static str>,
    id: &'static str,
    pub(crate) method: &'static str,
    pub(crate) template: String,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) model: Option<String>,
    stream: bool,
    data_source: Option<String>,
    max_tokens: Option<i64>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    seed: Option<i64>,
    choice_count: Option<i64>,
    stop: Option<String>,
    encoding_formats: Option<String>,
    input: Option<String>,
    system: Option<String>,
    tools: Option<String>,
    /// Content capture and its bound, when on and someone listens.
    pub(crate) capture: Option<usize>,
}

/// A count as `i64` (what exporters carry as an integer: a `u64` is
/// written as text by `tracing-opentelemetry`); saturating.
fn as_i64(value: Option<u64>) -> Option<i64> {
    value.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

fn stop_sequences(stop: &StopSequences) -> String {
    let list = match stop {
        StopSequences::One(one) => vec![one.as_str()],
        StopSequences::Many(many) => many.iter().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    Value::from(list).to_string()
}

/// Values serialized and mapped to the conventions' form, bounded.
fn bounded_list<T: serde::Serialize>(
    items: &[T],
    map: impl Fn(&Value) -> Value,
    limit: usize,
) -> Option<String> {
    let values: Vec<Value> = items
        .iter()
        .filter_map(|item| serde_json::to_value(item).ok())
        .map(|v| map(&v))
        .collect();
    Some(content::bounded(values, limit))
}

/// The model, streaming flag and sampling parameters, which chat and legacy
/// completion requests name alike.
macro_rules! sampling {
    ($p:ident, $r:ident, $listening:ident) => {
        $p.model = Some($r.model.clone());
        $p.stream = $r.stream == Some(true);
        if $listening {
            $p.max_tokens = as_i64($r.max_tokens);
            $p.temperature = $r.temperature;
            $p.top_p = $r.top_p;
            $p.seed = $r.seed;
            $p.choice_count = as_i64($r.n.filter(|n| *n != 1));
            $p.stop = $r.stop.as_ref().map(stop_sequences);
        }
    };
}

/// Reads what the span will record from the operation and its typed body.
/// `listening`: someone wants the span (else only the metrics' few fields).
pub(super) fn prepare<O: crate::operations::Operation>(
    config: &crate::config::Config,
    operation: &O,
    body: Option<&dyn Any>,
    gen_ai: Option<&'static str>,
    listening: bool,
    capture: Option<usize>,
) -> Prepared {
    let mut p = Prepared {
        operation: gen_ai,
        id: O::ID,
        method: O::METHOD.as_str(),
        template: format!("{}{}", config.base.path().trim_end_matches('/'), O::PATH),
        host: config.base.host_str().unwrap_or_default().to_owned(),
        port: config.base.port_or_known_default().unwrap_or_default(),
        capture,
        ..Prepared::default()
    };
    if gen_ai == Some("retrieval") {
        p.data_source = operation.path_params().first().map(|id| (*id).to_owned());
    }
    let Some(body) = body else { return p };
    if let Some(r) = body.downcast_ref::<ChatCompletionRequest>() {
        sampling!(p, r, listening);
        if let Some(limit) = capture {
            p.input = bounded_list(&r.messages, content::message, limit);
            if !r.tools.is_empty() {
                p.tools = bounded_list(&r.tools, content::tool_definition, limit);
            }
        }
    } else if let Some(r) = body.downcast_ref::<CompletionRequest>() {
        sampling!(p, r, listening);
        if let Some(limit) = capture {
            let prompts = match &r.prompt {
                CompletionPrompt::Text(text) => vec![text.clone()],
                CompletionPrompt::Batch(texts) => texts.clone(),
                _ => Vec::new(),
            };
            let user =
                |p: &Value| content::message(&serde_json::json!({"role": "user", "content": p}));
            p.input = bounded_list(&prompts, user, limit);
        }
    } else if let Some(r) = body.downcast_ref::<ResponseCreateRequest>() {
        p.model = Some(r.model.clone());
        p.stream = r.stream == Some(true);
        if listening {
            p.max_tokens = as_i64(r.max_output_tokens);
            p.temperature = r.temperature;
            p.top_p = r.top_p;
        }
        if let Some(limit) = capture {
            p.input = match &r.input {
                ResponseInput::Text(text) => {
                    let message = serde_json::json!({"role": "user", "content": text});
                    Some(content::bounded(vec![content::message(&message)], limit))
                }
                ResponseInput::Messages(items) => bounded_list(items, content::message, limit),
                _ => None,
            };
            p.system = r.instructions.as_ref().map(|text| {
                let parts = vec![serde_json::json!({"type": "text", "content": text})];
                content::bounded(parts, limit)
            });
            if !r.tools.is_empty() {
                p.tools = bounded_list(&r.tools, content::tool_definition, limit);
            }
        }
    } else if let Some(r) = body.downcast_ref::<EmbeddingRequest>() {
        p.model = Some(r.model.clone());
        if listening {
            p.encoding_formats = r
                .encoding_format
                .as_ref()
                .map(|f| Value::from(vec![f.to_string()]).to_string());
        }
    }
    p
}

impl Prepared {
    /// The call's span, with everything known at its start.
    pub(super) fn span(&self) -> tracing::Span {
        match self.operation {
            Some(name) if gen_ai_operation_is_inference(name) => {
                let model = self.model.as_deref().unwrap_or_default();
                tracing::info_span!(
                    target: "tensoras",
                    "gen_ai",
                    otel.name = %format_args!("{name}{}{model}", if model.is_empty() { "" } else { " " }),
                    otel.kind = "client",
                    otel.status_code = Empty,
                    otel.status_description = Empty,
                    gen_ai.operation.name = name,
                    gen_ai.provider.name = PROVIDER,
                    gen_ai.request.model = self.model.as_deref(),
                    gen_ai.request.max_tokens = self.max_tokens,
                    gen_ai.request.temperature = self.temperature,
                    gen_ai.request.top_p = self.top_p,
                    gen_ai.request.stop_sequences = self.stop.as_deref(),
                    gen_ai.request.seed = self.seed,
                    gen_ai.request.choice.count = self.choice_count,
                    gen_ai.request.stream = self.stream.then_some(true),
                    gen_ai.request.encoding_formats = self.encoding_formats.as_deref(),
                    gen_ai.response.id = Empty,
                    gen_ai.response.model = Empty,
                    gen_ai.response.finish_reasons = Empty,
                    gen_ai.response.time_to_first_chunk = Empty,
                    gen_ai.usage.input_tokens = Empty,
                    gen_ai.usage.output_tokens = Empty,
                    gen_ai.usage.cache_read.input_tokens = Empty,
                    gen_ai.input.messages = self.input.as_deref(),
                    gen_ai.output.messages = Empty,
                    gen_ai.system_instructions = self.system.as_deref(),
                    gen_ai.tool.definitions = self.tools.as_deref(),
                    server.address = %self.host,
                    server.port = i64::from(self.port),
                    error.type = Empty,
                    tensoras.request.id = Empty,
                    tensoras.attempts = Empty,
                    tensoras.stream.dropped = Empty,
                )
            }
            _ => tracing::info_span!(
                target: "tensoras",
                "tensoras.request",
                otel.name = %format_args!("{} {}", self.method, self.template),
                otel.kind = "client",
                otel.status_code = Empty,
                otel.status_description = Empty,
                http.request.method = self.method,
                url.template = %self.template,
                server.address = %self.host,
                server.port = i64::from(self.port),
                http.response.status_code = Empty,
                error.type = Empty,
                tensoras.operation = self.id,
                tensoras.request.id = Empty,
                tensoras.attempts = Empty,
                tensoras.stream.dropped = Empty,
                gen_ai.operation.name = self.operation,
                gen_ai.provider.name = self.operation.map(|_| PROVIDER),
                gen_ai.data_source.id = self.data_source.as_deref(),
            ),
        }
    }

    /// The metric attributes known at the start of a GenAI call.
    #[cfg(feature = "opentelemetry")]
    pub(super) fn metric_attributes(&self) -> Vec<opentelemetry::KeyValue> {
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
        attributes
    }
}

/// Records a whole answer's attributes (and output, when capturing);
/// returns its usage, its model, and whether it is a failed Responses run.
pub(super) fn record_response(
    call: &Call,
    data: &dyn Any,
) -> (Option<Usage>, Option<String>, bool) {
    let span = &call.span;
    let listening = !span.is_disabled();
    let capture = call.prepared.capture;
    let output = |values: Vec<Value>| capture.map(|limit| content::bounded(values, limit));
    let mut failed = false;
    let (usage, model) = if let Some(c) = data.downcast_ref::<ChatCompletion>() {
        if listening {
            record_identity(span, Some(&c.id), Some(&c.model));
            let reasons = c.choices.iter().map(|ch| ch.finish_reason.as_ref());
            record_reasons(span, reasons.flatten().map(ToString::to_string));
            if capture.is_some() {
                span.record("gen_ai.output.messages", output(chat_output(c)));
            }
        }
        (c.usage.as_ref().map(Usage::chat), Some(c.model.clone()))
    } else if let Some(c) = data.downcast_ref::<Completion>() {
        if listening {
            record_identity(span, Some(&c.id), Some(&c.model));
            let reasons = c.choices.iter().map(|ch| ch.finish_reason.as_ref());
            record_reasons(span, reasons.flatten().map(ToString::to_string));
            if capture.is_some() {
                span.record("gen_ai.output.messages", output(completion_output(c)));
            }
        }
        (c.usage.as_ref().map(Usage::chat), Some(c.model.clone()))
    } else if let Some(r) = data.downcast_ref::<Response>() {
        failed = r.status == ResponseStatus::Failed;
        if listening {
            record_identity(span, Some(&r.id), r.model.as_deref());
            record_reasons(span, std::iter::once(r.status.to_string()));
            if capture.is_some() {
                span.record("gen_ai.output.messages", output(vec![responses_output(r)]));
            }
        }
        let usage = r.usage.as_ref().map(|u| Usage {
            input: u.input_tokens,
            output: u.output_tokens,
            cached: None,
        });
        (usage, r.model.clone())
    } else if let Some(e) = data.downcast_ref::<EmbeddingResponse>() {
        if listening {
            record_identity(span, None, Some(&e.model));
        }
        let usage = e.usage.as_ref().map(|u| Usage {
            input: Some(u.prompt_tokens),
            ..Usage::default()
        });
        (usage, Some(e.model.clone()))
    } else {
        (None, None)
    };
    if listening {
        if let Some(usage) = &usage {
            usage.record(span);
        }
    }
    (usage, model.filter(|m| !m.is_empty()), failed)
}

fn record_identity(span: &tracing::Span, id: Option<&str>, model: Option<&str>) {
    span.record("gen_ai.response.id", id.filter(|id| !id.is_empty()));
    span.record("gen_ai.response.model", model.filter(|m| !m.is_empty()));
}

fn record_reasons(span: &tracing::Span, reasons: impl Iterator<Item = String>) {
    let reasons: Vec<String> = reasons.collect();
    if !reasons.is_empty() {
        span.record(
            "gen_ai.response.finish_reasons",
            Value::from(reasons).to_string(),
        );
    }
}

fn chat_output(c: &ChatCompletion) -> Vec<Value> {
    c.choices
        .iter()
        .filter_map(|choice| {
            let message = serde_json::to_value(&choice.message).ok()?;
            let reason = choice.finish_reason.as_ref().map(ToString::to_string);
            Some(content::output_message(&message, reason.as_deref()))
        })
        .collect()
}

/// A legacy completion's choices as output messages.
fn completion_output(c: &Completion) -> Vec<Value> {
    c.choices
        .iter()
        .map(|choice| {
            let message = serde_json::json!({"role": "assistant", "content": choice.text});
            let reason = choice.finish_reason.as_ref().map(ToString::to_string);
            content::output_message(&message, reason.as_deref())
        })
        .collect()
}

/// A Responses run's output items as one output message.
fn responses_output(r: &Response) -> Value {
    let mut parts = Vec::new();
    for item in &r.output {
        let item = serde_json::to_value(item).unwrap_or_default();
        match item["type"].as_str() {
            Some("message") => {
                for part in item["content"].as_array().into_iter().flatten() {
                    let text = part.get("text").or_else(|| part.get("refusal"));
                    parts.push(serde_json::json!({"type": "text", "content": text}));
                }
            }
            Some("function_call") => parts.push(content::tool_call(
                &item["call_id"],
                &item["name"],
                &item["arguments"],
            )),
            Some(other) => parts.push(serde_json::json!({"type": other})),
            None => {}
        }
    }
    serde_json::json!({"role": "assistant", "parts": parts, "finish_reason": r.status.to_string()})
}

/// A streamed call, observed chunk by chunk until it ends or is dropped.
pub(crate) struct StreamObserver {
    call: Box<Call>,
    /// The last output chunk (for the time per output chunk).
    last_output: Option<Instant>,
    first_seen: bool,
    id: Option<String>,
    model: Option<String>,
    /// `(choice index, reason)`, kept sparse and bounded like the choices.
    reasons: Vec<(i64, String)>,
    usage: Option<Usage>,
    /// A Responses run that ended `failed`.
    failed: bool,
    /// The whole answer rebuilt, when content is captured, while it is
    /// within twice the capture bound (what is over it would be cut anyway).
    output: Option<Output>,
    captured: usize,
}

enum Output {
    Chat(Box<ChatAccumulator>),
    Completion(Box<CompletionAccumulator>),
    Responses(Box<ResponseAccumulator>),
}

impl StreamObserver {
    /// The call's head has arrived.
    pub(crate) fn new(call: Box<Call>, headers: &reqwest::header::HeaderMap) -> Self {
        record_request_id(&call.span, headers);
        StreamObserver {
            call,
            last_output: None,
            first_seen: false,
            id: None,
            model: None,
            reasons: Vec::new(),
            usage: None,
            failed: false,
            output: None,
            captured: 0,
        }
    }

    /// One item of the stream.
    pub(crate) fn item(&mut self, item: &dyn Any) {
        let now = Instant::now();
        let mut is_output = false;
        let mut delta_bytes = 0;
        if let Some(chunk) = item.downcast_ref::<ChatCompletionChunk>() {
            is_output = !chunk.choices.is_empty();
            let reasons = chunk
                .choices
                .iter()
                .map(|c| (c.index, c.finish_reason.as_ref()));
            self.chunk(&chunk.id, &chunk.model, reasons, chunk.usage.as_ref());
            if let Some(acc) = self.capturing(|| Output::Chat(Box::default())) {
                if let Output::Chat(acc) = acc {
                    let _ = acc.push(chunk);
                }
                delta_bytes = chunk
                    .choices
                    .iter()
                    .map(|c| {
                        c.delta.content.as_ref().map_or(0, String::len)
                            + c.delta
                                .tool_calls
                                .iter()
                                .filter_map(|t| t.function.as_ref()?.arguments.as_ref())
                                .map(String::len)
                                .sum::<usize>()
                    })
                    .sum();
            }
        } else if let Some(chunk) = item.downcast_ref::<Completion>() {
            is_output = !chunk.choices.is_empty();
            let reasons = chunk
                .choices
                .iter()
                .map(|c| (c.index, c.finish_reason.as_ref()));
            self.chunk(&chunk.id, &chunk.model, reasons, chunk.usage.as_ref());
            if let Some(acc) = self.capturing(|| Output::Completion(Box::default())) {
                if let Output::Completion(acc) = acc {
                    let _ = acc.push(chunk);
                }
                delta_bytes = chunk.choices.iter().map(|c| c.text.len()).sum();
            }
        } else if let Some(event) = item.downcast_ref::<ResponseStreamEvent>() {
            use ResponseStreamEvent as E;
            is_output = matches!(
                event,
                E::OutputTextDelta(_) | E::FunctionCallArgumentsDelta(_)
            );
            if let E::Created(e)
            | E::InProgress(e)
            | E::Completed(e)
            | E::Failed(e)
            | E::Incomplete(e) = event
            {
                self.identity(&e.response.id, e.response.model.as_deref());
                if let Some(u) = &e.response.usage {
                    self.usage = Some(Usage {
                        input: u.input_tokens,
                        output: u.output_tokens,
                        cached: None,
                    });
                }
                if matches!(event, E::Completed(_) | E::Failed(_) | E::Incomplete(_)) {
                    self.reason(0, e.response.status.to_string());
                    self.failed = matches!(event, E::Failed(_));
                }
            }
            if let Some(acc) = self.capturing(|| Output::Responses(Box::default())) {
                if let Output::Responses(acc) = acc {
                    let _ = acc.push(event);
                }
                delta_bytes = match event {
                    E::OutputTextDelta(e) => e.delta.len(),
                    E::FunctionCallArgumentsDelta(e) => e.delta.len(),
                    _ => 0,
                };
            }
        }
        self.captured = self.captured.saturating_add(delta_bytes);
        self.timings(now, is_output);
    }

    /// The accumulator, while content is captured and within bounds.
    fn capturing(&mut self, make: impl FnOnce() -> Output) -> Option<&mut Output> {
        let limit = self.call.prepared.capture?;
        if self.captured > limit.saturating_mul(2) {
            return None;
        }
        Some(self.output.get_or_insert_with(make))
    }

    /// The time to the first chunk (any chunk), and between output chunks.
    fn timings(&mut self, now: Instant, is_output: bool) {
        let Some(started) = self.call.started() else {
            return;
        };
        if !self.first_seen {
            self.first_seen = true;
            let waited = now.duration_since(started).as_secs_f64();
            self.call
                .span
                .record("gen_ai.response.time_to_first_chunk", waited);
            #[cfg(feature = "opentelemetry")]
            if let Some(instruments) = self.call.instruments() {
                instruments
                    .first_chunk
                    .record(waited, &self.call.metric_attributes);
            }
        }
        if !is_output {
            return;
        }
        if let Some(last) = self.last_output.replace(now) {
            #[cfg(feature = "opentelemetry")]
            if let Some(instruments) = self.call.instruments() {
                instruments.per_chunk.record(
                    now.duration_since(last).as_secs_f64(),
                    &self.call.metric_attributes,
                );
            }
            let _ = last;
        }
    }

    /// The fields a chat or legacy completion chunk carries.
    fn chunk<'a>(
        &mut self,
        id: &str,
        model: &str,
        reasons: impl Iterator<Item = (i64, Option<&'a FinishReason>)>,
        usage: Option<&ChatUsage>,
    ) {
        self.identity(id, Some(model));
        for (index, reason) in reasons {
            if let Some(reason) = reason {
                self.reason(index, reason.to_string());
            }
        }
        if let Some(usage) = usage {
            self.usage = Some(Usage::chat(usage));
        }
    }

    fn identity(&mut self, id: &str, model: Option<&str>) {
        if self.id.is_none() && !id.is_empty() {
            self.id = Some(id.to_owned());
        }
        if let Some(model) = model.filter(|m| !m.is_empty()) {
            if self.model.as_deref() != Some(model) {
                self.model = Some(model.to_owned());
            }
        }
    }

    fn reason(&mut self, index: i64, reason: String) {
        match self.reasons.binary_search_by_key(&index, |(i, _)| *i) {
            Ok(at) => self.reasons[at].1 = reason,
            Err(at) if self.reasons.len() < DEFAULT_MAX_ENTRIES => {
                self.reasons.insert(at, (index, reason))
            }
            Err(_) => {}
        }
    }

    /// The stream ended: at its end (`error` `None`), with an error, or
    /// dropped by the caller before either.
    pub(crate) fn end(self, error: Option<&Error>, dropped: bool) {
        let StreamObserver {
            call,
            id,
            model,
            reasons,
            usage,
            failed,
            output,
            ..
        } = self;
        let span = &call.span;
        if !span.is_disabled() {
            record_identity(span, id.as_deref(), model.as_deref());
            record_reasons(span, reasons.into_iter().map(|(_, r)| r));
            if let Some(usage) = &usage {
                usage.record(span);
            }
            if dropped {
                span.record("tensoras.stream.dropped", true);
            }
            if let (Some(limit), Some(output)) = (call.prepared.capture, output) {
                let messages = match output {
                    Output::Chat(acc) => chat_output(&acc.finish()),
                    Output::Completion(acc) => completion_output(&acc.finish()),
                    Output::Responses(acc) => vec![responses_output(&acc.finish())],
                };
                span.record("gen_ai.output.messages", content::bounded(messages, limit));
            }
        }
        let outcome = match error {
            Some(error) => Some(Outcome::Error(error)),
            None if failed => Some(Outcome::ResponseFailed),
            None => None,
        };
        call.end(outcome, usage, model);
    }
}
