//! Bulk jobs: a batch of N chat requests from typed requests to typed
//! results, against the local server running as a process of its own (so
//! the peak RSS measured is the SDK's alone), at 1,000, 10,000 and 100,000
//! lines. Each size, and each contender, runs in a fresh process: the peak
//! RSS (`VmHWM`) is a high-water mark and would otherwise carry over.
//!
//! Contenders:
//! - `tensoras BatchJob`: `Batches::submit` (the JSONL written to a
//!   temporary file from a lazy iterator, uploaded from disk), `wait`,
//!   then the results as a stream, one line in memory at a time;
//! - `in memory`: what a program without the SDK's batch support writes:
//!   the JSONL built in a `String`, uploaded from memory, the output file
//!   downloaded whole with `FileContent::bytes` and every line decoded into
//!   a `Vec`.

use futures::TryStreamExt;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tensoras::prelude::*;
use tensoras::resources::batches::{BatchJob, BatchLimits, WaitOptions};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
const CONTENDERS: [&str; 2] = ["tensoras", "in-memory"];

/// The parent: starts the server, runs each size and contender in a child
/// process, prints the table.
pub fn run() {
    let exe = std::env::current_exe().expect("the bench binary");
    let server_bin = exe.with_file_name("tensoras-mock-server");
    assert!(
        server_bin.exists(),
        "build the server first: cargo build --release -p tensoras-tests --bin tensoras-mock-server"
    );
    let mut server = Command::new(&server_bin)
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the local server");
    let mut banner = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut banner)
        .expect("the server's banner");
    let base_url = banner
        .split_once(" on ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .expect("a base URL in the banner")
        .to_owned();

    println!("\n### Bulk jobs: N chat requests, typed requests to typed results (server in its own process)\n");
    println!("| lines | contender | input file | write + upload | wait | read results | peak RSS | peak RSS over the client's baseline |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    for lines in SIZES {
        for contender in CONTENDERS {
            let out = Command::new(&exe)
                .args(["batch-one", contender, &lines.to_string(), &base_url])
                .output()
                .expect("a child run");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{contender} {lines}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            print!("{text}");
        }
    }
    let _ = server.kill();
    let _ = server.wait();
}

fn request(i: usize) -> ChatCompletionRequest {
    ChatCompletionRequest::new(
        "llama-3.3-70b",
        [ChatMessage::user(format!(
            "Summarize paragraph {i} of the handbook in one sentence."
        ))],
    )
    .max_tokens(64)
}

/// One child: one contender at one size; prints its table row.
pub async fn one(contender: &str, lines: usize, base_url: &str) {
    let client = Tensoras::builder()
        .api_key(tensoras_mock::API_KEY)
        .base_url(base_url)
        .build()
        .expect("client")
        .with_options(tensoras_tests::faults(&[(
            "x-mock-batch-max-lines",
            "1000000",
        )]));
    // The client made and used once: what any program has before the job.
    client.models().list().await.expect("models");
    let baseline = crate::peak_rss_mib().unwrap_or(0.0);
    let poll = WaitOptions::new()
        .poll_interval(Duration::from_millis(50))
        .max_poll_interval(Duration::from_millis(200))
        .timeout(Duration::from_secs(1800));

    let start = Instant::now();
    let (mut run, input_bytes) = match contender {
        "tensoras" => {
            let job = BatchJob::from_requests((0..lines).map(request))
                .limits(BatchLimits::default().max_requests(lines as u64));
            let run = client.batches().submit(job).await.expect("submit");
            let size = client
                .files()
                .retrieve(&run.batch().input_file_id)
                .await
                .expect("input file")
                .bytes;
            (run, size)
        }
        _ => {
            let mut jsonl = String::new();
            for i in 0..lines {
                let line = serde_json::json!({"custom_id": format!("request-{}", i + 1),
                    "method": "POST", "url": "/v1/chat/completions", "body": request(i)});
                jsonl.push_str(&line.to_string());
                jsonl.push('\n');
            }
            let size = jsonl.len() as i64;
            let file = client
                .files()
                .create(FileSource::bytes("batch.jsonl", jsonl), FilePurpose::Batch)
                .await
                .expect("upload");
            let batch = client
                .batches()
                .create(BatchCreateRequest::new(
                    file.id.as_str(),
                    BatchEndpoint::ChatCompletions,
                ))
                .await
                .expect("create");
            let run = client
                .batches()
                .resume::<ChatCompletion>(&batch.id)
                .await
                .expect("resume");
            (run, size)
        }
    };
    let submitted = start.elapsed();

    let start = Instant::now();
    let batch = run.wait(poll).await.expect("wait").clone();
    assert_eq!(batch.status, BatchStatus::Completed, "{batch:?}");
    let waited = start.elapsed();

    let start = Instant::now();
    let (ok, chars) = match contender {
        "tensoras" => {
            let mut results = run.results().await.expect("results");
            let (mut ok, mut chars) = (0usize, 0usize);
            while let Some(outcome) = results.try_next().await.expect("a result") {
                let completion = outcome.result.expect("a completion");
                chars += completion.text().len();
                ok += 1;
            }
            (ok, chars)
        }
        _ => {
            let output = batch.output_file_id.as_deref().expect("an output file");
            let bytes = client
                .files()
                .content(output)
                .await
                .expect("download")
                .bytes()
                .await
                .expect("the whole file");
            let all: Vec<ChatCompletion> = bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|line| {
                    let value: serde_json::Value = serde_json::from_slice(line).expect("a line");
                    serde_json::from_value(value["response"]["body"].clone()).expect("a completion")
                })
                .collect();
            let chars = all.iter().map(|c| c.text().len()).sum();
            (all.len(), chars)
        }
    };
    let read = start.elapsed();
    assert_eq!(ok, lines, "every request answered");
    assert!(chars > 0);
    let peak = crate::peak_rss_mib().unwrap_or(0.0);
    let _ = futures::future::join_all(
        [Some(&batch.input_file_id), batch.output_file_id.as_ref()]
            .into_iter()
            .flatten()
            .map(|id| client.files().delete(id)),
    )
    .await;
    println!(
        "| {lines} | {contender} | {:.1} MB | {submitted:.2?} | {waited:.2?} | {read:.2?} | {peak:.1} MiB | {:.1} MiB |",
        input_bytes as f64 / 1e6,
        peak - baseline
    );
}
