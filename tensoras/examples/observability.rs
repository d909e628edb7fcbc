//! Observability: every call is a span under OpenTelemetry's GenAI semantic
//! conventions, through `tracing`. Here `tracing-opentelemetry` exports them
//! to the console (OpenTelemetry's stdout exporter): a chat call, and a
//! stream read to its end, each with its attempt under it.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example observability
//! ```
//!
//! In production, swap the stdout exporter for OTLP; add the `opentelemetry`
//! feature for the metrics (`gen_ai.client.operation.duration`,
//! `gen_ai.client.token.usage`, time to first chunk and per chunk), and
//! `ClientBuilder::capture_content(true)` to record messages.

use futures::StreamExt;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tensoras::prelude::*;
use tracing_subscriber::layer::SubscriberExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(opentelemetry_stdout::SpanExporter::default())
        .build();
    let layer =
        tracing_opentelemetry::layer().with_tracer(provider.tracer("observability-example"));
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));

    let client = Tensoras::new()?;
    let reply = client
        .chat()
        .completions()
        .create(
            ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("What is RAG?")])
                .max_tokens(64)
                .temperature(0.2),
        )
        .await?;
    println!("chat: {}", reply.text());

    let mut stream = client
        .chat()
        .completions()
        .create_stream(ChatCompletionRequest::new(
            "llama-3.3-70b",
            [ChatMessage::user("Name three rivers.")],
        ))
        .await?;
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        text.push_str(chunk?.delta_text());
    }
    println!("stream: {text}");

    // Each span was exported as it ended (printed above these lines'
    // counterparts); shutting down flushes anything left.
    drop(stream);
    provider.shutdown()?;
    Ok(())
}
