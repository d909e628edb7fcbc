//! Blocking `client.batches()`.

use crate::blocking::Iter;
use crate::error::Result;
use crate::operations::ListBatches;
use crate::resources::batches::Batches as AsyncBatches;
use crate::response::Mode;
use crate::types::{Batch, BatchCreateRequest, BatchList};

blocking_namespace! {
    /// Blocking `client.batches()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let batch = client.batches().create(BatchCreateRequest::new("file-abc123", BatchEndpoint::ChatCompletions))?;
    /// println!("{}", client.batches().retrieve(&batch.id)?.status);
    /// println!("{}", client.batches().list(ListBatches::new())?.data.len());
    /// for batch in client.batches().list_all(ListBatches::new()) {
    ///     println!("{}", batch?.id);
    /// }
    /// client.batches().cancel(&batch.id)?;
    /// # Ok(()) }
    /// ```
    Batches => AsyncBatches
}

impl<M: Mode> Batches<M> {
    /// See [`crate::resources::batches::Batches::create`].
    pub fn create(&self, request: impl Into<BatchCreateRequest>) -> Result<M::Output<Batch>> {
        self.runtime.block_on(self.inner.create(request))
    }

    /// See [`crate::resources::batches::Batches::retrieve`].
    pub fn retrieve(&self, batch_id: &str) -> Result<M::Output<Batch>> {
        self.runtime.block_on(self.inner.retrieve(batch_id))
    }

    /// See [`crate::resources::batches::Batches::list`].
    pub fn list(&self, request: impl Into<ListBatches>) -> Result<M::Output<BatchList>> {
        self.runtime.block_on(self.inner.list(request))
    }

    /// See [`crate::resources::batches::Batches::list_all`].
    pub fn list_all(&self, request: impl Into<ListBatches>) -> Iter<Batch> {
        Iter::new(self.inner.list_all(request), self.runtime, None)
    }

    /// See [`crate::resources::batches::Batches::cancel`].
    pub fn cancel(&self, batch_id: &str) -> Result<M::Output<Batch>> {
        self.runtime.block_on(self.inner.cancel(batch_id))
    }
}
