//! Blocking iterators over the async streams: chunks, events, pages, bytes.

use crate::blocking::runtime::Runtime;
use crate::error::Result;
use futures::{Stream, StreamExt as _};
use reqwest::header::HeaderMap;
use std::pin::Pin;

type Items<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send>>;

/// The items of an async stream (chunks, events, list items, bytes), one at
/// a time, each read on the calling thread when [`next`](Iterator::next)
/// asks for it: nothing is read ahead, and other calls on the same client,
/// from this thread or any other, go on while it is open. For a streamed
/// response it carries the response's status and headers, known before the
/// first item. Dropping it closes the connection at once (over HTTP/2, it
/// resets the stream; the connection serves other calls).
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
#[must_use = "an iterator reads nothing until it is iterated"]
pub struct Iter<T> {
    /// `None` once the stream has ended (and been let go).
    stream: Option<Items<T>>,
    runtime: &'static Runtime,
    response: Option<(u16, HeaderMap)>,
    /// For a file's content: the most bytes `bytes` and `text` read.
    max_bytes: u64,
}

impl<T> std::fmt::Debug for Iter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter")
            .field("status", &self.status())
            .field("finished", &self.stream.is_none())
            .finish_non_exhaustive()
    }
}

impl<T> Iter<T> {
    pub(crate) fn new(
        stream: impl Stream<Item = Result<T>> + Send + 'static,
        runtime: &'static Runtime,
        response: Option<(u16, HeaderMap)>,
    ) -> Self {
        Iter {
            stream: Some(Box::pin(stream)),
            runtime,
            response,
            max_bytes: u64::MAX,
        }
    }

    pub(crate) fn with_max_bytes(mut self, max: u64) -> Self {
        self.max_bytes = max;
        self
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

impl Iter<bytes::Bytes> {
    /// A file's whole content (see
    /// [`FileContent::bytes`](crate::FileContent::bytes)): at most the
    /// client's `Limits::max_response_bytes`, else
    /// [`Error::LimitExceeded`](crate::Error::LimitExceeded).
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// let bytes = client.files().content("file-abc123")?.bytes()?;
    /// println!("{} bytes", bytes.len());
    /// # Ok(()) }
    /// ```
    pub fn bytes(self) -> Result<bytes::Bytes> {
        let max = self.max_bytes;
        let too_large = || crate::Error::limit("the file content (bytes)", max);
        let declared = self
            .headers()
            .and_then(|h| h.get(reqwest::header::CONTENT_LENGTH))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max) {
            return Err(too_large());
        }
        let mut whole = Vec::new();
        for piece in self {
            let piece = piece?;
            if (whole.len() as u64).saturating_add(piece.len() as u64) > max {
                return Err(too_large());
            }
            whole.extend_from_slice(&piece);
        }
        Ok(whole.into())
    }

    /// A file's whole content as UTF-8 text (see
    /// [`FileContent::text`](crate::FileContent::text)).
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// println!("{}", client.files().content("file-abc123")?.text()?);
    /// # Ok(()) }
    /// ```
    pub fn text(self) -> Result<String> {
        crate::resources::files::text(self.bytes()?)
    }
}

impl<T> Iterator for Iter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        let stream = self.stream.as_mut()?;
        let item = self.runtime.block_on(stream.next());
        if item.is_none() {
            if let Some(ended) = self.stream.take() {
                self.runtime.drop_in(ended);
            }
        }
        item
    }
}

impl<T> std::iter::FusedIterator for Iter<T> {}

impl<T> Drop for Iter<T> {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take() {
            self.runtime.drop_in(stream);
        }
    }
}
