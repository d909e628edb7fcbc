//! Blocking twins of [`crate::resources::batches::BatchRun`] and
//! [`crate::resources::batches::BatchResults`].

use crate::blocking::runtime::Runtime;
use crate::blocking::Iter;
use crate::error::Result;
use crate::resources::batches::{self as r#async, BatchOutcome, BatchResponse, WaitOptions};
use crate::types::Batch;
use futures::StreamExt as _;

/// Blocking [`crate::resources::batches::BatchRun`]: a submitted batch.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
/// use tensoras::prelude::*;
/// use tensoras::resources::batches::{BatchExt, WaitOptions};
/// let mut run = client.batches().resume::<EmbeddingResponse>("batch_abc123")?;
/// for batch in run.updates(WaitOptions::new()) {
///     let batch = batch?;
///     println!("{}: {:?}", batch.status, batch.counts());
/// }
/// let batch = run.wait(WaitOptions::new())?;
/// println!("{}", batch.status);
/// for outcome in run.results()? {
///     println!("{}", outcome?.custom_id);
/// }
/// run.delete_files()?;
/// # Ok(()) }
/// ```
pub struct BatchRun<T> {
    inner: r#async::BatchRun<T>,
    runtime: &'static Runtime,
}

impl<T> std::fmt::Debug for BatchRun<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl<T> Clone for BatchRun<T> {
    fn clone(&self) -> Self {
        BatchRun {
            inner: self.inner.clone(),
            runtime: self.runtime,
        }
    }
}

impl<T: BatchResponse> BatchRun<T> {
    pub(crate) fn new(inner: r#async::BatchRun<T>, runtime: &'static Runtime) -> Self {
        BatchRun { inner, runtime }
    }

    /// See [`crate::resources::batches::BatchRun::id`].
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// See [`crate::resources::batches::BatchRun::batch`].
    pub fn batch(&self) -> &Batch {
        self.inner.batch()
    }

    /// See [`crate::resources::batches::BatchRun::refresh`].
    pub fn refresh(&mut self) -> Result<&Batch> {
        self.runtime.block_on(self.inner.refresh())
    }

    /// See [`crate::resources::batches::BatchRun::updates`]: each poll runs
    /// on the calling thread when the iterator is advanced.
    pub fn updates(&self, options: WaitOptions) -> Iter<Batch> {
        Iter::new(self.inner.updates(options), self.runtime, None)
    }

    /// See [`crate::resources::batches::BatchRun::wait`].
    pub fn wait(&mut self, options: WaitOptions) -> Result<&Batch> {
        self.runtime.block_on(self.inner.wait(options))
    }

    /// See [`crate::resources::batches::BatchRun::cancel`].
    pub fn cancel(&mut self) -> Result<&Batch> {
        self.runtime.block_on(self.inner.cancel())
    }

    /// See [`crate::resources::batches::BatchRun::results`].
    pub fn results(&self) -> Result<BatchResults<T>> {
        let results = self.runtime.block_on(self.inner.results())?;
        Ok(BatchResults::new(results, self.runtime))
    }

    /// See [`crate::resources::batches::BatchRun::delete_files`].
    pub fn delete_files(&self) -> Result<()> {
        self.runtime.block_on(self.inner.delete_files())
    }
}

/// Blocking [`crate::resources::batches::BatchResults`]: each line read on
/// the calling thread when the iterator is advanced; dropping it closes the
/// download.
///
/// ```no_run
/// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
/// use tensoras::prelude::*;
/// let mut results = client.batches().resume::<ChatCompletion>("batch_abc123")?.results()?;
/// for outcome in results.by_ref() {
///     let outcome = outcome?;
///     match outcome.result {
///         Ok(completion) => println!("{}: {}", outcome.custom_id, completion.text()),
///         Err(error) => println!("{}: {error}", outcome.custom_id),
///     }
/// }
/// println!("{:?} unreported", results.unreported());
/// results.delete_files()?;
/// # Ok(()) }
/// ```
#[must_use = "results are downloaded as the iterator is advanced"]
pub struct BatchResults<T> {
    /// Always `Some` until dropped (taken to drop it inside the runtime).
    inner: Option<r#async::BatchResults<T>>,
    runtime: &'static Runtime,
}

impl<T> std::fmt::Debug for BatchResults<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Some(inner) => inner.fmt(f),
            None => f.write_str("BatchResults"),
        }
    }
}

impl<T> BatchResults<T> {
    pub(crate) fn new(inner: r#async::BatchResults<T>, runtime: &'static Runtime) -> Self {
        BatchResults {
            inner: Some(inner),
            runtime,
        }
    }

    fn inner(&self) -> &r#async::BatchResults<T> {
        self.inner.as_ref().expect("present until dropped")
    }

    /// See [`crate::resources::batches::BatchResults::batch`].
    pub fn batch(&self) -> &Batch {
        self.inner().batch()
    }

    /// See [`crate::resources::batches::BatchResults::unreported`].
    pub fn unreported(&self) -> Option<u64> {
        self.inner().unreported()
    }

    /// See [`crate::resources::batches::BatchResults::delete_files`].
    pub fn delete_files(&self) -> Result<()> {
        self.runtime.block_on(self.inner().delete_files())
    }
}

impl<T> Iterator for BatchResults<T> {
    type Item = Result<BatchOutcome<T>>;

    fn next(&mut self) -> Option<Self::Item> {
        let inner = self.inner.as_mut()?;
        self.runtime.block_on(inner.next())
    }
}

impl<T> Drop for BatchResults<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            self.runtime.drop_in(inner);
        }
    }
}
