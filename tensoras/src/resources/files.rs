//! `client.files()`: streamed uploads and downloads.

use crate::client::MakeForm;
use crate::error::{Error, Result};
use crate::operations::{CreateFile, DeleteFile, DownloadFileContent, ListFiles, RetrieveFile};
use crate::response::{ApiResponse, Mode};
use crate::transport::{Guarded, Progress, Tracked};
use crate::types::{DeletedObject, FileList, FileObject, FilePurpose};
use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use reqwest::header::HeaderMap;
use reqwest::multipart::{Form, Part};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWriteExt};

namespace! {
    /// The Files API.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::TryStreamExt;
    /// use tensoras::prelude::*;
    /// let file = client.files().create(FileSource::path("requests.jsonl"), FilePurpose::Batch).await?;
    /// let same = client.files().retrieve(&file.id).await?;
    /// println!("{} bytes", same.bytes);
    /// let page = client.files().list(ListFiles::new().purpose(FilePurpose::Batch)).await?;
    /// let all: Vec<FileObject> = client.files().list_all(ListFiles::new()).try_collect().await?;
    /// println!("{} files ({} on the first page)", all.len(), page.data.len());
    /// let mut content = client.files().content(&file.id).await?;
    /// println!("{:?} bytes coming", content.content_length());
    /// while let Some(bytes) = content.try_next().await? {
    ///     println!("{} bytes arrived", bytes.len());
    /// }
    /// client.files().download_to(&file.id, "copy.jsonl").await?;
    /// let raw = client.files().with_raw_response().delete(&file.id).await?;
    /// println!("{:?}", raw.request_id());
    /// # Ok(()) }
    /// ```
    Files
}

/// What to upload. Files and readers are streamed, never read into memory.
pub enum FileSource {
    /// A file on disk; reopened for each retry.
    Path(PathBuf),
    /// Bytes in memory, with a file name.
    Bytes {
        /// The file name the server records.
        filename: String,
        /// The content.
        data: Bytes,
    },
    /// Any async reader, with a file name. Sent once: a reader cannot be
    /// rewound, so this upload is not retried.
    Reader {
        /// The file name the server records.
        filename: String,
        /// The content.
        reader: Box<dyn AsyncRead + Send + Unpin>,
        /// The length, when known (sent as the part's length).
        length: Option<u64>,
    },
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileSource::Path(p) => f.debug_tuple("Path").field(p).finish(),
            FileSource::Bytes { filename, data } => f
                .debug_struct("Bytes")
                .field("filename", filename)
                .field("len", &data.len())
                .finish(),
            FileSource::Reader {
                filename, length, ..
            } => f
                .debug_struct("Reader")
                .field("filename", filename)
                .field("length", length)
                .finish(),
        }
    }
}

impl FileSource {
    /// A file on disk.
    pub fn path(path: impl AsRef<Path>) -> Self {
        FileSource::Path(path.as_ref().to_path_buf())
    }

    /// Bytes in memory.
    pub fn bytes(filename: impl Into<String>, data: impl Into<Bytes>) -> Self {
        FileSource::Bytes {
            filename: filename.into(),
            data: data.into(),
        }
    }

    /// An async reader.
    pub fn reader(
        filename: impl Into<String>,
        reader: impl AsyncRead + Send + Unpin + 'static,
        length: Option<u64>,
    ) -> Self {
        FileSource::Reader {
            filename: filename.into(),
            reader: Box::new(reader),
            length,
        }
    }
}

/// Bytes per read of an upload: large enough that a 1 GiB file is not sent
/// in 4 KiB pieces (the default: 3.5× slower in the memory benchmark), small enough
/// to keep memory flat.
const UPLOAD_READ: usize = 256 * 1024;

/// The `file` part for a file on disk of `length` bytes: the file is opened
/// (through tokio's blocking pool, never on the executor) when the upload
/// starts, so each attempt reads it afresh; one that changed size since it
/// was measured fails the upload rather than sending a body that does not
/// match its declared length.
fn file_part(path: &Path, length: u64, progress: &Arc<Progress>) -> Result<Part> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let open_path = path.to_path_buf();
    let contents = futures::stream::once(async move {
        let file = tokio::fs::File::open(&open_path).await?;
        // One byte past the length, to see a file that grew.
        let limited = tokio::io::AsyncReadExt::take(file, length.saturating_add(1));
        Ok::<_, std::io::Error>(tokio_util::io::ReaderStream::with_capacity(
            limited,
            UPLOAD_READ,
        ))
    })
    .try_flatten();
    let shown = path.display().to_string();
    let body = Box::pin(exactly(contents, length, shown));
    upload_part(tracked(body, progress), Some(length), name)
}

/// `stream`, failing at its end unless it gave exactly `expected` bytes.
fn exactly(
    stream: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    expected: u64,
    what: String,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    use std::sync::atomic::{AtomicU64, Ordering};
    let seen = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&seen);
    let pieces = stream.map(move |piece| {
        if let Ok(bytes) = &piece {
            counter.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
        Some(piece)
    });
    let end = futures::stream::once(async move {
        let got = seen.load(Ordering::Relaxed);
        (got != expected).then(|| {
            Err(std::io::Error::other(format!(
                "{what} changed size while it was being sent ({expected} bytes when the upload began)"
            )))
        })
    });
    pieces.chain(end).filter_map(futures::future::ready)
}

/// An upload's bytes as a body whose progress the attempt sees (the write
/// timeout bounds each wait for the server to take the next piece).
fn tracked<S>(stream: S, progress: &Arc<Progress>) -> reqwest::Body
where
    S: Stream<Item = std::io::Result<Bytes>> + Send + Unpin + 'static,
{
    reqwest::Body::wrap_stream(Tracked::new(stream, progress))
}

/// The `file` part: its name and a content type from the extension. Some
/// multipart parsers (Prism's among them) drop a file part that has none.
fn upload_part(body: reqwest::Body, length: Option<u64>, filename: String) -> Result<Part> {
    let extension = filename
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let mime = match extension.as_str() {
        "pdf" => "application/pdf",
        "json" => "application/json",
        "jsonl" => "application/jsonl",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    };
    let part = match length {
        Some(length) => Part::stream_with_length(body, length),
        None => Part::stream(body),
    };
    part.file_name(filename)
        .mime_str(mime)
        .map_err(|e| Error::InvalidInput(format!("content type {mime}: {e}")))
}

impl<M: Mode> Files<M> {
    /// Uploads a file with a purpose (`batch` or `knowledge-base`). A file on
    /// disk or in memory is sent again on a retry; a reader is sent once.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let file = client.files().create(FileSource::path("handbook.pdf"), FilePurpose::KnowledgeBase).await?;
    /// println!("{} ({} bytes)", file.id, file.bytes);
    /// # Ok(()) }
    /// ```
    pub fn create(
        &self,
        source: FileSource,
        purpose: impl Into<FilePurpose>,
    ) -> impl Future<Output = Result<M::Output<FileObject>>> + Send + 'static {
        let purpose = purpose.into().to_string();
        let mut client = self.client.clone();
        async move {
            let make: MakeForm = match source {
                FileSource::Path(path) => {
                    // Through tokio's blocking pool: a slow disk or network
                    // file system must not stall the executor.
                    let metadata = tokio::fs::metadata(&path).await.map_err(|e| {
                        Error::InvalidInput(format!("cannot read {}: {e}", path.display()))
                    })?;
                    if !metadata.is_file() {
                        return Err(Error::InvalidInput(format!(
                            "{} is not a file",
                            path.display()
                        )));
                    }
                    let length = metadata.len();
                    Box::new(move |progress| {
                        Ok(Form::new()
                            .text("purpose", purpose.clone())
                            .part("file", file_part(&path, length, progress)?))
                    })
                }
                FileSource::Bytes { filename, data } => Box::new(move |progress| {
                    let pieces: Vec<std::io::Result<Bytes>> = (0..data.len())
                        .step_by(UPLOAD_READ)
                        .map(|at| Ok(data.slice(at..(at + UPLOAD_READ).min(data.len()))))
                        .collect();
                    let part = upload_part(
                        tracked(futures::stream::iter(pieces), progress),
                        Some(data.len() as u64),
                        filename.clone(),
                    )?;
                    Ok(Form::new()
                        .text("purpose", purpose.clone())
                        .part("file", part))
                }),
                FileSource::Reader {
                    filename,
                    reader,
                    length,
                } => {
                    // A reader cannot be rewound: one attempt only.
                    client = client.with_options(crate::RequestOptions::new().max_retries(0));
                    let slot = Arc::new(Mutex::new(Some(reader)));
                    Box::new(move |progress| {
                        let reader = slot
                            .lock()
                            .map_err(|_| Error::InvalidInput("upload reader lock poisoned".into()))?
                            .take()
                            .ok_or_else(|| {
                                Error::InvalidInput("a reader upload cannot be sent twice".into())
                            })?;
                        let body = tracked(
                            tokio_util::io::ReaderStream::with_capacity(reader, UPLOAD_READ),
                            progress,
                        );
                        Ok(Form::new()
                            .text("purpose", purpose.clone())
                            .part("file", upload_part(body, length, filename.clone())?))
                    })
                }
            };
            let request = client.multipart_request(&CreateFile::new(), make)?;
            Ok(M::output(client.json(request).await?))
        }
    }

    /// One page of files.
    pub fn list(
        &self,
        request: impl Into<ListFiles>,
    ) -> impl Future<Output = Result<M::Output<FileList>>> + Send + 'static {
        self.client.execute::<_, M>(request.into())
    }

    /// Every file, page after page, fetched as the stream is read.
    #[must_use = "a stream fetches nothing until it is read"]
    pub fn list_all(
        &self,
        request: impl Into<ListFiles>,
    ) -> impl Stream<Item = Result<FileObject>> + Send + Unpin + 'static {
        crate::pagination::list_all(self.client.clone(), request.into())
    }

    /// One file's metadata.
    pub fn retrieve(
        &self,
        file_id: &str,
    ) -> impl Future<Output = Result<M::Output<FileObject>>> + Send + 'static {
        self.client.execute::<_, M>(RetrieveFile::new(file_id))
    }

    /// Deletes a file.
    pub fn delete(
        &self,
        file_id: &str,
    ) -> impl Future<Output = Result<M::Output<DeletedObject>>> + Send + 'static {
        self.client.execute::<_, M>(DeleteFile::new(file_id))
    }

    /// The file's bytes as a stream, read as they arrive, with the
    /// response's status and headers.
    pub fn content(
        &self,
        file_id: &str,
    ) -> impl Future<Output = Result<FileContent>> + Send + 'static {
        let request = self.client.request(&DownloadFileContent::new(file_id));
        futures::FutureExt::map(self.client.send_unread(request), |sent| {
            sent.map(FileContent::new)
        })
    }

    /// Downloads the file's bytes into `destination`, returning the byte count.
    ///
    /// A regular file (or a new one) is replaced only by a complete
    /// download: the bytes go to a temporary file beside `destination` (in
    /// the same directory, named `.{name}.{pid}.{random}.part`), which is
    /// synced to disk and renamed over `destination` once the whole download
    /// has arrived. A download that fails (or is dropped before its end)
    /// leaves `destination` as it was, whether it existed or not, and its
    /// temporary file is removed (best effort). The new file has the old
    /// one's permissions (not its owner, nor its other hard links); a
    /// read-only file or a directory is refused with
    /// [`Error::InvalidInput`].
    ///
    /// Written in place instead, as a plain write would, so that what a
    /// failed download wrote there stays: a symbolic link (written
    /// through, to whatever it points to: `/dev/stdout`, a file elsewhere),
    /// what is not a regular file (a device such as `/dev/null`, a pipe),
    /// and an existing file where the temporary one cannot be made or
    /// renamed over it (a directory without write permission, a file
    /// mounted on its own).
    pub fn download_to(
        &self,
        file_id: &str,
        destination: impl AsRef<Path>,
    ) -> impl Future<Output = Result<u64>> + Send + 'static {
        let destination = destination.as_ref().to_path_buf();
        let content = self.content(file_id);
        async move {
            let mut stream = content.await?;
            let is_link = matches!(
                tokio::fs::symlink_metadata(&destination).await,
                Ok(meta) if meta.file_type().is_symlink()
            );
            let existing = tokio::fs::metadata(&destination).await.ok();
            let regular = existing
                .as_ref()
                .is_none_or(|meta| meta.is_file() || meta.is_dir());
            if is_link || !regular {
                return in_place(&mut stream, &destination).await;
            }
            let (part, mut out) = match PartFile::create(&destination).await {
                Ok(made) => made,
                Err(_) if existing.as_ref().is_some_and(std::fs::Metadata::is_file) => {
                    return in_place(&mut stream, &destination).await;
                }
                Err(error) => return Err(error),
            };
            let filled = async {
                let written = fill(&mut stream, &mut out, &destination).await?;
                out.sync_all()
                    .await
                    .map_err(|e| write_error(&destination, e))?;
                Ok(written)
            }
            .await;
            drop(out);
            match filled {
                Ok(written) => {
                    part.replace(&destination).await?;
                    Ok(written)
                }
                Err(error) => {
                    part.remove().await;
                    Err(error)
                }
            }
        }
    }
}

/// Writes the rest of `stream` over `destination` itself (see
/// [`Files::download_to`]).
async fn in_place(stream: &mut FileContent, destination: &Path) -> Result<u64> {
    let mut out = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(destination)
        .await
        .map_err(|e| write_error(destination, e))?;
    fill(stream, &mut out, destination).await
}

/// Writes the rest of `stream` to `out` and flushes it; returns the bytes written.
async fn fill(stream: &mut FileContent, out: &mut tokio::fs::File, target: &Path) -> Result<u64> {
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        out.write_all(&chunk)
            .await
            .map_err(|e| write_error(target, e))?;
        written += chunk.len() as u64;
    }
    out.flush().await.map_err(|e| write_error(target, e))?;
    Ok(written)
}

fn write_error(target: &Path, error: std::io::Error) -> Error {
    Error::InvalidInput(format!("writing {}: {error}", target.display()))
}

/// A download's temporary file, beside its destination: renamed over the
/// destination once the download is complete, else removed (by
/// [`remove`](Self::remove), or when dropped with the download).
struct PartFile {
    path: PathBuf,
    /// Whether dropping it removes the file.
    armed: bool,
}

impl PartFile {
    /// A new, empty file in `target`'s directory, under a name no other
    /// download uses (made with `create_new`: an existing file is never
    /// reused), with `target`'s permissions when it exists.
    async fn create(target: &Path) -> Result<(PartFile, tokio::fs::File)> {
        let cannot =
            |why: &str| Error::InvalidInput(format!("cannot create {}: {why}", target.display()));
        let Some(name) = target.file_name() else {
            return Err(cannot("the path does not name a file"));
        };
        let existing = tokio::fs::metadata(target).await.ok();
        if let Some(meta) = &existing {
            if meta.is_dir() {
                return Err(cannot("it is a directory"));
            }
            if meta.permissions().readonly() {
                return Err(cannot("it is read-only"));
            }
        }
        // Cut, so that the name stays within a file system's limit.
        let stem: String = name.to_string_lossy().chars().take(64).collect();
        let mut taken = 0;
        loop {
            let path = target.with_file_name(format!(
                ".{stem}.{}.{:016x}.part",
                std::process::id(),
                fastrand::u64(..)
            ));
            // Armed before the open: a download dropped while the file is
            // being made removes it too (the random name is ours alone).
            let mut part = PartFile { path, armed: true };
            let opened = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&part.path)
                .await;
            match opened {
                Ok(file) => {
                    // Before any byte is written: a private file stays private.
                    if let Some(meta) = &existing {
                        let _ = file.set_permissions(meta.permissions()).await;
                    }
                    return Ok((part, file));
                }
                Err(e) => {
                    // Not made by us (it exists, or nothing was made):
                    // not ours to remove.
                    part.armed = false;
                    if e.kind() == std::io::ErrorKind::AlreadyExists && taken < 8 {
                        taken += 1;
                        continue;
                    }
                    return Err(Error::InvalidInput(format!(
                        "cannot create {} (through {}): {e}",
                        target.display(),
                        part.path.display()
                    )));
                }
            }
        }
    }

    /// Renames the file over `target`, or, where `target` cannot be
    /// renamed over (a file mounted on its own), copies it there; then it
    /// is gone either way.
    async fn replace(mut self, target: &Path) -> Result<()> {
        if tokio::fs::rename(&self.path, target).await.is_ok() {
            self.armed = false;
            return Ok(());
        }
        let copied = tokio::fs::copy(&self.path, target).await;
        self.remove().await;
        match copied {
            Ok(_) => Ok(()),
            Err(e) => Err(Error::InvalidInput(format!(
                "cannot replace {}: {e}",
                target.display()
            ))),
        }
    }

    /// Removes the file, and waits for it (best effort).
    async fn remove(mut self) {
        self.armed = false;
        let _ = tokio::fs::remove_file(&self.path).await;
    }
}

/// A download dropped before its end removes its temporary file.
impl Drop for PartFile {
    fn drop(&mut self) {
        if self.armed {
            super::remove_detached(
                std::mem::take(&mut self.path),
                std::fs::remove_file::<PathBuf>,
            );
        }
    }
}

/// A file's bytes as they arrive ([`Files::content`]), with the response's
/// status and headers. Each wait for bytes is bounded by the read timeout
/// (a stalled download ends with [`Error::Timeout`]), the whole by the total
/// timeout when set. Dropping it closes the connection (over HTTP/2, resets
/// the stream).
#[must_use = "the content is not read until the stream is polled"]
pub struct FileContent {
    status: u16,
    headers: HeaderMap,
    attempts: u32,
    body: Guarded,
    /// The call's span, when someone listens: it ends with the body.
    observed: Option<Box<crate::telemetry::Call>>,
}

impl std::fmt::Debug for FileContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileContent")
            .field("status", &self.status)
            .field("content_length", &self.content_length())
            .finish_non_exhaustive()
    }
}

impl FileContent {
    fn new(sent: crate::client::Sent) -> Self {
        let crate::client::Sent {
            mut response,
            attempts,
            settings,
            observed,
        } = sent;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        if let Some(call) = &observed {
            crate::telemetry::record_request_id(&call.span, &headers);
            call.record_status(status);
        }
        FileContent {
            status,
            headers,
            attempts,
            body: Guarded::new(response, settings),
            observed,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Every response header.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `x-request-id` header.
    pub fn request_id(&self) -> Option<&str> {
        crate::rate_limit::request_id(&self.headers)
    }

    /// The declared length (`Content-Length`), when the server sent one.
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    }

    /// The response's metadata, without the body.
    pub fn response(&self) -> ApiResponse<()> {
        ApiResponse::new((), self.status, self.headers.clone(), self.attempts)
    }

    /// The most bytes [`bytes`](Self::bytes) and [`text`](Self::text) read:
    /// the client's [`Limits::max_response_bytes`](crate::Limits::max_response_bytes).
    pub fn max_bytes(&self) -> u64 {
        self.body.max_response_bytes()
    }

    /// The whole content, read to its end (openai-python's `.read()`): at
    /// most [`max_bytes`](Self::max_bytes), else [`Error::LimitExceeded`]
    /// (read a larger file as a stream, or with
    /// [`Files::download_to`]).
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// let bytes = client.files().content("file-abc123").await?.bytes().await?;
    /// println!("{} bytes", bytes.len());
    /// # Ok(()) }
    /// ```
    pub async fn bytes(mut self) -> Result<Bytes> {
        let max = self.max_bytes();
        let too_large = || Error::limit("the file content (bytes)", max);
        if self.content_length().is_some_and(|n| n > max) {
            return Err(too_large());
        }
        let mut whole = Vec::new();
        while let Some(piece) = self.next().await {
            let piece = piece?;
            if (whole.len() as u64).saturating_add(piece.len() as u64) > max {
                return Err(too_large());
            }
            whole.extend_from_slice(&piece);
        }
        Ok(whole.into())
    }

    /// The whole content as text (openai-python's `.text`): as
    /// [`bytes`](Self::bytes), and UTF-8, else [`Error::Decode`].
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// let text = client.files().content("file-abc123").await?.text().await?;
    /// for line in text.lines() {
    ///     println!("{line}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn text(self) -> Result<String> {
        text(self.bytes().await?)
    }
}

/// A file's bytes as text, or [`Error::Decode`] when they are not UTF-8.
pub(crate) fn text(bytes: Bytes) -> Result<String> {
    String::from_utf8(bytes.to_vec())
        .map_err(|e| Error::decode(format!("the file is not UTF-8 text: {e}"), &bytes))
}

impl Drop for FileContent {
    fn drop(&mut self) {
        if let Some(call) = self.observed.take() {
            // Dropped before its end: the caller stopped reading.
            call.span.record("tensoras.stream.dropped", true);
            call.end(None, None, None);
        }
    }
}

impl Stream for FileContent {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.body).poll_next(cx);
        match &polled {
            Poll::Ready(None) => {
                if let Some(call) = self.observed.take() {
                    call.end(None, None, None);
                }
            }
            Poll::Ready(Some(Err(error))) => {
                if let Some(call) = self.observed.take() {
                    call.failed(error);
                }
            }
            _ => {}
        }
        polled
    }
}
