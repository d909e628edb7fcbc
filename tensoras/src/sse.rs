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

/// An event as the decoder sees it, borrowing from the bytes just fed when
/// it can (a `data` line wholly inside one read is not copied).
///
/// ```
/// let mut decoder = tensoras::sse::Decoder::default();
/// let mut seen = Vec::new();
/// decoder.feed_with(b"event: ping\ndata: 1\n\ndata: 2\n\n", |event| {
///     seen.push((event.event.to_owned(), event.data.to_owned()));
/// });
/// assert_eq!(seen, [("ping".to_owned(), "1".to_owned()), (String::new(), "2".to_owned())]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct EventRef<'a> {
    /// The `event:` field; empty means the default `message`.
    pub event: &'a str,
    /// The `data:` lines joined with `\n`.
    pub data: &'a str,
    /// The last `id:` field.
    pub id: Option<&'a str>,
}

impl EventRef<'_> {
    /// An owned copy.
    pub fn to_event(&self) -> Event {
        Event {
            event: self.event.to_owned(),
            data: self.data.to_owned(),
            id: self.id.map(str::to_owned),
        }
    }
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
#[derive(Debug)]
pub struct Decoder {
    /// A line begun in an earlier read.
    line: Vec<u8>,
    /// The longest line, and the most `data` one event may gather.
    max_line: usize,
    max_event: usize,
    /// Set when input broke a bound; the decoder then takes no more input.
    overflow: Option<(&'static str, usize)>,
    after_cr: bool,
    /// Made the first time the general path needs them, and kept (boxed:
    /// a stream whose events all take the fast path — one `data:` line each,
    /// as chat streams send them — never makes them, where each open stream
    /// held their 96 bytes; issue 21. A stream with `event:` lines has them
    /// from its first event, one allocation more).
    fields: Option<Box<Fields>>,
}

/// The fields of the event being gathered, and the last event ID.
#[derive(Debug, Default)]
struct Fields {
    event: Option<String>,
    data: Option<String>,
    id: Option<String>,
    /// The one `data` value seen so far in the current input, as a range of
    /// it, not yet copied. Owned before the input is let go (see `pull`).
    borrowed: Option<std::ops::Range<usize>>,
}

impl Fields {
    /// Whether part of an event is gathered (its data may be borrowed).
    fn pending(&self) -> bool {
        self.borrowed.is_some() || self.data.is_some() || self.event.is_some()
    }
}

/// One event pulled from an input: its data borrowed from the input when
/// it lay wholly inside it, owned otherwise.
struct Pulled<'a> {
    event: Option<String>,
    data: std::borrow::Cow<'a, str>,
}

impl Default for Decoder {
    fn default() -> Self {
        let limits = crate::limits::Limits::default();
        Decoder::with_limits(limits.max_event_line_bytes, limits.max_event_bytes)
    }
}

impl Decoder {
    /// A decoder that holds at most `max_line` bytes of an unfinished line
    /// and `max_event` bytes of an event's `data`; input past either is
    /// refused (see [`Decoder::overflow`]), so what it holds stays bounded
    /// whatever it is fed. [`Default`] uses [`Limits`](crate::Limits)'s.
    ///
    /// ```
    /// let mut decoder = tensoras::sse::Decoder::with_limits(16, 64);
    /// assert!(decoder.feed(b"data: a line far longer than sixteen bytes").is_empty());
    /// assert_eq!(decoder.overflow(), Some(("event-stream line (bytes)", 16)));
    /// assert!(decoder.buffered() <= 16);
    /// ```
    pub fn with_limits(max_line: usize, max_event: usize) -> Self {
        Decoder {
            line: Vec::new(),
            max_line,
            max_event,
            overflow: None,
            after_cr: false,
            fields: None,
        }
    }

    /// The bound input broke, and its value, once it has: the decoder then
    /// takes no more input (and yields no more events).
    pub fn overflow(&self) -> Option<(&'static str, usize)> {
        self.overflow
    }

    /// How many bytes the decoder holds between inputs: an unfinished line,
    /// and the fields of an unfinished event.
    pub fn buffered(&self) -> usize {
        let held = |field: &Option<String>| field.as_ref().map_or(0, String::len);
        self.line.len()
            + self
                .fields
                .as_deref()
                .map_or(0, |f| held(&f.data) + held(&f.event) + held(&f.id))
    }

    /// The fields, made when first needed.
    fn fields(&mut self) -> &mut Fields {
        self.fields.get_or_insert_with(Box::default)
    }

    /// Refuses the rest of the input: what it held is let go.
    #[cold]
    fn overflowed(&mut self, what: &'static str, limit: usize, input: &[u8], pos: &mut usize) {
        self.overflow = Some((what, limit));
        self.line = Vec::new();
        if let Some(fields) = &mut self.fields {
            fields.data = None;
            fields.event = None;
            fields.borrowed = None;
        }
        *pos = input.len();
    }

    /// Consumes `bytes` and returns the events completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        self.feed_with(bytes, |event| out.push(event.to_event()));
        out
    }

    /// Consumes `bytes` and hands each completed event to `sink`, borrowed:
    /// the allocation-free form of [`Decoder::feed`].
    pub fn feed_with(&mut self, input: &[u8], mut sink: impl FnMut(EventRef<'_>)) {
        let mut pos = 0;
        while let Some(pulled) = self.pull(input, &mut pos) {
            sink(EventRef {
                event: pulled.event.as_deref().unwrap_or_default(),
                data: &pulled.data,
                id: self.fields.as_deref().and_then(|f| f.id.as_deref()),
            });
        }
    }

    /// The next event completed by `input[*pos..]`, advancing `pos`; `None`
    /// once the input is used up. Call again with the same input until it
    /// returns `None`: only then is a value borrowed from it copied.
    #[inline]
    fn pull<'a>(&mut self, input: &'a [u8], pos: &mut usize) -> Option<Pulled<'a>> {
        // The stream's `poll_next` takes the same two steps itself, so the
        // common event reaches it as a plain `&str`.
        match self.pull_data_event(input, pos) {
            Some(data) => Some(Pulled {
                event: None,
                data: std::borrow::Cow::Borrowed(data),
            }),
            None => self.pull_any(input, pos),
        }
    }

    /// The general path of [`Decoder::pull`]: any line endings, fields,
    /// comments, and lines or events split across inputs.
    fn pull_any<'a>(&mut self, input: &'a [u8], pos: &mut usize) -> Option<Pulled<'a>> {
        if self.overflow.is_some() {
            *pos = input.len();
            return None;
        }
        while *pos < input.len() {
            if self.after_cr {
                self.after_cr = false;
                if input[*pos] == b'\n' {
                    *pos += 1; // the LF of a CRLF pair
                    continue;
                }
            }
            let Some(offset) = memchr::memchr2(b'\n', b'\r', &input[*pos..]) else {
                if self.line.len() + (input.len() - *pos) > self.max_line {
                    self.overflowed("event-stream line (bytes)", self.max_line, input, pos);
                    return None;
                }
                self.line.extend_from_slice(&input[*pos..]);
                *pos = input.len();
                break;
            };
            let (start, end) = (*pos, *pos + offset);
            if self.line.len() + offset > self.max_line {
                self.overflowed("event-stream line (bytes)", self.max_line, input, pos);
                return None;
            }
            self.after_cr = input[end] == b'\r';
            *pos = end + 1;
            if self.line.is_empty() {
                // The whole line is in this read: no copy.
                if let Some(event) = self.line_in(input, start..end) {
                    return Some(event);
                }
            } else {
                // The rest of a line begun earlier. It is not blank, so it
                // completes no event; its value is copied, never borrowed.
                self.line.extend_from_slice(&input[start..end]);
                let line = std::mem::take(&mut self.line);
                self.field(&line, None);
                self.line = line;
                self.line.clear(); // keeps its capacity
            }
            if self.overflow.is_some() {
                let (what, limit) = self.overflow.unwrap_or_default();
                self.overflowed(what, limit, input, pos);
                return None;
            }
        }
        // The input ends before the event does: keep the value.
        self.keep_borrowed(input);
        None
    }

    /// The fast path for the shape almost every event has: one
    /// `data: …` line and the blank line after it, wholly inside `input`,
    /// with nothing of an earlier event pending, in valid UTF-8. One line
    /// search, no field parsing, and a plain `&str` back (no `Cow` to build
    /// and move); anything else is left to the general path, `pull_any`.
    #[inline]
    fn pull_data_event<'a>(&self, input: &'a [u8], pos: &mut usize) -> Option<&'a str> {
        if self.after_cr
            || self.overflow.is_some()
            || !self.line.is_empty()
            || self.fields.as_deref().is_some_and(Fields::pending)
        {
            return None;
        }
        let value = input.get(*pos..)?.strip_prefix(b"data: ")?;
        let end = memchr::memchr2(b'\n', b'\r', value)?;
        let (data, after) = value.split_at_checked(end)?;
        // Past a bound: the general path refuses it.
        if !after.starts_with(b"\n\n") || end + 6 > self.max_line || end > self.max_event {
            return None;
        }
        let data = simdutf8::basic::from_utf8(data).ok()?;
        *pos += end + 8;
        Some(data)
    }

    /// Copies a `data` value borrowed from `input` into the decoder, before
    /// the input is let go or another `data` line is appended to it.
    fn keep_borrowed(&mut self, input: &[u8]) {
        let Some(fields) = &mut self.fields else {
            return;
        };
        if let Some(range) = fields.borrowed.take() {
            let value = utf8(&input[range]);
            // Replacing broken UTF-8 can make a value up to three times its bytes.
            if value.len() > self.max_event {
                self.overflow = Some(("event-stream event data (bytes)", self.max_event));
                return;
            }
            fields.data = Some(value.into_owned());
        }
    }

    /// Whether bytes of an unfinished event are buffered.
    pub fn has_partial_event(&self) -> bool {
        !self.line.is_empty()
            || self
                .fields
                .as_deref()
                .is_some_and(|f| f.data.is_some() || f.event.is_some())
    }

    /// A line lying wholly in `input`: a blank line completes an event.
    fn line_in<'a>(
        &mut self,
        input: &'a [u8],
        range: std::ops::Range<usize>,
    ) -> Option<Pulled<'a>> {
        if range.is_empty() {
            let fields = self.fields.as_deref_mut()?; // no field yet: no event
            let event = fields.event.take();
            let data = match fields.borrowed.take() {
                Some(range) => utf8(&input[range]),
                None => std::borrow::Cow::Owned(fields.data.take()?), // no data: no event
            };
            return Some(Pulled { event, data });
        }
        self.field(&input[range.clone()], Some((input, range.start)));
        None
    }

    /// One `field: value` line. `origin` is the input and the line's offset
    /// in it when a `data` value may be borrowed rather than copied.
    fn field(&mut self, line: &[u8], origin: Option<(&[u8], usize)>) {
        if line[0] == b':' {
            return; // a comment, such as `: keep-alive`
        }
        let (field, value_start) = match memchr::memchr(b':', line) {
            Some(i) if line.get(i + 1) == Some(&b' ') => (&line[..i], i + 2),
            Some(i) => (&line[..i], i + 1),
            None => (line, line.len()),
        };
        let value = &line[value_start..];
        match field {
            b"data" => {
                let first = self
                    .fields
                    .as_deref()
                    .is_none_or(|f| f.data.is_none() && f.borrowed.is_none());
                match origin {
                    Some(_) if first && value.len() > self.max_event => {
                        self.overflow = Some(("event-stream event data (bytes)", self.max_event));
                    }
                    // Borrowed unchecked: UTF-8 is checked once, when the event completes.
                    Some((_, at)) if first => {
                        self.fields().borrowed = Some(at + value_start..at + line.len());
                    }
                    _ => {
                        // A second data line: the first, if borrowed, is copied now.
                        if let Some((input, _)) = origin {
                            self.keep_borrowed(input);
                            if self.overflow.is_some() {
                                return;
                            }
                        }
                        let value = utf8(value);
                        let max_event = self.max_event;
                        let fields = self.fields();
                        // The joining `\n` only between lines: a first line
                        // is held to the bound the other paths hold it to.
                        let total = fields
                            .data
                            .as_ref()
                            .map_or(value.len(), |held| held.len() + 1 + value.len());
                        if total > max_event {
                            // Let go now; `pull_any` refuses the rest of the input.
                            fields.data = None;
                            self.overflow = Some(("event-stream event data (bytes)", max_event));
                            return;
                        }
                        match &mut fields.data {
                            Some(data) => {
                                data.push('\n');
                                data.push_str(&value);
                            }
                            None => fields.data = Some(value.into_owned()),
                        }
                    }
                }
            }
            b"event" => self.fields().event = Some(utf8(value).into_owned()),
            b"id" if !value.contains(&0) => {
                self.fields().id = Some(utf8(value).into_owned());
            }
            _ => {} // `retry` and unknown fields are ignored, as the spec says
        }
    }
}

/// The UTF-8 check of a field value (once per event for the usual one-line
/// `data`); broken text is replaced, not dropped. `simdutf8` validates the
/// valid case (all of them in practice) several times faster than
/// `std::str::from_utf8` on payloads this size.
#[inline]
fn utf8(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

/// A stream of typed events from a server-sent-events response, ending at
/// `data: [DONE]`. Dropping it closes the connection (over HTTP/2, resets
/// the stream).
///
/// Yields [`Error::Stream`] for an `event: error` frame, a `data` payload
/// with an `error` object (see `openapi/DECISIONS.md`, "Errors mid-stream",
/// for exactly which), data that is not the expected JSON, or a body that
/// ends before `[DONE]`; after an error the stream ends.
///
/// ```
/// use futures::StreamExt;
/// let body = "data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: [DONE]\n\n";
/// let reads = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(body))]);
/// let stream = tensoras::sse::EventStream::<serde_json::Value>::from_byte_stream(reads);
/// let items: Vec<_> = futures::executor::block_on(stream.collect());
/// assert_eq!(items.len(), 2);
/// assert_eq!(items[1].as_ref().unwrap()["n"], 2);
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct EventStream<T> {
    /// Boxed, its own state: a stream is moved (out of the call's future, into
    /// a task, into a caller's function) and held for its whole life, and
    /// each move and each future that holds it would otherwise carry its
    /// 350 bytes — twice over where a task moves it into the function that
    /// reads it (issue 21: a task's 776 bytes per open stream).
    state: Box<State>,
    _marker: std::marker::PhantomData<fn() -> T>,
}

/// An open stream: its response's head, its body and the decoder's place in it.
struct State {
    status: u16,
    headers: reqwest::header::HeaderMap,
    /// The response body; `None` once the stream has ended.
    body: Option<Source>,
    decoder: Decoder,
    /// The current network read and how far the decoder got in it.
    read: Bytes,
    pos: usize,
    /// Whether `T` could take an error payload for an item (see [`absorbs_errors`]).
    search_all: bool,
    /// What should have come before the body ended, for the error when it
    /// ends early: `[DONE]`, or the event that ends another kind of stream.
    end: &'static str,
    /// The call's span and metrics, when someone listens: told of each
    /// item and of the end (boxed: a disabled one costs a pointer).
    observer: Option<Box<crate::telemetry::StreamObserver>>,
    /// For an answer labelled JSON or HTML, its first bytes, kept until an
    /// event comes (see [`not_events`]).
    preface: Option<Box<Preface>>,
}

/// The start of an answer whose `content-type` says it is not an event
/// stream, kept until an event shows it is one after all: if none comes,
/// the stream's error quotes it (the server's error, or what came instead)
/// rather than only "ended before `[DONE]`".
struct Preface {
    content_type: String,
    bytes: Vec<u8>,
    /// At most this many bytes are kept ([`Limits::max_error_body_bytes`](crate::Limits)).
    limit: usize,
}

impl Preface {
    fn keep(&mut self, read: &[u8]) {
        let room = self.limit.saturating_sub(self.bytes.len());
        self.bytes.extend_from_slice(&read[..read.len().min(room)]);
    }

    fn error(&self) -> Error {
        answer_not_events(&self.content_type, &self.bytes)
    }
}

/// Where the bytes come from: a response's body, read within the call's
/// bounds (kept inline, in the stream's own allocation, not boxed apart),
/// or any other source of bytes.
enum Source {
    Http(crate::transport::Guarded),
    Other(ByteStream),
}

impl Source {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        match self {
            Source::Http(body) => Pin::new(body).poll_next(cx),
            Source::Other(body) => body.as_mut().poll_next(cx),
        }
    }
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("finished", &self.state.body.is_none())
            .finish_non_exhaustive()
    }
}

impl<T> EventStream<T> {
    /// The response's HTTP status, known before the first item.
    pub fn status(&self) -> u16 {
        self.state.status
    }

    /// The response's headers, known before the first item.
    pub fn headers(&self) -> &reqwest::header::HeaderMap {
        &self.state.headers
    }

    /// The response's `x-request-id` header.
    pub fn request_id(&self) -> Option<&str> {
        crate::rate_limit::request_id(&self.state.headers)
    }

    /// The response's `X-RateLimit-*` headers.
    pub fn rate_limit(&self) -> crate::RateLimit {
        crate::RateLimit::from_headers(&self.state.headers)
    }
}

impl<T: DeserializeOwned> EventStream<T> {
    /// The events of a sent call's response, each wait for bytes within the
    /// read timeout, the whole within the total timeout, lines and events
    /// within the limits.
    pub(crate) fn new(sent: crate::client::Sent) -> Self {
        let crate::client::Sent {
            mut response,
            attempts,
            settings,
            observed,
        } = sent;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let limits = settings.limits;
        let observer =
            observed.map(|call| Box::new(crate::telemetry::StreamObserver::new(call, &headers)));
        let _ = attempts;
        let preface = not_events(&headers).map(|content_type| {
            Box::new(Preface {
                content_type,
                bytes: Vec::new(),
                limit: usize::try_from(limits.max_error_body_bytes).unwrap_or(usize::MAX),
            })
        });
        let mut stream = Self::from_source(
            Source::Http(crate::transport::Guarded::new(response, settings)),
            status,
            headers,
            Decoder::with_limits(limits.max_event_line_bytes, limits.max_event_bytes),
            observer,
        );
        stream.state.preface = preface;
        stream
    }

    /// A stream over any source of bytes (a recorded stream, a test's
    /// reads, another HTTP client's body); its status is 200, it has no
    /// headers, and the default [`Limits`](crate::Limits) apply. An error
    /// from the source ends the stream as [`Error::Connection`] carrying it.
    pub fn from_byte_stream<E>(
        body: impl Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
    ) -> Self
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Self::from_stream(body.map(|read| read.map_err(|e| Error::transport(e.into()))))
    }

    fn from_stream(body: impl Stream<Item = Result<Bytes>> + Send + 'static) -> Self {
        Self::from_source(
            Source::Other(Box::pin(body)),
            200,
            reqwest::header::HeaderMap::new(),
            Decoder::default(),
            None,
        )
    }

    fn from_source(
        body: Source,
        status: u16,
        headers: reqwest::header::HeaderMap,
        decoder: Decoder,
        observer: Option<Box<crate::telemetry::StreamObserver>>,
    ) -> Self {
        EventStream {
            state: Box::new(State {
                status,
                headers,
                body: Some(body),
                decoder,
                read: Bytes::new(),
                pos: 0,
                search_all: absorbs_errors::<T>(),
                end: DONE,
                observer,
                preface: None,
            }),
            _marker: std::marker::PhantomData,
        }
    }

    /// For a stream that ends with an event of its own rather than
    /// `[DONE]` (the caller stops reading at that event): `end` names it in
    /// the error when the body ends first, or a `[DONE]` comes first.
    pub(crate) fn ending_with(mut self, end: &'static str) -> Self {
        self.state.end = end;
        self
    }
}

impl State {
    fn fail<T>(&mut self, err: Error) -> Poll<Option<Result<T>>> {
        self.body = None; // ends the stream and closes the connection now
        self.finish_observed(Some(&err));
        Poll::Ready(Some(Err(err)))
    }

    fn finish_observed(&mut self, error: Option<&Error>) {
        if let Some(observer) = self.observer.take() {
            observer.end(error, false);
        }
    }
}

impl<T> EventStream<T> {
    /// Ends the observation of a stream that ended as it should (`None`)
    /// or with an error, before its end marker: for a caller that stops
    /// reading at an event of its own (the Responses stream).
    pub(crate) fn finish_observed(&mut self, error: Option<&Error>) {
        self.state.finish_observed(error);
    }
}

impl<T> Drop for EventStream<T> {
    fn drop(&mut self) {
        if let Some(observer) = self.state.observer.take() {
            // Dropped before its end: the caller stopped reading.
            observer.end(None, true);
        }
    }
}

/// Tells the observer, if any, of the item about to be returned.
#[inline(never)]
fn observe<T: 'static>(
    observer: &mut Option<Box<crate::telemetry::StreamObserver>>,
    item: &Option<Result<T>>,
) {
    match item {
        Some(Ok(item)) => {
            if let Some(observer) = observer {
                observer.item(item);
            }
        }
        Some(Err(error)) => {
            if let Some(observer) = observer.take() {
                observer.end(Some(error), false);
            }
        }
        None => {
            if let Some(observer) = observer.take() {
                observer.end(None, false);
            }
        }
    }
}

/// Turns one event into the stream's next item: an item, an error or, for
/// the end marker, `None`. An error or the end marker ends the stream: the
/// body is dropped, which closes the connection. (Ending it here rather than
/// in the caller lets the item go straight to `poll_next`'s return value
/// instead of being copied through a local.)
///
/// A payload with a non-null top-level `error` member is the server
/// reporting a failure mid-stream and becomes an error, never an item. The
/// common event is parsed once, straight into `T`; the slower look for an
/// `error` member (a parse into a `Value`) runs only when the payload does
/// not fit `T`, when its first member is `error`, or — for a `T` that would
/// take an error object for an item, such as `serde_json::Value` — when it
/// contains `"error"` at all (`search_all`, see [`absorbs_errors`]).
#[inline]
fn handle<T: DeserializeOwned>(
    error_event: bool,
    search_all: bool,
    data: &str,
    body: &mut Option<Source>,
    end: &'static str,
) -> Option<Result<T>> {
    if error_event {
        *body = None;
        return Some(Err(stream_error(data)));
    }
    // A JSON payload starts with `{`; only anything else can be the end marker.
    let Some(members) = data.strip_prefix('{') else {
        return ending(
            body,
            match data.trim() {
                "[DONE]" => done(end),
                _ => parse_slow(data),
            },
        );
    };
    let suspect = members.trim_ascii_start().starts_with("\"error\"")
        || (search_all && ERROR_KEY.find(data.as_bytes()).is_some());
    if !suspect {
        if let Ok(item) = serde_json::from_str::<T>(data) {
            return Some(Ok(item));
        }
    }
    ending(body, parse_slow(data))
}

/// `[DONE]`: the end of a stream that ends with it; for one that ends with
/// an event of its own (`end` names it), a sign the stream was cut short —
/// an error, not an end that would pass for a whole answer.
#[cold]
fn done<T>(end: &'static str) -> Option<Result<T>> {
    if end == DONE {
        return None;
    }
    Some(Err(Error::stream(format!(
        "the server sent [DONE] before {end}"
    ))))
}

/// The end marker of a stream that ends with `[DONE]`.
const DONE: &str = "[DONE]";

/// Drops the body (ending the stream) unless `next` is an item.
#[cold]
fn ending<T>(body: &mut Option<Source>, next: Option<Result<T>>) -> Option<Result<T>> {
    if !matches!(next, Some(Ok(_))) {
        *body = None;
    }
    next
}

/// `"error"`, searched for in payloads only when `T` could take an error
/// object for an item. Built once: building a SIMD searcher per event
/// would cost more than the search.
static ERROR_KEY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"error\""));

/// Whether `T` would take a bare error object, `{"error": {...}}`, for an
/// item: then every payload must be searched for an `error` member before
/// it is trusted. The chunk types have required members an error object
/// lacks, so for them an error payload fails the fast parse and is caught
/// there. Asked once per stream.
fn absorbs_errors<T: DeserializeOwned>() -> bool {
    serde_json::from_str::<T>(r#"{"error":{"message":"probe"}}"#).is_ok()
}

/// The careful path: the payload as a `Value`, checked for an `error`
/// member, then converted to `T`, with an error that says what was wrong.
#[cold]
fn parse_slow<T: DeserializeOwned>(data: &str) -> Option<Result<T>> {
    let value: serde_json::Value = match serde_json::from_str(data) {
        Ok(v) => v,
        Err(e) => {
            return Some(Err(Error::stream(format!(
                "event data is not JSON ({e}): {}",
                crate::error::body_excerpt(data.as_bytes())
            ))))
        }
    };
    if value.get("error").is_some_and(|e| !e.is_null()) {
        return Some(Err(stream_error(data)));
    }
    match T::deserialize(value) {
        Ok(item) => Some(Ok(item)),
        Err(e) => Some(Err(Error::stream(format!(
            "event data does not match the chunk type ({e}): {}",
            crate::error::body_excerpt(data.as_bytes())
        )))),
    }
}

/// The media type of an answer to a streaming call that is likely not an
/// event stream: JSON (a server that ignored `stream: true`, or reported an
/// error with a 200) or an HTML page (a proxy's). Read as event-stream
/// lines, such a body is all ignored and only "ended before `[DONE]`" would
/// be left of it, so its start is kept until an event comes. It is still
/// read as events (gateways label event streams `application/json`, and
/// worse), as is an answer of any other or no type.
pub(crate) fn not_events(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let value = headers.get(reqwest::header::CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next().unwrap_or_default().trim();
    let media = media.to_ascii_lowercase();
    let refused = media == "application/json" || media.ends_with("+json") || media == "text/html";
    refused.then_some(media)
}

/// The error for such an answer's `body` (as far as it was read): the
/// server's error when it is one, else what came instead of events.
pub(crate) fn answer_not_events(content_type: &str, body: &[u8]) -> Error {
    let reports_error = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .is_some_and(|value| value.get("error").is_some_and(|e| !e.is_null()));
    if reports_error {
        return stream_error(&String::from_utf8_lossy(body));
    }
    Error::stream(format!(
        "the server answered `{content_type}` where an event stream was expected: {}",
        crate::error::body_excerpt(body)
    ))
}

fn stream_error(data: &str) -> Error {
    let api = ApiError::from_response(200, &reqwest::header::HeaderMap::new(), data.as_bytes());
    Error::Stream {
        message: format!("the server sent an error: {}", api.message),
        api_error: Some(Box::new(api)),
    }
}

impl<T: DeserializeOwned + 'static> Stream for EventStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self.get_mut().state;
        loop {
            if this.body.is_none() {
                return Poll::Ready(None); // ended
            }
            // Events are decoded and parsed one at a time, straight from the
            // read: no queue, and only one chunk alive at once. The
            // common event takes the fast path; the rest, the general one.
            if let Some(data) = this.decoder.pull_data_event(&this.read, &mut this.pos) {
                // Unobserved, the item goes straight into the result (the
                // hot path of every stream nobody traces).
                if this.observer.is_none() && this.preface.is_none() {
                    return Poll::Ready(handle(
                        false,
                        this.search_all,
                        data,
                        &mut this.body,
                        this.end,
                    ));
                }
                this.preface = None; // an event: an event stream after all
                let item = handle(false, this.search_all, data, &mut this.body, this.end);
                observe(&mut this.observer, &item);
                return Poll::Ready(item);
            }
            if let Some(pulled) = this.decoder.pull_any(&this.read, &mut this.pos) {
                this.preface = None;
                let error_event = pulled.event.as_deref() == Some("error");
                let data = &pulled.data;
                let item = handle(error_event, this.search_all, data, &mut this.body, this.end);
                if this.observer.is_some() {
                    observe(&mut this.observer, &item);
                }
                return Poll::Ready(item);
            }
            if let Some((what, limit)) = this.decoder.overflow() {
                // Nothing more is read: the connection is dropped.
                let error = match this.preface.take() {
                    Some(preface) => preface.error(),
                    None => Error::limit(what, limit as u64),
                };
                return this.fail(error);
            }
            let Some(body) = this.body.as_mut() else {
                return Poll::Ready(None);
            };
            // The read is used up (what the decoder still needs of it, it
            // has copied): let it go before waiting for the next. Held, it
            // would pin the HTTP stack's whole read buffer, which then
            // allocates a fresh one for every read — 8 KiB more per open
            // stream, and an allocation per read (issue 21).
            this.read = Bytes::new();
            this.pos = 0;
            match body.poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(bytes))) => {
                    if let Some(preface) = &mut this.preface {
                        preface.keep(&bytes);
                    }
                    this.read = bytes;
                    this.pos = 0;
                }
                Poll::Ready(Some(Err(e))) => return this.fail(e),
                Poll::Ready(None) => {
                    if let Some(preface) = this.preface.take() {
                        return this.fail(preface.error());
                    }
                    // An event without its terminating blank line is incomplete
                    // and discarded (as the SSE spec says); either way the
                    // stream did not finish.
                    let detail = if this.decoder.has_partial_event() {
                        " (cut in the middle of an event)"
                    } else {
                        ""
                    };
                    return this.fail(Error::stream(format!(
                        "the stream ended before {}{detail}",
                        this.end
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_stream_is_a_pointer_and_a_waiting_call_a_small_future() {
        // Issue 21: a task that awaits the call and then moves the stream
        // into the function that reads it holds both for the stream's whole
        // life (776 bytes a task when the stream was 352 bytes inline and
        // the call's future 304).
        type Stream = EventStream<crate::types::ChatCompletionChunk>;
        assert_eq!(std::mem::size_of::<Stream>(), std::mem::size_of::<usize>());
        let client = crate::Tensoras::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:9/v1")
            .build()
            .unwrap();
        use crate::prelude::*;
        let call = client
            .chat()
            .completions()
            .create_stream(ChatCompletionRequest::new("m", [ChatMessage::user("Hi")]));
        // The call's state is boxed: two words until the head arrives.
        assert_eq!(
            std::mem::size_of_val(&call),
            2 * std::mem::size_of::<usize>()
        );
        // The decoder keeps an event's fields out of line until the general
        // path needs them: the line, the bounds, the overflow, a pointer.
        assert!(std::mem::size_of::<Decoder>() <= 80);
    }

    #[test]
    fn an_event_at_its_bound_passes_wherever_the_reads_split_it() {
        // `max_event` bytes of data is within the bound, one more is not,
        // whether the line lies in one read or comes in two.
        let max_event = 32;
        for (len, passes) in [(max_event, true), (max_event + 1, false)] {
            let text = format!("data: {}\n\n", "x".repeat(len));
            for split in 0..=text.len() {
                let mut decoder = Decoder::with_limits(1024, max_event);
                let mut events = decoder.feed(&text.as_bytes()[..split]);
                events.extend(decoder.feed(&text.as_bytes()[split..]));
                if passes {
                    assert_eq!(events.len(), 1, "split {split}");
                    assert_eq!(events[0].data.len(), max_event, "split {split}");
                    assert_eq!(decoder.overflow(), None, "split {split}");
                } else {
                    assert!(events.is_empty(), "split {split}: {events:?}");
                    assert_eq!(
                        decoder.overflow(),
                        Some(("event-stream event data (bytes)", max_event)),
                        "split {split}"
                    );
                }
            }
        }
    }

    #[test]
    fn done_before_a_streams_own_end_is_an_error() {
        let body = "data: {\"type\":\"response.output_text.delta\"}\n\ndata: [DONE]\n\n";
        let reads = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from(body))]);
        let stream = EventStream::<serde_json::Value>::from_byte_stream(reads)
            .ending_with("the response completed");
        let items: Vec<_> = futures::executor::block_on(stream.collect());
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(
            items[0].as_ref().unwrap()["type"],
            "response.output_text.delta"
        );
        let Err(Error::Stream { message, .. }) = &items[1] else {
            panic!("{:?}", items[1]);
        };
        assert_eq!(
            message,
            "the server sent [DONE] before the response completed"
        );
    }

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

    /// The items of a stream of `T` over these reads.
    async fn collect_as<T: DeserializeOwned + 'static>(reads: Vec<Vec<u8>>) -> Vec<Result<T>> {
        let parts = futures::stream::iter(
            reads
                .into_iter()
                .map(|b| Ok::<_, std::io::Error>(Bytes::from(b))),
        );
        EventStream::<T>::from_byte_stream(parts).collect().await
    }

    async fn collect(body: Vec<Vec<u8>>) -> Vec<Result<crate::types::ChatCompletionChunk>> {
        collect_as(body).await
    }

    /// A test's item: either member, as the payload has it.
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Probe {
        n: Option<i64>,
        s: Option<String>,
    }

    fn n(n: i64) -> Option<Probe> {
        Some(Probe {
            n: Some(n),
            s: None,
        })
    }

    fn s(s: &str) -> Option<Probe> {
        Some(Probe {
            n: None,
            s: Some(s.to_owned()),
        })
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

    #[tokio::test]
    async fn a_used_up_read_is_let_go_before_the_next_is_awaited() {
        // Held while the stream waits, a read pins the HTTP stack's whole
        // read buffer (issue 21). The source checks, each time it is asked
        // for more, that nobody but itself still holds the read before.
        use std::sync::atomic::{AtomicUsize, Ordering};
        let pinned = std::sync::Arc::new(AtomicUsize::new(0));
        let mut reads = (0..3)
            .map(|i| Bytes::from(format!("data: {{\"n\":{i}}}\n\ndata: {{\"n\":1{i}}}\n\n")))
            // Owned, not static: a static `Bytes` is never "unique".
            .chain([Bytes::from(String::from("data: [DONE]\n\n"))]);
        let mut previous: Option<Bytes> = None;
        let counter = std::sync::Arc::clone(&pinned);
        let source = futures::stream::poll_fn(move |_| {
            if previous.as_ref().is_some_and(|read| !read.is_unique()) {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            previous = reads.next();
            Poll::Ready(previous.clone().map(Ok::<_, std::io::Error>))
        });
        let items: Vec<Result<serde_json::Value>> =
            EventStream::from_byte_stream(source).collect().await;
        let numbers: Vec<i64> = items
            .iter()
            .map(|item| {
                item.as_ref()
                    .ok()
                    .and_then(|v| v["n"].as_i64())
                    .unwrap_or(-1)
            })
            .collect();
        assert_eq!(numbers, [0, 10, 1, 11, 2, 12]);
        assert_eq!(pinned.load(Ordering::SeqCst), 0, "a read was still held");
    }

    #[test]
    fn one_line_of_data_longer_than_the_event_bound_is_refused() {
        // The line fits its bound (64), the data does not fit the event's (8):
        // in one read (the fast path) or split (the general path).
        let input = b"data: 0123456789abcdef\n\n";
        for split in [input.len(), 10] {
            let mut decoder = Decoder::with_limits(64, 8);
            let mut events = decoder.feed(&input[..split]);
            events.extend(decoder.feed(&input[split..]));
            assert!(events.is_empty(), "split {split}: {events:?}");
            assert_eq!(
                decoder.overflow(),
                Some(("event-stream event data (bytes)", 8)),
                "split {split}"
            );
        }
        // At the bound exactly: kept.
        let mut decoder = Decoder::with_limits(64, 8);
        assert_eq!(decoder.feed(b"data: 01234567\n\n")[0].data, "01234567");
    }

    #[test]
    fn a_line_at_its_bound_is_kept_and_one_byte_past_it_refused() {
        // `data: 1234` is 10 bytes: at the bound of 10. In one read the fast
        // path takes it; split, the general path.
        for (input, kept) in [
            (&b"data: 1234\n\n"[..], true),
            (&b"data: 12345\n\n"[..], false),
        ] {
            for split in [input.len(), 8] {
                let mut decoder = Decoder::with_limits(10, 64);
                let mut events = decoder.feed(&input[..split]);
                events.extend(decoder.feed(&input[split..]));
                let data: Vec<_> = events.iter().map(|e| e.data.as_str()).collect();
                let expected: &[&str] = if kept { &["1234"] } else { &[] };
                assert_eq!(data, expected, "{input:?} split at {split}");
                assert_eq!(
                    decoder.overflow().is_none(),
                    kept,
                    "{input:?} split at {split}"
                );
            }
        }
    }

    #[test]
    fn after_an_overflow_the_decoder_yields_nothing_more() {
        let mut decoder = Decoder::with_limits(16, 64);
        assert!(decoder
            .feed(b"data: a line far longer than sixteen bytes\n\n")
            .is_empty());
        assert!(decoder.overflow().is_some());
        assert!(decoder.feed(b"data: x\n\n").is_empty());
    }

    #[tokio::test]
    async fn a_read_after_one_with_broken_utf8_is_decoded_whole() {
        let reads = vec![
            b"data: {\"s\":\"a\xffb\"}\n\n".to_vec(),
            b"data: {\"n\":2}\n\ndata: [DONE]\n\n".to_vec(),
        ];
        let items = collect_as::<Probe>(reads).await;
        let values: Vec<_> = items.into_iter().map(|item| item.ok()).collect();
        assert_eq!(values, [s("a\u{fffd}b"), n(2)]);
    }

    #[test]
    fn blank_lines_without_data_dispatch_nothing() {
        let mut decoder = Decoder::default();
        assert!(decoder.feed(b"\n\nevent: x\n\n: c\n\n").is_empty());
        assert!(!decoder.has_partial_event());
    }

    #[test]
    fn which_item_types_would_take_an_error_object_for_an_item() {
        assert!(!absorbs_errors::<crate::types::ChatCompletionChunk>());
        assert!(!absorbs_errors::<crate::types::Completion>());
        assert!(absorbs_errors::<serde_json::Value>());
    }

    async fn collect_values(body: &[u8]) -> Vec<Result<serde_json::Value>> {
        collect_as(vec![body.to_vec()]).await
    }

    fn is_server_error<T: std::fmt::Debug>(item: Option<&Result<T>>, code: &str) -> bool {
        matches!(item, Some(Err(Error::Stream { api_error: Some(api), .. })) if api.code.as_deref() == Some(code))
    }

    #[tokio::test]
    async fn an_error_member_is_an_error_wherever_it_can_be_told_apart() {
        // Without `event: error`, for the chunk type: a bare error object...
        let bare = b"data: {\"error\":{\"message\":\"busy\",\"code\":\"c1\"}}\n\n";
        let items = collect(vec![bare.to_vec()]).await;
        assert!(
            is_server_error(items.first(), "c1") && items.len() == 1,
            "{items:?}"
        );
        // ...and an error first, ahead of members that would make a valid chunk.
        let chunk =
            r#""id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]"#;
        let first =
            format!("data: {{ \"error\":{{\"message\":\"m\",\"code\":\"c2\"}},{chunk}}}\n\n");
        let items = collect(vec![first.into_bytes()]).await;
        assert!(is_server_error(items.first(), "c2"), "{items:?}");
        // A `Value` stream takes anything, so every payload is searched.
        let later =
            b"data: {\"n\":1}\n\ndata: {\"n\":2,\"error\":{\"message\":\"m\",\"code\":\"c3\"}}\n\n";
        let items = collect_values(later).await;
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(
            items[0].as_ref().ok().map(|v| v["n"].clone()),
            Some(1.into())
        );
        assert!(is_server_error(items.get(1), "c3"), "{items:?}");
        // A null error member is not an error.
        let null = b"data: {\"n\":1,\"error\":null}\n\ndata: [DONE]\n\n";
        let items = collect_values(null).await;
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].as_ref().ok().map(|v| v["n"].clone()),
            Some(1.into())
        );
    }

    #[tokio::test]
    async fn events_after_broken_utf8_in_the_same_read_are_decoded() {
        // An event with broken UTF-8 leaves the fast path; the events after
        // it in the same read are decoded whole, on the fast path again.
        let read = b"data: {\"n\":1}\n\ndata: {\"s\":\"a\xffb\"}\n\ndata: {\"n\":2}\r\n\r\ndata: {\"s\":\"\xc3\xa9\"}\n\ndata: [DONE]\n\n";
        let items = collect_as::<Probe>(vec![read.to_vec()]).await;
        let values: Vec<_> = items.into_iter().map(|item| item.ok()).collect();
        assert_eq!(values, [n(1), s("a\u{fffd}b"), n(2), s("é")]);
        // The decoder alone, the same.
        let mut decoder = Decoder::default();
        let data: Vec<String> = decoder.feed(read).into_iter().map(|e| e.data).collect();
        assert_eq!(
            data,
            [
                r#"{"n":1}"#,
                "{\"s\":\"a\u{fffd}b\"}",
                r#"{"n":2}"#,
                r#"{"s":"é"}"#,
                "[DONE]"
            ]
        );
    }

    #[tokio::test]
    async fn broken_utf8_leaves_the_fast_path_and_is_replaced() {
        let items = collect_values(b"data: {\"s\":\"a\xffb\"}\n\ndata: [DONE]\n\n").await;
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(
            items[0].as_ref().ok().map(|v| v["s"].clone()),
            Some("a\u{fffd}b".into())
        );
    }
}
