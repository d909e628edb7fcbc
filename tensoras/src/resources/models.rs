//! `client.models()`.

use crate::client::Tensoras;
use crate::error::Result;
use crate::types::{Model, ModelList};

/// `GET /models`, `GET /models/{id}`.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// for model in client.models().list().await?.data {
///     println!("{}: {:?}", model.id, model.owned_by);
/// }
/// let model = client.models().retrieve("llama-3.3-70b").await?;
/// println!("{:?}", model.context_length);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Models(pub(crate) Tensoras);

impl Models {
    /// Every model the key can use.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// for model in client.models().list().await?.data {
    ///     println!("{}: {}", model.id, model.owned_by.unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<ModelList> {
        self.0.get_json("models", &[]).await
    }

    /// One model.
    pub async fn retrieve(&self, model_id: &str) -> Result<Model> {
        self.0
            .get_json(&format!("models/{}", crate::path::segment(model_id)?), &[])
            .await
    }
}
