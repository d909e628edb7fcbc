//! Tagged unions: one variant per discriminator value, and `Other` for a
//! value the spec does not list (or a payload that does not decode), which
//! keeps the JSON as it came.
//!
//! Serialized internally tagged (`{"type": "text", "text": ...}`) or, when
//! every variant holds one member (`config`, `data`), adjacently tagged
//! (`{"type": "web_crawl", "config": {...}}`).

use crate::emit::doc;
use crate::spec::{Payload, Union};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::BTreeMap;

pub fn emit(u: &Union) -> TokenStream {
    let name = format_ident!("{}", u.name);
    let tag = &u.tag;
    let type_doc = doc(u.description.as_deref().unwrap_or(&u.name));
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, payload) in &u.variants {
        if let Payload::Struct(t) | Payload::Content(t) = payload {
            *uses.entry(t.as_str()).or_default() += 1;
        }
    }

    let mut variants = Vec::new();
    let mut kinds = Vec::new();
    let mut serialize = Vec::new();
    let mut decode = Vec::new();
    let mut froms = Vec::new();
    let mut debug = Vec::new();
    for (value, variant, payload) in &u.variants {
        let ident = format_ident!("{variant}");
        let text = doc(&format!("`{tag}: \"{value}\"`"));
        debug.push(match payload {
            Payload::Unit => quote! { Self::#ident => f.write_str(#variant), },
            _ => quote! { Self::#ident(inner) => f.debug_tuple(#variant).field(inner).finish(), },
        });
        match payload {
            Payload::Unit => {
                variants.push(quote! { #text #ident, });
                kinds.push(quote! { Self::#ident => #value, });
                serialize.push(quote! {
                    Self::#ident => {
                        let mut map = serializer.serialize_map(Some(1))?;
                        map.serialize_entry(#tag, #value)?;
                        map.end()
                    }
                });
                decode.push(quote! { #value => Some(Self::#ident), });
            }
            Payload::Struct(t) | Payload::Content(t) => {
                let ty = format_ident!("{t}");
                variants.push(quote! { #text #ident(#ty), });
                kinds.push(quote! { Self::#ident(_) => #value, });
                match (payload, &u.content) {
                    (Payload::Content(_), Some(member)) => {
                        serialize.push(quote! {
                            Self::#ident(inner) => {
                                let mut map = serializer.serialize_map(Some(2))?;
                                map.serialize_entry(#tag, #value)?;
                                map.serialize_entry(#member, inner)?;
                                map.end()
                            }
                        });
                        decode.push(quote! {
                            #value => value
                                .get(#member)
                                .and_then(|inner| <#ty as ::serde::Deserialize>::deserialize(inner).ok())
                                .map(Self::#ident),
                        });
                    }
                    _ => {
                        serialize.push(quote! {
                            Self::#ident(inner) => Tagged { tag: #value, inner }.serialize(serializer),
                        });
                        decode.push(quote! {
                            #value => <#ty as ::serde::Deserialize>::deserialize(value).ok().map(Self::#ident),
                        });
                    }
                }
                if uses.get(t.as_str()) == Some(&1) {
                    froms.push(quote! {
                        impl ::std::convert::From<#ty> for #name {
                            fn from(value: #ty) -> Self {
                                Self::#ident(value)
                            }
                        }
                    });
                }
            }
        }
    }
    let expecting = format!("an object with a `{tag}` member");
    quote! {
        #type_doc
        ///
        /// Open: a variant this version does not know, or one whose data does
        /// not decode, is kept as `Other` with its JSON as it came (its
        /// `Debug` hides the members the spec marks as secrets).
        #[derive(Clone, PartialEq)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A variant this version of the SDK does not know (or could not
            /// decode), as sent.
            Other(::serde_json::Value),
        }

        impl #name {
            /// The `#tag` of this variant, as sent on the wire.
            pub fn kind(&self) -> &str {
                match self {
                    #(#kinds)*
                    Self::Other(value) => value.get(#tag).and_then(::serde_json::Value::as_str).unwrap_or_default(),
                }
            }
        }

        #(#froms)*

        impl ::std::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    #(#debug)*
                    Self::Other(value) => f.debug_tuple("Other").field(&crate::types::redact_secrets(value)).finish(),
                }
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                #[allow(unused_imports)]
                use ::serde::ser::SerializeMap as _;
                /// The tag next to the variant's own members.
                #[derive(::serde::Serialize)]
                #[allow(dead_code)]
                struct Tagged<'a, T> {
                    #[serde(rename = #tag)]
                    tag: &'static str,
                    #[serde(flatten)]
                    inner: &'a T,
                }
                match self {
                    #(#serialize)*
                    Self::Other(value) => value.serialize(serializer),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                if !value.is_object() {
                    return Err(<D::Error as ::serde::de::Error>::custom(concat!("expected ", #expecting)));
                }
                let decoded = {
                    let value = &value;
                    match value.get(#tag).and_then(::serde_json::Value::as_str) {
                        Some(tag) => match tag {
                            #(#decode)*
                            _ => None,
                        },
                        None => None,
                    }
                };
                Ok(match decoded {
                    Some(known) => known,
                    None => Self::Other(value),
                })
            }
        }
    }
}
