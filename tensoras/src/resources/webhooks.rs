//! `client.webhooks()`.

use crate::client::Tensoras;
use crate::error::Result;
use crate::pagination::ListParams;
use crate::types::{
    DeletedObject, Webhook, WebhookCreateRequest, WebhookList, WebhookUpdateRequest,
};

/// The Webhooks API.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::ListParams;
/// let hook = client.webhooks().create(&serde_json::from_value(serde_json::json!({
///     "url": "https://example.com/hooks", "events": ["batch.completed"]
/// }))?).await?;
/// client.webhooks().retrieve(&hook.id).await?;
/// client.webhooks().update(&hook.id, &serde_json::from_value(serde_json::json!({"status": "disabled"}))?).await?;
/// println!("{} webhooks", client.webhooks().list(ListParams::new()).await?.data.len());
/// client.webhooks().delete(&hook.id).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Webhooks(pub(crate) Tensoras);

impl Webhooks {
    /// Registers an endpoint.
    pub async fn create(&self, request: &WebhookCreateRequest) -> Result<Webhook> {
        self.0.post_json("webhooks", request).await
    }

    /// One page of webhooks.
    pub async fn list(&self, params: ListParams) -> Result<WebhookList> {
        self.0.get_json("webhooks", &params.query()).await
    }

    /// One webhook.
    pub async fn retrieve(&self, webhook_id: &str) -> Result<Webhook> {
        self.0
            .get_json(
                &format!("webhooks/{}", crate::path::segment(webhook_id)?),
                &[],
            )
            .await
    }

    /// Changes URL, events or status.
    pub async fn update(
        &self,
        webhook_id: &str,
        request: &WebhookUpdateRequest,
    ) -> Result<Webhook> {
        self.0
            .patch_json(
                &format!("webhooks/{}", crate::path::segment(webhook_id)?),
                request,
            )
            .await
    }

    /// Deletes a webhook.
    pub async fn delete(&self, webhook_id: &str) -> Result<DeletedObject> {
        self.0
            .delete_json(&format!("webhooks/{}", crate::path::segment(webhook_id)?))
            .await
    }
}
