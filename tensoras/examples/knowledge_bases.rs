//! Knowledge bases and data sources (Python SDK: "Knowledge Bases": create,
//! list, retrieve, add a data source from a file, list documents).
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example knowledge_bases
//! ```

use futures::TryStreamExt;
use tensoras::{FileSource, ListParams, Tensoras};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;
    let kbs = client.knowledge_bases();

    let kb = kbs
        .create(
            &tensoras::knowledge_base("support-docs")
                .description("Customer support documentation")
                .build()?,
        )
        .await?;
    println!("created {}", kb.id); // e.g. "kb_a1b2c3d4"

    for kb in &kbs.list(ListParams::new()).await?.data {
        println!("{}: {}", kb.id, kb.name);
    }
    // Every page, fetched as needed.
    let all: Vec<_> = kbs.list_all(ListParams::new()).try_collect().await?;
    println!("{} knowledge bases in all", all.len());

    let kb = kbs.retrieve(&kb.id).await?;
    println!("{} {}", kb.name, kb.status.as_deref().unwrap_or("unknown"));

    // Python's `data_sources.create(type="file_upload", file=open(...))`.
    let path = std::env::temp_dir().join(format!("handbook-{}.md", std::process::id()));
    std::fs::write(
        &path,
        "# Handbook\n\nTo reset your password, open Settings.\n",
    )?;
    let source = kbs
        .data_sources()
        .create_from_file(&kb.id, FileSource::path(&path))
        .await?;
    std::fs::remove_file(&path)?;
    // "processing" -> "completed"
    println!(
        "data source {}: {}",
        source.id,
        source.status.as_deref().unwrap_or("?")
    );

    let documents = kbs.documents().list(&kb.id, ListParams::new()).await?;
    for doc in &documents.data {
        println!(
            "{}: {} ({})",
            doc.id,
            doc.filename.as_deref().unwrap_or("?"),
            doc.status.as_deref().unwrap_or("?")
        );
    }
    Ok(())
}
