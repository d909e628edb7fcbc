//! Packed vectors (`x-tensoras-packed: f32le`): sent as a float array or as
//! base64 of little-endian `f32`s, held as a `Vec<f32>` either way, so
//! reading one is `&[f32]` with no fallible step after decoding.

use crate::emit::doc;
use crate::spec::Packed;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub fn emit(p: &Packed) -> TokenStream {
    let name = format_ident!("{}", p.name);
    let type_doc = doc(p.description.as_deref().unwrap_or(&p.name));
    quote! {
        #type_doc
        ///
        /// Decoded from either form when the response is read (a malformed
        /// base64 string is a decoding error then); serialized as floats.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct #name(::std::vec::Vec<f32>);

        impl #name {
            /// The values.
            pub fn as_slice(&self) -> &[f32] {
                &self.0
            }

            /// The values, owned.
            pub fn into_vec(self) -> ::std::vec::Vec<f32> {
                self.0
            }

            /// Decodes base64 of little-endian `f32`s.
            pub fn from_base64(encoded: &str) -> ::std::result::Result<Self, ::std::string::String> {
                use ::base64::Engine as _;
                let bytes = ::base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|e| format!("the vector is not valid base64: {e}"))?;
                if bytes.len() % 4 != 0 {
                    return Err(format!("the base64 vector has {} bytes, not a multiple of 4", bytes.len()));
                }
                Ok(Self(
                    bytes
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect(),
                ))
            }
        }

        impl ::std::ops::Deref for #name {
            type Target = [f32];
            fn deref(&self) -> &[f32] {
                &self.0
            }
        }

        impl ::std::convert::AsRef<[f32]> for #name {
            fn as_ref(&self) -> &[f32] {
                &self.0
            }
        }

        impl ::std::convert::From<::std::vec::Vec<f32>> for #name {
            fn from(values: ::std::vec::Vec<f32>) -> Self {
                Self(values)
            }
        }

        impl ::std::convert::From<#name> for ::std::vec::Vec<f32> {
            fn from(vector: #name) -> Self {
                vector.0
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;
                impl<'de> ::serde::de::Visitor<'de> for Visitor {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("an array of numbers or a base64 string of little-endian f32s")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<#name, E> {
                        #name::from_base64(value).map_err(E::custom)
                    }
                    fn visit_seq<A: ::serde::de::SeqAccess<'de>>(self, mut seq: A) -> ::std::result::Result<#name, A::Error> {
                        // The hint is the server's word; bound what it may make us reserve.
                        let mut values = ::std::vec::Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                        while let Some(value) = seq.next_element::<f32>()? {
                            values.push(value);
                        }
                        Ok(#name(values))
                    }
                }
                deserializer.deserialize_any(Visitor)
            }
        }
    }
}
