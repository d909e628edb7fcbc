//! The `tensoras-mock-server` program scripted over its control endpoint,
//! as a Python or TypeScript test would drive it (plain HTTP and JSON).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tensoras::prelude::*;

/// The running program, killed when dropped.
struct Program {
    child: Child,
    base_url: String,
    key: String,
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Program {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tensoras-mock-server"))
        .args(["127.0.0.1:0", "--api-key", "tns_from_python"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let mut program = Program {
        child,
        base_url: String::new(),
        key: String::new(),
    };
    let banner = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the banner within a minute");
    program.base_url = banner
        .split_once(" on ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .expect("a base URL in the banner")
        .to_owned();
    program.key = banner
        .split_once("API key ")
        .map(|(_, rest)| rest.trim().trim_end_matches(')').to_owned())
        .expect("a key in the banner");
    program
}

#[tokio::test]
async fn scripts_faults_received_and_verify_over_http() {
    let program = start();
    assert_eq!(program.key, "tns_from_python");
    let control = program.base_url.replace("/v1", "/__mock");
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| http.post(format!("{control}{path}")).json(&body).send();

    let mounted = post(
        "/mocks",
        json!({"operation": "createChatCompletion", "when": {"contains": "capital"},
               "reply": {"text": "Paris."}, "expect": 1, "name": "capital"}),
    )
    .await
    .unwrap();
    assert_eq!(mounted.status(), 201);
    let unknown = post(
        "/mocks",
        json!({"operation": "makeCoffee", "reply": {"text": "x"}}),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status(), 400);
    assert!(unknown.text().await.unwrap().contains("makeCoffee"));
    let armed = post(
        "/faults",
        json!({"kind": "status", "status": 503, "times": 1, "operation": "listModels"}),
    )
    .await
    .unwrap();
    assert_eq!(armed.status(), 201);

    let verify = http.get(format!("{control}/verify")).send().await.unwrap();
    assert_eq!(verify.status(), 409);
    let report: Value = verify.json().await.unwrap();
    assert!(report["report"].as_str().unwrap().contains("capital"));

    let client = tensoras::Tensoras::builder()
        .api_key(&program.key)
        .base_url(&program.base_url)
        .max_retries(0)
        .build()
        .unwrap();
    let answer = client
        .chat()
        .completions()
        .create(ChatCompletionRequest::new(
            "llama-3.3-70b",
            [ChatMessage::user("The capital of France?")],
        ))
        .await
        .unwrap();
    assert_eq!(answer.text(), "Paris.");
    assert_eq!(
        client.models().list().await.unwrap_err().status(),
        Some(503)
    );
    client.models().list().await.unwrap();

    let verify = http.get(format!("{control}/verify")).send().await.unwrap();
    assert_eq!(verify.status(), 200);
    let received: Value = http
        .get(format!("{control}/requests?operation=createChatCompletion"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let requests = received["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0]["body"]["messages"][0]["content"],
        "The capital of France?"
    );
    assert_eq!(requests[0]["matched"], 1);
    assert!(requests[0]["headers"].get("authorization").is_none());

    let reset = post("/reset", json!({})).await.unwrap();
    assert_eq!(reset.status(), 204);
    let after: Value = http
        .get(format!("{control}/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["requests"], json!([]));
}

#[tokio::test]
async fn bad_control_input_is_a_400_naming_the_field() {
    let server = tensoras_mock::MockServer::start().await;
    let control = server.base_url().replace("/v1", "/__mock");
    let http = reqwest::Client::new();
    for (path, body, names) in [
        ("/faults", json!({"kind": "explode"}), "explode"),
        ("/faults", json!({"kind": "slow_tokens", "ms": 1e12}), "ms"),
        ("/faults", json!({"kind": "cut_stream"}), "after"),
        ("/mocks", json!({"reply": {"text": "x"}}), "operation"),
        (
            "/mocks",
            json!({"operation": "listModels", "reply": {}}),
            "reply must have",
        ),
        (
            "/mocks",
            json!({"operation": "listModels", "reply": {"status": 70000, "body": {}}}),
            "status",
        ),
    ] {
        let response = http
            .post(format!("{control}{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        // 422: the JSON does not have the endpoint's shape (axum's own check).
        assert!(status == 400 || status == 422, "{body}: {status} {text}");
        assert!(text.contains(names), "{body}: {text}");
    }
}
