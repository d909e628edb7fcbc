//! Building the messages of a conversation and reading their content.

use crate::types::{
    ChatMessage, ChatResponseMessage, ContentPart, ContentPartImage, ContentPartText, ImageUrl,
    MessageContent, Role, ToolCall,
};
use std::borrow::Cow;

/// Messages by role, and images added to one (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// let conversation = [
///     ChatMessage::system("Be brief."),
///     ChatMessage::user("What is in this picture?").with_image("https://example.com/cat.png"),
///     ChatMessage::tool("call_1", r#"{"ok":true}"#),
/// ];
/// assert_eq!(conversation[1].role, Role::User);
/// let parts = serde_json::to_value(&conversation[1])?;
/// assert_eq!(parts["content"][1]["type"], "image_url");
/// assert_eq!(conversation[2].tool_call_id.as_deref(), Some("call_1"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait ChatMessageExt: Sized {
    /// A `system` message.
    fn system(content: impl Into<String>) -> Self;
    /// A `developer` message.
    fn developer(content: impl Into<String>) -> Self;
    /// A `user` message.
    fn user(content: impl Into<String>) -> Self;
    /// An `assistant` message (a previous reply).
    fn assistant(content: impl Into<String>) -> Self;
    /// An `assistant` turn that called tools, to send back with their results.
    fn assistant_tool_calls(calls: impl IntoIterator<Item = ToolCall>) -> Self;
    /// A `tool` message with the result of the call `tool_call_id`.
    fn tool(tool_call_id: impl Into<String>, content: impl Into<String>) -> Self;
    /// The message with an image added after its content (an https URL or
    /// a `data:` URI).
    fn with_image(self, url: impl Into<String>) -> Self;
}

fn text_message(role: Role, content: impl Into<String>) -> ChatMessage {
    ChatMessage::new(role).content(content.into())
}

impl ChatMessageExt for ChatMessage {
    fn system(content: impl Into<String>) -> Self {
        text_message(Role::System, content)
    }

    fn developer(content: impl Into<String>) -> Self {
        text_message(Role::Developer, content)
    }

    fn user(content: impl Into<String>) -> Self {
        text_message(Role::User, content)
    }

    fn assistant(content: impl Into<String>) -> Self {
        text_message(Role::Assistant, content)
    }

    fn assistant_tool_calls(calls: impl IntoIterator<Item = ToolCall>) -> Self {
        ChatMessage::new(Role::Assistant).tool_calls(calls)
    }

    fn tool(tool_call_id: impl Into<String>, content: impl Into<String>) -> Self {
        text_message(Role::Tool, content).tool_call_id(tool_call_id)
    }

    fn with_image(mut self, url: impl Into<String>) -> Self {
        let image = ContentPart::image_url(url);
        let parts = match self.content.take() {
            None => vec![image],
            Some(MessageContent::Text(text)) => vec![ContentPart::text(text), image],
            Some(MessageContent::Parts(mut parts)) => {
                parts.push(image);
                parts
            }
            // A content shape this version does not know: kept, image after it.
            Some(other) => {
                self.content = Some(other);
                return self;
            }
        };
        self.content = Some(MessageContent::Parts(parts));
        self
    }
}

/// Content parts by kind (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// let parts = vec![
///     ContentPart::text("What is this?"),
///     ContentPart::image_url("data:image/png;base64,iVBORw0KGgo="),
/// ];
/// let message = ChatMessage::new(Role::User).content(parts);
/// assert_eq!(message.content.unwrap().text(), "What is this?");
/// ```
pub trait ContentPartExt {
    /// A text part.
    fn text(text: impl Into<String>) -> Self;
    /// An image part: an https URL or a `data:` URI with base64 image data.
    fn image_url(url: impl Into<String>) -> Self;
}

impl ContentPartExt for ContentPart {
    fn text(text: impl Into<String>) -> Self {
        ContentPart::Text(ContentPartText::new(text))
    }

    fn image_url(url: impl Into<String>) -> Self {
        ContentPart::ImageUrl(ContentPartImage::new(ImageUrl::new(url)))
    }
}

/// The text of a message's content (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// assert_eq!(MessageContent::from("hi").text(), "hi");
/// ```
pub trait MessageContentExt {
    /// The text, with the text parts joined; images and unknown parts are
    /// left out.
    fn text(&self) -> Cow<'_, str>;
}

impl MessageContentExt for MessageContent {
    fn text(&self) -> Cow<'_, str> {
        match self {
            MessageContent::Text(text) => Cow::Borrowed(text),
            MessageContent::Parts(parts) => Cow::Owned(
                parts
                    .iter()
                    .filter_map(|p| match p {
                        ContentPart::Text(t) => Some(t.text.as_str()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => Cow::Borrowed(""),
        }
    }
}

/// Turning a reply into the next request's history (in [`prelude`](crate::prelude)).
///
/// ```
/// use tensoras::prelude::*;
/// let reply: ChatResponseMessage =
///     serde_json::from_str(r#"{"role":"assistant","content":"Paris."}"#)?;
/// let history = [ChatMessage::user("Capital of France?"), reply.to_message()];
/// assert_eq!(history[1].role, Role::Assistant);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait ChatResponseMessageExt {
    /// The reply as a message to send back, tool calls included.
    fn to_message(&self) -> ChatMessage;
}

impl ChatResponseMessageExt for ChatResponseMessage {
    fn to_message(&self) -> ChatMessage {
        let mut message = ChatMessage::new(self.role.clone()).tool_calls(self.tool_calls.clone());
        if let Some(text) = &self.content {
            message = message.content(text.as_str());
        }
        message
    }
}
