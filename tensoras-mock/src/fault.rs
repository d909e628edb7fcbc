//! Faults as API: armed on the server ([`crate::MockServer::inject`]), they
//! apply to the next requests (of one operation, or of any), scripted or
//! answered by the fake. Faults of one kind queue up: two `Fault::status`
//! faults of one request each fail two requests, in the order injected.

use crate::store::Store;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use serde_json::json;
use std::time::Duration;
use tensoras::operations::Operation;

/// A fault to inject: what goes wrong, how often, and for which operation.
///
/// ```
/// use std::time::Duration;
/// use tensoras::prelude::*;
/// use tensoras::operations::CreateChatCompletion;
/// use tensoras_mock::{Fault, MockServer};
///
/// let server = MockServer::start_blocking();
/// // Two 503s, then the fake answers: the SDK's two retries get through.
/// server.inject(Fault::status(503).times(2).on::<CreateChatCompletion>());
/// let client = server.blocking_client();
/// let answer = client.chat().completions().create(
///     ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hi")]),
/// )?;
/// assert!(!answer.text().is_empty());
/// assert_eq!(server.requests().len(), 3);
/// # Ok::<(), tensoras::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Fault {
    pub(crate) kind: Kind,
    pub(crate) times: Option<u64>,
    pub(crate) route: Option<(&'static str, &'static str)>,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    StallBeforeHead(Duration),
    StallMidStream {
        after: usize,
        pause: Duration,
    },
    Cut {
        after: usize,
    },
    SlowTokens(Duration),
    RateLimit {
        limit: u64,
        remaining: u64,
        reset: Duration,
    },
    Reset,
}

impl Fault {
    fn new(kind: Kind) -> Fault {
        Fault {
            kind,
            times: None,
            route: None,
        }
    }

    /// Fails with `status` and the API's error body (`server_error` for
    /// 5xx, `rate_limit_error` for 429, `invalid_request_error` otherwise).
    /// A status that is not a final HTTP status (below 200, above 999) is
    /// sent as 500.
    pub fn status(status: u16) -> Fault {
        Fault::new(Kind::Status {
            status,
            retry_after: None,
        })
    }

    /// Adds `retry-after` (whole seconds, rounded up) and `retry-after-ms`
    /// to a [`Fault::status`] failure; other faults ignore it.
    pub fn retry_after(mut self, wait: Duration) -> Fault {
        if let Kind::Status { retry_after, .. } = &mut self.kind {
            *retry_after = Some(wait);
        }
        self
    }

    /// Waits `pause` before the response head (the client sees no byte).
    pub fn stall_before_head(pause: Duration) -> Fault {
        Fault::new(Kind::StallBeforeHead(pause))
    }

    /// In an event stream, waits `pause` after the first `after` events
    /// (keep-alive comments count as events). The fake, scripts and
    /// cassettes write one event per frame; while recording, the frames are
    /// the upstream's network chunks, which may hold several events.
    pub fn stall_mid_stream(after: usize, pause: Duration) -> Fault {
        Fault::new(Kind::StallMidStream { after, pause })
    }

    /// In an event stream, sends the first `after` events and half of the
    /// next one, then drops the connection: a stream cut mid-event (events
    /// counted as in [`Fault::stall_mid_stream`]).
    pub fn cut_stream(after: usize) -> Fault {
        Fault::new(Kind::Cut { after })
    }

    /// In an event stream, waits `pause` before every event.
    pub fn slow_tokens(pause: Duration) -> Fault {
        Fault::new(Kind::SlowTokens(pause))
    }

    /// Sends these rate-limit headers (`x-ratelimit-limit`,
    /// `x-ratelimit-remaining`, `x-ratelimit-reset` as a Unix time `reset`
    /// from now) instead of the server's own.
    pub fn rate_limit(limit: u64, remaining: u64, reset: Duration) -> Fault {
        Fault::new(Kind::RateLimit {
            limit,
            remaining,
            reset,
        })
    }

    /// Resets the connection (TCP RST) as the request arrives, before any
    /// response. It acts on the request line, before the headers are read,
    /// so it counts requests whatever their key; the other faults count only
    /// requests the key lets in.
    pub fn reset() -> Fault {
        Fault::new(Kind::Reset)
    }

    /// Applies to the next `n` requests only (default: every request).
    pub fn times(mut self, n: u64) -> Fault {
        self.times = Some(n);
        self
    }

    /// Applies to requests of the operation `O` only (default: any).
    pub fn on<O: Operation>(mut self) -> Fault {
        self.route = Some((O::METHOD.as_str(), O::PATH));
        self
    }

    pub(crate) fn on_route(mut self, method: &'static str, template: &'static str) -> Fault {
        self.route = Some((method, template));
        self
    }
}

/// An injected fault and how many more requests it applies to.
pub(crate) struct Armed {
    fault: Fault,
    left: Option<u64>,
}

impl Armed {
    pub(crate) fn new(fault: Fault) -> Armed {
        Armed {
            left: fault.times,
            fault,
        }
    }
}

/// Which faults act where. A request takes the first armed fault of each
/// stage that applies to it (injected earlier, acting earlier), except on
/// streams, where every armed stream fault acts together (slow tokens and a
/// cut, say).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// At the socket, before HTTP: resets.
    Connection,
    /// Before the response: statuses and stalls.
    Head,
    /// On an event stream's body.
    Stream,
    /// On the response headers.
    Headers,
}

fn stage(kind: &Kind) -> Stage {
    match kind {
        Kind::Reset => Stage::Connection,
        Kind::Status { .. } | Kind::StallBeforeHead(_) => Stage::Head,
        Kind::StallMidStream { .. } | Kind::Cut { .. } | Kind::SlowTokens(_) => Stage::Stream,
        Kind::RateLimit { .. } => Stage::Headers,
    }
}

/// Takes the faults of `stage` that apply to this request (see [`Stage`]),
/// using up one of each one's count.
pub(crate) fn take(store: &mut Store, stage_: Stage, method: &str, path: &str) -> Vec<Kind> {
    let mut taken = Vec::new();
    for armed in &mut store.faults {
        if stage(&armed.fault.kind) != stage_ || armed.left == Some(0) {
            continue;
        }
        if let Some((m, template)) = armed.fault.route {
            if m != method || !crate::script::path_matches(template, path) {
                continue;
            }
        }
        if let Some(left) = &mut armed.left {
            *left -= 1;
        }
        taken.push(armed.fault.kind.clone());
        if stage_ != Stage::Stream {
            break;
        }
    }
    store.faults.retain(|a| a.left != Some(0));
    taken
}

/// The failure of a [`Fault::status`].
pub(crate) fn failure(status: u16, retry_after: Option<Duration>) -> Response {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|s| s.as_u16() >= 200)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let kind = match status.as_u16() {
        429 => "rate_limit_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        s if s >= 500 => "server_error",
        _ => "invalid_request_error",
    };
    let mut response = (
        status,
        axum::Json(
            json!({"error": {"message": format!("injected {}", status.as_u16()),
            "type": kind, "code": "injected", "param": null}}),
        ),
    )
        .into_response();
    if let Some(wait) = retry_after {
        response.headers_mut().extend(retry_after_headers(wait));
    }
    response
}

/// `retry-after` (whole seconds, rounded up) and `retry-after-ms` for a
/// wait: the one way scripts, faults and the control endpoint say it. Any
/// `Duration` works (milliseconds past `u64::MAX` are sent as `u64::MAX`).
pub(crate) fn retry_after_headers(wait: Duration) -> [(HeaderName, HeaderValue); 2] {
    let secs = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0));
    let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
    [
        (
            HeaderName::from_static("retry-after"),
            HeaderValue::from(secs),
        ),
        (
            HeaderName::from_static("retry-after-ms"),
            HeaderValue::from(ms),
        ),
    ]
}

/// Applies stream faults to an event stream's body, frame by frame (the
/// server writes one event per frame).
pub(crate) fn shape_stream(response: Response, faults: Vec<Kind>) -> Response {
    if faults.is_empty() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let shaped = body
        .into_data_stream()
        .enumerate()
        .flat_map(move |(i, frame)| {
            let mut pause = Duration::ZERO;
            let mut cut = false;
            for fault in &faults {
                match fault {
                    Kind::SlowTokens(p) => pause = pause.saturating_add(*p),
                    Kind::StallMidStream { after, pause: p } if i == *after => {
                        pause = pause.saturating_add(*p)
                    }
                    Kind::Cut { after } if i >= *after => cut = true,
                    _ => {}
                }
            }
            let items: Vec<Result<bytes::Bytes, std::io::Error>> = match frame {
                Ok(bytes) if cut => vec![
                    Ok(bytes.slice(..bytes.len() / 2)),
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "tensoras-mock: stream cut by a fault",
                    )),
                ],
                Ok(bytes) => vec![Ok(bytes)],
                Err(e) => vec![Err(std::io::Error::other(e))],
            };
            let mut items = Some(items);
            futures::stream::once(async move {
                // tokio's sleep takes any Duration (a far deadline for MAX).
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
            })
            .map(move |()| futures::stream::iter(items.take().unwrap_or_default()))
            .flatten()
        })
        .scan(false, |ended, item| {
            // Nothing after the cut.
            if *ended {
                return futures::future::ready(None);
            }
            *ended = item.is_err();
            futures::future::ready(Some(item))
        });
    Response::from_parts(parts, Body::from_stream(shaped))
}

/// Sets the rate-limit headers of a [`Fault::rate_limit`].
pub(crate) fn rate_limit_headers(response: &mut Response, faults: &[Kind]) {
    for fault in faults {
        if let Kind::RateLimit {
            limit,
            remaining,
            reset,
        } = fault
        {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            let headers = response.headers_mut();
            headers.insert("x-ratelimit-limit", HeaderValue::from(*limit));
            headers.insert("x-ratelimit-remaining", HeaderValue::from(*remaining));
            headers.insert(
                "x-ratelimit-reset",
                HeaderValue::from(now.saturating_add(reset.as_secs())),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn retry_after_rounds_seconds_up_and_takes_any_duration() {
        let text =
            |wait| super::retry_after_headers(wait).map(|(_, v)| v.to_str().unwrap().to_owned());
        assert_eq!(text(Duration::from_millis(1500)), ["2", "1500"]);
        assert_eq!(text(Duration::from_secs(3)), ["3", "3000"]);
        assert_eq!(text(Duration::ZERO), ["0", "0"]);
        assert_eq!(
            text(Duration::MAX),
            [u64::MAX.to_string(), u64::MAX.to_string()]
        );
    }
}
