//! Quick start (Python SDK: "Quick Start", "Authentication", "Custom Base URL").
//!
//! The synchronous Python `Tensoras` client is `tensoras::blocking::Tensoras`.
//! The key comes from `TENSORAS_API_KEY` and the endpoint from
//! `TENSORAS_BASE_URL` (default `https://api.tensoras.ai/v1`).
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example quick_start
//! ```

use tensoras::blocking::Tensoras;
use tensoras::prelude::*;

fn main() -> Result<(), tensoras::Error> {
    let client = Tensoras::new()?; // reads TENSORAS_API_KEY (and TENSORAS_BASE_URL)
    let response = client
        .chat()
        .completions()
        .create(ChatCompletionRequest::new(
            "llama-3.3-70b",
            [ChatMessage::user("Explain RAG in one sentence.")],
        ))?;
    println!("{}", response.text());
    Ok(())
}
