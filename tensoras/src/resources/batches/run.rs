//! A submitted batch: watched until it finishes, cancelled, read, cleaned up.

use super::job::BatchResponse;
use super::results::BatchResults;
use crate::error::{Error, Result, TimeoutKind};
use crate::types::{Batch, BatchRequestCounts, BatchStatus};
use crate::Tensoras;
use futures::Stream;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How [`BatchRun::wait`] and [`BatchRun::updates`] poll a batch: first
/// after [`poll_interval`](Self::poll_interval) (1 s), each wait after
/// twice the one before, up to [`max_poll_interval`](Self::max_poll_interval)
/// (30 s), for at most [`timeout`](Self::timeout) (25 hours: the 24-hour
/// completion window and an hour to finish), with an optional progress
/// callback. A poll that fails with a transient error (one
/// [`Error::is_retryable`] says the client would retry, after the client's
/// own retries) is logged at `warn` and polled again; the last poll is at
/// the timeout, so a batch that finished before it is not reported as a
/// timeout.
///
/// ```
/// use std::time::Duration;
/// use tensoras::resources::batches::{BatchExt, WaitOptions};
///
/// let options = WaitOptions::new()
///     .poll_interval(Duration::from_millis(500))
///     .max_poll_interval(Duration::from_secs(10))
///     .timeout(Duration::from_secs(3600))
///     .on_progress(|batch| {
///         let (done, total) = batch.progress();
///         println!("{}: {done}/{total}", batch.status);
///     });
/// # let _ = options;
/// ```
#[derive(Clone)]
#[must_use = "options do nothing until given to `wait`, `updates` or `run`"]
pub struct WaitOptions {
    first: Duration,
    max: Duration,
    timeout: Duration,
    on_progress: Option<Progress>,
}

impl std::fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitOptions")
            .field("poll_interval", &self.first)
            .field("max_poll_interval", &self.max)
            .field("timeout", &self.timeout)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            first: Duration::from_secs(1),
            max: Duration::from_secs(30),
            timeout: Duration::from_secs(25 * 60 * 60),
            on_progress: None,
        }
    }
}

/// A progress callback, shared by the clones of the options.
type Progress = Arc<dyn Fn(&Batch) + Send + Sync>;

/// The shortest wait between two polls, whatever is asked: a batch is not
/// worth a busy loop against the server.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

impl WaitOptions {
    /// The defaults: 1 s, doubling up to 30 s, for at most 25 hours.
    pub fn new() -> Self {
        Self::default()
    }

    /// The wait before the first poll (default 1 s); at least 10 ms (a
    /// shorter one is taken as 10 ms). Any length is accepted.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.first = interval;
        self
    }

    /// The longest wait between two polls (default 30 s); at least 10 ms.
    /// Any length is accepted.
    pub fn max_poll_interval(mut self, interval: Duration) -> Self {
        self.max = interval;
        self
    }

    /// How long to wait in all before giving up with
    /// [`Error::Timeout`] of kind [`TimeoutKind::Batch`] (default 25
    /// hours); the batch goes on. `Duration::MAX` (or anything over thirty
    /// years) waits without a limit.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Called with the batch each time a poll finds it changed (status or
    /// counts), and with the batch as first seen. It runs on the polling
    /// task (the caller's thread, on the blocking client): keep it short.
    pub fn on_progress(mut self, callback: impl Fn(&Batch) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(callback));
        self
    }
}

/// Reading a [`Batch`]'s progress.
///
/// ```
/// use tensoras::resources::batches::BatchExt;
/// use tensoras::types::{Batch, BatchStatus};
///
/// let batch: Batch = serde_json::from_str(r#"{"id":"batch_1","object":"batch",
///     "endpoint":"/v1/embeddings","input_file_id":"file-1","completion_window":"24h",
///     "status":"in_progress","created_at":0,
///     "request_counts":{"total":10,"completed":4,"failed":1}}"#).unwrap();
/// assert!(!batch.is_finished());
/// assert_eq!(batch.counts().completed, 4);
/// assert_eq!(batch.progress(), (5, 10));
/// ```
pub trait BatchExt {
    /// Whether the batch has reached a status it does not leave:
    /// `completed`, `failed`, `expired` or `cancelled`.
    fn is_finished(&self) -> bool;
    /// Its request counts (all zero when the server sent none).
    fn counts(&self) -> BatchRequestCounts;
    /// `(done, total)`: requests completed or failed, and all of them, for
    /// a progress bar (negative counts from a server taken as zero, the sum
    /// saturating).
    fn progress(&self) -> (u64, u64);
}

impl BatchExt for Batch {
    fn is_finished(&self) -> bool {
        matches!(
            self.status,
            BatchStatus::Completed
                | BatchStatus::Failed
                | BatchStatus::Expired
                | BatchStatus::Cancelled
        )
    }

    fn counts(&self) -> BatchRequestCounts {
        self.request_counts
            .clone()
            .unwrap_or_else(|| BatchRequestCounts::new(0, 0, 0))
    }

    fn progress(&self) -> (u64, u64) {
        let counts = self.counts();
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        (
            count(counts.completed).saturating_add(count(counts.failed)),
            count(counts.total),
        )
    }
}

/// A batch that has been submitted, typed by the response its requests get:
/// from [`Batches::submit`](super::Batches::submit), or
/// [`Batches::resume`](super::Batches::resume) after a restart (keep
/// [`id`](Self::id) to resume by).
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
/// use futures::TryStreamExt;
/// use tensoras::prelude::*;
/// use tensoras::resources::batches::{BatchJob, WaitOptions};
///
/// let job = BatchJob::from_requests(
///     ["alpha", "beta"].map(|t| EmbeddingRequest::new("bge-large-en-v1.5", t)),
/// );
/// let mut run = client.batches().submit(job).await?;
/// println!("submitted {}", run.id()); // store it to resume after a crash
/// let batch = run.wait(WaitOptions::new()).await?;
/// println!("{}", batch.status);
/// let mut results = run.results().await?;
/// while let Some(outcome) = results.try_next().await? {
///     println!("{}: {}", outcome.custom_id, outcome.result.is_ok());
/// }
/// run.delete_files().await?;
/// # Ok(()) }
/// ```
pub struct BatchRun<T> {
    client: Tensoras,
    batch: Batch,
    response: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for BatchRun<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchRun")
            .field("id", &self.batch.id)
            .field("status", &self.batch.status)
            .finish_non_exhaustive()
    }
}

impl<T> Clone for BatchRun<T> {
    fn clone(&self) -> Self {
        BatchRun {
            client: self.client.clone(),
            batch: self.batch.clone(),
            response: PhantomData,
        }
    }
}

impl<T: BatchResponse> BatchRun<T> {
    /// A run of `batch`, refused when its endpoint does not give `T`.
    pub(crate) fn new(client: Tensoras, batch: Batch) -> Result<Self> {
        if batch.endpoint != T::endpoint() {
            return Err(Error::InvalidInput(format!(
                "batch {} is for {}, whose responses are not {}",
                batch.id,
                batch.endpoint,
                std::any::type_name::<T>()
            )));
        }
        Ok(BatchRun {
            client,
            batch,
            response: PhantomData,
        })
    }

    /// The batch's id.
    pub fn id(&self) -> &str {
        &self.batch.id
    }

    /// The batch as last seen (after the last `refresh`, `wait`, `cancel`).
    pub fn batch(&self) -> &Batch {
        &self.batch
    }

    /// Fetches the batch again.
    pub async fn refresh(&mut self) -> Result<&Batch> {
        self.batch = self.client.batches().retrieve(&self.batch.id).await?;
        Ok(&self.batch)
    }

    /// The batch each time a poll finds it changed (status or request
    /// counts), starting with the batch as last seen, until it finishes
    /// (the finished batch is the last item) or the options' timeout,
    /// counted from the first read of the stream, runs out (an
    /// [`Error::Timeout`] of kind [`TimeoutKind::Batch`] is the last item).
    /// A poll that fails for good (not found, not allowed, ...) is an `Err`
    /// item, and the stream ends there; a transient failure is polled again
    /// (see [`WaitOptions`]). The options' progress callback sees every
    /// batch the stream yields.
    #[must_use = "a stream polls nothing until it is read"]
    pub fn updates(
        &self,
        options: WaitOptions,
    ) -> impl Stream<Item = Result<Batch>> + Send + Unpin + 'static {
        updates(self.client.clone(), self.batch.clone(), options)
    }

    /// Polls until the batch finishes (`completed`, `failed`, `expired` or
    /// `cancelled`) and returns it, as [`updates`](Self::updates) polls.
    /// A batch that failed is returned too, not an error: its
    /// [`errors`](crate::types::Batch::errors) say why (and
    /// [`results`](Self::results) refuses it).
    pub async fn wait(&mut self, options: WaitOptions) -> Result<&Batch> {
        let mut updates = self.updates(options);
        while let Some(batch) = futures::StreamExt::next(&mut updates).await {
            self.batch = batch?;
        }
        Ok(&self.batch)
    }

    /// Asks the batch to stop: it moves to `cancelling`, then `cancelled`
    /// with the results of the requests that ran (wait for it, then read
    /// [`results`](Self::results)).
    pub async fn cancel(&mut self) -> Result<&Batch> {
        self.batch = self.client.batches().cancel(&self.batch.id).await?;
        Ok(&self.batch)
    }

    /// The results of the finished batch (fetched again if the batch as
    /// last seen had not finished): [`Error::InvalidInput`] while it is
    /// still running, [`Error::BatchFailed`] when it failed.
    pub async fn results(&self) -> Result<BatchResults<T>> {
        let batch = if self.batch.is_finished() {
            self.batch.clone()
        } else {
            self.client.batches().retrieve(&self.batch.id).await?
        };
        if batch.status == BatchStatus::Failed {
            return Err(Error::BatchFailed(Box::new(batch)));
        }
        if !batch.is_finished() {
            return Err(Error::InvalidInput(format!(
                "batch {} is {}: wait for it to finish before reading its results",
                batch.id, batch.status
            )));
        }
        Ok(BatchResults::new(self.client.clone(), batch))
    }

    /// Deletes the batch's input, output and error files once it has
    /// finished (what is already gone is skipped). The batch is fetched
    /// again when, as last seen, it had not finished; while it is still
    /// running, [`Error::InvalidInput`], since it still reads its input.
    pub async fn delete_files(&self) -> Result<()> {
        if self.batch.is_finished() {
            return delete_files(&self.client, &self.batch).await;
        }
        let batch = self.client.batches().retrieve(&self.batch.id).await?;
        delete_files(&self.client, &batch).await
    }
}

/// Deletes a finished batch's files; a file already gone is not an error.
pub(crate) async fn delete_files(client: &Tensoras, batch: &Batch) -> Result<()> {
    if !batch.is_finished() {
        return Err(Error::InvalidInput(format!(
            "batch {} is {}: its files are deleted once it has finished",
            batch.id, batch.status
        )));
    }
    let files = [
        Some(&batch.input_file_id),
        batch.output_file_id.as_ref(),
        batch.error_file_id.as_ref(),
    ];
    for file in files.into_iter().flatten() {
        match client.files().delete(file).await {
            Ok(_) | Err(Error::NotFound(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// What the polling loop carries from one poll to the next.
struct Polling {
    client: Tensoras,
    batch: Batch,
    /// Whether the batch as first known has been yielded.
    started: bool,
    done: bool,
    interval: Duration,
    max: Duration,
    /// Set at the first read; `None`: no limit.
    deadline: Option<Instant>,
    /// The wait ran out at a poll that found the batch changed: that batch
    /// was yielded, the timeout comes next.
    expired: bool,
    timeout: Duration,
    on_progress: Option<Progress>,
}

fn updates(
    client: Tensoras,
    batch: Batch,
    options: WaitOptions,
) -> impl Stream<Item = Result<Batch>> + Send + Unpin + 'static {
    let polling = Polling::new(client, batch, options);
    Box::pin(futures::stream::unfold(polling, Polling::next))
}

impl Polling {
    fn new(client: Tensoras, batch: Batch, options: WaitOptions) -> Self {
        Polling {
            client,
            batch,
            started: false,
            done: false,
            interval: options.first.max(MIN_INTERVAL),
            max: options.max.max(MIN_INTERVAL),
            deadline: None,
            expired: false,
            timeout: options.timeout,
            on_progress: options.on_progress,
        }
    }

    async fn next(mut self) -> Option<(Result<Batch>, Self)> {
        if self.done {
            return None;
        }
        if self.expired {
            self.done = true;
            return Some((Err(Error::timeout(self.timeout, TimeoutKind::Batch)), self));
        }
        if !self.started {
            // The timeout counts from the first read of the stream, not
            // from its making.
            self.started = true;
            self.deadline = crate::transport::later(Instant::now(), self.timeout);
            self.done = self.batch.is_finished();
            return Some((Ok(self.seen()), self));
        }
        loop {
            let last = self.sleep().await;
            // Before the deadline a poll may take until it; the one at the
            // deadline has the client's own timeouts.
            let retrieve = self.client.batches().retrieve(&self.batch.id);
            let polled = match self.deadline.filter(|_| !last) {
                Some(deadline) => tokio::time::timeout_at(deadline, retrieve)
                    .await
                    .unwrap_or_else(|_| Err(Error::timeout(self.timeout, TimeoutKind::Batch))),
                None => retrieve.await,
            };
            match polled {
                Ok(batch) => {
                    let changed = batch.status != self.batch.status
                        || batch.request_counts != self.batch.request_counts;
                    self.batch = batch;
                    if self.batch.is_finished() {
                        self.done = true;
                        return Some((Ok(self.seen()), self));
                    }
                    if changed {
                        // At the last poll too: the batch comes out before
                        // the timeout, so whoever keeps the last one seen
                        // (`wait`, and `run`'s `BatchUnfinished`) has it,
                        // the one the progress callback was shown.
                        self.expired = last;
                        return Some((Ok(self.seen()), self));
                    }
                }
                // A transient failure (a network blip during a wait of
                // hours) does not end the wait: the next poll may work.
                Err(error) if error.is_retryable() || is_wait_timeout(&error) => {
                    tracing::warn!(
                        batch_id = %self.batch.id,
                        error = %error,
                        "tensoras: polling the batch failed; polling again"
                    );
                }
                Err(error) => {
                    self.done = true;
                    return Some((Err(error), self));
                }
            }
            if last {
                self.done = true;
                return Some((Err(Error::timeout(self.timeout, TimeoutKind::Batch)), self));
            }
        }
    }

    /// Waits for the next poll: the current interval (which then grows), or
    /// less when the deadline comes first. True when the deadline has come:
    /// the poll after this one is the last.
    async fn sleep(&mut self) -> bool {
        let wake = Instant::now()
            .checked_add(self.interval)
            .map(|at| self.deadline.map_or(at, |deadline| at.min(deadline)));
        match wake {
            Some(at) => tokio::time::sleep_until(at).await,
            // An interval past the clock's end: only the deadline, if any,
            // ends the wait.
            None => match self.deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => futures::future::pending::<()>().await,
            },
        }
        self.interval = grown(self.interval, self.max);
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// The batch as now seen, shown to the progress callback.
    fn seen(&self) -> Batch {
        if let Some(callback) = &self.on_progress {
            callback(&self.batch);
        }
        self.batch.clone()
    }
}

fn is_wait_timeout(error: &Error) -> bool {
    matches!(
        error,
        Error::Timeout {
            kind: TimeoutKind::Batch,
            ..
        }
    )
}

/// The wait after `interval`: twice as long, up to `max` (saturating: any
/// lengths work).
fn grown(interval: Duration, max: Duration) -> Duration {
    interval.saturating_mul(2).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_its_cap() {
        let secs = Duration::from_secs;
        let mut interval = secs(1);
        let mut waits = vec![interval];
        for _ in 0..6 {
            interval = grown(interval, secs(30));
            waits.push(interval);
        }
        assert_eq!(
            waits,
            [1, 2, 4, 8, 16, 30, 30].map(secs),
            "1 s, doubling, capped at 30 s"
        );
        assert_eq!(grown(Duration::MAX, Duration::MAX), Duration::MAX);
        assert_eq!(grown(secs(u64::MAX / 2 + 1), Duration::MAX), Duration::MAX);
        assert_eq!(grown(MIN_INTERVAL, MIN_INTERVAL), MIN_INTERVAL);
    }

    #[test]
    fn the_options_take_every_duration() {
        let options = WaitOptions::new()
            .poll_interval(Duration::ZERO)
            .max_poll_interval(Duration::ZERO)
            .timeout(Duration::MAX);
        let client = crate::Tensoras::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:9/v1")
            .build()
            .unwrap();
        let batch = serde_json::from_str(
            r#"{"id":"b","object":"batch","endpoint":"/v1/embeddings","input_file_id":"f",
            "completion_window":"24h","status":"in_progress","created_at":0}"#,
        )
        .unwrap();
        let polling = Polling::new(client.clone(), batch, options.clone());
        assert_eq!(MIN_INTERVAL, Duration::from_millis(10));
        assert_eq!(
            (polling.interval, polling.max),
            (MIN_INTERVAL, MIN_INTERVAL)
        );
        // The deadline is set at the first read (which needs no network).
        let first = |polling: Polling| futures::executor::block_on(polling.next()).unwrap();
        let (seen, polling) = first(polling);
        assert_eq!(seen.unwrap().id, "b");
        assert!(polling.deadline.is_none(), "Duration::MAX is no limit");
        let (_, polling) = first(Polling::new(
            client,
            polling.batch.clone(),
            options.timeout(Duration::from_secs(u64::MAX)),
        ));
        assert!(
            polling.deadline.is_none(),
            "nor is any length past 30 years"
        );
    }
}
