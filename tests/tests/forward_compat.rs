//! Forward compatibility as a tested policy: what a newer server may send
//! must decode.
//!
//! For every operation of the spec (and every stream event type and the
//! webhook delivery) an instance of its success body is derived from the
//! spec's own schema, in several variants:
//! - every object carries a member the spec does not know;
//! - every enum position (statuses, finish reasons, roles, tool-call types,
//!   data-source types, ...) holds a value the spec does not list;
//! - every tagged union (content parts, output items, data-source configs,
//!   stream events, webhook payloads) holds a variant the spec does not list;
//! - and, in the other variants, each known enum value and union variant.
//!
//! Each instance is decoded into the operation's generated response type,
//! and the unknown enum values and union variants must come back out when
//! the decoded value is serialized again (kept as `Other`, not lost).

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use tensoras::operations::{self, Operation, Streaming};
use tensoras::types;
use tensoras_mock::conformance::SPEC_YAML;

const UNKNOWN_VALUE: &str = "x_future_value";
const UNKNOWN_MEMBER: &str = "x_future_member";

/// Which instance to derive: every enum and union unknown, or the `k`-th
/// known value or variant (wrapping) at every position.
#[derive(Clone, Copy, Debug)]
enum Pick {
    Unknown,
    /// Known values, and null wherever the spec allows it or lets the
    /// member be left out.
    Nulls,
    Known(usize),
}

struct Synth<'a> {
    spec: &'a Value,
    pick: Pick,
    /// How many unknown enum values and union variants were placed.
    unknowns: usize,
}

impl Synth<'_> {
    fn resolve<'b>(&self, schema: &'b Value) -> &'b Value
    where
        Self: 'b,
    {
        let mut schema = schema;
        while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            schema = self
                .spec
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{reference} resolves"));
        }
        schema
    }

    fn choose<T: Clone>(&self, options: &[T]) -> T {
        let k = match self.pick {
            Pick::Unknown | Pick::Nulls => 0,
            Pick::Known(k) => k,
        };
        options[k % options.len()].clone()
    }

    fn value(&mut self, schema: &Value, depth: usize) -> Value {
        let schema = self.resolve(schema).clone();
        assert!(depth < 12, "the spec's schemas are not recursive");
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            return match self.pick {
                Pick::Unknown => {
                    self.unknowns += 1;
                    json!(UNKNOWN_VALUE)
                }
                Pick::Known(_) | Pick::Nulls => self.choose(values),
            };
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            if let ([only], None) = (parts.as_slice(), schema.get("properties")) {
                return self.value(only, depth + 1);
            }
            let mut merged = Map::new();
            for part in parts {
                if let Value::Object(fields) = self.value(part, depth + 1) {
                    merged.extend(fields);
                }
            }
            if schema.get("properties").is_some() {
                if let Value::Object(own) = self.object(&schema, depth) {
                    merged.extend(own);
                }
            }
            return Value::Object(merged);
        }
        if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
            if let Some(tag) = schema
                .pointer("/discriminator/propertyName")
                .and_then(Value::as_str)
            {
                if let Pick::Unknown = self.pick {
                    self.unknowns += 1;
                    return json!({tag: UNKNOWN_VALUE, "data": {"anything": [1, 2]}});
                }
                let mapping: Vec<(String, Value)> = schema["discriminator"]["mapping"]
                    .as_object()
                    .expect("a mapping")
                    .iter()
                    .map(|(k, v)| (k.clone(), json!({"$ref": v})))
                    .collect();
                let (value, target) = self.choose(&mapping);
                let mut instance = self.value(&target, depth + 1);
                instance[tag] = json!(value);
                return instance;
            }
            let alternative = self.choose(alternatives);
            return self.value(&alternative, depth + 1);
        }
        if schema.get("x-tensoras-packed").is_some() {
            return match self.pick {
                Pick::Unknown => json!("AACAPwAAAEA="),
                Pick::Known(_) | Pick::Nulls => json!([0.25, -0.5]),
            };
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("object") | None if schema.get("properties").is_some() => {
                self.object(&schema, depth)
            }
            Some("object") => {
                // A map: one entry; a free-form one also gets an unknown member
                // (a typed one's keys are data, its values have their type).
                let mut map = Map::new();
                match schema.get("additionalProperties").filter(|v| v.is_object()) {
                    Some(values) => {
                        map.insert("key".into(), self.value(values, depth + 1));
                    }
                    None => {
                        map.insert(UNKNOWN_MEMBER.into(), json!(true));
                    }
                }
                Value::Object(map)
            }
            Some("array") => json!([self.value(&schema["items"], depth + 1)]),
            Some("string") => match schema.get("format").and_then(Value::as_str) {
                Some("byte") => json!("AACAPw=="),
                _ => json!("text"),
            },
            Some("integer") => json!(7),
            Some("number") => json!(0.5),
            Some("boolean") => json!(true),
            None => json!({"any": ["json"]}),
            Some(other) => panic!("schema type {other}"),
        }
    }

    fn object(&mut self, schema: &Value, depth: usize) -> Value {
        let mut out = Map::new();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            let required = |name: &str| {
                schema
                    .get("required")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|n| n == name))
            };
            for (name, property) in properties {
                // Null where the spec allows it, and where it lets the
                // member be left out: servers send `null` for those too.
                let nullable = self.resolve(property).get("nullable") == Some(&json!(true))
                    || property.get("nullable") == Some(&json!(true))
                    || !required(name);
                let value = if nullable && matches!(self.pick, Pick::Nulls) {
                    Value::Null
                } else {
                    self.value(property, depth + 1)
                };
                out.insert(name.clone(), value);
            }
        }
        // A member the spec does not name, of the type the spec allows for
        // members it does not name (anything, unless it says otherwise).
        let unknown = match schema.get("additionalProperties").filter(|v| v.is_object()) {
            Some(values) => self.value(values, depth + 1),
            None => json!({"added": [1, "two", null]}),
        };
        out.insert(UNKNOWN_MEMBER.into(), unknown);
        Value::Object(out)
    }
}

fn spec() -> Value {
    serde_norway::from_str(SPEC_YAML).expect("the spec parses")
}

fn count(value: &Value, needle: &str) -> usize {
    match value {
        Value::String(s) => usize::from(s == needle),
        Value::Array(items) => items.iter().map(|v| count(v, needle)).sum(),
        Value::Object(map) => map.values().map(|v| count(v, needle)).sum(),
        _ => 0,
    }
}

/// Decodes every variant of `schema` into `T`; unknown values must survive.
/// Returns how many unknown enum values and union variants it placed.
fn check<T: DeserializeOwned + Serialize>(spec: &Value, what: &str, schema: &Value) -> usize {
    let mut placed = 0;
    for pick in [
        Pick::Unknown,
        Pick::Nulls,
        Pick::Known(0),
        Pick::Known(1),
        Pick::Known(2),
        Pick::Known(3),
    ] {
        let mut synth = Synth {
            spec,
            pick,
            unknowns: 0,
        };
        let instance = synth.value(schema, 0);
        let decoded: T = serde_json::from_value(instance.clone())
            .unwrap_or_else(|e| panic!("{what} ({pick:?}) does not decode: {e}\n{instance:#}"));
        if let Pick::Unknown = pick {
            let again = serde_json::to_value(&decoded).expect("encodes");
            assert_eq!(
                count(&again, UNKNOWN_VALUE),
                count(&instance, UNKNOWN_VALUE),
                "{what}: every unknown enum value and union variant is kept\n{instance:#}\n{again:#}"
            );
            placed = synth.unknowns;
        }
    }
    placed
}

/// The 200 body schema of an operation, by its id.
fn response_schema<'a>(spec: &'a Value, id: &str) -> Option<&'a Value> {
    spec["paths"].as_object()?.values().find_map(|item| {
        item.as_object()?.values().find_map(|op| {
            (op.get("operationId")?.as_str()? == id)
                .then(|| op.pointer("/responses/200/content/application~1json/schema"))
                .flatten()
        })
    })
}

fn event_schema<'a>(spec: &'a Value, id: &str) -> &'a Value {
    spec["paths"]
        .as_object()
        .and_then(|paths| {
            paths.values().find_map(|item| {
                item.as_object()?.values().find_map(|op| {
                    (op.get("operationId")?.as_str()? == id)
                        .then(|| {
                            op.pointer(
                                "/responses/200/content/text~1event-stream/x-tensoras-event-data",
                            )
                        })
                        .flatten()
                })
            })
        })
        .unwrap_or_else(|| panic!("{id} streams"))
}

macro_rules! every_operation {
    ($spec:expr, $seen:expr; $($op:ident),* $(,)?) => {$(
        if let Some(schema) = response_schema($spec, operations::$op::ID) {
            let placed = check::<<operations::$op as Operation>::Response>($spec, operations::$op::ID, schema);
            $seen.insert((operations::$op::ID, placed));
        }
    )*};
}

macro_rules! every_stream {
    ($spec:expr; $($op:ident),* $(,)?) => {$(
        let what = format!("{} event", operations::$op::ID);
        let placed = check::<<operations::$op as Streaming>::Event>($spec, &what, event_schema($spec, operations::$op::ID));
        assert!(placed > 0, "{what}: unknown values were placed");
    )*};
}

#[test]
fn every_response_decodes_what_a_newer_server_sends() {
    let spec = spec();
    let mut seen = BTreeSet::new();
    every_operation!(&spec, seen;
        CreateChatCompletion, CreateCompletion, CreateEmbedding, CreateRerank, ListModels,
        RetrieveModel, CreateFile, ListFiles, RetrieveFile, DeleteFile,
        CreateBatch, ListBatches, RetrieveBatch, CancelBatch, CreateKnowledgeBase,
        ListKnowledgeBases, RetrieveKnowledgeBase, UpdateKnowledgeBase, DeleteKnowledgeBase,
        CreateDataSource, ListDataSources, RetrieveDataSource, DeleteDataSource, ListDocuments,
        RetrieveDocument, DeleteDocument, RetrieveChunks, ListIngestionJobs,
        RetrieveIngestionJob, CreateResponse, RetrieveResponse, CreateWebhook, ListWebhooks,
        RetrieveWebhook, UpdateWebhook, DeleteWebhook,
    );
    // The one binary body has nothing to decode.
    assert_eq!(
        operations::DownloadFileContent::RESPONSE,
        operations::ResponseKind::Binary
    );
    seen.insert((operations::DownloadFileContent::ID, 0));
    // Every operation of the spec is covered: a new one fails this test
    // until it is added above.
    let all: BTreeSet<&str> = tensoras_mock::conformance::Spec::get()
        .operation_ids()
        .collect();
    let covered: BTreeSet<&str> = seen.iter().map(|(id, _)| *id).collect();
    assert_eq!(covered, all);
    // The unknowns were really placed: status, finish reason, role, tool
    // type, data-source type, output items...
    let placed = |id: &str| seen.iter().find(|(i, _)| *i == id).map_or(0, |(_, n)| *n);
    assert!(
        placed("createChatCompletion") >= 3,
        "finish reason, role, tool-call type"
    );
    for id in [
        "retrieveBatch",
        "retrieveDataSource",
        "retrieveResponse",
        "listIngestionJobs",
        "retrieveFile",
    ] {
        assert!(placed(id) > 0, "{id}");
    }

    every_stream!(&spec; CreateChatCompletion, CreateCompletion, CreateResponse);
    let delivery = spec
        .pointer("/components/schemas/WebhookEvent")
        .expect("the webhook payload");
    assert!(check::<types::WebhookEvent>(&spec, "webhook delivery", delivery) > 0);
}

#[test]
fn unknown_values_are_kept_and_sent_back_as_they_came() {
    let reason: types::FinishReason = serde_json::from_value(json!("a_new_reason")).unwrap();
    assert_eq!(reason, types::FinishReason::Other("a_new_reason".into()));
    assert_eq!(reason.as_str(), "a_new_reason");
    assert_eq!(
        serde_json::to_value(&reason).unwrap(),
        json!("a_new_reason")
    );
    // An `Other` with a known value is that value.
    assert_eq!(
        types::FinishReason::Other("stop".into()),
        types::FinishReason::Stop
    );
    // Aliases decode to one variant and are sent in the spelling the REST
    // reference uses.
    let alias: types::FilePurpose = serde_json::from_value(json!("knowledge_base")).unwrap();
    assert_eq!(alias, types::FilePurpose::KnowledgeBase);
    assert_eq!(
        serde_json::to_value(&alias).unwrap(),
        json!("knowledge-base")
    );

    let part = json!({"type": "input_audio", "input_audio": {"data": "..."}});
    let decoded: types::ContentPart = serde_json::from_value(part.clone()).unwrap();
    assert_eq!(decoded.kind(), "input_audio");
    assert!(matches!(&decoded, types::ContentPart::Other(_)));
    assert_eq!(serde_json::to_value(&decoded).unwrap(), part);
    // A known tag whose data does not fit is kept too, rather than failing
    // the whole response (`openapi/DECISIONS.md`).
    let odd = json!({"type": "web_crawl", "config": {"seed_url": "https://docs.example.com"}});
    let decoded: types::DataSourceConfig = serde_json::from_value(odd.clone()).unwrap();
    assert_eq!(decoded.kind(), "web_crawl");
    assert_eq!(serde_json::to_value(&decoded).unwrap(), odd);
}

#[test]
fn integers_sent_as_floats_decode_and_fractions_only_in_times() {
    // Servers that compute in floating point send `10.0` for a count and
    // `time.time()` (`1712345678.9`) for a Unix time: a whole float is the
    // integer, a time keeps its whole seconds, any other fraction is an error.
    let completion = |created: &str, prompt_tokens: &str| {
        serde_json::from_str::<types::ChatCompletion>(&format!(
            r#"{{"id":"c","object":"chat.completion","created":{created},"model":"m",
                "choices":[{{"index":0.0,"message":{{"role":"assistant","content":"hi"}},"finish_reason":"stop"}}],
                "usage":{{"prompt_tokens":{prompt_tokens},"completion_tokens":null,"total_tokens":1.2e1}}}}"#
        ))
    };
    let decoded = completion("1712345678.9", "10.0").expect("floats of whole value");
    assert_eq!(decoded.created, 1_712_345_678);
    assert_eq!(decoded.choices[0].index, 0);
    let usage = decoded.usage.expect("usage");
    assert_eq!(usage.prompt_tokens, 10);
    assert_eq!(usage.completion_tokens, None);
    assert_eq!(usage.total_tokens, 12);
    assert_eq!(
        completion("1712345678", "10").unwrap().created,
        1_712_345_678
    );
    assert_eq!(
        completion("-1.5", "10").unwrap().created,
        -2,
        "whole seconds, as floor"
    );
    for (created, tokens) in [
        ("1", "10.5"),
        ("1", "1e300"),
        ("1e300", "1"),
        ("\"1\"", "1"),
    ] {
        assert!(
            completion(created, tokens).is_err(),
            "created {created}, tokens {tokens}"
        );
    }

    let chunk: types::ChatCompletionChunk = serde_json::from_str(
        r#"{"id":"c","object":"chat.completion.chunk","created":1.7e9,"model":"m",
            "choices":[{"index":1.0,"delta":{"content":"x"}}]}"#,
    )
    .expect("a chunk");
    assert_eq!((chunk.created, chunk.choices[0].index), (1_700_000_000, 1));

    // Optional members: a float, `null`, or left out.
    let rerank: types::RerankRequest =
        serde_json::from_str(r#"{"model":"m","query":"q","documents":["a"],"top_n":3.0}"#)
            .expect("a rerank request");
    assert_eq!(rerank.top_n, Some(3));
    for top_n in [r#","top_n":null"#, ""] {
        let rerank: types::RerankRequest = serde_json::from_str(&format!(
            r#"{{"model":"m","query":"q","documents":["a"]{top_n}}}"#
        ))
        .expect("a rerank request");
        assert_eq!(rerank.top_n, None, "{top_n:?}");
    }
    // A `u64` past `i64`'s range, as a float of whole value.
    let rerank: types::RerankRequest =
        serde_json::from_str(r#"{"model":"m","query":"q","documents":["a"],"top_n":1e19}"#)
            .expect("a rerank request");
    assert_eq!(rerank.top_n, Some(10_000_000_000_000_000_000));
    // `i64`'s bounds: -2^63 is one, 2^63 is past it.
    assert_eq!(
        completion("-9.223372036854775808e18", "1").unwrap().created,
        i64::MIN
    );
    assert!(completion("9.223372036854775808e18", "1").is_err());
    // A required time is still required.
    assert!(completion("null", "1").is_err());
    // An optional time with a fraction.
    let batch: types::Batch = serde_json::from_str(
        r#"{"id":"batch_1","object":"batch","endpoint":"/v1/chat/completions","input_file_id":"file_1",
            "completion_window":"24h","status":"completed","created_at":1.7e9,"completed_at":1700000100.75,
            "failed_at":null}"#,
    )
    .expect("a batch");
    assert_eq!(batch.created_at, 1_700_000_000);
    assert_eq!(batch.completed_at, Some(1_700_000_100));
    assert_eq!(batch.failed_at, None);
    assert_eq!(batch.expires_at, None);
    // Inside a union's payload (decoded from a `Value`): still the known variant.
    let event: types::ResponseStreamEvent = serde_json::from_str(
        r#"{"type":"response.output_text.delta","output_index":0.0,"content_index":0,"delta":"x","sequence_number":3.0}"#,
    )
    .expect("an event");
    let types::ResponseStreamEvent::OutputTextDelta(delta) = &event else {
        panic!("{event:?}");
    };
    assert_eq!(delta.sequence_number, Some(3));
    for bad in ["-1", "-1.0", "2.5"] {
        let refused = serde_json::from_str::<types::RerankRequest>(&format!(
            r#"{{"model":"m","query":"q","documents":["a"],"top_n":{bad}}}"#
        ));
        assert!(refused.is_err(), "top_n {bad}");
    }
}
