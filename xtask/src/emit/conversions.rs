//! Conversions typify leaves out, so that setters taking `impl Into<T>`
//! accept what a caller has at hand:
//!
//! - a shape-told union with one text alternative (a `String` or an open
//!   enum): `From<&str>` and `From<String>` (`"hello"` for `EmbeddingInput`,
//!   `"auto"` for `ToolChoice`);
//! - one with a list-of-text alternative: `From` arrays, slices and
//!   `Vec<&str>` (`["a", "b"]` for `EmbeddingInput`);
//! - a free-form map (`Metadata`): `From<[(key, value); N]>`,
//!   `FromIterator<(key, value)>`, `Default` and `DerefMut`.

use crate::spec::Model;
use anyhow::Result;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use typify::{TypeDetails, TypeEnumVariant, TypeSpace, TypeSpaceImpl};

enum Text {
    String,
    Enum,
}

fn text_kind(space: &TypeSpace, model: &Model, id: &typify::TypeId) -> Option<Text> {
    let ty = space.get_type(id).ok()?;
    let kind = match ty.details() {
        TypeDetails::String => Some(Text::String),
        TypeDetails::Builtin(name) => {
            let short = name.rsplit("::").next().unwrap_or(name);
            model
                .enums
                .iter()
                .any(|e| e.name == short)
                .then_some(Text::Enum)
        }
        _ => None,
    };
    kind
}

fn is_string_list(space: &TypeSpace, id: &typify::TypeId) -> bool {
    let Ok(ty) = space.get_type(id) else {
        return false;
    };
    let list = match ty.details() {
        TypeDetails::Vec(inner) => space
            .get_type(&inner)
            .is_ok_and(|t| matches!(t.details(), TypeDetails::String)),
        _ => false,
    };
    list
}

pub fn emit(space: &TypeSpace, model: &Model) -> Result<TokenStream> {
    let mut out = TokenStream::new();
    for ty in space.iter_types() {
        let name = ty.ident();
        match ty.details() {
            TypeDetails::Enum(details) => {
                let mut text = Vec::new();
                let mut lists = Vec::new();
                for variant in details.variants_info() {
                    let TypeEnumVariant::Tuple(types) = &variant.details else {
                        continue;
                    };
                    let [only] = types.as_slice() else { continue };
                    let ident = format_ident!("{}", variant.name);
                    if let Some(kind) = text_kind(space, model, only) {
                        text.push((ident, kind));
                    } else if is_string_list(space, only) {
                        lists.push(ident);
                    }
                }
                if let [(variant, kind)] = text.as_slice() {
                    let wrap = match kind {
                        Text::String => quote! { value.into() },
                        Text::Enum => quote! { ::std::convert::From::from(value) },
                    };
                    out.extend(quote! {
                        impl ::std::convert::From<&str> for #name {
                            fn from(value: &str) -> Self {
                                Self::#variant(#wrap)
                            }
                        }
                        impl ::std::convert::From<::std::string::String> for #name {
                            fn from(value: ::std::string::String) -> Self {
                                Self::#variant(#wrap)
                            }
                        }
                    });
                }
                if let [variant] = lists.as_slice() {
                    out.extend(quote! {
                        impl ::std::convert::From<::std::vec::Vec<&str>> for #name {
                            fn from(values: ::std::vec::Vec<&str>) -> Self {
                                Self::#variant(values.into_iter().map(str::to_owned).collect())
                            }
                        }
                        impl ::std::convert::From<&[&str]> for #name {
                            fn from(values: &[&str]) -> Self {
                                Self::#variant(values.iter().map(|v| (*v).to_owned()).collect())
                            }
                        }
                        impl<const N: usize> ::std::convert::From<[&str; N]> for #name {
                            fn from(values: [&str; N]) -> Self {
                                Self::#variant(values.iter().map(|v| (*v).to_owned()).collect())
                            }
                        }
                        impl<const N: usize> ::std::convert::From<[::std::string::String; N]> for #name {
                            fn from(values: [::std::string::String; N]) -> Self {
                                Self::#variant(values.into())
                            }
                        }
                    });
                }
            }
            TypeDetails::Newtype(details) => {
                let is_map = space
                    .get_type(&details.inner())
                    .is_ok_and(|t| matches!(t.details(), TypeDetails::Map(..)));
                if !is_map {
                    continue;
                }
                let default = (!ty.has_impl(TypeSpaceImpl::Default)).then(|| {
                    quote! {
                        impl ::std::default::Default for #name {
                            fn default() -> Self {
                                Self(::std::default::Default::default())
                            }
                        }
                    }
                });
                out.extend(quote! {
                    #default
                    impl ::std::ops::DerefMut for #name {
                        fn deref_mut(&mut self) -> &mut ::serde_json::Map<::std::string::String, ::serde_json::Value> {
                            &mut self.0
                        }
                    }
                    impl<K: ::std::convert::Into<::std::string::String>, V: ::std::convert::Into<::serde_json::Value>>
                        ::std::iter::FromIterator<(K, V)> for #name
                    {
                        fn from_iter<I: ::std::iter::IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
                            Self(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
                        }
                    }
                    impl<K: ::std::convert::Into<::std::string::String>, V: ::std::convert::Into<::serde_json::Value>, const N: usize>
                        ::std::convert::From<[(K, V); N]> for #name
                    {
                        fn from(pairs: [(K, V); N]) -> Self {
                            pairs.into_iter().collect()
                        }
                    }
                });
            }
            _ => {}
        }
    }
    Ok(out)
}
