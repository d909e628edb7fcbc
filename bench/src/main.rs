//! `cargo run --release -p tensoras-bench -- [chat|sse|embeddings|concurrency|memory|all]`
//!
//! Side-by-side measurements on loopback, printed as Markdown rows for
//! `BENCHMARKS.md`. Contenders run interleaved, round after round, and each
//! ratio is the median over rounds of one run: these machines are noisy, so
//! absolute times mean little and ratios measured together mean more.

mod chat;
mod embeddings;
mod load;
mod sse;

use std::time::{Duration, Instant};

/// One contender: a name and a job that runs `n` operations.
pub type Job<'a> = Box<dyn FnMut(usize) -> futures::future::BoxFuture<'a, ()> + 'a>;

/// Runs the contenders interleaved for `rounds` rounds of `n` operations and
/// returns each one's median operations per second.
pub async fn compare(rounds: usize, n: usize, jobs: &mut [(&str, Job<'_>)]) -> Vec<f64> {
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); jobs.len()];
    for _ in 0..rounds {
        for (i, (_, job)) in jobs.iter_mut().enumerate() {
            let start = Instant::now();
            job(n).await;
            rates[i].push(n as f64 / start.elapsed().as_secs_f64());
        }
    }
    rates.into_iter().map(median).collect()
}

/// The same for synchronous work.
pub fn compare_sync(rounds: usize, jobs: &mut [(&str, &mut dyn FnMut() -> usize)]) -> Vec<f64> {
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); jobs.len()];
    for _ in 0..rounds {
        for (i, (_, job)) in jobs.iter_mut().enumerate() {
            let start = Instant::now();
            let done = job();
            rates[i].push(done as f64 / start.elapsed().as_secs_f64());
        }
    }
    rates.into_iter().map(median).collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Prints one Markdown table of rates relative to the first contender.
pub fn table(title: &str, unit: &str, names: &[&str], rates: &[f64]) {
    println!("\n### {title}\n");
    println!("| contender | {unit} | ratio to {} |", names[0]);
    println!("|---|---:|---:|");
    for (name, rate) in names.iter().zip(rates) {
        println!("| {name} | {rate:.0} | {:.2}× |", rate / rates[0]);
    }
}

/// Peak resident set size of this process, from `/proc/self/status`.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let run = |name: &str| what == "all" || what == name;
    if run("chat") {
        runtime.block_on(chat::run());
    }
    if run("sse") {
        runtime.block_on(sse::run());
    }
    if what == "sse-memory" {
        runtime.block_on(sse::in_memory());
    }
    if run("embeddings") {
        embeddings::run();
    }
    if run("concurrency") {
        runtime.block_on(load::concurrency());
    }
    // Memory last and alone: the peak RSS is of the whole process.
    if what == "memory" {
        runtime.block_on(load::memory());
    }
    eprintln!("\n(done in {:.1?})", started.elapsed().max(Duration::ZERO));
}
