//! The server's TCP listener: counts connections (to show the client reuses
//! them) and resets a connection before any response when a request carries
//! `x-mock-reset` — something no HTTP handler can do, because by then the
//! server has committed to answering.
//!
//! `x-mock-reset: always` resets every such request; `x-mock-reset: KEY/N`
//! resets the first N requests that carry KEY, so a retry can succeed.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

const MARKER: &[u8] = b"x-mock-reset:";
/// Bytes kept between reads, so a header split across two reads is seen.
const TAIL: usize = 512;

/// Shared by the listener and its connections.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) connections: AtomicUsize,
    resets: Mutex<HashMap<String, u32>>,
}

impl Counters {
    /// Whether the request whose `x-mock-reset` value is `value` is reset.
    fn take_reset(&self, value: &str) -> bool {
        if value == "always" {
            return true;
        }
        let Some((key, times)) = value.rsplit_once('/') else {
            return false;
        };
        let Ok(times) = times.parse::<u32>() else {
            return false;
        };
        let Ok(mut resets) = self.resets.lock() else {
            return false;
        };
        let done = resets.entry(key.to_owned()).or_default();
        if *done >= times {
            return false;
        }
        *done += 1;
        true
    }
}

pub(crate) struct FaultListener {
    pub(crate) inner: TcpListener,
    pub(crate) counters: Arc<Counters>,
    /// Where injected resets ([`crate::Fault::reset`]) are armed.
    pub(crate) store: crate::store::Shared,
}

impl axum::serve::Listener for FaultListener {
    type Io = FaultIo;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    self.counters.connections.fetch_add(1, Ordering::Relaxed);
                    let io = FaultIo {
                        inner: stream,
                        tail: Vec::new(),
                        counters: self.counters.clone(),
                        store: self.store.clone(),
                    };
                    return (io, addr);
                }
                // Out of descriptors and the like: wait, as axum's own listener does.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

pub(crate) struct FaultIo {
    inner: TcpStream,
    tail: Vec<u8>,
    counters: Arc<Counters>,
    store: crate::store::Shared,
}

/// The method and path of a request line at the start of `bytes`
/// (`POST /v1/batches HTTP/1.1`): a read that begins a request. Clients
/// write a request's head in one write, so its first read starts there.
fn request_line(bytes: &[u8]) -> Option<(&str, &str)> {
    let line = &bytes[..memchr::memchr(b'\n', bytes)
        .unwrap_or(bytes.len())
        .min(8192)];
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split(' ');
    let method = words.next()?;
    let target = words.next()?;
    let known = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    (known.contains(&method) && target.starts_with('/') && words.next()?.starts_with("HTTP/"))
        .then_some((method, target))
}

impl FaultIo {
    /// Whether an injected reset applies to the request starting in `fresh`.
    fn injected_reset(&self, fresh: &[u8]) -> bool {
        let Some((method, target)) = request_line(fresh) else {
            return false;
        };
        // The control endpoint is never faulted: a test can always disarm.
        if target.starts_with("/__mock/") {
            return false;
        }
        let mut store = crate::store::lock(&self.store);
        if store.faults.is_empty() {
            return false;
        }
        let path = crate::script::v1_path(target);
        !crate::fault::take(&mut store, crate::fault::Stage::Connection, method, path).is_empty()
    }
}

/// The first complete `x-mock-reset:` header line in `bytes` at or after
/// `from`: where it starts, its value, and the offset just past it. `None`
/// when there is none yet. Allocation-free: it runs on every read, uploads
/// of a gigabyte included.
fn find_reset(bytes: &[u8], from: usize) -> Option<(usize, String, usize)> {
    let start = memchr::memchr2_iter(b'x', b'X', &bytes[from..])
        .map(|i| from + i)
        .find(|&i| {
            bytes
                .get(i..i + MARKER.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(MARKER))
        })?;
    let value_start = start + MARKER.len();
    let line_len = memchr::memmem::find(&bytes[value_start..], b"\r\n")?;
    let value = String::from_utf8_lossy(&bytes[value_start..value_start + line_len])
        .trim()
        .to_owned();
    Some((start, value, value_start + line_len + 2))
}

/// Scans one read for reset markers, `tail` being the end of the previous
/// read (a header line may be split between the two); calls `take` with
/// each marker's value and says whether any asked for a reset. Only the
/// tail and the start of the read are ever copied.
fn scan(tail: &mut Vec<u8>, fresh: &[u8], mut take: impl FnMut(&str) -> bool) -> bool {
    let mut reset = false;
    // Where in `fresh` the lines not yet counted begin.
    let mut resume = 0;
    let carried = tail.len();
    if carried > 0 {
        // Any marker in the tail is incomplete (complete ones were counted and
        // cut off); the rest of its line is at the start of this read.
        tail.extend_from_slice(&fresh[..fresh.len().min(TAIL)]);
        let mut at = 0;
        while let Some((start, value, end)) = find_reset(tail, at) {
            if start >= carried {
                break; // it starts in this read: found below
            }
            reset |= take(&value);
            at = end;
            resume = end.saturating_sub(carried);
        }
    }
    let mut at = resume;
    while let Some((_, value, end)) = find_reset(fresh, at) {
        reset |= take(&value);
        at = end;
    }
    let keep_from = at.max(fresh.len().saturating_sub(TAIL));
    tail.clear(); // keeps its capacity
    tail.extend_from_slice(&fresh[keep_from..]);
    reset
}

impl AsyncRead for FaultIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        let fresh = &buf.filled()[before..];
        if fresh.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let this = &mut *self;
        let counters = &this.counters;
        let injected = this.injected_reset(fresh);
        if injected || scan(&mut this.tail, fresh, |value| counters.take_reset(value)) {
            // SO_LINGER 0: close with an RST instead of a FIN. It blocks
            // nothing when the linger time is zero (the reason for tokio's
            // deprecation does not apply).
            #[allow(deprecated)]
            let _ = this.inner.set_linger(Some(Duration::ZERO));
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for FaultIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_header_only_when_its_line_is_complete() {
        assert_eq!(
            find_reset(b"GET / HTTP/1.1\r\nx-mock-reset: always", 0),
            None
        );
        assert_eq!(
            find_reset(b"GET / HTTP/1.1\r\nX-Mock-Reset: k/2\r\nhost: a\r\n", 0),
            Some((16, "k/2".into(), 35))
        );
    }

    #[test]
    fn a_header_split_between_reads_is_counted_once() {
        let request = b"POST /v1/models HTTP/1.1\r\nx-mock-reset: k/1\r\nhost: a\r\n\r\n{}";
        for split in 0..=request.len() {
            let mut tail = Vec::new();
            let mut seen = Vec::new();
            let mut take = |v: &str| {
                seen.push(v.to_owned());
                true
            };
            let first = scan(&mut tail, &request[..split], &mut take);
            let second = scan(&mut tail, &request[split..], &mut take);
            assert!(first || second, "split {split}");
            assert_eq!(seen, ["k/1"], "split {split}");
        }
    }

    #[test]
    fn reads_request_lines_only() {
        assert_eq!(
            request_line(b"POST /v1/batches?x=1 HTTP/1.1\r\nhost: a\r\n"),
            Some(("POST", "/v1/batches?x=1"))
        );
        assert_eq!(request_line(b"{\"model\": \"x\"}"), None);
        assert_eq!(request_line(b"GET /v1/models"), None);
        assert_eq!(request_line(b"BREW /pot HTTP/1.1\r\n"), None);
    }

    #[test]
    fn counts_resets_per_key() {
        let counters = Counters::default();
        assert!(counters.take_reset("a/2"));
        assert!(counters.take_reset("a/2"));
        assert!(!counters.take_reset("a/2"));
        assert!(counters.take_reset("b/1"));
        assert!(counters.take_reset("always"));
        assert!(!counters.take_reset("nonsense"));
    }
}
