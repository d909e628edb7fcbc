//! When to retry and how long to wait (the table is on
//! [`ClientBuilder::max_retries`](crate::ClientBuilder::max_retries)).

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::time::{Duration, SystemTime};

/// The first backoff; doubled on each attempt.
const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// The most we ever back off on our own.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// The most we honour from a server's `Retry-After`; a longer wait is not
/// honoured (normal backoff applies), so a server cannot park a client.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The header sent on every attempt with how many attempts came before it.
pub(crate) const RETRY_COUNT_HEADER: HeaderName = HeaderName::from_static("x-tensoras-retry-count");
/// The header carrying a key that is the same on every attempt of a call.
pub(crate) const IDEMPOTENCY_HEADER: HeaderName = HeaderName::from_static("idempotency-key");

/// The retry-count header's value; the counts a call can usually reach are
/// static (every request sends one, so no allocation for it).
pub(crate) fn retry_count_value(retry: u32) -> HeaderValue {
    const COUNTS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    match COUNTS.get(retry as usize) {
        Some(count) => HeaderValue::from_static(count),
        None => HeaderValue::from(retry),
    }
}

/// 408, 409, 429 and every status from 500 on.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || status >= 500
}

/// `x-should-retry: true|false`, the server's own word on retrying.
pub(crate) fn should_retry_header(headers: &HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()?.trim() {
        v if v.eq_ignore_ascii_case("true") => Some(true),
        v if v.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date (a
/// past date is zero); as the server sent it, honoured or not.
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

/// The wait before retry number `retry` (0-based): the server's
/// `Retry-After` when it is more than zero and at most
/// [`MAX_RETRY_AFTER`], else exponential backoff with jitter between half
/// and all of `0.5 s * 2^retry`, capped at 8 s. (Zero, a past date or a
/// wait past the cap gets the backoff: retrying at once would hammer a
/// server that is already failing.)
pub(crate) fn delay(retry: u32, server_hint: Option<Duration>) -> Duration {
    if let Some(hint) = server_hint {
        if hint > Duration::ZERO && hint <= MAX_RETRY_AFTER {
            return hint;
        }
    }
    let base = INITIAL_BACKOFF
        .saturating_mul(1u32 << retry.min(16))
        .min(MAX_BACKOFF);
    // Jitter keeps many clients that failed together from retrying together.
    base.mul_f64(1.0 - 0.5 * fastrand::f64())
}

/// A new idempotency key, `tensoras-` and 128 random bits in hex, ready as
/// a header value (cheap to clone onto every attempt).
pub(crate) fn idempotency_key() -> HeaderValue {
    const PREFIX: &[u8; 9] = b"tensoras-";
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut key = [0u8; 9 + 32];
    key[..9].copy_from_slice(PREFIX);
    let bits = fastrand::u128(..);
    for (i, out) in key[9..].iter_mut().enumerate() {
        *out = HEX[((bits >> (124 - 4 * i)) & 0xf) as usize];
    }
    // Only ASCII letters, digits and `-`: always a valid header value.
    HeaderValue::from_bytes(&key).unwrap_or_else(|_| HeaderValue::from_static("tensoras-0"))
}

/// Whether a create call that failed with `error` surely made nothing, so
/// that a file uploaded for it can be deleted: a 4xx the retry policy does
/// not retry (see [`Error::is_retryable`](crate::Error::is_retryable)), answering the call's first and
/// only attempt. A status it retries (408, 409, 429, or any the server
/// marked `x-should-retry: true`) may answer a retry, under the same
/// idempotency key, of an attempt that did create the object and whose
/// response was lost; a timeout, a broken connection or a 5xx may itself be
/// such an attempt; and after one of those, even a 400 may be the server
/// refusing a second use of what the first attempt made.
pub(crate) fn created_nothing(error: &crate::Error) -> bool {
    error.as_api().is_some_and(|api| {
        api.attempts == 1 && (400..500).contains(&api.status_code) && !error.is_retryable()
    })
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
        // The documented schedule: between half and all of 0.5 s, 1 s, 2 s,
        // 4 s, then 8 s for every later retry (written out, not recomputed).
        let ms = Duration::from_millis;
        let schedule = [
            (0, ms(250), ms(500)),
            (1, ms(500), ms(1000)),
            (2, ms(1000), ms(2000)),
            (3, ms(2000), ms(4000)),
            (4, ms(4000), ms(8000)),
            (5, ms(4000), ms(8000)),
            (31, ms(4000), ms(8000)),
            (u32::MAX, ms(4000), ms(8000)),
        ];
        for (retry, low, high) in schedule {
            let mut seen = Vec::new();
            for _ in 0..200 {
                let d = delay(retry, None);
                assert!(
                    d >= low && d <= high,
                    "retry {retry}: {d:?} not in {low:?}..={high:?}"
                );
                seen.push(d);
            }
            // Jitter: the waits are spread, not one value.
            seen.sort();
            assert!(
                seen[199] - seen[0] > (high - low) / 4,
                "retry {retry}: {seen:?}"
            );
        }
        assert_eq!(
            delay(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        // Not honoured: zero (or a past date), and longer than the cap.
        for hint in [Duration::ZERO, Duration::from_secs(3600)] {
            let d = delay(0, Some(hint));
            assert!(
                d >= INITIAL_BACKOFF / 2 && d <= INITIAL_BACKOFF,
                "{hint:?}: {d:?}"
            );
        }
    }

    #[test]
    fn statuses_and_the_servers_word() {
        for status in [
            408, 409, 429, 500, 501, 502, 503, 504, 520, 522, 524, 529, 599,
        ] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 410, 413, 422] {
            assert!(!is_retryable_status(status), "{status}");
        }
        assert_eq!(
            should_retry_header(&headers(&[("x-should-retry", "true")])),
            Some(true)
        );
        assert_eq!(
            should_retry_header(&headers(&[("x-should-retry", "FALSE")])),
            Some(false)
        );
        assert_eq!(
            should_retry_header(&headers(&[("x-should-retry", "maybe")])),
            None
        );
        let key = idempotency_key();
        assert_eq!(key.len(), "tensoras-".len() + 32);
        assert_ne!(key, idempotency_key());
    }

    #[test]
    fn only_a_first_attempts_plain_refusal_proves_nothing_was_made() {
        let headers = reqwest::header::HeaderMap::new();
        let refused = |status, attempts| {
            let mut api = crate::ApiError::from_response(status, &headers, b"{}");
            api.attempts = attempts;
            crate::Error::from_api(api)
        };
        assert!(created_nothing(&refused(400, 1)));
        assert!(created_nothing(&refused(404, 1)));
        assert!(created_nothing(&refused(422, 1)));
        // After an earlier attempt that may have made it.
        assert!(!created_nothing(&refused(400, 2)));
        // Statuses that are retried, or a server error.
        assert!(!created_nothing(&refused(409, 1)));
        assert!(!created_nothing(&refused(429, 1)));
        assert!(!created_nothing(&refused(500, 1)));
        // Not from a call's retry loop: unknown.
        assert!(!created_nothing(&refused(400, 0)));
    }
}
