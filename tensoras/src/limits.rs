//! Bounds on what a server can make the client hold.

use crate::error::{Error, Result};

/// Bounds on everything a server controls that would otherwise cost the
/// client memory without limit. Exceeding one is
/// [`Error::LimitExceeded`](crate::Error::LimitExceeded) and the connection
/// is dropped — except an error response's body, which is read up to its
/// bound and reported as far as it was read; the defaults are far above
/// anything the API sends.
///
/// ```
/// let limits = tensoras::Limits::default()
///     .max_response_bytes(512 << 20) // large embedding batches as floats
///     .max_event_line_bytes(1 << 20);
/// let client = tensoras::Tensoras::builder().api_key("tns_x").limits(limits).build()?;
/// # let _ = client;
/// # Ok::<(), tensoras::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The most bytes of a JSON response body read (default 128 MiB; 2,048
    /// embeddings of 1,024 floats as JSON are about 25 MB). At least 1.
    pub max_response_bytes: u64,
    /// The most bytes of an error response's body read; the rest is not
    /// read and the connection is dropped (default 64 KiB; 4 KiB are kept).
    /// Any value; 0 reads none (the error then says only its status).
    pub max_error_body_bytes: u64,
    /// The longest line of an event stream (default 4 MiB). At least 1.
    pub max_event_line_bytes: usize,
    /// The most `data` one event may gather over its lines (default 16 MiB).
    /// At least 1.
    pub max_event_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_response_bytes: 128 << 20,
            max_error_body_bytes: 64 << 10,
            max_event_line_bytes: 4 << 20,
            max_event_bytes: 16 << 20,
        }
    }
}

impl Limits {
    /// [`Error::Config`] for a bound outside its range (one that no response
    /// could meet).
    pub(crate) fn check(&self) -> Result<()> {
        for (name, value) in [
            ("max_response_bytes", self.max_response_bytes),
            ("max_event_line_bytes", self.max_event_line_bytes as u64),
            ("max_event_bytes", self.max_event_bytes as u64),
        ] {
            if value == 0 {
                return Err(Error::Config(format!(
                    "Limits::{name} is 0: it must be at least 1"
                )));
            }
        }
        Ok(())
    }

    /// Sets [`Limits::max_response_bytes`].
    #[must_use]
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Sets [`Limits::max_error_body_bytes`].
    #[must_use]
    pub fn max_error_body_bytes(mut self, bytes: u64) -> Self {
        self.max_error_body_bytes = bytes;
        self
    }

    /// Sets [`Limits::max_event_line_bytes`].
    #[must_use]
    pub fn max_event_line_bytes(mut self, bytes: usize) -> Self {
        self.max_event_line_bytes = bytes;
        self
    }

    /// Sets [`Limits::max_event_bytes`].
    #[must_use]
    pub fn max_event_bytes(mut self, bytes: usize) -> Self {
        self.max_event_bytes = bytes;
        self
    }
}
