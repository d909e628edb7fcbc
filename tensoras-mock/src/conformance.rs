//! Validation of requests and responses against `openapi/tensoras.yaml`.
//!
//! The spec is read once per process and its schemas are compiled with the
//! `jsonschema` crate (draft 4, which OpenAPI 3.0's schema object is a subset
//! of). OpenAPI's `nullable: true` is not JSON Schema, so before compiling it
//! is rewritten: `type: T` becomes `type: [T, "null"]`, and a schema without a
//! `type` (a `$ref`, `allOf`, `oneOf`) becomes `anyOf: [schema, {type: null}]`.
//! A `$ref` points into the spec document itself, which is the root resource
//! of every compiled validator.

use jsonschema::Validator;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// The API's OpenAPI spec (a copy of `openapi/tensoras.yaml` the xtask keeps in step).
pub const SPEC_YAML: &str = include_str!("generated/tensoras.yaml");

/// One validation failure: where in the instance and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// A JSON pointer into the body (`/messages/0/role`).
    pub path: String,
    /// What the schema required.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "(body)"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

/// One operation of the spec with its compiled schemas.
pub struct Operation {
    /// The `operationId`.
    pub id: String,
    method: String,
    /// Path segments after the server's `/v1`; `None` stands for a `{param}`.
    segments: Vec<Option<String>>,
    request_required: bool,
    request: Option<Validator>,
    /// `(status key, validator)`: `"200"`, `"4XX"`, `"default"`.
    responses: Vec<(String, Validator)>,
    stream_event: Option<Validator>,
}

impl Operation {
    /// Whether the operation requires a JSON body.
    pub fn requires_body(&self) -> bool {
        self.request_required && self.request.is_some()
    }

    /// Whether the operation takes a JSON request body.
    pub fn takes_json_body(&self) -> bool {
        self.request.is_some()
    }

    /// Violations of the request body schema; empty when it conforms (or
    /// when the operation has no JSON body).
    pub fn check_request(&self, body: &Value) -> Vec<Violation> {
        self.request
            .as_ref()
            .map(|v| violations(v, body))
            .unwrap_or_default()
    }

    /// Violations of the response schema for `status` (exact code first,
    /// then `4XX`-style ranges, then `default`). A status the spec does not
    /// list is itself a violation.
    pub fn check_response(&self, status: u16, body: &Value) -> Vec<Violation> {
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        let validator = ["exact", "range", "default"].iter().find_map(|kind| {
            let key = match *kind {
                "exact" => exact.as_str(),
                "range" => range.as_str(),
                _ => "default",
            };
            self.responses
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        });
        match validator {
            Some(v) => violations(v, body),
            None => vec![Violation {
                path: String::new(),
                message: format!("status {status} is not a documented response"),
            }],
        }
    }

    /// Violations of one server-sent event's `data` payload, for operations
    /// whose stream declares `x-tensoras-event-data`.
    pub fn check_stream_event(&self, data: &Value) -> Vec<Violation> {
        self.stream_event
            .as_ref()
            .map(|v| violations(v, data))
            .unwrap_or_default()
    }

    fn matches(&self, method: &str, segments: &[&str]) -> bool {
        self.method.eq_ignore_ascii_case(method)
            && self.segments.len() == segments.len()
            && self
                .segments
                .iter()
                .zip(segments)
                .all(|(want, got)| want.as_deref().is_none_or(|w| w == *got))
    }
}

/// The names of the members the spec marks `writeOnly` (secrets the API
/// takes and never returns), for the server to leave out of what it returns.
pub fn write_only_members() -> &'static std::collections::BTreeSet<String> {
    static NAMES: OnceLock<std::collections::BTreeSet<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let document: Value = serde_norway::from_str(SPEC_YAML).unwrap_or_default();
        let mut names = std::collections::BTreeSet::new();
        let schemas = document["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for schema in schemas.values() {
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                if property["writeOnly"] == Value::Bool(true) {
                    names.insert(name.clone());
                }
            }
        }
        names
    })
}

/// Every operation of the spec.
pub struct Spec {
    operations: Vec<Operation>,
    /// The body of a webhook delivery (the `createWebhook` callback).
    webhook_event: Validator,
}

impl Spec {
    /// The spec of this checkout, compiled once per process.
    pub fn get() -> &'static Spec {
        static SPEC: OnceLock<Spec> = OnceLock::new();
        SPEC.get_or_init(|| {
            Spec::parse(SPEC_YAML).unwrap_or_else(|e| panic!("openapi/tensoras.yaml: {e}"))
        })
    }

    /// Compiles a spec from its YAML text.
    pub fn parse(yaml: &str) -> Result<Spec, String> {
        let mut document: Value = serde_norway::from_str(yaml).map_err(|e| e.to_string())?;
        rewrite_nullable(&mut document);
        let document = document;
        let paths = document["paths"]
            .as_object()
            .ok_or("the spec has no paths")?;
        let mut operations = Vec::new();
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    continue;
                }
                let pointer = format!("/paths/{}/{method}", escape(path));
                operations.push(compile_operation(&document, &pointer, path, method, op)?);
            }
        }
        let webhook_event = compile(&document, "/components/schemas/WebhookEvent")
            .map_err(|e| format!("WebhookEvent: {e}"))?;
        Ok(Spec {
            operations,
            webhook_event,
        })
    }

    /// Violations of a webhook delivery's body.
    pub fn check_webhook_event(&self, body: &Value) -> Vec<Violation> {
        violations(&self.webhook_event, body)
    }

    /// The operation serving `method` on `path` (which starts with `/v1`).
    pub fn find(&self, method: &str, path: &str) -> Option<&Operation> {
        let rest = path.strip_prefix("/v1")?;
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        self.operations
            .iter()
            .find(|op| op.matches(method, &segments))
    }

    /// Every operation id, in spec order.
    pub fn operation_ids(&self) -> impl Iterator<Item = &str> {
        self.operations.iter().map(|op| op.id.as_str())
    }
}

fn compile_operation(
    document: &Value,
    pointer: &str,
    path: &str,
    method: &str,
    op: &Value,
) -> Result<Operation, String> {
    let id = op["operationId"].as_str().unwrap_or(path).to_owned();
    let compile = |at: String| compile(document, &at).map_err(|e| format!("{id} {at}: {e}"));
    let request = resolve(document, &op["requestBody"]);
    let request_required = request["required"] == true;
    let request_validator = if request["content"]["application/json"]["schema"].is_object() {
        // The request body may itself be a `$ref` to components/requestBodies.
        let at = match op["requestBody"]["$ref"].as_str() {
            Some(r) => format!(
                "{}/content/application~1json/schema",
                r.strip_prefix('#').unwrap_or(r)
            ),
            None => format!("{pointer}/requestBody/content/application~1json/schema"),
        };
        Some(compile(at)?)
    } else {
        None
    };
    let mut responses = Vec::new();
    let mut stream_event = None;
    if let Some(map) = op["responses"].as_object() {
        for (status, response) in map {
            let (base, resolved) = match response["$ref"].as_str() {
                Some(r) => (
                    r.strip_prefix('#').unwrap_or(r).to_owned(),
                    resolve(document, response),
                ),
                None => (
                    format!("{pointer}/responses/{}", escape(status)),
                    response.clone(),
                ),
            };
            let content = &resolved["content"];
            if content["application/json"]["schema"].is_object() {
                let at = format!("{base}/content/application~1json/schema");
                responses.push((status.clone(), compile(at)?));
            } else if content.as_object().is_none_or(Map::is_empty) {
                // No body documented (a download, say): anything goes.
                responses.push((status.clone(), compile_value(&json!({}))?));
            }
            if content["text/event-stream"]["x-tensoras-event-data"].is_object() {
                let at = format!("{base}/content/text~1event-stream/x-tensoras-event-data");
                stream_event = Some(compile(at)?);
            }
        }
    }
    Ok(Operation {
        id,
        method: method.to_owned(),
        segments: path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
            .collect(),
        request_required,
        request: request_validator,
        responses,
        stream_event,
    })
}

/// Compiles the schema at `pointer` with the whole spec as its root resource,
/// so that `#/components/...` references resolve.
fn compile(document: &Value, pointer: &str) -> Result<Validator, String> {
    let mut root = document.clone();
    if let Some(map) = root.as_object_mut() {
        // A URI fragment: the pointer's `{param}` braces must be percent-encoded.
        let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
        map.insert("$ref".into(), Value::String(format!("#{fragment}")));
    }
    compile_value(&root)
}

fn compile_value(schema: &Value) -> Result<Validator, String> {
    jsonschema::draft4::options()
        .build(schema)
        .map_err(|e| e.to_string())
}

fn violations(validator: &Validator, instance: &Value) -> Vec<Violation> {
    validator
        .iter_errors(instance)
        .map(|e| Violation {
            path: e.instance_path().to_string(),
            message: e.to_string(),
        })
        .collect()
}

/// Follows a local `$ref` (`#/components/...`) once.
fn resolve(document: &Value, value: &Value) -> Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => document.pointer(pointer).cloned().unwrap_or(Value::Null),
        None => value.clone(),
    }
}

/// JSON-pointer escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Rewrites OpenAPI 3.0 `nullable: true` into JSON Schema, everywhere.
pub fn rewrite_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                rewrite_nullable(child);
            }
            if map.remove("nullable") != Some(Value::Bool(true)) {
                return;
            }
            // A `type` next to `allOf`/`oneOf`/`anyOf`/`$ref` only restates the
            // referenced schema's type, which rejects null on its own: the
            // whole schema is what may be null (openapi/DECISIONS.md).
            let composed = ["allOf", "oneOf", "anyOf", "$ref"]
                .iter()
                .any(|k| map.contains_key(*k));
            if let (Some(Value::String(t)), false) = (map.get("type").cloned(), composed) {
                map.insert("type".into(), json!([t, "null"]));
                if let Some(Value::Array(values)) = map.get_mut("enum") {
                    values.push(Value::Null);
                }
            } else {
                let inner = Value::Object(std::mem::take(map));
                map.insert("anyOf".into(), json!([inner, {"type": "null"}]));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_nullable),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_becomes_a_null_type() {
        let mut schema = json!({"properties": {
            "a": {"type": "string", "nullable": true},
            "b": {"$ref": "#/x", "nullable": true},
            "c": {"type": "string", "enum": ["x"], "nullable": true},
            "d": {"type": "string", "nullable": false},
            "e": {"type": "object", "allOf": [{"$ref": "#/x"}], "nullable": true}
        }});
        rewrite_nullable(&mut schema);
        assert_eq!(schema["properties"]["a"]["type"], json!(["string", "null"]));
        assert_eq!(
            schema["properties"]["b"],
            json!({"anyOf": [{"$ref": "#/x"}, {"type": "null"}]})
        );
        assert_eq!(schema["properties"]["c"]["enum"], json!(["x", null]));
        assert_eq!(schema["properties"]["d"], json!({"type": "string"}));
        assert_eq!(
            schema["properties"]["e"],
            json!({"anyOf": [{"type": "object", "allOf": [{"$ref": "#/x"}]}, {"type": "null"}]})
        );
    }

    #[test]
    fn every_operation_compiles_and_is_found_by_its_path() {
        let spec = Spec::get();
        assert_eq!(spec.operation_ids().count(), 37);
        let op = spec.find("POST", "/v1/chat/completions").expect("chat");
        assert_eq!(op.id, "createChatCompletion");
        let op = spec
            .find("GET", "/v1/knowledge-bases/kb_1/documents/doc_2")
            .expect("document");
        assert_eq!(op.id, "retrieveDocument");
        assert!(spec.find("GET", "/v1/nowhere").is_none());
        assert!(spec.find("DELETE", "/v1/chat/completions").is_none());
    }

    #[test]
    fn a_wrong_chat_request_is_reported_with_its_path() {
        let op = Spec::get()
            .find("POST", "/v1/chat/completions")
            .expect("chat");
        let good = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
        assert_eq!(op.check_request(&good), vec![]);
        let bad = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": "hot"});
        let found = op.check_request(&bad);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, "/temperature");
        let chunk = json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": null}]});
        assert_eq!(op.check_stream_event(&chunk), vec![]);
        assert!(!op
            .check_stream_event(&json!({"id": "c", "choices": "none"}))
            .is_empty());
        let missing = json!({"messages": []});
        assert!(op
            .check_request(&missing)
            .iter()
            .any(|v| v.message.contains("model")));
    }

    #[test]
    fn responses_are_checked_by_status_with_ranges() {
        let op = Spec::get().find("GET", "/v1/models/llama").expect("model");
        let error = json!({"error": {"message": "no", "type": "not_found_error", "code": null, "param": null}});
        assert_eq!(op.check_response(404, &error), vec![]);
        assert_eq!(op.check_response(503, &error), vec![]);
        assert!(!op.check_response(404, &json!({"detail": "no"})).is_empty());
        assert!(!op.check_response(200, &json!({"id": 5})).is_empty());
    }
}
