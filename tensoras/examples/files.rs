//! Files (Python SDK: "Files" — upload, list, retrieve, content, delete):
//! an upload from memory and one from disk, every file with
//! auto-pagination, the content read whole as text or streamed to a file.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example files
//! ```

use futures::TryStreamExt;
use tensoras::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Tensoras::new()?;

    // From memory, and from disk (streamed, never read into memory).
    let lines = "{\"custom_id\":\"r1\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"bge-large-en-v1.5\",\"input\":\"hello\"}}\n";
    let from_memory = client
        .files()
        .create(
            FileSource::bytes("requests.jsonl", lines),
            FilePurpose::Batch,
        )
        .await?;
    let dir = std::env::temp_dir().join(format!("tensoras-files-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("handbook.md");
    std::fs::write(&path, "# Handbook\n\nRefunds within 30 days.\n")?;
    let from_disk = client
        .files()
        .create(FileSource::path(&path), FilePurpose::KnowledgeBase)
        .await?;
    println!(
        "uploaded {} ({} bytes) and {} ({} bytes)",
        from_memory.id, from_memory.bytes, from_disk.id, from_disk.bytes
    );

    // Every file, page after page (two per page here), as one stream.
    let all: Vec<FileObject> = client
        .files()
        .list_all(ListFiles::new().limit(2))
        .try_collect()
        .await?;
    println!(
        "{} files: {:?}",
        all.len(),
        all.iter().map(|f| f.filename.as_str()).collect::<Vec<_>>()
    );

    // The content read whole (bounded by the client's limits), or streamed
    // to a file without holding it in memory.
    let text = client.files().content(&from_disk.id).await?.text().await?;
    println!("content: {:?}", text.lines().next().unwrap_or_default());
    let copy = dir.join("copy.jsonl");
    let written = client.files().download_to(&from_memory.id, &copy).await?;
    println!("downloaded {written} bytes to {}", copy.display());

    for file in [from_memory, from_disk] {
        let deleted = client.files().delete(&file.id).await?;
        println!("deleted {}: {}", file.id, deleted.deleted);
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
