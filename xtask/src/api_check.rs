//! `cargo xtask api-check [--baseline REV]`: the public APIs of `tensoras`
//! and `tensoras-gen` against a baseline commit (default: the previous one),
//! with `cargo-semver-checks`. A change that breaks users passes only when
//! the same range of commits adds a `**Breaking:**` line to `CHANGELOG.md`.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

/// The crates users depend on, whose APIs are held.
/// Each is in the folder of its name.
const CRATES: [&str; 3] = ["tensoras-gen", "tensoras", "tensoras-mock"];
/// How a changelog entry marks a change that breaks users.
const BREAKING: &str = "**Breaking:**";

pub fn run(root: &Path, baseline: &str) -> Result<()> {
    let git = |args: &[&str]| -> Result<String> {
        let output = Command::new("git").args(args).current_dir(root).output()?;
        if !output.status.success() {
            bail!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let Ok(base) = git(&["rev-parse", "--verify", &format!("{baseline}^{{commit}}")]) else {
        println!("api-check: no baseline commit {baseline:?} in this clone; nothing to compare");
        return Ok(());
    };
    let base = base.trim().to_owned();
    // Only the crates' own APIs: each is checked against the baseline's.
    let mut args = vec!["semver-checks", "check-release", "--baseline-rev", &base];
    // A crate the baseline does not have yet has no API to hold.
    let held: Vec<&str> = CRATES
        .into_iter()
        .filter(|krate| git(&["cat-file", "-e", &format!("{base}:{krate}/Cargo.toml")]).is_ok())
        .collect();
    for krate in &held {
        args.extend(["-p", krate]);
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(&args)
        .current_dir(root)
        .status()
        .context(
            "running cargo-semver-checks (install it: cargo install cargo-semver-checks --locked)",
        )?;
    if status.success() {
        println!(
            "api-check: the public APIs of {} are compatible with {base}",
            held.join(", ")
        );
        return Ok(());
    }
    let recorded = recorded_breaking(&git(&["diff", &base, "HEAD", "--", "CHANGELOG.md"])?);
    if recorded.is_empty() {
        bail!(
            "the public API changed in a way that breaks users (the lints above) since {base}, \
             and CHANGELOG.md records no breaking change: add a `{BREAKING}` line under \
             [Unreleased] saying what users' code must change"
        );
    }
    println!(
        "api-check: breaking changes since {base}, recorded in CHANGELOG.md:\n{}",
        recorded.join("\n")
    );
    Ok(())
}

/// The `**Breaking:**` lines a changelog diff adds.
fn recorded_breaking(diff: &str) -> Vec<String> {
    diff.lines()
        .filter(|line| line.starts_with('+') && !line.starts_with("+++"))
        .map(|line| line[1..].trim())
        .filter(|line| line.contains(BREAKING))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_added_breaking_lines_count() {
        let diff = "\
--- a/CHANGELOG.md
+++ b/CHANGELOG.md
@@ -10,3 +10,5 @@
 ### Changed
+- **Breaking:** `Foo::bar` is gone: use `Foo::baz`.
+- `Foo::qux` is faster.
-- **Breaking:** an old entry, removed
 - context";
        assert_eq!(
            recorded_breaking(diff),
            ["- **Breaking:** `Foo::bar` is gone: use `Foo::baz`."]
        );
        assert!(recorded_breaking("+- Added a thing.\n").is_empty());
    }
}
