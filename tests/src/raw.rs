//! A raw TCP server for the fault tests: it sends exactly the bytes a test
//! scripts (a stalled stream, an endless line, a huge error body, a header
//! past any sane size), which a well-behaved HTTP server never would.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a raw server saw.
#[derive(Debug, Default)]
pub struct Counters {
    /// Connections accepted.
    pub connections: AtomicUsize,
    /// Bytes written to clients.
    pub written: AtomicU64,
    /// Bytes of request bodies read.
    pub read: AtomicU64,
}

/// A running raw server; dropped, it stops accepting.
pub struct RawServer {
    /// `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    /// The address.
    pub addr: SocketAddr,
    /// What it saw.
    pub counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One accepted connection, for a script to talk on.
pub struct Conn {
    /// The socket.
    pub stream: TcpStream,
    /// The server's counters.
    pub counters: Arc<Counters>,
}

impl Conn {
    /// Reads the request head (up to the blank line), returning it.
    pub async fn read_head(&mut self) -> std::io::Result<String> {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if self.stream.read(&mut byte).await? == 0 {
                break;
            }
            head.push(byte[0]);
            if head.len() > 1 << 20 {
                break;
            }
        }
        Ok(String::from_utf8_lossy(&head).into_owned())
    }

    /// Reads the request head and its body (by `content-length`, or to the
    /// end of a chunked body), so that closing later sends no reset.
    pub async fn read_request(&mut self) -> std::io::Result<String> {
        let head = self.read_head().await?;
        let lower = head.to_ascii_lowercase();
        let length = lower
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        let mut body = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let done = match length {
                Some(n) => body.len() >= n,
                None if lower.contains("transfer-encoding: chunked") => {
                    body.ends_with(b"0\r\n\r\n")
                }
                None => true,
            };
            if done || body.len() > 64 << 20 {
                break;
            }
            let got = self.stream.read(&mut buf).await?;
            if got == 0 {
                break;
            }
            self.counters.read.fetch_add(got as u64, Ordering::Relaxed);
            body.extend_from_slice(&buf[..got]);
        }
        Ok(head)
    }

    /// Writes `bytes`, counting them.
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.counters
            .written
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Reads up to `n` body bytes, counting them; 0 at the end.
    pub async fn read_some(&mut self, n: usize) -> std::io::Result<usize> {
        let mut buf = vec![0u8; n];
        let got = self.stream.read(&mut buf).await?;
        self.counters.read.fetch_add(got as u64, Ordering::Relaxed);
        Ok(got)
    }
}

impl RawServer {
    /// Serves every connection with `script`.
    pub async fn start<F, Fut>(script: F) -> std::io::Result<RawServer>
    where
        F: Fn(Conn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let shared = Arc::clone(&counters);
        let script = Arc::new(script);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.connections.fetch_add(1, Ordering::Relaxed);
                let conn = Conn {
                    stream,
                    counters: Arc::clone(&shared),
                };
                tokio::spawn(script(conn));
            }
        });
        Ok(RawServer {
            base_url: format!("http://{addr}/v1"),
            addr,
            counters,
            task,
        })
    }

    /// The base URL (as `tensoras_mock::MockServer::base_url`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A client for this server with `options`.
    pub fn client(&self, options: tensoras::RequestOptions) -> tensoras::Tensoras {
        tensoras::Tensoras::builder()
            .api_key(tensoras_mock::API_KEY)
            .base_url(&self.base_url)
            .build()
            .expect("client")
            .with_options(options)
    }
}
