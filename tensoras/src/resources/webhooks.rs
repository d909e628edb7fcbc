//! `client.webhooks()`.

use crate::client::Tensoras;
use crate::error::Result;
use crate::pagination::ListParams;
use crate::types::{
    DeletedObject, Webhook, WebhookCreateRequest, WebhookList, WebhookUpdateRequest,
};

/// The Webhooks API.
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
