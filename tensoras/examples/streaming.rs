//! Streaming with the blocking client (Python SDK: "Streaming"): the chunks
//! are a plain iterator; dropping it closes the connection.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example streaming
//! ```

use std::io::Write;
use tensoras::blocking::Tensoras;
use tensoras::{messages::user, ChatRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;
    let stream = client.chat().completions().create_stream(ChatRequest::new(
        "llama-3.3-70b",
        [user("Write a short poem about APIs.")],
    ))?;
    for chunk in stream {
        let chunk = chunk?;
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
    Ok(())
}
