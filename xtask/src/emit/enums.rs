//! Open enums: the spec's values as variants, and `Other(String)` for a value
//! the spec does not list yet, so a newer server never breaks decoding.

use crate::emit::doc;
use crate::spec::OpenEnum;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub fn emit(e: &OpenEnum) -> TokenStream {
    let name = format_ident!("{}", e.name);
    let type_doc = doc(e.description.as_deref().unwrap_or(&e.name));
    // The first value of a name is canonical; later ones are aliases.
    let mut canonical: Vec<(&str, &str)> = Vec::new();
    for (value, variant) in &e.values {
        if !canonical.iter().any(|(_, v)| v == variant) {
            canonical.push((value, variant));
        }
    }
    let variants = canonical.iter().map(|(value, variant)| {
        let ident = format_ident!("{variant}");
        let text = doc(&format!("`{value}`"));
        quote! { #text #ident, }
    });
    let as_str = canonical.iter().map(|(value, variant)| {
        let ident = format_ident!("{variant}");
        quote! { Self::#ident => #value, }
    });
    let parse = e.values.iter().map(|(value, variant)| {
        let ident = format_ident!("{variant}");
        quote! { #value => Some(Self::#ident), }
    });
    let known = canonical.iter().map(|(value, _)| quote! { #value, });
    let default = (canonical.len() == 1).then(|| {
        let ident = format_ident!("{}", canonical[0].1);
        let text = doc(&format!("`{}`, the only value known.", canonical[0].0));
        quote! {
            impl ::std::default::Default for #name {
                #text
                fn default() -> Self {
                    Self::#ident
                }
            }
        }
    });
    quote! {
        #type_doc
        ///
        /// Open: a value this version does not know decodes as `Other` and is
        /// sent back as it came.
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value this version of the SDK does not know, as sent.
            Other(::std::string::String),
        }

        impl #name {
            /// The values this version knows, as sent on the wire.
            pub const KNOWN: &'static [&'static str] = &[#(#known)*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#as_str)*
                    Self::Other(value) => value.as_str(),
                }
            }

            fn known(value: &str) -> ::std::option::Option<Self> {
                match value {
                    #(#parse)*
                    _ => None,
                }
            }
        }

        #default

        impl ::std::convert::AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                Self::known(value).unwrap_or_else(|| Self::Other(value.to_owned()))
            }
        }

        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                Self::known(&value).unwrap_or(Self::Other(value))
            }
        }

        // Equal when the wire values are: `Other("stop")` is `Stop`.
        impl ::std::cmp::PartialEq for #name {
            fn eq(&self, other: &Self) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl ::std::cmp::Eq for #name {}

        impl ::std::cmp::PartialEq<str> for #name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl ::std::cmp::PartialEq<&str> for #name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl ::std::hash::Hash for #name {
            fn hash<H: ::std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state)
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;
                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<#name, E> {
                        Ok(#name::from(value))
                    }
                    fn visit_string<E: ::serde::de::Error>(self, value: ::std::string::String) -> ::std::result::Result<#name, E> {
                        Ok(#name::from(value))
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    }
}
