//! A response with its metadata, and the two ways a resource method returns:
//! the decoded body ([`Parsed`], the default) or the whole [`ApiResponse`]
//! ([`Raw`], through `with_raw_response()`).

use crate::rate_limit::RateLimit;
use reqwest::header::HeaderMap;

/// A decoded body with the response it came in: status, headers, request
/// id, rate limit, and how many attempts the call took. Each call gets its
/// own; nothing is shared between calls.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
/// let raw = client.models().with_raw_response().list().await?;
/// println!(
///     "{} models, status {}, request {:?}, {:?} requests left, {} attempt(s)",
///     raw.data.data.len(),
///     raw.status,
///     raw.request_id(),
///     raw.rate_limit().remaining,
///     raw.attempts,
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiResponse<T> {
    /// The decoded body.
    pub data: T,
    /// The HTTP status.
    pub status: u16,
    /// Every response header.
    pub headers: HeaderMap,
    /// How many requests the call took (1 + retries).
    pub attempts: u32,
}

impl<T> ApiResponse<T> {
    pub(crate) fn new(data: T, status: u16, headers: HeaderMap, attempts: u32) -> Self {
        ApiResponse {
            data,
            status,
            headers,
            attempts,
        }
    }

    /// The `X-RateLimit-*` headers of this response.
    pub fn rate_limit(&self) -> RateLimit {
        RateLimit::from_headers(&self.headers)
    }

    /// The `x-request-id` header.
    pub fn request_id(&self) -> Option<&str> {
        crate::rate_limit::request_id(&self.headers)
    }

    /// The body, without the metadata.
    pub fn into_data(self) -> T {
        self.data
    }

    /// The same response with its body changed by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ApiResponse<U> {
        ApiResponse {
            data: f(self.data),
            status: self.status,
            headers: self.headers,
            attempts: self.attempts,
        }
    }
}

/// What a resource method returns for a body `T`: `T` itself ([`Parsed`])
/// or the [`ApiResponse<T>`] ([`Raw`]).
///
/// The resource namespaces take it as a type parameter, so every method
/// has its raw form without a second method:
/// `client.files().with_raw_response().retrieve(id)`.
pub trait Mode: Send + Sync + 'static + sealed::Sealed {
    /// The method's return value for a body `T`.
    type Output<T: Send + 'static>: Send + 'static;
    /// Turns a whole response into the return value.
    fn output<T: Send + 'static>(response: ApiResponse<T>) -> Self::Output<T>;
}

/// Methods return the decoded body (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct Parsed;

/// Methods return the [`ApiResponse`]: body, status, headers, request id.
#[derive(Debug, Clone, Copy, Default)]
pub struct Raw;

impl Mode for Parsed {
    type Output<T: Send + 'static> = T;
    fn output<T: Send + 'static>(response: ApiResponse<T>) -> T {
        response.data
    }
}

impl Mode for Raw {
    type Output<T: Send + 'static> = ApiResponse<T>;
    fn output<T: Send + 'static>(response: ApiResponse<T>) -> ApiResponse<T> {
        response
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Parsed {}
    impl Sealed for super::Raw {}
}
