//! The Responses API (REST reference "Responses"; not in the Python SDK's
//! documentation): a server-side tool loop over a knowledge base, whole and
//! then streamed as typed events, folded back into the final response.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example responses
//! ```

use futures::StreamExt;
use std::io::Write;
use tensoras::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;

    // A knowledge base for the `file_search` tool to search.
    let kb = client
        .knowledge_bases()
        .create(KnowledgeBaseCreateRequest::new(
            "Handbook (responses example)",
        ))
        .await?;

    let request = ResponseCreateRequest::new("llama-3.3-70b", "What is our refund policy?")
        .instructions("Answer from the handbook, briefly.")
        .tools([ResponseTool::from(FileSearchTool::new([kb.id.as_str()]))]);

    // Whole: one call, the finished response.
    let response = client.responses().create(request.clone()).await?;
    println!(
        "{} ({:?}): {}",
        response.id,
        response.status,
        response.text()
    );

    // Streamed: events as the loop runs. An event type this SDK version does
    // not know arrives as `ResponseStreamEvent::Other`, never as an error.
    let mut events = client.responses().create_stream(request).await?;
    let mut whole = ResponseAccumulator::default();
    while let Some(event) = events.next().await {
        let event = event?;
        match &event {
            ResponseStreamEvent::OutputItemAdded(added) => {
                println!("[item {}: {}]", added.output_index, added.item.kind())
            }
            ResponseStreamEvent::OutputTextDelta(delta) => {
                print!("{}", delta.delta);
                std::io::stdout().flush()?;
            }
            ResponseStreamEvent::Other(_) => println!("[event {} not known here]", event.kind()),
            _ => {}
        }
        whole.push(&event)?;
    }
    let streamed = whole.finish();
    println!(
        "\n{:?}, {} output items",
        streamed.status,
        streamed.output.len()
    );
    for item in &streamed.output {
        if let OutputItem::FileSearchCall(search) = item {
            let hits = search.results.as_ref().map_or(0, Vec::len);
            println!("searched {:?}: {hits} results", search.queries);
        }
    }
    if let Some(usage) = &streamed.usage {
        println!(
            "tokens: {:?} in, {:?} out",
            usage.input_tokens, usage.output_tokens
        );
    }

    client.knowledge_bases().delete(&kb.id).await?;
    Ok(())
}
