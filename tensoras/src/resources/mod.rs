//! One module per API resource. Each namespace (`client.files()`, ...) is
//! generic over a [`Mode`](crate::Mode): its methods return the decoded
//! body, or with `with_raw_response()` the whole [`ApiResponse`](crate::ApiResponse).

/// Declares a resource namespace: a client handle, generic over the mode.
macro_rules! namespace {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name<M: crate::response::Mode = crate::response::Parsed> {
            pub(crate) client: crate::Tensoras,
            mode: ::std::marker::PhantomData<M>,
        }

        impl<M: crate::response::Mode> $name<M> {
            pub(crate) fn new(client: crate::Tensoras) -> Self {
                $name {
                    client,
                    mode: ::std::marker::PhantomData,
                }
            }

            #[doc = concat!(
                "The same `", stringify!($name), "` methods, each returning the whole ",
                "[`ApiResponse`](crate::ApiResponse) (status, headers, request id, rate ",
                "limit, attempts) of its own call."
            )]
            #[must_use]
            pub fn with_raw_response(&self) -> $name<crate::response::Raw> {
                $name::new(self.client.clone())
            }
        }

        impl<M: crate::response::Mode> ::std::clone::Clone for $name<M> {
            fn clone(&self) -> Self {
                $name::new(self.client.clone())
            }
        }

        impl<M: crate::response::Mode> ::std::fmt::Debug for $name<M> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.client).finish()
            }
        }
    };
}

pub mod batches;
pub mod chat;
pub mod completions;
pub mod embeddings;
pub mod files;
pub mod knowledge_bases;
pub mod models;
pub mod rerank;
pub mod responses;
pub mod webhooks;

/// Runs `remove(path)` (best effort) on a thread of its own, for a `Drop`
/// that cleans up on disk: off the runtime's threads, so a slow disk does
/// not stall the executor, and not on tokio's blocking pool, which
/// discards the work queued on it when the runtime shuts down (a thread is
/// not stopped by that; only the process exiting first stops it). When no
/// thread can be started, the removal runs on this one.
pub(crate) fn remove_detached(
    path: std::path::PathBuf,
    remove: fn(std::path::PathBuf) -> std::io::Result<()>,
) {
    let on_thread = path.clone();
    let spawned = std::thread::Builder::new()
        .name("tensoras-cleanup".into())
        .spawn(move || {
            let _ = remove(on_thread);
        });
    if spawned.is_err() {
        let _ = remove(path);
    }
}
