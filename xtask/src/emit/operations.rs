//! `operations`: one struct per operation of the spec, carrying its path
//! parameters, query parameters and body, and implementing `Operation`
//! (method, path template, response type). `Streaming` marks operations with
//! an event-stream response (`x-tensoras-event-data` names the event type)
//! and `Paginated` the `after`-cursor lists. Any client that can send an
//! `Operation` can call an operation as soon as it is in the spec.

use crate::emit::doc;
use crate::spec::pascal;
use anyhow::{bail, Context, Result};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

/// The items of `operations` that do not depend on the spec.
fn preamble() -> TokenStream {
    quote! {
        use crate::types;

        /// An HTTP method.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Method {
            /// `GET`
            Get,
            /// `POST`
            Post,
            /// `PUT`
            Put,
            /// `PATCH`
            Patch,
            /// `DELETE`
            Delete,
        }

        impl Method {
            /// The method's name, such as `GET`.
            pub fn as_str(self) -> &'static str {
                match self {
                    Method::Get => "GET",
                    Method::Post => "POST",
                    Method::Put => "PUT",
                    Method::Patch => "PATCH",
                    Method::Delete => "DELETE",
                }
            }
        }

        /// How an operation's request body is sent.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum BodyKind {
            /// No body.
            None,
            /// `application/json`: [`Operation::body`].
            Json,
            /// `multipart/form-data`, which the caller builds (file uploads).
            Multipart,
        }

        /// What an operation's success body is.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum ResponseKind {
            /// JSON, decoded into [`Operation::Response`].
            Json,
            /// Raw bytes (`application/octet-stream`).
            Binary,
        }

        /// One operation of the API: where it goes and what it carries.
        ///
        /// The path is a template relative to the base URL, such as
        /// `/knowledge-bases/{kb_id}/documents/{document_id}`;
        /// [`Operation::path_params`] gives its parameters' values in the
        /// template's order, for the client to check and percent-encode.
        pub trait Operation {
            /// The decoded success body.
            type Response: 'static;
            /// The request body; `()` when there is none.
            type Body: ::serde::Serialize + 'static;
            /// The spec's `operationId`.
            const ID: &'static str;
            /// The HTTP method.
            const METHOD: Method;
            /// The path template.
            const PATH: &'static str;
            /// How the body is sent.
            const BODY: BodyKind;
            /// What the success body is.
            const RESPONSE: ResponseKind;
            /// The path parameters' values, in template order.
            fn path_params(&self) -> ::std::vec::Vec<&str>;
            /// The query parameters that are set.
            fn query(&self) -> ::std::vec::Vec<(&'static str, ::std::string::String)>;
            /// The JSON body, when [`Operation::BODY`] is [`BodyKind::Json`].
            fn body(&self) -> ::std::option::Option<&Self::Body>;
            /// Decodes a success body into [`Operation::Response`]: JSON, or
            /// for a binary response the bytes themselves (a cheap clone).
            fn decode(body: &::bytes::Bytes) -> ::std::result::Result<Self::Response, ::serde_json::Error>;
        }

        /// An operation whose value holds its whole request, so a client can
        /// send it as it is: every operation but those with a multipart body,
        /// whose parts (a file) the caller streams, such as `CreateFile`,
        /// sent by the client's `files().create`.
        pub trait Callable: Operation {}

        /// An operation that can answer with server-sent events.
        pub trait Streaming: Operation {
            /// The type of each event's data.
            type Event: 'static;
            /// Asks for the event stream (`stream: true`) or not.
            fn set_stream(&mut self, stream: bool);
        }

        /// A list operation paged by `after` cursors.
        pub trait Paginated: Operation {
            /// The listed object.
            type Item;
            /// Starts the page after the item with this id.
            fn set_after(&mut self, after: ::std::string::String);
            /// A page's items and whether more pages follow.
            fn page(response: Self::Response) -> (::std::vec::Vec<Self::Item>, bool);
            /// The cursor of an item (its id).
            fn cursor(item: &Self::Item) -> &str;
        }
    }
}

fn resolve<'a>(spec: &'a Value, value: &'a Value) -> Result<&'a Value> {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference
                .strip_prefix('#')
                .with_context(|| format!("{reference} is not local"))?;
            spec.pointer(pointer)
                .with_context(|| format!("{reference} does not resolve"))
        }
        None => Ok(value),
    }
}

fn schema_type(reference: &str) -> Result<TokenStream> {
    let name = reference
        .strip_prefix("#/components/schemas/")
        .with_context(|| format!("{reference} is not a schema"))?;
    let ident = format_ident!("{}", name);
    Ok(quote! { types::#ident })
}

/// The Rust type of a parameter's schema.
fn parameter_type(schema: &Value) -> Result<TokenStream> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return schema_type(reference);
    }
    Ok(match schema.get("type").and_then(Value::as_str) {
        Some("string") => quote! { ::std::string::String },
        Some("boolean") => quote! { bool },
        Some("integer")
            if schema
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| m >= 0.0) =>
        {
            quote! { u64 }
        }
        Some("integer") => quote! { i64 },
        Some("number") => quote! { f64 },
        other => bail!("a parameter of type {other:?} is not supported"),
    })
}

fn snake(name: &str) -> String {
    name.replace('-', "_").to_ascii_lowercase()
}

struct Param {
    name: String,
    ty: TokenStream,
    description: Option<String>,
}

pub fn emit(spec: &Value) -> Result<TokenStream> {
    let mut out = preamble();
    let paths = spec
        .get("paths")
        .and_then(Value::as_object)
        .context("the spec has no paths")?;
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        let shared: Vec<Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (method, op) in item {
            let method_ident = match method.as_str() {
                "get" => quote! { Get },
                "post" => quote! { Post },
                "put" => quote! { Put },
                "patch" => quote! { Patch },
                "delete" => quote! { Delete },
                _ => continue,
            };
            out.extend(operation(spec, path, method, method_ident, op, &shared)?);
        }
    }
    Ok(out)
}

fn operation(
    spec: &Value,
    path: &str,
    method: &str,
    method_ident: TokenStream,
    op: &Value,
    shared: &[Value],
) -> Result<TokenStream> {
    let id = op
        .get("operationId")
        .and_then(Value::as_str)
        .with_context(|| format!("{method} {path} has no operationId"))?;
    let name = format_ident!("{}", pascal(id));
    let mut path_params: Vec<Param> = Vec::new();
    let mut query_params: Vec<Param> = Vec::new();
    let own = op
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for raw in shared.iter().chain(&own) {
        let p = resolve(spec, raw)?;
        let pname = p["name"].as_str().context("a parameter without a name")?;
        let schema = resolve(spec, &p["schema"]).map(|_| &p["schema"])?;
        let param = Param {
            name: snake(pname),
            ty: parameter_type(schema)?,
            description: p
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
        };
        match p["in"].as_str() {
            Some("path") => path_params.push(param),
            Some("query") => query_params.push(param),
            Some("header") => {}
            other => bail!("{id}: parameters in {other:?} are not supported"),
        }
    }
    // Path parameters in template order.
    let order: Vec<String> = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(snake)
        .collect();
    path_params.sort_by_key(|p| {
        order
            .iter()
            .position(|o| *o == p.name)
            .unwrap_or(usize::MAX)
    });
    if path_params.len() != order.len() {
        bail!("{id}: the path {path} and its parameters disagree");
    }

    let content = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object);
    let (body_kind, body_type) = match content {
        None => (quote! { BodyKind::None }, None),
        Some(c) if c.contains_key("multipart/form-data") => (quote! { BodyKind::Multipart }, None),
        Some(c) => {
            let reference = c
                .get("application/json")
                .and_then(|m| m.pointer("/schema/$ref"))
                .and_then(Value::as_str)
                .with_context(|| format!("{id}: the JSON body must be a $ref"))?;
            (
                quote! { BodyKind::Json },
                Some((reference.to_owned(), schema_type(reference)?)),
            )
        }
    };
    let success = op
        .pointer("/responses/200/content")
        .and_then(Value::as_object)
        .with_context(|| format!("{id}: no 200 response with content"))?;
    let (response_kind, response_type, response_ref) = match success.get("application/json") {
        Some(media) => {
            let reference = media
                .pointer("/schema/$ref")
                .and_then(Value::as_str)
                .with_context(|| format!("{id}: the JSON response must be a $ref"))?;
            (
                quote! { ResponseKind::Json },
                schema_type(reference)?,
                Some(reference.to_owned()),
            )
        }
        None if success.contains_key("application/octet-stream") => (
            quote! { ResponseKind::Binary },
            quote! { ::bytes::Bytes },
            None,
        ),
        None => bail!("{id}: the 200 response is neither JSON nor bytes"),
    };

    // The struct: path parameters, query parameters, body.
    let mut fields = Vec::new();
    let mut args = Vec::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    for p in &path_params {
        let field = format_ident!("{}", p.name);
        let text = doc(p.description.as_deref().unwrap_or("A path parameter."));
        fields.push(quote! { #text pub #field: ::std::string::String, });
        args.push(quote! { #field: impl ::std::convert::Into<::std::string::String> });
        inits.push(quote! { #field: #field.into(), });
    }
    for p in &query_params {
        let field = format_ident!("{}", p.name);
        let ty = &p.ty;
        let text = doc(p.description.as_deref().unwrap_or("A query parameter."));
        fields.push(quote! { #text pub #field: ::std::option::Option<#ty>, });
        inits.push(quote! { #field: None, });
        let param = if crate::emit::builders::is_primitive(ty) {
            quote! { #ty }
        } else {
            quote! { impl ::std::convert::Into<#ty> }
        };
        setters.push(quote! {
            #text
            #[must_use]
            #[allow(clippy::useless_conversion)]
            pub fn #field(mut self, value: #param) -> Self {
                self.#field = Some(value.into());
                self
            }
        });
    }
    let body_assoc = match &body_type {
        Some((_, ty)) => {
            fields.push(quote! { /// The request body.
            pub body: #ty, });
            args.push(quote! { body: impl ::std::convert::Into<#ty> });
            inits.push(quote! { body: body.into(), });
            quote! {
                type Body = #ty;
                fn body(&self) -> ::std::option::Option<&#ty> {
                    Some(&self.body)
                }
            }
        }
        None => quote! {
            type Body = ();
            fn body(&self) -> ::std::option::Option<&()> {
                None
            }
        },
    };
    let path_values = path_params.iter().map(|p| {
        let field = format_ident!("{}", p.name);
        quote! { self.#field.as_str(), }
    });
    let query_values = query_params.iter().map(|p| {
        let field = format_ident!("{}", p.name);
        let key = &p.name;
        quote! {
            if let Some(value) = &self.#field {
                query.push((#key, value.to_string()));
            }
        }
    });
    let query_mut = (!query_params.is_empty()).then(|| quote! { mut });

    let summary = op.get("summary").and_then(Value::as_str).unwrap_or(id);
    let mut text = format!("`{} {path}`: {summary}.", method.to_ascii_uppercase());
    if let Some(description) = op.get("description").and_then(Value::as_str) {
        text.push_str("\n\n");
        text.push_str(description.trim());
    }
    let struct_doc = doc(&text);
    let derive = if body_type.is_some() {
        quote! { #[derive(Clone, Debug, PartialEq)] }
    } else {
        quote! { #[derive(Clone, Debug, PartialEq, Eq)] }
    };
    let decode = if response_ref.is_some() {
        quote! { ::serde_json::from_slice(body) }
    } else {
        quote! { Ok(body.clone()) }
    };
    let multipart = content.is_some_and(|c| c.contains_key("multipart/form-data"));
    let callable = if multipart {
        TokenStream::new()
    } else {
        quote! { impl Callable for #name {} }
    };
    let mut tokens = quote! {
        #struct_doc
        #derive
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
        }

        impl #name {
            /// The operation with its required parameters.
            #[must_use]
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits)* }
            }
            #(#setters)*
        }

        impl Operation for #name {
            type Response = #response_type;
            const ID: &'static str = #id;
            const METHOD: Method = Method::#method_ident;
            const PATH: &'static str = #path;
            const BODY: BodyKind = #body_kind;
            const RESPONSE: ResponseKind = #response_kind;
            fn path_params(&self) -> ::std::vec::Vec<&str> {
                vec![#(#path_values)*]
            }
            fn query(&self) -> ::std::vec::Vec<(&'static str, ::std::string::String)> {
                let #query_mut query = ::std::vec::Vec::new();
                #(#query_values)*
                query
            }
            #body_assoc
            fn decode(body: &::bytes::Bytes) -> ::std::result::Result<Self::Response, ::serde_json::Error> {
                #decode
            }
        }

        #callable
    };

    if let Some(event) = success
        .get("text/event-stream")
        .and_then(|m| m.pointer("/x-tensoras-event-data/$ref"))
        .and_then(Value::as_str)
    {
        let event_type = schema_type(event)?;
        let Some((body_ref, _)) = &body_type else {
            bail!("{id}: a streaming operation needs a JSON body with `stream`");
        };
        let body_schema = serde_json::json!({"$ref": body_ref});
        let has_stream = resolve(spec, &body_schema)?
            .pointer("/properties/stream")
            .is_some();
        if !has_stream {
            bail!("{id}: the request body has no `stream` member");
        }
        tokens.extend(quote! {
            impl Streaming for #name {
                type Event = #event_type;
                fn set_stream(&mut self, stream: bool) {
                    self.body.stream = Some(stream);
                }
            }
        });
    }

    if let (true, Some(reference)) = (
        query_params.iter().any(|p| p.name == "after"),
        &response_ref,
    ) {
        let list_ref = serde_json::json!({"$ref": reference});
        let list = resolve(spec, &list_ref)?;
        let item_ref = list
            .pointer("/properties/data/items/$ref")
            .and_then(Value::as_str)
            .with_context(|| format!("{id}: a paged list needs `data` items that are a $ref"))?;
        let required = |field: &str| {
            list.get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().any(|v| v == field))
        };
        if list.pointer("/properties/has_more").is_none() {
            bail!("{id}: a paged list needs `has_more`");
        }
        let has_more = if required("has_more") {
            quote! { response.has_more }
        } else {
            quote! { response.has_more.unwrap_or(false) }
        };
        let item_type = schema_type(item_ref)?;
        tokens.extend(quote! {
            impl Paginated for #name {
                type Item = #item_type;
                fn set_after(&mut self, after: ::std::string::String) {
                    self.after = Some(after);
                }
                fn page(response: #response_type) -> (::std::vec::Vec<#item_type>, bool) {
                    let more = #has_more;
                    (response.data, more)
                }
                fn cursor(item: &#item_type) -> &str {
                    &item.id
                }
            }
        });
    }
    Ok(tokens)
}
