//! The runtime every blocking client of the process shares, and how a
//! blocking call runs on it.
//!
//! A call is a task on the shared runtime, and its caller's thread waits
//! (parked) for its end: the call's future is made and polled on the
//! runtime's workers, whose stacks every call shares (the generic `call`,
//! `call_raw` and `call_stream` first make their operation into a request on
//! the caller's thread: the task takes the request, since an operation need
//! not be `Send`). Made and polled on the
//! caller's thread, a call (the request's set-up, the send, the connection's
//! making, the decoding) left 20–28 KiB of that thread's stack resident for
//! the thread's life, over a bare thread's, and more when it opened a
//! connection: 10,000 threads each holding a stream paid 78 KB a stream,
//! 42 KB now (issue 21, `bench/examples/caller_stack.rs`). The task runs as
//! it would polled on the caller's thread: in the caller's span, with the
//! caller's subscriber and OpenTelemetry context. What borrows the
//! caller's state (the next item of a stream or page iterator, so also
//! `list_all`'s page fetches) and what runs the caller's code (a batch
//! run's waits, which call `on_progress`) is polled on the caller's thread
//! instead, with the runtime entered, so the sockets, timers and connection
//! tasks it creates belong to the runtime too.
//!
//! What a call runs of the caller's own — its HTTP client's hooks (a
//! resolver, a connector, an upload's reader), its `Deserialize` impls and
//! the `JsonSchema` impl of `parse::<T>()`, its request's `Serialize`, its
//! subscriber's callbacks — runs on the workers too, inside the runtime
//! (where starting a runtime of one's own panics, as in any tokio task). A
//! blocking call made there is polled where it is made, with that worker's
//! other tasks handed to another thread, so it never waits on a task stuck
//! behind it; one made on the runtime's blocking threads (a batch job's
//! lazy request iterator) simply waits. The runtime's threads never wait
//! for a caller: calls nest freely, inside loops over open
//! streams and pages included; calls from many threads run at once, on a
//! worker per core (up to eight); and a panic in a call unwinds in the
//! caller, with its payload.

use crate::error::{Error, Result};
use futures::FutureExt as _;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

/// The most worker threads the shared runtime starts: the calls of every
/// thread run (and decode) on them, one per core up to this.
const MAX_WORKERS: usize = 8;

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
            .on_thread_start(|| ON_RUNTIME.with(|on| on.set(true)))
            .enable_all()
            .build()
            .map_err(|e| format!("starting the blocking client's runtime: {e}"))?;
        Ok(Runtime { runtime })
    }

    /// Runs the call `make` makes as a task on this runtime; the calling
    /// thread waits for its end (see the module's documentation). The task
    /// runs as it would polled here (see [`AsTheCaller`]). A panic in it
    /// resumes on the calling thread, with its payload.
    ///
    /// `make` is called on the worker, not here: a call's future is
    /// kilobytes, and made here it would leave a page or two of every
    /// calling thread's stack resident for that thread's life (issue 21).
    pub(crate) fn run<M, F, T>(&self, make: M) -> Result<T>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        if on_a_worker() {
            // Made by code a call runs on a worker (a hook of the caller's
            // HTTP client, a subscriber's callback): a task spawned from
            // here would sit in this parked worker's own queue for ever.
            // Polled here instead, this worker's other tasks handed to
            // another thread meanwhile.
            return tokio::task::block_in_place(|| self.poll_here(make()));
        }
        // Boxed first: `make` holds the call's arguments (a request can be
        // a kilobyte), and spawning moves the task through several frames.
        let make = Box::new(make);
        let call = futures::future::lazy(move |_| Box::pin(make())).flatten();
        let task = self.runtime.spawn(AsTheCaller::new(call));
        // Unconstrained: see `poll_here`.
        match block_on_here(tokio::task::unconstrained(task)) {
            Ok(output) => output,
            Err(failed) => match failed.try_into_panic() {
                Ok(payload) => std::panic::resume_unwind(payload),
                // The runtime lives as long as the process: only its
                // shutdown at exit could cancel a task.
                Err(_) => Err(Error::transport(
                    "the blocking client's runtime shut down during the call".into(),
                )),
            },
        }
    }

    /// [`run`](Self::run) of the call `make` makes with (a clone of)
    /// `client`: an async client or namespace, which the blocking one wraps.
    pub(crate) fn run_with<C, F, T>(
        &self,
        client: &C,
        make: impl FnOnce(&C) -> F + Send + 'static,
    ) -> Result<T>
    where
        C: Clone + Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let client = client.clone();
        self.run(move || make(&client))
    }

    /// Polls `future` to its end on the calling thread, with this runtime
    /// entered: for what borrows the caller's state (a stream or iterator
    /// being read, a batch run), which cannot be a task.
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        if on_a_worker() {
            // As in `run`: this worker's queue must not wait on it.
            return tokio::task::block_in_place(|| self.poll_here(future));
        }
        self.poll_here(future)
    }

    fn poll_here<F: Future>(&self, future: F) -> F::Output {
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

thread_local! {
    /// Whether this thread is one of the shared runtime's (a worker or a
    /// blocking-pool thread).
    static ON_RUNTIME: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a wait here would hold up a worker of a multi-thread runtime:
/// on one of the shared runtime's threads, inside a multi-thread runtime
/// (on a blocking-pool thread, `block_in_place` simply runs its closure; a
/// current-thread runtime of the caller's own is not one `block_in_place`
/// may leave, and waiting there holds up only that runtime, as any
/// blocking call would).
fn on_a_worker() -> bool {
    ON_RUNTIME.with(std::cell::Cell::get)
        && tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

/// A call's future as the task that runs it on a worker, polled as it would
/// be on the caller's thread: in the caller's current span (the call's span
/// opens under it), with the caller's subscriber when one was ever set (one
/// set for the calling thread only included; never setting one keeps
/// tracing's fast path and its `log` fallback as they were) and, with
/// feature `opentelemetry`, in the caller's OpenTelemetry context (the
/// parent tracing-opentelemetry gives a span when no tracing span is
/// current). With a subscriber set, each poll makes it the worker's default
/// for the poll's length (tracing counts such scoped defaults in a global
/// atomic, and while one is set anywhere, every thread's lookup of its
/// default takes the slower, thread-local path).
struct AsTheCaller<F> {
    call: F,
    span: tracing::Span,
    dispatch: Option<tracing::Dispatch>,
    #[cfg(feature = "opentelemetry")]
    context: opentelemetry::Context,
}

impl<F: Future + Unpin> AsTheCaller<F> {
    fn new(call: F) -> Self {
        AsTheCaller {
            call,
            span: tracing::Span::current(),
            dispatch: tracing::dispatcher::has_been_set()
                .then(|| tracing::dispatcher::get_default(Clone::clone)),
            #[cfg(feature = "opentelemetry")]
            context: opentelemetry::Context::current(),
        }
    }
}

impl<F: Future + Unpin> Future for AsTheCaller<F> {
    type Output = F::Output;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        #[cfg(feature = "opentelemetry")]
        let _context = this.context.clone().attach();
        let mut poll = || {
            let _span = this.span.enter();
            std::pin::Pin::new(&mut this.call).poll(cx)
        };
        match &this.dispatch {
            Some(dispatch) => tracing::dispatcher::with_default(dispatch, poll),
            None => poll(),
        }
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

    /// Runs `scenario` on a thread of its own, so one that never ends fails
    /// the test (`None` after 30 s) instead of hanging the run; its panic
    /// is the test's.
    fn within_30s<T: Send + 'static>(scenario: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let _ = tx.send(scenario());
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(value) => Some(value),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match thread.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => None,
            },
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
        }
    }

    /// A runtime whose task the blocking caller is in.
    fn outer_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_call_made_inside_another_runtimes_task_completes() {
        let done = within_30s(|| {
            let shared = Runtime::shared().unwrap();
            // Many timer polls: an outer cooperative budget would run out
            // long before the end if the call were not unconstrained.
            outer_runtime().block_on(async {
                shared.block_on(async {
                    for _ in 0..1000 {
                        tokio::time::sleep(Duration::ZERO).await;
                    }
                    "done"
                })
            })
        });
        assert_eq!(done, Some("done"));
    }

    #[test]
    fn a_call_is_made_and_run_on_a_worker_and_its_panic_reaches_the_caller() {
        let outcome = within_30s(|| {
            let shared = Runtime::shared().unwrap();
            let name = || std::thread::current().name().map(str::to_owned);
            // Where the call's future is made, and where it is polled.
            let worker = shared.run(move || {
                let made_on = name();
                async move { Ok((made_on, name())) }
            });
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                shared.run(|| async { std::panic::panic_any::<u32>(7) })
            }));
            let payload = caught.map(|_: Result<()>| ()).unwrap_err();
            (worker.unwrap(), payload.downcast_ref::<u32>().copied())
        });
        let worker = Some("tensoras-blocking".to_owned());
        assert_eq!(outcome, Some(((worker.clone(), worker), Some(7))));
    }

    #[test]
    fn a_call_made_from_a_task_of_the_runtime_completes() {
        // A blocking call inside code that a call's task runs (a hook of the
        // caller's HTTP client): spawned and waited for there, the inner
        // task would sit in the parked worker's own queue for ever.
        let nested = within_30s(|| {
            let shared = Runtime::shared().unwrap();
            shared.run(|| async {
                let inner = shared.run(|| async {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    Ok(1)
                })?;
                Ok(inner + 1)
            })
        });
        assert_eq!(nested.map(Result::unwrap), Some(2));
    }

    #[test]
    fn a_stream_read_from_a_task_of_the_runtime_completes() {
        // The same for what is polled in place (a stream's next item, a
        // page): a task it spawns from a parked worker would sit in that
        // worker's own queue.
        let read = within_30s(|| {
            let shared = Runtime::shared().unwrap();
            shared.run(|| async {
                Ok(shared.block_on(async { tokio::spawn(async { 3 }).await.unwrap() }))
            })
        });
        assert_eq!(read.map(Result::unwrap), Some(3));
    }

    #[test]
    fn a_task_call_made_inside_another_runtimes_task_completes() {
        let done = within_30s(|| {
            let shared = Runtime::shared().unwrap();
            // Far more waits than a cooperative budget allows: the caller's
            // wait must not be cut short by the outer task's budget.
            outer_runtime().block_on(async {
                for _ in 0..300 {
                    shared.run(|| async { Ok(()) }).unwrap();
                }
                "done"
            })
        });
        assert_eq!(done, Some("done"));
    }

    #[test]
    fn a_task_call_runs_in_the_callers_span_and_with_its_subscriber() {
        use tracing_subscriber::layer::SubscriberExt;
        // A subscriber for this thread only: the task, on a worker, must
        // still reach it, under the caller's span.
        /// Each span opened: its name and its parent's.
        type Opened = Vec<(String, Option<String>)>;
        #[derive(Clone, Default)]
        struct Seen(Arc<std::sync::Mutex<Opened>>);
        impl<S> tracing_subscriber::Layer<S> for Seen
        where
            S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
        {
            fn on_new_span(
                &self,
                _attrs: &tracing::span::Attributes<'_>,
                id: &tracing::span::Id,
                ctx: tracing_subscriber::layer::Context<'_, S>,
            ) {
                let span = ctx.span(id).unwrap();
                let parent = span.parent().map(|p| p.name().to_owned());
                self.0
                    .lock()
                    .unwrap()
                    .push((span.name().to_owned(), parent));
            }
        }
        let seen = Seen::default();
        let subscriber = tracing_subscriber::registry().with(seen.clone());
        let done = within_30s(|| {
            let shared = Runtime::shared().unwrap();
            tracing::subscriber::with_default(subscriber, || {
                let outer = tracing::info_span!("caller");
                let _entered = outer.enter();
                shared.run(|| {
                    // Where the call's future is made: in the task, too.
                    drop(tracing::info_span!("making_the_call").entered());
                    async {
                        let _inner = tracing::info_span!("in_the_call").entered();
                        Ok(())
                    }
                })
            })
        });
        assert!(matches!(done, Some(Ok(()))));
        let seen = seen.0.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                ("caller".to_owned(), None),
                ("making_the_call".to_owned(), Some("caller".to_owned())),
                ("in_the_call".to_owned(), Some("caller".to_owned()))
            ]
        );
    }

    #[cfg(feature = "opentelemetry")]
    #[test]
    fn a_task_call_runs_in_the_callers_opentelemetry_context() {
        #[derive(Debug, PartialEq)]
        struct Marker(u32);
        let seen = within_30s(|| {
            let shared = Runtime::shared().unwrap();
            let _attached = opentelemetry::Context::current_with_value(Marker(5)).attach();
            let marker = || {
                opentelemetry::Context::current()
                    .get::<Marker>()
                    .map(|m| m.0)
            };
            // Read where the call's future is made, and where it runs.
            shared.run(move || {
                let made_in = marker();
                async move { Ok((made_in, marker())) }
            })
        });
        assert_eq!(seen.map(Result::unwrap), Some((Some(5), Some(5))));
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
