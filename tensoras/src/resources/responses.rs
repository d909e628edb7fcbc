//! `client.responses()`: the agentic Responses API.

use crate::client::Tensoras;
use crate::error::Result;
use crate::types::{Response, ResponseCreateRequest};

/// `POST /responses`, `GET /responses/{id}`.
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
