//! A batch job before it is sent: typed requests with custom ids, checked
//! against the batch limits and written as JSONL to a temporary file (so
//! the requests are never all in memory, every limit is checked before the
//! upload starts, and the upload can be retried).

use crate::error::{Error, Result};
use crate::types::{
    BatchEndpoint, ChatCompletion, ChatCompletionRequest, Completion, CompletionRequest,
    EmbeddingRequest, EmbeddingResponse, Metadata,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A request type a batch can carry: the chat completion, legacy
/// completion and embeddings requests, the three endpoints the Batch API
/// accepts.
///
/// Implement it for a request type of your own (a struct with extra
/// fields, say) to batch it; a method added to this trait later comes with
/// a default.
pub trait BatchRequest: Serialize + Send + 'static {
    /// What a successful line's `response.body` decodes into.
    type Response: BatchResponse;
    /// The model the request names (a batch takes one model).
    fn model(&self) -> &str;
    /// Whether the request asks to be streamed, which a batch cannot do.
    fn streams(&self) -> bool {
        false
    }
}

/// The response of a batch's lines, and the endpoint that gives it: what
/// [`BatchRun`](super::BatchRun) and [`BatchResults`](super::BatchResults)
/// decode into.
pub trait BatchResponse: DeserializeOwned + Send + 'static {
    /// The endpoint whose responses these are.
    fn endpoint() -> BatchEndpoint;
}

impl BatchRequest for ChatCompletionRequest {
    type Response = ChatCompletion;
    fn model(&self) -> &str {
        &self.model
    }
    fn streams(&self) -> bool {
        self.stream == Some(true)
    }
}

impl BatchRequest for CompletionRequest {
    type Response = Completion;
    fn model(&self) -> &str {
        &self.model
    }
    fn streams(&self) -> bool {
        self.stream == Some(true)
    }
}

impl BatchRequest for EmbeddingRequest {
    type Response = EmbeddingResponse;
    fn model(&self) -> &str {
        &self.model
    }
}

impl BatchResponse for ChatCompletion {
    fn endpoint() -> BatchEndpoint {
        BatchEndpoint::ChatCompletions
    }
}

impl BatchResponse for Completion {
    fn endpoint() -> BatchEndpoint {
        BatchEndpoint::Completions
    }
}

impl BatchResponse for EmbeddingResponse {
    fn endpoint() -> BatchEndpoint {
        BatchEndpoint::Embeddings
    }
}

/// What a batch may hold, checked before anything is sent. The defaults
/// are the Batch API's documented shape as OpenAI's (`openapi/DECISIONS.md`,
/// "Batch lines"): 50,000 requests, a 200 MB input file, one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchLimits {
    /// The most requests (lines); at least 1.
    pub max_requests: u64,
    /// The most bytes of the input file; at least 1.
    pub max_file_bytes: u64,
    /// Whether every request must name the same model.
    pub one_model: bool,
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits {
            max_requests: 50_000,
            max_file_bytes: 200 * 1000 * 1000,
            one_model: true,
        }
    }
}

impl BatchLimits {
    /// Sets [`BatchLimits::max_requests`].
    #[must_use]
    pub fn max_requests(mut self, requests: u64) -> Self {
        self.max_requests = requests;
        self
    }

    /// Sets [`BatchLimits::max_file_bytes`].
    #[must_use]
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        self.max_file_bytes = bytes;
        self
    }

    /// Sets [`BatchLimits::one_model`].
    #[must_use]
    pub fn one_model(mut self, one: bool) -> Self {
        self.one_model = one;
        self
    }
}

type Requests<R> = Box<dyn Iterator<Item = (Option<String>, R)> + Send>;

/// A run of the job's requests: an iterator given whole, or requests added
/// one by one (kept flat, so a job built in a loop of a million `request`
/// calls is a `Vec`, not a million nested iterators).
enum Segment<R> {
    Lazy(Requests<R>),
    Added(Vec<(Option<String>, R)>),
}

/// The requests of a batch, each with a custom id (yours, or generated:
/// `request-1`, `request-2`, ... by position), sent with
/// [`Batches::submit`](super::Batches::submit) or
/// [`Batches::run`](super::Batches::run).
///
/// Submitting writes the input file (JSONL) to a temporary file first,
/// checking every request against the [`BatchLimits`], so a job that breaks
/// a limit is refused with [`Error::InvalidInput`] before anything is sent;
/// the file is removed once it is uploaded (or the submission fails or is
/// dropped). The file is written on tokio's blocking pool, where the
/// requests are pulled from their iterator one at a time: a job built from
/// an iterator holds one request in memory at a time (an iterator that
/// reads a file or a database does not stall the async runtime). What does
/// grow with the job is the set of custom ids, kept to refuse a duplicate
/// (100,000 short ids: a few MiB; see `BENCHMARKS.md`).
///
/// ```
/// use tensoras::prelude::*;
/// use tensoras::resources::batches::BatchJob;
///
/// let job = BatchJob::new()
///     .request(EmbeddingRequest::new("bge-large-en-v1.5", "first"))
///     .named("doc-42", EmbeddingRequest::new("bge-large-en-v1.5", "second"));
/// // Or lazily, from any iterator:
/// let many = BatchJob::from_requests(
///     (0..100_000).map(|i| EmbeddingRequest::new("bge-large-en-v1.5", format!("text {i}"))),
/// );
/// # let _ = (job, many);
/// ```
#[must_use = "a job does nothing until it is submitted"]
pub struct BatchJob<R> {
    segments: Vec<Segment<R>>,
    pub(crate) limits: BatchLimits,
    pub(crate) metadata: Option<Metadata>,
    spool: Option<PathBuf>,
}

impl<R> std::fmt::Debug for BatchJob<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchJob")
            .field("limits", &self.limits)
            .field("metadata", &self.metadata)
            .field("spool", &self.spool)
            .finish_non_exhaustive()
    }
}

impl<R: BatchRequest> Default for BatchJob<R> {
    fn default() -> Self {
        BatchJob {
            segments: Vec::new(),
            limits: BatchLimits::default(),
            metadata: None,
            spool: None,
        }
    }
}

impl<R: BatchRequest> BatchJob<R> {
    /// An empty job (a job must have at least one request when submitted).
    ///
    /// ```
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::BatchJob;
    /// let job = BatchJob::<ChatCompletionRequest>::new()
    ///     .request(ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hi")]));
    /// # let _ = job;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A job of `requests`, whose custom ids are generated by position:
    /// `request-1`, `request-2`, ...
    ///
    /// ```
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::BatchJob;
    /// let texts = vec!["alpha".to_owned(), "beta".to_owned()];
    /// let job = BatchJob::from_requests(
    ///     texts.into_iter().map(|t| EmbeddingRequest::new("bge-large-en-v1.5", t)),
    /// );
    /// # let _ = job;
    /// ```
    pub fn from_requests(requests: impl IntoIterator<Item = R, IntoIter: Send + 'static>) -> Self {
        Self::default().chain(requests.into_iter().map(|r| (None, r)))
    }

    /// A job of `(custom id, request)` pairs; the ids must be unique and
    /// not empty.
    ///
    /// ```
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::BatchJob;
    /// let questions = vec![("q-1", "Why is the sky blue?"), ("q-2", "What is rust?")];
    /// let job = BatchJob::from_named(questions.into_iter().map(|(id, text)| {
    ///     (id.to_owned(), ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user(text)]))
    /// }));
    /// # let _ = job;
    /// ```
    pub fn from_named(
        requests: impl IntoIterator<Item = (String, R), IntoIter: Send + 'static>,
    ) -> Self {
        Self::default().chain(requests.into_iter().map(|(id, r)| (Some(id), r)))
    }

    fn chain(mut self, more: impl Iterator<Item = (Option<String>, R)> + Send + 'static) -> Self {
        self.segments.push(Segment::Lazy(Box::new(more)));
        self
    }

    fn add(mut self, custom_id: Option<String>, request: R) -> Self {
        match self.segments.last_mut() {
            Some(Segment::Added(added)) => added.push((custom_id, request)),
            _ => self
                .segments
                .push(Segment::Added(vec![(custom_id, request)])),
        }
        self
    }

    /// Adds a request; its custom id is generated from its position
    /// (`request-N` for the N-th request of the job).
    ///
    /// ```
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::BatchJob;
    /// let job = BatchJob::new().request(EmbeddingRequest::new("bge-large-en-v1.5", "text"));
    /// # let _ = job;
    /// ```
    pub fn request(self, request: R) -> Self {
        self.add(None, request)
    }

    /// Adds a request with your custom id (unique within the batch, not
    /// empty).
    ///
    /// ```
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::BatchJob;
    /// let job = BatchJob::new().named("doc-7", EmbeddingRequest::new("bge-large-en-v1.5", "text"));
    /// # let _ = job;
    /// ```
    pub fn named(self, custom_id: impl Into<String>, request: R) -> Self {
        self.add(Some(custom_id.into()), request)
    }

    /// Bounds checked before anything is sent (see [`BatchLimits`]).
    ///
    /// ```
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::{BatchJob, BatchLimits};
    /// let job = BatchJob::<EmbeddingRequest>::new().limits(BatchLimits::default().max_requests(1_000));
    /// # let _ = job;
    /// ```
    pub fn limits(mut self, limits: BatchLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Metadata kept with the batch.
    ///
    /// ```
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::BatchJob;
    /// let job = BatchJob::<EmbeddingRequest>::new()
    ///     .metadata(Metadata::from([("run".to_owned(), "nightly".to_owned())]));
    /// # let _ = job;
    /// ```
    pub fn metadata(mut self, metadata: impl Into<Metadata>) -> Self {
        self.metadata = Some(metadata.into());
        self
    }

    /// The directory the input file is written in before it is uploaded
    /// (by default the system's temporary directory): it needs room for
    /// the whole file, up to [`BatchLimits::max_file_bytes`].
    ///
    /// ```
    /// use tensoras::prelude::*;
    /// use tensoras::resources::batches::BatchJob;
    /// let job = BatchJob::<EmbeddingRequest>::new().spool_dir("/var/tmp");
    /// # let _ = job;
    /// ```
    pub fn spool_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spool = Some(dir.into());
        self
    }

    /// Writes the input file (JSONL) on tokio's blocking pool, checking
    /// every request: ids unique and not empty, one model, no streaming,
    /// within the limits. Nothing is sent. Dropped before it ends, the
    /// write still finishes on the pool and the file is removed then.
    pub(crate) async fn write(self) -> Result<InputFile> {
        let BatchJob {
            segments,
            limits,
            spool,
            ..
        } = self;
        if limits.max_requests == 0 || limits.max_file_bytes == 0 {
            return Err(Error::InvalidInput(
                "BatchLimits::max_requests and max_file_bytes must be at least 1".into(),
            ));
        }
        let requests = segments.into_iter().flat_map(|segment| -> Requests<R> {
            match segment {
                Segment::Lazy(requests) => requests,
                Segment::Added(added) => Box::new(added.into_iter()),
            }
        });
        let parent = spool.unwrap_or_else(std::env::temp_dir);
        tokio::task::spawn_blocking(move || {
            let mut file = InputFile::create(&parent)?;
            let written = write_lines(&file.path, requests, limits).and_then(|(lines, bytes)| {
                if lines == 0 {
                    return Err(Error::InvalidInput(
                        "a batch needs at least one request".into(),
                    ));
                }
                Ok((lines, bytes))
            });
            match written {
                Ok((lines, bytes)) => {
                    file.lines = lines;
                    file.bytes = bytes;
                    Ok(file)
                }
                Err(error) => {
                    // Removed before the error is returned (already on the
                    // blocking pool).
                    file.remove_here();
                    Err(error)
                }
            }
        })
        .await
        .unwrap_or_else(|joined| match joined.try_into_panic() {
            // A panic in the caller's iterator or `Serialize` is theirs.
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => Err(Error::InvalidInput(
                "writing the batch's input file was cancelled (the runtime is shutting down)"
                    .into(),
            )),
        })
    }
}

/// A line as the Batch API takes it (`types::BatchRequestLine`), written
/// from the typed request without a detour through a JSON map.
#[derive(Serialize)]
struct Line<'a, R> {
    custom_id: &'a str,
    method: &'static str,
    url: &'a str,
    body: &'a R,
}

fn write_lines<R: BatchRequest>(
    path: &Path,
    requests: impl Iterator<Item = (Option<String>, R)>,
    limits: BatchLimits,
) -> Result<(u64, u64)> {
    let io = |e: std::io::Error| {
        Error::InvalidInput(format!(
            "writing the batch's input file {}: {e}",
            path.display()
        ))
    };
    let out = std::fs::File::create(path).map_err(io)?;
    let mut out = std::io::BufWriter::with_capacity(256 << 10, out);
    let endpoint = <R::Response as BatchResponse>::endpoint().to_string();
    let mut seen = HashSet::new();
    let mut model: Option<String> = None;
    let (mut lines, mut bytes) = (0u64, 0u64);
    let mut line = Vec::new();
    for (custom_id, request) in requests {
        lines += 1;
        if lines > limits.max_requests {
            return Err(Error::InvalidInput(format!(
                "the batch has more than {} requests (BatchLimits::max_requests)",
                limits.max_requests
            )));
        }
        let custom_id = custom_id.unwrap_or_else(|| format!("request-{lines}"));
        if custom_id.is_empty() {
            return Err(Error::InvalidInput(format!(
                "request {lines} of the batch has an empty custom id"
            )));
        }
        if seen.contains(&custom_id) {
            return Err(Error::InvalidInput(format!(
                "the custom id {custom_id:?} is used twice in the batch"
            )));
        }
        if request.streams() {
            return Err(Error::InvalidInput(format!(
                "request {custom_id:?} asks to be streamed, which a batch cannot do"
            )));
        }
        if limits.one_model {
            match &model {
                None => model = Some(request.model().to_owned()),
                Some(first) if first != request.model() => {
                    return Err(Error::InvalidInput(format!(
                        "a batch takes one model: request {custom_id:?} asks for {:?}, the batch's first for {first:?}",
                        request.model()
                    )))
                }
                Some(_) => {}
            }
        }
        line.clear();
        serde_json::to_writer(
            &mut line,
            &Line {
                custom_id: &custom_id,
                method: "POST",
                url: &endpoint,
                body: &request,
            },
        )
        .map_err(|e| {
            Error::InvalidInput(format!("request {custom_id:?} does not serialize: {e}"))
        })?;
        line.push(b'\n');
        bytes = bytes.saturating_add(line.len() as u64);
        if bytes > limits.max_file_bytes {
            return Err(Error::InvalidInput(format!(
                "the batch's input file would be over {} bytes (BatchLimits::max_file_bytes)",
                limits.max_file_bytes
            )));
        }
        out.write_all(&line).map_err(io)?;
        seen.insert(custom_id);
    }
    out.flush().map_err(io)?;
    Ok((lines, bytes))
}

/// The input file, written: where, and how many lines and bytes.
pub(crate) struct InputFile {
    pub(crate) path: PathBuf,
    dir: PathBuf,
    pub(crate) lines: u64,
    pub(crate) bytes: u64,
}

impl InputFile {
    /// A fresh directory of its own under `parent`, readable by this user
    /// only (the file holds the requests' content). Blocking: on the pool.
    fn create(parent: &Path) -> Result<InputFile> {
        let dir = parent.join(format!(
            "tensoras-batch-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&dir)
            .map_err(|e| Error::InvalidInput(format!("creating {}: {e}", dir.display())))?;
        Ok(InputFile {
            path: dir.join("batch_input.jsonl"),
            dir,
            lines: 0,
            bytes: 0,
        })
    }

    /// Removes the file and its directory on this thread (best effort).
    fn remove_here(mut self) {
        let dir = std::mem::take(&mut self.dir);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Removes the file and its directory, and waits for it (best effort:
    /// a temporary file that cannot be removed is left to the system).
    pub(crate) async fn remove(mut self) {
        let dir = std::mem::take(&mut self.dir);
        let _ = tokio::fs::remove_dir_all(dir).await;
    }
}

/// A submission dropped half-way (or a `remove` that never ran) still
/// leaves no file behind, also when the drop comes as the runtime shuts
/// down (its tasks dropped): with a runtime, the directory is removed on a
/// thread of its own, not on the runtime's blocking pool (which discards
/// the work queued on it at shutdown), and without one on this thread. A
/// process that exits before that thread has run, or a directory that
/// cannot be removed, leaves it to the system's temporary-file cleanup.
impl Drop for InputFile {
    fn drop(&mut self) {
        let dir = std::mem::take(&mut self.dir);
        if dir.as_os_str().is_empty() {
            return;
        }
        // Off the runtime's threads when there is one: a slow disk must not
        // stall the executor.
        if tokio::runtime::Handle::try_current().is_ok() {
            crate::resources::remove_detached(dir, std::fs::remove_dir_all::<PathBuf>);
        } else {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A drop that comes once the runtime has begun to shut down (as its
    /// tasks are dropped) still removes the directory: a removal queued on
    /// the runtime's blocking pool then would be discarded, never run.
    #[test]
    fn an_input_file_dropped_as_the_runtime_shuts_down_is_still_removed() {
        let parent = std::env::temp_dir().join(format!(
            "tensoras-job-drop-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&parent).unwrap();
        let file = InputFile::create(&parent).unwrap();
        std::fs::write(&file.path, b"{}\n").unwrap();
        let dir = file.dir.clone();
        assert!(dir.exists());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        runtime.shutdown_background();
        {
            let _inside = handle.enter();
            drop(file);
        }
        // On this test's own thread (the runtime is shut down): up to 10 s,
        // counted in steps rather than computed from the clock.
        for _ in 0..1_000 {
            if !dir.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let removed = !dir.exists();
        let _ = std::fs::remove_dir_all(&parent);
        assert!(removed, "{} is left behind", dir.display());
    }
}
