#!/usr/bin/env bash
# Cold `cargo build --release` of the same hello-world chat program written
# with tensoras (this checkout) and with async-openai 0.43 (features rustls,
# chat-completion, embedding), one after the other on this machine, each in
# a fresh target directory. Prints wall time, peak RSS and binary size.
#
#   bash bench/compile-time/run.sh [rounds]
#
# Crates come from the local registry cache (run `cargo fetch` once first);
# nothing here is part of `cargo test`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rounds="${1:-1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/tensoras-hello/src" "$work/openai-hello/src"
cat > "$work/tensoras-hello/Cargo.toml" <<TOML
[package]
name = "tensoras-hello"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
tensoras = { path = "$root/tensoras", default-features = false, features = ["rustls"] }
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
[workspace]
TOML
cat > "$work/tensoras-hello/src/main.rs" <<'RS'
use tensoras::prelude::*;

#[tokio::main]
async fn main() -> tensoras::Result<()> {
    let client = Tensoras::new()?;
    let reply = client
        .chat()
        .completions()
        .create(ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hello!")]))
        .await?;
    println!("{}", reply.text());
    Ok(())
}
RS
cat > "$work/openai-hello/Cargo.toml" <<'TOML'
[package]
name = "openai-hello"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
async-openai = { version = "=0.43.0", default-features = false, features = ["rustls", "chat-completion", "embedding"] }
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
[workspace]
TOML
cat > "$work/openai-hello/src/main.rs" <<'RS'
use async_openai::types::chat::{ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequestArgs};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = async_openai::Client::new();
    let request = CreateChatCompletionRequestArgs::default()
        .model("llama-3.3-70b")
        .messages([ChatCompletionRequestUserMessageArgs::default().content("Hello!").build()?.into()])
        .build()?;
    let reply = client.chat().create(request).await?;
    println!("{:?}", reply.choices[0].message.content);
    Ok(())
}
RS
# Resolve both lock files with what the workspace already uses where possible.
cp "$root/Cargo.lock" "$work/tensoras-hello/Cargo.lock"
cp "$root/Cargo.lock" "$work/openai-hello/Cargo.lock"

build() {
    local dir="$1"
    ( cd "$dir" && cargo generate-lockfile --offline >/dev/null 2>&1 || true
      rm -rf target
      /usr/bin/time -f "%e %M" -o time.txt cargo build --release --offline --quiet )
    local seconds peak bin
    read -r seconds peak < "$dir/time.txt"
    bin=$(stat -c %s "$dir/target/release/$(basename "$dir")")
    printf '%-16s %8.1f s %8.0f MiB peak RSS %6.2f MB binary\n' "$(basename "$dir")" "$seconds" "$((peak / 1024))" "$(echo "$bin / 1000000" | bc -l)"
}

for round in $(seq 1 "$rounds"); do
    echo "round $round ($(nproc) cores)"
    build "$work/tensoras-hello"
    build "$work/openai-hello"
done
