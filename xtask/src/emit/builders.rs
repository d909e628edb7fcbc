//! `new(required…)` and one chained setter per field for every generated
//! struct. Structs are `#[non_exhaustive]`, so this is how they are built
//! outside the crate, and a field added to the spec adds a setter without
//! breaking a caller.
//!
//! - `new` takes the required fields in the spec's `required` order; a
//!   required field whose type has one known value (`Tool.type`,
//!   `completion_window`) is filled with it.
//! - A setter takes `impl Into<T>` (`impl IntoIterator<Item = impl Into<T>>`
//!   for lists) and sets the field; for an optional field, `Some`. Fields
//!   `new` takes get no setter (their names stay free for helpers such as
//!   `Tool::function::<T>`); the fields are public to change afterwards.

use crate::emit::doc;
use crate::spec::Model;
use anyhow::{Context, Result};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use typify::{TypeDetails, TypeId, TypeSpace};

/// How a field's type is set.
enum Shape {
    Optional(TokenStream),
    List(TokenStream),
    Plain(TokenStream),
}

fn shape(space: &TypeSpace, id: &TypeId) -> Result<Shape> {
    let ty = space.get_type(id).context("a property type")?;
    let shape = match ty.details() {
        TypeDetails::Option(inner) => Shape::Optional(space.get_type(&inner)?.ident()),
        TypeDetails::Vec(inner) => Shape::List(space.get_type(&inner)?.ident()),
        _ => Shape::Plain(ty.ident()),
    };
    Ok(shape)
}

/// Whether `tokens` is a number or `bool`: setters take those as they are,
/// so a literal (`.limit(5)`, `.max_tokens(256)`) needs no suffix.
pub fn is_primitive(tokens: &TokenStream) -> bool {
    matches!(
        tokens.to_string().as_str(),
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "f32" | "f64" | "bool"
    )
}

/// The parameter type of a setter or `new` for a field of type `t`.
fn param_type(t: &TokenStream) -> TokenStream {
    if is_primitive(t) {
        quote! { #t }
    } else {
        quote! { impl ::std::convert::Into<#t> }
    }
}

/// The replacement type's name when `id` is one (`crate::types::Role` → `Role`).
fn builtin_name(space: &TypeSpace, id: &TypeId) -> Option<String> {
    match space.get_type(id).ok()?.details() {
        TypeDetails::Builtin(name) => Some(name.rsplit("::").next().unwrap_or(name).to_owned()),
        _ => None,
    }
}

pub fn emit(
    space: &TypeSpace,
    schemas: &serde_json::Map<String, Value>,
    model: &Model,
) -> Result<TokenStream> {
    let single_valued = |name: &str| {
        model
            .enums
            .iter()
            .any(|e| e.name == name && e.values.iter().all(|(_, v)| *v == e.values[0].1))
    };
    let mut out = TokenStream::new();
    for ty in space.iter_types() {
        let TypeDetails::Struct(details) = ty.details() else {
            continue;
        };
        let name = ty.name();
        let ident = ty.ident();
        let schema = schemas.get(&name);
        let declared: Vec<String> = schema
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let required_order: Vec<String> = schema
            .and_then(|s| s.get("required"))
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();

        struct Field {
            ident: proc_macro2::Ident,
            shape: Shape,
            /// A parameter of `new`.
            param: bool,
            setter: bool,
            wire: String,
            description: Option<String>,
        }
        let mut fields = Vec::new();
        for prop in details.properties_info() {
            let rust = prop.name;
            let wire = if rust.ends_with('_')
                && declared.iter().any(|d| d == rust.trim_end_matches('_'))
            {
                rust.trim_end_matches('_').to_owned()
            } else {
                rust.to_owned()
            };
            // typify's `extra` map (additionalProperties next to properties)
            // is not a member of the spec: never a parameter.
            let in_spec = declared.contains(&wire);
            let constant = builtin_name(space, &prop.type_id).is_some_and(|n| single_valued(&n));
            fields.push(Field {
                ident: format_ident!("{}", rust),
                shape: shape(space, &prop.type_id)?,
                param: prop.required && in_spec && !constant,
                // A required field is set by `new`; a setter too only when
                // `new` fills it itself (`completion_window`). Tags
                // (`type`) with one known value get none.
                setter: if constant {
                    rust != "type_"
                } else {
                    !prop.required || !in_spec
                },
                wire,
                description: prop.description.map(str::to_owned),
            });
        }
        // `new`'s parameters in the spec's `required` order.
        let mut params: Vec<&Field> = fields.iter().filter(|f| f.param).collect();
        params.sort_by_key(|f| {
            required_order
                .iter()
                .position(|r| *r == f.wire)
                .unwrap_or(usize::MAX)
        });

        let args = params.iter().map(|f| {
            let field = &f.ident;
            match &f.shape {
                Shape::List(t) => quote! { #field: impl ::std::iter::IntoIterator<Item = impl ::std::convert::Into<#t>> },
                Shape::Optional(t) => quote! { #field: impl ::std::convert::Into<::std::option::Option<#t>> },
                Shape::Plain(t) => {
                    let p = param_type(t);
                    quote! { #field: #p }
                }
            }
        });
        let inits = fields.iter().map(|f| {
            let field = &f.ident;
            if !f.param {
                return quote! { #field: ::std::default::Default::default(), };
            }
            match &f.shape {
                Shape::List(_) => {
                    quote! { #field: #field.into_iter().map(::std::convert::Into::into).collect(), }
                }
                _ => quote! { #field: #field.into(), },
            }
        });
        let setters = fields.iter().filter(|f| f.setter).map(|f| {
            let field = &f.ident;
            let text = doc(&match &f.description {
                Some(d) => d.clone(),
                None => format!("Sets `{}`.", f.wire),
            });
            match &f.shape {
                Shape::Optional(t) => {
                    let p = param_type(t);
                    quote! {
                        #text
                        #[must_use]
                        #[allow(clippy::useless_conversion)]
                        pub fn #field(mut self, value: #p) -> Self {
                            self.#field = Some(value.into());
                            self
                        }
                    }
                }
                Shape::List(t) => quote! {
                    #text
                    #[must_use]
                    pub fn #field(mut self, values: impl ::std::iter::IntoIterator<Item = impl ::std::convert::Into<#t>>) -> Self {
                        self.#field = values.into_iter().map(::std::convert::Into::into).collect();
                        self
                    }
                },
                Shape::Plain(t) => {
                    let p = param_type(t);
                    quote! {
                        #text
                        #[must_use]
                        #[allow(clippy::useless_conversion)]
                        pub fn #field(mut self, value: #p) -> Self {
                            self.#field = value.into();
                            self
                        }
                    }
                }
            }
        });
        let new_doc = if params.is_empty() {
            doc(&format!(
                "An empty `{name}`; set fields with the methods below."
            ))
        } else {
            let names: Vec<String> = params.iter().map(|f| format!("`{}`", f.wire)).collect();
            doc(&format!(
                "A `{name}` with its required {}; set the others with the methods below.",
                names.join(", ")
            ))
        };
        let allow = (params.len() > 7).then(|| quote! { #[allow(clippy::too_many_arguments)] });
        out.extend(quote! {
            impl #ident {
                #new_doc
                #[must_use]
                #allow
                pub fn new(#(#args),*) -> Self {
                    Self { #(#inits)* }
                }
                #(#setters)*
            }
        });
    }
    Ok(out)
}
