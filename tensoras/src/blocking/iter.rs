//! Blocking iterators over the async streams: chunks, events, pages, bytes.

use crate::error::Result;
use reqwest::header::HeaderMap;

/// The items of an async stream (chunks, events, list items, bytes), one at
/// a time; at most a few are read ahead. For a streamed response it carries
/// the response's status and headers, known before the first item.
/// Dropping it closes the connection.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
/// use tensoras::prelude::*;
/// let chunks = client.chat().completions().create_stream(
///     ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hi")]),
/// )?;
/// println!("{:?} {:?}", chunks.status(), chunks.request_id());
/// for chunk in chunks {
///     print!("{}", chunk?.delta_text());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Iter<T> {
    rx: std::sync::mpsc::Receiver<Result<T>>,
    response: Option<(u16, HeaderMap)>,
}

impl<T> Iter<T> {
    pub(crate) fn new(
        rx: std::sync::mpsc::Receiver<Result<T>>,
        response: Option<(u16, HeaderMap)>,
    ) -> Self {
        Iter { rx, response }
    }

    /// The streamed response's HTTP status (`None` for a list's items).
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|(status, _)| *status)
    }

    /// The streamed response's headers (`None` for a list's items).
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.response.as_ref().map(|(_, headers)| headers)
    }

    /// The streamed response's `x-request-id` header.
    pub fn request_id(&self) -> Option<&str> {
        self.headers().and_then(crate::rate_limit::request_id)
    }
}

impl<T> Iterator for Iter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rx.recv().ok()
    }
}
