//! Blocking `client.files()`.

use crate::blocking::Iter;
use crate::error::Result;
use crate::operations::ListFiles;
use crate::resources::files::{FileSource, Files as AsyncFiles};
use crate::response::Mode;
use crate::types::{DeletedObject, FileList, FileObject, FilePurpose};
use bytes::Bytes;

blocking_namespace! {
    /// Blocking `client.files()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let file = client.files().create(FileSource::path("requests.jsonl"), FilePurpose::Batch)?;
    /// println!("{}", client.files().retrieve(&file.id)?.bytes);
    /// println!("{}", client.files().list(ListFiles::new())?.data.len());
    /// for file in client.files().list_all(ListFiles::new()) {
    ///     println!("{}", file?.filename);
    /// }
    /// let content = client.files().content(&file.id)?;
    /// println!("{:?}", content.status());
    /// for bytes in content {
    ///     println!("{} bytes", bytes?.len());
    /// }
    /// client.files().download_to(&file.id, "copy.jsonl")?;
    /// client.files().delete(&file.id)?;
    /// # Ok(()) }
    /// ```
    Files => AsyncFiles
}

impl<M: Mode> Files<M> {
    /// See [`crate::resources::files::Files::create`].
    pub fn create(
        &self,
        source: FileSource,
        purpose: impl Into<FilePurpose>,
    ) -> Result<M::Output<FileObject>> {
        let purpose: FilePurpose = purpose.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.create(source, purpose))
    }

    /// See [`crate::resources::files::Files::list`].
    pub fn list(&self, request: impl Into<ListFiles>) -> Result<M::Output<FileList>> {
        let request: ListFiles = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.list(request))
    }

    /// See [`crate::resources::files::Files::list_all`].
    pub fn list_all(&self, request: impl Into<ListFiles>) -> Iter<FileObject> {
        Iter::new(self.inner.list_all(request), self.runtime, None)
    }

    /// See [`crate::resources::files::Files::retrieve`].
    pub fn retrieve(&self, file_id: &str) -> Result<M::Output<FileObject>> {
        let file_id = file_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.retrieve(&file_id))
    }

    /// See [`crate::resources::files::Files::delete`].
    pub fn delete(&self, file_id: &str) -> Result<M::Output<DeletedObject>> {
        let file_id = file_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.delete(&file_id))
    }

    /// See [`crate::resources::files::Files::content`]: the bytes, chunk by
    /// chunk as they arrive, with the response's status and headers.
    pub fn content(&self, file_id: &str) -> Result<Iter<Bytes>> {
        let file_id = file_id.to_owned();
        let content = self
            .runtime
            .run_with(&self.inner, move |inner| inner.content(&file_id))?;
        let response = Some((content.status(), content.headers().clone()));
        let max = content.max_bytes();
        Ok(Iter::new(content, self.runtime, response).with_max_bytes(max))
    }

    /// See [`crate::resources::files::Files::download_to`].
    pub fn download_to(
        &self,
        file_id: &str,
        destination: impl AsRef<std::path::Path>,
    ) -> Result<u64> {
        let file_id = file_id.to_owned();
        let destination = destination.as_ref().to_path_buf();
        self.runtime.run_with(&self.inner, move |inner| {
            inner.download_to(&file_id, destination)
        })
    }
}
