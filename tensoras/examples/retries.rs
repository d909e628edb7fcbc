//! Retries and timeouts (Python SDK: "Automatic Retries").
//!
//! Retries use exponential backoff with jitter on 408, 409, 429, 5xx,
//! connection errors and timeouts, and honour `Retry-After`.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example retries
//! ```

use std::time::Duration;
use tensoras::prelude::*;

#[tokio::main]
async fn main() -> Result<()> {
    // Python: Tensoras(max_retries=5, timeout=60.0)
    let client = Tensoras::builder()
        .max_retries(5) // default: 3
        .timeout(Duration::from_secs(60)) // default: 120 s
        .build()?;

    // Python: Tensoras(max_retries=0)
    let no_retries = Tensoras::builder().max_retries(0).build()?;

    // Beyond Python: per-request overrides, and the raw response of any call.
    let patient = client.with_options(
        RequestOptions::new()
            .timeout(Duration::from_secs(300))
            .max_retries(8),
    );
    let raw = patient.models().with_raw_response().list().await?;
    println!(
        "{} models after {} attempt(s); status {}, request id {:?}, {:?} requests left",
        raw.data.data.len(),
        raw.attempts,
        raw.status,
        raw.request_id(),
        raw.rate_limit().remaining
    );
    println!(
        "without retries: {} models",
        no_retries.models().list().await?.data.len()
    );
    Ok(())
}
