//! One error type for everything the SDK can fail at.

use crate::rate_limit::RateLimit;
use reqwest::header::HeaderMap;
use std::time::Duration;

/// The result type of every SDK call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, from configuration to a stream cut short.
///
/// Match broadly with the helpers ([`Error::status`], [`Error::is_retryable`],
/// [`Error::as_api`]) or exactly on the variants:
///
/// ```
/// use tensoras::Error;
///
/// fn explain(err: &Error) -> String {
///     match err {
///         Error::Authentication(_) => "invalid or missing API key".into(),
///         Error::RateLimit(e) => format!("rate limited, retry after {:?}", e.retry_after),
///         Error::Timeout { .. } => "timed out".into(),
///         other if other.is_retryable() => format!("transient: {other}"),
///         other => format!("failed: {other}"),
///     }
/// }
/// # let _ = explain;
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400: the request is malformed or a parameter is invalid.
    #[error("bad request: {0}")]
    BadRequest(Box<ApiError>),
    /// 401: the API key is missing or invalid.
    #[error("authentication failed: {0}")]
    Authentication(Box<ApiError>),
    /// 403: the key lacks a permission.
    #[error("permission denied: {0}")]
    PermissionDenied(Box<ApiError>),
    /// 404: no such object.
    #[error("not found: {0}")]
    NotFound(Box<ApiError>),
    /// 409: the object is in a conflicting state.
    #[error("conflict: {0}")]
    Conflict(Box<ApiError>),
    /// 422: the request is well-formed but cannot be processed.
    #[error("unprocessable entity: {0}")]
    UnprocessableEntity(Box<ApiError>),
    /// 429: requests or tokens per minute are used up; see [`ApiError::retry_after`].
    #[error("rate limited: {0}")]
    RateLimit(Box<ApiError>),
    /// 500 and above.
    #[error("server error: {0}")]
    InternalServer(Box<ApiError>),
    /// Any other non-success status (402, 405, 413, ...).
    #[error("API error: {0}")]
    Api(Box<ApiError>),
    /// The connection could not be made or broke before a response arrived.
    #[error("connection error: {message}")]
    Connection {
        /// What failed, with the whole chain of causes.
        message: String,
        /// The underlying transport error (boxed, so this type does not tie
        /// your code to the HTTP stack's version). In an error of the
        /// client's own HTTP stack, the URL it names has its credentials and
        /// secret-named query values replaced; an error from a byte source
        /// you gave [`EventStream::from_byte_stream`](crate::sse::EventStream::from_byte_stream)
        /// is kept as it is.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A timeout ran out (see [`ClientBuilder`](crate::ClientBuilder) for
    /// what each one bounds).
    #[error("{kind} timed out after {after:?}")]
    Timeout {
        /// The timeout that ran out.
        after: Duration,
        /// Which one.
        kind: TimeoutKind,
    },
    /// The server sent more than a bound allows (see [`Limits`](crate::Limits)):
    /// a body, an event-stream line or event, a line of a batch's results,
    /// a downloaded file. The connection is dropped rather than read further.
    /// (Too many distinct indexes in a stream is [`Error::Stream`].)
    #[error("the response exceeds the limit of {limit} for {what}")]
    LimitExceeded {
        /// What was too large.
        what: String,
        /// The limit (bytes, or entries).
        limit: u64,
    },
    /// A success response whose body is not what the API promises.
    #[error("could not decode the response: {message} (body starts: {body_excerpt:?})")]
    Decode {
        /// What was expected and what went wrong.
        message: String,
        /// The start of the body, for diagnosis: at most 512 bytes of text
        /// (invalid UTF-8 replaced, never cut inside a character, `…` where
        /// it was cut).
        body_excerpt: String,
    },
    /// A streamed response failed mid-way: an `event: error` frame, an error
    /// payload, malformed event data, or the stream ended before `[DONE]`.
    #[error("stream error: {message}")]
    Stream {
        /// What went wrong.
        message: String,
        /// The error the server sent in the stream, when it sent one.
        api_error: Option<Box<ApiError>>,
    },
    /// The client configuration is invalid (missing API key, bad base URL, ...).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The caller's input cannot be sent (a file that cannot be read, a value
    /// that does not serialize — such as a NaN or infinite number, which
    /// JSON cannot carry —, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A webhook delivery was refused (see [`crate::webhooks`]).
    #[error("webhook delivery refused: {0}")]
    Webhook(crate::webhooks::WebhookError),
    /// Structured output did not match the Rust type it was parsed into.
    #[error("structured output does not match the type: {message} (content starts: {content_excerpt:?})")]
    Parse {
        /// The serde error.
        message: String,
        /// The start of the text that failed to parse (at most 512 bytes, as
        /// [`Error::Decode`]'s excerpt).
        content_excerpt: String,
    },
    /// A batch failed as a whole (its input file was refused, or the server
    /// could not run it), so it has no results; the batch's
    /// [`errors`](crate::types::Batch::errors) say why. Returned by
    /// [`BatchRun::results`](crate::resources::batches::BatchRun::results)
    /// and [`Batches::run`](crate::resources::batches::Batches::run). Its
    /// input file is kept: delete it with `client.files().delete(&batch.input_file_id)`.
    #[error("batch {} failed: {}", .0.id, batch_errors(.0))]
    BatchFailed(Box<crate::types::Batch>),
    /// [`Batches::run`](crate::resources::batches::Batches::run) stopped
    /// waiting for the batch it created (its wait timed out, or a poll
    /// failed for good): the batch goes on. `batch` is the batch as last
    /// seen (resume it by its id, cancel it, or delete its files), `source`
    /// why the wait stopped (such as [`Error::Timeout`] of kind
    /// [`TimeoutKind::Batch`]).
    #[error("batch {} has not finished ({}): {source}", batch.id, batch.status)]
    BatchUnfinished {
        /// The batch as last seen.
        batch: Box<crate::types::Batch>,
        /// Why the wait stopped.
        #[source]
        source: Box<Error>,
    },
    /// One request of a batch was not run: the server refused its line, or
    /// the batch was cancelled or expired before reaching it (a line of the
    /// batch's error file; see
    /// [`BatchOutcome`](crate::resources::batches::BatchOutcome)).
    #[error("the batch did not run the request: {message}{}", code.as_deref().map(|c| format!(" (code {c})")).unwrap_or_default())]
    BatchLine {
        /// The server's code, such as `batch_expired` or `batch_cancelled`.
        code: Option<String>,
        /// Why.
        message: String,
    },
}

/// A failed batch's errors, for [`Error::BatchFailed`]'s message: the first
/// three, and how many more.
fn batch_errors(batch: &crate::types::Batch) -> String {
    let errors = batch.errors.as_ref().map_or(&[][..], |e| &e.data[..]);
    if errors.is_empty() {
        return "the server gave no reason".into();
    }
    let mut out: Vec<String> = errors
        .iter()
        .take(3)
        .map(|e| {
            let mut one = e.message.clone().unwrap_or_else(|| "no message".into());
            if let Some(code) = &e.code {
                one.push_str(&format!(" (code {code})"));
            }
            if let Some(line) = e.line {
                one.push_str(&format!(" on line {line}"));
            }
            one
        })
        .collect();
    if errors.len() > 3 {
        out.push(format!("and {} more", errors.len() - 3));
    }
    out.join("; ")
}

/// Which timeout ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Connecting (TCP and TLS).
    Connect,
    /// Waiting for bytes from the server: the response head, or the next
    /// piece of a body or stream.
    Read,
    /// Waiting for the server to take more of an upload.
    Write,
    /// The whole call, retries and (for streams) reading included.
    Total,
    /// Waiting for a batch to finish
    /// ([`WaitOptions::timeout`](crate::resources::batches::WaitOptions::timeout));
    /// the batch itself goes on.
    Batch,
}

impl std::fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connecting",
            TimeoutKind::Read => "waiting for the server",
            TimeoutKind::Write => "sending the request",
            TimeoutKind::Total => "the call",
            TimeoutKind::Batch => "waiting for the batch",
        })
    }
}

/// A non-success HTTP response from the API, with everything it told us.
///
/// ```
/// use tensoras::header::HeaderMap;
/// let mut headers = HeaderMap::new();
/// headers.insert("retry-after", "12".parse().unwrap());
/// headers.insert("x-request-id", "req_1".parse().unwrap());
/// let body = br#"{"error":{"message":"Rate limit exceeded.","type":"rate_limit_error","code":"rate_limit_exceeded"}}"#;
/// let error = tensoras::Error::from_api(tensoras::ApiError::from_response(429, &headers, body));
/// let tensoras::Error::RateLimit(api) = &error else { panic!("{error:?}") };
/// assert_eq!(api.code.as_deref(), Some("rate_limit_exceeded"));
/// assert_eq!(api.retry_after, Some(std::time::Duration::from_secs(12)));
/// assert_eq!(error.request_id(), Some("req_1"));
/// assert!(error.is_retryable());
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status code.
    pub status_code: u16,
    /// The error message: from the JSON body when there is one, else a
    /// description of what came back (plain text, an HTML page, nothing).
    pub message: String,
    /// `error.type`, such as `invalid_request_error`.
    pub error_type: Option<String>,
    /// `error.code`, such as `rate_limit_exceeded`.
    pub code: Option<String>,
    /// `error.param`, the request parameter the error is about.
    pub param: Option<String>,
    /// The `x-request-id` header, to quote when asking for support.
    pub request_id: Option<String>,
    /// The `X-RateLimit-*` headers.
    pub rate_limit: RateLimit,
    /// How long the server asked us to wait (`Retry-After` or `retry-after-ms`).
    pub retry_after: Option<Duration>,
    /// The start of the raw body, for errors in shapes the SDK does not
    /// know: at most 4,096 bytes of text, cut as [`Error::Decode`]'s excerpt.
    pub body: String,
    /// The server's `x-should-retry` header, which overrides the status when
    /// deciding whether to retry.
    pub should_retry: Option<bool>,
    /// How many attempts the call made, the one that got this answer
    /// included (so `attempts - 1` retries); 0 for an error not made by a
    /// call's retry loop (one built with [`ApiError::from_response`], or
    /// reported inside a stream).
    pub attempts: u32,
}

impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiError")
            .field("status_code", &self.status_code)
            .field("message", &self.message)
            .field("error_type", &self.error_type)
            .field("code", &self.code)
            .field("param", &self.param)
            .field("request_id", &self.request_id)
            .field("retry_after", &self.retry_after)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status_code, self.message)?;
        if let Some(code) = &self.code {
            write!(f, " (code {code})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

const BODY_KEEP: usize = 4096;
const EXCERPT: usize = 512;

/// The start of `bytes` as text, at most `max` bytes long with the `…` that
/// marks a cut: invalid UTF-8 is replaced (lossy), and a cut never falls
/// inside a character.
pub(crate) fn excerpt(bytes: &[u8], max: usize) -> String {
    const MORE: &str = "…";
    // Only the start is decoded (a body can be megabytes): enough bytes to
    // finish the last character that can fit, and to tell whether more follow.
    let start = &bytes[..bytes.len().min(max.saturating_add(4))];
    let mut text = redact_secret_members(&String::from_utf8_lossy(start));
    if start.len() == bytes.len() && text.len() <= max {
        return text;
    }
    // Replacement characters only ever make text longer than its bytes, so
    // what is cut here comes after everything that could be shown.
    let mut keep = max.saturating_sub(MORE.len());
    while !text.is_char_boundary(keep) {
        keep -= 1;
    }
    text.truncate(keep);
    if max >= MORE.len() {
        text.push_str(MORE);
    }
    text
}

/// `text` (JSON, possibly cut short) with the string value of every member
/// the spec marks as a secret (`types::SECRET_MEMBERS`) replaced by
/// `<redacted>`, so an excerpt of a body that failed to decode (a webhook
/// with its signing secret, say) never shows one.
fn redact_secret_members(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while let Some(quote) = rest.find('"') {
        out.push_str(&rest[..=quote]);
        rest = &rest[quote + 1..];
        for name in crate::types::SECRET_MEMBERS {
            let Some(after) = rest.strip_prefix(name).and_then(|r| r.strip_prefix('"')) else {
                continue;
            };
            let value = after.trim_start();
            let Some(value) = value.strip_prefix(':').map(str::trim_start) else {
                continue;
            };
            let Some(string) = value.strip_prefix('"') else {
                continue;
            };
            // The member's name and its separator as they were, the value
            // replaced up to its closing quote (or the end, where cut).
            out.push_str(&rest[..rest.len() - string.len()]);
            out.push_str("<redacted>");
            let mut escaped = false;
            for (i, c) in string.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        out.push('"');
                        rest = &string[i + 1..];
                        continue 'scan;
                    }
                    _ => escaped = false,
                }
            }
            return out;
        }
    }
    out.push_str(rest);
    out
}

pub(crate) fn body_excerpt(bytes: &[u8]) -> String {
    excerpt(bytes, EXCERPT)
}

impl ApiError {
    /// Builds the error from a non-success response's status, headers and body.
    ///
    /// Understands `{"error": {...}}`, `{"error": "text"}`, `{"detail": ...}`,
    /// `{"message": ...}`, plain text, HTML pages and empty bodies.
    pub fn from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> Self {
        let parsed = crate::error_body::parse(status, body);
        ApiError {
            status_code: status,
            message: parsed.message,
            error_type: parsed.error_type,
            code: parsed.code,
            param: parsed.param,
            request_id: crate::rate_limit::request_id(headers).map(str::to_owned),
            rate_limit: RateLimit::from_headers(headers),
            retry_after: crate::retry::retry_after(headers),
            body: excerpt(body, BODY_KEEP),
            should_retry: crate::retry::should_retry_header(headers),
            attempts: 0,
        }
    }
}

impl ApiError {
    /// An error the server reported inside a stream that carried its fields
    /// directly (a Responses `error` event) rather than a whole error body.
    pub(crate) fn from_stream(message: &str, code: Option<String>, param: Option<String>) -> Self {
        ApiError {
            status_code: 200,
            message: message.to_owned(),
            error_type: None,
            code,
            param,
            request_id: None,
            rate_limit: RateLimit::default(),
            retry_after: None,
            body: String::new(),
            should_retry: None,
            attempts: 0,
        }
    }
}

impl Error {
    /// Sorts an API error into its variant by status code.
    pub fn from_api(error: ApiError) -> Self {
        let error = Box::new(error);
        match error.status_code {
            400 => Error::BadRequest(error),
            401 => Error::Authentication(error),
            403 => Error::PermissionDenied(error),
            404 => Error::NotFound(error),
            409 => Error::Conflict(error),
            422 => Error::UnprocessableEntity(error),
            429 => Error::RateLimit(error),
            500.. => Error::InternalServer(error),
            _ => Error::Api(error),
        }
    }

    /// The API error behind this error, for any HTTP status (the Python SDK's
    /// `TensorasAPIError` base class).
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Error::BadRequest(e)
            | Error::Authentication(e)
            | Error::PermissionDenied(e)
            | Error::NotFound(e)
            | Error::Conflict(e)
            | Error::UnprocessableEntity(e)
            | Error::RateLimit(e)
            | Error::InternalServer(e)
            | Error::Api(e) => Some(e),
            Error::Stream { api_error, .. } => api_error.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status code, for API errors.
    pub fn status(&self) -> Option<u16> {
        self.as_api().map(|e| e.status_code)
    }

    /// The `x-request-id` of the failed request, when the server sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.as_api().and_then(|e| e.request_id.as_deref())
    }

    /// Whether the SDK's retry policy retries this kind of error (the table
    /// is in [`ClientBuilder::max_retries`](crate::ClientBuilder::max_retries);
    /// retries left and the total timeout permitting, and not once a stream
    /// or download has started):
    /// the server's `x-should-retry` header when it sent one, else 408, 409,
    /// 429 and every status from 500; connection failures and connect, read
    /// and write timeouts; not redirect loops, malformed or oversized
    /// response heads, bodies that do not decode, the total timeout, a
    /// batch's wait timeout, or a batch's request that was not run
    /// ([`Error::BatchLine`]: whether to send it again in another batch is
    /// yours to decide from its code).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connection { source, .. } => source
                .as_deref()
                .and_then(|e| e.downcast_ref::<reqwest::Error>())
                .is_none_or(transient),
            Error::Timeout { kind, .. } => !matches!(kind, TimeoutKind::Total | TimeoutKind::Batch),
            _ => match self.as_api() {
                Some(api) if !matches!(self, Error::Stream { .. }) => api
                    .should_retry
                    .unwrap_or_else(|| crate::retry::is_retryable_status(api.status_code)),
                _ => false,
            },
        }
    }

    /// A transport error, with the credentials in its URL replaced.
    pub(crate) fn connection(mut source: reqwest::Error) -> Self {
        if let Some(url) = source.url_mut() {
            crate::config::redact_credentials(url);
        }
        Error::transport(Box::new(source))
    }

    /// A failure of the byte source under a response or stream.
    pub(crate) fn transport(source: Box<dyn std::error::Error + Send + Sync>) -> Self {
        Error::Connection {
            message: describe(&*source),
            source: Some(source),
        }
    }

    pub(crate) fn timeout(after: Duration, kind: TimeoutKind) -> Self {
        Error::Timeout { after, kind }
    }

    pub(crate) fn limit(what: impl Into<String>, limit: u64) -> Self {
        Error::LimitExceeded {
            what: what.into(),
            limit,
        }
    }

    pub(crate) fn decode(message: impl Into<String>, body: &[u8]) -> Self {
        Error::Decode {
            message: message.into(),
            body_excerpt: body_excerpt(body),
        }
    }

    pub(crate) fn stream(message: impl Into<String>) -> Self {
        Error::Stream {
            message: message.into(),
            api_error: None,
        }
    }
}

/// Whether a transport failure may pass on a second try: not a redirect
/// loop, a body that does not decode, or a response head the server got
/// wrong (malformed, or larger than the client accepts).
fn transient(error: &reqwest::Error) -> bool {
    if error.is_redirect() || error.is_builder() {
        return false;
    }
    let mut from_connection = false;
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            // Malformed or too large (hyper reports both as parse errors).
            if hyper.is_parse() || hyper.is_parse_status() {
                return false;
            }
            from_connection = true;
        }
        source = cause.source();
    }
    // reqwest calls a body that broke off on its way (the connection closed
    // or reset mid-body: hyper's error underneath) a decode error too; only
    // that kind is transient, not content that does not decode.
    !error.is_decode() || from_connection
}

/// reqwest's Display hides the cause chain ("error sending request"); the
/// chain says what actually happened (connection refused, reset, ...).
/// reqwest errors never contain header values, so the key cannot leak here.
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn excerpts_are_cut_between_characters_within_their_bound() {
        // "é" is two bytes: a cut at 4 bytes (3 before the ellipsis) keeps one.
        assert_eq!(excerpt("ééé".as_bytes(), 6), "ééé");
        assert_eq!(excerpt("éééé".as_bytes(), 6), "é…");
        assert_eq!(excerpt(b"abcdef", 6), "abcdef");
        assert_eq!(excerpt(b"abcdefg", 6), "abc…");
        // Broken UTF-8 is replaced, and the replacement counts.
        assert_eq!(excerpt(b"a\xffb", 16), "a\u{fffd}b");
        assert_eq!(excerpt(b"\xff\xff\xff", 5), "…");
        assert_eq!(excerpt(b"", 0), "");
        assert_eq!(excerpt(b"abc", 1), "");
    }

    #[test]
    fn secret_members_never_show_in_an_excerpt() {
        for (body, shown) in [
            (
                r#"{"id":"wh_1","secret":"whsec_abc","url":"u"}"#,
                r#"{"id":"wh_1","secret":"<redacted>","url":"u"}"#,
            ),
            (
                r#"{"config": {"api_token" : "t\"0k", "email":"a"}}"#,
                r#"{"config": {"api_token" : "<redacted>", "email":"a"}}"#,
            ),
            // Cut in the middle of the secret.
            (r#"{"secret":"whsec_ab"#, r#"{"secret":"<redacted>"#),
            // Not a string, or only the word: left as it is.
            (
                r#"{"secret":null,"note":"secret"}"#,
                r#"{"secret":null,"note":"secret"}"#,
            ),
        ] {
            assert_eq!(excerpt(body.as_bytes(), 4096), shown, "{body}");
        }
        assert!(!excerpt(br#"{"secret":"whsec_abcdefgh"}"#, 16).contains("whsec"));
    }

    proptest! {
        #[test]
        fn an_excerpt_never_exceeds_its_bound(
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            text in "\\PC{0,300}",
            max in 0usize..520,
        ) {
            for input in [&bytes[..], text.as_bytes()] {
                let shown = excerpt(input, max);
                prop_assert!(shown.len() <= max, "{} > {max}", shown.len());
                // What is shown (before any mark) starts the lossy text.
                let whole = String::from_utf8_lossy(input);
                let body = shown.strip_suffix('…').unwrap_or(&shown);
                prop_assert!(whole.starts_with(body));
            }
        }
    }
}
