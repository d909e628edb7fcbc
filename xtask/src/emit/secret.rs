//! The one type every secret of the spec (`format: password`) becomes: sent
//! as it is, never shown.

use proc_macro2::TokenStream;
use quote::quote;

pub fn emit() -> TokenStream {
    quote! {
        /// A secret the API takes or returns: an access key, a token, a
        /// signing secret (the spec's `format: password`).
        ///
        /// Serialized and deserialized as the plain string, so requests carry
        /// it unchanged, but its `Debug` prints `Secret(<redacted>)`, so a
        /// logged request, response or error never shows it. Read it with
        /// [`Secret::expose`].
        ///
        /// ```
        /// use tensoras_gen::types::Secret;
        /// let key = Secret::from("whsec_abc");
        /// assert_eq!(format!("{key:?}"), "Secret(<redacted>)");
        /// assert_eq!(key.expose(), "whsec_abc");
        /// assert_eq!(serde_json::to_string(&key).unwrap(), "\"whsec_abc\"");
        /// ```
        #[derive(Clone, Default, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(transparent)]
        pub struct Secret(::std::string::String);

        impl Secret {
            /// Wraps a secret.
            pub fn new(value: impl ::std::convert::Into<::std::string::String>) -> Self {
                Secret(value.into())
            }

            /// The secret itself: the one way to read it.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// The secret itself, owned.
            pub fn into_inner(self) -> ::std::string::String {
                self.0
            }
        }

        impl ::std::fmt::Debug for Secret {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str("Secret(<redacted>)")
            }
        }

        impl ::std::convert::From<::std::string::String> for Secret {
            fn from(value: ::std::string::String) -> Self {
                Secret(value)
            }
        }

        impl ::std::convert::From<&str> for Secret {
            fn from(value: &str) -> Self {
                Secret(value.to_owned())
            }
        }

        impl ::std::convert::From<&::std::string::String> for Secret {
            fn from(value: &::std::string::String) -> Self {
                Secret(value.clone())
            }
        }
    }
}
