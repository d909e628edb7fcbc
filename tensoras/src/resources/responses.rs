//! `client.responses()`: the agentic Responses API.

use crate::client::Tensoras;
use crate::error::Result;
use crate::types::{Response, ResponseCreateRequest};

/// `POST /responses`, `GET /responses/{id}`.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// let request: tensoras::types::ResponseCreateRequest = serde_json::from_value(serde_json::json!({
///     "model": "llama-3.3-70b", "input": "What is our refund policy?"
/// }))?;
/// let response = client.responses().create(&request).await?;
/// let again = client.responses().retrieve(&response.id).await?;
/// println!("{:?}", again.output_text);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Responses(pub(crate) Tensoras);

impl Responses {
    /// Runs the tool loop to a final answer (non-streaming).
    pub async fn create(&self, request: &ResponseCreateRequest) -> Result<Response> {
        let mut request = request.clone();
        request.stream = None;
        self.0.post_json("responses", &request).await
    }

    /// A stored response (kept 24 hours; then [`crate::Error::NotFound`]).
    pub async fn retrieve(&self, response_id: &str) -> Result<Response> {
        self.0
            .get_json(
                &format!("responses/{}", crate::path::segment(response_id)?),
                &[],
            )
            .await
    }
}
