//! Structured outputs: strict JSON schemas derived from Rust types.

use crate::types::{JsonSchemaConfig, JsonSchemaObject, ResponseFormat, ResponseFormatJsonSchema};
use serde_json::Value;

/// Strict-mode JSON schemas from Rust types (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// #[derive(schemars::JsonSchema)]
/// struct Movie { name: String, year: Option<i32> }
/// let schema = JsonSchemaObject::strict_for::<Movie>();
/// assert_eq!(schema["additionalProperties"], false);
/// assert_eq!(schema["required"][0], "name");
/// assert_eq!(schema["required"][1], "year"); // optional fields are required (and nullable)
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
pub trait JsonSchemaObjectExt {
    /// `T`'s schema with every object closed (`additionalProperties: false`)
    /// and every property required, as schema-constrained decoding expects.
    fn strict_for<T: schemars::JsonSchema>() -> Self;
}

impl JsonSchemaObjectExt for JsonSchemaObject {
    fn strict_for<T: schemars::JsonSchema>() -> Self {
        let mut schema = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
        if let Some(map) = schema.as_object_mut() {
            map.remove("$schema");
            map.remove("title");
        }
        make_strict(&mut schema);
        JsonSchemaObject::from(schema)
    }
}

fn make_strict(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                let names: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                map.insert("required".into(), Value::Array(names));
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for child in map.values_mut() {
                make_strict(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(make_strict),
        _ => {}
    }
}

/// `response_format` values (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Movie { name: String, year: i32 }
/// let request = ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Inception?")])
///     .response_format(ResponseFormat::json_schema::<Movie>());
/// let sent = serde_json::to_value(&request)?;
/// assert_eq!(sent["response_format"]["type"], "json_schema");
/// assert_eq!(sent["response_format"]["json_schema"]["name"], "Movie");
/// assert_eq!(sent["response_format"]["json_schema"]["strict"], true);
/// // The other modes are variants:
/// let _ = ResponseFormat::JsonObject;
/// # Ok::<(), serde_json::Error>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
pub trait ResponseFormatExt {
    /// A strict JSON schema of `T`, named after the type.
    fn json_schema<T: schemars::JsonSchema>() -> Self;
}

impl ResponseFormatExt for ResponseFormat {
    fn json_schema<T: schemars::JsonSchema>() -> Self {
        let name: String = T::schema_name()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        ResponseFormatJsonSchema::new(
            JsonSchemaConfig::new(name, JsonSchemaObject::strict_for::<T>()).strict(true),
        )
        .into()
    }
}
