//! `cargo xtask examples` runs every program in `tensoras/examples/`, and
//! `cargo xtask demo` the quick-start ones, against the local
//! Tensoras-compatible server, the way a user runs them against the real API
//! (`TENSORAS_API_KEY`, `TENSORAS_BASE_URL`). With both variables set they
//! run against that server instead.
//!
//! Builds first, so the per-example time limit measures runs, not compiles.
//! Fails when an example exits non-zero, prints nothing, or runs too long.

use anyhow::{bail, Context};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PER_EXAMPLE: Duration = Duration::from_secs(60);
const SERVER_START: Duration = Duration::from_secs(30);

/// Kills the server however `run` ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The examples the demo runs: a chat reply, a streamed reply, an
/// embedding's dimension, rerank results and a RAG answer with citations.
pub const DEMO: &[&str] = &["quick_start", "streaming", "embeddings", "rerank", "rag"];

/// Runs the examples named in `only` (all of them when `None`).
pub fn run(root: &Path, only: Option<&[&str]>) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for args in [
        &[
            "build",
            "--quiet",
            "-p",
            "tensoras-mock",
            "--bin",
            "tensoras-mock-server",
        ][..],
        &["build", "--quiet", "-p", "tensoras", "--examples"][..],
    ] {
        let status = Command::new(&cargo).args(args).current_dir(root).status()?;
        anyhow::ensure!(status.success(), "cargo {} failed", args.join(" "));
    }
    let bin = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("debug");

    let remote = (
        std::env::var("TENSORAS_BASE_URL"),
        std::env::var("TENSORAS_API_KEY"),
    );
    let (server, base_url, api_key) = match remote {
        (Ok(url), Ok(key)) => (None, url, key),
        _ => {
            let (server, url, key) = start_server(&bin.join("tensoras-mock-server"))?;
            (Some(server), url, key)
        }
    };
    let kind = if server.is_some() {
        "the local server"
    } else {
        "TENSORAS_BASE_URL"
    };
    println!("running against {kind}: {base_url}");

    let mut names: Vec<String> = std::fs::read_dir(root.join("tensoras/examples"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    names.sort();
    if let Some(only) = only {
        for wanted in only {
            anyhow::ensure!(names.iter().any(|n| n == wanted), "no example {wanted}");
        }
        // In the order given: the demo reads as a story.
        names = only.iter().map(|n| (*n).to_owned()).collect();
    }
    anyhow::ensure!(!names.is_empty(), "no examples in tensoras/examples");

    let mut failed = Vec::new();
    for name in &names {
        println!("\n==> example {name}");
        match run_one(&bin.join("examples").join(name), &base_url, &api_key) {
            Ok(output) => {
                for line in output.lines() {
                    println!("    {line}");
                }
            }
            Err(err) => {
                println!("    FAILED: {err:#}");
                failed.push(name.clone());
            }
        }
    }
    drop(server);
    if !failed.is_empty() {
        bail!("{} example(s) failed: {}", failed.len(), failed.join(", "));
    }
    println!("\n{} examples ran green", names.len());
    Ok(())
}

/// Starts the server on a free port and reads its base URL and key from the
/// line it prints first.
fn start_server(binary: &Path) -> anyhow::Result<(Running, String, String)> {
    let mut child = Command::new(binary)
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let stdout = child.stdout.take().context("server stdout")?;
    let server = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(SERVER_START)
        .context("the local server did not start")?;
    // "Tensoras-compatible server on http://127.0.0.1:PORT/v1 (API key KEY)"
    let base_url = line
        .split_once(" on ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .with_context(|| format!("unexpected server banner {line:?}"))?
        .to_owned();
    let api_key = line
        .split_once("API key ")
        .map(|(_, rest)| rest.trim().trim_end_matches(')').to_owned())
        .with_context(|| format!("unexpected server banner {line:?}"))?;
    Ok((server, base_url, api_key))
}

/// Runs one example to completion (or kills it at the time limit) and
/// returns what it printed.
fn run_one(binary: &Path, base_url: &str, api_key: &str) -> anyhow::Result<String> {
    let mut child = Command::new(binary)
        .env("TENSORAS_API_KEY", api_key)
        .env("TENSORAS_BASE_URL", base_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    // Drain both pipes on threads so a chatty example cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + PER_EXAMPLE;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("still running after {PER_EXAMPLE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        bail!("{status}\n{stdout}{stderr}");
    }
    if stdout.trim().is_empty() {
        bail!("printed nothing\n{stderr}");
    }
    Ok(stdout)
}
