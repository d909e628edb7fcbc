//! `client.files()`: streamed uploads and downloads.

use crate::client::{Body, Tensoras};
use crate::error::{Error, Result};
use crate::pagination::{paginate, ListParams};
use crate::types::{DeletedObject, FileList, FileObject};
use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncWriteExt};

/// The Files API.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use futures::TryStreamExt;
/// use tensoras::{FileSource, ListParams};
/// let file = client.files().create(FileSource::path("requests.jsonl"), "batch").await?;
/// let same = client.files().retrieve(&file.id).await?;
/// println!("{} bytes", same.bytes);
/// let all: Vec<_> = client.files().list_all(ListParams::new()).try_collect().await?;
/// println!("{} files ({} on the first page)", all.len(), client.files().list(ListParams::new()).await?.data.len());
/// let mut content = client.files().content(&file.id).await?;
/// while let Some(bytes) = content.try_next().await? {
///     println!("{} bytes arrived", bytes.len());
/// }
/// client.files().download_to(&file.id, "copy.jsonl").await?;
/// client.files().delete(&file.id).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Files(pub(crate) Tensoras);

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

fn file_part(path: &Path) -> Result<Part> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::InvalidInput(format!("cannot open {}: {e}", path.display())))?;
    let length = file
        .metadata()
        .map_err(|e| Error::InvalidInput(format!("cannot stat {}: {e}", path.display())))?
        .len();
    let stream =
        tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file), UPLOAD_READ);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    upload_part(reqwest::Body::wrap_stream(stream), Some(length), name)
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

impl Files {
    /// Uploads a file with a purpose (`batch` or `knowledge-base`).
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::FileSource;
    /// let file = client.files().create(FileSource::path("handbook.pdf"), "knowledge-base").await?;
    /// println!("{} ({} bytes)", file.id, file.bytes);
    /// # Ok(()) }
    /// ```
    pub async fn create(
        &self,
        source: FileSource,
        purpose: impl Into<String>,
    ) -> Result<FileObject> {
        let purpose = purpose.into();
        let (make, client): (Box<dyn Fn() -> Result<Form> + Send + Sync>, Tensoras) = match source {
            FileSource::Path(path) => {
                if !path.is_file() {
                    return Err(Error::InvalidInput(format!(
                        "{} is not a readable file",
                        path.display()
                    )));
                }
                let purpose = purpose.clone();
                (
                    Box::new(move || {
                        Ok(Form::new()
                            .text("purpose", purpose.clone())
                            .part("file", file_part(&path)?))
                    }),
                    self.0.clone(),
                )
            }
            FileSource::Bytes { filename, data } => {
                let purpose = purpose.clone();
                (
                    Box::new(move || {
                        let part = upload_part(
                            reqwest::Body::from(data.clone()),
                            Some(data.len() as u64),
                            filename.clone(),
                        )?;
                        Ok(Form::new()
                            .text("purpose", purpose.clone())
                            .part("file", part))
                    }),
                    self.0.clone(),
                )
            }
            FileSource::Reader {
                filename,
                reader,
                length,
            } => {
                let slot = Arc::new(Mutex::new(Some(reader)));
                let purpose = purpose.clone();
                (
                    Box::new(move || {
                        let reader = slot
                            .lock()
                            .map_err(|_| Error::InvalidInput("upload reader lock poisoned".into()))?
                            .take()
                            .ok_or_else(|| {
                                Error::InvalidInput("a reader upload cannot be sent twice".into())
                            })?;
                        let body = reqwest::Body::wrap_stream(
                            tokio_util::io::ReaderStream::with_capacity(reader, UPLOAD_READ),
                        );
                        Ok(Form::new()
                            .text("purpose", purpose.clone())
                            .part("file", upload_part(body, length, filename.clone())?))
                    }),
                    self.0
                        .with_options(crate::RequestOptions::new().max_retries(0)),
                )
            }
        };
        let response = client
            .send(Method::POST, "files", &[], Body::Multipart(make))
            .await?;
        Ok(client.read_json(response).await?.data)
    }

    /// One page of files.
    pub async fn list(&self, params: ListParams) -> Result<FileList> {
        self.0.get_json("files", &params.query()).await
    }

    /// Every file, page after page.
    pub fn list_all(&self, params: ListParams) -> impl Stream<Item = Result<FileObject>> + Send {
        let client = self.0.clone();
        paginate(params, move |p| {
            let client = client.clone();
            Box::pin(async move { client.get_json::<FileList>("files", &p.query()).await })
        })
    }

    /// One file's metadata.
    pub async fn retrieve(&self, file_id: &str) -> Result<FileObject> {
        self.0
            .get_json(&format!("files/{}", crate::path::segment(file_id)?), &[])
            .await
    }

    /// Deletes a file.
    pub async fn delete(&self, file_id: &str) -> Result<DeletedObject> {
        self.0
            .delete_json(&format!("files/{}", crate::path::segment(file_id)?))
            .await
    }

    /// The file's bytes as a stream, read as they arrive.
    pub async fn content(&self, file_id: &str) -> Result<impl Stream<Item = Result<Bytes>> + Send> {
        let path = format!("files/{}/content", crate::path::segment(file_id)?);
        let response = self.0.send(Method::GET, &path, &[], Body::None).await?;
        Ok(response.bytes_stream().map_err(Error::connection))
    }

    /// Downloads the file's bytes into `destination`, returning the byte count.
    pub async fn download_to(&self, file_id: &str, destination: impl AsRef<Path>) -> Result<u64> {
        let destination = destination.as_ref();
        let mut stream = Box::pin(self.content(file_id).await?);
        let mut out = tokio::fs::File::create(destination).await.map_err(|e| {
            Error::InvalidInput(format!("cannot create {}: {e}", destination.display()))
        })?;
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            out.write_all(&chunk).await.map_err(|e| {
                Error::InvalidInput(format!("writing {}: {e}", destination.display()))
            })?;
            written += chunk.len() as u64;
        }
        out.flush()
            .await
            .map_err(|e| Error::InvalidInput(format!("writing {}: {e}", destination.display())))?;
        Ok(written)
    }
}
