//! Short constructors for chat messages.
//!
//! ```
//! use tensoras::messages::{system, user, tool_result};
//! let conversation = [system("Be brief."), user("Hi"), tool_result("call_1", "{\"ok\":true}")];
//! assert_eq!(conversation[2].role, "tool");
//! ```

use crate::types::{
    ChatMessage, ContentPart, ContentPartImage, ContentPartText, ImageUrl, MessageContent, ToolCall,
};

fn message(role: &str, content: Option<MessageContent>) -> ChatMessage {
    ChatMessage {
        role: role.to_owned(),
        content,
        name: None,
        tool_call_id: None,
        tool_calls: Vec::new(),
    }
}

fn text(content: impl Into<String>) -> Option<MessageContent> {
    Some(MessageContent::Variant0(Some(content.into())))
}

/// A `system` message.
pub fn system(content: impl Into<String>) -> ChatMessage {
    message("system", text(content))
}

/// A `user` message.
pub fn user(content: impl Into<String>) -> ChatMessage {
    message("user", text(content))
}

/// An `assistant` message (a previous reply).
pub fn assistant(content: impl Into<String>) -> ChatMessage {
    message("assistant", text(content))
}

/// An `assistant` turn that called tools, to send back with the results.
pub fn assistant_tool_calls(calls: Vec<ToolCall>) -> ChatMessage {
    ChatMessage {
        tool_calls: calls,
        ..message("assistant", None)
    }
}

/// A `tool` message with the result of the call `tool_call_id`.
pub fn tool_result(tool_call_id: impl Into<String>, content: impl Into<String>) -> ChatMessage {
    ChatMessage {
        tool_call_id: Some(tool_call_id.into()),
        ..message("tool", text(content))
    }
}

/// A `user` message with text and one image (an https URL or a `data:` URI).
pub fn user_with_image(content: impl Into<String>, image_url: impl Into<String>) -> ChatMessage {
    let parts = vec![
        ContentPart::Text(ContentPartText {
            type_: crate::types::ContentPartTextType::Text,
            text: content.into(),
        }),
        ContentPart::Image(ContentPartImage {
            type_: crate::types::ContentPartImageType::ImageUrl,
            image_url: ImageUrl {
                url: image_url.into(),
                detail: None,
            },
        }),
    ];
    message("user", Some(MessageContent::Variant1(parts)))
}
