//! Every operation of the spec through the ergonomic crate, async and
//! blocking, against the schema-validating local server: the request each
//! one sends (method, path, body fields) and the response it decodes.
//! Also the conformance machinery itself, connection resets, redirects and
//! raw-response capture.

use serde_json::{json, Value};
use std::collections::BTreeSet;
use tensoras::prelude::*;
use tensoras_mock::conformance::Spec;
use tensoras_mock::{MockServer, Recorded, API_KEY};
use tensoras_tests::{faults, tour};

/// The recorded requests of one operation.
fn of<'a>(requests: &'a [Recorded], operation: &str) -> Vec<&'a Recorded> {
    requests
        .iter()
        .filter(|r| {
            let path = r.uri.split('?').next().unwrap_or_default();
            Spec::get()
                .find(&r.method, path)
                .is_some_and(|op| op.id == operation)
        })
        .collect()
}

fn body(r: &Recorded) -> &Value {
    r.body.as_ref().unwrap_or(&Value::Null)
}

#[tokio::test]
async fn every_operation_sends_the_documented_request() {
    let server = MockServer::start().await;
    let called = tour::every_operation(&server.client())
        .await
        .unwrap_or_else(|f| panic!("{f}"));
    let all: BTreeSet<&str> = Spec::get().operation_ids().collect();
    let called: BTreeSet<&str> = called.into_iter().collect();
    assert_eq!(called, all, "every operation of the spec is exercised");

    let requests = server.requests();
    for r in &requests {
        assert_eq!(
            r.headers["authorization"],
            format!("Bearer {API_KEY}").as_str()
        );
        let agent = r.headers["user-agent"].to_str().unwrap();
        assert!(agent.starts_with("tensoras-rust/"), "{agent}");
    }

    let chat = of(&requests, "createChatCompletion");
    assert_eq!(chat.len(), 2);
    assert_eq!(body(chat[0])["model"], "llama-3.3-70b");
    assert_eq!(
        body(chat[0])["messages"],
        json!([{"role": "user", "content": "What is the capital of France?"}])
    );
    assert!(body(chat[0]).get("stream").is_none());
    assert_eq!(body(chat[1])["stream"], true);
    assert_eq!(chat[1].headers["accept"], "text/event-stream");

    let completion = of(&requests, "createCompletion");
    assert_eq!(
        body(completion[0]),
        &json!({"model": "llama-3.3-70b", "prompt": "Once upon"})
    );
    let embedding = of(&requests, "createEmbedding");
    assert_eq!(
        body(embedding[0]),
        &json!({"model": "bge-large-en-v1.5", "input": ["hello", "world"]})
    );
    let rerank = of(&requests, "createRerank");
    assert_eq!(
        body(rerank[0]),
        &json!({"model": "bge-reranker-v2-m3", "query": "deep learning",
                "documents": ["a sunny day", "deep learning rocks"], "top_n": 1})
    );
    let upload = of(&requests, "createFile");
    assert!(upload[0].headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("multipart/form-data; boundary="));
    assert!(of(&requests, "listFiles")[0]
        .uri
        .ends_with("/v1/files?limit=10"));

    let batch = body(of(&requests, "createBatch")[0]);
    assert_eq!(batch["completion_window"], "24h");
    assert_eq!(batch["endpoint"], "/v1/chat/completions");
    assert!(batch["input_file_id"]
        .as_str()
        .unwrap()
        .starts_with("file-"));
    let cancel = of(&requests, "cancelBatch")[0];
    assert_eq!(cancel.method, "POST");
    assert!(cancel.uri.ends_with("/cancel"));
    assert!(
        cancel.body.is_none() && cancel.headers.get("content-type").is_none(),
        "a cancel has no body"
    );

    assert_eq!(
        body(of(&requests, "createKnowledgeBase")[0]),
        &json!({"name": "docs", "description": "Product documentation"})
    );
    let update = of(&requests, "updateKnowledgeBase")[0];
    assert_eq!(update.method, "PATCH");
    assert_eq!(
        body(update),
        &json!({"description": "Updated"}),
        "only what was set"
    );
    assert_eq!(
        body(of(&requests, "createDataSource")[0])["type"],
        "file_upload"
    );
    assert_eq!(
        body(of(&requests, "retrieveChunks")[0]),
        &json!({"query": "batch", "top_k": 3})
    );
    assert_eq!(
        body(of(&requests, "createResponse")[0]),
        &json!({"model": "llama-3.3-70b", "input": "What is the capital of France?"})
    );
    assert_eq!(
        body(of(&requests, "createWebhook")[0]),
        &json!({"url": "https://example.com/hooks", "events": ["batch.completed"]})
    );
    let hook_update = of(&requests, "updateWebhook")[0];
    assert_eq!(hook_update.method, "PATCH");
    assert_eq!(body(hook_update), &json!({"status": "disabled"}));
    for delete in [
        "deleteWebhook",
        "deleteDocument",
        "deleteDataSource",
        "deleteKnowledgeBase",
        "deleteFile",
    ] {
        let r = of(&requests, delete);
        assert_eq!((r.len(), r[0].method.as_str()), (1, "DELETE"), "{delete}");
    }
    // Nothing the server answered broke the spec (also checked when it drops).
    assert_eq!(server.violations(), Vec::<String>::new());
}

#[test]
fn the_blocking_client_sends_exactly_what_the_async_one_sends() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (a, b) = runtime.block_on(async { (MockServer::start().await, MockServer::start().await) });
    let async_ops = runtime
        .block_on(tour::every_operation(&a.client()))
        .unwrap_or_else(|f| panic!("async: {f}"));
    let blocking = tensoras::blocking::Tensoras::from_async(b.client()).unwrap();
    let blocking_ops =
        tour::every_operation_blocking(&blocking).unwrap_or_else(|f| panic!("blocking: {f}"));
    assert_eq!(async_ops, blocking_ops);
    let shape = |s: &MockServer| {
        s.requests()
            .into_iter()
            .map(|r| (r.method, r.uri, r.body))
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&a), shape(&b));
}

#[tokio::test]
async fn the_server_rejects_bodies_that_break_the_schema_with_details() {
    let server = MockServer::start().await;
    let http = reqwest::Client::new();
    let post = |path: &str, body: reqwest::Body, content_type: &str| {
        http.post(format!("{}{path}", server.base_url()))
            .bearer_auth(API_KEY)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let wrong = json!({"model": "m", "messages": [{"role": "robot", "content": "hi"}],
                       "temperature": "hot", "n": 0});
    let response = post(
        "/chat/completions",
        wrong.to_string().into(),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 422);
    let error: Value = response.json().await.unwrap();
    let paths: BTreeSet<&str> = error["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from(["/messages/0/role", "/n", "/temperature"])
    );
    assert_eq!(error["error"]["type"], "invalid_request_error");

    let not_json = post("/embeddings", "{model".into(), "application/json")
        .await
        .unwrap();
    assert_eq!(not_json.status(), 422);
    let empty = post("/rerank", "".into(), "application/json")
        .await
        .unwrap();
    assert_eq!(empty.status(), 422);
    let ok = post(
        "/embeddings",
        json!({"model": "m", "input": "x"}).to_string().into(),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    // Sent on purpose: taken, so the server's drop does not fail the test.
    assert_eq!(server.take_rejected().len(), 3);
}

#[tokio::test]
async fn a_response_that_breaks_the_schema_is_caught() {
    let server = MockServer::start().await;
    let client = server
        .client()
        .with_options(faults(&[("x-mock-nonconformant", "1")]));
    // The client sees a body it cannot decode: a typed error, not a panic.
    let error = client.models().list().await.unwrap_err();
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    let found = server.take_violations();
    assert_eq!(found.len(), 2, "{found:?}"); // `object` is not a string, `data` is missing
    assert!(found.iter().all(|v| v.starts_with("listModels 200")));
}

#[tokio::test]
async fn connection_resets_are_retried_then_reported() {
    let server = MockServer::start().await;
    let flaky = server
        .client()
        .with_options(faults(&[("x-mock-reset", "flaky/2")]).max_retries(3));
    let models = flaky.models().with_raw_response().list().await.unwrap();
    assert_eq!(models.data.data.len(), 3);
    assert_eq!(models.attempts, 3, "two resets, then success");
    assert_eq!(
        server.requests().len(),
        1,
        "reset requests never reach a handler"
    );

    let dead = server
        .client()
        .with_options(faults(&[("x-mock-reset", "always")]).max_retries(1));
    let before = server.connections();
    let error = dead.models().list().await.unwrap_err();
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(
        server.connections() - before,
        2,
        "one attempt and one retry, each on a fresh connection"
    );
}

#[tokio::test]
async fn authorization_is_not_forwarded_to_another_host_on_redirect() {
    let api = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    let target = format!("{}/models", elsewhere.base_url());
    let client = api
        .client()
        .with_options(faults(&[("x-mock-redirect", &target)]).max_retries(0));
    let error = client.models().list().await.unwrap_err();
    // The other host saw the request without the key and refused it.
    assert!(matches!(error, Error::Authentication(_)), "{error:?}");
    let seen = elsewhere.requests();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].headers.get("authorization").is_none());
    assert_eq!(
        api.requests()[0].headers["authorization"],
        format!("Bearer {API_KEY}").as_str()
    );
}

#[tokio::test]
async fn any_call_exposes_status_headers_and_rate_limits() {
    let server = MockServer::start().await;
    let client = server.client();
    let info = client
        .models()
        .with_raw_response()
        .retrieve("llama-3.3-70b")
        .await
        .unwrap();
    assert_eq!((info.status, info.attempts), (200, 1));
    assert_eq!(info.data.id, "llama-3.3-70b");
    assert_eq!(info.request_id(), Some("req_000001"));
    let limits = info.rate_limit();
    assert_eq!((limits.limit, limits.remaining), (Some(600), Some(599)));

    // The same through the low-level call, and after retries.
    let recovering = client.with_options(
        faults(&[
            ("x-mock-status", "503"),
            ("x-mock-retry-after-ms", "1"),
            ("x-mock-fail-times", "2"),
            ("x-mock-key", "raw"),
        ])
        .max_retries(2),
    );
    let info = recovering
        .call_raw(tensoras::operations::ListModels::new())
        .await
        .unwrap();
    assert_eq!((info.status, info.attempts), (200, 3));
    // Errors carry their own request id and rate limits.
    let failing = client.with_options(
        faults(&[("x-mock-status", "503"), ("x-mock-retry-after-ms", "1")]).max_retries(0),
    );
    let error = failing.models().list().await.unwrap_err();
    assert!(error.request_id().is_some_and(|id| id.starts_with("req_")));
}
