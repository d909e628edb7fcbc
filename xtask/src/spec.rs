//! Loading the OpenAPI document and the transforms that make it fit progenitor.
//!
//! Each transform is listed, with why it exists, in `xtask/README.md`. They are
//! applied to a JSON copy of the spec in memory; the checked-in spec is never
//! rewritten.

use anyhow::{Context, Result};
use serde_json::{Map, Value};
use std::path::Path;

/// What the transforms changed, reported by `cargo xtask codegen`.
#[derive(Debug, Default)]
pub struct TransformReport {
    /// Operations dropped because their request body is `multipart/form-data`.
    pub multipart_operations: Vec<String>,
    /// Operations whose `text/event-stream` response alternative was removed.
    pub event_stream_operations: Vec<String>,
    /// How many multi-value string enums were opened up into plain strings.
    pub opened_enums: usize,
    /// How many schema `default`s were moved into descriptions.
    pub moved_defaults: usize,
}

/// Reads `path` (YAML) into a JSON value.
pub fn load(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the spec {}", path.display()))?;
    serde_norway::from_str(&text).with_context(|| format!("parsing {} as YAML", path.display()))
}

/// Applies every codegen transform to `spec` in place.
pub fn transform_for_codegen(spec: &mut Value) -> TransformReport {
    let mut report = TransformReport::default();
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            drop_multipart_operations(item, &mut report);
            for operation in item.values_mut() {
                drop_event_stream_responses(operation, &mut report);
            }
        }
    }
    report.opened_enums = open_enums(spec);
    report.moved_defaults = move_defaults_to_docs(spec);
    report
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn operation_id(operation: &Value) -> String {
    operation
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or("<no operationId>")
        .to_owned()
}

/// progenitor cannot build a `multipart/form-data` body. The operation is left
/// out of the generated client (its schemas are still generated) and the
/// ergonomic crate sends it with a streamed multipart body.
fn drop_multipart_operations(item: &mut Map<String, Value>, report: &mut TransformReport) {
    for method in METHODS {
        let is_multipart = item
            .get(method)
            .and_then(|op| op.pointer("/requestBody/content"))
            .and_then(Value::as_object)
            .is_some_and(|content| content.contains_key("multipart/form-data"));
        if is_multipart {
            if let Some(op) = item.remove(method) {
                report.multipart_operations.push(operation_id(&op));
            }
        }
    }
}

/// A response with both `application/json` and `text/event-stream` is
/// generated as the JSON variant only; removing the SSE alternative makes that
/// explicit instead of relying on which media type progenitor happens to pick.
fn drop_event_stream_responses(operation: &mut Value, report: &mut TransformReport) {
    let id = operation_id(operation);
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let mut dropped = false;
    for response in responses.values_mut() {
        if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
            dropped |= content.remove("text/event-stream").is_some();
        }
    }
    if dropped {
        report.event_stream_operations.push(id);
    }
}

/// typify turns a string `enum` into a closed Rust enum, and decoding fails on
/// a value the spec does not list: a new `finish_reason` or `status` from the
/// server would break every user. String enums with two or more values become
/// plain strings (their values move into the description). One-value enums are
/// kept: they are discriminator constants that tagged unions rely on.
fn open_enums(value: &mut Value) -> usize {
    let mut opened = 0;
    match value {
        Value::Object(map) => {
            let is_open_candidate = map.get("type").and_then(Value::as_str) == Some("string")
                && map
                    .get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|e| e.len() > 1);
            if is_open_candidate {
                if let Some(Value::Array(values)) = map.remove("enum") {
                    let listed: Vec<String> = values
                        .iter()
                        .map(|v| format!("`{}`", v.as_str().unwrap_or_default()))
                        .collect();
                    let note = format!("Known values: {}.", listed.join(", "));
                    let description = match map.get("description").and_then(Value::as_str) {
                        Some(existing) => format!("{existing}\n\n{note}"),
                        None => note,
                    };
                    map.insert("description".into(), Value::String(description));
                    opened += 1;
                }
            }
            for (key, child) in map.iter_mut() {
                // Examples and defaults are data, not schemas; extensions are ours.
                if key == "example"
                    || key == "examples"
                    || key == "default"
                    || key.starts_with("x-")
                {
                    continue;
                }
                opened += open_enums(child);
            }
        }
        Value::Array(items) => {
            for item in items {
                opened += open_enums(item);
            }
        }
        _ => {}
    }
    opened
}

/// typify turns a property with a `default` into a non-optional field that is
/// always serialized, so every request would spell out `temperature: 1.0`,
/// `parallel_tool_calls: true` and the like. Servers pick per-model defaults
/// and some reject parameters that do not apply (`parallel_tool_calls`
/// without `tools`), so a client must send only what the caller set. Defaults
/// move into the description and the fields become optional.
fn move_defaults_to_docs(value: &mut Value) -> usize {
    let mut moved = 0;
    match value {
        Value::Object(map) => {
            let is_schema = map.contains_key("type") || map.contains_key("$ref");
            if is_schema {
                if let Some(default) = map.remove("default") {
                    let note = format!("Default: `{default}`.");
                    let description = match map.get("description").and_then(Value::as_str) {
                        Some(existing) => format!("{existing}\n\n{note}"),
                        None => note,
                    };
                    map.insert("description".into(), Value::String(description));
                    moved += 1;
                }
            }
            for (key, child) in map.iter_mut() {
                if key == "example" || key == "examples" || key.starts_with("x-") {
                    continue;
                }
                moved += move_defaults_to_docs(child);
            }
        }
        Value::Array(items) => {
            for item in items {
                moved += move_defaults_to_docs(item);
            }
        }
        _ => {}
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn opens_multi_value_enums_but_keeps_constants_and_examples() {
        let mut spec = json!({
            "components": {"schemas": {
                "A": {"type": "string", "enum": ["x", "y"]},
                "B": {"type": "string", "enum": ["only"]},
                "C": {"type": "object", "example": {"type": "string", "enum": ["p", "q"]}}
            }}
        });
        assert_eq!(open_enums(&mut spec), 1);
        assert!(spec.pointer("/components/schemas/A/enum").is_none());
        assert_eq!(
            spec.pointer("/components/schemas/A/description")
                .and_then(Value::as_str),
            Some("Known values: `x`, `y`.")
        );
        assert!(spec.pointer("/components/schemas/B/enum").is_some());
        assert!(spec.pointer("/components/schemas/C/example/enum").is_some());
    }

    #[test]
    fn moves_defaults_into_descriptions() {
        let mut spec =
            json!({"properties": {"t": {"type": "number", "default": 1, "description": "Temp."}}});
        assert_eq!(move_defaults_to_docs(&mut spec), 1);
        assert_eq!(
            spec.pointer("/properties/t/description")
                .and_then(Value::as_str),
            Some("Temp.\n\nDefault: `1`.")
        );
        assert!(spec.pointer("/properties/t/default").is_none());
    }

    #[test]
    fn drops_multipart_operations_and_event_streams() {
        let mut spec = json!({"paths": {
            "/files": {
                "post": {"operationId": "up", "requestBody": {"content": {"multipart/form-data": {}}}},
                "get": {"operationId": "list", "responses": {}}
            },
            "/chat": {"post": {"operationId": "chat", "responses": {"200": {"content": {
                "application/json": {}, "text/event-stream": {}
            }}}}}
        }});
        let report = transform_for_codegen(&mut spec);
        assert_eq!(report.multipart_operations, vec!["up"]);
        assert_eq!(report.event_stream_operations, vec!["chat"]);
        assert!(spec.pointer("/paths/~1files/post").is_none());
        assert!(spec.pointer("/paths/~1files/get").is_some());
        assert!(spec
            .pointer("/paths/~1chat/post/responses/200/content/text~1event-stream")
            .is_none());
    }
}
