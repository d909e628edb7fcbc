//! What the stream accumulators share: entries kept by the index the server
//! gives them, sparse and bounded.

use crate::error::{Error, Result};

/// The most entries (choices, tool calls per choice, output items, content
/// parts) an accumulator keeps unless told otherwise: indexes come from the
/// server, so what they can make a client allocate is bounded.
pub const DEFAULT_MAX_ENTRIES: usize = 1024;

/// The entry for `index` in a list kept sorted by index, added if new:
/// an index of 3,000,000 costs one entry, not three million. A negative
/// index, or one distinct index more than `max`, is an [`Error::Stream`].
pub(crate) fn entry<'a, T>(
    items: &'a mut Vec<T>,
    index: i64,
    key: impl Fn(&T) -> i64,
    make: impl FnOnce() -> T,
    max: usize,
    what: &str,
) -> Result<&'a mut T> {
    if index < 0 {
        return Err(Error::stream(format!(
            "the server sent a negative {what} index ({index})"
        )));
    }
    let position = match items.binary_search_by_key(&index, &key) {
        Ok(position) => position,
        Err(position) => {
            if items.len() >= max {
                return Err(Error::stream(format!(
                    "the server sent more than {max} distinct {what} indexes"
                )));
            }
            items.insert(position, make());
            position
        }
    };
    Ok(&mut items[position])
}
