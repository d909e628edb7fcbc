//! `cargo run --release -p tensoras-bench -- [chat|blocking|telemetry|sse|embeddings|concurrency|memory|batch|all]`
//! `cargo run --release -p tensoras-bench -- count chat|sse-memory CONTENDER ROUNDS` (for callgrind)
//!
//! Side-by-side measurements on loopback, printed as Markdown rows for
//! `BENCHMARKS.md`. Contenders run interleaved, round after round, and each
//! ratio is taken within each round and the median (and middle half) over
//! the rounds of one run is printed: these machines are noisy, so
//! absolute times mean little and ratios measured together mean more.

mod batch;
mod blocking;
mod chat;
mod embeddings;
mod load;
mod sse;
mod telemetry;

use std::time::{Duration, Instant};

/// One contender: a name and a job that runs `n` operations.
pub type Job<'a> = Box<dyn FnMut(usize) -> futures::future::BoxFuture<'a, ()> + 'a>;

/// What a comparison measured: each contender's median rate, and its ratio
/// to the first contender taken within each round (both ran back to back,
/// under the same load) — the median and the middle half of those.
pub struct Measured {
    pub rates: Vec<f64>,
    pub ratios: Vec<Spread>,
}

/// The median and the interquartile range of per-round ratios.
pub struct Spread {
    pub median: f64,
    pub low: f64,
    pub high: f64,
}

impl Measured {
    fn from_rounds(per_round: Vec<Vec<f64>>) -> Self {
        let contenders = per_round.first().map_or(0, Vec::len);
        let column = |i: usize| per_round.iter().map(move |round| round[i]);
        let rates = (0..contenders)
            .map(|i| spread(column(i).collect()).median)
            .collect();
        let ratios = (0..contenders)
            .map(|i| spread(column(i).zip(column(0)).map(|(r, r0)| r / r0).collect()))
            .collect();
        Measured { rates, ratios }
    }
}

/// How a group of contenders is run: compared on time, or — for counting
/// instructions under callgrind — one contender alone for `rounds` rounds.
#[derive(Clone, Debug)]
pub enum Mode {
    Compare,
    Only { contender: String, rounds: usize },
}

impl Mode {
    /// Runs `jobs` as this mode says. Returns the measurement to print when
    /// comparing, `None` when one contender ran alone (nothing to print).
    pub async fn run(
        &self,
        rounds: usize,
        n: usize,
        jobs: &mut [(&str, Job<'_>)],
    ) -> Option<Measured> {
        match self {
            Mode::Compare => Some(compare(rounds, n, jobs).await),
            Mode::Only { contender, rounds } => {
                let (_, job) = jobs
                    .iter_mut()
                    .find(|(name, _)| name.starts_with(contender.as_str()))
                    .unwrap_or_else(|| panic!("no contender named {contender:?}"));
                for _ in 0..*rounds {
                    job(n).await;
                }
                eprintln!("operations: {}", rounds * n);
                None
            }
        }
    }
}

/// Runs the contenders interleaved for `rounds` rounds of `n` operations each.
pub async fn compare(rounds: usize, n: usize, jobs: &mut [(&str, Job<'_>)]) -> Measured {
    let mut per_round = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut round = Vec::with_capacity(jobs.len());
        for (_, job) in jobs.iter_mut() {
            let start = Instant::now();
            job(n).await;
            round.push(n as f64 / start.elapsed().as_secs_f64());
        }
        per_round.push(round);
    }
    Measured::from_rounds(per_round)
}

fn spread(mut values: Vec<f64>) -> Spread {
    values.sort_by(f64::total_cmp);
    let at = |q: usize| values.get(values.len() * q / 4).copied().unwrap_or(0.0);
    Spread {
        median: at(2),
        low: at(1),
        high: at(3),
    }
}

/// Runs `jobs` as `mode` says and, when comparing, prints their table.
pub async fn report(
    mode: &Mode,
    (rounds, n): (usize, usize),
    jobs: &mut [(&str, Job<'_>)],
    title: &str,
    unit: &str,
) {
    if let Some(measured) = mode.run(rounds, n, jobs).await {
        let names: Vec<&str> = jobs.iter().map(|(name, _)| *name).collect();
        table(title, unit, &names, &measured);
    }
}

/// Prints one Markdown table: rates, and ratios to the first contender.
fn table(title: &str, unit: &str, names: &[&str], measured: &Measured) {
    println!("\n### {title}\n");
    println!(
        "| contender | {unit} | ratio to {} (median of rounds) | middle half of rounds |",
        names[0]
    );
    println!("|---|---:|---:|---:|");
    for ((name, rate), ratio) in names.iter().zip(&measured.rates).zip(&measured.ratios) {
        println!(
            "| {name} | {rate:.0} | {:.2}× | {:.2}×–{:.2}× |",
            ratio.median, ratio.low, ratio.high
        );
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
    // `batch`: bulk jobs, each size and contender in a child process
    // (`batch-one CONTENDER LINES BASE_URL`) for its own peak RSS.
    if what == "batch" {
        batch::run();
        return;
    }
    if what == "batch-one" {
        let args: Vec<String> = std::env::args().skip(2).collect();
        let [contender, lines, base_url] = args.as_slice() else {
            panic!("usage: batch-one CONTENDER LINES BASE_URL")
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(batch::one(
            contender,
            lines.parse().expect("LINES is a number"),
            base_url,
        ));
        return;
    }
    // `count GROUP CONTENDER ROUNDS`: one contender alone, for callgrind
    // (see `bench/instructions.sh`); GROUP is `chat` or `sse-memory`.
    let args: Vec<String> = std::env::args().skip(2).collect();
    let (what, mode) = match (what.as_str(), args.as_slice()) {
        ("count", [group, contender, rounds]) => (
            group.clone(),
            Mode::Only {
                contender: contender.clone(),
                rounds: rounds.parse().expect("ROUNDS is a number"),
            },
        ),
        ("count", _) => panic!("usage: count chat|telemetry|sse-memory CONTENDER ROUNDS"),
        _ => (what, Mode::Compare),
    };
    let counting = matches!(mode, Mode::Only { .. });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let run = |name: &str| what == "all" || what == name;
    if run("chat") {
        runtime.block_on(chat::run(&mode));
    }
    if run("blocking") {
        runtime.block_on(blocking::run(&mode));
    }
    if run("telemetry") {
        runtime.block_on(telemetry::run(&mode));
    }
    if run("sse") {
        runtime.block_on(sse::run());
    }
    if what == "sse-memory" {
        runtime.block_on(sse::in_memory(&mode));
    }
    if counting {
        return;
    }
    if run("embeddings") {
        runtime.block_on(embeddings::run());
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
