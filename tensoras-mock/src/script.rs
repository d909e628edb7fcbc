//! Typed scripting: a [`Mock`] per operation of [`tensoras::operations`],
//! matched on the typed request, answered with a typed [`Reply`].
//!
//! Mocks are tried in mount order; the first whose conditions all hold and
//! whose [`Mock::times`] is not used up answers. A request no mock takes
//! gets the fake's own answer.

use crate::server::MockServer;
use crate::store::{lock, Recorded, Shared, Store};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;
use tensoras::operations::{Operation, Streaming};

/// A request as a mock sees it.
pub(crate) struct Incoming<'a> {
    /// The path after `/v1`, such as `/batches/batch_1`.
    pub(crate) path: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: Option<&'a Value>,
}

type Predicate = Arc<dyn Fn(&Incoming<'_>) -> bool + Send + Sync>;

/// One condition of a mock, with what it says (for the report of unmet
/// expectations).
#[derive(Clone)]
pub(crate) struct Condition {
    what: String,
    holds: Predicate,
}

/// A mounted mock, its operation erased.
#[derive(Clone)]
pub(crate) struct Mounted {
    pub(crate) id: u64,
    label: String,
    method: &'static str,
    template: &'static str,
    conditions: Vec<Condition>,
    pub(crate) reply: Option<Answer>,
    limit: Option<u64>,
    expect: Option<Times>,
    pub(crate) hits: u64,
}

impl Mounted {
    fn routes(&self, method: &str, path: &str) -> bool {
        self.method == method && path_matches(self.template, path)
    }
}

/// Whether `path` (after `/v1`) fits the template (`/batches/{batch_id}`).
pub(crate) fn path_matches(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let mut t = template.trim_matches('/').split('/');
    let mut p = path.trim_matches('/').split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(t), Some(p)) if t.starts_with('{') && !p.is_empty() => {}
            (Some(t), Some(p)) if t == p => {}
            _ => return false,
        }
    }
}

/// How many requests a mock expects: built from a number (exactly) or a
/// range (`1..`, `2..=3`, `..4`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Times {
    min: u64,
    max: u64,
}

impl Times {
    fn holds(self, n: u64) -> bool {
        (self.min..=self.max).contains(&n)
    }
}

impl std::fmt::Display for Times {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.min, self.max) {
            (min, max) if min > max => write!(f, "a count in an empty range (never met)"),
            (min, max) if min == max => write!(f, "exactly {min}"),
            (min, u64::MAX) => write!(f, "at least {min}"),
            (0, max) => write!(f, "at most {max}"),
            (min, max) => write!(f, "between {min} and {max}"),
        }
    }
}

impl From<u64> for Times {
    fn from(n: u64) -> Times {
        Times { min: n, max: n }
    }
}

impl From<std::ops::RangeInclusive<u64>> for Times {
    fn from(r: std::ops::RangeInclusive<u64>) -> Times {
        Times {
            min: *r.start(),
            max: *r.end(),
        }
    }
}

impl From<std::ops::Range<u64>> for Times {
    /// `a..b` is from `a` to `b - 1` requests; an empty range (`3..3`)
    /// is an expectation no count meets.
    fn from(r: std::ops::Range<u64>) -> Times {
        match r.end.checked_sub(1) {
            Some(max) => Times { min: r.start, max },
            // `a..0`: nothing below 0.
            None => Times { min: 1, max: 0 },
        }
    }
}

impl From<std::ops::RangeFrom<u64>> for Times {
    fn from(r: std::ops::RangeFrom<u64>) -> Times {
        Times {
            min: r.start,
            max: u64::MAX,
        }
    }
}

impl From<std::ops::RangeTo<u64>> for Times {
    /// `..b` is from 0 to `b - 1` requests; `..0` is an expectation no count meets.
    fn from(r: std::ops::RangeTo<u64>) -> Times {
        match r.end.checked_sub(1) {
            Some(max) => Times { min: 0, max },
            None => Times { min: 1, max: 0 },
        }
    }
}

impl From<std::ops::RangeToInclusive<u64>> for Times {
    fn from(r: std::ops::RangeToInclusive<u64>) -> Times {
        Times { min: 0, max: r.end }
    }
}

/// A scripted answer to one operation `O`.
///
/// Every reply is checked against the API's spec on its way out, like the
/// fake's own: one the real API could not send fails the test at the
/// server's drop, naming the schema path (see [`MockServer::violations`]).
///
/// ```
/// use tensoras::operations::{CreateChatCompletion, CreateEmbedding};
/// use tensoras_mock::Reply;
/// use std::time::Duration;
///
/// let _rate_limited = Reply::<CreateChatCompletion>::error(429, "rate_limit_error", "Slow down.")
///     .code("rate_limit_exceeded")
///     .retry_after(Duration::from_secs(1));
/// let _raw = Reply::<CreateEmbedding>::json(200, serde_json::json!({"object": "list", "data": []}));
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Reply<O> {
    pub(crate) answer: Answer,
    _op: PhantomData<fn() -> O>,
}

/// A reply with its operation erased.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    pub(crate) body: Body,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) delay: Duration,
    /// What was wrong with the script, reported when the reply is sent.
    pub(crate) problems: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) enum Body {
    /// A JSON body with this status.
    Json { status: u16, body: Value },
    /// Server-sent events, `[DONE]` after them unless told otherwise.
    Events {
        events: Vec<Value>,
        pace: Duration,
        done: bool,
    },
    /// A chat message, answered whole or streamed as the request asks.
    Chat { message: Value, finish: String },
}

impl<O> Reply<O> {
    fn from_body(body: Body) -> Self {
        Reply {
            answer: Answer {
                body,
                headers: Vec::new(),
                delay: Duration::ZERO,
                problems: Vec::new(),
            },
            _op: PhantomData,
        }
    }

    /// Any JSON body with any status, for replies the typed constructors do
    /// not build (still checked against the spec).
    pub fn json(status: u16, body: Value) -> Self {
        Self::from_body(Body::Json { status, body })
    }

    /// An API error: `{"error": {"message", "type", "code", "param"}}` with
    /// this status, as the API sends it.
    pub fn error(status: u16, error_type: &str, message: &str) -> Self {
        Self::json(
            status,
            json!({"error": {"message": message, "type": error_type, "code": null, "param": null}}),
        )
    }

    /// Sets the error's `code` (on a reply made by [`Reply::error`]; other
    /// replies are left as they are).
    pub fn code(mut self, code: &str) -> Self {
        if let Body::Json { body, .. } = &mut self.answer.body {
            if let Some(error) = body.get_mut("error").and_then(Value::as_object_mut) {
                error.insert("code".into(), json!(code));
            }
        }
        self
    }

    /// Sets the error's `param` (on a reply made by [`Reply::error`]; other
    /// replies are left as they are).
    pub fn param(mut self, param: &str) -> Self {
        if let Body::Json { body, .. } = &mut self.answer.body {
            if let Some(error) = body.get_mut("error").and_then(Value::as_object_mut) {
                error.insert("param".into(), json!(param));
            }
        }
        self
    }

    /// Adds `retry-after` (whole seconds, rounded up) and `retry-after-ms`.
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.answer
            .headers
            .extend(crate::fault::retry_after_headers(wait));
        self
    }

    /// Adds a header to the reply; a name or value HTTP does not allow is
    /// left out and reported as a violation when the reply is sent (the
    /// test fails at the server's drop).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => self.answer.headers.push((name, value)),
            _ => self.answer.problems.push(format!(
                "tensoras-mock: a scripted reply's header {name:?} is not a valid HTTP header"
            )),
        }
        self
    }

    /// Waits this long before the response head (a slow server). Any
    /// `Duration` is accepted; the client's timeout decides what happens.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.answer.delay = delay;
        self
    }
}

impl<O: Operation> Reply<O>
where
    O::Response: Serialize,
{
    /// A success (200) with this typed body (JSON, whether or not the
    /// request asked for a stream: [`Reply::text`] answers both kinds).
    pub fn ok(response: O::Response) -> Self {
        Self::json(200, to_value(&response))
    }
}

impl<O: Streaming> Reply<O>
where
    O::Event: Serialize,
{
    /// An event stream of these typed chunks, then `data: [DONE]`, for
    /// requests that ask for a stream (a client that asked for a whole
    /// answer gets the stream, and fails to decode it, as it would from a
    /// server that got it wrong). [`Reply::text`] answers both kinds.
    pub fn stream(events: impl IntoIterator<Item = O::Event>) -> Self {
        Self::from_body(Body::Events {
            events: events.into_iter().map(|e| to_value(&e)).collect(),
            pace: Duration::from_millis(1),
            done: true,
        })
    }

    /// The pause before each event of a stream (default 1 ms).
    pub fn pace(mut self, pause: Duration) -> Self {
        if let Body::Events { pace, .. } = &mut self.answer.body {
            *pace = pause;
        }
        self
    }

    /// Ends the stream without `data: [DONE]`.
    pub fn without_done(mut self) -> Self {
        if let Body::Events { done, .. } = &mut self.answer.body {
            *done = false;
        }
        self
    }
}

impl Reply<tensoras::operations::CreateChatCompletion> {
    /// The assistant answers `text`: a whole completion, or a stream of
    /// chunks (a word each) when the request asked for a stream. Usage is
    /// counted the same way both times.
    pub fn text(text: &str) -> Self {
        Self::from_body(Body::Chat {
            message: json!({"role": "assistant", "content": text}),
            finish: "stop".into(),
        })
    }

    /// The assistant calls the tool `name` with these arguments (serialized
    /// to the JSON string the API sends), whole or streamed.
    pub fn tool_call(name: &str, arguments: &impl Serialize) -> Self {
        let arguments = serde_json::to_string(arguments).unwrap_or_else(|_| "{}".into());
        Self::from_body(Body::Chat {
            message: json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_mock_1", "type": "function", "function": {"name": name, "arguments": arguments}}
            ]}),
            finish: "tool_calls".into(),
        })
    }
}

fn to_value(value: &impl Serialize) -> Value {
    // The generated types serialize unless a number is NaN or infinite
    // (JSON has no such number); then the reply says so and the spec
    // check reports it.
    serde_json::to_value(value)
        .unwrap_or_else(|e| json!({"tensoras_mock_unserializable": e.to_string()}))
}

/// A mock of the operation `O` being set up; [`Mock::mount`] puts it on the
/// server. Made by [`MockServer::mock`].
///
/// ```
/// use tensoras::prelude::*;
/// use tensoras::operations::CreateChatCompletion;
/// use tensoras_mock::{MockServer, Reply};
///
/// let server = MockServer::start_blocking();
/// server
///     .mock::<CreateChatCompletion>()
///     .when_contains("weather")
///     .respond(Reply::error(503, "server_error", "Try again."))
///     .times(1)
///     .expect(1)
///     .mount();
/// let client = server.blocking_client();
/// // The first call gets the 503, the SDK retries, the fake answers the retry.
/// let answer = client.chat().completions().create(
///     ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("The weather?")]),
/// )?;
/// assert!(answer.text().contains("weather"));
/// # Ok::<(), tensoras::Error>(())
/// ```
#[must_use = "a mock does nothing until it is mounted"]
pub struct Mock<'s, O> {
    server: &'s MockServer,
    label: Option<String>,
    conditions: Vec<Condition>,
    reply: Option<Answer>,
    limit: Option<u64>,
    expect: Option<Times>,
    _op: PhantomData<fn() -> O>,
}

impl<'s, O: Operation> Mock<'s, O>
where
    O::Body: DeserializeOwned,
{
    pub(crate) fn new(server: &'s MockServer) -> Self {
        Mock {
            server,
            label: None,
            conditions: Vec::new(),
            reply: None,
            limit: None,
            expect: None,
            _op: PhantomData,
        }
    }

    fn condition(mut self, condition: Condition) -> Self {
        self.conditions.push(condition);
        self
    }

    /// Matches requests whose typed body passes `predicate`. A body that
    /// does not decode as `O::Body` does not match.
    pub fn when(self, predicate: impl Fn(&O::Body) -> bool + Send + Sync + 'static) -> Self {
        let n = self.conditions.len() + 1;
        self.condition(Condition {
            what: format!("predicate #{n}"),
            holds: Arc::new(move |incoming| {
                let body = incoming.body.cloned().unwrap_or(Value::Null);
                serde_json::from_value::<O::Body>(body).is_ok_and(|body| predicate(&body))
            }),
        })
    }

    /// Matches requests with any string in their JSON body containing
    /// `text` (a message, a prompt, an input).
    pub fn when_contains(self, text: &str) -> Self {
        self.condition(conditions::body_contains(text))
    }

    /// Matches requests for this `model`.
    pub fn when_model(self, model: &str) -> Self {
        self.condition(conditions::model(model))
    }

    /// Matches requests whose path (after `/v1`) contains `text`, such as
    /// an id: `when_path_contains("batch_abc")`.
    pub fn when_path_contains(self, text: &str) -> Self {
        self.condition(conditions::path_contains(text))
    }

    /// Matches requests carrying this header with this value.
    pub fn when_header(self, name: &str, value: &str) -> Self {
        self.condition(conditions::header(name, value))
    }

    /// What the mock answers. Without a reply, the fake answers and the mock
    /// only counts (and is verified by [`Mock::expect`]).
    pub fn respond(mut self, reply: Reply<O>) -> Self {
        self.reply = Some(reply.answer);
        self
    }

    /// Answers at most `n` requests; later ones go to the next mock or the fake.
    pub fn times(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// How many requests the mock must answer (a number or a range),
    /// checked when the server drops or at [`MockServer::verify`].
    pub fn expect(mut self, times: impl Into<Times>) -> Self {
        self.expect = Some(times.into());
        self
    }

    /// Names the mock in reports.
    pub fn named(mut self, label: &str) -> Self {
        self.label = Some(label.to_owned());
        self
    }

    /// Puts the mock on the server.
    pub fn mount(self) -> MockGuard<'s> {
        let id = mount(
            &mut self.server.lock(),
            Spec {
                label: self.label,
                method: O::METHOD.as_str(),
                template: O::PATH,
                operation: O::ID,
                conditions: self.conditions,
                reply: self.reply,
                limit: self.limit,
                expect: self.expect,
            },
        );
        MockGuard {
            server: self.server,
            id,
        }
    }
}

/// The conditions the control endpoint and the typed [`Mock`] share.
pub(crate) mod conditions {
    use super::{contains, Condition};
    use std::sync::Arc;

    pub(crate) fn body_contains(text: &str) -> Condition {
        let needle = text.to_owned();
        Condition {
            what: format!("a body string contains {text:?}"),
            holds: Arc::new(move |i| i.body.is_some_and(|b| contains(b, &needle))),
        }
    }

    pub(crate) fn model(model: &str) -> Condition {
        let wanted = model.to_owned();
        Condition {
            what: format!("model is {model:?}"),
            holds: Arc::new(move |i| i.body.is_some_and(|b| b["model"] == wanted.as_str())),
        }
    }

    pub(crate) fn path_contains(text: &str) -> Condition {
        let needle = text.to_owned();
        Condition {
            what: format!("path contains {text:?}"),
            holds: Arc::new(move |i| i.path.contains(&needle)),
        }
    }

    pub(crate) fn header(name: &str, value: &str) -> Condition {
        let (n, v) = (name.to_owned(), value.to_owned());
        Condition {
            what: format!("header {name}: {value}"),
            holds: Arc::new(move |i| {
                i.headers
                    .get_all(n.as_str())
                    .iter()
                    .any(|h| h.as_bytes() == v.as_bytes())
            }),
        }
    }
}

/// Everything of a mock but its operation's type.
pub(crate) struct Spec {
    pub(crate) label: Option<String>,
    pub(crate) method: &'static str,
    pub(crate) template: &'static str,
    pub(crate) operation: &'static str,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) reply: Option<Answer>,
    pub(crate) limit: Option<u64>,
    pub(crate) expect: Option<Times>,
}

/// Mounts a mock; returns its id.
pub(crate) fn mount(store: &mut Store, spec: Spec) -> u64 {
    store.next_mock += 1;
    let id = store.next_mock;
    store.mocks.push(Mounted {
        id,
        label: spec
            .label
            .unwrap_or_else(|| format!("mock #{id} of {}", spec.operation)),
        method: spec.method,
        template: spec.template,
        conditions: spec.conditions,
        reply: spec.reply,
        limit: spec.limit,
        expect: spec.expect,
        hits: 0,
    });
    id
}

fn contains(value: &Value, text: &str) -> bool {
    match value {
        Value::String(s) => s.contains(text),
        Value::Array(items) => items.iter().any(|v| contains(v, text)),
        Value::Object(members) => members.values().any(|v| contains(v, text)),
        _ => false,
    }
}

/// A mounted mock: how many requests it answered; it stays mounted when
/// the guard drops (see [`MockGuard::unmount`]).
#[derive(Debug)]
pub struct MockGuard<'s> {
    server: &'s MockServer,
    id: u64,
}

impl MockGuard<'_> {
    /// The mock's id, as in [`crate::Recorded::matched`].
    pub fn id(&self) -> u64 {
        self.id
    }

    /// How many requests the mock has answered.
    pub fn hits(&self) -> u64 {
        self.server
            .lock()
            .mocks
            .iter()
            .find(|m| m.id == self.id)
            .map_or(0, |m| m.hits)
    }

    /// Takes the mock off the server, checking its expectation first
    /// (panicking, as the server's drop would, when it is not met).
    pub fn unmount(self) {
        let report = report_one(&self.server.store, |m| m.id == self.id);
        self.server.lock().mocks.retain(|m| m.id != self.id);
        if let Some(report) = report {
            panic!("{report}");
        }
    }
}

/// The mocks that could take a request to this route, in mount order: their
/// ids and conditions, cloned so that the conditions (the user's code) run
/// without the store's lock held.
pub(crate) fn candidates(store: &Store, method: &str, path: &str) -> Vec<(u64, Vec<Condition>)> {
    store
        .mocks
        .iter()
        .filter(|m| m.routes(method, path) && m.limit.is_none_or(|limit| m.hits < limit))
        .map(|m| (m.id, m.conditions.clone()))
        .collect()
}

/// Whether every condition holds. A condition that panics (an assertion in
/// a predicate) does not match, and the panic is reported as a violation.
pub(crate) fn holds(conditions: &[Condition], incoming: &Incoming<'_>) -> Result<bool, String> {
    for c in conditions {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (c.holds)(incoming))) {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-string panic".into());
                return Err(format!("condition `{}` panicked: {message}", c.what));
            }
        }
    }
    Ok(true)
}

/// Counts a hit on the mock `id` and returns its reply (`None` inside: the
/// fake answers), or `None` when it was used up or unmounted meanwhile.
pub(crate) fn claim(store: &mut Store, id: u64) -> Option<Option<Answer>> {
    let mock = store
        .mocks
        .iter_mut()
        .find(|m| m.id == id && m.limit.is_none_or(|limit| m.hits < limit))?;
    mock.hits += 1;
    Some(mock.reply.clone())
}

/// The report of every mock whose expectation is not met, `None` when all are.
pub(crate) fn unmet(store: &Shared) -> Option<String> {
    report_one(store, |_| true)
}

/// The report for the mocks `which` picks. The mocks and requests are
/// copied out first: the conditions are the user's code, and run without
/// the store's lock held.
fn report_one(store: &Shared, which: impl Fn(&Mounted) -> bool) -> Option<String> {
    let (mocks, requests) = {
        let s = lock(store);
        let mocks: Vec<Mounted> = s.mocks.iter().filter(|m| which(m)).cloned().collect();
        (mocks, s.requests.clone())
    };
    let mut report = String::new();
    for mock in &mocks {
        let Some(expect) = mock.expect else { continue };
        if expect.holds(mock.hits) {
            continue;
        }
        let _ = writeln!(
            report,
            "{} ({} /v1{}): expected {expect} requests, matched {}",
            mock.label, mock.method, mock.template, mock.hits
        );
        let strays: Vec<&Recorded> = requests
            .iter()
            .filter(|r| r.matched.is_none() && mock.routes(&r.method, v1_path(&r.uri)))
            .collect();
        if strays.is_empty() {
            let _ = writeln!(report, "  no unmatched request to that operation");
        }
        for request in strays {
            let _ = writeln!(report, "  unmatched: {} {}", request.method, request.uri);
            let headers = request.headers.clone();
            let incoming = Incoming {
                path: v1_path(&request.uri),
                headers: &headers,
                body: request.body.as_ref(),
            };
            for c in &mock.conditions {
                let mark = match holds(std::slice::from_ref(c), &incoming) {
                    Ok(true) => "+",
                    Ok(false) => "-",
                    Err(_) => "! (panicked)",
                };
                let _ = writeln!(report, "    {mark} {}", c.what);
            }
            if let Some(body) = &request.body {
                let mut text = body.to_string();
                if text.len() > 400 {
                    let cut = (0..=400)
                        .rev()
                        .find(|&i| text.is_char_boundary(i))
                        .unwrap_or(0);
                    text.truncate(cut);
                    text.push('…');
                }
                let _ = writeln!(report, "    body: {text}");
            }
        }
    }
    (!report.is_empty()).then(|| format!("tensoras-mock: expectations not met:\n{report}"))
}

/// The path after the `/v1` prefix (and without the query).
pub(crate) fn v1_path(uri: &str) -> &str {
    let path = uri.split('?').next().unwrap_or_default();
    path.strip_prefix("/v1").unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_their_paths_only() {
        assert!(path_matches("/batches/{batch_id}", "/batches/b1"));
        assert!(path_matches("/batches/{batch_id}", "/batches/b1?x=1"));
        assert!(!path_matches("/batches/{batch_id}", "/batches"));
        assert!(!path_matches("/batches/{batch_id}", "/batches/"));
        assert!(!path_matches("/batches/{batch_id}", "/batches/b1/cancel"));
        assert!(path_matches("/batches", "/batches"));
        assert!(!path_matches("/batches", "/files"));
    }

    #[test]
    fn times_from_ranges() {
        assert_eq!(Times::from(2), Times { min: 2, max: 2 });
        assert_eq!(
            Times::from(1..),
            Times {
                min: 1,
                max: u64::MAX
            }
        );
        assert_eq!(Times::from(1..3), Times { min: 1, max: 2 });
        assert_eq!(Times::from(..=3), Times { min: 0, max: 3 });
        assert_eq!(Times::from(..3), Times { min: 0, max: 2 });
        assert!((0..10).all(|n| !Times::from(..0).holds(n)));
        assert!((0..10).all(|n| !Times::from(3..3).holds(n)));
        assert!((0..10).all(|n| !Times::from(0..0).holds(n)));
        assert_eq!(Times::from(2..=5).to_string(), "between 2 and 5");
        assert_eq!(Times::from(0..).to_string(), "at least 0");
    }
}
