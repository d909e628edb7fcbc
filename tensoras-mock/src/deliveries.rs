//! Webhook deliveries: when an ingestion job or a batch completes, the
//! server POSTs a signed event to every active webhook subscribed to it,
//! retrying with exponential backoff until the receiver answers 2xx.
//!
//! The signature is `X-Tensoras-Signature: t=<unix seconds>,v1=<hex
//! HMAC-SHA256 of "<t>.<body>">` with the webhook's secret, made here with
//! the RustCrypto crates directly (not the SDK's helper), so the SDK's
//! verifier is checked against an independent signer. Every body is
//! validated against the spec's `WebhookEvent`. Only loopback URLs are
//! delivered to: a test never reaches the internet.

use crate::store::{new_id, Shared};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::OnceLock;
use std::time::Duration;

/// The most attempts of one delivery.
pub const MAX_ATTEMPTS: u32 = 6;
/// The first wait between attempts; doubled each time.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// One delivery attempt, as the server recorded it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Delivery {
    /// The webhook delivered to.
    pub webhook_id: String,
    /// Where.
    pub url: String,
    /// The event's id (the same on every attempt).
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The receiver's status, or what went wrong.
    pub outcome: Result<u16, String>,
    /// The body sent.
    pub body: Vec<u8>,
    /// The signature header sent.
    pub signature: String,
}

fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default()
    })
}

/// `t=<t>,v1=<hex>` for `body` at `t`.
pub fn signature(body: &[u8], secret: &str, t: u64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={digest}")
}

fn is_loopback(url: &str) -> bool {
    reqwest::Url::parse(url)
        .is_ok_and(|u| matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
}

/// Sends `event_type` with `data` to every webhook subscribed to it.
pub(crate) fn emit(store: &Shared, event_type: &str, data: Value) {
    let targets: Vec<(String, String, String)> = {
        let s = crate::store::lock(store);
        s.collections
            .get("webhooks")
            .into_iter()
            .flatten()
            .filter(|w| w["status"] == "active")
            .filter(|w| {
                w["events"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|e| e == event_type))
            })
            .filter_map(|w| {
                let id = w["id"].as_str()?.to_owned();
                let secret = s.secrets.get(&id)?.clone();
                Some((id, w["url"].as_str()?.to_owned(), secret))
            })
            .collect()
    };
    for (webhook_id, url, secret) in targets {
        let event_id = new_id(store, "evt_");
        let event = json!({"id": event_id, "object": "event", "type": event_type,
            "created_at": crate::store::now() + 60, "data": data});
        let violations = crate::conformance::Spec::get().check_webhook_event(&event);
        {
            let mut s = crate::store::lock(store);
            for v in violations {
                s.violations
                    .push(format!("webhook delivery {event_type}: {v}"));
            }
        }
        let body = serde_json::to_vec(&event).unwrap_or_default();
        let store = store.clone();
        let event_type = event_type.to_owned();
        tokio::spawn(async move {
            deliver(store, webhook_id, url, secret, event_id, event_type, body).await;
        });
    }
}

async fn deliver(
    store: Shared,
    webhook_id: String,
    url: String,
    secret: String,
    event_id: String,
    event_type: String,
    body: Vec<u8>,
) {
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=MAX_ATTEMPTS {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let signature = signature(&body, &secret, t);
        let outcome = if is_loopback(&url) {
            http()
                .post(&url)
                .header("content-type", "application/json")
                .header("x-tensoras-signature", &signature)
                .header("x-tensoras-event-id", &event_id)
                .body(body.clone())
                .send()
                .await
                .map(|r| r.status().as_u16())
                .map_err(|e| e.to_string())
        } else {
            Err("not delivered: only loopback URLs are delivered to in tests".to_owned())
        };
        let done =
            matches!(outcome, Ok(status) if (200..300).contains(&status)) || !is_loopback(&url);
        {
            let mut s = crate::store::lock(&store);
            s.deliveries.push(Delivery {
                webhook_id: webhook_id.clone(),
                url: url.clone(),
                event_id: event_id.clone(),
                event_type: event_type.clone(),
                attempt,
                outcome,
                body: body.clone(),
                signature,
            });
        }
        if done {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff *= 2;
    }
}
