//! What `cargo xtask codegen` writes besides typify's structs: open enums,
//! tagged unions, packed vectors, constructors and setters, and the
//! operations (routing). `finish_types` adjusts typify's own items.

pub mod builders;
pub mod conversions;
pub mod enums;
pub mod operations;
pub mod packed;
pub mod secret;
pub mod unions;

use crate::spec::Model;
use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::quote;

/// One `#[doc = " line"]` per line of `text`, so that prettyplease prints
/// `///` lines rather than a `/** */` block rustdoc would read as code.
pub fn doc(text: &str) -> TokenStream {
    let lines = text.trim_end().lines().map(|line| {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote! { #[doc = #line] }
    });
    quote! { #(#lines)* }
}

/// typify's items, adjusted: every struct with named fields and every enum
/// is `#[non_exhaustive]` (built with `new` and setters, matched with a
/// wildcard, so the spec can grow without breaking callers), unions
/// marked `x-tensoras-flatten` are `#[serde(flatten)]`, and an optional
/// array (a `Vec` left out when empty) reads a `null` as empty: servers
/// send `null` where the spec says the member is left out, and one such
/// member must not fail the whole answer. A number member (`f64`, `f32`,
/// optional, in an array or a map) refuses to serialize NaN or an infinity,
/// naming the member: serde_json would write `null`, which a server reads
/// as the member left out — the caller's value silently gone. An integer
/// member (`i64`, `u64`, optional or not) also reads a float of whole
/// value, and a Unix time (`created`, `…_at`) a float with a fraction.
pub fn finish_types(tokens: TokenStream, model: &Model) -> anyhow::Result<TokenStream> {
    let mut file: syn::File = syn::parse2(split_doc_attributes(tokens))?;
    let non_exhaustive: syn::Attribute = syn::parse_quote!(#[non_exhaustive]);
    let flatten: syn::Attribute = syn::parse_quote!(#[serde(flatten)]);
    let null_as_empty: syn::Attribute =
        syn::parse_quote!(#[serde(deserialize_with = "null_as_empty")]);
    let mut reads_null = false;
    let mut numbers = std::collections::BTreeSet::new();
    let mut integers = false;
    for item in &mut file.items {
        match item {
            syn::Item::Struct(s) => {
                let syn::Fields::Named(fields) = &mut s.fields else {
                    unchecked_numbers(&s.ident, &s.fields)?;
                    continue;
                };
                s.attrs.push(non_exhaustive.clone());
                let name = s.ident.to_string();
                for field in &mut fields.named {
                    let Some(ident) = &field.ident else { continue };
                    if model
                        .flattened
                        .iter()
                        .any(|(s, f)| *s == name && ident == f.as_str())
                    {
                        field.attrs.push(flatten.clone());
                    }
                    if is_vec(&field.ty) && has_serde_default(&field.attrs) {
                        field.attrs.push(null_as_empty.clone());
                        reads_null = true;
                    }
                    if let Some(optional) = integer(&field.ty) {
                        // A Unix time is what the spec says is one; a member
                        // named like a time that does not say so stops the
                        // generator (a time in milliseconds must not be floored
                        // as seconds unnoticed).
                        let member = ident.to_string();
                        let seconds = doc_text(&field.attrs).contains("(Unix seconds)");
                        if !seconds && (member == "created" || member.ends_with("_at")) {
                            anyhow::bail!(
                                "{name}.{member} looks like a time but its description does not say \"(Unix seconds)\""
                            );
                        }
                        let read = if seconds {
                            "unix_seconds"
                        } else {
                            "whole_number"
                        };
                        field
                            .attrs
                            .push(syn::parse_quote!(#[serde(deserialize_with = #read)]));
                        // A `deserialize_with` member is required unless it has a default.
                        if optional && !has_serde_default(&field.attrs) {
                            field.attrs.push(syn::parse_quote!(#[serde(default)]));
                        }
                        integers = true;
                    }
                    if is_number(&field.ty) {
                        if has_serde_key(&field.attrs, "rename") {
                            anyhow::bail!(
                                "{name}.{ident} is a renamed number: its NaN check would name the Rust field"
                            );
                        }
                        let name = format!("finite_{}", ident.to_string().trim_start_matches("r#"));
                        field
                            .attrs
                            .push(syn::parse_quote!(#[serde(serialize_with = #name)]));
                        numbers.insert(ident.to_string());
                    }
                }
            }
            syn::Item::Enum(e) => {
                for variant in &e.variants {
                    unchecked_numbers(&e.ident, &variant.fields)?;
                }
                e.attrs.push(non_exhaustive.clone());
            }
            _ => {}
        }
    }
    let helper = reads_null.then(|| {
        quote! {
            /// An optional array as the server sent it: `null` is read as
            /// empty, the same as the member left out.
            fn null_as_empty<'de, D, T>(deserializer: D) -> ::std::result::Result<::std::vec::Vec<T>, D::Error>
            where
                D: ::serde::Deserializer<'de>,
                T: ::serde::Deserialize<'de>,
            {
                let value: ::std::option::Option<::std::vec::Vec<T>> =
                    ::serde::Deserialize::deserialize(deserializer)?;
                Ok(value.unwrap_or_default())
            }
        }
    });
    let finite = finite_helpers(&numbers);
    let integers = integers.then(integer_helpers);
    Ok(quote! { #file #helper #finite #integers })
}

/// `Some(optional)` when `ty` is `i64` or `u64`, or an `Option` of one.
fn integer(ty: &syn::Type) -> Option<bool> {
    let syn::Type::Path(p) = ty else {
        return None;
    };
    let last = p.path.segments.last()?;
    match &last.arguments {
        syn::PathArguments::None if last.ident == "i64" || last.ident == "u64" => Some(false),
        syn::PathArguments::AngleBracketed(args) if last.ident == "Option" => {
            match args.args.first() {
                Some(syn::GenericArgument::Type(inner)) if args.args.len() == 1 => {
                    (integer(inner) == Some(false)).then_some(true)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The readers of integer members: an integer, or a float of whole value
/// (`10.0`, `1.7e9`: servers that compute numbers in floating point send
/// them so); a Unix time may also carry a fraction of a second (servers
/// that send `time.time()`), whose whole seconds are kept.
fn integer_helpers() -> TokenStream {
    quote! {
        /// An integer member: an integer, or a float with a whole value
        /// (`10.0`, `1.7e9`). A fraction, or a value out of the type's range,
        /// is an error.
        fn whole_number<'de, D, T>(deserializer: D) -> ::std::result::Result<T, D::Error>
        where
            D: ::serde::Deserializer<'de>,
            T: Integer,
        {
            T::read(deserializer, false)
        }

        /// A Unix time in seconds: as [`whole_number`], and a float with a
        /// fraction of a second keeps its whole seconds.
        fn unix_seconds<'de, D, T>(deserializer: D) -> ::std::result::Result<T, D::Error>
        where
            D: ::serde::Deserializer<'de>,
            T: Integer,
        {
            T::read(deserializer, true)
        }

        /// An integer member's type, read as [`whole_number`] says.
        trait Integer: Sized {
            fn read<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
                seconds: bool,
            ) -> ::std::result::Result<Self, D::Error>;
        }

        /// Reads one integer; `seconds` drops a fraction (a Unix time);
        /// `what` says what was expected, in an error.
        struct Whole<T> {
            seconds: bool,
            what: &'static str,
            integer: ::std::marker::PhantomData<T>,
        }

        impl<T> Whole<T> {
            fn new(seconds: bool, what: &'static str) -> Self {
                Whole { seconds, what, integer: ::std::marker::PhantomData }
            }
        }

        impl<'de, T> ::serde::de::Visitor<'de> for Whole<T>
        where
            T: ::std::convert::TryFrom<i64> + ::std::convert::TryFrom<u64>,
        {
            type Value = T;

            fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.what)?;
                if self.seconds {
                    f.write_str(" (a Unix time in seconds)")?;
                }
                Ok(())
            }

            fn visit_i64<E: ::serde::de::Error>(self, v: i64) -> ::std::result::Result<T, E> {
                T::try_from(v).map_err(|_| E::invalid_value(::serde::de::Unexpected::Signed(v), &self))
            }

            fn visit_u64<E: ::serde::de::Error>(self, v: u64) -> ::std::result::Result<T, E> {
                T::try_from(v).map_err(|_| E::invalid_value(::serde::de::Unexpected::Unsigned(v), &self))
            }

            fn visit_f64<E: ::serde::de::Error>(self, v: f64) -> ::std::result::Result<T, E> {
                let whole = if self.seconds { v.floor() } else { v };
                let refused = || E::invalid_value(::serde::de::Unexpected::Float(v), &self);
                if whole.fract() != 0.0 {
                    return Err(refused()); // a fraction, NaN or an infinity
                }
                // Whole and within i64's or u64's range (both bounds are
                // powers of two, exact as floats), so the conversion is exact.
                let converted = if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&whole) {
                    T::try_from(whole as i64).ok()
                } else if (0.0..18_446_744_073_709_551_616.0).contains(&whole) {
                    T::try_from(whole as u64).ok()
                } else {
                    None
                };
                converted.ok_or_else(refused)
            }
        }

        impl Integer for i64 {
            fn read<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
                seconds: bool,
            ) -> ::std::result::Result<Self, D::Error> {
                deserializer.deserialize_i64(Whole::new(seconds, "an integer"))
            }
        }

        impl Integer for u64 {
            fn read<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
                seconds: bool,
            ) -> ::std::result::Result<Self, D::Error> {
                deserializer.deserialize_u64(Whole::new(seconds, "a non-negative integer"))
            }
        }

        /// An optional integer: `null` is `None`.
        struct Maybe<T> {
            seconds: bool,
            integer: ::std::marker::PhantomData<T>,
        }

        impl<'de, T: Integer> ::serde::de::Visitor<'de> for Maybe<T> {
            type Value = ::std::option::Option<T>;

            fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str("an integer or null")
            }

            fn visit_none<E: ::serde::de::Error>(self) -> ::std::result::Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_unit<E: ::serde::de::Error>(self) -> ::std::result::Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_some<D: ::serde::Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> ::std::result::Result<Self::Value, D::Error> {
                T::read(deserializer, self.seconds).map(Some)
            }
        }

        impl<T: Integer> Integer for ::std::option::Option<T> {
            fn read<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
                seconds: bool,
            ) -> ::std::result::Result<Self, D::Error> {
                deserializer.deserialize_option(Maybe::<T> {
                    seconds,
                    integer: ::std::marker::PhantomData,
                })
            }
        }
    }
}

/// For each number member's name, the `serialize_with` function that
/// refuses a value JSON cannot carry, and what they share.
fn finite_helpers(names: &std::collections::BTreeSet<String>) -> TokenStream {
    if names.is_empty() {
        return TokenStream::new();
    }
    let each = names.iter().map(|name| {
        let member = name.trim_start_matches("r#");
        let function = quote::format_ident!("finite_{}", member);
        quote! {
            fn #function<S, T>(value: &T, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
            where
                S: ::serde::Serializer,
                T: Finite + ::serde::Serialize,
            {
                finite(value, serializer, #member)
            }
        }
    });
    quote! {
        /// Serializes a number member, refusing NaN and the infinities:
        /// serde_json would write them as `null`, which a server reads as
        /// the member left out.
        fn finite<S, T>(value: &T, serializer: S, member: &str) -> ::std::result::Result<S::Ok, S::Error>
        where
            S: ::serde::Serializer,
            T: Finite + ::serde::Serialize,
        {
            if !value.finite() {
                return Err(<S::Error as ::serde::ser::Error>::custom(format_args!(
                    "`{member}` is NaN or infinite, which JSON cannot carry"
                )));
            }
            value.serialize(serializer)
        }

        /// A number, or numbers, that JSON can carry.
        trait Finite {
            fn finite(&self) -> bool;
        }

        impl Finite for f64 {
            fn finite(&self) -> bool {
                self.is_finite()
            }
        }

        impl Finite for f32 {
            fn finite(&self) -> bool {
                self.is_finite()
            }
        }

        impl<T: Finite> Finite for ::std::option::Option<T> {
            fn finite(&self) -> bool {
                self.as_ref().is_none_or(Finite::finite)
            }
        }

        impl<T: Finite> Finite for ::std::vec::Vec<T> {
            fn finite(&self) -> bool {
                self.iter().all(Finite::finite)
            }
        }

        impl<K, V: Finite, H> Finite for ::std::collections::HashMap<K, V, H> {
            fn finite(&self) -> bool {
                self.values().all(Finite::finite)
            }
        }

        impl<K, V: Finite> Finite for ::std::collections::BTreeMap<K, V> {
            fn finite(&self) -> bool {
                self.values().all(Finite::finite)
            }
        }

        #(#each)*
    }
}

/// Whether `ty` is `f64` or `f32`, or an `Option` or `Vec` of one, or a
/// map to one (at any depth: `Vec<Option<HashMap<String, f64>>>`).
fn is_number(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else {
        return false;
    };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    match &last.arguments {
        syn::PathArguments::None => last.ident == "f64" || last.ident == "f32",
        syn::PathArguments::AngleBracketed(args) => {
            let types: Vec<&syn::Type> = args
                .args
                .iter()
                .filter_map(|a| match a {
                    syn::GenericArgument::Type(t) => Some(t),
                    _ => None,
                })
                .collect();
            let element = match (last.ident.to_string().as_str(), types.as_slice()) {
                ("Option" | "Vec", [element]) => element,
                ("HashMap" | "BTreeMap", [_, value]) => value,
                _ => return false,
            };
            is_number(element)
        }
        _ => false,
    }
}

/// Whether `ty` is a `Vec<…>` (typify writes `::std::vec::Vec<…>`).
fn is_vec(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec"))
}

/// The text of `attrs`' `#[doc = "…"]` lines.
fn doc_text(attrs: &[syn::Attribute]) -> String {
    let mut text = String::new();
    for attr in attrs {
        if let syn::Meta::NameValue(doc) = &attr.meta {
            if doc.path.is_ident("doc") {
                if let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(line),
                    ..
                }) = &doc.value
                {
                    text.push_str(&line.value());
                    text.push('\n');
                }
            }
        }
    }
    text
}

/// Whether `attrs` hold a `#[serde(default …)]`.
fn has_serde_default(attrs: &[syn::Attribute]) -> bool {
    has_serde_key(attrs, "default")
}

/// Whether `attrs` hold a `#[serde(key …)]`.
fn has_serde_key(attrs: &[syn::Attribute], key: &str) -> bool {
    attrs.iter().any(|attr| {
        let mut found = false;
        if attr.path().is_ident("serde") {
            let _ = attr.parse_nested_meta(|meta| {
                found |= meta.path.is_ident(key);
                if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
                Ok(())
            });
        }
        found
    })
}

/// Refuses a number in fields the finite check does not reach (a tuple
/// struct's, an enum variant's): left out, NaN would go out as `null`.
fn unchecked_numbers(owner: &syn::Ident, fields: &syn::Fields) -> anyhow::Result<()> {
    if let Some(field) = fields.iter().find(|f| is_number(&f.ty)) {
        let at = field
            .ident
            .as_ref()
            .map_or_else(String::new, |i| format!(".{i}"));
        anyhow::bail!(
            "{owner}{at} is a number in a tuple struct or an enum variant, which the NaN check does not reach"
        );
    }
    Ok(())
}

/// Splits every multi-line `#[doc = "..."]` into one attribute per line.
///
/// prettyplease prints a multi-line doc attribute as a `/** */` block whose
/// lines carry the item's indentation, which rustdoc then reads as an indented
/// code block (and tries to compile as a doctest). One `///` line per doc line
/// renders as the spec author wrote it.
pub fn split_doc_attributes(tokens: TokenStream) -> TokenStream {
    let mut out = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    while let Some(tree) = iter.next() {
        match tree {
            TokenTree::Punct(ref hash) if hash.as_char() == '#' => {
                let bang = match iter.peek() {
                    Some(TokenTree::Punct(p)) if p.as_char() == '!' => iter.next(),
                    _ => None,
                };
                match iter.peek() {
                    Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket => {
                        let group = g.clone();
                        iter.next();
                        if let Some(lines) = multi_line_doc(&group) {
                            for line in lines {
                                out.push(tree.clone());
                                out.extend(bang.clone());
                                let attr: TokenStream = quote_doc(&line);
                                out.push(TokenTree::Group(Group::new(Delimiter::Bracket, attr)));
                            }
                        } else {
                            out.push(tree);
                            out.extend(bang);
                            out.push(TokenTree::Group(recurse(&group)));
                        }
                    }
                    _ => {
                        out.push(tree);
                        out.extend(bang);
                    }
                }
            }
            TokenTree::Group(group) => out.push(TokenTree::Group(recurse(&group))),
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

fn recurse(group: &Group) -> Group {
    let mut new = Group::new(group.delimiter(), split_doc_attributes(group.stream()));
    new.set_span(group.span());
    new
}

/// The lines of a `doc = "..."` attribute body when it spans several lines.
fn multi_line_doc(group: &Group) -> Option<Vec<String>> {
    let attr: syn::Meta = syn::parse2(group.stream()).ok()?;
    let syn::Meta::NameValue(nv) = attr else {
        return None;
    };
    if !nv.path.is_ident("doc") {
        return None;
    }
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(text),
        ..
    }) = nv.value
    else {
        return None;
    };
    let value = text.value();
    value
        .contains('\n')
        .then(|| value.lines().map(str::to_owned).collect())
}

fn quote_doc(line: &str) -> TokenStream {
    let literal = proc_macro2::Literal::string(line);
    let mut stream = TokenStream::new();
    stream.extend([
        TokenTree::Ident(proc_macro2::Ident::new(
            "doc",
            proc_macro2::Span::call_site(),
        )),
        TokenTree::Punct(proc_macro2::Punct::new('=', proc_macro2::Spacing::Alone)),
        TokenTree::Literal(literal),
    ]);
    stream
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(item: TokenStream) -> anyhow::Result<String> {
        Ok(finish_types(item, &Model::default())?.to_string())
    }

    #[test]
    fn every_number_member_is_checked_or_refused() {
        for (ty, number) in [
            (quote!(f64), true),
            (quote!(::std::option::Option<f32>), true),
            (quote!(::std::vec::Vec<::std::option::Option<f64>>), true),
            (
                quote!(
                    ::std::vec::Vec<
                        ::std::option::Option<
                            ::std::collections::HashMap<::std::string::String, f64>,
                        >,
                    >
                ),
                true,
            ),
            (
                quote!(::std::collections::BTreeMap<::std::string::String, f32>),
                true,
            ),
            (quote!(i64), false),
            (quote!(::std::option::Option<::std::string::String>), false),
            (
                quote!(::std::collections::HashMap<f64, ::std::string::String>),
                false,
            ),
        ] {
            let parsed: syn::Type = syn::parse2(ty.clone()).unwrap();
            assert_eq!(is_number(&parsed), number, "{ty}");
        }
        for (ty, read) in [
            (quote!(i64), Some(false)),
            (quote!(::std::option::Option<u64>), Some(true)),
            (quote!(::std::vec::Vec<i64>), None),
            (quote!(f64), None),
            (
                quote!(::std::option::Option<::std::option::Option<i64>>),
                None,
            ),
        ] {
            let parsed: syn::Type = syn::parse2(ty.clone()).unwrap();
            assert_eq!(integer(&parsed), read, "{ty}");
        }
        let named = finished(quote! {
            pub struct Times {
                #[doc = "When it was made (Unix seconds)."]
                pub created_at: i64,
                pub count: ::std::option::Option<u64>,
                pub chunks_created: i64,
            }
        })
        .unwrap();
        assert_eq!(named.matches("\"unix_seconds\"").count(), 1, "{named}");
        assert_eq!(named.matches("\"whole_number\"").count(), 2, "{named}");
        // Named like a time without saying it is Unix seconds: refused.
        assert!(finished(quote!(
            pub struct T {
                pub expires_at: i64,
            }
        ))
        .is_err());
        assert!(
            named.contains("deserialize_with = \"unix_seconds\""),
            "{named}"
        );
        assert!(
            named.contains("deserialize_with = \"whole_number\""),
            "{named}"
        );
        assert!(named.contains("# [serde (default)]"), "{named}");
        let named = finished(quote! {
            pub struct Request { pub r#type: ::std::option::Option<f64>, pub n: i64 }
        })
        .unwrap();
        assert!(
            named.contains("serialize_with = \"finite_type\""),
            "{named}"
        );
        assert!(named.contains("fn finite_type"), "{named}");
        assert_eq!(named.matches("serde (serialize_with").count(), 1, "{named}");
        for unchecked in [
            quote!(
                pub struct Score(f64);
            ),
            quote!(
                pub enum Value {
                    Number(f64),
                    Text(String),
                }
            ),
            quote!(
                pub struct Renamed {
                    #[serde(rename = "top-p")]
                    pub top_p: f64,
                }
            ),
        ] {
            assert!(finished(unchecked.clone()).is_err(), "{unchecked}");
        }
    }
}
