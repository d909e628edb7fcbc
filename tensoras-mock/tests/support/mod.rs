//! What the crate's tests share.

#![allow(dead_code)] // each test file uses some of it

use futures::StreamExt as _;
use tensoras::prelude::*;

/// A one-message chat request.
pub fn ask(text: &str) -> ChatCompletionRequest {
    ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user(text)])
}

/// Reads a stream to its end into the completion it adds up to; panics on
/// a stream error (a test that expects one reads the stream itself).
pub async fn finish(mut stream: tensoras::ChatStream) -> ChatCompletion {
    let mut acc = ChatAccumulator::default();
    while let Some(chunk) = stream.next().await {
        acc.push(&chunk.expect("a chunk"))
            .expect("the chunk adds up");
    }
    acc.finish()
}
