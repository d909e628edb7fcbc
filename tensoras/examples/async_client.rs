//! The async client (Python SDK: "Async Client" — `AsyncTensoras`).
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example async_client
//! ```

use tensoras::prelude::*;

#[tokio::main]
async fn main() -> Result<(), tensoras::Error> {
    let client = Tensoras::new()?; // reads TENSORAS_API_KEY from env
    let response = client
        .chat()
        .completions()
        .create(ChatCompletionRequest::new(
            "llama-3.3-70b",
            [ChatMessage::user("What is hybrid search?")],
        ))
        .await?;
    println!("{}", response.text());
    Ok(())
}
