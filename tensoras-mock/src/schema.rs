//! A value that satisfies a JSON schema, for structured outputs and tool
//! arguments: every property (so every required one), `$ref` into `$defs` /
//! `definitions`, `allOf` / `anyOf` / `oneOf`, enums and constants, arrays
//! with their `minItems`, nullable types, string lengths and formats,
//! numeric bounds, `maxItems`. Strings carry the question, so answers differ
//! per prompt. Not followed: `pattern`, `uniqueItems`, `multipleOf` and
//! exclusive bounds (a value may break them), and a reference outside the
//! document (`null` there).

use serde_json::{json, Map, Value};

/// How deep references are followed: a recursive type (a tree) stops there,
/// with `null` where the schema allows it and the smallest value otherwise.
const MAX_DEPTH: usize = 24;

/// The schema every value satisfies (an array without `items`).
static ANY: Value = Value::Bool(true);

/// A value of `schema` (the root, holding any `$defs`), from `question`.
pub(crate) fn sample(schema: &Value, question: &str) -> Value {
    Sampler {
        root: schema,
        question,
        budget: std::cell::Cell::new(BUDGET),
    }
    .value(schema, 0)
}

/// Past this depth every value is the smallest of its type, required
/// members or not: a type that must contain itself (`children: Vec<Self>`
/// with `minItems`, a required self-reference) still ends.
const HARD_DEPTH: usize = 2 * MAX_DEPTH;
/// How many values one sample may hold before the rest are the smallest of
/// their types (nested `minItems` would otherwise multiply).
const BUDGET: usize = 10_000;

struct Sampler<'a> {
    root: &'a Value,
    question: &'a str,
    budget: std::cell::Cell<usize>,
}

impl Sampler<'_> {
    fn resolve<'v>(&'v self, schema: &'v Value) -> &'v Value {
        let mut current = schema;
        // Chains of references (`A -> B -> C`), bounded.
        for _ in 0..MAX_DEPTH {
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                return current;
            };
            let Some(pointer) = reference.strip_prefix('#') else {
                return &Value::Null;
            };
            match self.root.pointer(pointer) {
                Some(target) => current = target,
                None => return &Value::Null,
            }
        }
        &Value::Null
    }

    fn value(&self, schema: &Value, depth: usize) -> Value {
        let schema = self.resolve(schema);
        // A reference that leads nowhere (or out of the document).
        if schema.is_null() {
            return Value::Null;
        }
        let left = self.budget.get();
        if left == 0 || depth >= HARD_DEPTH {
            return smallest(schema);
        }
        self.budget.set(left - 1);
        if let Some(value) = fixed(schema) {
            return value;
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            return self.all_of(schema, all, depth);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(options) = schema.get(key).and_then(Value::as_array) {
                // The first option that is not `null`, unless only `null` is left
                // or the recursion is deep (then `null` ends it, if allowed).
                let nullable = options.iter().any(|o| self.is_null(o));
                if nullable && depth >= MAX_DEPTH {
                    return Value::Null;
                }
                return options
                    .iter()
                    .find(|o| !self.is_null(o))
                    .map_or(Value::Null, |o| self.value(o, depth + 1));
            }
        }
        let kind = match schema.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(types)) => {
                let nullable = types.iter().any(|t| t == "null");
                if nullable && depth >= MAX_DEPTH {
                    return Value::Null;
                }
                types
                    .iter()
                    .filter_map(Value::as_str)
                    .find(|t| *t != "null")
                    .unwrap_or("null")
            }
            _ if schema.get("properties").is_some() => "object",
            _ if schema.get("items").is_some() => "array",
            _ => "string",
        };
        if schema.get("nullable") == Some(&Value::Bool(true)) && depth >= MAX_DEPTH {
            return Value::Null;
        }
        match kind {
            "object" => self.object(schema, depth),
            "array" => {
                // One item, or `minItems` (up to 1,024), within `maxItems`.
                let count = schema
                    .get("minItems")
                    .and_then(Value::as_u64)
                    .unwrap_or(u64::from(depth < MAX_DEPTH))
                    .min(
                        schema
                            .get("maxItems")
                            .and_then(Value::as_u64)
                            .unwrap_or(u64::MAX),
                    )
                    .min(1024);
                let items = schema.get("items").unwrap_or(&ANY);
                Value::Array((0..count).map(|_| self.value(items, depth + 1)).collect())
            }
            "integer" => {
                let n = self.question.len() as i64;
                json!(clamp_i64(n, schema))
            }
            "number" => {
                let n = self.question.len() as f64 / 2.0;
                json!(clamp_f64(n, schema))
            }
            "boolean" => json!(true),
            "null" => Value::Null,
            _ => json!(self.string(schema)),
        }
    }

    fn is_null(&self, schema: &Value) -> bool {
        let schema = self.resolve(schema);
        schema.get("type") == Some(&json!("null"))
    }

    fn object(&self, schema: &Value, depth: usize) -> Value {
        let mut out = Map::new();
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                // Deep in a recursive type, optional members are left out.
                if depth >= MAX_DEPTH && !required.contains(&name.as_str()) {
                    continue;
                }
                out.insert(name.clone(), self.value(property, depth + 1));
            }
        }
        // A required member with no schema of its own: a string.
        for name in required {
            out.entry(name.to_owned())
                .or_insert_with(|| json!(self.question));
        }
        Value::Object(out)
    }

    fn all_of(&self, schema: &Value, parts: &[Value], depth: usize) -> Value {
        // Merged objects; otherwise the first part decides.
        let values: Vec<Value> = parts.iter().map(|p| self.value(p, depth + 1)).collect();
        if values.iter().all(Value::is_object) {
            let mut merged = Map::new();
            for value in values {
                if let Value::Object(members) = value {
                    merged.extend(members);
                }
            }
            if let Value::Object(own) = self.object(schema, depth) {
                merged.extend(own);
            }
            return Value::Object(merged);
        }
        values.into_iter().next().unwrap_or(Value::Null)
    }

    fn string(&self, schema: &Value) -> String {
        let text = match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => "2024-02-28T12:30:56Z".to_owned(),
            Some("date") => "2024-02-28".to_owned(),
            Some("time") => "12:30:56".to_owned(),
            Some("email") => "user@example.com".to_owned(),
            Some("uri" | "url") => "https://example.com/".to_owned(),
            Some("uuid") => "00000000-0000-4000-8000-000000000000".to_owned(),
            _ => self.question.to_owned(),
        };
        let min = schema
            .get("minLength")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .min(4096) as usize;
        let max = schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .map(|m| m.min(1 << 20) as usize);
        let mut chars: Vec<char> = text.chars().collect();
        if let Some(max) = max {
            chars.truncate(max);
        }
        while chars.len() < min {
            chars.push('x');
        }
        chars.into_iter().collect()
    }
}

/// The value a schema fixes: its `const`, or the first of its `enum`.
fn fixed(schema: &Value) -> Option<Value> {
    schema.get("const").cloned().or_else(|| {
        schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
            .cloned()
    })
}

/// The smallest value of a schema's type, without looking inside it.
fn smallest(schema: &Value) -> Value {
    if let Some(value) = fixed(schema) {
        return value;
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) if types.iter().any(|t| t == "null") => "null",
        Some(Value::Array(types)) => types.first().and_then(Value::as_str).unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ if schema.get("items").is_some() => "array",
        _ => "null",
    };
    match kind {
        "object" => json!({}),
        "array" => json!([]),
        "integer" => json!(clamp_i64(0, schema)),
        "number" => json!(clamp_f64(0.0, schema)),
        "boolean" => json!(false),
        "string" => json!(""),
        _ => Value::Null,
    }
}

fn clamp_i64(n: i64, schema: &Value) -> i64 {
    let mut n = n;
    if let Some(min) = schema.get("minimum").and_then(Value::as_i64) {
        n = n.max(min);
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_i64) {
        n = n.min(max);
    }
    n
}

fn clamp_f64(n: f64, schema: &Value) -> f64 {
    let mut n = n;
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
        n = n.max(min);
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
        n = n.min(max);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::sample;
    use serde_json::json;

    #[test]
    fn follows_refs_required_enums_and_arrays() {
        // The shape schemars gives a struct with a nested struct and an enum.
        let schema = json!({
            "type": "object",
            "required": ["name", "address", "tags", "kind", "age"],
            "properties": {
                "name": {"type": "string"},
                "age": {"type": "integer", "minimum": 18},
                "address": {"$ref": "#/$defs/Address"},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "kind": {"$ref": "#/$defs/Kind"},
                "nick": {"type": ["string", "null"]}
            },
            "$defs": {
                "Address": {"type": "object", "required": ["city", "zip"],
                    "properties": {"city": {"type": "string"}, "zip": {"type": "integer"}}},
                "Kind": {"type": "string", "enum": ["person", "robot"]}
            }
        });
        assert_eq!(
            sample(&schema, "Ada"),
            json!({"name": "Ada", "age": 18, "address": {"city": "Ada", "zip": 3},
                "tags": ["Ada", "Ada"], "kind": "person", "nick": "Ada"})
        );
    }

    #[test]
    fn a_recursive_type_ends() {
        let schema = json!({"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object",
            "required": ["value"], "properties": {"value": {"type": "integer"},
            "next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}}}}});
        let value = sample(&schema, "q");
        let mut depth = 0;
        let mut node = &value;
        while let Some(next) = node.get("next").filter(|n| !n.is_null()) {
            node = next;
            depth += 1;
            assert!(depth < 100, "unbounded");
        }
        assert_eq!(node["value"], 1);
    }

    #[test]
    fn arrays_keep_within_their_item_bounds() {
        let at_most_none = json!({"type": "array", "items": {"type": "integer"}, "maxItems": 0});
        assert_eq!(sample(&at_most_none, "q"), json!([]));
        let many = json!({"type": "array", "items": {"type": "boolean"}, "minItems": 40});
        assert_eq!(sample(&many, "q").as_array().map(Vec::len), Some(40));
        let huge = json!({"type": "array", "minItems": u64::MAX});
        assert_eq!(sample(&huge, "q").as_array().map(Vec::len), Some(1024));
    }

    #[test]
    fn types_that_must_contain_themselves_end() {
        // `struct Node { value: i32, children: Vec<Node> }`, children required.
        let tree = json!({"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object",
            "required": ["value", "children"], "properties": {"value": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}, "minItems": 1}}}}});
        let value = sample(&tree, "q");
        assert_eq!(value["value"], 1);
        assert!(value["children"].is_array());
        // A required self-reference, and an allOf of the root.
        let itself =
            json!({"type": "object", "required": ["me"], "properties": {"me": {"$ref": "#"}}});
        assert!(sample(&itself, "q").is_object());
        assert_eq!(sample(&json!({"allOf": [{"$ref": "#"}]}), "q"), json!(null));
    }

    #[test]
    fn nested_min_items_stay_within_the_budget() {
        let cube = json!({"type": "array", "minItems": 1024, "items": {"type": "array", "minItems": 1024,
            "items": {"type": "array", "minItems": 1024, "items": {"type": "integer"}}}});
        let value = sample(&cube, "q");
        fn count(v: &serde_json::Value) -> usize {
            match v {
                serde_json::Value::Array(items) => 1 + items.iter().map(count).sum::<usize>(),
                _ => 1,
            }
        }
        let values = count(&value);
        assert!(values < 3 * 1024 * 1024 / 100, "{values} values");
        assert_eq!(value.as_array().map(Vec::len), Some(1024));
    }

    #[test]
    fn a_dangling_ref_is_null_not_a_panic() {
        assert_eq!(
            sample(&json!({"$ref": "#/$defs/Missing"}), "q"),
            json!(null)
        );
        assert_eq!(sample(&json!({"$ref": "other.json#/x"}), "q"), json!(null));
    }
}
