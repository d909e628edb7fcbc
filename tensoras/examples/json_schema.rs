//! JSON schema mode (Python SDK: "Structured Outputs — JSON Schema Mode"),
//! first with the schema written out, then with the typed models
//! (`ResponseFormatJsonSchema` / `JsonSchemaConfig`).
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example json_schema
//! ```

use serde_json::json;
use tensoras::blocking::Tensoras;
use tensoras::messages::{system, user};
use tensoras::types::{
    JsonSchemaConfig, JsonSchemaObject, ResponseFormat, ResponseFormatJsonSchema,
    ResponseFormatJsonSchemaType,
};
use tensoras::ChatRequest;

fn movie_format(schema: serde_json::Value) -> Result<ResponseFormat, Box<dyn std::error::Error>> {
    Ok(ResponseFormat::JsonSchema(ResponseFormatJsonSchema {
        type_: ResponseFormatJsonSchemaType::JsonSchema,
        json_schema: JsonSchemaConfig {
            name: "movie".into(),
            strict: Some(true),
            description: None,
            schema: JsonSchemaObject(serde_json::from_value(schema)?),
        },
    }))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;

    let full = movie_format(json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "year": {"type": "integer"},
            "genre": {"type": "string"}
        },
        "required": ["name", "year", "genre"],
        "additionalProperties": false
    }))?;
    let response = client.chat().completions().create(
        ChatRequest::new(
            "llama-3.3-70b",
            [
                system("Extract movie data."),
                user("Tell me about Inception."),
            ],
        )
        .response_format(full),
    )?;
    println!("schema mode: {}", tensoras::text_of(&response));

    let typed = movie_format(json!({
        "type": "object",
        "properties": {"name": {"type": "string"}, "year": {"type": "integer"}},
        "required": ["name", "year"],
        "additionalProperties": false
    }))?;
    let response = client.chat().completions().create(
        ChatRequest::new("llama-3.3-70b", [user("Tell me about Inception.")])
            .response_format(typed),
    )?;
    let movie: serde_json::Value = serde_json::from_str(tensoras::text_of(&response))?;
    println!(
        "typed models: name={} year={}",
        movie["name"], movie["year"]
    );
    Ok(())
}
