//! `client.batches()`.

use crate::client::Tensoras;
use crate::error::Result;
use crate::pagination::{paginate, ListParams};
use crate::types::{Batch, BatchCreateRequest, BatchList};
use futures::Stream;

/// The Batches API.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::{ListParams, types::BatchCreateRequest};
/// let request: BatchCreateRequest = serde_json::from_value(serde_json::json!({
///     "input_file_id": "file-abc123", "endpoint": "/v1/chat/completions", "completion_window": "24h"
/// }))?;
/// let batch = client.batches().create(&request).await?;
/// let batch = client.batches().retrieve(&batch.id).await?;
/// println!("{}: {}", batch.id, batch.status);
/// let page = client.batches().list(ListParams::new().limit(10)).await?;
/// println!("{} batches on the first page", page.data.len());
/// client.batches().cancel(&batch.id).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Batches(pub(crate) Tensoras);

impl Batches {
    /// Starts a batch over an uploaded JSONL file.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// let batch = client.batches().create(&tensoras::types::BatchCreateRequest {
    ///     input_file_id: "file-abc123".into(),
    ///     endpoint: "/v1/chat/completions".into(),
    ///     completion_window: tensoras::types::BatchCreateRequestCompletionWindow::X24h,
    ///     metadata: Default::default(),
    /// }).await?;
    /// println!("{} {}", batch.id, batch.status);
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, request: &BatchCreateRequest) -> Result<Batch> {
        self.0.post_json("batches", request).await
    }

    /// One batch.
    pub async fn retrieve(&self, batch_id: &str) -> Result<Batch> {
        self.0
            .get_json(&format!("batches/{}", crate::path::segment(batch_id)?), &[])
            .await
    }

    /// One page of batches.
    pub async fn list(&self, params: ListParams) -> Result<BatchList> {
        self.0.get_json("batches", &params.query()).await
    }

    /// Every batch, page after page.
    pub fn list_all(&self, params: ListParams) -> impl Stream<Item = Result<Batch>> + Send {
        let client = self.0.clone();
        paginate(params, move |p| {
            let client = client.clone();
            Box::pin(async move { client.get_json::<BatchList>("batches", &p.query()).await })
        })
    }

    /// Asks a batch to stop.
    pub async fn cancel(&self, batch_id: &str) -> Result<Batch> {
        let path = format!("batches/{}/cancel", crate::path::segment(batch_id)?);
        self.0.post_empty(&path).await
    }
}
