//! Blocking `client.models()`.

use crate::error::Result;
use crate::resources::models::Models as AsyncModels;
use crate::response::Mode;
use crate::types::{Model, ModelList};

blocking_namespace! {
    /// Blocking `client.models()`.
    ///
    /// ```no_run
    /// # fn run(client: tensoras::blocking::Tensoras) -> tensoras::Result<()> {
    /// for model in client.models().list()?.data {
    ///     println!("{}", model.id);
    /// }
    /// println!("{:?}", client.models().retrieve("llama-3.3-70b")?.context_length);
    /// println!("{:?}", client.models().with_raw_response().list()?.request_id());
    /// # Ok(()) }
    /// ```
    Models => AsyncModels
}

impl<M: Mode> Models<M> {
    /// See [`crate::resources::models::Models::list`].
    pub fn list(&self) -> Result<M::Output<ModelList>> {
        self.runtime
            .run_with(&self.inner, move |inner| inner.list())
    }

    /// See [`crate::resources::models::Models::retrieve`].
    pub fn retrieve(&self, model_id: &str) -> Result<M::Output<Model>> {
        let model_id = model_id.to_owned();
        self.runtime
            .run_with(&self.inner, move |inner| inner.retrieve(&model_id))
    }
}
