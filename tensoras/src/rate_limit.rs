//! The `X-RateLimit-*` headers, readable from every response.

use reqwest::header::HeaderMap;

/// Rate-limit state the server reported with a response.
///
/// ```
/// let mut headers = tensoras::header::HeaderMap::new();
/// headers.insert("x-ratelimit-remaining", "598".parse().unwrap());
/// let limit = tensoras::RateLimit::from_headers(&headers);
/// assert_eq!(limit.remaining, Some(598));
/// assert_eq!(limit.limit, None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// `X-RateLimit-Limit`: requests allowed per minute.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`: requests left in the current window.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`: Unix time in seconds when the window resets.
    pub reset: Option<u64>,
}

impl RateLimit {
    /// Reads the headers; a missing or malformed header is `None`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        };
        RateLimit {
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining"),
            reset: number("x-ratelimit-reset"),
        }
    }
}

/// The request id header (`x-request-id`, or `request-id`).
pub(crate) fn request_id(headers: &HeaderMap) -> Option<&str> {
    ["x-request-id", "request-id"]
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
}
