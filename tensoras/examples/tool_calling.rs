//! Tool calling (Python SDK: "Next Steps — Tool Calling"): a function tool
//! from a Rust type, the model's call parsed into that type, and the result
//! sent back.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example tool_calling
//! ```

use schemars::JsonSchema;
use serde::Deserialize;
use tensoras::messages::{assistant_tool_calls, tool_result, user};
use tensoras::{ChatRequest, Tensoras};

/// Arguments of `get_weather`.
#[derive(Debug, Deserialize, JsonSchema)]
struct GetWeather {
    /// A city name.
    city: String,
}

#[tokio::main]
async fn main() -> Result<(), tensoras::Error> {
    let client = Tensoras::new()?;
    let tool = tensoras::function_tool::<GetWeather>("get_weather", "Current weather in a city");
    let question = user("What is the weather in Paris?");
    let first = client
        .chat()
        .completions()
        .create(ChatRequest::new("llama-3.3-70b", [question.clone()]).tools([tool.clone()]))
        .await?;
    let calls = first.choices[0].message.tool_calls.clone();
    let Some(call) = calls.first() else {
        println!("no tool call: {}", tensoras::text_of(&first));
        return Ok(());
    };
    let args: GetWeather = tensoras::parse_arguments(call)?;
    println!("the model called {} with {args:?}", call.function.name);

    let result = format!("Sunny, 21 °C in {}", args.city);
    let answer = client
        .chat()
        .completions()
        .create(
            ChatRequest::new(
                "llama-3.3-70b",
                [
                    question,
                    assistant_tool_calls(calls.clone()),
                    tool_result(&call.id, result),
                ],
            )
            .tools([tool]),
        )
        .await?;
    println!("{}", tensoras::text_of(&answer));
    Ok(())
}
