//! Embeddings: decoding 2,048 × 1,024-dimension vectors, float JSON against
//! base64, through the SDK's own path (`EmbeddingResponse`, whose vectors
//! decode either form into `f32`s).

use crate::{report, Job, Mode};
use base64::Engine;
use futures::FutureExt;
use serde_json::json;
use tensoras::types::EmbeddingResponse;

const VECTORS: usize = 2_048;
const DIM: usize = 1_024;

fn bodies() -> (Vec<u8>, Vec<u8>) {
    let vector = |i: usize| -> Vec<f32> {
        (0..DIM)
            .map(|j| ((i * 31 + j * 17) % 1000) as f32 / 997.0 - 0.5)
            .collect()
    };
    let mut float = Vec::with_capacity(VECTORS);
    let mut b64 = Vec::with_capacity(VECTORS);
    for i in 0..VECTORS {
        let v = vector(i);
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        float.push(json!({"object": "embedding", "index": i, "embedding": v}));
        b64.push(json!({"object": "embedding", "index": i,
            "embedding": base64::engine::general_purpose::STANDARD.encode(bytes)}));
    }
    let wrap = |data: Vec<serde_json::Value>| {
        serde_json::to_vec(
            &json!({"object": "list", "data": data, "model": "bge-large-en-v1.5",
            "usage": {"prompt_tokens": 8, "total_tokens": 8}}),
        )
        .expect("json")
    };
    (wrap(float), wrap(b64))
}

fn decode(body: &[u8]) -> usize {
    let response: EmbeddingResponse = serde_json::from_slice(body).expect("response");
    let mut values = 0;
    for item in &response.data {
        values += item.embedding.as_slice().len();
    }
    assert_eq!(values, VECTORS * DIM);
    VECTORS
}

pub async fn run() {
    let (float, b64) = bodies();
    let title = format!(
        "Embeddings decoding ({VECTORS} × {DIM}; bodies {:.1} MiB float, {:.1} MiB base64)",
        float.len() as f64 / 1048576.0,
        b64.len() as f64 / 1048576.0
    );
    fn decoding(body: &[u8]) -> Job<'_> {
        Box::new(move |_| {
            async move {
                decode(body);
            }
            .boxed()
        })
    }
    let mut jobs = [("float JSON", decoding(&float)), ("base64", decoding(&b64))];
    report(
        &Mode::Compare,
        (11, VECTORS),
        &mut jobs,
        &title,
        "vectors/s",
    )
    .await;
}
