//! Reading an error message out of whatever body a failing server sent.

use serde_json::Value;

/// What an error body said.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ErrorBody {
    pub message: String,
    pub error_type: Option<String>,
    pub code: Option<String>,
    pub param: Option<String>,
}

/// Never fails: a body the parser does not understand still yields a message
/// that names the status and what the body looked like.
pub(crate) fn parse(status: u16, body: &[u8]) -> ErrorBody {
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        if let Some(parsed) = from_json(&json) {
            return parsed;
        }
    }
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    let message = if trimmed.is_empty() {
        format!("HTTP {status} with an empty body")
    } else if looks_like_html(trimmed) {
        match html_title(trimmed) {
            Some(title) => format!("HTTP {status} with an HTML page: {title}"),
            None => format!("HTTP {status} with an HTML page"),
        }
    } else {
        let first_line = trimmed.lines().next().unwrap_or_default();
        crate::error::excerpt(first_line.as_bytes(), 300)
    };
    ErrorBody {
        message,
        ..ErrorBody::default()
    }
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn from_json(json: &Value) -> Option<ErrorBody> {
    // {"error": {"message": ..., "type": ..., "code": ..., "param": ...}} (the documented shape)
    if let Some(error) = json.get("error") {
        if error.is_object() {
            let message = text_of(error.get("message")).unwrap_or_else(|| error.to_string());
            return Some(ErrorBody {
                message,
                error_type: text_of(error.get("type")),
                code: text_of(error.get("code")),
                param: text_of(error.get("param")),
            });
        }
        if let Some(message) = text_of(Some(error)) {
            return Some(ErrorBody {
                message,
                ..ErrorBody::default()
            });
        }
    }
    // {"detail": "..."} or FastAPI's {"detail": [{"msg": ..., "loc": [...]}]}
    if let Some(detail) = json.get("detail") {
        let message = match detail {
            Value::Array(items) => items
                .iter()
                .map(|item| {
                    let msg = text_of(item.get("msg")).unwrap_or_else(|| item.to_string());
                    match item.get("loc") {
                        Some(loc) => format!("{msg} at {loc}"),
                        None => msg,
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
            other => text_of(Some(other))?,
        };
        return Some(ErrorBody {
            message,
            ..ErrorBody::default()
        });
    }
    if let Some(message) = text_of(json.get("message")) {
        return Some(ErrorBody {
            message,
            error_type: text_of(json.get("type")),
            code: text_of(json.get("code")),
            param: text_of(json.get("param")),
        });
    }
    None
}

fn looks_like_html(text: &str) -> bool {
    let head = text
        .get(..text.len().min(64))
        .unwrap_or(text)
        .to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html") || head.contains("<head")
}

fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = html.get(start..end)?.trim();
    (!title.is_empty()).then(|| title.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_shape() {
        let body = br#"{"error":{"message":"Rate limit exceeded.","type":"rate_limit_error","code":"rate_limit_exceeded","param":null}}"#;
        let parsed = parse(429, body);
        assert_eq!(parsed.message, "Rate limit exceeded.");
        assert_eq!(parsed.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(parsed.code.as_deref(), Some("rate_limit_exceeded"));
        assert_eq!(parsed.param, None);
    }

    #[test]
    fn other_shapes() {
        assert_eq!(parse(400, br#"{"error":"bad thing"}"#).message, "bad thing");
        assert_eq!(
            parse(404, br#"{"detail":"Not Found"}"#).message,
            "Not Found"
        );
        assert_eq!(
            parse(
                422,
                br#"{"detail":[{"loc":["body","model"],"msg":"field required"}]}"#
            )
            .message,
            r#"field required at ["body","model"]"#
        );
        assert_eq!(
            parse(500, br#"{"message":"boom","code":7}"#)
                .code
                .as_deref(),
            Some("7")
        );
        assert_eq!(parse(502, b"").message, "HTTP 502 with an empty body");
        assert_eq!(
            parse(
                502,
                b"<html><head><title>502 Bad Gateway</title></head></html>"
            )
            .message,
            "HTTP 502 with an HTML page: 502 Bad Gateway"
        );
        assert_eq!(
            parse(503, b"upstream overloaded\nmore").message,
            "upstream overloaded"
        );
        assert_eq!(
            parse(500, br#"{"unexpected":true}"#).message,
            r#"{"unexpected":true}"#
        );
        assert_eq!(parse(500, &[0xff, 0xfe, b'x']).message, "\u{fffd}\u{fffd}x");
    }
}
