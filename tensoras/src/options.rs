//! Per-request overrides.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::time::Duration;

/// Overrides for the calls of one [`Tensoras::with_options`](crate::Tensoras::with_options) client.
///
/// ```
/// use std::time::Duration;
/// let options = tensoras::RequestOptions::new()
///     .timeout(Duration::from_secs(5))
///     .max_retries(1)
///     .header(
///         reqwest::header::HeaderName::from_static("x-trace"),
///         reqwest::header::HeaderValue::from_static("abc"),
///     )
///     .query("debug", "1")
///     .body_field("top_k", serde_json::json!(3));
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct RequestOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_retries: Option<u32>,
    pub(crate) extra_headers: HeaderMap,
    pub(crate) extra_query: Vec<(String, String)>,
    pub(crate) extra_body: serde_json::Map<String, serde_json::Value>,
}

impl std::fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestOptions")
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field(
                "extra_headers",
                &crate::config::RedactedHeaders(&self.extra_headers),
            )
            .field("extra_query", &self.extra_query)
            .field("extra_body", &self.extra_body.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl RequestOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// The timeout of one attempt.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Retries after the first attempt.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
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
        out.timeout = newer.timeout.or(self.timeout);
        out.max_retries = newer.max_retries.or(self.max_retries);
        out.extra_headers.extend(newer.extra_headers);
        out.extra_query.extend(newer.extra_query);
        out.extra_body.extend(newer.extra_body);
        out
    }
}
