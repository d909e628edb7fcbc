//! The runtime every blocking client of the process shares, and how a
//! blocking call runs on it.
//!
//! A call runs on the caller's own thread: its future is polled there, with
//! the shared runtime entered, so the sockets, timers and connection tasks
//! it creates belong to that runtime, whose worker threads drive them. No
//! thread of the runtime ever waits for a caller (nothing it runs blocks on
//! a channel, a lock or a caller's progress), so calls nest freely, inside
//! loops over open streams and pages included; callers on many threads run
//! in parallel (each decodes its own response); and a panic in a call
//! unwinds in the caller, with its payload.

use crate::error::{Error, Result};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

/// The most worker threads the shared runtime starts: they only drive
/// sockets and timers (callers decode on their own threads), so a few serve
/// many callers.
const MAX_WORKERS: usize = 4;

pub(crate) struct Runtime {
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

static SHARED: OnceLock<Runtime> = OnceLock::new();

impl Runtime {
    /// The process's runtime, started on first use; it runs for the life
    /// of the process (a static is never dropped). A start that fails (no
    /// thread could be spawned) is tried again by the next client.
    pub(crate) fn shared() -> Result<&'static Runtime> {
        if let Some(runtime) = SHARED.get() {
            return Ok(runtime);
        }
        let started = Runtime::start().map_err(Error::Config)?;
        // Two first clients may race: one runtime is kept, the other shut
        // down without waiting (dropping it could block, which async code
        // that builds a blocking client must not do).
        if let Err(lost) = SHARED.set(started) {
            lost.runtime.shutdown_background();
        }
        SHARED
            .get()
            .ok_or_else(|| Error::Config("the blocking client's runtime did not start".into()))
    }

    fn start() -> std::result::Result<Runtime, String> {
        let workers = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, MAX_WORKERS);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("tensoras-blocking")
            .enable_all()
            .build()
            .map_err(|e| format!("starting the blocking client's runtime: {e}"))?;
        Ok(Runtime { runtime })
    }

    /// Runs `future` to its end on the calling thread, with this runtime
    /// entered (see the module's documentation).
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _entered = self.runtime.enter();
        // Unconstrained: a caller that is itself inside some other runtime's
        // task has a cooperative budget that would never be refilled while
        // this call blocks it (every tokio resource would then answer
        // "pending" forever).
        block_on_here(tokio::task::unconstrained(future))
    }

    /// Drops `value` with this runtime entered: a stream's timers and
    /// connection belong to it, and a connection going back to the pool
    /// may start the pool's idle timer. During a thread's teardown tokio's
    /// context is gone and entering would panic: then it is dropped as it is.
    pub(crate) fn drop_in<T>(&self, value: T) {
        let entered =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.runtime.enter()));
        drop(value);
        drop(entered);
    }
}

/// Wakes the thread blocked in [`block_on_here`].
struct Unpark {
    thread: std::thread::Thread,
    woken: AtomicBool,
}

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::Release) {
            self.thread.unpark();
        }
    }
}

/// Polls `future` on this thread, parking the thread while it is pending.
/// (`futures::executor::block_on` refuses to run inside another executor,
/// which a blocking call made from async code is.)
fn block_on_here<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let unpark = Arc::new(Unpark {
        thread: std::thread::current(),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(Arc::clone(&unpark));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // A wake between the poll and here leaves the flag set (and an
        // unpark token), so this never sleeps through one.
        while !unpark.woken.swap(false, Ordering::Acquire) {
            std::thread::park();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_call_made_inside_another_runtimes_task_completes() {
        // On a thread of its own, so a call that never ends fails the test
        // (after 30 s) instead of hanging the run.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let outer = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let shared = Runtime::shared().unwrap();
            // Many timer polls: an outer cooperative budget would run out
            // long before the end if the call were not unconstrained.
            let done = outer.block_on(async {
                shared.block_on(async {
                    for _ in 0..1000 {
                        tokio::time::sleep(Duration::ZERO).await;
                    }
                    "done"
                })
            });
            let _ = tx.send(done);
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok("done"));
    }

    #[test]
    fn a_panic_reaches_the_caller_with_its_payload() {
        let shared = Runtime::shared().unwrap();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            shared.block_on(async { std::panic::panic_any(42u32) })
        }));
        let payload = caught.unwrap_err();
        assert_eq!(payload.downcast_ref::<u32>(), Some(&42));
    }
}
