//! Many threads on one blocking client against the async client doing the
//! same calls with the same concurrency: each blocking call is a task on the
//! blocking client's runtime, so threads sharing a client are not
//! serialized on one worker.

use crate::{compare, report, Job, Mode};
use futures::{FutureExt, StreamExt};
use tensoras::types::{ChatCompletionRequest, ChatMessage};
use tensoras_mock::{MockServer, API_KEY};

fn request() -> ChatCompletionRequest {
    use tensoras::prelude::ChatMessageExt;
    ChatCompletionRequest::new(
        "llama-3.3-70b",
        [ChatMessage::user("What is the capital of France?")],
    )
}

pub async fn run(mode: &Mode) {
    let server = MockServer::builder()
        .validate(false)
        // Client and server on one runtime, as every contender is measured.
        .on_current_runtime(true)
        .start()
        .await;
    let sdk = server.client();
    let blocking = tensoras::blocking::Tensoras::builder()
        .api_key(API_KEY)
        .base_url(server.base_url())
        .build()
        .expect("blocking client");
    for threads in [8usize, 32] {
        let mut jobs: Vec<(&str, Job)> = vec![
            (
                "async client",
                Box::new(|n| {
                    let sdk = sdk.clone();
                    futures::stream::iter(0..n)
                        .for_each_concurrent(threads, move |_| {
                            let sdk = sdk.clone();
                            async move {
                                let reply = sdk.chat().completions().create(request()).await;
                                assert!(!reply.expect("async").choices.is_empty());
                            }
                        })
                        .boxed()
                }),
            ),
            (
                "blocking client",
                Box::new(|n| {
                    let blocking = blocking.clone();
                    async move {
                        tokio::task::spawn_blocking(move || {
                            std::thread::scope(|scope| {
                                for t in 0..threads {
                                    let blocking = &blocking;
                                    // n calls shared out over the threads.
                                    let calls = n / threads + usize::from(t < n % threads);
                                    scope.spawn(move || {
                                        for _ in 0..calls {
                                            let reply =
                                                blocking.chat().completions().create(request());
                                            assert!(!reply.expect("blocking").choices.is_empty());
                                        }
                                    });
                                }
                            });
                        })
                        .await
                        .expect("the blocking job");
                    }
                    .boxed()
                }),
            ),
        ];
        compare(1, 200, &mut jobs).await; // warm up
        report(
            mode,
            (11, 2_000),
            &mut jobs,
            &format!("{threads} threads on one blocking client vs {threads} calls in flight on the async client (chat, loopback)"),
            "requests/s",
        )
        .await;
    }
}
