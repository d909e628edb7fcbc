//! When to retry and how long to wait.

use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};

/// The first backoff; doubled on each attempt.
const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// The most we ever back off on our own.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// The most we honour from a server's `Retry-After`; a longer wait is not a
/// retry the caller would want to sit through, so the error is returned.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// 408, 409, 429 and 500/502/503/504.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429 | 500 | 502 | 503 | 504)
}

/// `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, SystemTime::now())
}

fn retry_after_at(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms.min(1e9) / 1000.0));
        }
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e9)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The wait before retry number `retry` (0-based): the server's `Retry-After`
/// when it gave a sane one, else exponential backoff with full jitter between
/// half and all of `0.5 s * 2^retry`, capped at 8 s.
pub(crate) fn delay(retry: u32, server_hint: Option<Duration>) -> Duration {
    if let Some(hint) = server_hint {
        if hint <= MAX_RETRY_AFTER {
            return hint;
        }
    }
    let base = INITIAL_BACKOFF
        .saturating_mul(1u32 << retry.min(16))
        .min(MAX_BACKOFF);
    // Jitter keeps many clients that failed together from retrying together.
    base.mul_f64(1.0 - 0.5 * fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after_at(&headers(&[("retry-after", "12")]), now),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            retry_after_at(&headers(&[("retry-after", "0.5")]), now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            retry_after_at(
                &headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                now
            ),
            Some(Duration::from_millis(250))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            retry_after_at(&headers(&[("retry-after", &date)]), now),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(
            retry_after_at(&headers(&[("retry-after", &past)]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after_at(&headers(&[("retry-after", "soon")]), now),
            None
        );
        assert_eq!(
            retry_after_at(&headers(&[("retry-after", "-3")]), now),
            None
        );
        assert_eq!(retry_after_at(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        for retry in 0..20 {
            let d = delay(retry, None);
            let base = INITIAL_BACKOFF
                .saturating_mul(1 << retry.min(16))
                .min(MAX_BACKOFF);
            assert!(
                d <= base && d >= base / 2,
                "retry {retry}: {d:?} vs {base:?}"
            );
        }
        assert_eq!(
            delay(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert!(delay(0, Some(Duration::from_secs(3600))) <= INITIAL_BACKOFF);
    }
}
