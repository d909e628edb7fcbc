//! Rebuilding a whole completion from its streamed chunks.

use crate::accumulate::{entry, DEFAULT_MAX_ENTRIES};
use crate::error::Result;
use crate::types::{
    ChatChoice, ChatCompletion, ChatCompletionChunk, ChatLogprobs, ChatResponseMessage, Citation,
    FinishReason, FunctionCall, Role, ToolCall, ToolType, Usage,
};

/// Builds a whole [`ChatCompletion`] from streamed chunks: content joined,
/// tool-call fragments joined per index (each call's `id`, `type` and
/// function name taken as sent, whether once or on every fragment; its
/// arguments joined), usage, citations and logprobs kept.
///
/// Choices and tool calls are matched by the index the server gives them
/// and kept sparse: an index of 3,000,000 costs one entry, not three
/// million. A negative index, or more distinct indexes than the limit
/// ([`DEFAULT_MAX_ENTRIES`](crate::accumulate::DEFAULT_MAX_ENTRIES)), is an
/// [`Error::Stream`](crate::Error::Stream).
///
/// ```
/// use tensoras::prelude::*;
/// let mut acc = ChatAccumulator::default();
/// for data in [
///     r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}"#,
///     r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#,
/// ] {
///     acc.push(&serde_json::from_str(data)?)?;
/// }
/// let completion = acc.finish();
/// assert_eq!(completion.text(), "Hello");
/// assert_eq!(completion.choices[0].finish_reason, Some(FinishReason::Stop));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ChatAccumulator {
    head: Option<Head>,
    usage: Option<Usage>,
    citations: Vec<Citation>,
    choices: Vec<Choice>,
    max_entries: usize,
}

#[derive(Debug, Clone)]
struct Head {
    id: String,
    created: i64,
    model: String,
    system_fingerprint: Option<String>,
}

#[derive(Debug, Clone)]
struct Choice {
    index: i64,
    role: Option<Role>,
    content: Option<String>,
    reasoning: Option<String>,
    calls: Vec<Call>,
    finish_reason: Option<FinishReason>,
    logprobs: Option<ChatLogprobs>,
}

#[derive(Debug, Clone)]
struct Call {
    index: i64,
    id: String,
    kind: Option<ToolType>,
    name: String,
    arguments: String,
}

impl Default for ChatAccumulator {
    fn default() -> Self {
        ChatAccumulator {
            head: None,
            usage: None,
            citations: Vec::new(),
            choices: Vec::new(),
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

impl ChatAccumulator {
    /// An accumulator that keeps at most `max` choices, and tool calls per
    /// choice.
    pub fn with_max_entries(max: usize) -> Self {
        ChatAccumulator {
            max_entries: max,
            ..Self::default()
        }
    }

    /// Adds one chunk. A chunk with a negative index or one index too many
    /// is an error, and leaves the accumulator as it was before the chunk's
    /// offending part.
    pub fn push(&mut self, chunk: &ChatCompletionChunk) -> Result<()> {
        let head = self.head.get_or_insert_with(|| Head {
            id: chunk.id.clone(),
            created: chunk.created,
            model: chunk.model.clone(),
            system_fingerprint: None,
        });
        if chunk.system_fingerprint.is_some() {
            head.system_fingerprint = chunk.system_fingerprint.clone();
        }
        if let Some(usage) = &chunk.usage {
            self.usage = Some(usage.clone());
        }
        self.citations.extend(chunk.citations.iter().cloned());
        let max = self.max_entries;
        for delta_choice in &chunk.choices {
            let choice = entry(
                &mut self.choices,
                delta_choice.index,
                |c| c.index,
                || Choice {
                    index: delta_choice.index,
                    role: None,
                    content: None,
                    reasoning: None,
                    calls: Vec::new(),
                    finish_reason: None,
                    logprobs: None,
                },
                max,
                "choice",
            )?;
            let delta = &delta_choice.delta;
            if let Some(role) = &delta.role {
                choice.role = Some(role.clone());
            }
            if let Some(text) = &delta.content {
                choice
                    .content
                    .get_or_insert_with(String::new)
                    .push_str(text);
            }
            if let Some(text) = &delta.reasoning_content {
                choice
                    .reasoning
                    .get_or_insert_with(String::new)
                    .push_str(text);
            }
            for fragment in &delta.tool_calls {
                let call = entry(
                    &mut choice.calls,
                    fragment.index,
                    |c| c.index,
                    || Call {
                        index: fragment.index,
                        id: String::new(),
                        kind: None,
                        name: String::new(),
                        arguments: String::new(),
                    },
                    max,
                    "tool call",
                )?;
                // The id, type and name are set, not joined: OpenAI sends
                // them once, but several compatible servers repeat them on
                // every fragment (as openai-node does, an empty one is no
                // value). Only the arguments arrive in pieces.
                if let Some(id) = fragment.id.as_ref().filter(|id| !id.is_empty()) {
                    call.id.clone_from(id);
                }
                if let Some(kind) = &fragment.type_ {
                    call.kind = Some(kind.clone());
                }
                if let Some(function) = &fragment.function {
                    if let Some(name) = function.name.as_ref().filter(|n| !n.is_empty()) {
                        call.name.clone_from(name);
                    }
                    if let Some(arguments) = &function.arguments {
                        call.arguments.push_str(arguments);
                    }
                }
            }
            if let Some(logprobs) = &delta_choice.logprobs {
                let kept = choice.logprobs.get_or_insert_with(ChatLogprobs::new);
                if let Some(content) = &logprobs.content {
                    kept.content
                        .get_or_insert_with(Vec::new)
                        .extend(content.iter().cloned());
                }
                if let Some(refusal) = &logprobs.refusal {
                    kept.refusal
                        .get_or_insert_with(Vec::new)
                        .extend(refusal.iter().cloned());
                }
            }
            if delta_choice.finish_reason.is_some() {
                choice.finish_reason = delta_choice.finish_reason.clone();
            }
        }
        Ok(())
    }

    /// The completion built so far; empty when no chunk was pushed. Choices
    /// and tool calls come in index order.
    pub fn finish(self) -> ChatCompletion {
        let head = self.head.unwrap_or(Head {
            id: String::new(),
            created: 0,
            model: String::new(),
            system_fingerprint: None,
        });
        let choices: Vec<ChatChoice> = self
            .choices
            .into_iter()
            .map(|c| {
                let calls = c.calls.into_iter().map(|call| {
                    let mut tool_call =
                        ToolCall::new(call.id, FunctionCall::new(call.name, call.arguments));
                    if let Some(kind) = call.kind {
                        tool_call.type_ = kind;
                    }
                    tool_call
                });
                let mut message =
                    ChatResponseMessage::new(c.role.unwrap_or(Role::Assistant)).tool_calls(calls);
                message.content = c.content;
                message.reasoning_content = c.reasoning;
                let mut choice = ChatChoice::new(c.index, message);
                choice.finish_reason = c.finish_reason;
                choice.logprobs = c.logprobs;
                choice
            })
            .collect();
        let mut completion = ChatCompletion::new(
            head.id,
            "chat.completion",
            head.created,
            head.model,
            choices,
        )
        .citations(self.citations);
        completion.usage = self.usage;
        completion.system_fingerprint = head.system_fingerprint;
        completion
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn chunk(choices: &str) -> ChatCompletionChunk {
        let text = format!(
            r#"{{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":{choices}}}"#
        );
        serde_json::from_str(&text).expect("chunk")
    }

    #[test]
    fn tool_calls_are_joined_per_index_and_kept_sparse() {
        let mut acc = ChatAccumulator::default();
        for fragment in [
            r#"{"index":3000000,"function":{"name":"f","arguments":"{\"a\""}}"#,
            r#"{"index":0,"function":{"name":"f","arguments":"{}"}}"#,
            r#"{"index":3000000,"function":{"arguments":":1}"}}"#,
        ] {
            acc.push(&chunk(&format!(
                r#"[{{"index":0,"delta":{{"tool_calls":[{fragment}]}}}}]"#
            )))
            .expect("push");
        }
        let completion = acc.finish();
        let calls = &completion.choices[0].message.tool_calls;
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].function.arguments, "{}");
        assert_eq!(calls[1].function.arguments, "{\"a\":1}");
        assert_eq!(calls[1].function.name, "f");
    }

    fn calls_of(fragments: &[&str]) -> Vec<(String, String, String)> {
        let mut acc = ChatAccumulator::default();
        for fragment in fragments {
            acc.push(&chunk(&format!(
                r#"[{{"index":0,"delta":{{"tool_calls":[{fragment}]}}}}]"#
            )))
            .expect("push");
        }
        acc.finish().choices[0]
            .message
            .tool_calls
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    c.function.name.clone(),
                    c.function.arguments.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn ids_and_names_are_set_once_whether_sent_once_or_on_every_fragment() {
        let expected = vec![(
            "call_1".to_owned(),
            "get_weather".to_owned(),
            r#"{"city":"Paris"}"#.to_owned(),
        )];
        // OpenAI: the id, type and name on the first fragment only.
        let openai = [
            r#"{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}"#,
            r#"{"index":0,"function":{"arguments":"{\"city\":"}}"#,
            r#"{"index":0,"function":{"arguments":"\"Paris\"}"}}"#,
        ];
        assert_eq!(calls_of(&openai), expected);
        // Servers that repeat them on every fragment (and some send empty ones).
        let repeated = [
            r#"{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}"#,
            r#"{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":"}}"#,
            r#"{"index":0,"id":"","type":"function","function":{"name":"","arguments":"\"Paris\"}"}}"#,
        ];
        assert_eq!(calls_of(&repeated), expected);
    }

    #[test]
    fn negative_and_too_many_indexes_are_errors() {
        let mut acc = ChatAccumulator::default();
        let negative = chunk(r#"[{"index":0,"delta":{"tool_calls":[{"index":-1}]}}]"#);
        assert!(matches!(acc.push(&negative), Err(Error::Stream { .. })));
        let mut acc = ChatAccumulator::with_max_entries(2);
        for index in 0..2 {
            acc.push(&chunk(&format!(r#"[{{"index":{index},"delta":{{}}}}]"#)))
                .expect("within the limit");
        }
        let third = chunk(r#"[{"index":7,"delta":{}}]"#);
        assert!(
            matches!(acc.push(&third), Err(Error::Stream { message, .. }) if message.contains("more than 2"))
        );
        assert_eq!(acc.finish().choices.len(), 2);
    }
}
