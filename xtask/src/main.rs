//! Workspace automation, run as `cargo xtask <command>`.
//!
//! - `codegen`: regenerate `tensoras-gen/src/lib.rs` from `openapi/tensoras.yaml`.
//! - `codegen --check`: fail, naming the stale file, when the checked-in code
//!   differs from a fresh run (CI runs this).
//! - `demo`: the quick start against the local Tensoras-compatible server.
//! - `examples`: every program in `tensoras/examples/` against that server.
//! - `api-check [--baseline REV]`: the public APIs of the published crates
//!   against REV (default `HEAD~1`), with cargo-semver-checks; a breaking
//!   change must be recorded in `CHANGELOG.md`.

mod api_check;
mod codegen;
mod emit;
mod examples;
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
        Some("demo") => examples::run(&workspace_root(), Some(examples::DEMO)),
        Some("examples") => examples::run(&workspace_root(), None),
        Some("api-check") => {
            let baseline = match (args.get(1).map(String::as_str), args.get(2)) {
                (None, _) => "HEAD~1".to_owned(),
                (Some("--baseline"), Some(rev)) => rev.clone(),
                _ => return usage("api-check takes only --baseline REV"),
            };
            api_check::run(&workspace_root(), &baseline)
        }
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

fn usage(problem: &str) -> ExitCode {
    eprintln!("xtask: {problem}\n\nusage:\n  cargo xtask codegen [--check]\n  cargo xtask demo\n  cargo xtask examples\n  cargo xtask api-check [--baseline REV]");
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
