//! Path segments built from caller-supplied ids.

use crate::error::{Error, Result};

/// Percent-encodes an id for use as one path segment; an empty id is an
/// error rather than a request to the collection's URL.
pub(crate) fn segment(id: &str) -> Result<String> {
    if id.is_empty() {
        return Err(Error::InvalidInput("an id must not be empty".into()));
    }
    Ok(url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_ids() {
        assert_eq!(super::segment("kb_abc123").unwrap(), "kb_abc123");
        assert_eq!(super::segment("a/b c").unwrap(), "a%2Fb%20c");
        assert!(super::segment("").is_err());
    }
}
