//! Streaming with the blocking client (Python SDK: "Streaming"): the chunks
//! are a plain iterator; dropping it closes the connection.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example streaming
//! ```

use std::io::Write;
use tensoras::blocking::Tensoras;
use tensoras::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;
    let stream = client
        .chat()
        .completions()
        .create_stream(ChatCompletionRequest::new(
            "llama-3.3-70b",
            [ChatMessage::user("Write a short poem about APIs.")],
        ))?;
    for chunk in stream {
        let delta = chunk?.delta_text().to_owned();
        if !delta.is_empty() {
            print!("{delta}");
            std::io::stdout().flush()?;
        }
    }
    println!();
    Ok(())
}
