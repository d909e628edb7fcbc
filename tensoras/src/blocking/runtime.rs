//! The one runtime every blocking client of the process shares.
//!
//! It is started on first use, on its own thread, and runs for the life of
//! the process: blocking clients, their clones and `with_options` copies
//! never start another. A call is spawned onto it and waited for over a
//! channel, so a blocking call made inside another async runtime blocks
//! that thread (as any blocking call does) instead of panicking.

use crate::error::{Error, Result};
use futures::{Stream, StreamExt as _};
use std::future::Future;
use std::sync::OnceLock;

#[derive(Debug)]
pub(crate) struct Runtime {
    handle: tokio::runtime::Handle,
}

static SHARED: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

impl Runtime {
    /// The process's runtime, started on first use.
    pub(crate) fn shared() -> Result<&'static Runtime> {
        SHARED
            .get_or_init(Runtime::start)
            .as_ref()
            .map_err(|e| Error::Config(e.clone()))
    }

    fn start() -> std::result::Result<Runtime, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tensoras-blocking")
            .enable_all()
            .build()
            .map_err(|e| format!("starting the blocking client's runtime: {e}"))?;
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("tensoras-blocking-runtime".into())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .map_err(|e| format!("starting the blocking client's thread: {e}"))?;
        Ok(Runtime { handle })
    }

    /// Runs `future` on the runtime and waits for it.
    pub(crate) fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(future.await);
        });
        match rx.recv() {
            Ok(output) => output,
            // The task only ends without sending if it panicked: pass it on.
            Err(_) => panic!("a tensoras blocking call panicked on the runtime thread"),
        }
    }

    /// Reads `stream` on the runtime into a channel of at most a few items;
    /// the receiver's end dropped drops the stream (and its connection).
    pub(crate) fn forward<T, S>(&self, stream: S) -> std::sync::mpsc::Receiver<Result<T>>
    where
        S: Stream<Item = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        self.handle.spawn(async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(item) = stream.next().await {
                if tx.send(item).is_err() {
                    break; // the iterator was dropped
                }
            }
        });
        rx
    }
}
