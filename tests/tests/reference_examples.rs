//! Every request and response example of the API reference
//! (`shared/reference/tensoras-api.md`) goes through the generated types:
//! responses deserialize with the documented values, requests serialize to the
//! documented JSON.

use serde_json::{json, Value};
use tensoras_gen::types;

fn decode<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("reference example decodes")
}

fn assert_round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(request: Value) -> T {
    let typed: T = serde_json::from_value(request.clone()).expect("request example decodes");
    let encoded = serde_json::to_value(&typed).expect("request encodes");
    // `"content": null` and a left-out `content` mean the same on the wire.
    let (request, encoded) = (without_nulls(request), without_nulls(encoded));
    // Every field of the documented request survives; the generated types may
    // add their spec defaults (such as `stream: false`) on top.
    let Value::Object(fields) = &request else {
        panic!("request examples are objects")
    };
    for (key, expected) in fields {
        assert_eq!(encoded.get(key), Some(expected), "field {key} of {request}");
    }
    typed
}

fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

#[test]
fn chat_completion_response_with_citations() {
    let body: types::ChatCompletion = decode(json!({
        "id":"chatcmpl-abc123","object":"chat.completion","created":1709123456,"model":"llama-3.3-70b",
        "choices":[{"index":0,"message":{"role":"assistant","content":"Electronics can be returned within 30 days..."},"finish_reason":"stop"}],
        "usage":{"prompt_tokens":812,"completion_tokens":64,"total_tokens":876},
        "citations":[{"source":"return-policy.pdf","text":"Electronics purchased from our store may be returned within 30 days...","score":0.9234}]
    }));
    assert_eq!(body.id, "chatcmpl-abc123");
    assert_eq!(body.created, 1709123456);
    assert_eq!(
        body.choices[0].message.content.as_deref(),
        Some("Electronics can be returned within 30 days...")
    );
    assert_eq!(
        body.choices[0].finish_reason,
        Some(types::FinishReason::Stop)
    );
    let usage = body.usage.expect("usage");
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (812, Some(64), 876)
    );
    assert_eq!(body.citations.len(), 1);
    assert_eq!(body.citations[0].source, "return-policy.pdf");
    assert!((body.citations[0].score - 0.9234).abs() < 1e-12);
}

#[test]
fn chat_completion_request() {
    let request: types::ChatCompletionRequest = assert_round_trip(json!({
        "model":"llama-3.3-70b",
        "messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What is the capital of France?"}],
        "temperature":0.7,"max_tokens":256
    }));
    assert_eq!(request.model, "llama-3.3-70b");
    assert_eq!(request.messages.len(), 2);
    assert_eq!(request.messages[1].role, types::Role::User);
    assert_eq!(request.max_tokens, Some(256));
}

#[test]
fn vision_request_with_content_parts() {
    let request: types::ChatCompletionRequest = assert_round_trip(json!({
        "model":"llama-3.2-11b-vision",
        "messages":[{"role":"user","content":[{"type":"text","text":"What is in this image?"},{"type":"image_url","image_url":{"url":"https://upload.wikimedia.org/x.png"}}]}]
    }));
    match request.messages[0].content.as_ref().expect("content") {
        types::MessageContent::Parts(parts) => {
            assert_eq!(parts.len(), 2);
            assert!(
                matches!(&parts[1], types::ContentPart::ImageUrl(img) if img.image_url.url == "https://upload.wikimedia.org/x.png")
            );
        }
        other => panic!("expected content parts, got {other:?}"),
    }
}

#[test]
fn tool_definition_and_tool_turns() {
    let request: types::ChatCompletionRequest = assert_round_trip(json!({
        "model":"llama-3.3-70b",
        "messages":[
            {"role":"user","content":"Weather in Paris?"},
            {"role":"assistant","content":null,"tool_calls":[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
            {"role":"tool","tool_call_id":"call_abc","content":"{\"city\":\"Paris\",\"temperature\":18,\"units\":\"celsius\"}"}
        ],
        "tools":[{"type":"function","function":{"name":"get_weather","description":"Get the current weather for a given city.",
            "parameters":{"type":"object","properties":{"city":{"type":"string","description":"The city name, e.g. 'San Francisco'"},
            "units":{"type":"string","enum":["celsius","fahrenheit"],"description":"Temperature unit"}},"required":["city"]}}}],
        "tool_choice":"auto"
    }));
    assert_eq!(request.tools[0].function.name, "get_weather");
    assert_eq!(
        request.messages[1].tool_calls[0].function.arguments,
        "{\"city\":\"Paris\"}"
    );
    assert_eq!(
        request.messages[2].tool_call_id.as_deref(),
        Some("call_abc")
    );
    assert_eq!(
        request.tool_choice,
        Some(types::ToolChoice::Mode(types::ToolChoiceMode::Auto))
    );
}

#[test]
fn json_schema_response_format() {
    let request: types::ChatCompletionRequest = assert_round_trip(json!({
        "model":"llama-3.3-70b",
        "messages":[{"role":"user","content":"Tell me about Inception."}],
        "response_format":{"type":"json_schema","json_schema":{"name":"movie","strict":true,"schema":{
            "type":"object","properties":{"name":{"type":"string"},"year":{"type":"integer"}},
            "required":["name","year"],"additionalProperties":false}}}
    }));
    match request.response_format.expect("response_format") {
        types::ResponseFormat::JsonSchema(format) => {
            assert_eq!(format.json_schema.name, "movie");
            assert_eq!(format.json_schema.strict, Some(true));
            assert_eq!(
                format.json_schema.schema.get("required"),
                Some(&json!(["name", "year"]))
            );
        }
        other => panic!("expected json_schema, got {other:?}"),
    }
}

#[test]
fn stream_chunks() {
    for (line, content, finish) in [
        (
            json!({"id":"chatcmpl-abc123","object":"chat.completion.chunk","created":1709123456,"model":"llama-3.3-70b","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}),
            Some(""),
            None,
        ),
        (
            json!({"id":"chatcmpl-abc123","object":"chat.completion.chunk","created":1709123456,"model":"llama-3.3-70b","choices":[{"index":0,"delta":{"content":"Open"},"finish_reason":null}]}),
            Some("Open"),
            None,
        ),
        (
            json!({"id":"chatcmpl-abc123","object":"chat.completion.chunk","created":1709123456,"model":"llama-3.3-70b","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}),
            None,
            Some("stop"),
        ),
    ] {
        let chunk: types::ChatCompletionChunk = decode(line);
        assert_eq!(chunk.id, "chatcmpl-abc123");
        assert_eq!(chunk.choices[0].delta.content.as_deref(), content);
        assert_eq!(
            chunk.choices[0].finish_reason.as_ref().map(|r| r.as_str()),
            finish
        );
    }
}

#[test]
fn legacy_completion() {
    let request: types::CompletionRequest =
        assert_round_trip(json!({"model":"llama-3.3-70b","prompt":"Paris","max_tokens":32}));
    assert_eq!(
        request.prompt,
        types::CompletionPrompt::Text("Paris".into())
    );
    let body: types::Completion = decode(json!({
        "id":"cmpl-abc123","object":"text_completion","created":1709123456,"model":"llama-3.3-70b",
        "choices":[{"text":" is the capital of France and is known for the Eiffel Tower.","index":0,"logprobs":null,"finish_reason":"stop"}],
        "usage":{"prompt_tokens":4,"completion_tokens":14,"total_tokens":18}
    }));
    assert_eq!(
        body.choices[0].text,
        " is the capital of France and is known for the Eiffel Tower."
    );
    assert_eq!(body.choices[0].logprobs, None);
    assert_eq!(body.usage.expect("usage").completion_tokens, Some(14));
}

#[test]
fn embeddings() {
    let request: types::EmbeddingRequest = assert_round_trip(
        json!({"model":"bge-large-en-v1.5","input":"The quick brown fox jumps over the lazy dog."}),
    );
    assert_eq!(
        request.encoding_format, None,
        "defaults are left to the server"
    );
    let body: types::EmbeddingResponse = decode(json!({
        "object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023064255,-0.009327292,0.015797347]}],
        "model":"bge-large-en-v1.5","usage":{"prompt_tokens":8,"total_tokens":8}
    }));
    assert_eq!(
        body.data[0].embedding.as_slice(),
        [0.0023064255, -0.009327292, 0.015797347]
    );
    assert_eq!(body.usage.expect("usage").prompt_tokens, 8);
    let base64: types::EmbeddingResponse = decode(json!({
        "object":"list","data":[{"object":"embedding","index":0,"embedding":"AACAPwAAAEA="}],"model":"bge-large-en-v1.5"
    }));
    assert_eq!(base64.data[0].embedding.as_slice(), [1.0, 2.0]);
}

#[test]
fn rerank() {
    let request: types::RerankRequest = assert_round_trip(json!({
        "model":"bge-reranker-v2-m3","query":"What is machine learning?",
        "documents":["AI has transformed many industries...","The stock market closed higher today...",{"text":"Machine learning is a subset of artificial intelligence..."}],
        "top_n":2
    }));
    assert_eq!(request.documents.len(), 3);
    assert!(
        matches!(&request.documents[2], types::RerankInputDocument::Document(d) if d.text.starts_with("Machine"))
    );
    let body: types::RerankResponse = decode(json!({
        "object":"list","results":[{"index":2,"relevance_score":0.9865,"document":{"text":"Machine learning is a subset of artificial intelligence..."}},
        {"index":0,"relevance_score":0.7432,"document":{"text":"AI has transformed many industries..."}}],
        "model":"bge-reranker-v2-m3","usage":{"total_tokens":156}
    }));
    assert_eq!(body.results[0].index, 2);
    assert!((body.results[1].relevance_score - 0.7432).abs() < 1e-12);
    assert_eq!(body.usage.expect("usage").total_tokens, Some(156));
}

#[test]
fn models() {
    let body: types::ModelList = decode(
        json!({"object":"list","data":[{"id":"llama-3.3-70b","object":"model","created":1709123456,"owned_by":"meta",
        "capabilities":{"chat_completion":true,"completion":true,"function_calling":true,"json_mode":true,"streaming":true},
        "context_length":131072,"pricing":{"prompt":0.0008,"completion":0.0008,"unit":"per_1k_tokens"}}]}),
    );
    let model = &body.data[0];
    assert_eq!(model.owned_by.as_deref(), Some("meta"));
    assert_eq!(model.context_length, Some(131072));
    assert_eq!(
        model.capabilities.as_ref().and_then(|c| c.json_mode),
        Some(true)
    );
    assert_eq!(
        model.pricing.as_ref().and_then(|p| p.unit.as_deref()),
        Some("per_1k_tokens")
    );
}

#[test]
fn batches() {
    let request: types::BatchCreateRequest = assert_round_trip(
        json!({"input_file_id":"file-abc123","endpoint":"/v1/chat/completions","completion_window":"24h"}),
    );
    assert_eq!(request.endpoint, types::BatchEndpoint::ChatCompletions);
    assert_eq!(request.completion_window, types::CompletionWindow::Hours24);
    let body: types::Batch = decode(
        json!({"id":"batch_abc123","object":"batch","endpoint":"/v1/chat/completions","errors":null,
        "input_file_id":"file-abc123","completion_window":"24h","status":"validating","created_at":1709123456}),
    );
    assert_eq!(body.id, "batch_abc123");
    assert_eq!(body.errors, None);
    assert_eq!(body.status, types::BatchStatus::Validating);
}

#[test]
fn knowledge_bases() {
    let request: types::KnowledgeBaseCreateRequest = assert_round_trip(
        json!({"name":"Product Documentation","description":"Internal product docs and user guides",
        "chunking_strategy":{"type":"recursive","chunk_size":512,"chunk_overlap":64}}),
    );
    assert_eq!(request.name, "Product Documentation");
    let body: types::KnowledgeBase = decode(
        json!({"id":"kb_abc123","object":"knowledge_base","name":"Product Documentation","description":"Internal product docs and user guides",
        "embedding_model":"bge-large-en-v1.5","chunking_strategy":{"type":"recursive","chunk_size":512,"chunk_overlap":64},
        "document_count":0,"chunk_count":0,"status":"active","created_at":1709123456,"updated_at":1709123456,"metadata":{}}),
    );
    assert_eq!(body.id, "kb_abc123");
    assert_eq!(body.embedding_model.as_deref(), Some("bge-large-en-v1.5"));
    assert_eq!(
        body.chunking_strategy.as_ref().and_then(|c| c.chunk_size),
        Some(512)
    );
    assert_eq!(body.status, Some(types::KnowledgeBaseStatus::Active));
}

#[test]
fn data_sources() {
    let request: types::DataSourceCreateRequest = assert_round_trip(
        json!({"type":"web_crawl","name":"Docs site","config":{"urls":["https://docs.example.com"],
        "max_depth":3,"max_pages":100,"include_patterns":["https://docs.example.com/*"],"exclude_patterns":["*/changelog*"]}}),
    );
    assert_eq!(request.name.as_deref(), Some("Docs site"));
    match request.source {
        types::DataSourceConfig::WebCrawl(config) => {
            assert_eq!(config.urls, vec!["https://docs.example.com".to_string()]);
            assert_eq!(config.exclude_patterns, vec!["*/changelog*".to_string()]);
        }
        other => panic!("expected web_crawl, got {other:?}"),
    }
    let s3: types::DataSourceCreateRequest = assert_round_trip(
        json!({"type":"s3","config":{"bucket":"docs","prefix":"handbook/","region":"us-east-1"}}),
    );
    assert!(matches!(s3.source, types::DataSourceConfig::S3(ref c) if c.bucket == "docs"));
    let file: types::DataSourceCreateRequest =
        assert_round_trip(json!({"type":"file_upload","config":{"file_ids":["file-abc123"]}}));
    assert!(matches!(
        file.source,
        types::DataSourceConfig::FileUpload(_)
    ));
}

#[test]
fn retrieval_and_ingestion_jobs() {
    let request: types::RetrievalRequest = assert_round_trip(
        json!({"query":"How do I set up single sign-on?","top_k":5,"search_type":"hybrid","min_score":0.2}),
    );
    assert_eq!(request.top_k, Some(5));
    assert_eq!(request.search_type, Some(types::SearchType::Hybrid));
    let filtered: types::RetrievalRequest = assert_round_trip(
        json!({"query":"x","filters":{"document_name":"user-guide.pdf","source_type":"file_upload",
        "metadata":{"department":"engineering","version":{"$gte":2}}}}),
    );
    assert_eq!(
        filtered
            .filters
            .and_then(|f| f.metadata)
            .and_then(|m| m.get("version").cloned()),
        Some(json!({"$gte": 2}))
    );

    let jobs: types::IngestionJobList = decode(
        json!({"object":"list","data":[{"id":"job_abc123","object":"ingestion_job","knowledge_base_id":"kb_abc123","data_source_id":"ds_xyz789",
        "status":"completed","documents_processed":15,"documents_failed":0,"chunks_created":482,
        "started_at":1709123456,"completed_at":1709124056,"created_at":1709123450,"error":null}],"has_more":false}),
    );
    let job = &jobs.data[0];
    assert_eq!(job.chunks_created, Some(482));
    assert_eq!(job.completed_at, Some(1709124056));
    assert!(!jobs.has_more);
}

#[test]
fn responses_and_errors() {
    let request: types::ResponseCreateRequest = assert_round_trip(
        json!({"model":"llama-3.3-70b","input":[{"role":"system","content":"You are a helpful research assistant."},
        {"role":"user","content":"Summarize the latest findings on RAG."}]}),
    );
    assert_eq!(request.max_turns, None, "defaults are left to the server");
    let error: types::ErrorResponse = decode(
        json!({"error":{"message":"Rate limit exceeded. Please retry after 12 seconds.","type":"rate_limit_error","code":"rate_limit_exceeded"}}),
    );
    assert_eq!(error.error.type_.as_deref(), Some("rate_limit_error"));
    assert_eq!(error.error.code.as_deref(), Some("rate_limit_exceeded"));
    assert_eq!(error.error.param, None);
}

#[test]
fn unknown_fields_and_enum_values_decode() {
    let body: types::ChatCompletion = decode(
        json!({"id":"c","object":"chat.completion","created":1,"model":"m","brand_new_field":{"x":1},
        "choices":[{"index":0,"message":{"role":"assistant","content":"hi","new_thing":true},"finish_reason":"a_new_reason"}]}),
    );
    assert_eq!(
        body.choices[0].finish_reason,
        Some(types::FinishReason::Other("a_new_reason".into()))
    );
    assert!(body.choices[0]
        .finish_reason
        .as_ref()
        .is_some_and(|r| r == "a_new_reason"));
}
