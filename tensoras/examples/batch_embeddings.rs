//! Bulk jobs (Python SDK: "Batch processing", and what it leaves to you):
//! a batch of embedding requests built from typed requests, submitted,
//! watched with a progress bar, and read back as typed results matched to
//! their custom ids; then its files deleted. Save `run.id()` to resume with
//! `client.batches().resume::<EmbeddingResponse>(id)` after a restart.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example batch_embeddings
//! ```

use futures::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use tensoras::prelude::*;
use tensoras::resources::batches::{BatchJob, WaitOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;
    let documents: Vec<(String, String)> = (1..=200)
        .map(|i| {
            (
                format!("doc-{i}"),
                format!("Paragraph {i} of the handbook."),
            )
        })
        .collect();

    // One request per document, named by the document's id; pulled lazily
    // as the input file is written, and checked against the batch limits
    // before anything is sent.
    let job = BatchJob::from_named(
        documents
            .into_iter()
            .map(|(id, text)| (id, EmbeddingRequest::new("bge-large-en-v1.5", text))),
    );
    let mut run = client.batches().submit(job).await?;
    println!("submitted batch {} ({})", run.id(), run.batch().status);

    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template(
        "{spinner} {msg:>12} [{bar:40}] {pos}/{len}",
    )?);
    let progress = bar.clone();
    let options = WaitOptions::new().on_progress(move |batch| {
        let (done, total) = batch.progress();
        progress.set_length(total);
        progress.set_position(done);
        progress.set_message(batch.status.to_string());
    });
    let batch = run.wait(options).await?;
    bar.finish();
    println!("batch {} is {}", batch.id, batch.status);

    let mut results = run.results().await?;
    let (mut vectors, mut failures) = (0usize, Vec::new());
    while let Some(outcome) = results.try_next().await? {
        match outcome.result {
            Ok(response) => vectors += response.data.len(),
            Err(error) => failures.push((outcome.custom_id, error.to_string())),
        }
    }
    println!(
        "{vectors} vectors, {} failed, {} unreported",
        failures.len(),
        results.unreported().unwrap_or(0)
    );
    for (id, error) in failures.iter().take(5) {
        println!("  {id}: {error}");
    }
    results.delete_files().await?;
    println!("deleted the batch's files");
    Ok(())
}
