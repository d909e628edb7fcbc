//! How much of its caller's stack a blocking call leaves resident (issue
//! 21): each call runs on a fresh thread, and the thread's stack mapping's
//! resident size (`Rss` in `/proc/self/smaps`) is read before and after.
//! A page once touched stays resident for the thread's life, so this is
//! what every thread that makes such a call keeps. Linux only (it reads
//! `/proc`).
//!
//! ```text
//! cargo run --release -p tensoras-bench --example caller_stack
//! ```

use tensoras::prelude::*;

fn main() {
    let server = tensoras_mock::MockServer::start_blocking();
    let client = server.blocking_client();
    let request = || ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hi")]);
    type Call<'a> = Box<dyn Fn() + Sync + 'a>;
    let calls: Vec<(&str, Call)> = vec![
        ("nothing", Box::new(|| {})),
        (
            "models().list()",
            Box::new(|| {
                client.models().list().expect("models");
            }),
        ),
        (
            "chat().completions().create()",
            Box::new(|| {
                client.chat().completions().create(request()).expect("chat");
            }),
        ),
        (
            "create_stream(), read to the end",
            Box::new(|| {
                let stream = client.chat().completions().create_stream(request());
                for chunk in stream.expect("stream") {
                    chunk.expect("chunk");
                }
            }),
        ),
    ];
    // Warm: the runtime started, lazy statics made, a connection pooled.
    for (_, call) in &calls {
        call();
    }
    println!("| call on a fresh thread | its stack resident before | after |");
    println!("|---|---:|---:|");
    for (i, (name, call)) in calls.iter().enumerate() {
        let (before, after) = std::thread::scope(|scope| {
            std::thread::Builder::new()
                // Each larger than the last: glibc hands a new thread a
                // cached stack (resident pages and all) only if it is at
                // least as large as asked for.
                .stack_size(1 << (20 + i))
                .spawn_scoped(scope, || {
                    let before = stack_rss_kib();
                    call();
                    (before, stack_rss_kib())
                })
                .expect("a thread")
                .join()
                .expect("the call")
        });
        println!("| {name} | {before} KiB | {after} KiB |");
    }
}

/// The resident size of the mapping that holds this thread's stack.
#[inline(never)]
fn stack_rss_kib() -> u64 {
    let local = 0u8;
    let at = std::hint::black_box(&local) as *const u8 as usize;
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps (Linux)");
    let mut inside = false;
    for line in smaps.lines() {
        let range = line
            .split_once(' ')
            .and_then(|(range, _)| range.split_once('-'));
        if let Some((start, end)) = range {
            if let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            ) {
                inside = start <= at && at < end;
                continue;
            }
        }
        if inside {
            if let Some(kib) = line.strip_prefix("Rss:") {
                return kib
                    .trim()
                    .trim_end_matches(" kB")
                    .parse()
                    .expect("Rss in kB");
            }
        }
    }
    panic!("no mapping holds this thread's stack")
}
