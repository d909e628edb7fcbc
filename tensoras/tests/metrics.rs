//! The GenAI conventions' client metrics (feature `opentelemetry`), read
//! back through the OpenTelemetry SDK's in-memory exporter: names, units,
//! bucket boundaries, attributes and values, for a plain call, a stream read
//! to its end and a failed call. A canned server answers (values below).

use futures::StreamExt;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use tensoras::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHUNK: &str = r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"served-model","choices":[{"index":0,"delta":{"content":"hi "}}]}"#;
const LAST: &str = r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"served-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#;
const USAGE: &str = r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"served-model","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}"#;
const WHOLE: &str = r#"{"id":"c2","object":"chat.completion","created":1,"model":"served-model","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}"#;

/// Answers a streamed request with 2 content chunks, a last chunk and a
/// usage chunk; a plain one with `WHOLE`; a request for model `broken`
/// with a 500.
async fn serve(listener: tokio::net::TcpListener) {
    while let Ok((mut socket, _)) = listener.accept().await {
        tokio::spawn(async move {
            let mut request = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                let Ok(n) = socket.read(&mut buf).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request);
                if let Some(head_end) = text.find("\r\n\r\n") {
                    let length = text[..head_end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if request.len() >= head_end + 4 + length {
                        break;
                    }
                }
            }
            let text = String::from_utf8_lossy(&request);
            let (status, kind, body) = if text.contains("\"broken\"") {
                (
                    "500 Internal Server Error",
                    "application/json",
                    r#"{"error":{"message":"down"}}"#.to_owned(),
                )
            } else if text.contains("\"stream\":true") {
                let body = [CHUNK, CHUNK, LAST, USAGE]
                    .iter()
                    .map(|c| format!("data: {c}\n\n"))
                    .collect::<String>()
                    + "data: [DONE]\n\n";
                ("200 OK", "text/event-stream", body)
            } else {
                ("200 OK", "application/json", WHOLE.to_owned())
            };
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        });
    }
}

fn histogram<'a>(metrics: &'a [ResourceMetrics], name: &str) -> (&'a AggregatedMetrics, String) {
    for resource in metrics {
        for scope in resource.scope_metrics() {
            for metric in scope.metrics() {
                if metric.name() == name {
                    return (metric.data(), metric.unit().to_owned());
                }
            }
        }
    }
    panic!("no metric {name}")
}

fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

#[tokio::test]
async fn calls_and_streams_are_measured_with_the_conventions_names() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(serve(listener));
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    let client = Tensoras::builder()
        .api_key("tns_x")
        .base_url(format!("http://127.0.0.1:{port}"))
        .max_retries(0)
        .meter(provider.meter("test"))
        .build()
        .unwrap();
    let ask = |model: &str| ChatCompletionRequest::new(model, [ChatMessage::user("hi")]);
    client
        .chat()
        .completions()
        .create(ask("asked-model"))
        .await
        .unwrap();
    let chunks: Vec<_> = client
        .chat()
        .completions()
        .create_stream(ask("asked-model"))
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(chunks.len(), 4);
    assert!(client
        .chat()
        .completions()
        .create(ask("broken"))
        .await
        .is_err());
    provider.force_flush().unwrap();
    let metrics = exporter.get_finished_metrics().unwrap();

    // Duration: the two successful calls share their attributes; the
    // failed one carries error.type.
    let (data, unit) = histogram(&metrics, "gen_ai.client.operation.duration");
    assert_eq!(unit, "s");
    let AggregatedMetrics::F64(MetricData::Histogram(durations)) = data else {
        panic!("{data:?}")
    };
    let points: Vec<_> = durations.data_points().collect();
    assert_eq!(points.len(), 2, "{points:?}");
    let ok = points
        .iter()
        .find(|p| attribute(&p.attributes().cloned().collect::<Vec<_>>(), "error.type").is_none())
        .unwrap();
    assert_eq!(ok.count(), 2);
    assert_eq!(
        ok.bounds().collect::<Vec<_>>(),
        [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
    );
    let attributes: Vec<KeyValue> = ok.attributes().cloned().collect();
    assert_eq!(
        attribute(&attributes, "gen_ai.operation.name"),
        Some(&Value::from("chat"))
    );
    assert_eq!(
        attribute(&attributes, "gen_ai.provider.name"),
        Some(&Value::from("tensoras"))
    );
    assert_eq!(
        attribute(&attributes, "gen_ai.request.model"),
        Some(&Value::from("asked-model"))
    );
    assert_eq!(
        attribute(&attributes, "gen_ai.response.model"),
        Some(&Value::from("served-model"))
    );
    assert_eq!(
        attribute(&attributes, "server.address"),
        Some(&Value::from("127.0.0.1"))
    );
    assert_eq!(
        attribute(&attributes, "server.port"),
        Some(&Value::from(i64::from(port)))
    );
    let failed = points.iter().find(|p| !std::ptr::eq(**p, *ok)).unwrap();
    let attributes: Vec<KeyValue> = failed.attributes().cloned().collect();
    assert_eq!(
        attribute(&attributes, "error.type"),
        Some(&Value::from("500"))
    );
    assert_eq!(
        attribute(&attributes, "gen_ai.request.model"),
        Some(&Value::from("broken"))
    );

    // Tokens: 12 in and 5 out per successful call.
    let (data, unit) = histogram(&metrics, "gen_ai.client.token.usage");
    assert_eq!(unit, "{token}");
    let AggregatedMetrics::U64(MetricData::Histogram(tokens)) = data else {
        panic!("{data:?}")
    };
    let mut by_type: Vec<(String, u64, u64)> = tokens
        .data_points()
        .map(|p| {
            let attributes: Vec<KeyValue> = p.attributes().cloned().collect();
            let kind = attribute(&attributes, "gen_ai.token.type")
                .unwrap()
                .to_string();
            (kind, p.count(), p.sum())
        })
        .collect();
    by_type.sort();
    assert_eq!(
        by_type,
        [("input".to_owned(), 2, 24), ("output".to_owned(), 2, 10)]
    );

    // The stream: one first chunk, and one per output chunk after the
    // first (three carry choices; the usage chunk does not).
    let (data, _) = histogram(&metrics, "gen_ai.client.operation.time_to_first_chunk");
    let AggregatedMetrics::F64(MetricData::Histogram(first)) = data else {
        panic!("{data:?}")
    };
    assert_eq!(first.data_points().map(|p| p.count()).sum::<u64>(), 1);
    let (data, _) = histogram(&metrics, "gen_ai.client.operation.time_per_output_chunk");
    let AggregatedMetrics::F64(MetricData::Histogram(per)) = data else {
        panic!("{data:?}")
    };
    assert_eq!(per.data_points().map(|p| p.count()).sum::<u64>(), 2);
}
