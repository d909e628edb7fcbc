//! A bounded load-and-fault run: many concurrent requests on one client,
//! each with a random fault (429 or 503 some times, connection resets, a
//! server slower than the timeout). Every request must end in success or in
//! the typed error its fault calls for, within `max_retries + 1` attempts;
//! nothing panics or hangs.

use futures::StreamExt;
use std::time::Duration;
use tensoras::Error;
use tensoras_mock::MockServer;
use tensoras_tests::faults;

const REQUESTS: usize = 240;
const CONCURRENCY: usize = 48;
const MAX_RETRIES: u32 = 2;

#[derive(Debug, Clone, Copy)]
enum Fault {
    None,
    Status(u16, u32),
    Reset(u32),
    Slow,
}

/// xorshift64*: a fixed seed makes the run reproducible.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_ends_in_success_or_its_typed_error() {
    let server = MockServer::start().await;
    let client = server.client();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let plan: Vec<Fault> = (0..REQUESTS)
        .map(|_| match rng.below(10) {
            0..=3 => Fault::None,
            4 | 5 => Fault::Status(429, rng.below(4) as u32),
            6 | 7 => Fault::Status(503, rng.below(4) as u32),
            8 => Fault::Reset(rng.below(4) as u32),
            _ => Fault::Slow,
        })
        .collect();

    let run = futures::stream::iter(plan.iter().copied().enumerate())
        .map(|(i, fault)| {
            let client = client.clone();
            async move {
                let (result, attempts) = match run_one(&client, i, fault).await {
                    Ok(attempts) => (Ok(()), Some(attempts)),
                    Err(e) => (Err(e), None),
                };
                (i, fault, result, attempts)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>();
    let outcomes = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the run finishes in bounded time: no request hangs");
    assert_eq!(outcomes.len(), REQUESTS);

    let mut tally = std::collections::BTreeMap::new();
    for (i, fault, result, attempts) in &outcomes {
        let within = MAX_RETRIES + 1;
        if let Some(attempts) = attempts {
            assert!(*attempts <= within, "request {i}: {attempts} attempts");
        }
        let expected_ok = match fault {
            Fault::None => true,
            Fault::Status(_, times) | Fault::Reset(times) => *times <= MAX_RETRIES,
            Fault::Slow => false,
        };
        let kind = match (fault, result) {
            (_, Ok(())) => "ok",
            (Fault::Status(429, _), Err(Error::RateLimit(e))) => {
                assert_eq!(e.retry_after, Some(Duration::from_millis(5)));
                "rate limited"
            }
            (Fault::Status(503, _), Err(Error::InternalServer(_))) => "server error",
            (Fault::Reset(_), Err(Error::Connection { .. })) => "connection reset",
            (Fault::Slow, Err(Error::Timeout { .. })) => "timeout",
            (fault, Err(other)) => panic!("request {i} with {fault:?} ended in {other:?}"),
        };
        assert_eq!(
            kind == "ok",
            expected_ok,
            "request {i} with {fault:?} ended {kind}"
        );
        *tally.entry(kind).or_insert(0) += 1;
    }
    // MockServer side: no request was sent more than max_retries + 1 times.
    let mut per_key = std::collections::HashMap::<String, u32>::new();
    for r in server.requests() {
        if let Some(key) = r.headers.get("x-mock-key").and_then(|v| v.to_str().ok()) {
            *per_key.entry(key.to_owned()).or_default() += 1;
        }
    }
    assert!(
        per_key.values().all(|&n| n <= MAX_RETRIES + 1),
        "{per_key:?}"
    );
    assert!(tally.len() >= 4, "every kind of ending happened: {tally:?}");
    eprintln!("{tally:?}");
}

/// The request's outcome, with how many attempts it took when it succeeded.
async fn run_one(client: &tensoras::Tensoras, i: usize, fault: Fault) -> Result<u32, Error> {
    let key = format!("load-{i}");
    let status_pairs;
    let reset_value;
    let pairs: Vec<(&'static str, &str)> = match fault {
        Fault::None => vec![],
        Fault::Status(status, times) => {
            status_pairs = (status.to_string(), times.to_string());
            vec![
                ("x-mock-status", status_pairs.0.as_str()),
                ("x-mock-fail-times", status_pairs.1.as_str()),
                ("x-mock-key", key.as_str()),
                ("x-mock-retry-after-ms", "5"),
            ]
        }
        Fault::Reset(times) => {
            reset_value = format!("{key}/{times}");
            vec![("x-mock-reset", reset_value.as_str())]
        }
        Fault::Slow => vec![("x-mock-delay-ms", "1500")],
    };
    // Only the slow fault needs a short timeout. The others get a long one:
    // on a loaded machine a 400 ms attempt could time out on its own, use
    // up a retry the fault's plan counts on, and fail the test for nothing.
    let timeout = match fault {
        Fault::Slow => Duration::from_millis(400),
        _ => Duration::from_secs(10),
    };
    let options = faults(&pairs).max_retries(MAX_RETRIES).timeout(timeout);
    let raw = client
        .with_options(options)
        .models()
        .with_raw_response()
        .list()
        .await?;
    assert_eq!(raw.data.data.len(), 3);
    Ok(raw.attempts)
}
