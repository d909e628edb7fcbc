//! `client.responses()`: the agentic Responses API, whole or streamed, and
//! the accumulator that rebuilds a streamed response.

use crate::accumulate::{entry, DEFAULT_MAX_ENTRIES};
use crate::error::{ApiError, Error, Result};
use crate::operations::{CreateResponse, RetrieveResponse};
use crate::response::Mode;
use crate::sse::EventStream;
use crate::types::{
    FunctionCallItem, OutputContent, OutputItem, OutputMessage, OutputText, Response,
    ResponseCreateRequest, ResponseStatus, ResponseStreamEvent, Role,
};
use futures::{Stream, StreamExt as _};
use reqwest::header::HeaderMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

namespace! {
    /// `POST /responses`, `GET /responses/{id}`: a server-side tool loop,
    /// whole or as a stream of events.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::StreamExt;
    /// use tensoras::prelude::*;
    /// let request = ResponseCreateRequest::new("llama-3.3-70b", "What is our refund policy?")
    ///     .instructions("Answer from the handbook.")
    ///     .tools([ResponseTool::from(FileSearchTool::new(["kb_a1b2c3d4"]))]);
    /// let response = client.responses().create(request.clone()).await?;
    /// println!("{}", response.text());
    /// let again = client.responses().retrieve(&response.id).await?;
    /// println!("{:?}", again.status);
    ///
    /// let mut events = client.responses().create_stream(request).await?;
    /// let mut whole = ResponseAccumulator::default();
    /// while let Some(event) = events.next().await {
    ///     let event = event?;
    ///     if let ResponseStreamEvent::OutputTextDelta(delta) = &event {
    ///         print!("{}", delta.delta);
    ///     }
    ///     whole.push(&event)?;
    /// }
    /// println!("\n{:?}", whole.finish().usage);
    /// # Ok(()) }
    /// ```
    Responses
}

impl<M: Mode> Responses<M> {
    /// Runs the tool loop to a final answer. `stream` in the request is
    /// ignored (forced off); use [`create_stream`](Self::create_stream) to stream.
    pub fn create(
        &self,
        request: impl Into<ResponseCreateRequest>,
    ) -> impl Future<Output = Result<M::Output<Response>>> + Send + 'static {
        let mut request = request.into();
        request.stream = None;
        self.client.execute::<_, M>(CreateResponse::new(request))
    }

    /// Runs the tool loop as a stream of typed events (see [`ResponseStream`]).
    pub fn create_stream(
        &self,
        request: impl Into<ResponseCreateRequest>,
    ) -> impl Future<Output = Result<ResponseStream>> + Send + 'static {
        let stream = self.client.call_stream(CreateResponse::new(request));
        async move {
            // It ends with its last lifecycle event (see `poll_next`), not `[DONE]`.
            let inner = stream.await?.ending_with("the response completed");
            Ok(ResponseStream {
                status: inner.status(),
                headers: inner.headers().clone(),
                inner: Some(inner),
            })
        }
    }

    /// A stored response (kept 24 hours; then [`Error::NotFound`]).
    pub fn retrieve(
        &self,
        response_id: &str,
    ) -> impl Future<Output = Result<M::Output<Response>>> + Send + 'static {
        self.client
            .execute::<_, M>(RetrieveResponse::new(response_id))
    }
}

/// The events of a streamed response, as they arrive.
///
/// An `error` event becomes [`Error::Stream`] with the server's error, and
/// ends the stream. The stream also ends after `response.completed`,
/// `response.failed` or `response.incomplete` (the server need not send
/// `[DONE]`); an event this version does not know arrives as
/// [`ResponseStreamEvent::Other`] with its name ([`ResponseStreamEvent::kind`])
/// and data. Same decoder, bounds and timeouts as chat streaming; dropping
/// the stream closes the connection (over HTTP/2, resets the stream).
#[must_use = "streams do nothing unless polled"]
pub struct ResponseStream {
    inner: Option<EventStream<ResponseStreamEvent>>,
    status: u16,
    headers: HeaderMap,
}

impl std::fmt::Debug for ResponseStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseStream")
            .field("finished", &self.inner.is_none())
            .finish_non_exhaustive()
    }
}

impl ResponseStream {
    /// The response's HTTP status, known before the first event.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response's headers, known before the first event.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The response's `x-request-id` header.
    pub fn request_id(&self) -> Option<&str> {
        crate::rate_limit::request_id(&self.headers)
    }

    #[cfg(feature = "blocking")]
    pub(crate) fn response(&self) -> Option<(u16, HeaderMap)> {
        Some((self.status, self.headers.clone()))
    }
}

impl Stream for ResponseStream {
    type Item = Result<ResponseStreamEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let item = match inner.poll_next_unpin(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(item) => item,
        };
        let ends = match &item {
            Some(Ok(event)) => matches!(
                event,
                ResponseStreamEvent::Completed(_)
                    | ResponseStreamEvent::Failed(_)
                    | ResponseStreamEvent::Incomplete(_)
                    | ResponseStreamEvent::Error(_)
            ),
            _ => true,
        };
        let item = match item {
            Some(Ok(ResponseStreamEvent::Error(e))) => {
                let api = ApiError::from_stream(&e.message, e.code.clone(), e.param.clone());
                Some(Err(Error::Stream {
                    message: format!("the server sent an error: {}", e.message),
                    api_error: Some(Box::new(api)),
                }))
            }
            other => other,
        };
        if ends {
            if let Some(mut inner) = self.inner.take() {
                // Ended at its own last event (or an error event): not dropped.
                inner.finish_observed(item.as_ref().and_then(|i| i.as_ref().err()));
            } // dropped here: closes the connection
        }
        Poll::Ready(item)
    }
}

/// Reading a [`Response`] (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// let response: Response = serde_json::from_str(r#"{"id":"resp_1","object":"response","status":"completed",
///     "output":[{"type":"message","id":"m1","role":"assistant","content":[{"type":"output_text","text":"Hi"}]},
///               {"type":"function_call","call_id":"c1","name":"f","arguments":"{}"}]}"#)?;
/// assert_eq!(response.text(), "Hi");
/// assert_eq!(response.function_calls()[0].name, "f");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait ResponseExt {
    /// `output_text`, or the text of every `output_text` part joined.
    fn text(&self) -> String;
    /// The calls of your functions the loop stopped at.
    fn function_calls(&self) -> Vec<&FunctionCallItem>;
}

fn joined_text(output: &[OutputItem]) -> String {
    output
        .iter()
        .filter_map(|item| match item {
            OutputItem::Message(m) => Some(m),
            _ => None,
        })
        .flat_map(|m| &m.content)
        .filter_map(|part| match part {
            OutputContent::OutputText(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect()
}

impl ResponseExt for Response {
    fn text(&self) -> String {
        match &self.output_text {
            Some(text) => text.clone(),
            None => joined_text(&self.output),
        }
    }

    fn function_calls(&self) -> Vec<&FunctionCallItem> {
        self.output
            .iter()
            .filter_map(|item| match item {
                OutputItem::FunctionCall(call) => Some(call),
                _ => None,
            })
            .collect()
    }
}

/// Rebuilds the final [`Response`] from its stream: output items assembled
/// from `output_item`, `content_part` and delta events, text joined, usage
/// and status kept from the lifecycle events. When the final
/// (`response.completed`) event carries the whole output, that output wins.
///
/// Indexes (`output_index`, `content_index`) are kept sparse and bounded as
/// in [`ChatAccumulator`](crate::ChatAccumulator).
///
/// ```
/// use tensoras::prelude::*;
/// let mut acc = ResponseAccumulator::default();
/// for data in [
///     r#"{"type":"response.created","response":{"id":"resp_1","object":"response","status":"in_progress"}}"#,
///     r#"{"type":"response.output_item.added","output_index":0,"item":{"type":"message","id":"m1","role":"assistant","content":[]}}"#,
///     r#"{"type":"response.output_text.delta","item_id":"m1","output_index":0,"content_index":0,"delta":"Hel"}"#,
///     r#"{"type":"response.output_text.delta","item_id":"m1","output_index":0,"content_index":0,"delta":"lo"}"#,
///     r#"{"type":"response.completed","response":{"id":"resp_1","object":"response","status":"completed","usage":{"total_tokens":3}}}"#,
/// ] {
///     acc.push(&serde_json::from_str(data)?)?;
/// }
/// let response = acc.finish();
/// assert_eq!(response.status, ResponseStatus::Completed);
/// assert_eq!(response.text(), "Hello");
/// assert_eq!(response.usage.and_then(|u| u.total_tokens), Some(3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ResponseAccumulator {
    response: Option<Response>,
    items: Vec<Item>,
    /// The final event carried the whole output.
    final_output: bool,
    max_entries: usize,
}

#[derive(Debug, Clone)]
struct Item {
    index: i64,
    item: OutputItem,
    /// A message's parts, by `content_index` (sparse); unused otherwise.
    parts: Vec<(i64, OutputContent)>,
}

impl Default for ResponseAccumulator {
    fn default() -> Self {
        ResponseAccumulator {
            response: None,
            items: Vec::new(),
            final_output: false,
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

fn index(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl ResponseAccumulator {
    /// An accumulator that keeps at most `max` output items, and parts per item.
    pub fn with_max_entries(max: usize) -> Self {
        ResponseAccumulator {
            max_entries: max,
            ..Self::default()
        }
    }

    fn item(&mut self, output_index: u64, item_id: Option<&str>) -> Result<&mut Item> {
        let at = index(output_index);
        entry(
            &mut self.items,
            at,
            |i| i.index,
            || Item {
                index: at,
                // A delta before its item: a message to hold it.
                item: OutputItem::Message(OutputMessage::new(
                    item_id.unwrap_or_default(),
                    Role::Assistant,
                    Vec::<OutputContent>::new(),
                )),
                parts: Vec::new(),
            },
            self.max_entries,
            "output item",
        )
    }

    fn set_item(&mut self, output_index: u64, new: &OutputItem) -> Result<()> {
        let item = self.item(output_index, None)?;
        item.parts = match new {
            OutputItem::Message(m) => (0..).zip(m.content.iter().cloned()).collect(),
            _ => Vec::new(),
        };
        item.item = new.clone();
        Ok(())
    }

    fn add_item(&mut self, output_index: u64, new: &OutputItem) -> Result<()> {
        let existing = self.items.iter().find(|i| i.index == index(output_index));
        let kept = match (existing.map(|i| (&i.item, &i.parts)), new) {
            (Some((OutputItem::FunctionCall(old), _)), OutputItem::FunctionCall(call))
                if call.arguments.is_empty() =>
            {
                Some((Some(old.arguments.clone()), None))
            }
            (Some((OutputItem::Message(_), parts)), OutputItem::Message(m))
                if m.content.is_empty() =>
            {
                Some((None, Some(parts.clone())))
            }
            _ => None,
        };
        self.set_item(output_index, new)?;
        if let Some((arguments, parts)) = kept {
            let item = self.item(output_index, None)?;
            if let (Some(arguments), OutputItem::FunctionCall(call)) = (arguments, &mut item.item) {
                call.arguments = arguments;
            }
            if let Some(parts) = parts {
                item.parts = parts;
            }
        }
        Ok(())
    }

    fn part(
        &mut self,
        output_index: u64,
        item_id: Option<&str>,
        content_index: u64,
    ) -> Result<&mut OutputContent> {
        let max = self.max_entries;
        let item = self.item(output_index, item_id)?;
        let at = index(content_index);
        let (_, part) = entry(
            &mut item.parts,
            at,
            |p| p.0,
            || {
                (
                    at,
                    OutputContent::OutputText(OutputText::new(String::new())),
                )
            },
            max,
            "content part",
        )?;
        Ok(part)
    }

    /// Adds one event. Unknown events are skipped; a negative or one index
    /// too many is an error.
    pub fn push(&mut self, event: &ResponseStreamEvent) -> Result<()> {
        use ResponseStreamEvent as E;
        match event {
            E::Created(e) | E::InProgress(e) => self.response = Some(e.response.clone()),
            E::Completed(e) | E::Failed(e) | E::Incomplete(e) => {
                self.final_output = !e.response.output.is_empty();
                self.response = Some(e.response.clone());
            }
            // `done` carries the whole item: it replaces what was built.
            E::OutputItemDone(e) => self.set_item(e.output_index, &e.item)?,
            // `added` starts an item; a server that sends it again for an
            // item already under way does not undo the deltas seen so far.
            E::OutputItemAdded(e) => self.add_item(e.output_index, &e.item)?,
            E::ContentPartAdded(e) | E::ContentPartDone(e) => {
                *self.part(e.output_index, e.item_id.as_deref(), e.content_index)? = e.part.clone();
            }
            E::OutputTextDelta(e) => {
                let part = self.part(e.output_index, e.item_id.as_deref(), e.content_index)?;
                if let OutputContent::OutputText(text) = part {
                    text.text.push_str(&e.delta);
                }
            }
            E::OutputTextDone(e) => {
                let part = self.part(e.output_index, e.item_id.as_deref(), e.content_index)?;
                if let OutputContent::OutputText(text) = part {
                    text.text.clone_from(&e.text);
                }
            }
            E::FunctionCallArgumentsDelta(e) => {
                if let OutputItem::FunctionCall(call) = &mut self.item(e.output_index, None)?.item {
                    call.arguments.push_str(&e.delta);
                }
            }
            E::FunctionCallArgumentsDone(e) => {
                if let OutputItem::FunctionCall(call) = &mut self.item(e.output_index, None)?.item {
                    call.arguments.clone_from(&e.arguments);
                }
            }
            // Search progress, errors (the stream yields those as errors)
            // and events this version does not know change no output.
            _ => {}
        }
        Ok(())
    }

    /// The response built so far: the last lifecycle event's response with
    /// the assembled output (unless the final event carried its own), and
    /// `output_text` joined from it when the server left it out.
    pub fn finish(self) -> Response {
        let mut response = self.response.unwrap_or_else(|| {
            Response::new(String::new(), "response", ResponseStatus::InProgress)
        });
        if !self.final_output {
            response.output = self
                .items
                .into_iter()
                .map(|mut i| {
                    if let OutputItem::Message(m) = &mut i.item {
                        m.content = i.parts.into_iter().map(|(_, part)| part).collect();
                    }
                    i.item
                })
                .collect();
        }
        if response.output_text.is_none() {
            let text = joined_text(&response.output);
            if !text.is_empty() {
                response.output_text = Some(text);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push_all(events: &[&str]) -> Response {
        let mut acc = ResponseAccumulator::default();
        for event in events {
            acc.push(&serde_json::from_str(event).expect("event"))
                .expect("push");
        }
        acc.finish()
    }

    const CALL: &str = r#"{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":""}"#;

    #[test]
    fn a_function_call_is_named_once_and_its_arguments_joined() {
        let added =
            format!(r#"{{"type":"response.output_item.added","output_index":0,"item":{CALL}}}"#);
        let delta = |d: &str| {
            format!(
                r#"{{"type":"response.function_call_arguments.delta","output_index":0,"item_id":"fc_1","delta":{}}}"#,
                serde_json::to_string(d).unwrap()
            )
        };
        let expected = r#"{"city":"Paris"}"#;
        // The item announced once, or again mid-way by a server that repeats it.
        for events in [
            vec![added.clone(), delta(r#"{"city":"#), delta(r#""Paris"}"#)],
            vec![
                added.clone(),
                delta(r#"{"city":"#),
                added.clone(),
                delta(r#""Paris"}"#),
            ],
        ] {
            let refs: Vec<&str> = events.iter().map(String::as_str).collect();
            let response = push_all(&refs);
            let [OutputItem::FunctionCall(call)] = response.output.as_slice() else {
                panic!("{:?}", response.output)
            };
            assert_eq!(
                (
                    call.call_id.as_str(),
                    call.name.as_str(),
                    call.arguments.as_str()
                ),
                ("call_1", "get_weather", expected)
            );
        }
    }
}
