//! JSON object mode (Python SDK: "Structured Outputs — JSON Object Mode").
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example json_object
//! ```

use tensoras::blocking::Tensoras;
use tensoras::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;
    let response = client.chat().completions().create(
        ChatCompletionRequest::new(
            "llama-3.3-70b",
            [
                ChatMessage::system("Return JSON with keys: name, genre, year."),
                ChatMessage::user("Tell me about Inception."),
            ],
        )
        .response_format(ResponseFormat::JsonObject),
    )?;
    let data: serde_json::Value = response.parse()?;
    println!("{data:#}");
    Ok(())
}
