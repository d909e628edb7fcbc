//! `client.chat().completions()`: chat completions, streaming, structured outputs, tools, RAG.

use crate::client::{Body, Tensoras};
use crate::error::{Error, Result};
use crate::sse::EventStream;
use crate::types::{
    ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatMessage, FunctionDefinition,
    JsonSchemaConfig, MessageContent, ResponseFormat, ResponseFormatJsonObject,
    ResponseFormatJsonSchema, StreamOptions, Tool, ToolCall,
};
use reqwest::header::{HeaderValue, ACCEPT};
use reqwest::Method;
use serde::de::DeserializeOwned;

/// The `chat` namespace.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use tensoras::{messages::user, ChatRequest};
/// let completions = client.chat().completions();
/// let reply = completions.create(ChatRequest::new("llama-3.3-70b", [user("Hi")])).await?;
/// println!("{}", tensoras::text_of(&reply));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Chat(pub(crate) Tensoras);

impl Chat {
    /// Chat completions.
    pub fn completions(&self) -> Completions {
        Completions(self.0.clone())
    }
}

/// `POST /chat/completions`.
///
/// ```no_run
/// # async fn run(client: tensoras::Tensoras) -> Result<(), Box<dyn std::error::Error>> {
/// use futures::StreamExt;
/// use tensoras::{messages::user, ChatAccumulator, ChatRequest};
/// let request = ChatRequest::new("llama-3.3-70b", [user("Write a haiku.")]);
/// let reply = client.chat().completions().create(request.clone()).await?;
/// println!("{}", tensoras::text_of(&reply));
/// let mut stream = client.chat().completions().create_stream(request).await?;
/// let mut whole = ChatAccumulator::default();
/// while let Some(chunk) = stream.next().await {
///     whole.push(&chunk?);
/// }
/// println!("{}", tensoras::text_of(&whole.finish()));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Completions(pub(crate) Tensoras);

/// The stream [`Completions::create_stream`] returns.
pub type ChatStream = EventStream<ChatCompletionChunk>;

impl Completions {
    /// Creates a completion. `stream` in the request is ignored (forced off);
    /// use [`create_stream`](Self::create_stream) to stream.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use tensoras::{ChatRequest, messages::{system, user}};
    /// let response = client.chat().completions().create(
    ///     ChatRequest::new("llama-3.3-70b", [
    ///         system("You are a helpful assistant."),
    ///         user("What is the capital of France?"),
    ///     ]).temperature(0.7).max_tokens(256),
    /// ).await?;
    /// println!("{}", tensoras::text_of(&response));
    /// # Ok(()) }
    /// ```
    pub async fn create(
        &self,
        request: impl Into<ChatCompletionRequest>,
    ) -> Result<ChatCompletion> {
        let mut request = request.into();
        request.stream = None;
        request.stream_options = None;
        self.0.post_json("chat/completions", &request).await
    }

    /// Creates a completion and streams it as typed chunks, asking for a
    /// final usage chunk. Dropping the stream closes the connection.
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// use futures::StreamExt;
    /// use tensoras::{ChatRequest, messages::user};
    /// let mut stream = client.chat().completions()
    ///     .create_stream(ChatRequest::new("llama-3.3-70b", [user("Write a short poem about APIs.")]))
    ///     .await?;
    /// while let Some(chunk) = stream.next().await {
    ///     if let Some(text) = chunk?.choices.first().and_then(|c| c.delta.content.clone()) {
    ///         print!("{text}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn create_stream(
        &self,
        request: impl Into<ChatCompletionRequest>,
    ) -> Result<ChatStream> {
        let mut request = request.into();
        request.stream = Some(true);
        if request.stream_options.is_none() {
            request.stream_options = Some(StreamOptions {
                include_usage: Some(true),
            });
        }
        let body = self.0.json_body(&request)?;
        let client = self.0.with_options(
            crate::RequestOptions::new()
                .header(ACCEPT, HeaderValue::from_static("text/event-stream")),
        );
        let response = client
            .send(Method::POST, "chat/completions", &[], Body::Json(body))
            .await?;
        Ok(EventStream::new(response))
    }

    /// Asks for JSON matching `T`'s schema (strict mode) and parses the reply
    /// into `T`. A reply that does not match is [`Error::Parse`].
    ///
    /// ```no_run
    /// # async fn run(client: tensoras::Tensoras) -> tensoras::Result<()> {
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Movie { name: String, year: i32, genre: String }
    ///
    /// use tensoras::{ChatRequest, messages::user};
    /// let (movie, _raw): (Movie, _) = client.chat().completions()
    ///     .parse(ChatRequest::new("llama-3.3-70b", [user("Tell me about Inception.")]))
    ///     .await?;
    /// println!("{} ({})", movie.name, movie.year);
    /// # Ok(()) }
    /// ```
    pub async fn parse<T: DeserializeOwned + schemars::JsonSchema>(
        &self,
        request: impl Into<ChatCompletionRequest>,
    ) -> Result<(T, ChatCompletion)> {
        let mut request = request.into();
        request.response_format = Some(json_schema_format::<T>());
        let completion = self.create(request).await?;
        let parsed = parse_content(&completion)?;
        Ok((parsed, completion))
    }
}

/// The first choice's text, or `""`.
pub fn text_of(completion: &ChatCompletion) -> &str {
    completion
        .choices
        .first()
        .and_then(|c| c.message.content.as_deref())
        .unwrap_or_default()
}

/// Parses the first choice's content as JSON into `T`.
pub fn parse_content<T: DeserializeOwned>(completion: &ChatCompletion) -> Result<T> {
    let content = text_of(completion);
    serde_json::from_str(content).map_err(|e| Error::Parse {
        message: e.to_string(),
        content_excerpt: crate::error::body_excerpt(content.as_bytes()),
    })
}

/// A strict-mode JSON schema for `T`: every object closed
/// (`additionalProperties: false`) with every property required, as
/// schema-constrained decoding expects.
///
/// ```
/// #[derive(schemars::JsonSchema)]
/// struct Movie { name: String, year: Option<i32> }
/// let schema = tensoras::strict_schema_for::<Movie>();
/// assert_eq!(schema["additionalProperties"], false);
/// assert_eq!(schema["required"], serde_json::json!(["name", "year"]));
/// ```
pub fn strict_schema_for<T: schemars::JsonSchema>() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
    if let Some(map) = schema.as_object_mut() {
        map.remove("$schema");
        map.remove("title");
    }
    make_strict(&mut schema);
    schema
}

fn make_strict(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(props)) = map.get("properties") {
                let names: Vec<serde_json::Value> = props
                    .keys()
                    .cloned()
                    .map(serde_json::Value::String)
                    .collect();
                map.insert("required".into(), serde_json::Value::Array(names));
                map.insert(
                    "additionalProperties".into(),
                    serde_json::Value::Bool(false),
                );
            }
            for child in map.values_mut() {
                make_strict(child);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(make_strict),
        _ => {}
    }
}

/// `response_format` for a strict JSON schema of `T`, named after the type.
pub fn json_schema_format<T: schemars::JsonSchema>() -> ResponseFormat {
    let schema = match strict_schema_for::<T>() {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let name: String = T::schema_name()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    ResponseFormat::JsonSchema(ResponseFormatJsonSchema {
        type_: crate::types::ResponseFormatJsonSchemaType::JsonSchema,
        json_schema: JsonSchemaConfig {
            name,
            description: None,
            schema: crate::types::JsonSchemaObject(schema),
            strict: Some(true),
        },
    })
}

/// A function tool whose parameters are `T`'s schema.
///
/// ```
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct GetWeather { city: String }
/// let tool = tensoras::function_tool::<GetWeather>("get_weather", "Get the current weather for a city.");
/// assert_eq!(tool.function.name, "get_weather");
/// ```
pub fn function_tool<T: schemars::JsonSchema>(name: &str, description: &str) -> Tool {
    let parameters = match strict_schema_for::<T>() {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    Tool {
        type_: crate::types::ToolType::Function,
        function: FunctionDefinition {
            name: name.to_owned(),
            description: Some(description.to_owned()),
            parameters: Some(crate::types::JsonSchemaObject(parameters)),
            strict: None,
        },
    }
}

/// Parses a tool call's JSON arguments into `T`.
pub fn parse_arguments<T: DeserializeOwned>(call: &ToolCall) -> Result<T> {
    serde_json::from_str(&call.function.arguments).map_err(|e| Error::Parse {
        message: format!(
            "arguments of tool call {} ({}): {e}",
            call.id, call.function.name
        ),
        content_excerpt: crate::error::body_excerpt(call.function.arguments.as_bytes()),
    })
}

/// A chat request builder that converts into the generated
/// [`ChatCompletionRequest`]; any field not covered here can be set on that
/// struct directly.
#[derive(Debug, Clone)]
#[must_use]
pub struct ChatRequest(ChatCompletionRequest);

impl ChatRequest {
    /// A request for `model` with `messages`.
    pub fn new(model: impl Into<String>, messages: impl IntoIterator<Item = ChatMessage>) -> Self {
        ChatRequest(ChatCompletionRequest {
            model: model.into(),
            messages: messages.into_iter().collect(),
            frequency_penalty: None,
            knowledge_bases: Vec::new(),
            logprobs: None,
            max_tokens: None,
            n: None,
            parallel_tool_calls: None,
            presence_penalty: None,
            response_format: None,
            seed: None,
            stop: None,
            stream: None,
            stream_options: None,
            temperature: None,
            tool_choice: None,
            tools: Vec::new(),
            top_logprobs: None,
            top_p: None,
            user: None,
        })
    }

    /// Sampling temperature, 0 to 2.
    pub fn temperature(mut self, value: f64) -> Self {
        self.0.temperature = Some(value);
        self
    }

    /// Nucleus sampling, 0 to 1.
    pub fn top_p(mut self, value: f64) -> Self {
        self.0.top_p = Some(value);
        self
    }

    /// The most tokens to generate (0 leaves it to the model).
    pub fn max_tokens(mut self, value: u64) -> Self {
        self.0.max_tokens = std::num::NonZeroU64::new(value);
        self
    }

    /// A seed for reproducible sampling.
    pub fn seed(mut self, value: i64) -> Self {
        self.0.seed = Some(value);
        self
    }

    /// Knowledge bases to ground the answer in; the response carries `citations`.
    pub fn knowledge_bases<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.0.knowledge_bases = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Tools the model may call.
    pub fn tools(mut self, tools: impl IntoIterator<Item = Tool>) -> Self {
        self.0.tools = tools.into_iter().collect();
        self
    }

    /// `auto`, `none`, `required`, or a function name.
    pub fn tool_choice(mut self, choice: impl Into<String>) -> Self {
        let choice = choice.into();
        self.0.tool_choice = Some(match choice.as_str() {
            "auto" | "none" | "required" => crate::types::ToolChoice::String(choice),
            _ => crate::types::ToolChoice::NamedToolChoice(crate::types::NamedToolChoice {
                type_: crate::types::NamedToolChoiceType::Function,
                function: crate::types::NamedToolChoiceFunction { name: choice },
            }),
        });
        self
    }

    /// Any `response_format`.
    pub fn response_format(mut self, format: ResponseFormat) -> Self {
        self.0.response_format = Some(format);
        self
    }

    /// `{"type": "json_object"}`.
    pub fn json_object(self) -> Self {
        self.response_format(ResponseFormat::JsonObject(ResponseFormatJsonObject {
            type_: crate::types::ResponseFormatJsonObjectType::JsonObject,
        }))
    }

    /// A strict JSON schema derived from `T`.
    pub fn json_schema_for<T: schemars::JsonSchema>(self) -> Self {
        self.response_format(json_schema_format::<T>())
    }

    /// Stop sequences.
    pub fn stop<S: Into<String>>(mut self, sequences: impl IntoIterator<Item = S>) -> Self {
        self.0.stop = Some(crate::types::StopSequences::Array(
            sequences.into_iter().map(Into::into).collect(),
        ));
        self
    }

    /// The end-user id.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.0.user = Some(user.into());
        self
    }
}

impl From<ChatRequest> for ChatCompletionRequest {
    fn from(value: ChatRequest) -> Self {
        value.0
    }
}

/// Builds a whole [`ChatCompletion`] from streamed chunks: content joined,
/// tool-call argument fragments joined per index, usage and citations kept.
///
/// ```
/// use tensoras::ChatAccumulator;
/// let mut acc = ChatAccumulator::default();
/// for data in [
///     r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}"#,
///     r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#,
/// ] {
///     acc.push(&serde_json::from_str(data).unwrap());
/// }
/// let completion = acc.finish();
/// assert_eq!(completion.choices[0].message.content.as_deref(), Some("Hello"));
/// assert_eq!(completion.choices[0].finish_reason.as_deref(), Some("stop"));
/// ```
#[derive(Debug, Default, Clone)]
pub struct ChatAccumulator {
    completion: Option<ChatCompletion>,
}

impl ChatAccumulator {
    /// Adds one chunk.
    pub fn push(&mut self, chunk: &ChatCompletionChunk) {
        use crate::types::{ChatChoice, ChatResponseMessage, FunctionCall, ToolCallType};
        let completion = self.completion.get_or_insert_with(|| ChatCompletion {
            id: chunk.id.clone(),
            object: "chat.completion".into(),
            created: chunk.created,
            model: chunk.model.clone(),
            choices: Vec::new(),
            usage: None,
            citations: Vec::new(),
            system_fingerprint: None,
        });
        if let Some(usage) = &chunk.usage {
            completion.usage = Some(usage.clone());
        }
        completion.citations.extend(chunk.citations.iter().cloned());
        if chunk.system_fingerprint.is_some() {
            completion.system_fingerprint = chunk.system_fingerprint.clone();
        }
        for choice in &chunk.choices {
            let index = choice.index;
            let position = match completion.choices.iter().position(|c| c.index == index) {
                Some(p) => p,
                None => {
                    completion.choices.push(ChatChoice {
                        index,
                        message: ChatResponseMessage {
                            role: "assistant".into(),
                            content: None,
                            tool_calls: Vec::new(),
                            reasoning_content: None,
                        },
                        finish_reason: None,
                        logprobs: None,
                    });
                    completion.choices.len() - 1
                }
            };
            let target = &mut completion.choices[position];
            if let Some(role) = &choice.delta.role {
                target.message.role = role.clone();
            }
            if let Some(text) = &choice.delta.content {
                target
                    .message
                    .content
                    .get_or_insert_with(String::new)
                    .push_str(text);
            }
            if let Some(text) = &choice.delta.reasoning_content {
                target
                    .message
                    .reasoning_content
                    .get_or_insert_with(String::new)
                    .push_str(text);
            }
            for delta in &choice.delta.tool_calls {
                // Tool calls are matched by their stream index, in arrival order.
                let slot = delta.index.max(0) as usize;
                while target.message.tool_calls.len() <= slot {
                    target.message.tool_calls.push(ToolCall {
                        id: String::new(),
                        type_: ToolCallType::Function,
                        function: FunctionCall {
                            name: String::new(),
                            arguments: String::new(),
                        },
                    });
                }
                let call = &mut target.message.tool_calls[slot];
                if let Some(id) = &delta.id {
                    call.id.push_str(id);
                }
                if let Some(function) = &delta.function {
                    if let Some(name) = &function.name {
                        call.function.name.push_str(name);
                    }
                    if let Some(arguments) = &function.arguments {
                        call.function.arguments.push_str(arguments);
                    }
                }
            }
            if choice.finish_reason.is_some() {
                target.finish_reason = choice.finish_reason.clone();
            }
        }
    }

    /// The completion built so far; empty when no chunk was pushed.
    pub fn finish(self) -> ChatCompletion {
        self.completion.unwrap_or_else(|| ChatCompletion {
            id: String::new(),
            object: "chat.completion".into(),
            created: 0,
            model: String::new(),
            choices: Vec::new(),
            usage: None,
            citations: Vec::new(),
            system_fingerprint: None,
        })
    }
}

/// The text of a message's content (parts joined), for convenience.
pub fn content_text(content: &MessageContent) -> String {
    match content {
        MessageContent::Variant0(text) => text.clone().unwrap_or_default(),
        MessageContent::Variant1(parts) => parts
            .iter()
            .filter_map(|p| match p {
                crate::types::ContentPart::Text(t) => Some(t.text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(""),
    }
}
