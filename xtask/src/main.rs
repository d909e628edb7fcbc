//! Workspace automation, run as `cargo xtask <command>`.
//!
//! - `codegen`: regenerate `tensoras-gen/src/lib.rs` from `openapi/tensoras.yaml`.
//! - `codegen --check`: fail, naming the stale file, when the checked-in code
//!   differs from a fresh run (CI runs this).
//! - `demo`: the quick start against the local Tensoras-compatible server.

mod codegen;
mod spec;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("codegen") => {
            let check = match args.get(1).map(String::as_str) {
                None => false,
                Some("--check") => true,
                Some(other) => return usage(&format!("unknown codegen flag {other:?}")),
            };
            codegen::run(&workspace_root(), check)
        }
        Some("demo") => demo(),
        Some(other) => return usage(&format!("unknown command {other:?}")),
        None => return usage("no command given"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the quick-start demo binary (it starts the local server itself).
fn demo() -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args([
            "run",
            "--quiet",
            "--package",
            "tensoras-tests",
            "--bin",
            "demo",
        ])
        .current_dir(workspace_root())
        .status()?;
    anyhow::ensure!(status.success(), "the demo failed ({status})");
    Ok(())
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("xtask: {problem}\n\nusage:\n  cargo xtask codegen [--check]\n  cargo xtask demo");
    ExitCode::from(2)
}

/// The workspace root: the parent of this crate's manifest directory.
///
/// Read at run time (`cargo run` sets `CARGO_MANIFEST_DIR`) before falling
/// back to the compile-time value, so a binary built from another checkout
/// sharing the target directory never checks that checkout instead.
fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(manifest_dir)
}
