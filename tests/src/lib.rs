//! Helpers of the workspace's integration tests: raw-socket servers that
//! send what a broken server sends ([`raw`]), span and log capture
//! ([`spans`], [`logs`]), the tour of every operation ([`tour`]) and fault
//! headers for [`tensoras_mock`]'s server ([`faults`]).
//!
//! The local Tensoras-compatible server itself is the `tensoras-mock`
//! crate; the tests use its public API only.

pub mod logs;
pub mod raw;
pub mod spans;
pub mod tour;

/// Request options carrying `tensoras-mock`'s fault headers, such as
/// `faults(&[("x-mock-status", "503")])` (see `tensoras_mock::control`).
pub fn faults(pairs: &[(&'static str, &str)]) -> tensoras::RequestOptions {
    pairs
        .iter()
        .fold(tensoras::RequestOptions::new(), |o, (k, v)| {
            o.header(
                tensoras::header::HeaderName::from_static(k),
                tensoras::header::HeaderValue::from_str(v).expect("header value"),
            )
        })
}

/// The repository README's code blocks, compile-checked with the doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
