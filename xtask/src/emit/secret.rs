//! The one type every secret of the spec (`format: password`) becomes: sent
//! as it is, never shown.

use proc_macro2::TokenStream;
use quote::quote;

/// The names of the spec's secret members, and a redaction of JSON kept as
/// it came (a union's `Other`): written whether or not there are any.
pub fn emit_members(members: &[String]) -> TokenStream {
    quote! {
        /// The names of the members the spec marks as secrets
        /// (`format: password`), wherever they appear.
        pub const SECRET_MEMBERS: &[&str] = &[#(#members),*];

        /// `value` with every member named in [`SECRET_MEMBERS`] replaced by
        /// `"<redacted>"`, at any depth: how JSON kept as it came (a union's
        /// `Other`) is shown by `Debug`.
        ///
        /// ```
        /// let shown = tensoras_gen::types::redact_secrets(&serde_json::json!({"config": {"api_token": "t0k", "email": "a@b"}}));
        /// assert_eq!(shown["config"]["api_token"], "<redacted>");
        /// assert_eq!(shown["config"]["email"], "a@b");
        /// ```
        pub fn redact_secrets(value: &::serde_json::Value) -> ::serde_json::Value {
            match value {
                ::serde_json::Value::Object(map) => ::serde_json::Value::Object(
                    map.iter()
                        .map(|(key, member)| {
                            let shown = if SECRET_MEMBERS.contains(&key.as_str()) {
                                ::serde_json::Value::from("<redacted>")
                            } else {
                                redact_secrets(member)
                            };
                            (key.clone(), shown)
                        })
                        .collect(),
                ),
                ::serde_json::Value::Array(items) => {
                    ::serde_json::Value::Array(items.iter().map(redact_secrets).collect())
                }
                other => other.clone(),
            }
        }
    }
}

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
