//! Client configuration: the builder, key lookup and base-URL handling.

use crate::error::{Error, Result};
use crate::limits::Limits;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::time::Duration;

/// The API's production base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.tensoras.ai/v1";
/// The environment variable the API key is read from.
pub const API_KEY_ENV: &str = "TENSORAS_API_KEY";
/// The environment variable a base URL is read from.
pub const BASE_URL_ENV: &str = "TENSORAS_BASE_URL";
/// The default read and write timeouts: the longest wait for the server to
/// send or take the next bytes.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default number of retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 3;

/// An API key, kept as its ready `Authorization` header value (marked
/// sensitive, so HTTP tooling redacts it too). Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(HeaderValue);

impl ApiKey {
    pub(crate) fn new(key: &str) -> Result<Self> {
        let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
            Error::Config("the API key contains characters not allowed in a header".into())
        })?;
        value.set_sensitive(true);
        Ok(ApiKey(value))
    }

    /// The header value: built once, cloned per request (a reference count).
    pub(crate) fn header_value(&self) -> HeaderValue {
        self.0.clone()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Builds a [`Tensoras`](crate::Tensoras) client.
///
/// ```
/// use std::time::Duration;
///
/// let client = tensoras::Tensoras::builder()
///     .api_key("tns_example")
///     .base_url("http://127.0.0.1:8000")
///     .timeout(Duration::from_secs(60))
///     .max_retries(5)
///     .build()?;
/// assert_eq!(client.base_url(), "http://127.0.0.1:8000/v1");
/// assert!(!format!("{client:?}").contains("tns_example"));
/// # Ok::<(), tensoras::Error>(())
/// ```
///
/// The same builder makes the blocking client
/// ([`blocking::Tensoras::builder`](crate::blocking::Tensoras::builder)):
/// `C` is the client `build` returns.
#[must_use]
pub struct ClientBuilder<C = crate::Tensoras> {
    api_key: Option<String>,
    base_url: Option<String>,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    limits: Limits,
    max_retries: Option<u32>,
    default_headers: HeaderMap,
    http_client: Option<reqwest::Client>,
    capture_content: Option<bool>,
    capture_limit: usize,
    #[cfg(feature = "opentelemetry")]
    meter: Option<opentelemetry::metrics::Meter>,
    client: std::marker::PhantomData<fn() -> C>,
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            base_url: None,
            connect_timeout: None,
            read_timeout: None,
            write_timeout: None,
            total_timeout: None,
            limits: Limits::default(),
            max_retries: None,
            default_headers: HeaderMap::new(),
            http_client: None,
            capture_content: None,
            capture_limit: crate::telemetry::DEFAULT_CAPTURE_LIMIT,
            #[cfg(feature = "opentelemetry")]
            meter: None,
            client: std::marker::PhantomData,
        }
    }
}

/// A client a [`ClientBuilder`] can build: [`Tensoras`](crate::Tensoras) or
/// the blocking one.
pub trait BuildClient: Sized + sealed::Sealed {
    #[doc(hidden)]
    fn from_parts(config: Config, http: reqwest::Client) -> Result<Self>;
}

impl BuildClient for crate::Tensoras {
    fn from_parts(config: Config, http: reqwest::Client) -> Result<Self> {
        Ok(crate::Tensoras::from_parts(config, http))
    }
}

pub(crate) mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Tensoras {}
}

impl<C> std::fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url.as_deref().map(redact_url))
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("total_timeout", &self.total_timeout)
            .field("limits", &self.limits)
            .field("max_retries", &self.max_retries)
            .field("capture_content", &self.capture_content)
            .finish_non_exhaustive()
    }
}

/// The resolved configuration a client runs with.
#[derive(Clone)]
#[doc(hidden)]
pub struct Config {
    pub(crate) api_key: ApiKey,
    pub(crate) base_url: String,
    /// `base_url` parsed once: each request's URL is this with its path
    /// extended, not a fresh parse of the whole string (host, IDNA and all).
    pub(crate) base: reqwest::Url,
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) limits: Limits,
    pub(crate) max_retries: u32,
    pub(crate) default_headers: HeaderMap,
    /// Whether the HTTP client is this crate's own (not the caller's
    /// `http_client`): then another one like it can be made (for a blocking
    /// client made from an async one).
    #[cfg_attr(not(feature = "blocking"), allow(dead_code))]
    pub(crate) own_http: bool,
    /// Content capture and metrics (see [`crate::telemetry`]).
    pub(crate) telemetry: crate::telemetry::Settings,
}

/// The HTTP client this crate makes: its user agent, connect timeout and TLS.
pub(crate) fn http_client(connect_timeout: Duration) -> Result<reqwest::Client> {
    // reqwest's own retries off: `max_retries` is the one count of
    // retries (with feature `http2`, reqwest's default retried a refused
    // stream or a `GOAWAY` twice more, unseen, even with `max_retries(0)`),
    // and its policy cloned every request, headers and all, to hold while
    // the request was out. (`never()` alone still clones: only a zero
    // maximum makes reqwest skip the clone.)
    let mut builder = reqwest::Client::builder()
        .user_agent(user_agent())
        .retry(reqwest::retry::never().max_retries_per_request(0));
    // A timeout over thirty years is no timeout.
    if connect_timeout <= crate::transport::NO_LIMIT_ABOVE {
        builder = builder.connect_timeout(connect_timeout);
    }
    tls(builder)?
        .build()
        .map_err(|e| Error::Config(format!("building the HTTP client: {e}")))
}

impl<C: BuildClient> ClientBuilder<C> {
    /// A builder with nothing set; [`Tensoras::builder`](crate::Tensoras::builder)
    /// is the usual way to get one.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API key; when not set, `TENSORAS_API_KEY` is read.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The base URL; when not set, `TENSORAS_BASE_URL`, else
    /// `https://api.tensoras.ai/v1`. A trailing slash is ignored and a URL
    /// whose path does not end in a version segment gets `/v1` appended.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The read and write timeouts together (default 120 s each): Python's
    /// `timeout=`. See [`read_timeout`](Self::read_timeout) and
    /// [`write_timeout`](Self::write_timeout).
    ///
    /// Every timeout takes any `Duration`: [`Duration::MAX`] (or anything
    /// over thirty years) is no limit, and [`Duration::ZERO`] allows no wait
    /// at all (a call then times out unless what it waits for is already
    /// there, to the timers' resolution of a millisecond; a zero total
    /// timeout sends nothing).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.read_timeout(timeout).write_timeout(timeout)
    }

    /// The longest wait to establish a connection, TCP and TLS (default
    /// 10 s; `Duration::MAX` is none). It configures the HTTP client this
    /// builder makes: with [`http_client`](Self::http_client), set it on
    /// your own client instead (it is not applied there).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The longest wait for the server to send the next bytes (default
    /// 120 s): the response head, then each piece of a body, stream or
    /// download. For the head it counts from the end of an upload that
    /// goes out as a stream (a file, a large body), and otherwise from the
    /// start of the attempt, so connecting (within the connect timeout)
    /// counts towards it. It bounds silence, not length: a
    /// stream that keeps delivering lives as long as it delivers, and one
    /// that stalls ends with [`Error::Timeout`] of kind
    /// [`Read`](crate::TimeoutKind::Read). Each wait counts from when the
    /// client starts waiting for the next piece: time your code spends
    /// between two reads of a body or stream is not the server's silence.
    /// Keep-alive comments in an event
    /// stream are bytes, and count as progress (servers send them while a
    /// model thinks); bound the whole call with
    /// [`total_timeout`](Self::total_timeout). `Duration::MAX` is no limit.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// The longest wait for the server to take the next part of an upload
    /// (default 120 s). An upload that keeps moving, however slowly, is not
    /// cut; the read timeout starts once it is sent. `Duration::MAX` is no
    /// limit.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = Some(timeout);
        self
    }

    /// A bound on a whole call (default: none): every attempt and the waits
    /// between them, and for a stream or download everything until its end.
    /// When it runs out the call ends with [`Error::Timeout`] of kind
    /// [`Total`](crate::TimeoutKind::Total), which is not retried. A retry
    /// whose wait (the backoff or the server's `Retry-After`) would reach
    /// past it is not waited for: the call ends at once with the error that
    /// asked for it. `Duration::MAX` is the same as none.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// Bounds on what a server can make the client hold (see [`Limits`]
    /// for each one's range; [`build`](Self::build) refuses one outside it).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Retries after the first attempt (default 3; 0 disables retries; any
    /// `u32`, so `u32::MAX` retries a failing call for as long as the total
    /// timeout allows, or for ever without one), with
    /// exponential backoff and jitter (0.5 s doubling to at most 8 s), or the
    /// server's `Retry-After`/`retry-after-ms` when it is above zero and at
    /// most 60 s. Every attempt of a call carries the same
    /// `Idempotency-Key` (on everything but `GET`; see
    /// [`RequestOptions::idempotency_key`](crate::RequestOptions::idempotency_key))
    /// and an `x-tensoras-retry-count` header, so a server can tell a retry
    /// and drop a duplicate.
    ///
    /// | Failure | Retried |
    /// |---|---|
    /// | `x-should-retry: true` / `false` on the response | yes / no, whatever the status |
    /// | 408, 409, 429, and every status from 500 | yes |
    /// | any other status (400, 401, 403, 404, 422, ...) | no |
    /// | connection refused or reset, TLS failure | yes |
    /// | a 2xx answer's body that stalls or breaks off (not a stream's or download's) | yes, for a `GET`, `PUT` or `DELETE` or a call with an idempotency key (the default): the attempt is made again |
    /// | with feature `http2`: a request the server refused or dropped as it went away (`REFUSED_STREAM`, `GOAWAY`) | yes, after the backoff like the rest (reqwest does not also retry it underneath: `max_retries(0)` is one attempt) |
    /// | connect, read or write timeout | yes |
    /// | total timeout, or a wait before the retry that would reach past it | no |
    /// | redirect loop, malformed or oversized response head | no |
    /// | a body that does not decode, or exceeds a [`Limits`] bound | no |
    /// | an error in the middle of a stream | no (the stream has started) |
    /// | a file upload from a reader | no (a reader cannot be rewound) |
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// A header sent with every request. Values of secret-looking headers
    /// (`Authorization`, `*-key`, `*-token`, ...) are marked sensitive and
    /// never shown.
    pub fn default_header(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        if is_secret_header(name.as_str()) {
            value.set_sensitive(true);
        }
        self.default_headers.insert(name, value);
        self
    }

    /// Records the content of calls on their spans (see
    /// [`crate::telemetry`]): input and output messages, system
    /// instructions and tool definitions, each at most
    /// [`captured_content_limit`](Self::captured_content_limit) bytes.
    /// Off by default, as the conventions say (content may hold personal
    /// data); when not set here, `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`
    /// set to `true` (or `SPAN_ONLY`, `SPAN_AND_EVENT`) in the environment
    /// switches it on. Headers and the API key are never recorded.
    ///
    /// ```
    /// let client = tensoras::Tensoras::builder()
    ///     .api_key("tns_x")
    ///     .capture_content(true)
    ///     .captured_content_limit(4096)
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), tensoras::Error>(())
    /// ```
    pub fn capture_content(mut self, capture: bool) -> Self {
        self.capture_content = Some(capture);
        self
    }

    /// The most bytes of each captured content attribute (default 16 KiB;
    /// any value, 0 records empty text): longer content has its texts cut
    /// and its oldest messages left out until it fits.
    pub fn captured_content_limit(mut self, bytes: usize) -> Self {
        self.capture_limit = bytes;
        self
    }

    /// The meter the GenAI metrics are recorded with (feature
    /// `opentelemetry`); by default the global meter provider's, taken when
    /// the client is built (so set the global provider first).
    #[cfg(feature = "opentelemetry")]
    #[cfg_attr(docsrs, doc(cfg(feature = "opentelemetry")))]
    pub fn meter(mut self, meter: opentelemetry::metrics::Meter) -> Self {
        self.meter = Some(meter);
        self
    }

    /// Your own `reqwest::Client` (proxies, TLS roots, connection limits).
    /// Its own timeouts apply on top of this client's, and its own retry
    /// policy underneath [`max_retries`](Self::max_retries) (reqwest's
    /// default retries a refused HTTP/2 stream or a `GOAWAY`; the client
    /// this builder makes has that off); this builder's
    /// [`connect_timeout`](Self::connect_timeout) and TLS choice do not
    /// apply to it.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Resolves the key and base URL and builds the client.
    ///
    /// Fails with [`Error::Config`] when no key is given or found in the
    /// environment, the key is empty, the base URL is not an http(s) URL
    /// (or is https in a build without a TLS feature), or a [`Limits`]
    /// bound is outside its range.
    pub fn build(self) -> Result<C> {
        let (config, http) = self.resolve()?;
        C::from_parts(config, http)
    }

    fn resolve(self) -> Result<(Config, reqwest::Client)> {
        let key = match self.api_key {
            Some(key) => key,
            None => std::env::var(API_KEY_ENV).map_err(|_| {
                Error::Config(format!(
                    "no API key: pass one to the builder or set {API_KEY_ENV}"
                ))
            })?,
        };
        if key.trim().is_empty() {
            return Err(Error::Config("the API key is empty".into()));
        }
        let api_key = ApiKey::new(key.trim())?;
        let base_url = match self.base_url {
            Some(url) => url,
            None => std::env::var(BASE_URL_ENV)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
        };
        let base_url = normalize_base_url(&base_url)?;
        self.limits.check()?;
        let base = reqwest::Url::parse(&base_url)
            .map_err(|e| Error::Config(format!("invalid base URL: {e}")))?;
        if base.scheme() == "https"
            && self.http_client.is_none()
            && !cfg!(any(feature = "rustls", feature = "native-tls"))
        {
            return Err(Error::Config(
                "an https base URL needs TLS: enable the `rustls` or `native-tls` feature".into(),
            ));
        }
        let connect_timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let own_http = self.http_client.is_none();
        let http = match self.http_client {
            Some(client) => client,
            None => http_client(connect_timeout)?,
        };
        let mut default_headers = self.default_headers;
        default_headers
            .entry(reqwest::header::USER_AGENT)
            .or_insert_with(|| HeaderValue::from_static(user_agent()));
        Ok((
            Config {
                api_key,
                base_url,
                base,
                connect_timeout,
                read_timeout: self.read_timeout.unwrap_or(DEFAULT_TIMEOUT),
                write_timeout: self.write_timeout.unwrap_or(DEFAULT_TIMEOUT),
                total_timeout: self.total_timeout,
                limits: self.limits,
                max_retries: self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
                default_headers,
                own_http,
                telemetry: crate::telemetry::Settings {
                    capture: self
                        .capture_content
                        .unwrap_or_else(|| {
                            std::env::var(crate::telemetry::CAPTURE_CONTENT_ENV)
                                .is_ok_and(|v| crate::telemetry::capture_requested(&v))
                        })
                        .then_some(self.capture_limit),
                    #[cfg(feature = "opentelemetry")]
                    instruments: Some(std::sync::Arc::new(match &self.meter {
                        Some(meter) => crate::telemetry::metrics::Instruments::new(meter),
                        None => crate::telemetry::metrics::global(),
                    })),
                },
            },
            http,
        ))
    }
}

/// `url` with its credentials (user name and password: either can be a
/// token) replaced, for `Debug` and messages, and the values of query
/// parameters named like a secret. Textual, up to the last `@` after the
/// scheme and however many slashes follow it: a password may hold `/`, `?`,
/// `#` or digits that a URL parser reads as a port, a path or a query (so
/// the parser's user name and password are not all there is to hide), and
/// better to hide part of a path than to show a password.
pub(crate) fn redact_url(url: &str) -> String {
    // Secret-named query values first, while the parser still reads the
    // query: an `@` in it would move the textual cut past them.
    let url = match url::Url::parse(url) {
        Ok(mut parsed)
            if parsed
                .query_pairs()
                .any(|(name, _)| is_secret_header(&name)) =>
        {
            redact_credentials(&mut parsed);
            std::borrow::Cow::Owned(parsed.into())
        }
        _ => std::borrow::Cow::Borrowed(url),
    };
    let url = url.as_ref();
    let scheme_end = url.find(':').filter(|&i| {
        i > 0
            && url[..i]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    });
    // A scheme is followed by at least one slash (`user:pass@host` has none).
    let authority_start = match scheme_end {
        Some(i) if url[i + 1..].starts_with(['/', '\\']) => {
            let rest = &url[i + 1..];
            i + 1 + rest.len() - rest.trim_start_matches(['/', '\\']).len()
        }
        _ => 0,
    };
    match url[authority_start..].rfind('@') {
        Some(at) => format!(
            "{}redacted{}",
            &url[..authority_start],
            &url[authority_start + at..]
        ),
        None => url.to_owned(),
    }
}

/// Replaces the credentials of a parsed URL (see [`redact_url`]), and the
/// values of query parameters named like a secret (`api_key`, `token`, ...).
pub(crate) fn redact_credentials(url: &mut url::Url) {
    if !url.username().is_empty() {
        let _ = url.set_username("redacted");
    }
    if url.password().is_some() {
        let _ = url.set_password(None);
    }
    if url.query_pairs().any(|(name, _)| is_secret_header(&name)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let shown = if is_secret_header(&name) {
                    "redacted".to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), shown)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
}

/// Whether a header carries a secret (its value must never be shown):
/// `Authorization`, `Proxy-Authorization`, cookies, and anything named like
/// a key, token or secret.
pub(crate) fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "authorization"
        || name == "proxy-authorization"
        || name == "cookie"
        || name == "set-cookie"
        || ["key", "token", "secret", "auth", "signature", "password"]
            .iter()
            .any(|word| name.contains(word))
}

/// A header map for `Debug`: names shown, secret values replaced.
pub(crate) struct RedactedHeaders<'a>(pub(crate) &'a HeaderMap);

impl std::fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if is_secret_header(name.as_str()) || value.is_sensitive() {
                map.entry(&name.as_str(), &"<redacted>");
            } else {
                map.entry(&name.as_str(), value);
            }
        }
        map.finish()
    }
}

/// TLS for the client this crate builds: rustls with the `ring` provider
/// and the platform's verifier (feature `rustls`), configured here rather
/// than through a process-wide default provider, so an application's own
/// choice of provider is left alone. With `native-tls` on as well, that one
/// is used (the one a user adds on top of the defaults is the one wanted).
#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
fn tls(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    use std::sync::Arc;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|e| Error::Config(format!("loading the platform's certificates: {e}")))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("configuring TLS: {e}")))?
        .dangerous() // only to install the platform verifier, which does verify
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // A preconfigured config gets no ALPN from reqwest: HTTP/2 is offered
    // only when it is built in.
    config.alpn_protocols = if cfg!(feature = "http2") {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(builder.tls_backend_preconfigured(config))
}

/// TLS through the platform's library (feature `native-tls`), which takes
/// precedence over `rustls` when both are on.
#[cfg(feature = "native-tls")]
fn tls(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    Ok(builder.tls_backend_native())
}

/// Without a TLS feature the client speaks plain HTTP only (`build` refuses
/// an `https` base URL).
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
fn tls(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    Ok(builder)
}

/// `tensoras-rust/<version>`.
pub(crate) const fn user_agent() -> &'static str {
    concat!("tensoras-rust/", env!("CARGO_PKG_VERSION"))
}

/// Trims trailing slashes and appends `/v1` when the path has no version segment.
pub(crate) fn normalize_base_url(raw: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let parsed = url::Url::parse(trimmed)
        .map_err(|e| Error::Config(format!("invalid base URL {:?}: {e}", redact_url(trimmed))))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::Config(format!(
            "the base URL {:?} is not an http(s) URL",
            redact_url(trimmed)
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "the base URL {:?} has a query or fragment",
            redact_url(trimmed)
        )));
    }
    // An `@` the parser does not read as the end of the credentials is
    // likely a password it read as a host, port or path (`user:12/ab@proxy`):
    // sent on, it would show in every error and go out as a host name.
    let path_at = parsed.path().contains('@');
    let credentials = !parsed.username().is_empty() || parsed.password().is_some();
    if path_at || (trimmed.contains('@') && !credentials) {
        return Err(Error::Config(format!(
            "the base URL {:?} has an `@` outside its credentials (a password holding `/`, `?` or \
             `#`?): percent-encode it as `%40`, and those as `%2F`, `%3F`, `%23`",
            redact_url(trimmed)
        )));
    }
    let last = parsed
        .path()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let versioned =
        last.len() > 1 && last.starts_with('v') && last[1..].chars().all(|c| c.is_ascii_digit());
    Ok(if versioned {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/v1")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_forms() {
        for (input, expected) in [
            ("https://api.tensoras.ai/v1", "https://api.tensoras.ai/v1"),
            ("https://api.tensoras.ai/v1/", "https://api.tensoras.ai/v1"),
            ("http://localhost:8000", "http://localhost:8000/v1"),
            ("http://localhost:8000/", "http://localhost:8000/v1"),
            (
                "http://host/proxy/tensoras/",
                "http://host/proxy/tensoras/v1",
            ),
            ("http://host/api/v2", "http://host/api/v2"),
        ] {
            assert_eq!(normalize_base_url(input).unwrap(), expected, "{input}");
        }
        for bad in ["", "localhost:8000", "ftp://host/v1", "http://host/v1?x=1"] {
            assert!(
                matches!(normalize_base_url(bad), Err(Error::Config(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords_and_secret_headers_are_redacted() {
        for (url, shown) in [
            (
                "https://user:hunter2@proxy.example/v1",
                "https://redacted@proxy.example/v1",
            ),
            // A token given as the user name.
            (
                "https://tns_tok@proxy.example/",
                "https://redacted@proxy.example/",
            ),
            // An `@` in the password, or in the path: all up to the last
            // one is hidden (a password may hold `/`).
            ("http://u:p@ss@h:1/a@b", "http://redacted@b"),
            ("http://host/v1/a@b", "http://redacted@b"),
            // Not a URL at all: still redacted.
            ("u:hunter2@host:99999", "redacted@host:99999"),
            ("http://u:hun?ter2@h/v1", "http://redacted@h/v1"),
            ("http://u:hun#ter2@h/v1", "http://redacted@h/v1"),
            ("http://host/v1", "http://host/v1"),
            // A `/` in the password (the URL does not parse: `ab` is no port).
            ("https://user:ab/cd@proxy/v1", "https://redacted@proxy/v1"),
            // Slashes the parser forgives: it reads the credentials all the same.
            ("https:///user:s3cret@host/v1", "https:///redacted@host/v1"),
            ("https:/user:s3cret@host/v1", "https:/redacted@host/v1"),
            (
                "https:\\\\user:s3cret@host/v1",
                "https:\\\\redacted@host/v1",
            ),
            // A password a parser reads as a port and a path, or a host.
            ("https://user:12/cd@proxy/v1", "https://redacted@proxy/v1"),
            ("https://AbC/dEf@proxy/v1", "https://redacted@proxy/v1"),
            ("http://u:80?x@h/v1", "http://redacted@h/v1"),
            // Secret query values, with credentials or without.
            (
                "http://h/v1?api_key=tns_q&limit=5",
                "http://h/v1?api_key=redacted&limit=5",
            ),
            // An `@` in the query does not uncover them.
            (
                "https://h/v1?email=a@b.c&api_key=tns_q",
                "https://h/v1?email=a%40b.c&api_key=redacted",
            ),
            (
                "https://h/v1?api_key=tns@q",
                "https://h/v1?api_key=redacted",
            ),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        for bad in [
            "ftp://u:hunter2@host/v1",
            "http://u:hunter2@host/v1?x=1",
            "u:hunter2@x",
            // Passwords a parser reads as a port and a path, or a host.
            "https://user:12/hunter2@proxy/v1",
            "https://AbC/hunter2@proxy/v1",
            "http://u:p@h/hunter2@x/v1",
        ] {
            let Err(Error::Config(message)) = normalize_base_url(bad) else {
                panic!("{bad} accepted");
            };
            assert!(!message.contains("hunter2"), "{message}");
        }
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer tns_x"));
        headers.insert("x-api-key", HeaderValue::from_static("tns_y"));
        headers.insert("x-trace", HeaderValue::from_static("visible"));
        let shown = format!("{:?}", RedactedHeaders(&headers));
        assert!(!shown.contains("tns_"), "{shown}");
        assert!(shown.contains("visible"), "{shown}");
    }

    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    #[test]
    fn without_tls_an_https_base_url_is_refused() {
        let refused = crate::Tensoras::builder()
            .api_key("k")
            .base_url("https://api.example.com/v1")
            .build();
        assert!(
            matches!(&refused, Err(Error::Config(m)) if m.contains("rustls")),
            "{refused:?}"
        );
        assert!(crate::Tensoras::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:1/v1")
            .build()
            .is_ok());
    }

    #[test]
    fn odd_urls_keep_their_passwords_out_of_debug_and_errors() {
        let builder = crate::Tensoras::builder()
            .api_key("k")
            .base_url("https://user:ab/cd@proxy/v1");
        let shown = format!("{builder:?}");
        assert!(!shown.contains("ab/cd"), "{shown}");
        let refused = builder.build().expect_err("`ab` is no port");
        assert!(!refused.to_string().contains("ab/cd"), "{refused}");
        assert!(!format!("{refused:?}").contains("ab/cd"), "{refused:?}");
        for url in [
            "http:///user:s3cret@127.0.0.1:9/v1",
            "http:/user:s3cret@127.0.0.1:9/v1",
        ] {
            let client = crate::Tensoras::builder()
                .api_key("k")
                .base_url(url)
                .build()
                .expect("the url crate reads it");
            let shown = format!("{client:?}");
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("127.0.0.1:9"), "{shown}");
        }
    }

    #[test]
    fn secret_query_values_are_redacted() {
        let mut url = url::Url::parse("http://u:p@h/v1/x?limit=5&api_key=tns_q&Token=t2").unwrap();
        redact_credentials(&mut url);
        assert_eq!(
            url.as_str(),
            "http://redacted@h/v1/x?limit=5&api_key=redacted&Token=redacted"
        );
    }

    #[test]
    fn key_is_redacted() {
        let key = ApiKey::new("tns_secret").unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert!(key.header_value().is_sensitive());
    }
}
