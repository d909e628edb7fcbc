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
}

/// Finds a complete `x-mock-reset:` header line in `window`: its value and
/// the offset just past the line. `None` when there is none yet.
fn find_reset(window: &[u8]) -> Option<(String, usize)> {
    let lower = window.to_ascii_lowercase();
    let start = lower.windows(MARKER.len()).position(|w| w == MARKER)?;
    let value_start = start + MARKER.len();
    let line_len = window[value_start..]
        .windows(2)
        .position(|w| w == b"\r\n")?;
    let value = String::from_utf8_lossy(&window[value_start..value_start + line_len])
        .trim()
        .to_owned();
    Some((value, value_start + line_len + 2))
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
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(fresh);
        let mut reset = false;
        let mut consumed = 0;
        while let Some((value, end)) = find_reset(&window[consumed..]) {
            reset |= self.counters.take_reset(&value);
            consumed += end;
        }
        let rest = &window[consumed..];
        self.tail = rest[rest.len().saturating_sub(TAIL)..].to_vec();
        if reset {
            // SO_LINGER 0: close with an RST instead of a FIN. It blocks
            // nothing when the linger time is zero (the reason for tokio's
            // deprecation does not apply).
            #[allow(deprecated)]
            let _ = self.inner.set_linger(Some(Duration::ZERO));
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
        assert_eq!(find_reset(b"GET / HTTP/1.1\r\nx-mock-reset: always"), None);
        assert_eq!(
            find_reset(b"GET / HTTP/1.1\r\nX-Mock-Reset: k/2\r\nhost: a\r\n"),
            Some(("k/2".into(), 35))
        );
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
