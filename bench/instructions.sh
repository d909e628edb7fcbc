#!/usr/bin/env bash
# Instructions per operation, counted by callgrind: unlike time, the count is
# the same from run to run whatever else the machine is doing, so small
# differences between contenders can be seen. Each contender runs alone in
# its own process; a run with 0 rounds gives the set-up cost (server, clients,
# recorded stream) that is subtracted. Client and server share the process, so
# the chat figures include the server's work, the same for every contender.
#
#   cargo build --release -p tensoras-bench && bash bench/instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/tensoras-bench
[ -x "$bin" ] || { echo "build first: cargo build --release -p tensoras-bench" >&2; exit 1; }

# Instructions and operations of one run: "INSTRUCTIONS OPERATIONS".
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" count "$@" 2>&1 |
        awk '/Collected :/ {ir = $4} /^operations:/ {ops = $2} END {print ir, ops + 0}'
}

# One group: its name, rounds, then the contenders (the first is the reference).
group() {
    local name=$1 rounds=$2 first=""
    shift 2
    echo
    echo "### $name: instructions per operation (callgrind, $rounds round(s))"
    echo
    echo "| contender | instructions/op | ratio of the first's count to this one's |"
    echo "|---|---:|---:|"
    for contender in "$@"; do
        read -r base _ < <(count "$name" "$contender" 0)
        read -r total ops < <(count "$name" "$contender" "$rounds")
        per_op=$(( (total - base) / ops ))
        first=${first:-$per_op}
        awk -v c="$contender" -v p="$per_op" -v f="$first" \
            'BEGIN { printf "| %s | %d | %.3f× |\n", c, p, f / p }'
    done
}

group chat 1 "reqwest" "tensoras" "async-openai"
group sse-memory 3 "serde_json" "tensoras EventStream" "sse::Decoder + serde_json"
group telemetry 1 "tensoras, no subscriber" "tensoras, recording subscriber" "tensoras, recording subscriber, content"
