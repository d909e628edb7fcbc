//! The SDK against Stoplight Prism serving `openapi/tensoras.yaml`: an
//! independent check (not our server, not our validator) that every request
//! the SDK sends conforms to the spec, and that the SDK decodes the spec's own
//! examples.
//!
//! Prism comes from `.ci/package.json` (`npm ci --prefix .ci`). Without it the
//! test says so and passes locally; under `CI` a missing Prism fails it.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tensoras::prelude::*;
use tensoras_tests::tour;

struct Prism {
    child: Child,
    base_url: String,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the workspace")
        .to_path_buf()
}

/// The spec as Prism needs it: Prism mocks the paths as written and ignores
/// the server URL's `/v1`, which the SDK always sends, so the paths are
/// rebased under `/v1`. Nothing else changes.
fn spec_for_prism(dir: &std::path::Path) -> PathBuf {
    let mut spec: serde_json::Value =
        serde_norway::from_str(tensoras_mock::conformance::SPEC_YAML).expect("spec parses");
    let paths = spec["paths"].as_object().expect("paths").clone();
    spec["paths"] = paths
        .into_iter()
        .map(|(path, item)| (format!("/v1{path}"), item))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let file = dir.join("tensoras-prism.json");
    std::fs::write(&file, serde_json::to_vec(&spec).expect("json")).expect("write spec");
    file
}

fn start_prism() -> Option<Prism> {
    let binary = workspace_root().join(".ci/node_modules/.bin/prism");
    if !binary.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Prism is missing: run `npm ci --prefix .ci`"
        );
        eprintln!("skipped: Prism is not installed (npm ci --prefix .ci)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let spec = spec_for_prism(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")));
    let child = Command::new(binary)
        .args(["mock", "--host", "127.0.0.1", "--port", &port.to_string()])
        .arg(spec)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prism starts");
    let prism = Prism {
        child,
        base_url: format!("http://127.0.0.1:{port}/v1"),
    };
    // Node takes a few seconds to start; bounded wait.
    let deadline = Instant::now() + Duration::from_secs(90);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "Prism did not start in 90 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    Some(prism)
}

fn client(prism: &Prism) -> Tensoras {
    Tensoras::builder()
        .api_key("tns_prism")
        .base_url(&prism.base_url)
        .max_retries(0)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sdk_request_conforms_according_to_prism() {
    let Some(prism) = start_prism() else { return };
    let client = client(&prism);
    let called = tour::every_operation(&client)
        .await
        .unwrap_or_else(|failed| panic!("Prism rejected or the SDK failed on {failed}"));
    let spec_ops: Vec<&str> = tensoras_mock::conformance::Spec::get()
        .operation_ids()
        .collect();
    for op in &spec_ops {
        assert!(called.contains(op), "{op} was not exercised against Prism");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_request_body_is_rejected_by_prism_and_the_local_server() {
    let Some(prism) = start_prism() else { return };
    let local = tensoras_mock::MockServer::start().await;
    // `temperature` must be a number: the caller forces a string in through
    // the extra-body escape hatch, which bypasses the typed request.
    let wrong = RequestOptions::new().body_field("temperature", serde_json::json!("hot"));
    let request = ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("hi")]);
    for (who, client) in [("prism", client(&prism)), ("local", local.client())] {
        let error = client
            .with_options(wrong.clone())
            .chat()
            .completions()
            .create(request.clone())
            .await
            .expect_err(who);
        let Error::UnprocessableEntity(api) = &error else {
            panic!("{who}: expected 422, got {error:?}");
        };
        assert_eq!(api.status_code, 422, "{who}");
        if who == "local" {
            assert_eq!(api.param.as_deref(), Some("temperature"));
            assert_eq!(api.code.as_deref(), Some("validation_error"));
            assert!(api.message.contains("/temperature"), "{}", api.message);
        }
        // The same request without the wrong field is accepted by both.
        client
            .chat()
            .completions()
            .create(request.clone())
            .await
            .unwrap_or_else(|e| panic!("{who}: {e}"));
    }
    // Sent on purpose: taken, so the local server's drop does not fail the test.
    assert_eq!(local.take_rejected().len(), 1);
}
