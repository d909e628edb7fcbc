//! Structured outputs from a Rust type (beyond the Python SDK): the schema
//! is derived with schemars in strict form, and the reply is parsed into
//! the type — a reply that does not match is a typed `Error::Parse`.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example typed_schema
//! ```

use schemars::JsonSchema;
use serde::Deserialize;
use tensoras::prelude::*;

/// A film.
#[derive(Debug, Deserialize, JsonSchema)]
struct Movie {
    /// The title.
    name: String,
    /// The release year.
    year: i32,
    /// The main genre.
    genre: String,
}

#[tokio::main]
async fn main() -> Result<(), tensoras::Error> {
    let client = Tensoras::new()?;
    println!("schema sent: {}", *JsonSchemaObject::strict_for::<Movie>());
    let (movie, _completion) = client
        .chat()
        .completions()
        .parse::<Movie>(ChatCompletionRequest::new(
            "llama-3.3-70b",
            [
                ChatMessage::system("Extract movie data."),
                ChatMessage::user("Tell me about Inception."),
            ],
        ))
        .await?;
    println!("{} ({}), {}", movie.name, movie.year, movie.genre);
    Ok(())
}
