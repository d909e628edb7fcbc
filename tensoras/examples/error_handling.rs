//! Typed errors (Python SDK: "Error Handling", "Exception Hierarchy").
//!
//! One `tensoras::Error` enum: match a variant exactly, or broadly with
//! `as_api()`, `status()` and `is_retryable()`.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example error_handling
//! ```

use tensoras::prelude::*;

async fn ask(client: &Tensoras) -> Result<String> {
    let response = client
        .chat()
        .completions()
        .create(ChatCompletionRequest::new(
            "llama-3.3-70b",
            [ChatMessage::user("Hello")],
        ))
        .await?;
    Ok(response.text().to_owned())
}

fn report(result: Result<String>) {
    match result {
        Ok(text) => println!("reply: {text}"),
        Err(Error::Authentication(_)) => println!("Invalid or missing API key."),
        Err(Error::RateLimit(e)) => println!("Rate limited. Retry after {:?}.", e.retry_after),
        Err(Error::NotFound(e)) => println!("Not found: {}", e.message),
        Err(e @ (Error::Connection { .. } | Error::Timeout { .. })) => {
            println!("Network trouble (retryable: {}): {e}", e.is_retryable())
        }
        Err(e) => match e.as_api() {
            Some(api) => println!(
                "API error {}: {} (request id {:?})",
                api.status_code, api.message, api.request_id
            ),
            None => println!("error: {e}"),
        },
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let client = Tensoras::new()?;
    report(ask(&client).await);

    // A wrong key: the server answers 401, the SDK gives Error::Authentication.
    let wrong_key = Tensoras::builder()
        .api_key("tns_not_a_real_key")
        .base_url(client.base_url())
        .build()?;
    report(ask(&wrong_key).await);

    // A missing resource: Error::NotFound.
    let missing = client.models().retrieve("no-such-model").await;
    report(missing.map(|m| m.id));

    // An id that would leave its path segment never reaches the server.
    let escaped = client.files().delete("..").await;
    report(escaped.map(|d| d.id));

    // A missing key is an error at construction, not at the first request.
    let no_key = Tensoras::builder().api_key("").build();
    println!("empty key: {}", no_key.map(|_| ()).unwrap_err());
    Ok(())
}
