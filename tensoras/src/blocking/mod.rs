//! A blocking client with the same surface as the async one: the same
//! namespaces, methods, names and types, without `async` (feature
//! `blocking`, on by default).
//!
//! Every blocking client of a process shares one runtime (a worker thread
//! per core up to eight, started on first use), so it works in plain `fn
//! main` programs. A call runs as a task on it while the calling thread
//! waits, which keeps the caller's stack shallow (what reads a stream or
//! page iterator, `list_all`'s page fetches included, and a batch run's
//! methods are polled on the calling thread): calls from many threads run at once, calls nest inside
//! loops over open streams and pages, and a panic in a call reaches the
//! caller with its payload. Called from inside
//! an async runtime it does not panic (unlike `Runtime::block_on`), but it
//! blocks that runtime's worker thread for the length of the call: in async
//! code, use [`crate::Tensoras`].
//!
//! ```no_run
//! use tensoras::prelude::*;
//! let client = tensoras::blocking::Tensoras::new()?;
//! let response = client.chat().completions().create(ChatCompletionRequest::new(
//!     "llama-3.3-70b",
//!     [ChatMessage::user("What is the capital of France?")],
//! ))?;
//! println!("{}", response.text());
//! # Ok::<(), tensoras::Error>(())
//! ```
//!
//! The layout mirrors the async side: [`Tensoras`] here is
//! [`crate::Tensoras`], [`resources`] holds one module per resource with the
//! same type names as [`crate::resources`], and streams are [`Iter`]s.

/// Declares a blocking namespace wrapping the async one of the same name.
macro_rules! blocking_namespace {
    ($(#[$doc:meta])* $name:ident => $async:ident) => {
        $(#[$doc])*
        pub struct $name<M: crate::response::Mode = crate::response::Parsed> {
            pub(crate) inner: $async<M>,
            pub(crate) runtime: &'static crate::blocking::runtime::Runtime,
        }

        impl<M: crate::response::Mode> $name<M> {
            pub(crate) fn new(inner: $async<M>, runtime: &'static crate::blocking::runtime::Runtime) -> Self {
                $name { inner, runtime }
            }

            #[doc = concat!(
                "The same `", stringify!($name), "` methods, each returning the whole ",
                "[`ApiResponse`](crate::ApiResponse) of its own call."
            )]
            #[must_use]
            pub fn with_raw_response(&self) -> $name<crate::response::Raw> {
                $name::new(self.inner.with_raw_response(), self.runtime)
            }
        }

        impl<M: crate::response::Mode> ::std::clone::Clone for $name<M> {
            fn clone(&self) -> Self {
                $name::new(self.inner.clone(), self.runtime)
            }
        }

        impl<M: crate::response::Mode> ::std::fmt::Debug for $name<M> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.inner).finish()
            }
        }
    };
}

mod client;
mod iter;
pub mod resources;
mod runtime;

pub use client::Tensoras;
pub use iter::Iter;

/// The builder of the blocking client: [`crate::ClientBuilder`] building
/// a [`Tensoras`].
pub type ClientBuilder = crate::ClientBuilder<Tensoras>;
