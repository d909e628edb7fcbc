//! What observability costs a call: the chat round trip with no `tracing`
//! subscriber (the spans are one check each), and with a subscriber that
//! records every span and field (tracing-subscriber's fmt layer writing
//! each span's fields when it closes, to a sink), without and with content
//! capture.

use crate::chat::request;
use crate::{compare, report, Job, Mode};
use futures::{FutureExt, StreamExt};
use tensoras_mock::{MockServer, API_KEY};
use tracing::instrument::WithSubscriber;

const CONCURRENCY: usize = 8;

/// A subscriber that formats every span's fields (and writes them, to a
/// sink, when the span closes): what an exporter has to do at least.
fn recording() -> tracing::Dispatch {
    tracing::Dispatch::new(
        tracing_subscriber::fmt()
            .with_writer(std::io::sink)
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .finish(),
    )
}

pub async fn run(mode: &Mode) {
    let server = MockServer::builder()
        .validate(false)
        // Client and server on one runtime, as every contender is measured.
        .on_current_runtime(true)
        .start()
        .await;
    let plain = server.client();
    let capturing = tensoras::Tensoras::builder()
        .api_key(API_KEY)
        .base_url(server.base_url())
        .capture_content(true)
        .build()
        .expect("client");
    let job = |client: &tensoras::Tensoras, dispatch: Option<tracing::Dispatch>| {
        let client = client.clone();
        let calls = futures::stream::iter(0..usize::MAX);
        move |n: usize| {
            let client = client.clone();
            let work = calls
                .clone()
                .take(n)
                .for_each_concurrent(CONCURRENCY, move |_| {
                    let client = client.clone();
                    async move {
                        let reply = client.chat().completions().create(request()).await;
                        assert!(!reply.expect("sdk").choices.is_empty());
                    }
                });
            match dispatch.clone() {
                Some(dispatch) => work.with_subscriber(dispatch).boxed(),
                None => work.boxed(),
            }
        }
    };
    let mut jobs: Vec<(&str, Job)> = vec![
        ("tensoras, no subscriber", Box::new(job(&plain, None))),
        (
            "tensoras, recording subscriber",
            Box::new(job(&plain, Some(recording()))),
        ),
        (
            "tensoras, recording subscriber, content captured",
            Box::new(job(&capturing, Some(recording()))),
        ),
    ];
    compare(1, 200, &mut jobs).await; // warm up
    report(
        mode,
        (15, 2_000),
        &mut jobs,
        &format!("Chat round trip with and without a tracing subscriber ({CONCURRENCY} in flight, loopback)"),
        "requests/s",
    )
    .await;
}
