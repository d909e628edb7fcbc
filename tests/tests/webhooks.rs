//! Signed webhooks end to end: the local server delivers signed events to a
//! receiver on 127.0.0.1 when an ingestion job or a batch completes, retries
//! a failing receiver with backoff, and the SDK's verifier accepts the
//! deliveries and refuses tampered, wrongly keyed, stale and unsigned ones.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tensoras::prelude::*;
use tensoras::webhooks::{self, Verifier, WebhookError};
use tensoras_mock::MockServer;

/// A receiver that records every delivery and answers 500 to the first
/// `fail_first` of them.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    _task: tokio::task::JoinHandle<()>,
}

async fn receiver(fail_first: u32) -> Receiver {
    let received: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
    let seen = Arc::new(AtomicU32::new(0));
    let store = received.clone();
    let app = axum::Router::new().route(
        "/hooks",
        post(move |headers: HeaderMap, body: Bytes| {
            let (store, seen) = (store.clone(), seen.clone());
            async move {
                store.lock().unwrap().push((headers, body));
                if seen.fetch_add(1, Ordering::Relaxed) < fail_first {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver {
        url,
        received,
        _task: task,
    }
}

/// Waits (at most 10 s) until `n` deliveries arrived.
async fn wait_for(receiver: &Receiver, n: usize) -> Vec<(HeaderMap, Bytes)> {
    for _ in 0..200 {
        let got = receiver.received.lock().unwrap().clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{n} deliveries did not arrive in 10 s");
}

/// The server's delivery log once it holds `n` attempts (bounded: 10 s).
async fn wait_for_log(server: &MockServer, n: usize) -> Vec<tensoras_mock::deliveries::Delivery> {
    for _ in 0..200 {
        let log = server.deliveries();
        if log.len() >= n {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not log {n} delivery attempts in 10 s");
}

const SECRET: &str = "whsec_receiver_secret";

#[tokio::test]
async fn an_ingestion_delivery_verifies_and_a_tampered_one_does_not() {
    let server = MockServer::start().await;
    let client = server.client();
    let receiver = receiver(0).await;
    client
        .webhooks()
        .create(
            WebhookCreateRequest::new(&receiver.url, [WebhookEventType::IngestionCompleted])
                .secret(SECRET),
        )
        .await
        .unwrap();
    let kb = client
        .knowledge_bases()
        .create(KnowledgeBaseCreateRequest::new("docs"))
        .await
        .unwrap();
    client
        .knowledge_bases()
        .data_sources()
        .create(
            &kb.id,
            DataSourceCreateRequest::new(WebCrawlConfig::new(["https://docs.example.com"])),
        )
        .await
        .unwrap();
    let (headers, body) = wait_for(&receiver, 1).await.remove(0);

    let event = webhooks::verify(&body, &headers, SECRET).unwrap();
    assert_eq!(event.object, "event");
    let WebhookPayload::IngestionCompleted(job) = &event.payload else {
        panic!("expected ingestion.completed, got {:?}", event.payload)
    };
    assert_eq!(job.knowledge_base_id, kb.id);
    assert_eq!(job.status, IngestionJobStatus::Completed);
    let listed = client
        .knowledge_bases()
        .ingestion_jobs()
        .list(ListIngestionJobs::new(kb.id.as_str()))
        .await
        .unwrap();
    assert_eq!(
        listed.data[0].id, job.id,
        "the delivery is about the job the API lists"
    );

    let refused = |result: tensoras::Result<WebhookEvent>| match result {
        Err(Error::Webhook(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    };
    // Tampered: one byte of the body changed.
    let tampered = String::from_utf8_lossy(&body).replace(&job.id, "job_forged");
    assert_eq!(
        refused(webhooks::verify(tampered.as_bytes(), &headers, SECRET)),
        WebhookError::SignatureMismatch
    );
    // The wrong secret.
    assert_eq!(
        refused(webhooks::verify(&body, &headers, "whsec_someone_else")),
        WebhookError::SignatureMismatch
    );
    // Replayed an hour later.
    let later = Verifier::new(SECRET).at(SystemTime::now() + Duration::from_secs(3600));
    assert!(matches!(
        refused(later.verify(&body, &headers)),
        WebhookError::Stale { .. }
    ));
    // No signature at all.
    let mut unsigned = headers.clone();
    unsigned.remove(webhooks::SIGNATURE_HEADER);
    assert_eq!(
        refused(webhooks::verify(&body, &unsigned, SECRET)),
        WebhookError::MissingSignature
    );
    // A signature header that is not one.
    let mut garbled = headers.clone();
    garbled.insert(webhooks::SIGNATURE_HEADER, "t=now,v1=zz".parse().unwrap());
    assert!(matches!(
        refused(webhooks::verify(&body, &garbled, SECRET)),
        WebhookError::MalformedSignature(_)
    ));
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_event_again_with_backoff() {
    let server = MockServer::start().await;
    let client = server.client();
    let receiver = receiver(2).await;
    // No secret given: the server generates one and shows it once.
    let hook = client
        .webhooks()
        .create(WebhookCreateRequest::new(
            &receiver.url,
            [WebhookEventType::BatchCompleted],
        ))
        .await
        .unwrap();
    let secret = hook
        .secret
        .expect("a generated secret in the create response");
    assert!(client
        .webhooks()
        .retrieve(&hook.id)
        .await
        .unwrap()
        .secret
        .is_none());

    let file = client
        .files()
        .create(FileSource::bytes("batch.jsonl", "{}\n"), FilePurpose::Batch)
        .await
        .unwrap();
    let batch = client
        .batches()
        .create(BatchCreateRequest::new(
            file.id.as_str(),
            BatchEndpoint::ChatCompletions,
        ))
        .await
        .unwrap();
    let deliveries = wait_for(&receiver, 3).await;
    for (headers, body) in &deliveries {
        let event = webhooks::verify(body, headers, secret.expose()).unwrap();
        let WebhookPayload::BatchCompleted(done) = &event.payload else {
            panic!("expected batch.completed, got {:?}", event.payload)
        };
        assert_eq!(done.id, batch.id);
        assert_eq!(done.status, BatchStatus::Completed);
    }
    // The receiver records a delivery before it answers and the server logs
    // the attempt after the answer: wait for the log to hold the third.
    let log = wait_for_log(&server, 3).await;
    let attempts: Vec<_> = log.iter().map(|d| (d.attempt, d.outcome.clone())).collect();
    assert_eq!(attempts, [(1, Ok(500)), (2, Ok(500)), (3, Ok(204))]);
    assert!(
        log.iter().all(|d| d.event_id == log[0].event_id),
        "one event, delivered again"
    );
    assert_eq!(
        client.batches().retrieve(&batch.id).await.unwrap().status,
        BatchStatus::Completed
    );
}

#[test]
fn the_servers_signer_and_the_sdks_agree() {
    // The local server signs with its own code; the SDK's `sign` is for tests.
    let body = br#"{"id":"evt_1"}"#;
    let server_side = tensoras_mock::deliveries::signature(body, SECRET, 1_700_000_000);
    assert_eq!(server_side, webhooks::sign(body, SECRET, 1_700_000_000));
    // Both match the answer computed outside Rust (Python 3.11:
    // hmac.new(SECRET, b"1700000000." + body, hashlib.sha256).hexdigest()).
    assert_eq!(
        server_side,
        "t=1700000000,v1=8650579d22412ac6495f0c7f95518d7707381f28ee38b6399cc8ccc4c078788c"
    );
}
