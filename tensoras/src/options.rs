//! Per-request overrides.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::time::Duration;

/// Overrides for the calls of one [`Tensoras::with_options`](crate::Tensoras::with_options) client.
///
/// ```
/// use std::time::Duration;
/// let options = tensoras::RequestOptions::new()
///     .timeout(Duration::from_secs(5))
///     .total_timeout(Duration::from_secs(30))
///     .max_retries(1)
///     .idempotency_key("order-42")
///     .header(
///         tensoras::header::HeaderName::from_static("x-trace"),
///         tensoras::header::HeaderValue::from_static("abc"),
///     )
///     .query("debug", "1")
///     .body_field("top_k", serde_json::json!(3));
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct RequestOptions {
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) max_retries: Option<u32>,
    pub(crate) idempotency: Option<Idempotency>,
    pub(crate) extra_headers: HeaderMap,
    pub(crate) extra_query: Vec<(String, String)>,
    pub(crate) extra_body: serde_json::Map<String, serde_json::Value>,
}

/// The idempotency key of the calls of a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// This key on every call.
    Key(String),
    /// No `Idempotency-Key` header.
    Off,
}

impl std::fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestOptions")
            .field("read_timeout", &self.read_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("total_timeout", &self.total_timeout)
            .field("max_retries", &self.max_retries)
            .field("idempotency", &self.idempotency)
            .field(
                "extra_headers",
                &crate::config::RedactedHeaders(&self.extra_headers),
            )
            .field(
                "extra_query",
                &self
                    .extra_query
                    .iter()
                    .map(|(name, value)| {
                        let shown = if crate::config::is_secret_header(name) {
                            "<redacted>"
                        } else {
                            value.as_str()
                        };
                        (name.as_str(), shown)
                    })
                    .collect::<Vec<_>>(),
            )
            .field("extra_body", &self.extra_body.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl RequestOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// The read and write timeouts together (see
    /// [`ClientBuilder::timeout`](crate::ClientBuilder::timeout)). Every
    /// timeout here takes any `Duration`, as there: `Duration::MAX` is no
    /// limit, `Duration::ZERO` allows no wait.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.read_timeout(timeout).write_timeout(timeout)
    }

    /// The longest wait for the next bytes from the server (see
    /// [`ClientBuilder::read_timeout`](crate::ClientBuilder::read_timeout)).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// The longest wait for the server to take more of an upload (see
    /// [`ClientBuilder::write_timeout`](crate::ClientBuilder::write_timeout)).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = Some(timeout);
        self
    }

    /// A bound on each whole call (see
    /// [`ClientBuilder::total_timeout`](crate::ClientBuilder::total_timeout)).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// Retries after the first attempt (any `u32`; see
    /// [`ClientBuilder::max_retries`](crate::ClientBuilder::max_retries)).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// The `Idempotency-Key` sent on every attempt of these calls, instead
    /// of a fresh random one per call. A server that keeps keys answers a
    /// repeated create with the first result.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency = Some(Idempotency::Key(key.into()));
        self
    }

    /// Sends no `Idempotency-Key` (one is sent by default on everything but
    /// `GET`, the same on every attempt of a call).
    pub fn no_idempotency_key(mut self) -> Self {
        self.idempotency = Some(Idempotency::Off);
        self
    }

    /// An extra header. Values of secret-looking headers (`Authorization`,
    /// `*-key`, `*-token`, ...) are marked sensitive and never shown.
    pub fn header(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        if crate::config::is_secret_header(name.as_str()) {
            value.set_sensitive(true);
        }
        self.extra_headers.insert(name, value);
        self
    }

    /// An extra query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_query.push((name.into(), value.into()));
        self
    }

    /// An extra top-level field in JSON request bodies (an undocumented or
    /// new parameter); it overrides a field of the same name.
    pub fn body_field(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.extra_body.insert(name.into(), value);
        self
    }

    pub(crate) fn merged(&self, newer: RequestOptions) -> RequestOptions {
        let mut out = self.clone();
        out.read_timeout = newer.read_timeout.or(self.read_timeout);
        out.write_timeout = newer.write_timeout.or(self.write_timeout);
        out.total_timeout = newer.total_timeout.or(self.total_timeout);
        out.max_retries = newer.max_retries.or(self.max_retries);
        out.idempotency = newer.idempotency.or_else(|| self.idempotency.clone());
        out.extra_headers.extend(newer.extra_headers);
        out.extra_query.extend(newer.extra_query);
        out.extra_body.extend(newer.extra_body);
        out
    }
}
