//! A webhook receiver: every delivery is verified (`tensoras::webhooks`)
//! before its event is acted on; a forged or replayed one gets a 400.
//!
//! Run as is, it listens on 127.0.0.1, registers itself for ingestion and
//! batch events, starts an ingestion, handles the delivery that follows and
//! exits. Against the real API the receiver must be reachable from the
//! internet: set `TENSORAS_WEBHOOK_URL` to its public URL (a tunnel to
//! `PORT`, say) and it waits for deliveries instead.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... TENSORAS_WEBHOOK_URL=https://hooks.example.com/hooks PORT=8080 \
//!     cargo run -p tensoras --example webhook_receiver
//! ```

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::time::Duration;
use tensoras::prelude::*;
use tensoras::webhooks;

const SECRET: &str = "whsec_example_receiver";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (events, mut arrived) = tokio::sync::mpsc::channel::<WebhookEvent>(16);
    let app = axum::Router::new().route(
        "/hooks",
        post(move |headers: HeaderMap, body: Bytes| {
            let events = events.clone();
            async move {
                match webhooks::verify(&body, &headers, SECRET) {
                    Ok(event) => {
                        let _ = events.send(event).await;
                        StatusCode::NO_CONTENT
                    }
                    Err(refused) => {
                        eprintln!("refused a delivery: {refused}");
                        StatusCode::BAD_REQUEST
                    }
                }
            }
        }),
    );
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let local = format!("http://{}/hooks", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = Tensoras::new()?;
    let public = std::env::var("TENSORAS_WEBHOOK_URL").ok();
    let url = public.clone().unwrap_or(local);
    let hook = client
        .webhooks()
        .create(
            WebhookCreateRequest::new(
                &url,
                [
                    WebhookEventType::IngestionCompleted,
                    WebhookEventType::BatchCompleted,
                ],
            )
            .secret(SECRET),
        )
        .await?;
    println!("webhook {} delivers to {url}", hook.id);

    if public.is_none() {
        // Something to be told about: an ingestion.
        let kb = client
            .knowledge_bases()
            .create(KnowledgeBaseCreateRequest::new("webhook-demo"))
            .await?;
        client
            .knowledge_bases()
            .data_sources()
            .create_from_file(
                &kb.id,
                FileSource::bytes("notes.md", "Deliveries are signed."),
            )
            .await?;
    }

    let wait = Duration::from_secs(if public.is_some() { 300 } else { 30 });
    match tokio::time::timeout(wait, arrived.recv()).await {
        Ok(Some(event)) => match &event.payload {
            WebhookPayload::IngestionCompleted(job) => println!(
                "verified {}: ingestion {} of {} finished ({:?} documents)",
                event.id, job.id, job.knowledge_base_id, job.documents_processed
            ),
            WebhookPayload::IngestionFailed(job) => {
                println!(
                    "verified {}: ingestion {} failed: {:?}",
                    event.id, job.id, job.error
                )
            }
            WebhookPayload::BatchCompleted(batch) => {
                println!(
                    "verified {}: batch {} is {}",
                    event.id, batch.id, batch.status
                )
            }
            other => println!(
                "verified {}: an event this version does not know: {}",
                event.id,
                other.kind()
            ),
        },
        _ => println!("no delivery within {wait:?}"),
    }
    client.webhooks().delete(&hook.id).await?;
    Ok(())
}
