//! `client.completions()`: legacy text completions, whole or streamed, and
//! the accumulator that rebuilds a streamed one.

use crate::accumulate::{entry, DEFAULT_MAX_ENTRIES};
use crate::error::Result;
use crate::operations::CreateCompletion;
use crate::response::Mode;
use crate::sse::EventStream;
use crate::types::{Completion, CompletionChoice, CompletionLogprobs, CompletionRequest, Usage};
use std::future::Future;

namespace! {
    /// `POST /completions`.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::StreamExt;
    /// use tensoras::prelude::*;
    /// let request = CompletionRequest::new("llama-3.3-70b", "Once upon").max_tokens(32);
    /// let completion = client.completions().create(request.clone()).await?;
    /// println!("{}", completion.text());
    /// let mut stream = client.completions().create_stream(request.clone()).await?;
    /// let mut whole = CompletionAccumulator::default();
    /// while let Some(chunk) = stream.next().await {
    ///     let chunk = chunk?;
    ///     print!("{}", chunk.text());
    ///     whole.push(&chunk)?;
    /// }
    /// println!("\n{}", whole.finish().text());
    /// let raw = client.completions().with_raw_response().create(request).await?;
    /// println!("{:?}", raw.request_id());
    /// # Ok(()) }
    /// ```
    Completions
}

impl<M: Mode> Completions<M> {
    /// Continues a prompt. `stream` in the request is ignored (forced off).
    pub fn create(
        &self,
        request: impl Into<CompletionRequest>,
    ) -> impl Future<Output = Result<M::Output<Completion>>> + Send + 'static {
        let mut request = request.into();
        request.stream = None;
        self.client.execute::<_, M>(CreateCompletion::new(request))
    }

    /// Continues a prompt, streamed; each item is a `text_completion` chunk.
    pub fn create_stream(
        &self,
        request: impl Into<CompletionRequest>,
    ) -> impl Future<Output = Result<EventStream<Completion>>> + Send + 'static {
        self.client.call_stream(CreateCompletion::new(request))
    }
}

/// Reading a legacy [`Completion`] or chunk (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// let completion: Completion = serde_json::from_str(
///     r#"{"id":"cmpl-1","object":"text_completion","created":1,"model":"m",
///         "choices":[{"text":" upon a time","index":0}]}"#,
/// )?;
/// assert_eq!(completion.text(), " upon a time");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait CompletionExt {
    /// The first choice's text, or `""`.
    fn text(&self) -> &str;
}

impl CompletionExt for Completion {
    fn text(&self) -> &str {
        self.choices
            .first()
            .map(|c| c.text.as_str())
            .unwrap_or_default()
    }
}

/// Builds a whole [`Completion`] from streamed chunks: text joined per
/// choice index, logprobs appended, the last finish reason and the usage
/// kept. Indexes are bounded as in [`ChatAccumulator`](crate::ChatAccumulator).
///
/// ```
/// use tensoras::prelude::*;
/// let mut acc = CompletionAccumulator::default();
/// for data in [
///     r#"{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"text":"Once","index":0}]}"#,
///     r#"{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"text":" upon","index":0,"finish_reason":"length"}]}"#,
/// ] {
///     acc.push(&serde_json::from_str(data)?)?;
/// }
/// let whole = acc.finish();
/// assert_eq!(whole.text(), "Once upon");
/// assert_eq!(whole.choices[0].finish_reason, Some(FinishReason::Length));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CompletionAccumulator {
    head: Option<(String, i64, String)>,
    usage: Option<Usage>,
    choices: Vec<CompletionChoice>,
    max_entries: usize,
}

impl Default for CompletionAccumulator {
    fn default() -> Self {
        CompletionAccumulator {
            head: None,
            usage: None,
            choices: Vec::new(),
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

impl CompletionAccumulator {
    /// An accumulator that keeps at most `max` choices.
    pub fn with_max_entries(max: usize) -> Self {
        CompletionAccumulator {
            max_entries: max,
            ..Self::default()
        }
    }

    /// Adds one chunk; a negative choice index or one too many is an error.
    pub fn push(&mut self, chunk: &Completion) -> Result<()> {
        self.head
            .get_or_insert_with(|| (chunk.id.clone(), chunk.created, chunk.model.clone()));
        if let Some(usage) = &chunk.usage {
            self.usage = Some(usage.clone());
        }
        for part in &chunk.choices {
            let choice = entry(
                &mut self.choices,
                part.index,
                |c| c.index,
                || CompletionChoice::new(String::new(), part.index),
                self.max_entries,
                "choice",
            )?;
            choice.text.push_str(&part.text);
            if let Some(logprobs) = &part.logprobs {
                let kept = choice.logprobs.get_or_insert_with(CompletionLogprobs::new);
                kept.tokens.extend(logprobs.tokens.iter().cloned());
                kept.token_logprobs
                    .extend(logprobs.token_logprobs.iter().cloned());
                kept.top_logprobs
                    .extend(logprobs.top_logprobs.iter().cloned());
                kept.text_offset
                    .extend(logprobs.text_offset.iter().cloned());
            }
            if part.finish_reason.is_some() {
                choice.finish_reason = part.finish_reason.clone();
            }
        }
        Ok(())
    }

    /// The completion built so far; empty when no chunk was pushed.
    pub fn finish(self) -> Completion {
        let (id, created, model) = self.head.unwrap_or_default();
        let mut completion = Completion::new(id, "text_completion", created, model, self.choices);
        completion.usage = self.usage;
        completion
    }
}
