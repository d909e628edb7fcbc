//! What the conventions' attributes are read from: the typed request body,
//! the typed answer and, for streams, each typed chunk (by their types, not
//! by a second parse).

use super::{content, record_head, Call, Request};
use crate::accumulate::DEFAULT_MAX_ENTRIES;
use crate::error::Error;
use crate::resources::chat::ChatAccumulator;
use crate::resources::completions::CompletionAccumulator;
use crate::resources::responses::ResponseAccumulator;
use crate::types::{
    ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, Completion, CompletionPrompt,
    CompletionRequest, EmbeddingRequest, EmbeddingResponse, FinishReason, Response,
    ResponseCreateRequest, ResponseInput, ResponseStreamEvent, StopSequences, Usage as ChatUsage,
};
use serde_json::Value;
use std::any::Any;
use std::time::Instant;

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

/// The model and streaming flag of a request, for the span's creation.
pub(super) fn request(body: &dyn Any) -> Request<'_> {
    if let Some(r) = body.downcast_ref::<ChatCompletionRequest>() {
        Request {
            model: Some(&r.model),
            stream: r.stream.filter(|s| *s),
        }
    } else if let Some(r) = body.downcast_ref::<CompletionRequest>() {
        Request {
            model: Some(&r.model),
            stream: r.stream.filter(|s| *s),
        }
    } else if let Some(r) = body.downcast_ref::<ResponseCreateRequest>() {
        Request {
            model: Some(&r.model),
            stream: r.stream.filter(|s| *s),
        }
    } else if let Some(r) = body.downcast_ref::<EmbeddingRequest>() {
        Request {
            model: Some(&r.model),
            stream: None,
        }
    } else {
        Request::default()
    }
}

/// A count as `i64` (what exporters carry as an integer); past `i64::MAX`
/// (no real count) it saturates.
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

/// Records the request parameters (and, when capturing, its messages,
/// instructions and tools) on the span; returns the requested model.
pub(super) fn record_request(
    span: &tracing::Span,
    body: &dyn Any,
    capture: Option<usize>,
) -> Option<String> {
    let messages = |values: Vec<Value>| capture.map(|limit| content::bounded(values, limit));
    if let Some(r) = body.downcast_ref::<ChatCompletionRequest>() {
        span.record("gen_ai.request.max_tokens", as_i64(r.max_tokens));
        span.record("gen_ai.request.temperature", r.temperature);
        span.record("gen_ai.request.top_p", r.top_p);
        span.record("gen_ai.request.seed", r.seed);
        span.record(
            "gen_ai.request.choice.count",
            as_i64(r.n.filter(|n| *n != 1)),
        );
        if let Some(stop) = &r.stop {
            span.record("gen_ai.request.stop_sequences", stop_sequences(stop));
        }
        if capture.is_some() {
            let input = r
                .messages
                .iter()
                .filter_map(|m| serde_json::to_value(m).ok())
                .map(|m| content::message(&m))
                .collect();
            span.record("gen_ai.input.messages", messages(input));
            if !r.tools.is_empty() {
                let tools = r
                    .tools
                    .iter()
                    .filter_map(|t| serde_json::to_value(t).ok())
                    .map(|t| content::tool_definition(&t))
                    .collect();
                span.record("gen_ai.tool.definitions", messages(tools));
            }
        }
        return Some(r.model.clone());
    }
    if let Some(r) = body.downcast_ref::<CompletionRequest>() {
        span.record("gen_ai.request.max_tokens", as_i64(r.max_tokens));
        span.record("gen_ai.request.temperature", r.temperature);
        span.record("gen_ai.request.top_p", r.top_p);
        span.record("gen_ai.request.seed", r.seed);
        span.record(
            "gen_ai.request.choice.count",
            as_i64(r.n.filter(|n| *n != 1)),
        );
        if let Some(stop) = &r.stop {
            span.record("gen_ai.request.stop_sequences", stop_sequences(stop));
        }
        if capture.is_some() {
            let prompts = match &r.prompt {
                CompletionPrompt::Text(text) => vec![text.clone()],
                CompletionPrompt::Batch(texts) => texts.clone(),
                _ => Vec::new(),
            };
            let input = prompts
                .into_iter()
                .map(|p| serde_json::json!({"role": "user", "parts": [{"type": "text", "content": p}]}))
                .collect();
            span.record("gen_ai.input.messages", messages(input));
        }
        return Some(r.model.clone());
    }
    if let Some(r) = body.downcast_ref::<ResponseCreateRequest>() {
        span.record("gen_ai.request.max_tokens", as_i64(r.max_output_tokens));
        span.record("gen_ai.request.temperature", r.temperature);
        span.record("gen_ai.request.top_p", r.top_p);
        if capture.is_some() {
            let input = match &r.input {
                ResponseInput::Text(text) => {
                    vec![serde_json::json!({"role": "user", "content": text})]
                }
                ResponseInput::Messages(items) => items
                    .iter()
                    .filter_map(|m| serde_json::to_value(m).ok())
                    .collect(),
                _ => Vec::new(),
            };
            let input = input.iter().map(content::message).collect();
            span.record("gen_ai.input.messages", messages(input));
            if let Some(instructions) = &r.instructions {
                let parts = vec![serde_json::json!({"type": "text", "content": instructions})];
                span.record("gen_ai.system_instructions", messages(parts));
            }
            if !r.tools.is_empty() {
                let tools = r
                    .tools
                    .iter()
                    .filter_map(|t| serde_json::to_value(t).ok())
                    .map(|t| content::tool_definition(&t))
                    .collect();
                span.record("gen_ai.tool.definitions", messages(tools));
            }
        }
        return Some(r.model.clone());
    }
    if let Some(r) = body.downcast_ref::<EmbeddingRequest>() {
        if let Some(format) = &r.encoding_format {
            let formats = Value::from(vec![format.to_string()]).to_string();
            span.record("gen_ai.request.encoding_formats", formats);
        }
        return Some(r.model.clone());
    }
    None
}

/// Records a whole answer's attributes (and output, when capturing);
/// returns its usage and model for the metrics.
pub(super) fn record_response(call: &Call, data: &dyn Any) -> (Option<Usage>, Option<String>) {
    let usage = record_answer(call, data);
    let model = if let Some(c) = data.downcast_ref::<ChatCompletion>() {
        Some(c.model.clone())
    } else if let Some(c) = data.downcast_ref::<Completion>() {
        Some(c.model.clone())
    } else if let Some(r) = data.downcast_ref::<Response>() {
        r.model.clone()
    } else {
        data.downcast_ref::<EmbeddingResponse>()
            .map(|e| e.model.clone())
    };
    (usage, model.filter(|m| !m.is_empty()))
}

fn record_answer(call: &Call, data: &dyn Any) -> Option<Usage> {
    let span = &call.span;
    let output = |values: Vec<Value>| call.capture.map(|limit| content::bounded(values, limit));
    if let Some(c) = data.downcast_ref::<ChatCompletion>() {
        record_identity(span, Some(&c.id), Some(&c.model));
        let reasons: Vec<String> = c
            .choices
            .iter()
            .filter_map(|choice| choice.finish_reason.as_ref().map(ToString::to_string))
            .collect();
        span.record(
            "gen_ai.response.finish_reasons",
            Value::from(reasons).to_string(),
        );
        let usage = c.usage.as_ref().map(Usage::chat);
        if let Some(usage) = &usage {
            usage.record(span);
        }
        if call.capture.is_some() {
            span.record("gen_ai.output.messages", output(chat_output(c)));
        }
        return usage;
    }
    if let Some(c) = data.downcast_ref::<Completion>() {
        return record_completion(call, c);
    }
    if let Some(r) = data.downcast_ref::<Response>() {
        return record_responses(call, r);
    }
    if let Some(e) = data.downcast_ref::<EmbeddingResponse>() {
        record_identity(span, None, Some(&e.model));
        let usage = e.usage.as_ref().map(|u| Usage {
            input: Some(u.prompt_tokens),
            ..Usage::default()
        });
        if let Some(usage) = &usage {
            usage.record(span);
        }
        return usage;
    }
    None
}

fn record_identity(span: &tracing::Span, id: Option<&str>, model: Option<&str>) {
    span.record("gen_ai.response.id", id.filter(|id| !id.is_empty()));
    span.record("gen_ai.response.model", model.filter(|m| !m.is_empty()));
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

fn record_completion(call: &Call, c: &Completion) -> Option<Usage> {
    let span = &call.span;
    record_identity(span, Some(&c.id), Some(&c.model));
    let reasons: Vec<String> = c
        .choices
        .iter()
        .filter_map(|choice| choice.finish_reason.as_ref().map(ToString::to_string))
        .collect();
    span.record(
        "gen_ai.response.finish_reasons",
        Value::from(reasons).to_string(),
    );
    let usage = c.usage.as_ref().map(Usage::chat);
    if let Some(usage) = &usage {
        usage.record(span);
    }
    if let Some(limit) = call.capture {
        span.record(
            "gen_ai.output.messages",
            content::bounded(completion_output(c), limit),
        );
    }
    usage
}

fn record_responses(call: &Call, r: &Response) -> Option<Usage> {
    let span = &call.span;
    record_identity(span, Some(&r.id), r.model.as_deref());
    span.record(
        "gen_ai.response.finish_reasons",
        Value::from(vec![r.status.to_string()]).to_string(),
    );
    let usage = r.usage.as_ref().map(|u| Usage {
        input: u.input_tokens,
        output: u.output_tokens,
        cached: None,
    });
    if let Some(usage) = &usage {
        usage.record(span);
    }
    if let Some(limit) = call.capture {
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
        let message = serde_json::json!({"role": "assistant", "parts": parts,
            "finish_reason": r.status.to_string()});
        span.record(
            "gen_ai.output.messages",
            content::bounded(vec![message], limit),
        );
    }
    usage
}

/// A streamed call, observed chunk by chunk until it ends or is dropped.
pub(crate) struct StreamObserver {
    call: Box<Call>,
    first: Option<Instant>,
    last: Option<Instant>,
    id: Option<String>,
    model: Option<String>,
    /// `(choice index, reason)`, kept sparse and bounded like the choices.
    reasons: Vec<(i64, String)>,
    usage: Option<Usage>,
    /// The whole answer rebuilt, when content is captured.
    output: Option<Output>,
}

enum Output {
    Chat(Box<ChatAccumulator>),
    Completion(Box<CompletionAccumulator>),
    Responses(Box<ResponseAccumulator>),
}

impl StreamObserver {
    /// The call's head has arrived: its status, headers and attempts.
    pub(crate) fn new(
        call: Box<Call>,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        attempts: u32,
    ) -> Self {
        record_head(&call.span, status, headers, attempts);
        StreamObserver {
            call,
            first: None,
            last: None,
            id: None,
            model: None,
            reasons: Vec::new(),
            usage: None,
            output: None,
        }
    }

    /// One item of the stream.
    pub(crate) fn item(&mut self, item: &dyn Any) {
        let capture = self.call.capture.is_some();
        if let Some(chunk) = item.downcast_ref::<ChatCompletionChunk>() {
            let reasons = chunk
                .choices
                .iter()
                .map(|c| (c.index, c.finish_reason.as_ref()));
            self.chunk(&chunk.id, &chunk.model, reasons, chunk.usage.as_ref());
            if capture {
                if let Output::Chat(acc) = self
                    .output
                    .get_or_insert_with(|| Output::Chat(Box::default()))
                {
                    let _ = acc.push(chunk);
                }
            }
        } else if let Some(chunk) = item.downcast_ref::<Completion>() {
            let reasons = chunk
                .choices
                .iter()
                .map(|c| (c.index, c.finish_reason.as_ref()));
            self.chunk(&chunk.id, &chunk.model, reasons, chunk.usage.as_ref());
            if capture {
                if let Output::Completion(acc) = self
                    .output
                    .get_or_insert_with(|| Output::Completion(Box::default()))
                {
                    let _ = acc.push(chunk);
                }
            }
        } else if let Some(event) = item.downcast_ref::<ResponseStreamEvent>() {
            use ResponseStreamEvent as E;
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
                }
            }
            if capture {
                if let Output::Responses(acc) = self
                    .output
                    .get_or_insert_with(|| Output::Responses(Box::default()))
                {
                    let _ = acc.push(event);
                }
            }
        }
        // After the item's own fields: the timings carry its model.
        let now = Instant::now();
        match (self.first, self.last) {
            (None, _) => {
                self.first = Some(now);
                let waited = now.duration_since(self.call.started).as_secs_f64();
                self.call
                    .span
                    .record("gen_ai.response.time_to_first_chunk", waited);
                #[cfg(feature = "opentelemetry")]
                if let Some(instruments) = self.call.instruments() {
                    let attributes = self.call.metric_attributes(None, self.model.as_deref());
                    instruments.first_chunk.record(waited, &attributes);
                }
            }
            (Some(_), Some(last)) => {
                #[cfg(feature = "opentelemetry")]
                if let Some(instruments) = self.call.instruments() {
                    let attributes = self.call.metric_attributes(None, self.model.as_deref());
                    instruments
                        .per_chunk
                        .record(now.duration_since(last).as_secs_f64(), &attributes);
                }
                let _ = last;
            }
            (Some(_), None) => {}
        }
        self.last = Some(now);
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

    /// The stream ended: at its end marker (`None`), with an error, or
    /// dropped by the caller before either.
    pub(crate) fn end(self, error: Option<&Error>, dropped: bool) {
        let StreamObserver {
            call,
            id,
            model,
            reasons,
            usage,
            output,
            ..
        } = self;
        let span = &call.span;
        if !span.is_disabled() {
            record_identity(span, id.as_deref(), model.as_deref());
            if !reasons.is_empty() {
                let reasons: Vec<&str> = reasons.iter().map(|(_, r)| r.as_str()).collect();
                span.record(
                    "gen_ai.response.finish_reasons",
                    Value::from(reasons).to_string(),
                );
            }
            if let Some(usage) = &usage {
                usage.record(span);
            }
            if dropped {
                span.record("tensoras.stream.dropped", true);
            }
            if let (Some(limit), Some(output)) = (call.capture, output) {
                let messages = match output {
                    Output::Chat(acc) => chat_output(&acc.finish()),
                    Output::Completion(acc) => completion_output(&acc.finish()),
                    Output::Responses(acc) => {
                        let response = acc.finish();
                        let parts: Vec<Value> = response
                            .output_text
                            .iter()
                            .map(|text| serde_json::json!({"type": "text", "content": text}))
                            .collect();
                        vec![serde_json::json!({"role": "assistant", "parts": parts})]
                    }
                };
                span.record("gen_ai.output.messages", content::bounded(messages, limit));
            }
        }
        call.end(error, usage, model);
    }
}
