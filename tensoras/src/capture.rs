//! Raw-response access for any call: status and headers.

use crate::rate_limit::RateLimit;
use reqwest::header::HeaderMap;
use std::sync::{Arc, Mutex};

/// Records the status and headers of the HTTP responses of calls made
/// through a client built with [`RequestOptions::capture`](crate::RequestOptions::capture).
///
/// Every resource method returns only its decoded body; a capture gives the
/// rest of the response — for any call, without a second method per call.
/// It keeps the most recent response (after retries: the final one).
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
/// use tensoras::{RequestOptions, ResponseCapture};
///
/// let capture = ResponseCapture::new();
/// let models = client
///     .with_options(RequestOptions::new().capture(&capture))
///     .models()
///     .list()
///     .await?;
/// let info = capture.get().expect("a response was received");
/// println!("{} models, status {}, request {:?}, {:?} requests left",
///     models.data.len(), info.status, info.request_id(), info.rate_limit().remaining);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ResponseCapture(Arc<Mutex<Option<ResponseInfo>>>);

/// The status and headers of one HTTP response (see [`ResponseCapture`]).
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
/// let capture = tensoras::ResponseCapture::new();
/// let _ = client
///     .with_options(tensoras::RequestOptions::new().capture(&capture))
///     .models()
///     .retrieve("llama-3.3-70b")
///     .await;
/// if let Some(info) = capture.get() {
///     println!("{} after {} attempt(s)", info.status, info.attempts);
///     println!("content type {:?}", info.headers.get("content-type"));
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResponseInfo {
    /// The HTTP status.
    pub status: u16,
    /// Every response header.
    pub headers: HeaderMap,
    /// How many requests the call took (1 + retries).
    pub attempts: u32,
}

impl ResponseInfo {
    /// The `X-RateLimit-*` headers.
    pub fn rate_limit(&self) -> RateLimit {
        RateLimit::from_headers(&self.headers)
    }

    /// The `x-request-id` header.
    pub fn request_id(&self) -> Option<String> {
        crate::rate_limit::request_id(&self.headers)
    }
}

impl ResponseCapture {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// The most recent response, if any arrived.
    pub fn get(&self) -> Option<ResponseInfo> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }

    pub(crate) fn set(&self, info: ResponseInfo) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(info);
        }
    }
}
