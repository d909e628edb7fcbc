//! Content capture (opt-in): the messages, system instructions and tool
//! definitions of a call, and the model's output, in the structured form
//! the GenAI conventions give (`gen_ai.input.messages` and the rest), as
//! JSON text within a size bound.

use serde_json::{json, Map, Value};

/// A message of the API's chat format (`role`, `content` as text or parts,
/// `tool_calls`, `tool_call_id`) in the conventions' form: `role` and
/// `parts` (`text`, `tool_call`, `tool_call_response`, `reasoning`, `uri`).
pub(crate) fn message(value: &Value) -> Value {
    let role = value["role"].as_str().unwrap_or("user");
    let mut parts = Vec::new();
    match &value["content"] {
        Value::String(text) if role == "tool" => parts.push(json!({
            "type": "tool_call_response",
            "id": value["tool_call_id"],
            "response": text,
        })),
        Value::String(text) => parts.push(json!({"type": "text", "content": text})),
        Value::Array(items) => parts.extend(items.iter().map(content_part)),
        _ => {}
    }
    if let Some(text) = value["reasoning_content"].as_str() {
        parts.push(json!({"type": "reasoning", "content": text}));
    }
    for call in value["tool_calls"].as_array().into_iter().flatten() {
        parts.push(tool_call(
            &call["id"],
            &call["function"]["name"],
            &call["function"]["arguments"],
        ));
    }
    let mut out = Map::new();
    out.insert("role".into(), role.into());
    out.insert("parts".into(), Value::Array(parts));
    if let Some(name) = value["name"].as_str() {
        out.insert("name".into(), name.into());
    }
    Value::Object(out)
}

/// A content part of a message: text, or an image by its URI, or (a
/// `data:` URI) as a blob with its MIME type and base64 content.
fn content_part(item: &Value) -> Value {
    match item["type"].as_str() {
        Some("text") | Some("input_text") | Some("output_text") => {
            json!({"type": "text", "content": item["text"]})
        }
        Some("image_url") => {
            let uri = item["image_url"]["url"].as_str().unwrap_or_default();
            match uri
                .strip_prefix("data:")
                .and_then(|rest| rest.split_once(";base64,"))
            {
                Some((mime_type, data)) => json!({"type": "blob", "modality": "image",
                    "mime_type": mime_type, "content": data}),
                None => json!({"type": "uri", "modality": "image", "uri": uri}),
            }
        }
        Some("refusal") => json!({"type": "text", "content": item["refusal"]}),
        Some(other) => json!({"type": other}),
        None => json!({"type": "text", "content": item}),
    }
}

/// A tool call part; its arguments as JSON when they parse, else as sent.
pub(crate) fn tool_call(id: &Value, name: &Value, arguments: &Value) -> Value {
    let arguments = match arguments.as_str() {
        Some(text) => serde_json::from_str(text).unwrap_or_else(|_| text.into()),
        None => arguments.clone(),
    };
    json!({"type": "tool_call", "id": id, "name": name, "arguments": arguments})
}

/// An output message: a chat choice's message with its finish reason.
pub(crate) fn output_message(message: &Value, finish_reason: Option<&str>) -> Value {
    let mut out = self::message(message);
    if let (Some(reason), Value::Object(map)) = (finish_reason, &mut out) {
        map.insert("finish_reason".into(), reason.into());
    }
    out
}

/// Tool definitions (`{"type": "function", "function": {...}}` or a
/// Responses tool) in the conventions' flat form.
pub(crate) fn tool_definition(tool: &Value) -> Value {
    let function = tool.get("function").unwrap_or(tool);
    let mut out = Map::new();
    out.insert(
        "type".into(),
        tool.get("type")
            .cloned()
            .unwrap_or_else(|| "function".into()),
    );
    for key in ["name", "description", "parameters"] {
        if let Some(value) = function.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    Value::Object(out)
}

/// Members whose text is structure, not content: never cut.
const KEEP: [&str; 8] = [
    "type",
    "role",
    "name",
    "id",
    "finish_reason",
    "modality",
    "mime_type",
    "call_id",
];

/// `values` as JSON text of at most `limit` bytes: whole when it fits;
/// otherwise the texts in them (content, arguments, responses, URIs,
/// descriptions: not the structure's `type`, `role`, `name`, ids) are cut to
/// a share of the limit, marked `…`, and the oldest entries are left out
/// until it fits (at the least, `[]`). Each entry is serialized a bounded
/// number of times, however long the history.
pub(crate) fn bounded(mut values: Vec<Value>, limit: usize) -> String {
    let size = |v: &Value| v.to_string().len();
    let mut sizes: Vec<usize> = values.iter().map(size).collect();
    // Brackets and commas: the array's own bytes.
    let total = |sizes: &[usize]| sizes.iter().sum::<usize>() + sizes.len().saturating_sub(1) + 2;
    if total(&sizes) > limit {
        let texts = values.iter().map(count_texts).sum::<usize>().max(1);
        let share = (limit / texts).max(MIN_CUT);
        for (value, size) in values.iter_mut().zip(&mut sizes) {
            truncate_texts(value, share);
            *size = value.to_string().len();
        }
        // The oldest entries out until the rest fits (one at the least).
        let mut first = 0;
        while total(&sizes[first..]) > limit && first + 1 < values.len() {
            first += 1;
        }
        values.drain(..first);
        sizes.drain(..first);
        // One entry left over the bound: cut its texts shorter.
        let mut share = share;
        while total(&sizes) > limit && share > MIN_CUT {
            share = (share / 2).max(MIN_CUT);
            if let (Some(value), Some(size)) = (values.first_mut(), sizes.first_mut()) {
                truncate_texts(value, share);
                *size = value.to_string().len();
            }
        }
    }
    let text = Value::Array(values).to_string();
    if text.len() <= limit {
        text
    } else if limit >= 2 {
        "[]".into()
    } else {
        String::new()
    }
}

/// The shortest a text is cut to: the mark and a character or so.
const MIN_CUT: usize = 8;

fn count_texts(value: &Value) -> usize {
    match value {
        Value::Array(items) => items.iter().map(count_texts).sum(),
        Value::Object(map) => map
            .iter()
            .map(|(key, v)| match v {
                Value::String(_) if KEEP.contains(&key.as_str()) => 0,
                Value::String(_) => 1,
                other => count_texts(other),
            })
            .sum(),
        Value::String(_) => 1,
        _ => 0,
    }
}

/// Cuts every text longer than `max` bytes (at least [`MIN_CUT`]) at a
/// character boundary, marking the cut with `…`; structural members stay.
fn truncate_texts(value: &mut Value, max: usize) {
    match value {
        Value::String(text) => cut(text, max),
        Value::Array(items) => items.iter_mut().for_each(|v| truncate_texts(v, max)),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if !(v.is_string() && KEEP.contains(&key.as_str())) {
                    truncate_texts(v, max);
                }
            }
        }
        _ => {}
    }
}

fn cut(text: &mut String, max: usize) {
    let max = max.max(MIN_CUT);
    if text.len() <= max {
        return;
    }
    let mut at = max - '…'.len_utf8();
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text.truncate(at);
    text.push('…');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_messages_take_the_conventions_form() {
        let user = json!({"role": "user", "content": "Weather in Paris?"});
        assert_eq!(
            message(&user),
            json!({"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]})
        );
        let call = json!({"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris\"}"}}]});
        assert_eq!(
            message(&call),
            json!({"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather",
                "arguments": {"location": "Paris"}}]})
        );
        let result = json!({"role": "tool", "tool_call_id": "call_1", "content": "rainy, 57°F"});
        assert_eq!(
            message(&result),
            json!({"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "rainy, 57°F"}]})
        );
        let parts = json!({"role": "user", "content": [{"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]});
        assert_eq!(
            message(&parts)["parts"],
            json!([{"type": "text", "content": "What is this?"},
                {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "AAAA"}])
        );
    }

    #[test]
    fn what_is_recorded_stays_within_its_bound() {
        let long = "é".repeat(5000);
        let values: Vec<Value> = (0..10)
            .map(|i| json!({"role": "user", "parts": [{"type": "text", "content": format!("{i}{long}")}]}))
            .collect();
        for limit in [0, 1, 2, 40, 100, 1000, 16 << 10] {
            let text = bounded(values.clone(), limit);
            assert!(text.len() <= limit, "{limit}: {}", text.len());
            if limit >= 2 {
                assert!(
                    serde_json::from_str::<Value>(&text).is_ok(),
                    "{limit}: {text}"
                );
            }
        }
        // What fits is kept whole.
        let small = vec![json!({"role": "user", "parts": []})];
        let kept: Value = serde_json::from_str(&bounded(small.clone(), 1000)).unwrap();
        assert_eq!(kept, Value::Array(small));
        // The newest messages are the ones kept, and the structure whole.
        let text = bounded(values, 1000);
        assert!(text.contains("\"9"), "{text}");
        let kept: Value = serde_json::from_str(&text).unwrap();
        for message in kept.as_array().unwrap() {
            assert_eq!(message["role"], "user");
            assert_eq!(message["parts"][0]["type"], "text");
        }
        // A long history: the newest messages kept, within the bound.
        let history: Vec<Value> = (0..5000)
            .map(|i| json!({"role": "user", "parts": [{"type": "text", "content": format!("{i} {}", "x".repeat(400))}]}))
            .collect();
        let text = bounded(history, 16 << 10);
        assert!(text.len() <= 16 << 10);
        assert!(text.contains("4999"), "the newest kept");
    }
}
