//! `client.models()`.

use crate::error::Result;
use crate::operations::{ListModels, RetrieveModel};
use crate::response::Mode;
use crate::types::{Model, ModelList};
use std::future::Future;

namespace! {
    /// `GET /models`, `GET /models/{model_id}`.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// for model in client.models().list().await?.data {
    ///     println!("{}: {}", model.id, model.owned_by.unwrap_or_default());
    /// }
    /// let model = client.models().retrieve("llama-3.3-70b").await?;
    /// println!("{:?}", model.context_length);
    /// let raw = client.models().with_raw_response().list().await?;
    /// println!("{:?} requests left", raw.rate_limit().remaining);
    /// # Ok(()) }
    /// ```
    Models
}

impl<M: Mode> Models<M> {
    /// Every model the key can use.
    pub fn list(&self) -> impl Future<Output = Result<M::Output<ModelList>>> + Send + 'static {
        self.client.execute::<_, M>(ListModels::new())
    }

    /// One model.
    pub fn retrieve(
        &self,
        model_id: &str,
    ) -> impl Future<Output = Result<M::Output<Model>>> + Send + 'static {
        self.client.execute::<_, M>(RetrieveModel::new(model_id))
    }
}
