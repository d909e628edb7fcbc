//! Sending a request and reading its answer within bounds: attempts with
//! retries, the timeout of each phase (connect, upload, wait, body), and
//! bodies read up to their limits.
//!
//! An attempt has two phases. While the body is going out, the write
//! timeout bounds each wait for the server to take more of it (progress is
//! seen as the HTTP stack pulls the next piece of the body); once it is all
//! out, the read timeout bounds the wait for the response head. Bodies and
//! streams are then read with the read timeout bounding each wait for bytes,
//! and the total timeout, when set, bounding everything.

use crate::error::{ApiError, Error, Result, TimeoutKind};
use crate::limits::Limits;
use bytes::Bytes;
use futures::Stream;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// Everything that bounds one call, resolved from the client's
/// configuration and options when the call starts.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) read: Duration,
    pub(crate) write: Duration,
    pub(crate) connect: Duration,
    /// The total timeout and the instant it runs out.
    pub(crate) deadline: Option<(Duration, Instant)>,
    pub(crate) max_retries: u32,
    pub(crate) limits: Limits,
    /// The same on every attempt of the call; `None` for `GET` and when off,
    /// and in [`Guarded`], which reads a body without it.
    pub(crate) idempotency_key: Option<reqwest::header::HeaderValue>,
}

/// `future`, cut at `deadline` (a call's total timeout and when it runs
/// out) if there is one; a deadline already past fails at once, sending
/// nothing (tokio's timers fire on the next millisecond, which a local call
/// can beat). (Takes the deadline, not the [`Settings`], so a call need not
/// copy its settings to move them into `future`.)
///
/// A concrete future, not an `async fn`: an `async fn` awaiting `future` in
/// two branches (bounded or not) holds room for it several times over, and
/// every call's future contains this one. The timer is boxed: inline, its
/// 112 bytes would be in every call's future, though only a call with a
/// total timeout has one.
pub(crate) fn within_total<F, T>(deadline: Option<(Duration, Instant)>, future: F) -> WithinTotal<F>
where
    F: Future<Output = Result<T>>,
{
    match deadline {
        None => WithinTotal::Unbounded { future },
        Some((total, at)) if at <= Instant::now() => WithinTotal::Expired { total },
        Some((total, at)) => WithinTotal::Bounded {
            future,
            timer: Box::pin(tokio::time::sleep_until(at)),
            total,
        },
    }
}

pin_project_lite::pin_project! {
    /// See [`within_total`].
    #[project = WithinTotalProjection]
    pub(crate) enum WithinTotal<F> {
        Unbounded { #[pin] future: F },
        Bounded { #[pin] future: F, timer: Pin<Box<Sleep>>, total: Duration },
        Expired { total: Duration },
    }
}

impl<F, T> Future for WithinTotal<F>
where
    F: Future<Output = Result<T>>,
{
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        match self.project() {
            WithinTotalProjection::Unbounded { future } => future.poll(cx),
            // The call first (an answer that is there wins over a timer
            // that fired in the same instant), then the timer — as
            // `tokio::time::Timeout` does, outside the task's cooperative
            // budget when the call used it up, so a call that always uses it
            // up still times out.
            WithinTotalProjection::Bounded {
                future,
                timer,
                total,
            } => {
                let had_budget = tokio::task::coop::has_budget_remaining();
                if let Poll::Ready(output) = future.poll(cx) {
                    return Poll::Ready(output);
                }
                let fired = if had_budget && !tokio::task::coop::has_budget_remaining() {
                    std::pin::pin!(tokio::task::coop::unconstrained(timer.as_mut()))
                        .poll(cx)
                        .is_ready()
                } else {
                    timer.as_mut().poll(cx).is_ready()
                };
                if fired {
                    Poll::Ready(Err(Error::timeout(*total, TimeoutKind::Total)))
                } else {
                    Poll::Pending
                }
            }
            WithinTotalProjection::Expired { total } => {
                Poll::Ready(Err(Error::timeout(*total, TimeoutKind::Total)))
            }
        }
    }
}

/// How far one attempt's upload has got.
///
/// What the client sees is the operating system taking each piece into the
/// socket; the last piece is taken while up to several megabytes still wait
/// in socket buffers for a slow server to read them. So the end of an upload
/// is followed by a drain, estimated from the upload's own steady rate, that
/// still counts as writing; the read timeout starts after it.
pub(crate) struct Progress {
    start: Instant,
    /// Nanoseconds from `start` to the last piece the HTTP stack took.
    last_write: AtomicU64,
    /// Whether the HTTP stack has taken a piece: until then the attempt is
    /// still connecting (or waiting for a connection).
    started: std::sync::atomic::AtomicBool,
    /// Nanoseconds from `start` to the end of the upload, drain included;
    /// `u64::MAX` while it is going on.
    done: AtomicU64,
    /// The pieces taken so far, as `drain` needs them.
    pieces: std::sync::Mutex<Pieces>,
    /// The write timeout, which bounds the estimated drain too.
    write: Duration,
    /// Woken when the upload ends, so the attempt arms the read timeout.
    phase: futures::task::AtomicWaker,
}

impl Progress {
    /// An attempt whose body goes out as a stream. (An attempt whose body
    /// is sent at once has none: it waits for the head from its start.)
    pub(crate) fn new(settings: &Settings) -> Arc<Progress> {
        Arc::new(Progress {
            start: Instant::now(),
            last_write: AtomicU64::new(0),
            started: std::sync::atomic::AtomicBool::new(false),
            done: AtomicU64::new(u64::MAX),
            pieces: std::sync::Mutex::new(Pieces::default()),
            write: settings.write,
            phase: futures::task::AtomicWaker::new(),
        })
    }

    fn since_start(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX - 2)
    }

    fn wrote(&self, bytes: usize) {
        let now = self.since_start();
        self.last_write.store(now, Ordering::Relaxed);
        self.started.store(true, Ordering::Relaxed);
        if let Ok(mut pieces) = self.pieces.lock() {
            pieces.push(now, bytes as u64);
        }
    }

    fn finished(&self) {
        if self.done.load(Ordering::Relaxed) != u64::MAX {
            return; // seen once already (the count, then the stream's end)
        }
        let now = self.since_start();
        let drain = self
            .pieces
            .lock()
            .map(|p| drain(&p.all(), self.write))
            .unwrap_or_default();
        let end = now.saturating_add(u64::try_from(drain.as_nanos()).unwrap_or(u64::MAX));
        self.done.store(end.min(u64::MAX - 1), Ordering::Relaxed);
        self.phase.wake();
    }

    /// When the current phase's wait runs out (`None`: never), and which
    /// timeout that is.
    fn expiry(&self, settings: &Settings) -> (Option<Instant>, TimeoutKind, Duration) {
        let at = |nanos: u64, limit: Duration| {
            later(self.start, Duration::from_nanos(nanos)).and_then(|from| later(from, limit))
        };
        if !self.started.load(Ordering::Relaxed) {
            // Connecting: the connect timeout bounds that, and the first
            // piece is then taken at once; the write timeout on top of it
            // bounds a connection that never asks for the body.
            let limit = settings.connect.saturating_add(settings.write);
            return (
                later(self.start, limit),
                TimeoutKind::Connect,
                settings.connect,
            );
        }
        match self.done.load(Ordering::Relaxed) {
            u64::MAX => (
                at(self.last_write.load(Ordering::Relaxed), settings.write),
                TimeoutKind::Write,
                settings.write,
            ),
            done => (at(done, settings.read), TimeoutKind::Read, settings.read),
        }
    }
}

/// The pieces of an upload, `(nanoseconds from its start, bytes taken so
/// far)`, kept at an even stride: a long upload in small pieces must not
/// grow this without bound (16 bytes a piece, for every piece of
/// gigabytes), and `drain` needs the first, one near the middle in time
/// and the last.
#[derive(Default)]
struct Pieces {
    /// Every `stride`-th piece, from the first.
    kept: Vec<(u64, u64)>,
    /// 1, doubled each time `kept` is full and thinned to every other one.
    stride: u64,
    /// Pieces seen.
    seen: u64,
    /// The last piece seen (kept or not), and so the running total.
    last: Option<(u64, u64)>,
}

/// The most pieces [`Pieces`] keeps.
const MAX_PIECES: usize = 1024;

impl Pieces {
    fn push(&mut self, at: u64, bytes: u64) {
        let total = self.last.map_or(0, |p| p.1).saturating_add(bytes);
        self.last = Some((at, total));
        self.stride = self.stride.max(1);
        if self.seen.is_multiple_of(self.stride) {
            if self.kept.len() >= MAX_PIECES {
                // Every other one kept: still an even stride, twice as long.
                let mut index = 0;
                self.kept.retain(|_| {
                    index += 1;
                    index % 2 == 1
                });
                self.stride = self.stride.saturating_mul(2);
            }
            if self.seen.is_multiple_of(self.stride) {
                self.kept.push((at, total));
            }
        }
        self.seen += 1;
    }

    /// The kept pieces and the last one.
    fn all(&self) -> Vec<(u64, u64)> {
        let mut all = self.kept.clone();
        if let Some(last) = self.last.filter(|last| all.last() != Some(last)) {
            all.push(last);
        }
        all
    }
}

/// How long a server plausibly still needs to read what the socket buffers
/// hold once the last piece is taken: the bytes the upload's steady rate
/// (over its second half) does not account for, at that rate. Nothing when
/// the upload was too short to show a rate; at most the write timeout per
/// piece of that backlog, as if each piece had been seen going.
fn drain(pieces: &[(u64, u64)], write: Duration) -> Duration {
    const MIN_SPAN: u64 = 100_000_000; // 100 ms
    const PIECE: u64 = 256 << 10;
    let (Some(&(first, _)), Some(&(last, total))) = (pieces.first(), pieces.last()) else {
        return Duration::ZERO;
    };
    let span = last.saturating_sub(first);
    if span < MIN_SPAN {
        return Duration::ZERO;
    }
    let middle = first + span / 2;
    // The bytes taken by the middle, between the pieces either side of it:
    // a long upload's record keeps only every n-th piece (see `Pieces`), and
    // the one before the middle may be far from it.
    let after = pieces.partition_point(|(t, _)| *t <= middle);
    let at_middle = match (after.checked_sub(1).map(|i| pieces[i]), pieces.get(after)) {
        (Some((t0, b0)), Some(&(t1, b1))) if t1 > t0 && b1 >= b0 => {
            b0 + ((b1 - b0) as f64 * (middle - t0) as f64 / (t1 - t0) as f64) as u64
        }
        (Some((_, b0)), _) => b0,
        (None, _) => 0,
    };
    let rate = (total - at_middle) as f64 / (span / 2) as f64; // bytes per ns
    if rate <= 0.0 {
        return Duration::ZERO;
    }
    let backlog = (total as f64 - rate * span as f64).max(0.0);
    let estimate = Duration::from_nanos((backlog / rate) as u64);
    let cap =
        write.saturating_mul(u32::try_from((backlog as u64).div_ceil(PIECE)).unwrap_or(u32::MAX));
    estimate.min(cap)
}

/// A body stream that reports each piece the HTTP stack takes, and its end.
pub(crate) struct Tracked<S> {
    inner: S,
    progress: Arc<Progress>,
    /// Bytes still to come of a body sent with its length: the HTTP stack
    /// stops polling a fixed-length body after its last byte (it never
    /// asks for the end), so the end is seen when the count reaches zero.
    left: Option<u64>,
}

impl<S> Tracked<S> {
    pub(crate) fn new(inner: S, progress: &Arc<Progress>) -> Self {
        Tracked {
            inner,
            progress: Arc::clone(progress),
            left: None,
        }
    }

    /// For a body of exactly `length` bytes.
    pub(crate) fn with_length(inner: S, progress: &Arc<Progress>, length: u64) -> Self {
        Tracked {
            left: Some(length),
            ..Tracked::new(inner, progress)
        }
    }
}

impl<S, T, E> Stream for Tracked<S>
where
    S: Stream<Item = std::result::Result<T, E>> + Unpin,
    T: AsRef<[u8]>,
{
    type Item = std::result::Result<T, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(piece))) => {
                let len = piece.as_ref().len();
                self.progress.wrote(len);
                if let Some(left) = &mut self.left {
                    *left = left.saturating_sub(len as u64);
                    if *left == 0 {
                        self.progress.finished();
                    }
                }
            }
            Poll::Ready(Some(Err(_))) => self.progress.wrote(0),
            Poll::Ready(None) => self.progress.finished(),
            Poll::Pending => {}
        }
        polled
    }
}

/// A JSON body above this is sent as a tracked stream (with its length), so
/// the write timeout sees it go out; a smaller one is sent at once.
pub(crate) const STREAM_JSON_ABOVE: usize = 256 << 10;
const JSON_PIECE: usize = 64 << 10;

/// `bytes` as a body whose progress `progress` sees.
pub(crate) fn tracked_bytes(bytes: Bytes, progress: &Arc<Progress>) -> reqwest::Body {
    let pieces: Vec<std::io::Result<Bytes>> = (0..bytes.len())
        .step_by(JSON_PIECE)
        .map(|at| Ok(bytes.slice(at..(at + JSON_PIECE).min(bytes.len()))))
        .collect();
    let length = bytes.len() as u64;
    reqwest::Body::wrap_stream(Tracked::with_length(
        futures::stream::iter(pieces),
        progress,
        length,
    ))
}

/// A transport failure as the caller's error.
pub(crate) fn transport_error(error: reqwest::Error, connect: Duration) -> Error {
    if error.is_timeout() && error.is_connect() {
        Error::timeout(connect, TimeoutKind::Connect)
    } else {
        Error::connection(error)
    }
}

/// One attempt: `send` (which uploads, then waits for the head), raced
/// against the timeout of whichever phase it is in. Without an upload's
/// `progress`, the attempt only waits for the head, from now.
pub(crate) async fn attempt(
    send: impl Future<Output = reqwest::Result<reqwest::Response>>,
    progress: Option<&Progress>,
    settings: &Settings,
) -> Result<reqwest::Response> {
    let start = Instant::now();
    let expiry = || match progress {
        Some(progress) => progress.expiry(settings),
        None => (
            later(start, settings.read),
            TimeoutKind::Read,
            settings.read,
        ),
    };
    let mut send = std::pin::pin!(send);
    // Armed at the current phase's expiry; none while the phase has no limit.
    let mut timer = std::pin::pin!(None::<Sleep>);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = send.as_mut().poll(cx) {
            return Poll::Ready(result.map_err(|e| transport_error(e, settings.connect)));
        }
        if let Some(progress) = progress {
            // The end of the upload changes the phase: be woken to re-arm.
            progress.phase.register(cx.waker());
        }
        loop {
            let (at, ..) = expiry();
            let Some(at) = at else {
                return Poll::Pending; // no limit in this phase
            };
            let Some(mut sleep) = timer.as_mut().as_pin_mut() else {
                timer.set(Some(tokio::time::sleep_until(at)));
                continue;
            };
            if sleep.deadline() != at {
                sleep.as_mut().reset(at);
            }
            if sleep.poll(cx).is_pending() {
                return Poll::Pending;
            }
            // It fired. Unless the phase moved on meanwhile (an upload that
            // made progress or ended), its wait ran out. (The clock is read
            // by the timer, not on every poll.)
            let (now_at, kind, after) = expiry();
            if now_at == Some(at) {
                return Poll::Ready(Err(Error::timeout(after, kind)));
            }
        }
    })
    .await
}

/// `from + limit`, or `None` for a limit over [`NO_LIMIT_ABOVE`]: such a
/// limit (`Duration::MAX` among them) is no limit at all. (Not merely
/// "whatever the clock can hold": tokio rounds a deadline up to the next
/// millisecond, which overflows in the clock's last one.)
pub(crate) fn later(from: Instant, limit: Duration) -> Option<Instant> {
    if limit > NO_LIMIT_ABOVE {
        return None;
    }
    from.checked_add(limit)
}

/// Thirty years: a timeout longer than this is none (as tokio's own "far
/// future" is).
pub(crate) const NO_LIMIT_ABOVE: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// The next piece of a response body within the read timeout.
async fn next_piece(
    response: &mut reqwest::Response,
    settings: &Settings,
) -> Result<Option<Bytes>> {
    match tokio::time::timeout(settings.read, response.chunk()).await {
        Err(_) => Err(Error::timeout(settings.read, TimeoutKind::Read)),
        Ok(Err(e)) => Err(transport_error(e, settings.connect)),
        Ok(Ok(piece)) => Ok(piece),
    }
}

/// Reads a whole success body, at most `limits.max_response_bytes`: the
/// first read as it is when it is all there is (no copy), else the reads
/// joined. (A small future on purpose: every request's future carries it.)
pub(crate) async fn read_body(
    response: &mut reqwest::Response,
    settings: &Settings,
) -> Result<Bytes> {
    let max = settings.limits.max_response_bytes;
    let too_large = || Error::limit("the response body (bytes)", max);
    if response.content_length().is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let Some(first) = next_piece(response, settings).await? else {
        return Ok(Bytes::new());
    };
    let Some(second) = next_piece(response, settings).await? else {
        return if first.len() as u64 > max {
            Err(too_large())
        } else {
            Ok(first)
        };
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
    loop {
        if body.len() as u64 > max {
            return Err(too_large());
        }
        match next_piece(response, settings).await? {
            Some(more) => body.extend_from_slice(&more),
            None => return Ok(body.into()),
        }
    }
}

/// Reads a failed response into an [`Error`]: at most
/// `limits.max_error_body_bytes` of its body, each wait bounded by the read
/// timeout. The rest is never read: dropping the response drops the
/// connection.
pub(crate) async fn error_from_response(
    mut response: reqwest::Response,
    settings: &Settings,
    attempts: u32,
) -> Error {
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut());
    let max = usize::try_from(settings.limits.max_error_body_bytes).unwrap_or(usize::MAX);
    let mut body = Vec::new();
    // The status is what matters; a body we cannot read is reported as far as it came.
    while body.len() < max {
        match next_piece(&mut response, settings).await {
            Ok(Some(piece)) => body.extend_from_slice(&piece[..piece.len().min(max - body.len())]),
            _ => break,
        }
    }
    let mut api = ApiError::from_response(status, &headers, &body);
    api.attempts = attempts;
    Error::from_api(api)
}

/// A response body as a stream whose every wait for bytes is bounded by the
/// read timeout, and the whole by the total timeout: for event streams and
/// downloads, which have no length bound.
pub(crate) struct Guarded {
    body: Option<Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>>,
    bounds: BodyBounds,
    /// When the current wait for bytes began (`None` while bytes flow): the
    /// read timeout bounds the server's silence, so it counts from here,
    /// not from the last piece — a caller that takes its time between
    /// pieces does not use it up.
    waiting_since: Option<Instant>,
    idle: Option<Pin<Box<Sleep>>>,
    total: Option<Pin<Box<Sleep>>>,
}

/// What reading a body needs of its call's [`Settings`]: of the rest —
/// the write timeout, retries, the idempotency key — the send is done with,
/// and kept they made every open stream 104 bytes larger (issue 21: the
/// body reader 208 → 104 bytes). (Nor the connect timeout: a body is
/// read from a connection already made, so its errors are never a connect
/// timeout.)
struct BodyBounds {
    read: Duration,
    deadline: Option<(Duration, Instant)>,
    max_response_bytes: u64,
}

impl Guarded {
    pub(crate) fn new(response: reqwest::Response, settings: Settings) -> Self {
        let total = settings
            .deadline
            .map(|(_, at)| Box::pin(tokio::time::sleep_until(at)));
        Guarded {
            body: Some(Box::pin(response.bytes_stream())),
            bounds: BodyBounds {
                read: settings.read,
                deadline: settings.deadline,
                max_response_bytes: settings.limits.max_response_bytes,
            },
            waiting_since: None,
            idle: None,
            total,
        }
    }

    /// The most bytes a whole body read into memory may have
    /// ([`Limits::max_response_bytes`]).
    pub(crate) fn max_response_bytes(&self) -> u64 {
        self.bounds.max_response_bytes
    }

    fn end(&mut self, error: Error) -> Poll<Option<Result<Bytes>>> {
        self.body = None; // drops the connection
        Poll::Ready(Some(Err(error)))
    }

    /// While waiting for bytes: the total timeout's timer, when there is one.
    fn poll_total(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        if let Some(total) = &mut self.total {
            if total.as_mut().poll(cx).is_ready() {
                let after = self.bounds.deadline.map_or(Duration::ZERO, |(d, _)| d);
                return self.end(Error::timeout(after, TimeoutKind::Total));
            }
        }
        Poll::Pending
    }
}

impl Stream for Guarded {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(body) = this.body.as_mut() else {
            return Poll::Ready(None);
        };
        match body.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                // No clock read per piece unless a total timeout is set; the
                // timer is only touched when a wait begins (below).
                this.waiting_since = None;
                if let Some((total, at)) = this.bounds.deadline {
                    if Instant::now() >= at {
                        return this.end(Error::timeout(total, TimeoutKind::Total));
                    }
                }
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(Some(Err(e))) => this.end(Error::connection(e)),
            Poll::Ready(None) => {
                this.body = None;
                Poll::Ready(None)
            }
            Poll::Pending => {
                let since = *this.waiting_since.get_or_insert_with(Instant::now);
                let Some(idle_at) = later(since, this.bounds.read) else {
                    return this.poll_total(cx); // no read limit
                };
                let idle = match &mut this.idle {
                    Some(timer) => {
                        if timer.deadline() != idle_at {
                            timer.as_mut().reset(idle_at);
                        }
                        timer
                    }
                    None => this
                        .idle
                        .insert(Box::pin(tokio::time::sleep_until(idle_at))),
                };
                if idle.as_mut().poll(cx).is_ready() {
                    let read = this.bounds.read;
                    return this.end(Error::timeout(read, TimeoutKind::Read));
                }
                this.poll_total(cx)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_limit_past_thirty_years_is_none() {
        let now = Instant::now();
        assert_eq!(later(now, Duration::ZERO), Some(now));
        assert_eq!(later(now, NO_LIMIT_ABOVE), Some(now + NO_LIMIT_ABOVE));
        for limit in [
            NO_LIMIT_ABOVE + Duration::from_nanos(1),
            Duration::from_secs(u64::MAX / 2),
            Duration::MAX,
        ] {
            assert_eq!(later(now, limit), None, "{limit:?}");
        }
        // The longest limit still kept can be slept on (tokio rounds it up
        // to the next millisecond without overflowing).
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let at = later(Instant::now(), NO_LIMIT_ABOVE).unwrap();
            let sleep = tokio::time::sleep_until(at);
            let polled = futures::poll!(Box::pin(sleep));
            assert!(polled.is_pending());
        });
    }

    #[test]
    fn the_total_timeout_fires_even_when_the_call_uses_up_its_budget() {
        // A call that spends the task's whole cooperative budget on every
        // poll: its timer must still be seen (as tokio's own `Timeout` sees
        // its own), else the call would never time out.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let outcome = rt.block_on(async {
            let total = Duration::from_millis(20);
            let busy = async {
                loop {
                    tokio::task::coop::consume_budget().await;
                }
                #[allow(unreachable_code)]
                Ok::<(), Error>(())
            };
            let deadline = later(Instant::now(), total).map(|at| (total, at));
            assert!(deadline.is_some());
            let bounded = within_total(deadline, busy);
            // Bounded in turn, so a regression fails instead of hanging.
            tokio::time::timeout(Duration::from_secs(20), bounded).await
        });
        match outcome {
            Ok(Err(Error::Timeout { after, kind, .. })) => {
                assert_eq!(
                    (after, kind),
                    (Duration::from_millis(20), TimeoutKind::Total)
                );
            }
            Ok(other) => panic!("{other:?}"),
            Err(_) => panic!("the total timeout never fired"),
        }
    }

    #[test]
    fn the_drain_is_the_backlog_at_the_steady_rate() {
        // 4 MiB taken at once, then 12 MiB at 3 MiB/s: 4 MiB were waiting.
        let mut pieces = vec![(0, 4u64 << 20)];
        for i in 1..=48u64 {
            pieces.push((i * 250 * MS / 3, (4 << 20) + i * (256 << 10)));
        }
        let d = drain(&pieces, Duration::from_secs(2));
        assert!(
            d > Duration::from_millis(1200) && d < Duration::from_millis(1500),
            "{d:?}"
        );
        // Capped at the write timeout per piece of the backlog.
        assert_eq!(
            drain(&pieces, Duration::from_millis(1)),
            Duration::from_millis(16)
        );
        // Too short to show a rate, or no pieces: no drain.
        assert_eq!(
            drain(&[(0, 1 << 20), (10 * MS, 2 << 20)], Duration::from_secs(2)),
            Duration::ZERO
        );
        assert_eq!(drain(&[], Duration::from_secs(2)), Duration::ZERO);
        // A steady upload leaves no backlog.
        let steady: Vec<_> = (0..40u64).map(|i| (i * 10 * MS, (i + 1) * 1000)).collect();
        assert!(drain(&steady, Duration::from_secs(2)) < Duration::from_millis(20));
    }

    #[test]
    fn an_upload_in_many_pieces_keeps_a_bounded_record_at_an_even_stride() {
        // The drain test's upload (4 MiB at once, then 12 MiB at 3 MiB/s),
        // in 49,152 pieces of 256 bytes: the same backlog, about 1.33 s.
        let mut pieces = Pieces::default();
        pieces.push(0, 4 << 20);
        let n = (12u64 << 20) / 256;
        for i in 1..=n {
            pieces.push(i * 4_000 * MS / n, 256);
        }
        assert!(pieces.kept.len() <= 1024, "{}", pieces.kept.len());
        let all = pieces.all();
        assert_eq!(all[0], (0, 4 << 20));
        assert_eq!(*all.last().unwrap(), (4_000 * MS, 16 << 20));
        let d = drain(&all, Duration::from_secs(2));
        assert!(
            d > Duration::from_millis(1200) && d < Duration::from_millis(1500),
            "{d:?}"
        );
        // The same rate in 256 KiB pieces, for long enough that only every
        // 128th is kept, the middle between two of them: the backlog is
        // still the 4 MiB taken at once (1.33 s at 3 MiB/s).
        for n in [5_596u64, 69_152] {
            let mut pieces = Pieces::default();
            pieces.push(0, 4 << 20);
            for i in 1..=n {
                pieces.push(i * 250 * MS / 3, 256 << 10);
            }
            assert!(pieces.kept.len() <= 1024, "{}", pieces.kept.len());
            let d = drain(&pieces.all(), Duration::from_secs(2));
            assert!(
                d > Duration::from_millis(1200) && d < Duration::from_millis(1500),
                "{n} pieces: {d:?}"
            );
        }
    }
}
