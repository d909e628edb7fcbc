//! Streaming with the async client (Python SDK: "Async Streaming"): a
//! `futures::Stream` of typed chunks, folded into the full completion.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example async_streaming
//! ```

use futures::StreamExt;
use std::io::Write;
use tensoras::{messages::user, ChatAccumulator, ChatRequest, Tensoras};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;
    let mut stream = client
        .chat()
        .completions()
        .create_stream(
            ChatRequest::new("llama-3.3-70b", [user("Write a short poem about APIs.")])
                .max_tokens(200),
        )
        .await?;
    // Beyond Python: the accumulator rebuilds the whole completion as it goes.
    let mut whole = ChatAccumulator::default();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        whole.push(&chunk);
        if let Some(delta) = chunk
            .choices
            .first()
            .and_then(|c| c.delta.content.as_deref())
        {
            print!("{delta}");
            std::io::stdout().flush()?;
        }
    }
    println!();
    let completion = whole.finish();
    let finish = completion
        .choices
        .first()
        .and_then(|c| c.finish_reason.clone());
    println!("(finish reason: {})", finish.as_deref().unwrap_or("none"));
    Ok(())
}
