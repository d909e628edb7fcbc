//! The local Tensoras-compatible server as a program, for tests in any
//! language: `tensoras-mock-server [ADDR] [--seed N] [--api-key KEY]`
//! (default `127.0.0.1:8000`). Scripts and faults go through its control
//! endpoint under `/__mock/` (see the `tensoras_mock::control` docs).

use std::process::ExitCode;

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "tensoras-mock-server: {problem}\n\nusage: tensoras-mock-server [ADDR] [--seed N] [--api-key KEY]"
    );
    ExitCode::from(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut builder = tensoras_mock::MockServer::builder().addr("127.0.0.1:8000");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" => match args.next().and_then(|s| s.parse().ok()) {
                Some(seed) => builder = builder.seed(seed),
                None => return usage("--seed takes a whole number"),
            },
            "--api-key" => match args.next() {
                Some(key) => builder = builder.api_key(key),
                None => return usage("--api-key takes a key"),
            },
            "-h" | "--help" => {
                println!("usage: tensoras-mock-server [ADDR] [--seed N] [--api-key KEY]\n\nADDR defaults to 127.0.0.1:8000; the control endpoint is /__mock/ on the same address.");
                return ExitCode::SUCCESS;
            }
            flag if flag.starts_with('-') => return usage(&format!("unknown flag {flag}")),
            addr => builder = builder.addr(addr),
        }
    }
    let server = match builder.try_start().await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("tensoras-mock-server: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The key is a test key the caller chose or the published default.
    println!(
        "Tensoras-compatible server on {} (control endpoint {}; API key {})",
        server.base_url(),
        server.base_url().replace("/v1", "/__mock"),
        server.api_key()
    );
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("tensoras-mock-server: {e}");
        return ExitCode::FAILURE;
    }
    // Stopped by hand: unmet expectations and violations are the control
    // endpoint's to report, not a panic at exit.
    server.reset();
    let _ = server.take_violations();
    ExitCode::SUCCESS
}
