//! Every value a setting accepts works: any `Duration` from zero to
//! `Duration::MAX` for every timeout, on the client and per call; any retry
//! count; every limit either accepted or refused with `Error::Config`. A
//! property over random combinations, each used for a real call against the
//! local server: nothing panics, and what comes back is what the documented
//! meaning of the settings says.

use proptest::prelude::*;
use std::time::Duration;
use tensoras::prelude::*;
use tensoras::{Limits, TimeoutKind};
use tensoras_mock::{MockServer, API_KEY};

/// Edge values and ordinary ones: zero, a nanosecond, seconds to hours,
/// longer than any clock, and `Duration::MAX` itself.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        1 => Just(Duration::ZERO),
        1 => Just(Duration::from_nanos(1)),
        3 => (5u64..3600).prop_map(Duration::from_secs),
        1 => (1u64..1_000_000).prop_map(Duration::from_micros),
        2 => (1_000_000_000u64..u64::MAX).prop_map(Duration::from_secs),
        2 => Just(Duration::MAX),
        1 => Just(Duration::MAX - Duration::from_nanos(1)),
    ]
}

fn retries() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), 1u32..4, Just(u32::MAX)]
}

fn limit() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(4096),
        Just(16 << 20),
        Just(u64::MAX)
    ]
}

#[derive(Debug, Clone)]
struct Settings {
    connect: Option<Duration>,
    read: Option<Duration>,
    write: Option<Duration>,
    total: Option<Duration>,
    retries: Option<u32>,
    call_read: Option<Duration>,
    call_write: Option<Duration>,
    call_total: Option<Duration>,
    call_retries: Option<u32>,
    response_bytes: u64,
    line_bytes: u64,
    event_bytes: u64,
    error_bytes: u64,
}

fn settings() -> impl Strategy<Value = Settings> {
    (
        (
            proptest::option::of(duration()),
            proptest::option::of(duration()),
            proptest::option::of(duration()),
            proptest::option::of(duration()),
            proptest::option::of(retries()),
        ),
        (
            proptest::option::of(duration()),
            proptest::option::of(duration()),
            proptest::option::of(duration()),
            proptest::option::of(retries()),
        ),
        (limit(), limit(), limit(), limit()),
    )
        .prop_map(
            |(
                (connect, read, write, total, retries),
                (call_read, call_write, call_total, call_retries),
                (response_bytes, line_bytes, event_bytes, error_bytes),
            )| Settings {
                connect,
                read,
                write,
                total,
                retries,
                call_read,
                call_write,
                call_total,
                call_retries,
                response_bytes,
                line_bytes,
                event_bytes,
                error_bytes,
            },
        )
}

/// At least five seconds: a local call is never that slow, even on a
/// loaded machine.
fn generous(d: Option<Duration>) -> bool {
    d.is_none_or(|d| d >= Duration::from_secs(5))
}

fn check(
    server: &MockServer,
    rt: &tokio::runtime::Runtime,
    s: &Settings,
) -> Result<(), TestCaseError> {
    let as_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let limits = Limits::default()
        .max_response_bytes(s.response_bytes)
        .max_event_line_bytes(as_usize(s.line_bytes))
        .max_event_bytes(as_usize(s.event_bytes))
        .max_error_body_bytes(s.error_bytes);
    let mut builder = Tensoras::builder()
        .api_key(API_KEY)
        .base_url(server.base_url())
        .limits(limits);
    if let Some(d) = s.connect {
        builder = builder.connect_timeout(d);
    }
    if let Some(d) = s.read {
        builder = builder.read_timeout(d);
    }
    if let Some(d) = s.write {
        builder = builder.write_timeout(d);
    }
    if let Some(d) = s.total {
        builder = builder.total_timeout(d);
    }
    if let Some(n) = s.retries {
        builder = builder.max_retries(n);
    }
    let built = builder.build();
    let refused = s.response_bytes == 0 || s.line_bytes == 0 || s.event_bytes == 0;
    let client = match built {
        Err(Error::Config(message)) if refused => {
            prop_assert!(message.contains("at least 1"), "{message}");
            return Ok(());
        }
        Err(other) => return Err(TestCaseError::fail(format!("build failed: {other:?}"))),
        Ok(_) if refused => return Err(TestCaseError::fail("a zero limit was accepted")),
        Ok(client) => client,
    };
    let mut options = RequestOptions::new();
    if let Some(d) = s.call_read {
        options = options.read_timeout(d);
    }
    if let Some(d) = s.call_write {
        options = options.write_timeout(d);
    }
    if let Some(d) = s.call_total {
        options = options.total_timeout(d);
    }
    if let Some(n) = s.call_retries {
        options = options.max_retries(n);
    }
    let client = client.with_options(options);

    let read = s.call_read.or(s.read);
    let total = s.call_total.or(s.total);
    let expect_success = generous(s.connect) && generous(read) && generous(total);
    // A call that retries for ever (u32::MAX retries of a timeout too short
    // to meet) is legitimately still going: it is cut here, not judged. One
    // expected to succeed gets ample time on a loaded machine.
    let cut = Duration::from_secs(if expect_success { 20 } else { 1 });
    let outcome = rt.block_on(async { tokio::time::timeout(cut, client.models().list()).await });
    // A stream too: its reads go through the same timers and the decoder's
    // limits.
    let streamed = rt.block_on(async {
        tokio::time::timeout(cut, async {
            use futures::StreamExt;
            let request = ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("hi")]);
            let mut chunks = client.chat().completions().create_stream(request).await?;
            let mut text = String::new();
            while let Some(chunk) = chunks.next().await {
                text.push_str(chunk?.delta_text());
            }
            Ok::<_, Error>(text)
        })
        .await
    });
    let total_ran_out = |e: &Error| {
        matches!(
            e,
            Error::Timeout {
                kind: TimeoutKind::Total,
                ..
            }
        )
    };
    if total == Some(Duration::ZERO) {
        prop_assert!(
            matches!(&outcome, Ok(Err(e)) if total_ran_out(e)),
            "a zero total timeout: {outcome:?}"
        );
        prop_assert!(
            matches!(&streamed, Ok(Err(e)) if total_ran_out(e)),
            "a zero total timeout: {streamed:?}"
        );
    } else if expect_success {
        match outcome {
            Ok(Ok(list)) if s.response_bytes >= 4096 => prop_assert!(!list.data.is_empty()),
            Ok(Err(Error::LimitExceeded { limit, .. })) if s.response_bytes < 4096 => {
                prop_assert_eq!(limit, s.response_bytes)
            }
            other => {
                return Err(TestCaseError::fail(format!(
                    "generous settings, response limit {}: {other:?}",
                    s.response_bytes
                )))
            }
        }
        // Chunks are a few hundred bytes: 4 KiB lines and events hold them,
        // 1-byte ones do not.
        let small = s.line_bytes < 4096 || s.event_bytes < 4096;
        match streamed {
            Ok(Ok(text)) if !small => prop_assert_eq!(text, "You asked: hi"),
            Ok(Err(Error::LimitExceeded { limit, .. })) if small => {
                prop_assert!(limit == s.line_bytes || limit == s.event_bytes)
            }
            other => {
                return Err(TestCaseError::fail(format!(
                    "generous settings, stream limits {} / {}: {other:?}",
                    s.line_bytes, s.event_bytes
                )))
            }
        }
    } else {
        // Whatever ended a call is a typed error a caller can act on.
        let errors = [
            outcome.as_ref().ok().and_then(|r| r.as_ref().err()),
            streamed.as_ref().ok().and_then(|r| r.as_ref().err()),
        ];
        for error in errors.into_iter().flatten() {
            prop_assert!(
                matches!(
                    error,
                    Error::Timeout { .. } | Error::LimitExceeded { .. } | Error::Connection { .. }
                ),
                "{error:?}"
            );
        }
    }
    Ok(())
}

#[test]
fn every_setting_accepts_every_value_it_takes() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(MockServer::start());
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest::test_runner::TestRunner::new(config)
        .run(&settings(), |s| check(&server, &rt, &s))
        .unwrap();
}

#[test]
fn a_call_retried_up_to_u32_max_times_succeeds_when_the_server_recovers() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(MockServer::start());
    let client = server.client().with_options(
        tensoras_tests::faults(&[
            ("x-mock-status", "503"),
            ("x-mock-fail-times", "2"),
            ("x-mock-key", "u32-max"),
            ("x-mock-retry-after-ms", "1"),
        ])
        .max_retries(u32::MAX),
    );
    let raw = rt
        .block_on(client.models().with_raw_response().list())
        .unwrap();
    assert_eq!(raw.attempts, 3);
}
