//! Property tests: no input, from the network or the caller, makes the
//! decoders panic, and the SSE decoder does not depend on how the bytes were
//! split into reads. (cargo-fuzz needs a nightly toolchain, which CI does
//! not have; proptest runs on stable, in `cargo test`.)

use futures::StreamExt;
use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tensoras::sse::{Decoder, Event, EventStream};
use tensoras::types::{ChatCompletion, ChatCompletionChunk, EmbeddingResponse, EmbeddingVector};
use tensoras::{ApiError, Error};

/// Bytes that look like an event stream more often than uniform noise would.
fn sse_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"data: ".to_vec()),
        Just(b"data:".to_vec()),
        Just(b"event: error".to_vec()),
        Just(b": keep-alive".to_vec()),
        Just(b"id: 7".to_vec()),
        Just(b"retry: 10".to_vec()),
        Just(b"[DONE]".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(
            br#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}"#
                .to_vec()
        ),
        Just(br#"{"error":{"message":"x"}}"#.to_vec()),
        Just("é☃".as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 0..16),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn decode_in_reads(bytes: &[u8], cuts: &[usize]) -> Vec<Event> {
    let mut decoder = Decoder::default();
    let mut events = Vec::new();
    let mut at = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    for cut in cuts {
        events.extend(decoder.feed(&bytes[at..cut.max(at)]));
        at = cut.max(at);
    }
    events.extend(decoder.feed(&bytes[at..]));
    events
}

/// What an `EventStream` of JSON values yields over `bytes` in reads of
/// `read` bytes: items as values, an error as its message (bounded: a
/// stream of n bytes yields at most n items).
fn stream_values(bytes: &[u8], read: usize) -> Vec<Result<serde_json::Value, String>> {
    let reads: Vec<std::io::Result<bytes::Bytes>> = bytes
        .chunks(read)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let mut stream =
        EventStream::<serde_json::Value>::from_byte_stream(futures::stream::iter(reads));
    futures::executor::block_on(async {
        let mut items = Vec::new();
        for _ in 0..=bytes.len() + 1 {
            match stream.next().await {
                Some(item) => items.push(item.map_err(|e| e.to_string())),
                None => break,
            }
        }
        items
    })
}

/// 512 cases per property in `cargo test` (CI); `PROPTEST_CASES=N` for a
/// longer run (BENCHMARKS.md records one).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn sse_decoding_does_not_depend_on_read_boundaries(
        bytes in sse_bytes(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let whole = decode_in_reads(&bytes, &[]);
        prop_assert_eq!(decode_in_reads(&bytes, &cuts), whole);
    }

    #[test]
    fn the_event_stream_does_not_depend_on_read_boundaries(
        bytes in sse_bytes(),
        read in 1usize..64,
    ) {
        // One read (the decoder's fast path wherever an event allows it)
        // against many small ones (the general path): the same items, and
        // the same error if any.
        let whole = stream_values(&bytes, bytes.len().max(1));
        prop_assert_eq!(stream_values(&bytes, read), whole);
    }

    #[test]
    fn the_event_stream_ends_with_items_or_one_error(bytes in sse_bytes(), read in 1usize..64) {
        let reads: Vec<std::io::Result<bytes::Bytes>> = bytes
            .chunks(read)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        let mut stream =
            EventStream::<ChatCompletionChunk>::from_byte_stream(futures::stream::iter(reads));
        let items = futures::executor::block_on(async {
            let mut items = Vec::new();
            // Bounded: a stream of n bytes yields at most n items.
            for _ in 0..=bytes.len() + 1 {
                match stream.next().await {
                    Some(item) => items.push(item),
                    None => break,
                }
            }
            items
        });
        prop_assert!(futures::executor::block_on(stream.next()).is_none(), "the stream ended");
        let errors = items.iter().filter(|i| i.is_err()).count();
        prop_assert!(errors <= 1);
        if errors == 1 {
            let last_is_stream_error = matches!(items.last(), Some(Err(Error::Stream { .. })));
            prop_assert!(last_is_stream_error, "the one error is a stream error, and last");
        }
    }

    #[test]
    fn any_error_body_gives_a_useful_message(
        status in 100u16..600,
        body in proptest::collection::vec(any::<u8>(), 0..512),
        retry_after in "\\PC{0,40}",
        request_id in "[ -~]{0,40}",
    ) {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("retry-after", &retry_after),
            ("retry-after-ms", &retry_after),
            ("x-request-id", &request_id),
            ("x-ratelimit-remaining", &request_id),
        ] {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        let error = ApiError::from_response(status, &headers, &body);
        prop_assert!(!error.message.trim().is_empty());
        let text = Error::from_api(error).to_string();
        prop_assert!(text.contains(&status.to_string()), "{}", text);
    }

    #[test]
    fn json_error_bodies_keep_their_fields(message in "[a-zA-Z0-9 .,]{1,60}", code in "[a-z_]{1,20}") {
        let body = format!(r#"{{"error":{{"message":"{message}","type":"x","code":"{code}"}}}}"#);
        let error = ApiError::from_response(400, &HeaderMap::new(), body.as_bytes());
        prop_assert_eq!(error.message.trim(), message.trim());
        prop_assert_eq!(error.code, Some(code));
    }

    #[test]
    fn responses_and_chunks_decode_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = serde_json::from_slice::<ChatCompletionChunk>(&bytes);
        let _ = serde_json::from_slice::<ChatCompletion>(&bytes);
        let _ = serde_json::from_slice::<EmbeddingResponse>(&bytes);
    }

    #[test]
    fn mutated_valid_chunks_decode_or_fail_cleanly(at in any::<usize>(), byte in any::<u8>()) {
        let mut chunk = br#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi","tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":null}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#.to_vec();
        let at = at % chunk.len();
        chunk[at] = byte;
        let _ = serde_json::from_slice::<ChatCompletionChunk>(&chunk);
    }

    /// Whatever it is fed, in whatever reads, the decoder holds at most an
    /// unfinished line, event name and id (each under the line limit) and
    /// one event's data (under the event limit); past a limit it refuses the
    /// rest and holds nothing more.
    #[test]
    fn the_decoder_holds_a_bounded_amount_whatever_it_is_fed(
        bytes in sse_bytes(),
        long in proptest::collection::vec(any::<u8>(), 0..512),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
        max_line in 1usize..96,
        max_event in 1usize..192,
    ) {
        let mut input = bytes;
        input.extend_from_slice(&long); // a long line with no end, sometimes
        let mut decoder = Decoder::with_limits(max_line, max_event);
        let bound = 3 * max_line + max_event;
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        cuts.sort_unstable();
        let mut at = 0;
        for cut in cuts.into_iter().chain([input.len()]) {
            let cut = cut.max(at);
            // An event's data is one line's value (at most three times its
            // bytes once broken UTF-8 is replaced) or gathered lines (under
            // the event limit).
            decoder.feed_with(&input[at..cut], |event| {
                assert!(event.data.len() <= (3 * max_line).max(max_event));
            });
            prop_assert!(decoder.buffered() <= bound, "{} > {bound}", decoder.buffered());
            at = cut;
        }
        if decoder.overflow().is_some() {
            let held = decoder.buffered();
            prop_assert!(decoder.feed(&[b'x'; 1024]).is_empty(), "no events after refusing");
            prop_assert!(decoder.buffered() <= held, "nothing more is held");
        }
    }

    #[test]
    fn base64_embeddings_decode_or_fail_cleanly(text in "\\PC{0,64}") {
        // Straight, and as a response body would carry it.
        match EmbeddingVector::from_base64(&text) {
            Ok(v) => prop_assert!(v.len() < 64),
            Err(e) => prop_assert!(e.contains("base64"), "{}", e),
        }
        let body = serde_json::json!({"object": "embedding", "index": 0, "embedding": text});
        let _ = serde_json::from_value::<tensoras::types::Embedding>(body);
    }
}
