//! Streaming with the async client (Python SDK: "Async Streaming"): a
//! `futures::Stream` of typed chunks, folded into the full completion.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example async_streaming
//! ```

use futures::StreamExt;
use std::io::Write;
use tensoras::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;
    let mut stream = client
        .chat()
        .completions()
        .create_stream(
            ChatCompletionRequest::new(
                "llama-3.3-70b",
                [ChatMessage::user("Write a short poem about APIs.")],
            )
            .max_tokens(200),
        )
        .await?;
    // The response's metadata is there before the first chunk.
    println!("(request id {:?})", stream.request_id());
    // Beyond Python: the accumulator rebuilds the whole completion as it goes.
    let mut whole = ChatAccumulator::default();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        whole.push(&chunk)?;
        print!("{}", chunk.delta_text());
        std::io::stdout().flush()?;
    }
    println!();
    let completion = whole.finish();
    match completion
        .choices
        .first()
        .and_then(|c| c.finish_reason.as_ref())
    {
        Some(FinishReason::Stop) => println!("(finished)"),
        Some(FinishReason::Length) => println!("(cut at max_tokens)"),
        Some(other) => println!("(finish reason: {other})"),
        None => println!("(no finish reason)"),
    }
    Ok(())
}
