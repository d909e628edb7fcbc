//! Knowledge bases and data sources (Python SDK: "Knowledge Bases": create,
//! list, retrieve, add a data source from a file, list documents).
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example knowledge_bases
//! ```

use futures::TryStreamExt;
use tensoras::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;
    let kbs = client.knowledge_bases();

    let kb = kbs
        .create(
            KnowledgeBaseCreateRequest::new("support-docs")
                .description("Customer support documentation")
                .chunking_strategy(
                    ChunkingStrategy::new()
                        .type_(ChunkingStrategyType::Recursive)
                        .chunk_size(512)
                        .chunk_overlap(64),
                ),
        )
        .await?;
    println!("created {}", kb.id); // e.g. "kb_a1b2c3d4"

    for kb in &kbs.list(ListKnowledgeBases::new()).await?.data {
        println!("{}: {}", kb.id, kb.name);
    }
    // Every page, fetched as needed.
    let all: Vec<KnowledgeBase> = kbs
        .list_all(ListKnowledgeBases::new())
        .try_collect()
        .await?;
    println!("{} knowledge bases in all", all.len());

    let kb = kbs.retrieve(&kb.id).await?;
    match &kb.status {
        Some(status) => println!("{} {status}", kb.name),
        None => println!("{} (no status)", kb.name),
    }

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
        "data source {} ({}): {:?}",
        source.id,
        source.source.kind(),
        source.status
    );

    // Another source type: a web crawl, with its typed config.
    let crawl = kbs
        .data_sources()
        .create(
            &kb.id,
            DataSourceCreateRequest::new(
                WebCrawlConfig::new(["https://docs.example.com"]).max_pages(50),
            )
            .name("Docs site"),
        )
        .await?;
    println!("data source {} ({})", crawl.id, crawl.source.kind());

    let documents = kbs
        .documents()
        .list(ListDocuments::new(kb.id.as_str()))
        .await?;
    for doc in &documents.data {
        println!(
            "{}: {} ({:?})",
            doc.id,
            doc.filename.as_deref().unwrap_or("?"),
            doc.status
        );
    }
    let jobs: Vec<IngestionJob> = kbs
        .ingestion_jobs()
        .list_all(ListIngestionJobs::new(kb.id.as_str()))
        .try_collect()
        .await?;
    println!("{} ingestion jobs", jobs.len());
    Ok(())
}
