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
/// member must not fail the whole answer.
pub fn finish_types(tokens: TokenStream, model: &Model) -> anyhow::Result<TokenStream> {
    let mut file: syn::File = syn::parse2(split_doc_attributes(tokens))?;
    let non_exhaustive: syn::Attribute = syn::parse_quote!(#[non_exhaustive]);
    let flatten: syn::Attribute = syn::parse_quote!(#[serde(flatten)]);
    let null_as_empty: syn::Attribute =
        syn::parse_quote!(#[serde(deserialize_with = "null_as_empty")]);
    let mut reads_null = false;
    for item in &mut file.items {
        match item {
            syn::Item::Struct(s) => {
                let syn::Fields::Named(fields) = &mut s.fields else {
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
                }
            }
            syn::Item::Enum(e) => e.attrs.push(non_exhaustive.clone()),
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
    Ok(quote! { #file #helper })
}

/// Whether `ty` is a `Vec<…>` (typify writes `::std::vec::Vec<…>`).
fn is_vec(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec"))
}

/// Whether `attrs` hold a `#[serde(default …)]`.
fn has_serde_default(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let mut default = false;
        if attr.path().is_ident("serde") {
            let _ = attr.parse_nested_meta(|meta| {
                default |= meta.path.is_ident("default");
                if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
                Ok(())
            });
        }
        default
    })
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
