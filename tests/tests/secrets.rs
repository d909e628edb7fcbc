//! Every secret of the spec (`format: password`) is sent as it is and never
//! shown: for each generated type holding one, an instance with a known
//! value serializes it and prints it nowhere in `Debug`, on its own or
//! inside the request or response that carries it.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tensoras::types;
use tensoras_mock::conformance::SPEC_YAML;

/// Every `(schema, property)` the spec marks `format: password`.
fn secret_properties() -> BTreeSet<(String, String)> {
    let spec: Value = serde_norway::from_str(SPEC_YAML).expect("the spec parses");
    let mut found = BTreeSet::new();
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    for (name, schema) in schemas {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            continue;
        };
        for (property, value) in properties {
            if value.get("format").and_then(Value::as_str) == Some("password") {
                found.insert((name.clone(), property.clone()));
            }
        }
    }
    found
}

/// Decodes `instance` as `T` and checks the secret at `property` (the
/// literal `value`) goes out in JSON and never shows in `Debug`.
fn check<T: DeserializeOwned + Serialize + std::fmt::Debug>(
    what: &str,
    instance: Value,
    value: &str,
) {
    let decoded: T = serde_json::from_value(instance)
        .unwrap_or_else(|e| panic!("{what}: the instance does not decode: {e}"));
    let shown = format!("{decoded:?} {decoded:#?}");
    assert!(
        !shown.contains(value),
        "{what}: Debug shows the secret: {shown}"
    );
    assert!(shown.contains("<redacted>"), "{what}: {shown}");
    let sent = serde_json::to_string(&decoded).expect("serializes");
    assert!(
        sent.contains(value),
        "{what}: the secret is not sent: {sent}"
    );
}

#[test]
fn every_secret_of_the_spec_is_sent_and_never_shown() {
    let mut covered = BTreeSet::new();
    for (schema, property) in secret_properties() {
        let value = format!("SENTINEL-{schema}-{property}");
        let what = format!("{schema}.{property}");
        // The type itself, with its required members, and every type that
        // carries it to or from the server.
        match (schema.as_str(), property.as_str()) {
            ("S3Config", "secret_access_key") => {
                let config = json!({"bucket": "b", "secret_access_key": value});
                check::<types::S3Config>(&what, config.clone(), &value);
                let create = json!({"name": "s3", "type": "s3", "config": config});
                check::<types::DataSourceCreateRequest>(&what, create, &value);
            }
            ("GcsConfig", "service_account_json") => {
                let config = json!({"bucket": "b", "service_account_json": value});
                check::<types::GcsConfig>(&what, config.clone(), &value);
                let create = json!({"name": "gcs", "type": "gcs", "config": config});
                check::<types::DataSourceCreateRequest>(&what, create, &value);
            }
            ("ConfluenceConfig", "api_token") => {
                let config =
                    json!({"base_url": "https://x.atlassian.net/wiki", "api_token": value});
                check::<types::ConfluenceConfig>(&what, config.clone(), &value);
                let create = json!({"name": "c", "type": "confluence", "config": config});
                check::<types::DataSourceCreateRequest>(&what, create, &value);
            }
            ("NotionConfig", "integration_token") => {
                let config = json!({"integration_token": value});
                check::<types::NotionConfig>(&what, config.clone(), &value);
                let create = json!({"name": "n", "type": "notion", "config": config});
                check::<types::DataSourceCreateRequest>(&what, create, &value);
                // A server that echoes the config back (the API leaves it out).
                let source = json!({"id": "ds_1", "object": "data_source", "kb_id": "kb_1",
                    "name": "n", "type": "notion", "config": config, "status": "active", "created_at": 1});
                check::<types::DataSource>(&what, source, &value);
            }
            ("GoogleDriveConfig", "service_account_json") => {
                let config = json!({"folder_ids": ["f"], "service_account_json": value});
                check::<types::GoogleDriveConfig>(&what, config.clone(), &value);
                let create = json!({"name": "g", "type": "google_drive", "config": config});
                check::<types::DataSourceCreateRequest>(&what, create, &value);
            }
            ("WebhookCreateRequest", "secret") => {
                let create = json!({"url": "https://example.com/hook",
                    "events": ["batch.completed"], "secret": value});
                check::<types::WebhookCreateRequest>(&what, create, &value);
            }
            ("Webhook", "secret") => {
                let hook = json!({"id": "wh_1", "object": "webhook", "url": "https://example.com/hook",
                    "events": ["batch.completed"], "secret": value});
                check::<types::Webhook>(&what, hook, &value);
            }
            other => panic!(
                "{other:?} is a secret in the spec that this test does not cover: add it above"
            ),
        }
        covered.insert(what);
    }
    assert_eq!(covered.len(), 7, "{covered:?}");
}

#[test]
fn a_secret_set_through_a_builder_is_sent_as_it_is() {
    let request = types::WebhookCreateRequest::new(
        "https://example.com/hook",
        [types::WebhookEventType::BatchCompleted],
    )
    .secret("whsec_builder_value");
    assert!(!format!("{request:?}").contains("whsec_builder_value"));
    assert_eq!(
        serde_json::to_value(&request).unwrap()["secret"],
        "whsec_builder_value"
    );
    assert_eq!(
        request.secret.as_ref().map(types::Secret::expose),
        Some("whsec_builder_value")
    );
}

#[test]
fn secrets_in_json_kept_as_it_came_never_show() {
    // A data source config that does not decode (no bucket) is kept as
    // `Other` with its JSON: its Debug hides the secret members.
    let create: types::DataSourceCreateRequest = serde_json::from_value(json!({
        "name": "s3", "type": "s3", "config": {"secret_access_key": "AKIA_SENTINEL"}
    }))
    .unwrap();
    let shown = format!("{create:?}");
    assert!(!shown.contains("AKIA_SENTINEL"), "{shown}");
    assert!(serde_json::to_string(&create)
        .unwrap()
        .contains("AKIA_SENTINEL"));
    let future: types::DataSourceConfig = serde_json::from_value(json!({
        "type": "azure_blob", "config": {"api_token": "TOKEN_SENTINEL", "container": "c"}
    }))
    .unwrap();
    let shown = format!("{future:?}");
    assert!(
        !shown.contains("TOKEN_SENTINEL") && shown.contains("container"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_response_that_does_not_decode_does_not_quote_its_secret() {
    use tensoras_tests::raw::{Conn, RawServer};
    // A webhook whose `events` is not a list: the decode error quotes the
    // body, with the secret left out.
    let server = RawServer::start(|mut conn: Conn| async move {
        let _ = conn.read_request().await;
        let body = r#"{"id":"wh_1","object":"webhook","url":"https://x","events":"all","secret":"whsec_SENTINEL"}"#;
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let _ = conn.write(head.as_bytes()).await;
        let _ = conn.write(body.as_bytes()).await;
    })
    .await
    .unwrap();
    let error = server
        .client(tensoras::RequestOptions::new())
        .webhooks()
        .retrieve("wh_1")
        .await
        .unwrap_err();
    assert!(matches!(error, tensoras::Error::Decode { .. }), "{error:?}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("whsec_SENTINEL"), "{shown}");
    assert!(shown.contains("wh_1"), "{shown}");
}
