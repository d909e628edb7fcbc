//! Blocking `client.webhooks()`.

use crate::blocking::Iter;
use crate::error::Result;
use crate::operations::ListWebhooks;
use crate::resources::webhooks::Webhooks as AsyncWebhooks;
use crate::response::Mode;
use crate::types::{
    DeletedObject, Webhook, WebhookCreateRequest, WebhookList, WebhookUpdateRequest,
};

blocking_namespace! {
    /// Blocking `client.webhooks()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::prelude::*;
    /// let hooks = client.webhooks();
    /// let hook = hooks.create(WebhookCreateRequest::new(
    ///     "https://example.com/hooks",
    ///     [WebhookEventType::BatchCompleted],
    /// ))?;
    /// hooks.retrieve(&hook.id)?;
    /// hooks.update(&hook.id, WebhookUpdateRequest::new().status(WebhookStatus::Disabled))?;
    /// println!("{}", hooks.list(ListWebhooks::new())?.data.len());
    /// for hook in hooks.list_all(ListWebhooks::new()) {
    ///     println!("{}", hook?.url);
    /// }
    /// hooks.delete(&hook.id)?;
    /// # Ok(()) }
    /// ```
    Webhooks => AsyncWebhooks
}

impl<M: Mode> Webhooks<M> {
    /// See [`crate::resources::webhooks::Webhooks::create`].
    pub fn create(&self, request: impl Into<WebhookCreateRequest>) -> Result<M::Output<Webhook>> {
        let request: WebhookCreateRequest = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.create(request))
    }

    /// See [`crate::resources::webhooks::Webhooks::list`].
    pub fn list(&self, request: impl Into<ListWebhooks>) -> Result<M::Output<WebhookList>> {
        let request: ListWebhooks = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.list(request))
    }

    /// See [`crate::resources::webhooks::Webhooks::list_all`].
    pub fn list_all(&self, request: impl Into<ListWebhooks>) -> Iter<Webhook> {
        Iter::new(self.inner.list_all(request), self.runtime, None)
    }

    /// See [`crate::resources::webhooks::Webhooks::retrieve`].
    pub fn retrieve(&self, webhook_id: &str) -> Result<M::Output<Webhook>> {
        let webhook_id = webhook_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.retrieve(&webhook_id))
    }

    /// See [`crate::resources::webhooks::Webhooks::update`].
    pub fn update(
        &self,
        webhook_id: &str,
        request: impl Into<WebhookUpdateRequest>,
    ) -> Result<M::Output<Webhook>> {
        let webhook_id = webhook_id.to_owned();
        let request: WebhookUpdateRequest = request.into();
        self.runtime
            .run_with(&self.inner, move |inner| inner.update(&webhook_id, request))
    }

    /// See [`crate::resources::webhooks::Webhooks::delete`].
    pub fn delete(&self, webhook_id: &str) -> Result<M::Output<DeletedObject>> {
        let webhook_id = webhook_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.delete(&webhook_id))
    }
}
