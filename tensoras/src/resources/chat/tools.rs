//! Tools from Rust types, the model's calls parsed back into them, and the
//! choice of tool.

use crate::error::{Error, Result};
#[cfg(feature = "schemars")]
use crate::resources::chat::JsonSchemaObjectExt;
#[cfg(feature = "schemars")]
use crate::types::{FunctionDefinition, JsonSchemaObject, Tool};
use crate::types::{NamedFunction, NamedToolChoice, ToolCall, ToolChoice};
use serde::de::DeserializeOwned;

/// Function tools whose parameters are a Rust type (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct GetWeather { city: String }
/// let tool = Tool::function::<GetWeather>("get_weather", "Get the current weather for a city.");
/// assert_eq!(tool.function.name, "get_weather");
/// assert_eq!(tool.function.parameters.as_ref().unwrap()["required"][0], "city");
/// assert_eq!(tool.function.strict, Some(true));
/// ```
#[cfg(feature = "schemars")]
#[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
pub trait ToolExt {
    /// A function tool named `name` whose parameters are `T`'s strict schema
    /// (every property required, no others allowed), sent with
    /// `"strict": true` as openai-python's `pydantic_function_tool` does, so
    /// the server holds the model's arguments to it.
    fn function<T: schemars::JsonSchema>(
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self;
}

#[cfg(feature = "schemars")]
impl ToolExt for Tool {
    fn function<T: schemars::JsonSchema>(
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Tool::new(
            FunctionDefinition::new(name)
                .description(description)
                .parameters(JsonSchemaObject::strict_for::<T>())
                .strict(true),
        )
    }
}

/// A tool call's arguments parsed into a Rust type (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// #[derive(serde::Deserialize)]
/// struct GetWeather { city: String }
/// let call: ToolCall = serde_json::from_str(
///     r#"{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}"#,
/// )?;
/// assert_eq!(call.arguments::<GetWeather>()?.city, "Paris");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait ToolCallExt {
    /// Parses the JSON arguments into `T`; a mismatch is [`Error::Parse`].
    fn arguments<T: DeserializeOwned>(&self) -> Result<T>;
}

impl ToolCallExt for ToolCall {
    fn arguments<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.function.arguments).map_err(|e| Error::Parse {
            message: format!(
                "arguments of tool call {} ({}): {e}",
                self.id, self.function.name
            ),
            content_excerpt: crate::error::body_excerpt(self.function.arguments.as_bytes()),
        })
    }
}

/// A named function as the tool choice (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// let forced = ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Weather?")])
///     .tool_choice(ToolChoice::function("get_weather"));
/// let auto = ChatCompletionRequest::new("llama-3.3-70b", [ChatMessage::user("Hi")])
///     .tool_choice(ToolChoiceMode::Auto);
/// assert_eq!(serde_json::to_value(&forced)?["tool_choice"]["function"]["name"], "get_weather");
/// assert_eq!(serde_json::to_value(&auto)?["tool_choice"], "auto");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait ToolChoiceExt {
    /// The model must call the function `name`.
    fn function(name: impl Into<String>) -> Self;
}

impl ToolChoiceExt for ToolChoice {
    fn function(name: impl Into<String>) -> Self {
        ToolChoice::Function(NamedToolChoice::new(NamedFunction::new(name)))
    }
}
