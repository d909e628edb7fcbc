//! The async client and the transport every resource shares.

use crate::config::{ClientBuilder, Config};
use crate::error::{ApiError, Error, Result};
use crate::options::RequestOptions;
use crate::rate_limit::RateLimit;
use crate::retry;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// The async Tensoras client. Cheap to clone: clones share one connection pool.
///
/// ```no_run
/// # async fn run() -> tensoras::Result<()> {
/// use tensoras::{ChatRequest, Tensoras, messages::user};
///
/// let client = Tensoras::new()?; // reads TENSORAS_API_KEY
/// let response = client
///     .chat()
///     .completions()
///     .create(ChatRequest::new("llama-3.3-70b", [user("Explain RAG in one sentence.")]))
///     .await?;
/// println!("{}", response.choices[0].message.content.as_deref().unwrap_or_default());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Tensoras {
    pub(crate) inner: Arc<Inner>,
    pub(crate) options: Arc<RequestOptions>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
}

impl std::fmt::Debug for Tensoras {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tensoras")
            .field("base_url", &self.inner.config.base_url)
            .field("api_key", &self.inner.config.api_key)
            .field("timeout", &self.inner.config.timeout)
            .field("max_retries", &self.inner.config.max_retries)
            .finish_non_exhaustive()
    }
}

/// A successful response with its metadata, for callers who need headers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiResponse<T> {
    /// The decoded body.
    pub data: T,
    /// The HTTP status.
    pub status: u16,
    /// Every response header.
    pub headers: HeaderMap,
}

impl<T> ApiResponse<T> {
    /// The `X-RateLimit-*` headers of this response.
    pub fn rate_limit(&self) -> RateLimit {
        RateLimit::from_headers(&self.headers)
    }

    /// The `x-request-id` header.
    pub fn request_id(&self) -> Option<String> {
        crate::rate_limit::request_id(&self.headers)
    }
}

/// The body of one request, rebuilt for every attempt.
pub(crate) enum Body {
    None,
    Json(Bytes),
    Multipart(Box<dyn Fn() -> Result<reqwest::multipart::Form> + Send + Sync>),
}

impl Tensoras {
    /// A client configured from the environment: `TENSORAS_API_KEY` and
    /// optionally `TENSORAS_BASE_URL`.
    pub fn new() -> Result<Self> {
        Self::builder().build()
    }

    /// A builder for every option.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn from_parts(config: Config, http: reqwest::Client) -> Self {
        Tensoras {
            inner: Arc::new(Inner { config, http }),
            options: Arc::new(RequestOptions::default()),
        }
    }

    /// The base URL requests go to, such as `https://api.tensoras.ai/v1`.
    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
    }

    /// A client that shares this one's connections and applies `options`
    /// (timeout, retries, extra headers, query or body fields) to every call.
    ///
    /// ```
    /// # let client = tensoras::Tensoras::builder().api_key("k").build()?;
    /// use std::time::Duration;
    /// let patient = client.with_options(
    ///     tensoras::RequestOptions::new().timeout(Duration::from_secs(600)).max_retries(0),
    /// );
    /// # let _ = patient;
    /// # Ok::<(), tensoras::Error>(())
    /// ```
    pub fn with_options(&self, options: RequestOptions) -> Self {
        Tensoras {
            inner: Arc::clone(&self.inner),
            options: Arc::new(self.options.merged(options)),
        }
    }

    /// Sends a JSON request to any path and decodes the JSON answer, with the
    /// response's status and headers. The escape hatch for endpoints this
    /// crate does not wrap yet.
    pub async fn request<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<ApiResponse<T>> {
        let body = match body {
            Some(b) => Body::Json(self.json_body(b)?),
            None => Body::None,
        };
        let response = self.send(method, path, &[], body).await?;
        self.read_json(response).await
    }

    /// Reads a JSON body within the timeout: a server that sends headers and
    /// then stalls must not hang the caller.
    pub(crate) async fn read_json<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
    ) -> Result<ApiResponse<T>> {
        let timeout = self.timeout();
        tokio::time::timeout(timeout, decode_json(response))
            .await
            .unwrap_or(Err(Error::Timeout { after: timeout }))
    }

    pub(crate) fn json_body<B: Serialize + ?Sized>(&self, body: &B) -> Result<Bytes> {
        let unserializable = |e: serde_json::Error| {
            Error::InvalidInput(format!("the request does not serialize: {e}"))
        };
        if self.options.extra_body.is_empty() {
            // The usual case: serialize once, straight to bytes.
            return serde_json::to_vec(body)
                .map(Bytes::from)
                .map_err(unserializable);
        }
        let mut value = serde_json::to_value(body).map_err(unserializable)?;
        let Some(object) = value.as_object_mut() else {
            return Err(Error::InvalidInput(
                "extra body fields need a JSON object body".into(),
            ));
        };
        for (k, v) in &self.options.extra_body {
            object.insert(k.clone(), v.clone());
        }
        serde_json::to_vec(&value)
            .map(Bytes::from)
            .map_err(unserializable)
    }

    /// Sends and decodes a JSON answer: what every resource method does.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
    ) -> Result<T> {
        let response = self.send(method, path, query, body).await?;
        Ok(self.read_json(response).await?.data)
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        self.call(Method::GET, path, query, Body::None).await
    }

    pub(crate) async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let body = Body::Json(self.json_body(body)?);
        self.call(Method::POST, path, &[], body).await
    }

    /// A POST without a body (an action such as cancelling a batch).
    pub(crate) async fn post_empty<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(Method::POST, path, &[], Body::None).await
    }

    pub(crate) async fn patch_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let body = Body::Json(self.json_body(body)?);
        self.call(Method::PATCH, path, &[], body).await
    }

    pub(crate) async fn delete_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(Method::DELETE, path, &[], Body::None).await
    }

    fn timeout(&self) -> Duration {
        self.options.timeout.unwrap_or(self.inner.config.timeout)
    }

    fn max_retries(&self) -> u32 {
        self.options
            .max_retries
            .unwrap_or(self.inner.config.max_retries)
    }

    fn build_request(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: &Body,
    ) -> Result<reqwest::RequestBuilder> {
        let url = format!(
            "{}/{}",
            self.inner.config.base_url,
            path.trim_start_matches('/')
        );
        let config = &self.inner.config;
        let mut request = self.inner.http.request(method.clone(), url);
        // Header by header: cloning whole maps into every request cost more
        // than the few headers in them.
        for (name, value) in &config.default_headers {
            request = request.header(name, value.clone());
        }
        request = request.header(
            reqwest::header::AUTHORIZATION,
            config.api_key.header_value(),
        );
        if !query.is_empty() {
            request = request.query(query);
        }
        if !self.options.extra_query.is_empty() {
            request = request.query(&self.options.extra_query);
        }
        if !self.options.extra_headers.is_empty() {
            // Replaces, so a per-call header overrides a default one.
            request = request.headers(self.options.extra_headers.clone());
        }
        match body {
            Body::None => {}
            Body::Json(bytes) => {
                request = request
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    )
                    .body(bytes.clone());
            }
            Body::Multipart(make) => request = request.multipart(make()?),
        }
        Ok(request)
    }

    /// Sends with retries and returns a 2xx response whose body is unread.
    ///
    /// The per-attempt timeout covers connecting and receiving the headers;
    /// callers bound the body read themselves (see [`Tensoras::read_json`]).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
    ) -> Result<reqwest::Response> {
        let max_retries = self.max_retries();
        let timeout = self.timeout();
        let mut retry = 0;
        loop {
            let request = self.build_request(&method, path, query, &body)?;
            let err = match tokio::time::timeout(timeout, request.send()).await {
                Err(_) => Error::Timeout { after: timeout },
                Ok(Err(e)) if e.is_timeout() => Error::Timeout { after: timeout },
                Ok(Err(e)) => Error::connection(e),
                Ok(Ok(response)) => {
                    self.capture(response.status().as_u16(), response.headers(), retry);
                    if response.status().is_success() {
                        return Ok(response);
                    }
                    // Boxed: the error path's state would otherwise make
                    // every request's future (moved into each task) larger.
                    Box::pin(error_from_response(response, timeout)).await
                }
            };
            let hint = err.as_api().and_then(|e| e.retry_after);
            // A server that asks for a longer wait than we honour gets its error back.
            let too_long = hint.is_some_and(|h| h > retry::MAX_RETRY_AFTER);
            if retry >= max_retries || !err.is_retryable() || too_long {
                return Err(err);
            }
            let delay = retry::delay(retry, hint);
            tracing::warn!(
                target: "tensoras::retry",
                %method,
                path,
                status = err.status(),
                attempt = retry + 1,
                max_retries,
                delay_ms = delay.as_millis() as u64,
                error = %err,
                "retrying request"
            );
            tokio::time::sleep(delay).await;
            retry += 1;
        }
    }

    fn capture(&self, status: u16, headers: &HeaderMap, retry: u32) {
        if let Some(capture) = &self.options.capture {
            capture.set(crate::capture::ResponseInfo {
                status,
                headers: headers.clone(),
                attempts: retry + 1,
            });
        }
    }
}

/// Reads a failed response into an [`Error`], bounded by `timeout`.
async fn error_from_response(mut response: reqwest::Response, timeout: Duration) -> Error {
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut());
    let body = match tokio::time::timeout(timeout, read_body(&mut response)).await {
        Ok(Ok(bytes)) => bytes,
        // The status is what matters; a body we could not read is reported empty.
        _ => Bytes::new(),
    };
    Error::from_api(ApiError::from_response(status, &headers, &body))
}

/// Reads a whole body: the first read as it is when it is all there is (no
/// copy), else the reads joined. Does what `Response::bytes` does with a
/// far smaller future, which every request's future carries (a request's
/// future above about 1 KiB is a slow allocation for each spawned task).
async fn read_body(response: &mut reqwest::Response) -> reqwest::Result<Bytes> {
    let Some(first) = response.chunk().await? else {
        return Ok(Bytes::new());
    };
    let Some(second) = response.chunk().await? else {
        return Ok(first);
    };
    // The declared length sizes the buffer, but only up to a bound: a
    // server's header must not make us allocate whatever it names.
    const MAX_PREALLOCATION: u64 = 16 << 20;
    let declared = response
        .content_length()
        .unwrap_or(0)
        .min(MAX_PREALLOCATION) as usize;
    let mut body = Vec::with_capacity(declared.max(first.len() + second.len()));
    body.extend_from_slice(&first);
    body.extend_from_slice(&second);
    while let Some(more) = response.chunk().await? {
        body.extend_from_slice(&more);
    }
    Ok(body.into())
}

/// Reads and decodes a JSON success body.
pub(crate) async fn decode_json<T: DeserializeOwned>(
    mut response: reqwest::Response,
) -> Result<ApiResponse<T>> {
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut()); // moved, not copied
    let body = read_body(&mut response).await.map_err(|e| {
        if e.is_timeout() {
            Error::Timeout {
                after: Duration::ZERO,
            }
        } else {
            Error::connection(e)
        }
    })?;
    let data = serde_json::from_slice(&body).map_err(|e| Error::decode(e.to_string(), &body))?;
    Ok(ApiResponse {
        data,
        status,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response_of(reads: &[&'static str]) -> reqwest::Response {
        let reads = reads
            .iter()
            .map(|r| Ok::<_, std::io::Error>(Bytes::from_static(r.as_bytes())));
        let body = reqwest::Body::wrap_stream(futures::stream::iter(reads.collect::<Vec<_>>()));
        reqwest::Response::from(http::Response::new(body))
    }

    #[tokio::test]
    async fn a_body_is_read_whole_in_one_read_or_many() {
        for reads in [
            &[][..],
            &["{\"a\":1}"][..],
            &["{\"a\"", ":1}"][..],
            &["{", "\"a\"", ":", "1", "}"][..],
        ] {
            let mut response = response_of(reads);
            let body = read_body(&mut response).await.expect("body");
            assert_eq!(body, reads.concat().as_bytes(), "{reads:?}");
        }
        // Decoded with the headers kept.
        let mut response = response_of(&["{\"a\"", ":1}"]);
        response
            .headers_mut()
            .insert("x-request-id", HeaderValue::from_static("req_1"));
        let decoded = decode_json::<serde_json::Value>(response)
            .await
            .expect("json");
        assert_eq!(decoded.data["a"], 1);
        assert_eq!(decoded.request_id().as_deref(), Some("req_1"));
    }
}
