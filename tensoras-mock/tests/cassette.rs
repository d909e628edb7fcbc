//! Cassettes: recorded through the server as a proxy with the local server
//! itself as the upstream, then replayed.

mod support;
use std::path::PathBuf;
use std::time::Duration;
use support::{ask, finish};
use tensoras::prelude::*;
use tensoras_mock::cassette::Cassette;
use tensoras_mock::MockServer;

/// A fresh folder for one test's cassette, removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let path = std::env::temp_dir().join(format!(
            "tensoras-mock-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Folder(path)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An upstream server, a recorder in front of it writing `cassette`, and a
/// client of the recorder with the upstream's key.
async fn recording(cassette: &std::path::Path) -> (MockServer, MockServer, tensoras::Tensoras) {
    let upstream = MockServer::start().await;
    let recorder = MockServer::builder()
        .record(upstream.base_url(), cassette)
        .start()
        .await;
    let live = tensoras::Tensoras::builder()
        .api_key(upstream.api_key())
        .base_url(recorder.base_url())
        .build()
        .unwrap();
    (upstream, recorder, live)
}

#[tokio::test]
async fn records_without_the_key_and_replays_whole_and_streamed() {
    let folder = Folder::new("record");
    let cassette = folder.0.join("chat.yaml");
    // The upstream takes another key than the recorder's own default.
    let upstream = MockServer::builder()
        .api_key("tns_upstream_secret_1")
        .start()
        .await;
    let recorder = MockServer::builder()
        .record(upstream.base_url(), &cassette)
        .start()
        .await;
    let live = tensoras::Tensoras::builder()
        .api_key("tns_upstream_secret_1")
        .base_url(recorder.base_url())
        .build()
        .unwrap();
    let whole = live
        .chat()
        .completions()
        .create(ask("First"))
        .await
        .unwrap();
    let streamed = finish(
        live.chat()
            .completions()
            .create_stream(ask("Second"))
            .await
            .unwrap(),
    )
    .await;
    let models = live.models().list().await.unwrap();
    // A file that is not UTF-8: its content is recorded in base64, whole.
    let binary: Vec<u8> = vec![0xff, 0x00, 0xfe, b'{', 0x80, 0x81];
    let file = live
        .files()
        .create(
            tensoras::FileSource::bytes("blob.bin", binary.clone()),
            FilePurpose::Batch,
        )
        .await
        .unwrap();
    let downloaded = live
        .files()
        .content(&file.id)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(downloaded.as_ref(), binary.as_slice());
    drop(recorder);

    let text = std::fs::read_to_string(&cassette).unwrap();
    assert!(!text.contains("tns_upstream_secret_1"), "{text}");
    assert!(!text.to_lowercase().contains("authorization"), "{text}");
    let recorded = Cassette::load(&cassette).unwrap();
    assert_eq!(recorded.interactions.len(), 5);
    assert!(recorded.interactions[4].response.base64.is_some());
    assert_eq!(recorded.interactions[0].request.path, "/chat/completions");
    assert_eq!(recorded.interactions[0].response.status, 200);
    let events = recorded.interactions[1].response.events.as_ref().unwrap();
    assert_eq!(events.last().unwrap().data, "[DONE]");
    // The upstream saw the caller's key, passed on.
    assert_eq!(upstream.requests().len(), 5);

    let replay = MockServer::builder().replay(&cassette).start().await;
    let client = replay.client();
    let again = client
        .chat()
        .completions()
        .create(ask("First"))
        .await
        .unwrap();
    assert_eq!(again.text(), whole.text());
    assert_eq!(again.id, whole.id);
    let again = finish(
        client
            .chat()
            .completions()
            .create_stream(ask("Second"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(again, streamed);
    assert_eq!(
        client.models().list().await.unwrap().data.len(),
        models.data.len()
    );
}

#[tokio::test]
async fn secrets_in_bodies_and_queries_are_not_written_and_replay_still_matches() {
    let folder = Folder::new("secrets");
    let cassette = folder.0.join("s3.yaml");
    let (_upstream, recorder, live) = recording(&cassette).await;
    let kb = live
        .knowledge_bases()
        .create(KnowledgeBaseCreateRequest::new("docs"))
        .await
        .unwrap();
    let s3 = || {
        DataSourceCreateRequest::new(
            S3Config::new("bucket").secret_access_key("AKIA_SENTINEL_SECRET"),
        )
    };
    let source = live
        .knowledge_bases()
        .data_sources()
        .create(&kb.id, s3())
        .await
        .unwrap();
    drop(recorder);
    let text = std::fs::read_to_string(&cassette).unwrap();
    assert!(!text.contains("AKIA_SENTINEL_SECRET"), "{text}");
    assert!(text.contains("<redacted>"), "{text}");
    assert_eq!(
        tensoras_mock::cassette::redact_query("/files?limit=2&api_key=k1&after=x"),
        "/files?limit=2&api_key=<redacted>&after=x"
    );

    let replay = MockServer::builder().replay(&cassette).start().await;
    let client = replay.client();
    let kb_again = client
        .knowledge_bases()
        .create(KnowledgeBaseCreateRequest::new("docs"))
        .await
        .unwrap();
    assert_eq!(kb_again.id, kb.id);
    let again = client
        .knowledge_bases()
        .data_sources()
        .create(&kb.id, s3())
        .await
        .unwrap();
    assert_eq!(again.id, source.id);
}

#[tokio::test]
async fn a_request_the_cassette_lacks_is_a_404_and_fails_the_test() {
    let folder = Folder::new("miss");
    let cassette = folder.0.join("empty.yaml");
    Cassette::default().save(&cassette).unwrap();
    let replay = MockServer::builder().replay(&cassette).start().await;
    let err = replay.client().models().list().await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.as_api().unwrap().code.as_deref(), Some("cassette_miss"));
    let violations = replay.take_violations();
    assert_eq!(violations.len(), 1, "not retried: {violations:?}");
    assert!(violations[0].contains("GET /v1/models"), "{violations:?}");
}

#[tokio::test]
async fn replay_keeps_recorded_pauses_when_asked() {
    let folder = Folder::new("timing");
    let cassette = folder.0.join("slow.yaml");
    std::fs::write(
        &cassette,
        r#"interactions:
- request:
    method: POST
    path: /chat/completions
    body: {"model": "llama-3.3-70b", "messages": [{"role": "user", "content": "Hi"}], "stream": true, "stream_options": {"include_usage": true}}
  response:
    status: 200
    content_type: text/event-stream
    events:
    - after_ms: 0
      data: '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"slow"},"finish_reason":null}]}'
    - after_ms: 400
      data: '[DONE]'
"#,
    )
    .unwrap();
    // With timing, the recorded 400 ms pass (a lower bound holds on any
    // machine); without, a pause recorded as 60 s does not (30 s is far
    // above what a loaded machine needs for two events).
    let slow = std::fs::read_to_string(&cassette).unwrap();
    std::fs::write(&cassette, slow.replace("after_ms: 400", "after_ms: 60000")).unwrap();
    assert!(replay_stream(&cassette, false).await < Duration::from_secs(30));
    std::fs::write(&cassette, slow).unwrap();
    assert!(replay_stream(&cassette, true).await >= Duration::from_millis(400));
}

/// Replays the cassette's one stream (timing kept or not), checks its text
/// and says how long it took.
async fn replay_stream(cassette: &std::path::Path, timing: bool) -> Duration {
    let replay = MockServer::builder()
        .replay(cassette)
        .replay_timing(timing)
        .start()
        .await;
    let started = std::time::Instant::now();
    let stream = replay
        .client()
        .chat()
        .completions()
        .create_stream(ask("Hi"))
        .await
        .unwrap();
    assert_eq!(finish(stream).await.text(), "slow");
    started.elapsed()
}

#[test]
fn a_file_that_is_not_a_cassette_fails_the_start() {
    let folder = Folder::new("bad");
    let path = folder.0.join("bad.yaml");
    std::fs::write(&path, "interactions: 12\n").unwrap();
    let err = MockServer::builder()
        .replay(&path)
        .try_start_blocking()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("not a cassette"), "{err}");
}

#[tokio::test]
async fn a_stream_the_client_leaves_early_is_kept_and_marked_truncated() {
    use futures::StreamExt as _;
    let folder = Folder::new("early");
    let cassette = folder.0.join("early.yaml");
    let (_upstream, recorder, live) = recording(&cassette).await;
    let mut stream = live
        .chat()
        .completions()
        .create_stream(ask("one two three four five six"))
        .await
        .unwrap();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    // The next exchange is recorded after it, whenever the hang-up lands.
    live.models().list().await.unwrap();
    // The hang-up's save runs on its own: wait for it (at most 60 s).
    let mut recorded = Cassette::default();
    for _ in 0..600 {
        recorded = Cassette::load(&cassette).unwrap_or_default();
        if recorded.interactions.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(recorder);
    let stream_exchange = recorded
        .interactions
        .iter()
        .find(|x| x.response.events.is_some())
        .expect("the stream was kept");
    assert!(stream_exchange.response.truncated);
    assert!(!stream_exchange.response.events.as_ref().unwrap().is_empty());
}
