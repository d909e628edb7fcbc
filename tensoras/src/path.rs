//! Paths built from a template and caller-supplied ids.
//!
//! An id becomes exactly one path segment: it is checked before anything is
//! sent, then percent-encoded. An empty id, `.` and `..` are refused, as a
//! server or proxy that normalises paths would read them as "this
//! collection" or "the parent" (`DELETE …/documents/..` deleting the
//! knowledge base); so are control characters, which no id contains.

use crate::error::{Error, Result};
use std::borrow::Cow;

/// Checks `id` and percent-encodes it as one path segment.
pub(crate) fn segment(name: &str, id: &str) -> Result<String> {
    let problem = if id.is_empty() {
        Some("is empty")
    } else if id == "." || id == ".." {
        Some("is a relative path segment (`.` or `..`)")
    } else if id.chars().any(char::is_control) {
        Some("contains control characters")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(Error::InvalidInput(format!(
            "the path parameter `{name}` {problem}: {:?}",
            crate::error::excerpt(id.as_bytes(), 64)
        )));
    }
    Ok(url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20"))
}

/// Fills `template` (`/knowledge-bases/{kb_id}/documents/{document_id}`)
/// with `values` in order, each checked and encoded by [`segment`]; the
/// result has no leading slash. A template without parameters is borrowed
/// as it is (most calls: no allocation).
pub(crate) fn fill(template: &'static str, values: &[&str]) -> Result<Cow<'static, str>> {
    if values.is_empty() && !template.contains('{') && !template.contains("//") {
        return Ok(Cow::Borrowed(template.trim_start_matches('/')));
    }
    let mut out = String::with_capacity(template.len() + 16);
    let mut values = values.iter();
    for part in template.split('/').filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push('/');
        }
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => {
                let value = values.next().ok_or_else(|| {
                    Error::InvalidInput(format!("no value for the path parameter `{name}`"))
                })?;
                out.push_str(&segment(name, value)?);
            }
            None => out.push_str(part),
        }
    }
    if values.next().is_some() {
        return Err(Error::InvalidInput(format!(
            "more path values than {template} has parameters"
        )));
    }
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_ids_as_one_segment() {
        assert_eq!(segment("id", "kb_abc123").unwrap(), "kb_abc123");
        assert_eq!(segment("id", "a/b c").unwrap(), "a%2Fb%20c");
        assert_eq!(segment("id", "a.b").unwrap(), "a.b");
        assert_eq!(segment("id", "...").unwrap(), "...");
        assert_eq!(segment("id", "%2e%2e").unwrap(), "%252e%252e");
        assert_eq!(segment("id", "?x#y").unwrap(), "%3Fx%23y");
    }

    #[test]
    fn refuses_ids_that_escape_their_segment() {
        for bad in ["", ".", "..", "a\nb", "\u{0}", "x\u{7f}"] {
            let err = segment("kb_id", bad).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidInput(m) if m.contains("kb_id")),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn fills_templates() {
        assert_eq!(
            fill(
                "/knowledge-bases/{kb_id}/documents/{document_id}",
                &["kb 1", "d/2"]
            )
            .unwrap(),
            "knowledge-bases/kb%201/documents/d%2F2"
        );
        assert_eq!(fill("/models", &[]).unwrap(), "models");
        assert!(fill("/files/{file_id}", &[]).is_err());
        assert!(fill("/files", &["x"]).is_err());
        assert!(fill("/files/{file_id}", &[".."]).is_err());
    }
}
