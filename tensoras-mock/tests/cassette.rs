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
    for (timing, at_least) in [(true, Duration::from_millis(400)), (false, Duration::ZERO)] {
        let replay = MockServer::builder()
            .replay(&cassette)
            .replay_timing(timing)
            .start()
            .await;
        let started = std::time::Instant::now();
        let text = finish(
            replay
                .client()
                .chat()
                .completions()
                .create_stream(ask("Hi"))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(text.text(), "slow");
        // A lower bound only: a loaded machine is slower, never faster.
        assert!(started.elapsed() >= at_least);
    }
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
