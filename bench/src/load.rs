//! Concurrency (1,000 requests in flight on one client) and memory (a 1 GiB
//! upload and download through the SDK, peak RSS of the process).

use futures::StreamExt;
use std::time::Instant;
use tensoras::FileSource;
use tensoras_mock::MockServer;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

pub async fn concurrency() {
    const IN_FLIGHT: usize = 1_000;
    let server = MockServer::builder()
        .validate(false)
        // Client and server on one runtime, as every contender is measured.
        .on_current_runtime(true)
        .start()
        .await;
    let client = server.client();
    println!("\n### Concurrency ({IN_FLIGHT} requests in flight on one client)\n");
    println!("| burst | ok | errors | new server connections | open fds after | time |");
    println!("|---|---:|---:|---:|---:|---:|");
    let fds_before = open_fds();
    for burst in 1..=3 {
        let before = server.connections();
        let start = Instant::now();
        let calls = (0..IN_FLIGHT).map(|_| async { client.models().list().await });
        let results = futures::future::join_all(calls).await;
        let elapsed = start.elapsed();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        println!(
            "| {burst} | {ok} | {} | {} | {} | {elapsed:.2?} |",
            IN_FLIGHT - ok,
            server.connections() - before,
            open_fds()
        );
        if let Some(err) = results.iter().find_map(|r| r.as_ref().err()) {
            println!("\nfirst error: {err}");
        }
    }
    println!("\n(open fds before the first burst: {fds_before})");
}

pub async fn memory() {
    const SIZE: u64 = 1 << 30;
    let server = MockServer::builder()
        .validate(false)
        // Client and server on one runtime, as every contender is measured.
        .on_current_runtime(true)
        .start()
        .await;
    let client = server.client();
    let path = std::env::temp_dir().join(format!("tensoras-bench-{}.bin", std::process::id()));
    // A sparse file: 1 GiB to read, no disk used.
    std::fs::File::create(&path)
        .and_then(|f| f.set_len(SIZE))
        .expect("sparse file");
    let start = Instant::now();
    let file = client
        .files()
        .create(FileSource::path(&path), "batch")
        .await
        .expect("upload");
    let upload = start.elapsed();
    let _ = std::fs::remove_file(&path);
    assert_eq!(file.bytes as u64, SIZE);
    let after_upload = crate::peak_rss_mib();

    let start = Instant::now();
    let mut stream = Box::pin(client.files().content(&file.id).await.expect("download"));
    let mut received = 0u64;
    while let Some(chunk) = stream.next().await {
        received += chunk.expect("chunk").len() as u64;
    }
    let download = start.elapsed();
    assert_eq!(received, SIZE);
    let written = client
        .files()
        .download_to(&file.id, "/dev/null")
        .await
        .expect("download_to");
    assert_eq!(written, SIZE);

    println!("\n### Memory (1 GiB upload and download; client and server in one process)\n");
    println!("| step | time | peak RSS so far |");
    println!("|---|---:|---:|");
    let mib = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{v:.1} MiB"));
    println!(
        "| upload 1 GiB from a path | {upload:.2?} | {} |",
        mib(after_upload)
    );
    println!(
        "| download 1 GiB as a stream, then to a file | {download:.2?} | {} |",
        mib(crate::peak_rss_mib())
    );
}
