//! The GenAI conventions' client metrics, through the OpenTelemetry metrics
//! API (feature `opentelemetry`): histograms with the conventions' names,
//! units and explicit bucket boundaries, which a `tracing` field cannot
//! carry (hence this API rather than fields for a metrics layer to read).

use super::observe::Usage;
use super::Call;
use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::KeyValue;

/// `gen_ai.client.operation.duration` and the chunk timings: seconds.
const SECONDS: [f64; 14] = [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/// `gen_ai.client.token.usage`: tokens.
const TOKENS: [f64; 14] = [
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];

/// The instruments of one client.
pub(crate) struct Instruments {
    duration: Histogram<f64>,
    tokens: Histogram<u64>,
    pub(crate) first_chunk: Histogram<f64>,
    pub(crate) per_chunk: Histogram<f64>,
}

impl Instruments {
    pub(crate) fn new(meter: &Meter) -> Self {
        let seconds = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_unit("s")
                .with_description(description)
                .with_boundaries(SECONDS.to_vec())
                .build()
        };
        Instruments {
            duration: seconds(
                "gen_ai.client.operation.duration",
                "GenAI operation duration.",
            ),
            tokens: meter
                .u64_histogram("gen_ai.client.token.usage")
                .with_unit("{token}")
                .with_description("Number of input and output tokens used.")
                .with_boundaries(TOKENS.to_vec())
                .build(),
            first_chunk: seconds(
                "gen_ai.client.operation.time_to_first_chunk",
                "Time to receive the first chunk of a streamed response.",
            ),
            per_chunk: seconds(
                "gen_ai.client.operation.time_per_output_chunk",
                "Time per output chunk after the first one of a streamed response.",
            ),
        }
    }

    /// A call ended: its duration, and the tokens it reported.
    pub(crate) fn record_end(
        &self,
        call: &Call,
        elapsed: std::time::Duration,
        error_type: Option<&str>,
        usage: Option<&Usage>,
        response_model: Option<&str>,
    ) {
        if call.prepared.operation.is_none() {
            return; // not a GenAI operation
        }
        let mut attributes = call.metric_attributes.clone();
        if let Some(model) = response_model {
            attributes.push(KeyValue::new("gen_ai.response.model", model.to_owned()));
        }
        if let Some(kind) = error_type {
            attributes.push(KeyValue::new("error.type", kind.to_owned()));
        }
        self.duration.record(elapsed.as_secs_f64(), &attributes);
        let Some(usage) = usage else { return };
        for (kind, count) in [("input", usage.input), ("output", usage.output)] {
            if let Some(count) = count.and_then(|c| u64::try_from(c).ok()) {
                let mut attributes = attributes.clone();
                attributes.push(KeyValue::new("gen_ai.token.type", kind));
                self.tokens.record(count, &attributes);
            }
        }
    }
}

/// The instruments from the global meter provider, under this crate's
/// instrumentation scope.
pub(crate) fn global() -> Instruments {
    let scope = opentelemetry::InstrumentationScope::builder("tensoras")
        .with_version(env!("CARGO_PKG_VERSION"))
        .with_schema_url(format!(
            "https://opentelemetry.io/schemas/{}.0",
            super::SEMCONV_VERSION
        ))
        .build();
    Instruments::new(&opentelemetry::global::meter_with_scope(scope))
}
