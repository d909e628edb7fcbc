//! Bulk jobs end to end against the local server, which really runs
//! batches: typed requests in, typed results out, with the failures a batch
//! can have (error bodies, refused lines, cancelled or expired batches,
//! batches that fail as a whole) and a server that writes odd result files.

use futures::TryStreamExt;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tensoras::prelude::*;
use tensoras::resources::batches::{BatchExt, BatchJob, BatchLimits, BatchOutcome, WaitOptions};
use tensoras::TimeoutKind;
use tensoras_mock::{MockServer, API_KEY};
use tensoras_tests::faults as fault;
use tensoras_tests::raw::RawServer;

/// Polls every 10 to 50 ms, for at most a minute (a hang fails, not stalls).
fn quick() -> WaitOptions {
    WaitOptions::new()
        .poll_interval(Duration::from_millis(10))
        .max_poll_interval(Duration::from_millis(50))
        .timeout(Duration::from_secs(60))
}

fn ask(text: &str) -> ChatCompletionRequest {
    ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user(text)])
}

/// A fresh spool directory for one test's input files.
fn spool(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tensoras-spool-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn is_empty(dir: &PathBuf) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

async fn collect<T>(
    results: &mut tensoras::resources::batches::BatchResults<T>,
) -> Vec<BatchOutcome<T>> {
    let mut all = Vec::new();
    while let Some(outcome) = results.try_next().await.unwrap() {
        all.push(outcome);
        assert!(all.len() <= 10_000, "the results end");
    }
    all
}

/// Each outcome's custom id and, for a line that did not run, its
/// error code (any other error fails the test).
fn codes<T>(outcomes: &[BatchOutcome<T>]) -> Vec<(&str, Option<&str>)> {
    outcomes
        .iter()
        .map(|o| {
            let code = match &o.result {
                Ok(_) => None,
                Err(Error::BatchLine { code, .. }) => code.as_deref(),
                Err(other) => panic!("{other:?}"),
            };
            (o.custom_id.as_str(), code)
        })
        .collect()
}

#[tokio::test]
async fn a_job_runs_from_typed_requests_to_typed_results() {
    let server = MockServer::start().await;
    let client = server
        .client()
        .with_options(fault(&[("x-mock-batch-pace-ms", "20")]));
    let dir = spool("e2e");
    let job = BatchJob::new()
        .named("q-1", ask("Why is the sky blue?"))
        .request(ask("What is rust?"))
        .named("too-hot", ask("Hi").temperature(5.0))
        .named(
            "silent",
            ChatCompletionRequest::new("llama-3.3-70b", Vec::<ChatMessage>::new()),
        )
        .request(ask("Last one"))
        .metadata(Metadata::from([("run".to_owned(), "e2e".to_owned())]))
        .spool_dir(&dir);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let progress = seen.clone();
    let options = quick().on_progress(move |batch| {
        progress
            .lock()
            .unwrap()
            .push((batch.status.clone(), batch.counts().completed));
    });
    let mut results = client.batches().run(job, options).await.unwrap();
    assert!(
        is_empty(&dir),
        "the local input file is removed once uploaded"
    );

    // What was sent: the JSONL lines of the Batch API, then the batch.
    let batch = results.batch().clone();
    let input = client
        .files()
        .content(&batch.input_file_id)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = input.lines().collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[0],
        r#"{"custom_id":"q-1","method":"POST","url":"/v1/chat/completions","body":{"messages":[{"content":"Why is the sky blue?","role":"user"}],"model":"llama-3.3-70b"}}"#
    );
    assert!(
        lines[1].starts_with(r#"{"custom_id":"request-2","#),
        "{}",
        lines[1]
    );
    assert!(
        lines[4].starts_with(r#"{"custom_id":"request-5","#),
        "{}",
        lines[4]
    );
    let created = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.uri == "/v1/batches")
        .unwrap();
    let body = created.body.unwrap();
    assert_eq!(body["endpoint"], "/v1/chat/completions");
    assert_eq!(body["completion_window"], "24h");
    assert_eq!(body["metadata"]["run"], "e2e");

    // What came back, by custom id.
    let outcomes: BTreeMap<String, Result<ChatCompletion, Error>> = collect(&mut results)
        .await
        .into_iter()
        .map(|o| (o.custom_id, o.result))
        .collect();
    assert_eq!(
        outcomes.keys().map(String::as_str).collect::<Vec<_>>(),
        ["q-1", "request-2", "request-5", "silent", "too-hot"]
    );
    assert_eq!(
        outcomes["q-1"].as_ref().unwrap().text(),
        "You asked: Why is the sky blue?"
    );
    assert_eq!(
        outcomes["request-5"].as_ref().unwrap().text(),
        "You asked: Last one"
    );
    let too_hot = outcomes["too-hot"].as_ref().unwrap_err();
    assert_eq!(too_hot.status(), Some(422), "{too_hot:?}");
    assert!(too_hot.to_string().contains("temperature"), "{too_hot}");
    assert!(too_hot
        .request_id()
        .is_some_and(|id| id.starts_with("req_")));
    let silent = outcomes["silent"].as_ref().unwrap_err();
    assert!(
        silent.status().is_some_and(|s| (400..500).contains(&s)),
        "{silent:?}"
    );
    assert!(silent.to_string().contains("messages"), "{silent}");

    assert_eq!(results.unreported(), Some(0));
    assert_eq!(batch.status, BatchStatus::Completed);
    assert_eq!(batch.request_counts, Some(BatchRequestCounts::new(5, 3, 2)));
    let statuses: Vec<BatchStatus> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(s, _)| s.clone())
        .collect();
    assert_eq!(statuses.last(), Some(&BatchStatus::Completed));
    let order = |s: &BatchStatus| match s {
        BatchStatus::Validating => 0,
        BatchStatus::InProgress => 1,
        BatchStatus::Finalizing => 2,
        _ => 3,
    };
    assert!(
        statuses.windows(2).all(|w| order(&w[0]) <= order(&w[1])),
        "statuses only move forward: {statuses:?}"
    );

    // Cleaning up deletes the input, output and error files.
    results.delete_files().await.unwrap();
    for file in [Some(&batch.input_file_id), batch.output_file_id.as_ref()]
        .into_iter()
        .flatten()
    {
        assert!(matches!(
            client.files().retrieve(file).await,
            Err(Error::NotFound(_))
        ));
    }
    assert!(
        batch.error_file_id.is_none(),
        "every request got a response"
    );
}

#[tokio::test]
async fn lines_the_server_refuses_come_back_from_the_error_file() {
    let server = MockServer::start().await;
    let client = server.client();
    let input = concat!(
        r#"{"custom_id":"good","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"Hi"}]}}"#,
        "\n",
        r#"{"custom_id":"wrong-url","method":"POST","url":"/v1/embeddings","body":{"model":"m","input":"x"}}"#,
        "\n",
        r#"{"custom_id":"good","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"Again"}]}}"#,
        "\n",
        "this line is not JSON\n",
        r#"{"custom_id":"streamed","method":"POST","url":"/v1/chat/completions","body":{"model":"m","stream":true,"messages":[{"role":"user","content":"Hi"}]}}"#,
        "\n",
    );
    let file = client
        .files()
        .create(FileSource::bytes("mixed.jsonl", input), FilePurpose::Batch)
        .await
        .unwrap();
    let created = client
        .batches()
        .create(BatchCreateRequest::new(
            file.id.as_str(),
            BatchEndpoint::ChatCompletions,
        ))
        .await
        .unwrap();
    let mut run = client
        .batches()
        .resume::<ChatCompletion>(&created.id)
        .await
        .unwrap();
    assert_eq!(run.id(), created.id);
    assert_eq!(
        run.wait(quick()).await.unwrap().status,
        BatchStatus::Completed
    );
    let mut results = run.results().await.unwrap();
    let outcomes = collect(&mut results).await;
    // The output file first, then the error file.
    let ids: Vec<&str> = outcomes.iter().map(|o| o.custom_id.as_str()).collect();
    assert_eq!(ids, ["good", "wrong-url", "good", "", "streamed"]);
    assert_eq!(outcomes[0].result.as_ref().unwrap().text(), "You asked: Hi");
    for refused in &outcomes[1..] {
        let Err(Error::BatchLine { code, message }) = &refused.result else {
            panic!("{:?}", refused.result)
        };
        assert_eq!(code.as_deref(), Some("invalid_request"));
        assert!(!message.is_empty());
    }
    let message = |i: usize| outcomes[i].result.as_ref().unwrap_err().to_string();
    assert!(message(1).contains("endpoint"), "{}", message(1));
    assert!(message(2).contains("used twice"), "{}", message(2));
    assert!(message(3).contains("not JSON"), "{}", message(3));
    assert!(message(4).contains("streamed"), "{}", message(4));
    assert_eq!(results.unreported(), Some(0));
    assert_eq!(
        results.batch().request_counts,
        Some(BatchRequestCounts::new(5, 1, 4))
    );

    // A run typed for another endpoint's responses is refused.
    let wrong = client
        .batches()
        .resume::<EmbeddingResponse>(&created.id)
        .await
        .unwrap_err();
    assert!(
        matches!(&wrong, Error::InvalidInput(m) if m.contains("/v1/chat/completions")),
        "{wrong:?}"
    );
}

#[tokio::test]
async fn a_batch_resumes_by_id_from_another_client() {
    let server = MockServer::start().await;
    let id = {
        let client = server
            .client()
            .with_options(fault(&[("x-mock-batch-pace-ms", "20")]));
        let job = BatchJob::from_named(["alpha", "beta", "gamma"].map(|t| {
            (
                format!("doc-{t}"),
                EmbeddingRequest::new("bge-large-en-v1.5", t),
            )
        }));
        let run = client.batches().submit(job).await.unwrap();
        assert_eq!(run.batch().endpoint, BatchEndpoint::Embeddings);
        run.id().to_owned()
        // The submitting client and its run are gone here.
    };
    let client = server.client();
    let mut run = client
        .batches()
        .resume::<EmbeddingResponse>(&id)
        .await
        .unwrap();
    let batch = run.wait(quick()).await.unwrap();
    assert_eq!(batch.status, BatchStatus::Completed);
    let outcomes = collect(&mut run.results().await.unwrap()).await;
    assert_eq!(outcomes.len(), 3);
    for outcome in outcomes {
        let text = outcome.custom_id.strip_prefix("doc-").unwrap().to_owned();
        let response = outcome.result.unwrap();
        assert_eq!(response.data.len(), 1);
        assert_eq!(
            response.data[0].embedding.as_slice(),
            tensoras_mock::embed(&text)
        );
    }
}

#[tokio::test]
async fn cancelling_mid_way_keeps_the_partial_output_and_reports_the_rest() {
    let server = MockServer::start().await;
    // The server holds the batch after 5 requests until it is cancelled:
    // no race between the cancel and the batch's end.
    let client = server
        .client()
        .with_options(fault(&[("x-mock-batch-hold-after", "5")]));
    let job = BatchJob::from_requests((0..40).map(|i| ask(&format!("question {i}"))));
    let mut run = client.batches().submit(job).await.unwrap();
    let mut updates = run.updates(quick());
    let mut seen = Vec::new();
    while let Some(batch) = updates.try_next().await.unwrap() {
        seen.push(batch.status.clone());
        if batch.counts().completed == 5 {
            break;
        }
        assert!(!batch.is_finished(), "{batch:?}");
    }
    drop(updates);
    assert_eq!(seen.last(), Some(&BatchStatus::InProgress), "{seen:?}");
    let cancelling = run.cancel().await.unwrap().status.clone();
    assert_eq!(cancelling, BatchStatus::Cancelling);
    assert_eq!(
        run.wait(quick()).await.unwrap().status,
        BatchStatus::Cancelled
    );

    let outcomes = collect(&mut run.results().await.unwrap()).await;
    let summary = codes(&outcomes);
    let expected: Vec<(String, Option<&str>)> = (1..=40)
        .map(|i| (format!("request-{i}"), (i > 5).then_some("batch_cancelled")))
        .collect();
    let expected: Vec<(&str, Option<&str>)> = expected
        .iter()
        .map(|(id, code)| (id.as_str(), *code))
        .collect();
    assert_eq!(summary, expected, "5 ran, 35 reported as not run, in order");
    assert_eq!(
        run.batch().request_counts,
        Some(BatchRequestCounts::new(40, 5, 35))
    );
    // Finished, its files can go (the stored batch is fetched again if
    // it was seen unfinished).
    run.delete_files().await.unwrap();
    assert!(matches!(
        client.files().retrieve(&run.batch().input_file_id).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn an_expired_batch_reports_the_requests_it_did_not_reach() {
    let server = MockServer::start().await;
    let client = server
        .client()
        .with_options(fault(&[("x-mock-batch-expire-after", "2")]));
    let job = BatchJob::from_requests((0..5).map(|i| ask(&format!("q{i}"))));
    let mut results = client.batches().run(job, quick()).await.unwrap();
    assert_eq!(results.batch().status, BatchStatus::Expired);
    let outcomes = collect(&mut results).await;
    let summary = codes(&outcomes);
    assert_eq!(
        summary,
        [
            ("request-1", None),
            ("request-2", None),
            ("request-3", Some("batch_expired")),
            ("request-4", Some("batch_expired")),
            ("request-5", Some("batch_expired")),
        ]
    );
}

#[tokio::test]
async fn a_batch_that_fails_as_a_whole_is_a_typed_error_with_its_reasons() {
    let server = MockServer::start().await;
    // The server takes one request per batch here: two are refused when the
    // batch is validated, after it was created (as a rate-limited batch is
    // only seen to fail by polling it).
    let client = server
        .client()
        .with_options(fault(&[("x-mock-batch-max-lines", "1")]));
    let job = BatchJob::from_requests([ask("a"), ask("b")]);
    let error = client.batches().run(job, quick()).await.unwrap_err();
    let Error::BatchFailed(batch) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(batch.status, BatchStatus::Failed);
    let reasons = batch.errors.as_ref().unwrap();
    assert_eq!(reasons.data[0].code.as_deref(), Some("invalid_file"));
    assert!(
        error.to_string().contains("at most 1") && error.to_string().contains(&batch.id),
        "{error}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn limits_and_bad_jobs_are_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    let client = server.client();
    let dir = spool("limits");
    let refused = |job: BatchJob<ChatCompletionRequest>, expect: &'static str| {
        let client = client.clone();
        let dir = dir.clone();
        async move {
            let error = client
                .batches()
                .submit(job.spool_dir(&dir))
                .await
                .unwrap_err();
            let Error::InvalidInput(message) = &error else {
                panic!("{expect}: {error:?}")
            };
            assert!(message.contains(expect), "{expect}: {message}");
            assert!(is_empty(&dir), "{expect}: the local file is removed");
        }
    };
    refused(
        BatchJob::from_requests((0..4).map(|_| ask("x")))
            .limits(BatchLimits::default().max_requests(3)),
        "more than 3 requests",
    )
    .await;
    refused(
        BatchJob::from_requests((0..4).map(|_| ask("x")))
            .limits(BatchLimits::default().max_file_bytes(200)),
        "over 200 bytes",
    )
    .await;
    refused(
        BatchJob::new()
            .request(ask("x"))
            .request(ChatCompletionRequest::new(
                "other-model",
                [ChatMessage::user("y")],
            )),
        "one model",
    )
    .await;
    refused(
        BatchJob::new().named("a", ask("x")).named("a", ask("y")),
        "\"a\" is used twice",
    )
    .await;
    refused(
        BatchJob::new()
            .named("request-2", ask("x"))
            .request(ask("y")),
        "\"request-2\" is used twice",
    )
    .await;
    refused(BatchJob::new().named("", ask("x")), "empty custom id").await;
    refused(BatchJob::new().request(ask("x").stream(true)), "streamed").await;
    refused(BatchJob::new(), "at least one request").await;
    refused(
        BatchJob::new()
            .request(ask("x"))
            .named("hot", ask("y").temperature(f64::NAN)),
        "request \"hot\" does not serialize: `temperature` is NaN",
    )
    .await;
    refused(
        BatchJob::new()
            .request(ask("x"))
            .limits(BatchLimits::default().max_requests(0)),
        "at least 1",
    )
    .await;
    assert!(
        server.requests().is_empty(),
        "nothing was sent: {:?}",
        server.requests()
    );

    // With the one-model check off, two models go in one batch.
    let mixed = BatchJob::new()
        .request(ask("x"))
        .request(ChatCompletionRequest::new(
            "other-model",
            [ChatMessage::user("y")],
        ))
        .limits(BatchLimits::default().one_model(false));
    assert!(client.batches().submit(mixed).await.is_ok());
}

#[tokio::test]
async fn waiting_gives_up_at_its_timeout_and_the_batch_goes_on() {
    let server = MockServer::start().await;
    let client = server
        .client()
        .with_options(fault(&[("x-mock-batch-hold-after", "0")]));
    let mut run = client
        .batches()
        .submit(BatchJob::new().request(ask("x")))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let error = run
        .wait(quick().timeout(Duration::from_millis(200)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                kind: TimeoutKind::Batch,
                after
            } if after == Duration::from_millis(200)
        ),
        "{error:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(!error.is_retryable());
    assert!(
        !run.refresh().await.unwrap().is_finished(),
        "the batch goes on"
    );
    // Its results are not there yet, and its files stay while it runs.
    assert!(matches!(run.results().await, Err(Error::InvalidInput(_))));
    assert!(matches!(
        run.delete_files().await,
        Err(Error::InvalidInput(_))
    ));
    // A wait that may last forever is accepted, and a zero interval is not
    // a busy loop: from 10 ms, each wait twice the last.
    let forever = quick()
        .timeout(Duration::MAX)
        .poll_interval(Duration::ZERO)
        .max_poll_interval(Duration::MAX);
    let path = format!("/v1/batches/{}", run.id());
    let polls = |server: &MockServer| {
        server
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.uri == path)
            .count()
    };
    let before = polls(&server);
    let waiting = std::time::Instant::now();
    run.cancel().await.unwrap();
    let batch = run.wait(forever).await.unwrap().clone();
    assert_eq!(batch.status, BatchStatus::Cancelled);
    let (polled, took) = (polls(&server) - before, waiting.elapsed());
    // A busy loop would poll thousands of times; doubling from 10 ms polls
    // at most about log2(took / 10 ms) + 1 times.
    let most = (took.as_millis() as f64 / 10.0).log2().ceil() as usize + 2;
    assert!(
        (1..=most).contains(&polled),
        "{polled} polls in {took:?} (at most {most})"
    );
}

#[tokio::test]
async fn a_batch_finished_before_the_deadline_is_not_a_timeout() {
    let server = MockServer::start().await;
    let client = server.client();
    let mut run = client
        .batches()
        .submit(BatchJob::new().request(ask("x")))
        .await
        .unwrap();
    // The first poll would be in an hour; the deadline comes first, and
    // the poll at the deadline finds the batch done.
    let options = WaitOptions::new()
        .poll_interval(Duration::from_secs(3600))
        .timeout(Duration::from_millis(300));
    let batch = run.wait(options).await.unwrap();
    assert_eq!(batch.status, BatchStatus::Completed);
}

/// The batch of a run that stopped waiting at its timeout.
fn unfinished(error: &Error) -> &Batch {
    let Error::BatchUnfinished { batch, source } = error else {
        panic!("{error:?}")
    };
    assert!(
        matches!(
            **source,
            Error::Timeout {
                kind: TimeoutKind::Batch,
                ..
            }
        ),
        "{source:?}"
    );
    batch
}

#[tokio::test]
async fn a_run_that_stops_waiting_hands_back_the_batch_as_last_seen() {
    // The poll at the deadline finds the batch moved on, but not finished:
    // that batch, the one the progress callback saw, is the one handed back.
    let server = MockServer::start().await;
    let moved: Batch = serde_json::from_value(serde_json::json!({
        "id": "batch_moved", "object": "batch", "endpoint": "/v1/chat/completions",
        "input_file_id": "file_1", "completion_window": "24h", "status": "finalizing",
        "created_at": 1, "request_counts": {"total": 7, "completed": 6, "failed": 0}
    }))
    .unwrap();
    server
        .mock::<tensoras::operations::RetrieveBatch>()
        .respond(tensoras_mock::Reply::ok(moved))
        .mount();
    let shown = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&shown);
    let options = WaitOptions::new()
        .poll_interval(Duration::from_secs(3600))
        .timeout(Duration::from_millis(200))
        .on_progress(move |batch: &Batch| seen.lock().unwrap().push(batch.status.clone()));
    let error = server
        .client()
        .with_options(fault(&[("x-mock-batch-hold-after", "0")]))
        .batches()
        .run(BatchJob::new().request(ask("x")), options)
        .await
        .unwrap_err();
    let batch = unfinished(&error);
    assert_eq!(batch.id, "batch_moved");
    assert_eq!(batch.status, BatchStatus::Finalizing);
    assert_eq!(shown.lock().unwrap().last(), Some(&BatchStatus::Finalizing));
}

#[tokio::test]
async fn a_run_that_stops_waiting_hands_back_its_batch() {
    let server = MockServer::start().await;
    let client = server
        .client()
        .with_options(fault(&[("x-mock-batch-hold-after", "0")]));
    let error = client
        .batches()
        .run(
            BatchJob::new().request(ask("x")),
            quick().timeout(Duration::from_millis(200)),
        )
        .await
        .unwrap_err();
    let batch = unfinished(&error);
    assert!(error.to_string().contains(&batch.id), "{error}");
    assert!(!error.is_retryable());
    // The batch is there to resume and cancel.
    let mut run = client
        .batches()
        .resume::<ChatCompletion>(&batch.id)
        .await
        .unwrap();
    run.cancel().await.unwrap();
    assert_eq!(
        run.wait(quick()).await.unwrap().status,
        BatchStatus::Cancelled
    );
}

#[tokio::test]
async fn a_refused_create_deletes_the_uploaded_input_again() {
    let server = MockServer::start().await;
    let client = server.client().with_options(fault(&[
        ("x-mock-status", "400"),
        ("x-mock-fault-path", "/v1/batches"),
    ]));
    let error = client
        .batches()
        .submit(BatchJob::new().request(ask("x")))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400), "{error:?}");
    let uploads: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.uri == "/v1/files")
        .collect();
    assert_eq!(uploads.len(), 1, "the input was uploaded");
    let files = stored_files(&server).await;
    assert!(files.is_empty(), "and deleted again: {files:?}");
}

/// The files the server holds.
async fn stored_files(server: &MockServer) -> Vec<tensoras::types::FileObject> {
    server
        .client()
        .files()
        .list(ListFiles::new())
        .await
        .unwrap()
        .data
}

/// A status the client retries (408, 409, 429, or any the server marks
/// `x-should-retry: true`) does not prove the batch was not made: an
/// earlier attempt, under the same idempotency key, may have made it and
/// lost its answer. The uploaded input is kept, not deleted.
#[tokio::test]
async fn a_retried_refusal_keeps_the_uploaded_input() {
    for (status, should_retry) in [
        ("408", None),
        ("409", None),
        ("429", None),
        ("400", Some("true")),
    ] {
        let server = MockServer::start().await;
        let mut pairs = vec![
            ("x-mock-status", status),
            ("x-mock-fault-path", "/v1/batches"),
            ("x-mock-retry-after-ms", "10"),
        ];
        if let Some(value) = should_retry {
            pairs.push(("x-mock-should-retry", value));
        }
        let client = server.client().with_options(fault(&pairs).max_retries(1));
        let submitted = tokio::time::timeout(
            Duration::from_secs(30),
            client.batches().submit(BatchJob::new().request(ask("x"))),
        )
        .await
        .expect("the submission ends");
        let error = submitted.unwrap_err();
        assert_eq!(error.status(), Some(status.parse().unwrap()), "{error:?}");
        let requests = server.requests();
        let creates = requests
            .iter()
            .filter(|r| r.method == "POST" && r.uri == "/v1/batches")
            .count();
        assert_eq!(creates, 2, "{status}: the create was retried");
        let deletes: Vec<_> = requests
            .iter()
            .filter(|r| r.method == "DELETE")
            .map(|r| r.uri.clone())
            .collect();
        assert!(deletes.is_empty(), "{status}: nothing deleted: {deletes:?}");
        assert_eq!(
            stored_files(&server).await.len(),
            1,
            "{status}: the input is kept"
        );
    }
}

#[tokio::test]
async fn a_submission_dropped_mid_upload_leaves_no_local_file() {
    // A server that takes the connection and never answers.
    let server = RawServer::start(|mut conn| async move {
        let sink = [0u8; 4096];
        for _ in 0..100_000 {
            match conn.read_some(sink.len()).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await
    .unwrap();
    let client = server.client(tensoras::RequestOptions::new());
    let dir = spool("dropped");
    let job = BatchJob::from_requests((0..1000).map(|i| ask(&format!("q{i}")))).spool_dir(&dir);
    let submit = client.batches().submit(job);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), submit)
            .await
            .is_err(),
        "the upload never finishes"
    );
    // Dropped: the file goes (its removal runs on a thread of its own).
    let mut empty = false;
    for _ in 0..500 {
        if is_empty(&dir) {
            empty = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(empty, "the spool directory is left empty");
}

/// A server that writes odd result files: blank lines, CRLF, a line that
/// is not JSON, an HTML error body, a line with neither response nor error,
/// then a line over the client's bound.
#[tokio::test]
async fn odd_result_files_give_typed_items_never_a_panic() {
    const OK: &str = r#"{"id":"1","custom_id":"a","response":{"status_code":200,"body":{"object":"list","model":"m","data":[{"object":"embedding","index":0,"embedding":[0.5]}],"usage":{"prompt_tokens":1,"total_tokens":1}}}}"#;
    let huge = format!(
        r#"{{"custom_id":"big","response":{{"status_code":200,"body":{{"pad":"{}"}}}}}}"#,
        "x".repeat(10_000)
    );
    let output = format!(
        "{OK}\r\n\n   \nnot json\n{}\n{}\n{huge}\n{OK}\n",
        r#"{"custom_id":"b","response":{"status_code":502,"request_id":"req_7","body":"<html>Bad gateway</html>"}}"#,
        r#"{"custom_id":"c","response":null,"error":null}"#,
    );
    let server = RawServer::start(move |mut conn| {
        let output = output.clone();
        async move {
            let Ok(head) = conn.read_request().await else {
                return;
            };
            let (content_type, body) = if head.starts_with("GET /v1/batches/batch_odd ") {
                ("application/json", r#"{"id":"batch_odd","object":"batch","endpoint":"/v1/embeddings","input_file_id":"file-in","completion_window":"24h","status":"completed","created_at":1,"output_file_id":"file-out","request_counts":{"total":6,"completed":2,"failed":4}}"#.to_owned())
            } else if head.starts_with("GET /v1/files/file-out/content ") {
                ("application/octet-stream", output)
            } else {
                ("application/json", r#"{"error":{"message":"no"}}"#.to_owned())
            };
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write(response.as_bytes()).await;
        }
    })
    .await
    .unwrap();
    let client = Tensoras::builder()
        .api_key(API_KEY)
        .base_url(server.base_url())
        .limits(tensoras::Limits::default().max_response_bytes(4096))
        .build()
        .unwrap();
    let run = client
        .batches()
        .resume::<EmbeddingResponse>("batch_odd")
        .await
        .unwrap();
    let mut results = run.results().await.unwrap();
    let mut items = Vec::new();
    while let Some(item) = futures::StreamExt::next(&mut results).await {
        items.push(item);
        assert!(items.len() < 100, "the stream ends");
    }
    let mut items = items.into_iter();
    let a = items.next().unwrap().unwrap();
    assert_eq!(
        (
            a.custom_id.as_str(),
            a.result.unwrap().data[0].embedding.as_slice().to_vec()
        ),
        ("a", vec![0.5])
    );
    assert!(matches!(items.next().unwrap(), Err(Error::Decode { .. })));
    let b = items.next().unwrap().unwrap();
    let Err(Error::InternalServer(api)) = &b.result else {
        panic!("{:?}", b.result)
    };
    assert_eq!(
        (api.status_code, api.request_id.as_deref()),
        (502, Some("req_7"))
    );
    let c = items.next().unwrap().unwrap();
    assert!(
        matches!(c.result, Err(Error::Decode { .. })),
        "{:?}",
        c.result
    );
    assert!(matches!(
        items.next().unwrap(),
        Err(Error::LimitExceeded { limit: 4096, .. })
    ));
    let after = items.next().unwrap().unwrap();
    assert_eq!(after.custom_id, "a", "the line after the long one is read");
    assert!(items.next().is_none());
    assert_eq!(results.unreported(), Some(2), "6 requests, 4 outcomes read");
}

#[test]
fn the_blocking_client_runs_a_job_too() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(MockServer::start());
    let base_url = server.base_url().to_owned();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let client = tensoras::blocking::Tensoras::builder()
            .api_key(API_KEY)
            .base_url(&base_url)
            .build()
            .unwrap();
        let statuses = Arc::new(Mutex::new(Vec::new()));
        let seen = statuses.clone();
        let job = BatchJob::from_requests(
            ["one", "two"].map(|t| EmbeddingRequest::new("bge-large-en-v1.5", t)),
        );
        let mut results = client
            .batches()
            .run(
                job,
                quick().on_progress(move |b| seen.lock().unwrap().push(b.status.clone())),
            )
            .unwrap();
        let outcomes: Vec<_> = results.by_ref().map(|o| o.unwrap()).collect();
        let ids: Vec<String> = outcomes.iter().map(|o| o.custom_id.clone()).collect();
        let all_ok = outcomes.iter().all(|o| o.result.is_ok());
        let unreported = results.unreported();
        results.delete_files().unwrap();
        let last = statuses.lock().unwrap().last().cloned();
        let _ = tx.send((ids, all_ok, unreported, last));
    });
    let (ids, all_ok, unreported, last) = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the blocking run finishes");
    assert_eq!(ids, ["request-1", "request-2"]);
    assert!(all_ok);
    assert_eq!(unreported, Some(0));
    assert_eq!(
        last,
        Some(BatchStatus::Completed),
        "the progress callback saw the batch finish"
    );
}
