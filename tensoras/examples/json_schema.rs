//! JSON schema mode (Python SDK: "Structured Outputs — JSON Schema Mode"),
//! with the schema written out as JSON and the typed models
//! (`ResponseFormatJsonSchema` / `JsonSchemaConfig`).
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example json_schema
//! ```

use serde_json::json;
use tensoras::blocking::Tensoras;
use tensoras::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;

    // The whole schema, written out (a user's own JSON Schema is JSON).
    let movie = JsonSchemaConfig::new(
        "movie",
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "year": {"type": "integer"},
                "genre": {"type": "string"}
            },
            "required": ["name", "year", "genre"],
            "additionalProperties": false
        }),
    )
    .strict(true);
    let response = client.chat().completions().create(
        ChatCompletionRequest::new(
            "llama-3.3-70b",
            [
                ChatMessage::system("Extract movie data."),
                ChatMessage::user("Tell me about Inception."),
            ],
        )
        .response_format(ResponseFormatJsonSchema::new(movie)),
    )?;
    println!("schema mode: {}", response.text());

    // Python's `ResponseFormatJsonSchema(json_schema=JsonSchemaConfig(...))`.
    let typed = ResponseFormatJsonSchema::new(
        JsonSchemaConfig::new(
            "movie",
            json!({
                "type": "object",
                "properties": {"name": {"type": "string"}, "year": {"type": "integer"}},
                "required": ["name", "year"],
                "additionalProperties": false
            }),
        )
        .strict(true),
    );
    let response = client.chat().completions().create(
        ChatCompletionRequest::new(
            "llama-3.3-70b",
            [ChatMessage::user("Tell me about Inception.")],
        )
        .response_format(typed),
    )?;
    let movie: serde_json::Value = response.parse()?;
    println!(
        "typed models: name={} year={}",
        movie["name"], movie["year"]
    );
    Ok(())
}
