//! A server-sent events decoder and the typed event stream built on it.
//!
//! The decoder is incremental and byte-oriented: a network read may end in
//! the middle of a line, a UTF-8 character or a CRLF pair. It follows the
//! HTML event-stream rules: CR, LF and CRLF line endings, `:` comment lines,
//! multi-line `data`, an event dispatched at a blank line.

use crate::error::{ApiError, Error, Result};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    /// The `event:` field; empty means the default `message`.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last `id:` field.
    pub id: Option<String>,
}

/// Incremental decoder: feed bytes, collect events.
///
/// ```
/// let mut decoder = tensoras::sse::Decoder::default();
/// let mut events = decoder.feed(b"data: {\"a\"");
/// assert!(events.is_empty());
/// events = decoder.feed(b":1}\r\n\r\n");
/// assert_eq!(events[0].data, "{\"a\":1}");
/// ```
#[derive(Debug, Default)]
pub struct Decoder {
    line: Vec<u8>,
    after_cr: bool,
    event: Option<String>,
    data: Option<String>,
    id: Option<String>,
}

impl Decoder {
    /// Consumes `bytes` and returns the events completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        for &byte in bytes {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue; // the LF of a CRLF pair
                }
            }
            match byte {
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(&mut out);
                }
                b'\n' => self.end_line(&mut out),
                other => self.line.push(other),
            }
        }
        out
    }

    /// Whether bytes of an unfinished event are buffered.
    pub fn has_partial_event(&self) -> bool {
        !self.line.is_empty() || self.data.is_some() || self.event.is_some()
    }

    fn end_line(&mut self, out: &mut Vec<Event>) {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                out.push(Event {
                    event: self.event.take().unwrap_or_default(),
                    data,
                    id: self.id.clone(),
                });
            } else {
                self.event = None;
            }
            return;
        }
        if line[0] == b':' {
            return; // a comment, such as `: keep-alive`
        }
        let text = String::from_utf8_lossy(&line);
        let (field, value) = match text.find(':') {
            Some(i) => (
                &text[..i],
                text[i + 1..].strip_prefix(' ').unwrap_or(&text[i + 1..]),
            ),
            None => (&text[..], ""),
        };
        match field {
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "event" => self.event = Some(value.to_owned()),
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            _ => {} // `retry` and unknown fields are ignored, as the spec says
        }
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// A stream of typed events from a server-sent-events response, ending at
/// `data: [DONE]`. Dropping it closes the connection.
///
/// Yields [`Error::Stream`] for an `event: error` frame, a `data` payload
/// with an `error` object, data that is not the expected JSON, or a body that
/// ends before `[DONE]`; after an error the stream ends.
#[must_use = "streams do nothing unless polled"]
pub struct EventStream<T> {
    body: Option<ByteStream>,
    decoder: Decoder,
    pending: VecDeque<Event>,
    finished: bool,
    _marker: std::marker::PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> EventStream<T> {
    pub(crate) fn new(response: reqwest::Response) -> Self {
        Self::from_byte_stream(response.bytes_stream())
    }

    /// A stream over any source of bytes (used by tests and benchmarks).
    pub fn from_byte_stream(
        body: impl Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
    ) -> Self {
        EventStream {
            body: Some(Box::pin(body)),
            decoder: Decoder::default(),
            pending: VecDeque::new(),
            finished: false,
            _marker: std::marker::PhantomData,
        }
    }

    fn fail(&mut self, err: Error) -> Poll<Option<Result<T>>> {
        self.finished = true;
        self.body = None; // closes the connection now
        Poll::Ready(Some(Err(err)))
    }

    fn handle(&mut self, event: Event) -> Option<Result<T>> {
        if event.event == "error" {
            return Some(Err(stream_error(&event.data)));
        }
        if event.data.trim() == "[DONE]" {
            self.finished = true;
            self.body = None;
            return None;
        }
        let value: serde_json::Value = match serde_json::from_str(&event.data) {
            Ok(v) => v,
            Err(e) => {
                return Some(Err(Error::stream(format!(
                    "event data is not JSON ({e}): {}",
                    crate::error::body_excerpt(event.data.as_bytes())
                ))))
            }
        };
        if value.get("error").is_some_and(|e| !e.is_null()) {
            return Some(Err(stream_error(&event.data)));
        }
        Some(serde_json::from_value(value).map_err(|e| {
            Error::stream(format!(
                "event data does not match the chunk type ({e}): {}",
                crate::error::body_excerpt(event.data.as_bytes())
            ))
        }))
    }
}

fn stream_error(data: &str) -> Error {
    let api = ApiError::from_response(200, &reqwest::header::HeaderMap::new(), data.as_bytes());
    Error::Stream {
        message: format!("the server sent an error: {}", api.message),
        api_error: Some(Box::new(api)),
    }
}

impl<T: DeserializeOwned> Stream for EventStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.finished {
                return Poll::Ready(None);
            }
            while let Some(event) = this.pending.pop_front() {
                match this.handle(event) {
                    Some(Ok(item)) => return Poll::Ready(Some(Ok(item))),
                    Some(Err(err)) => return this.fail(err),
                    None if this.finished => return Poll::Ready(None),
                    None => {}
                }
            }
            let Some(body) = this.body.as_mut() else {
                return Poll::Ready(None);
            };
            match body.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(bytes))) => this.pending.extend(this.decoder.feed(&bytes)),
                Poll::Ready(Some(Err(e))) => return this.fail(Error::connection(e)),
                Poll::Ready(None) => {
                    // An event without its terminating blank line is incomplete
                    // and discarded (as the SSE spec says); either way the
                    // stream did not finish.
                    let detail = if this.decoder.has_partial_event() {
                        " (cut in the middle of an event)"
                    } else {
                        ""
                    };
                    return this.fail(Error::stream(format!(
                        "the stream ended before [DONE]{detail}"
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], split: usize) -> Vec<Event> {
        let mut decoder = Decoder::default();
        let mut events = decoder.feed(&input[..split]);
        events.extend(decoder.feed(&input[split..]));
        events
    }

    #[test]
    fn every_split_point_and_line_ending() {
        for ending in ["\n", "\r", "\r\n"] {
            let text = format!(
                ": keep-alive{e}data: {{\"a\":\"é\"}}{e}{e}event: error{e}data: line1{e}data: line2{e}id: 7{e}{e}data{e}{e}",
                e = ending
            );
            let bytes = text.as_bytes();
            for split in 0..=bytes.len() {
                let events = decode_all(bytes, split);
                assert_eq!(
                    events.len(),
                    3,
                    "split {split} ending {ending:?}: {events:?}"
                );
                assert_eq!(events[0].data, "{\"a\":\"é\"}");
                assert_eq!(events[1].event, "error");
                assert_eq!(events[1].data, "line1\nline2");
                assert_eq!(events[1].id.as_deref(), Some("7"));
                assert_eq!(events[2].data, "");
            }
        }
    }

    fn chat_body(ending: &str) -> String {
        let chunk = |content: &str| {
            format!(
                r#"{{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{{"index":0,"delta":{{"content":"{content}"}},"finish_reason":null}}],"new_field":1}}"#
            )
        };
        let usage = r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"total_tokens":3}}"#;
        format!(
            ": keep-alive{e}{e}data: {}{e}{e}data: {}{e}{e}data: {usage}{e}{e}data: [DONE]{e}{e}",
            chunk("Hé"),
            chunk("llo"),
            e = ending
        )
    }

    async fn collect(body: Vec<Vec<u8>>) -> Vec<Result<crate::types::ChatCompletionChunk>> {
        let parts = futures::stream::iter(
            body.into_iter()
                .map(|b| Ok::<_, reqwest::Error>(Bytes::from(b))),
        );
        EventStream::<crate::types::ChatCompletionChunk>::from_byte_stream(parts)
            .collect()
            .await
    }

    #[tokio::test]
    async fn full_stream_at_every_split_point() {
        for ending in ["\n", "\r", "\r\n"] {
            let body = chat_body(ending).into_bytes();
            for split in 0..=body.len() {
                let items = collect(vec![body[..split].to_vec(), body[split..].to_vec()]).await;
                let chunks: Vec<_> = items.into_iter().collect::<Result<_>>().expect("no error");
                assert_eq!(chunks.len(), 3, "split {split}");
                assert_eq!(chunks[0].choices[0].delta.content.as_deref(), Some("Hé"));
                assert!(chunks[2].choices.is_empty() && chunks[2].usage.is_some());
            }
        }
    }

    #[tokio::test]
    async fn cut_streams_and_error_frames_are_errors() {
        let body = chat_body("\n");
        let cut_at = body.find("data: [DONE]").unwrap_or(body.len());
        for end in [cut_at, cut_at - 5, 40] {
            let items = collect(vec![body.as_bytes()[..end].to_vec()]).await;
            assert!(
                matches!(items.last(), Some(Err(Error::Stream { message, .. })) if message.contains("before [DONE]")),
                "cut at {end}: {items:?}"
            );
        }
        let error_frame =
            b"event: error\ndata: {\"error\":{\"message\":\"overloaded\",\"code\":\"busy\"}}\n\n"
                .to_vec();
        let items = collect(vec![error_frame]).await;
        match items.as_slice() {
            [Err(Error::Stream {
                api_error: Some(api),
                ..
            })] => assert_eq!(api.code.as_deref(), Some("busy")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn blank_lines_without_data_dispatch_nothing() {
        let mut decoder = Decoder::default();
        assert!(decoder.feed(b"\n\nevent: x\n\n: c\n\n").is_empty());
        assert!(!decoder.has_partial_event());
    }
}
