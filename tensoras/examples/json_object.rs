//! JSON object mode (Python SDK: "Structured Outputs — JSON Object Mode").
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example json_object
//! ```

use tensoras::blocking::Tensoras;
use tensoras::messages::{system, user};
use tensoras::ChatRequest;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;
    let response = client.chat().completions().create(
        ChatRequest::new(
            "llama-3.3-70b",
            [
                system("Return JSON with keys: name, genre, year."),
                user("Tell me about Inception."),
            ],
        )
        .json_object(),
    )?;
    let data: serde_json::Value = serde_json::from_str(tensoras::text_of(&response))?;
    println!("{data:#}");
    Ok(())
}
