//! `client.webhooks()`: the endpoints that receive signed event deliveries.
//! Verifying a delivery is [`crate::webhooks::verify`].

use crate::error::Result;
use crate::operations::{
    CreateWebhook, DeleteWebhook, ListWebhooks, RetrieveWebhook, UpdateWebhook,
};
use crate::response::Mode;
use crate::types::{
    DeletedObject, Webhook, WebhookCreateRequest, WebhookList, WebhookUpdateRequest,
};
use futures::Stream;
use std::future::Future;

namespace! {
    /// The Webhooks API.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::TryStreamExt;
    /// use tensoras::prelude::*;
    /// let hooks = client.webhooks();
    /// let hook = hooks
    ///     .create(
    ///         WebhookCreateRequest::new("https://example.com/hooks", [WebhookEventType::BatchCompleted])
    ///             .secret("whsec_abc123"),
    ///     )
    ///     .await?;
    /// hooks.retrieve(&hook.id).await?;
    /// hooks.update(&hook.id, WebhookUpdateRequest::new().status(WebhookStatus::Disabled)).await?;
    /// println!("{} on the first page", hooks.list(ListWebhooks::new()).await?.data.len());
    /// let every: Vec<Webhook> = hooks.list_all(ListWebhooks::new()).try_collect().await?;
    /// println!("{} in all", every.len());
    /// hooks.delete(&hook.id).await?;
    /// let raw = hooks.with_raw_response().list(ListWebhooks::new()).await?;
    /// println!("{}", raw.status);
    /// # Ok(()) }
    /// ```
    Webhooks
}

impl<M: Mode> Webhooks<M> {
    /// Registers an endpoint.
    pub fn create(
        &self,
        request: impl Into<WebhookCreateRequest>,
    ) -> impl Future<Output = Result<M::Output<Webhook>>> + Send + 'static {
        self.client.execute::<_, M>(CreateWebhook::new(request))
    }

    /// One page of webhooks.
    pub fn list(
        &self,
        request: impl Into<ListWebhooks>,
    ) -> impl Future<Output = Result<M::Output<WebhookList>>> + Send + 'static {
        self.client.execute::<_, M>(request.into())
    }

    /// Every webhook, page after page, fetched as the stream is read.
    #[must_use = "a stream fetches nothing until it is read"]
    pub fn list_all(
        &self,
        request: impl Into<ListWebhooks>,
    ) -> impl Stream<Item = Result<Webhook>> + Send + Unpin + 'static {
        crate::pagination::list_all(self.client.clone(), request.into())
    }

    /// One webhook.
    pub fn retrieve(
        &self,
        webhook_id: &str,
    ) -> impl Future<Output = Result<M::Output<Webhook>>> + Send + 'static {
        self.client
            .execute::<_, M>(RetrieveWebhook::new(webhook_id))
    }

    /// Changes URL, events, status or description.
    pub fn update(
        &self,
        webhook_id: &str,
        request: impl Into<WebhookUpdateRequest>,
    ) -> impl Future<Output = Result<M::Output<Webhook>>> + Send + 'static {
        self.client
            .execute::<_, M>(UpdateWebhook::new(webhook_id, request))
    }

    /// Deletes a webhook.
    pub fn delete(
        &self,
        webhook_id: &str,
    ) -> impl Future<Output = Result<M::Output<DeletedObject>>> + Send + 'static {
        self.client.execute::<_, M>(DeleteWebhook::new(webhook_id))
    }
}
