//! Tool calling (Python SDK: "Next Steps — Tool Calling"): a function tool
//! from a Rust type, the model's call parsed into that type, and the result
//! sent back.
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example tool_calling
//! ```

use schemars::JsonSchema;
use serde::Deserialize;
use tensoras::prelude::*;

/// Arguments of `get_weather`.
#[derive(Debug, Deserialize, JsonSchema)]
struct GetWeather {
    /// A city name.
    city: String,
}

#[tokio::main]
async fn main() -> Result<(), tensoras::Error> {
    let client = Tensoras::new()?;
    let tool = Tool::function::<GetWeather>("get_weather", "Current weather in a city");
    let question = ChatMessage::user("What is the weather in Paris?");
    let first = client
        .chat()
        .completions()
        .create(
            ChatCompletionRequest::new("llama-3.3-70b", [question.clone()]).tools([tool.clone()]),
        )
        .await?;
    let Some(call) = first.tool_calls().first() else {
        println!("no tool call: {}", first.text());
        return Ok(());
    };
    let args: GetWeather = call.arguments()?;
    println!("the model called {} with {args:?}", call.function.name);

    let result = format!("Sunny, 21 °C in {}", args.city);
    let answer = client
        .chat()
        .completions()
        .create(
            ChatCompletionRequest::new(
                "llama-3.3-70b",
                [
                    question,
                    first.choices[0].message.to_message(),
                    ChatMessage::tool(&call.id, result),
                ],
            )
            .tools([tool]),
        )
        .await?;
    println!("{}", answer.text());
    Ok(())
}
