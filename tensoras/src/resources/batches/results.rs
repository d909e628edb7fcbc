//! A finished batch's results: the lines of its output file, then of its
//! error file, each decoded into the custom id and the typed response or
//! the error the request got.

use super::job::BatchResponse;
use crate::error::{ApiError, Error, Result};
use crate::types::Batch;
use crate::Tensoras;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt as _};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One request's result: its custom id and the response it got, or why it
/// got none.
///
/// The error is an [`Error`] as a call of its own would have returned it:
/// an API error for a request that got an error response (with its status,
/// code, message and request id; [`Error::is_retryable`] says whether to
/// send it again), [`Error::BatchLine`] for a request the batch did not run
/// (refused when the batch was validated, or not reached before it was
/// cancelled or expired), [`Error::Decode`] for a success body that is not
/// the endpoint's response.
///
/// ```
/// use tensoras::prelude::*;
/// use tensoras::resources::batches::BatchOutcome;
///
/// fn report(outcome: BatchOutcome<EmbeddingResponse>) {
///     match outcome.result {
///         Ok(response) => println!("{}: {} vectors", outcome.custom_id, response.data.len()),
///         Err(error) if error.is_retryable() => println!("{}: send again ({error})", outcome.custom_id),
///         Err(error) => println!("{}: {error}", outcome.custom_id),
///     }
/// }
/// # let _ = report;
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchOutcome<T> {
    /// The custom id of the request.
    pub custom_id: String,
    /// The response, or why there is none.
    pub result: Result<T>,
}

/// A finished batch's results as they are downloaded: every line of the
/// output file, then every line of the error file (each file in the order
/// the server wrote it, which need not be the input's). Each line that
/// names a request is that request's [`BatchOutcome`], whatever else is
/// wrong with it (the problem is then its `result`). An item is an `Err`
/// for a line that names no request (not JSON, or no `custom_id`) or is
/// longer than the client's
/// [`Limits::max_response_bytes`](crate::Limits::max_response_bytes) (it
/// is skipped, not read into memory): the stream goes on with the next
/// line. It is also an `Err` when a file cannot be downloaded or its
/// download breaks, and then it is the last item. Memory holds one line at
/// a time.
///
/// Each wait for more of a file is bounded by the client's read timeout,
/// counted from when the wait begins: a consumer that takes its time
/// between items does not use it up. A total timeout, when the client has
/// one ([`ClientBuilder::total_timeout`](crate::ClientBuilder::total_timeout)),
/// is different: each file's download is one call, which it bounds from
/// the request to the file's last byte, the consumer's time between items
/// included; a slow consumer of a large file can run it out, and the
/// stream then ends with [`Error::Timeout`] of kind
/// [`Total`](crate::TimeoutKind::Total). To lift it for the results, get
/// the run from a client without one, such as
/// `client.with_options(RequestOptions::new().total_timeout(Duration::MAX)).batches()`
/// (`Duration::MAX` is no limit), whose
/// [`resume`](super::Batches::resume) or [`submit`](super::Batches::submit)
/// gives a run whose results are read under those options.
///
/// Got from [`BatchRun::results`](super::BatchRun::results) or
/// [`Batches::run`](super::Batches::run).
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
/// use futures::TryStreamExt;
/// use tensoras::prelude::*;
/// let run = client.batches().resume::<ChatCompletion>("batch_abc123").await?;
/// let mut results = run.results().await?;
/// while let Some(outcome) = results.try_next().await? {
///     match outcome.result {
///         Ok(completion) => println!("{}: {}", outcome.custom_id, completion.text()),
///         Err(error) => println!("{}: {error}", outcome.custom_id),
///     }
/// }
/// println!("{} requests unaccounted for", results.unreported().unwrap_or(0));
/// results.delete_files().await?;
/// # Ok(()) }
/// ```
#[must_use = "results are downloaded as the stream is read"]
pub struct BatchResults<T> {
    lines: Pin<Box<dyn Stream<Item = Result<BatchOutcome<T>>> + Send>>,
    client: Tensoras,
    batch: Batch,
    /// Outcomes read so far.
    read: u64,
    ended: bool,
}

impl<T> std::fmt::Debug for BatchResults<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchResults")
            .field("batch", &self.batch.id)
            .field("read", &self.read)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<T: BatchResponse> BatchResults<T> {
    pub(crate) fn new(client: Tensoras, batch: Batch) -> Self {
        let files: VecDeque<String> = [&batch.output_file_id, &batch.error_file_id]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let reading = Reading {
            client: client.clone(),
            files,
            current: None,
        };
        BatchResults {
            lines: Box::pin(futures::stream::unfold(reading, Reading::next)),
            client,
            batch,
            read: 0,
            ended: false,
        }
    }
}

impl<T> BatchResults<T> {
    /// The finished batch whose results these are.
    pub fn batch(&self) -> &Batch {
        &self.batch
    }

    /// Once the stream has ended: how many of the batch's requests
    /// (`request_counts.total`) no outcome accounted for — requests the
    /// server left out of its files, or lines that could not be read (an
    /// `Err` item). `None` before the end, or when the server sent no
    /// request counts to compare with.
    pub fn unreported(&self) -> Option<u64> {
        if !self.ended {
            return None;
        }
        let total = self.batch.request_counts.as_ref()?.total;
        Some(u64::try_from(total).unwrap_or(0).saturating_sub(self.read))
    }

    /// Deletes the batch's input, output and error files (what is already
    /// gone is skipped). Read the results first: they are downloaded from
    /// those files.
    pub async fn delete_files(&self) -> Result<()> {
        super::run::delete_files(&self.client, &self.batch).await
    }
}

impl<T> Stream for BatchResults<T> {
    type Item = Result<BatchOutcome<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let polled = self.lines.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(_))) => self.read += 1,
            Poll::Ready(None) => self.ended = true,
            _ => {}
        }
        polled
    }
}

/// Where the download is: the files still to read and the one being read.
struct Reading {
    client: Tensoras,
    files: VecDeque<String>,
    current: Option<Lines>,
}

impl Reading {
    async fn next<T: BatchResponse>(mut self) -> Option<(Result<BatchOutcome<T>>, Self)> {
        loop {
            if let Some(lines) = &mut self.current {
                match lines.next().await {
                    Some(Piece::Line(line)) => return Some((decode(&line), self)),
                    Some(Piece::TooLong(error)) => return Some((Err(error), self)),
                    Some(Piece::Failed(error)) => {
                        // The file could not be read to its end: stop here
                        // rather than go on as if it were whole.
                        self.current = None;
                        self.files.clear();
                        return Some((Err(error), self));
                    }
                    None => self.current = None,
                }
            }
            let file = self.files.pop_front()?;
            match self.client.files().content(&file).await {
                Ok(content) => {
                    let max = content.max_bytes();
                    self.current = Some(Lines::new(Box::pin(content), max));
                }
                Err(error) => {
                    self.files.clear();
                    return Some((Err(error), self));
                }
            }
        }
    }
}

type Bytestream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

/// What [`Lines`] gives.
enum Piece {
    /// A line, without its end, not blank.
    Line(Bytes),
    /// A line over the bound, skipped: the next piece is the next line.
    TooLong(Error),
    /// The bytes stopped with an error: the last piece.
    Failed(Error),
}

/// A file's lines, each at most `max` bytes (a line is one response),
/// blank ones skipped, `\r\n` taken as `\n`. A longer line is skipped
/// without being held: its bytes are dropped as they come.
struct Lines {
    bytes: Bytestream,
    buffer: BytesMut,
    /// How much of `buffer` is known to hold no line end.
    scanned: usize,
    max: u64,
    /// Dropping bytes up to the next line end (a line over the bound).
    skipping: bool,
    ended: bool,
}

impl Lines {
    fn new(bytes: Bytestream, max: u64) -> Self {
        Lines {
            bytes,
            buffer: BytesMut::new(),
            scanned: 0,
            max,
            skipping: false,
            ended: false,
        }
    }

    async fn next(&mut self) -> Option<Piece> {
        loop {
            if let Some(at) = memchr::memchr(b'\n', &self.buffer[self.scanned..]) {
                let mut line = self.buffer.split_to(self.scanned + at + 1);
                self.scanned = 0;
                if std::mem::take(&mut self.skipping) {
                    continue; // the end of a line already reported too long
                }
                line.truncate(line.len() - 1);
                if line.last() == Some(&b'\r') {
                    line.truncate(line.len() - 1);
                }
                if line.len() as u64 > self.max {
                    return Some(Piece::TooLong(self.too_long()));
                }
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some(Piece::Line(line.freeze()));
            }
            self.scanned = self.buffer.len();
            if self.skipping {
                self.buffer.clear();
                self.scanned = 0;
            } else if self.buffer.len() as u64 > self.max.saturating_add(1) {
                // Over the bound even if its last byte is a `\r`: skip the
                // rest of it as it arrives.
                self.buffer.clear();
                self.scanned = 0;
                self.skipping = !self.ended;
                return Some(Piece::TooLong(self.too_long()));
            }
            if self.ended {
                let last = std::mem::take(&mut self.buffer);
                self.scanned = 0;
                if self.skipping || last.iter().all(u8::is_ascii_whitespace) {
                    return None;
                }
                let mut last = last;
                if last.last() == Some(&b'\r') {
                    last.truncate(last.len() - 1);
                }
                if last.len() as u64 > self.max {
                    return Some(Piece::TooLong(self.too_long()));
                }
                return Some(Piece::Line(last.freeze()));
            }
            match self.bytes.next().await {
                Some(Ok(piece)) => self.buffer.extend_from_slice(&piece),
                Some(Err(error)) => {
                    self.ended = true;
                    self.buffer.clear();
                    self.scanned = 0;
                    return Some(Piece::Failed(error));
                }
                None => self.ended = true,
            }
        }
    }

    fn too_long(&self) -> Error {
        Error::limit("a line of the batch's results (bytes)", self.max)
    }
}

/// A result line as servers write it, read in two steps so that a line
/// naming its request always gives an outcome: first the members as they
/// are, then each on its own, leniently (missing and null members, a
/// status as a string, an error as a bare message; unknown members are
/// ignored).
#[derive(Deserialize)]
struct ResultLine<'a> {
    #[serde(default)]
    custom_id: Option<serde_json::Value>,
    #[serde(default, borrow)]
    response: Option<&'a RawValue>,
    #[serde(default, borrow)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct LineResponse<'a> {
    #[serde(default)]
    status_code: Option<serde_json::Value>,
    #[serde(default)]
    request_id: Option<serde_json::Value>,
    #[serde(default, borrow)]
    body: Option<&'a RawValue>,
}

/// One result line as a [`BatchOutcome`]; an error when it names no request.
fn decode<T: BatchResponse>(line: &[u8]) -> Result<BatchOutcome<T>> {
    let parsed: ResultLine<'_> = serde_json::from_slice(line)
        .map_err(|e| Error::decode(format!("a line of the batch's results: {e}"), line))?;
    let custom_id = match parsed.custom_id.as_ref().and_then(text) {
        Some(id) => id,
        None => {
            return Err(Error::decode(
                "a line of the batch's results names no request (custom_id)",
                line,
            ))
        }
    };
    let result = match (present(parsed.response), present(parsed.error)) {
        (Some(response), _) => response_result(response, line),
        (None, Some(error)) => Err(line_error(error)),
        (None, None) => Err(Error::decode(
            "a line of the batch's results has neither a response nor an error",
            line,
        )),
    };
    Ok(BatchOutcome { custom_id, result })
}

/// A member that is there and not `null`.
fn present(raw: Option<&RawValue>) -> Option<&RawValue> {
    raw.filter(|raw| raw.get() != "null")
}

/// A string, or a number or boolean as its text.
fn text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A line's `status_code`: a number (`200`, or `200.0` from a server that
/// counts in floating point, as the generated integer members read it) or
/// its text (`"200"`).
fn status_code(value: &serde_json::Value) -> Option<u16> {
    match value {
        serde_json::Value::String(s) => s.parse().ok(),
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                let whole = n
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && (0.0..1000.0).contains(f));
                whole.map(|f| f as u64)
            })
            .and_then(|n| u16::try_from(n).ok()),
        _ => None,
    }
}

fn response_result<T: BatchResponse>(response: &RawValue, line: &[u8]) -> Result<T> {
    let invalid = || {
        Error::decode(
            "a line of the batch's results has a response without a valid status_code and body",
            line,
        )
    };
    let response: LineResponse<'_> = serde_json::from_str(response.get()).map_err(|_| invalid())?;
    let status = response
        .status_code
        .as_ref()
        .and_then(status_code)
        .filter(|s| (100..=999).contains(s));
    let (Some(status), Some(body)) = (status, present(response.body)) else {
        return Err(invalid());
    };
    let body = body.get().as_bytes();
    if (200..300).contains(&status) {
        return serde_json::from_slice(body)
            .map_err(|e| Error::decode(format!("a batch line's response body: {e}"), body));
    }
    let mut error = ApiError::from_response(status, &reqwest::header::HeaderMap::new(), body);
    error.request_id = response.request_id.as_ref().and_then(text);
    Err(Error::from_api(error))
}

/// An error-file line's `error`: `{code, message}` (each leniently), or a
/// bare message.
fn line_error(raw: &RawValue) -> Error {
    let value: serde_json::Value = serde_json::from_str(raw.get()).unwrap_or_default();
    let (code, message) = match &value {
        serde_json::Value::Object(members) => (
            members.get("code").and_then(text),
            members.get("message").and_then(text),
        ),
        other => (None, text(other)),
    };
    Error::BatchLine {
        code,
        message: message.unwrap_or_else(|| "the batch did not run the request".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::EmbeddingResponse;

    const OK: &str = r#"{"id":"batch_req_1","custom_id":"a","response":{"status_code":200,"request_id":"req_1","body":{"object":"list","model":"m","data":[{"object":"embedding","index":0,"embedding":[0.5,0.25]}],"usage":{"prompt_tokens":1,"total_tokens":1}}},"error":null}"#;

    #[test]
    fn a_success_line_decodes_into_the_response() {
        let outcome = decode::<EmbeddingResponse>(OK.as_bytes()).unwrap();
        assert_eq!(outcome.custom_id, "a");
        let response = outcome.result.unwrap();
        assert_eq!(response.data[0].embedding.as_slice(), [0.5, 0.25]);
    }

    #[test]
    fn a_status_code_is_read_as_a_number_its_text_or_a_whole_float() {
        for status in ["200", "\"200\"", "200.0", "2e2"] {
            let line = OK.replace("\"status_code\":200", &format!("\"status_code\":{status}"));
            let outcome = decode::<EmbeddingResponse>(line.as_bytes()).unwrap();
            assert!(outcome.result.is_ok(), "{status}: {:?}", outcome.result);
        }
        for status in ["200.5", "-200", "true", "\" 200\""] {
            let line = OK.replace("\"status_code\":200", &format!("\"status_code\":{status}"));
            let refused = match decode::<EmbeddingResponse>(line.as_bytes()) {
                Ok(outcome) => matches!(outcome.result, Err(Error::Decode { .. })),
                Err(_) => true,
            };
            assert!(refused, "{status}");
        }
    }

    #[test]
    fn an_error_body_is_the_api_error_it_would_have_been() {
        let line = r#"{"id":"x","custom_id":"b","response":{"status_code":429,"request_id":"req_9","body":{"error":{"message":"Slow down.","type":"rate_limit_error","code":"rate_limit_exceeded"}}}}"#;
        let outcome = decode::<EmbeddingResponse>(line.as_bytes()).unwrap();
        let error = outcome.result.unwrap_err();
        let Error::RateLimit(api) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(api.message, "Slow down.");
        assert_eq!(api.code.as_deref(), Some("rate_limit_exceeded"));
        assert_eq!(error.request_id(), Some("req_9"));
        assert!(error.is_retryable());
    }

    #[test]
    fn an_error_file_line_is_a_batch_line_error() {
        let line = r#"{"id":"x","custom_id":"c","response":null,"error":{"code":"batch_expired","message":"Expired."}}"#;
        let outcome = decode::<EmbeddingResponse>(line.as_bytes()).unwrap();
        let Err(Error::BatchLine { code, message }) = outcome.result else {
            panic!("{:?}", outcome.result)
        };
        assert_eq!(
            (code.as_deref(), message.as_str()),
            (Some("batch_expired"), "Expired.")
        );
    }

    #[test]
    fn odd_lines_are_typed_errors_not_panics() {
        for line in [
            "not json",
            "{}",
            r#"{"custom_id":"d"}"#,
            r#"{"custom_id":"d","response":{"status_code":70000,"body":{}}}"#,
            r#"{"custom_id":"d","response":{"status_code":200,"body":null}}"#,
            r#"{"custom_id":"d","response":{"status_code":200,"body":{"data":"nope"}}}"#,
            r#"{"custom_id":"d","response":{"status_code":"200","body":{}}}"#,
            r#"["custom_id"]"#,
        ] {
            match decode::<EmbeddingResponse>(line.as_bytes()) {
                Err(Error::Decode { .. }) => {}
                Ok(BatchOutcome {
                    result: Err(Error::Decode { .. }),
                    ..
                }) => {}
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_line_naming_its_request_is_always_an_outcome() {
        let outcome = |line: &str| decode::<EmbeddingResponse>(line.as_bytes()).unwrap();
        // A status as a string, a request id as a number.
        let error = outcome(
            r#"{"custom_id":"a","response":{"status_code":"429","request_id":7,"body":{"error":{"message":"Slow."}}}}"#,
        )
        .result
        .unwrap_err();
        assert!(matches!(error, Error::RateLimit(_)), "{error:?}");
        assert_eq!(error.request_id(), Some("7"));
        // An error as a bare message; a code as a number; a numeric id.
        let bare = outcome(r#"{"custom_id":5,"error":"Expired."}"#);
        assert_eq!(bare.custom_id, "5");
        let Err(Error::BatchLine {
            code: None,
            message,
        }) = bare.result
        else {
            panic!("{:?}", bare.result)
        };
        assert_eq!(message, "Expired.");
        let coded = outcome(r#"{"custom_id":"c","error":{"code":42,"message":null}}"#);
        let Err(Error::BatchLine { code, message }) = coded.result else {
            panic!("{:?}", coded.result)
        };
        assert_eq!(code.as_deref(), Some("42"));
        assert_eq!(message, "the batch did not run the request");
        // A response that is not an object: the line's own decode error.
        let odd = outcome(r#"{"custom_id":"d","response":[1,2]}"#);
        assert!(
            matches!(odd.result, Err(Error::Decode { .. })),
            "{:?}",
            odd.result
        );
        // A null response beside an error: the error counts.
        let null = outcome(r#"{"custom_id":"e","response":null,"error":{"message":"no"}}"#);
        assert!(matches!(null.result, Err(Error::BatchLine { .. })));
    }

    #[test]
    fn unknown_members_are_ignored() {
        let line = OK.replace(r#""error":null"#, r#""error":null,"new":{"x":[1]}"#);
        assert!(decode::<EmbeddingResponse>(line.as_bytes())
            .unwrap()
            .result
            .is_ok());
    }

    /// The lines of `chunks` with a bound of `max`: each as text, or
    /// `"TOO LONG"`, or `"FAILED"`.
    fn lines_of(chunks: Vec<Result<&'static [u8]>>, max: u64) -> Vec<String> {
        let stream = futures::stream::iter(
            chunks
                .into_iter()
                .map(|c| c.map(Bytes::from_static))
                .collect::<Vec<_>>(),
        );
        let mut lines = Lines::new(Box::pin(stream), max);
        futures::executor::block_on(async {
            let mut out = Vec::new();
            while let Some(piece) = lines.next().await {
                out.push(match piece {
                    Piece::Line(line) => String::from_utf8(line.to_vec()).unwrap(),
                    Piece::TooLong(Error::LimitExceeded { limit, .. }) => {
                        assert_eq!(limit, max);
                        "TOO LONG".into()
                    }
                    Piece::Failed(_) => "FAILED".into(),
                    Piece::TooLong(other) => panic!("{other:?}"),
                });
                assert!(out.len() < 100);
            }
            out
        })
    }

    fn bytewise(text: &'static str) -> Vec<Result<&'static [u8]>> {
        let bytes = text.as_bytes();
        (0..bytes.len()).map(|i| Ok(&bytes[i..=i])).collect()
    }

    #[test]
    fn lines_split_anywhere_read_the_same() {
        let text = "one\r\ntwo\n\n  \r\nthree\r\nlast";
        let expected = ["one", "two", "three", "last"];
        assert_eq!(lines_of(vec![Ok(text.as_bytes())], 100), expected);
        assert_eq!(lines_of(bytewise(text), 100), expected);
        assert_eq!(
            lines_of(
                vec![Ok(b"one\r"), Ok(b"\ntw"), Ok(b"o\n"), Ok(b"three\r\nlast")],
                100
            ),
            expected
        );
    }

    #[test]
    fn a_line_over_the_bound_is_skipped_and_reading_goes_on() {
        // Five bytes allowed: "12345" fits, "123456" does not, with or
        // without a `\r`, whole or byte by byte.
        let text = "12345\r\n123456\nok\n1234567890123\r\nnext\n12345\r";
        let expected = ["12345", "TOO LONG", "ok", "TOO LONG", "next", "12345"];
        assert_eq!(lines_of(vec![Ok(text.as_bytes())], 5), expected);
        assert_eq!(lines_of(bytewise(text), 5), expected);
        assert_eq!(lines_of(bytewise("abcdefghij"), 5), ["TOO LONG"]);
    }

    #[test]
    fn a_failed_download_is_the_last_piece() {
        let failed = Err(Error::InvalidInput("cut".into()));
        assert_eq!(
            lines_of(vec![Ok(b"one\ntw"), failed, Ok(b"o\n")], 100),
            ["one", "FAILED"]
        );
    }
}
