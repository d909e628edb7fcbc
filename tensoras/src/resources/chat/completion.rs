//! Reading a completion and its chunks: the reply's text, parsed JSON, the
//! delta of a chunk.

use crate::error::{Error, Result};
use crate::types::{ChatCompletion, ChatCompletionChunk, ToolCall};
use serde::de::DeserializeOwned;

/// Reading a [`ChatCompletion`] (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// let completion: ChatCompletion = serde_json::from_str(
///     r#"{"id":"c1","object":"chat.completion","created":1,"model":"m",
///         "choices":[{"index":0,"message":{"role":"assistant","content":"{\"n\":3}"}}]}"#,
/// )?;
/// assert_eq!(completion.text(), r#"{"n":3}"#);
/// #[derive(serde::Deserialize)]
/// struct N { n: u32 }
/// assert_eq!(completion.parse::<N>()?.n, 3);
/// assert!(completion.tool_calls().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait ChatCompletionExt {
    /// The first choice's text, or `""`.
    fn text(&self) -> &str;
    /// The first choice's tool calls.
    fn tool_calls(&self) -> &[ToolCall];
    /// Parses the first choice's text as JSON into `T`; a mismatch is
    /// [`Error::Parse`].
    fn parse<T: DeserializeOwned>(&self) -> Result<T>;
}

impl ChatCompletionExt for ChatCompletion {
    fn text(&self) -> &str {
        self.choices
            .first()
            .and_then(|c| c.message.content.as_deref())
            .unwrap_or_default()
    }

    fn tool_calls(&self) -> &[ToolCall] {
        self.choices
            .first()
            .map(|c| c.message.tool_calls.as_slice())
            .unwrap_or_default()
    }

    fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        let content = self.text();
        serde_json::from_str(content).map_err(|e| Error::Parse {
            message: e.to_string(),
            content_excerpt: crate::error::body_excerpt(content.as_bytes()),
        })
    }
}

/// Reading a [`ChatCompletionChunk`] (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// let chunk: ChatCompletionChunk = serde_json::from_str(
///     r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",
///         "choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
/// )?;
/// assert_eq!(chunk.delta_text(), "Hel");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait ChatCompletionChunkExt {
    /// The first choice's new text, or `""`.
    fn delta_text(&self) -> &str;
}

impl ChatCompletionChunkExt for ChatCompletionChunk {
    fn delta_text(&self) -> &str {
        self.choices
            .first()
            .and_then(|c| c.delta.content.as_deref())
            .unwrap_or_default()
    }
}
