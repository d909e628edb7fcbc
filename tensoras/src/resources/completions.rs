//! `client.completions()`: legacy text completions.

use crate::client::{Body, Tensoras};
use crate::error::Result;
use crate::sse::EventStream;
use crate::types::{Completion, CompletionRequest};
use reqwest::header::{HeaderValue, ACCEPT};
use reqwest::Method;

/// `POST /completions`.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use futures::StreamExt;
/// use tensoras::types::CompletionRequest;
/// let request: CompletionRequest =
///     serde_json::from_value(serde_json::json!({"model": "llama-3.3-70b", "prompt": "Once upon"}))?;
/// let completion = client.completions().create(&request).await?;
/// println!("{}", completion.choices[0].text);
/// let mut stream = client.completions().create_stream(&request).await?;
/// while let Some(chunk) = stream.next().await {
///     print!("{}", chunk?.choices[0].text);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Completions(pub(crate) Tensoras);

impl Completions {
    /// Continues a prompt.
    pub async fn create(&self, request: &CompletionRequest) -> Result<Completion> {
        let mut request = request.clone();
        request.stream = None;
        self.0.post_json("completions", &request).await
    }

    /// Continues a prompt, streamed; each item is a `text_completion` chunk.
    pub async fn create_stream(
        &self,
        request: &CompletionRequest,
    ) -> Result<EventStream<Completion>> {
        let mut request = request.clone();
        request.stream = Some(true);
        let body = self.0.json_body(&request)?;
        let client = self.0.with_options(
            crate::RequestOptions::new()
                .header(ACCEPT, HeaderValue::from_static("text/event-stream")),
        );
        let response = client
            .send(Method::POST, "completions", &[], Body::Json(body))
            .await?;
        Ok(EventStream::new(response))
    }
}
