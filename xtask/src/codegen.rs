//! `cargo xtask codegen [--check]`: progenitor and typify as libraries on the
//! spec, plus the emitters in `emit/`.

use crate::{emit, spec};
use anyhow::{bail, Context, Result};
use progenitor_impl::{GenerationSettings, Generator, TypeImpl};
use quote::quote;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const SPEC: &str = "openapi/tensoras.yaml";
const OUT_DIR: &str = "tensoras-gen/src";

/// The crate root of `tensoras-gen`.
const LIB_RS: &str = r#"//! The low-level Tensoras API layer, **generated** from `openapi/tensoras.yaml`
//! by `cargo xtask codegen` (progenitor and typify for the structs; the
//! xtask for open enums, tagged unions, constructors and routing).
//!
//! Do not edit anything in this crate by hand: change the spec (or the
//! generator in `xtask/`) and run `cargo xtask codegen`. CI runs
//! `cargo xtask codegen --check`, which fails when the checked-in code is
//! stale. Most users want the `tensoras` crate, which sends these operations
//! with retries, typed errors and streaming, and re-exports these types.
//!
//! - [`types`]: every schema of the spec. Structs are built with
//!   `new(required…)` and chained setters; enums are open (`Other`).
//! - [`operations`]: one struct per operation, implementing
//!   [`operations::Operation`] (method, path template, parameters, body and
//!   response type), so a client can call an operation as soon as it is in
//!   the spec.
//!
//! ```
//! use tensoras_gen::operations::{CreateEmbedding, Operation};
//! use tensoras_gen::types::EmbeddingRequest;
//!
//! let op = CreateEmbedding::new(EmbeddingRequest::new("bge-large-en-v1.5", "hello"));
//! assert_eq!(CreateEmbedding::PATH, "/embeddings");
//! assert_eq!(serde_json::to_value(op.body().unwrap()).unwrap()["input"], "hello");
//! ```

#![allow(missing_docs, clippy::all, clippy::pedantic, rustdoc::all)]

pub mod operations;
pub mod types;
"#;

pub fn run(root: &Path, check: bool) -> Result<()> {
    let original = spec::load(&root.join(SPEC))?;
    let undescribed = spec::undescribed(&original);
    if !undescribed.is_empty() {
        bail!(
            "every schema and property of {SPEC} needs a description (it documents the generated code); missing: {}",
            undescribed.join(", ")
        );
    }
    let mut spec_value = original.clone();
    let model = spec::transform_for_codegen(&mut spec_value)?;
    let schemas = spec_value
        .pointer("/components/schemas")
        .and_then(serde_json::Value::as_object)
        .cloned()
        .unwrap_or_default();
    let openapi: openapiv3::OpenAPI = serde_json::from_value(spec_value)
        .context("the transformed spec is not a valid OpenAPI 3.0 document")?;

    // progenitor reads the spec and fills typify's type space; only the
    // types are kept (the `operations` module is this crate's routing).
    let mut settings = GenerationSettings::default();
    settings.with_derive("PartialEq");
    for e in &model.enums {
        let mut impls = vec![TypeImpl::Display, TypeImpl::FromStr];
        if e.values.iter().all(|(_, v)| *v == e.values[0].1) {
            impls.push(TypeImpl::Default);
        }
        settings.with_replacement(
            &e.name,
            format!("crate::types::{}", e.name),
            impls.into_iter(),
        );
    }
    for u in &model.unions {
        settings.with_replacement(
            &u.name,
            format!("crate::types::{}", u.name),
            std::iter::empty(),
        );
    }
    for p in &model.packed {
        settings.with_replacement(
            &p.name,
            format!("crate::types::{}", p.name),
            [TypeImpl::Default].into_iter(),
        );
    }
    if !model.secrets.is_empty() {
        settings.with_replacement(
            spec::SECRET,
            format!("crate::types::{}", spec::SECRET),
            std::iter::empty(),
        );
    }
    let mut generator = Generator::new(&settings);
    generator
        .generate_tokens(&openapi)
        .map_err(|e| anyhow::anyhow!("progenitor failed: {e}"))?;
    let space = generator.get_type_space();

    let typify_items = emit::finish_types(space.to_stream(), &model)?;
    let enums = model.enums.iter().map(emit::enums::emit);
    let unions = model.unions.iter().map(emit::unions::emit);
    let packed = model.packed.iter().map(emit::packed::emit);
    let secret = (!model.secrets.is_empty()).then(emit::secret::emit);
    let mut secret_members: Vec<String> = model.secrets.iter().map(|(_, m)| m.clone()).collect();
    secret_members.sort();
    secret_members.dedup();
    let secret_members = emit::secret::emit_members(&secret_members);
    let builders = emit::builders::emit(space, &schemas, &model)?;
    let conversions = emit::conversions::emit(space, &model)?;
    let types = quote! {
        // Constructors and setters name types by their path from the crate root.
        use crate::types;
        #typify_items
        #(#enums)*
        #(#unions)*
        #(#packed)*
        #secret
        #secret_members
        #builders
        #conversions
    };
    let operations = emit::operations::emit(&original)?;

    let header = |what: &str| {
        format!(
            "// @generated by `cargo xtask codegen` from {SPEC}. Do not edit.\n\n//! {what}\n\n"
        )
    };
    let render = |tokens: proc_macro2::TokenStream| -> Result<String> {
        let file: syn::File = syn::parse2(emit::split_doc_attributes(tokens))
            .context("the generator produced unparsable code")?;
        Ok(prettyplease::unparse(&file))
    };
    let outputs = [
        ("lib.rs", rustfmt(root, LIB_RS)?),
        (
            "types.rs",
            rustfmt(
                root,
                &(header("Every schema of the spec, as Rust types.") + &render(types)?),
            )?,
        ),
        (
            "operations.rs",
            rustfmt(
                root,
                &(header("Every operation of the spec: routing, parameters, body and response.")
                    + &render(operations)?),
            )?,
        ),
    ];

    let mock_outputs = mock_outputs(root, &original)?;
    if check {
        let mut stale = Vec::new();
        for (path, fresh) in &mock_outputs {
            let current = std::fs::read_to_string(root.join(path)).unwrap_or_default();
            if &current != fresh {
                stale.push((*path).to_owned());
            }
        }
        for (name, fresh) in &outputs {
            let path = root.join(OUT_DIR).join(name);
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            if &current != fresh {
                stale.push(format!("{OUT_DIR}/{name}"));
            }
        }
        let expected: Vec<&str> = outputs.iter().map(|(n, _)| *n).collect();
        for entry in std::fs::read_dir(root.join(OUT_DIR))? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if !expected.contains(&name.as_str()) {
                stale.push(format!("{OUT_DIR}/{name} (not generated any more)"));
            }
        }
        if !stale.is_empty() {
            bail!(
                "generated code is stale: {} differs from a fresh run; run `cargo xtask codegen` and commit the result",
                stale.join(", ")
            );
        }
        println!("codegen check: {OUT_DIR} is up to date with {SPEC}");
        return Ok(());
    }

    for entry in std::fs::read_dir(root.join(OUT_DIR))? {
        let path = entry?.path();
        let keep = outputs
            .iter()
            .any(|(name, _)| path.file_name().is_some_and(|f| f == *name));
        if !keep {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    for (name, fresh) in &outputs {
        let path = root.join(OUT_DIR).join(name);
        std::fs::write(&path, fresh).with_context(|| format!("writing {}", path.display()))?;
    }
    for (name, fresh) in &mock_outputs {
        let path = root.join(name);
        std::fs::write(&path, fresh).with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "codegen: wrote {OUT_DIR}/{{lib,types,operations}}.rs ({} operations; multipart left to the caller: {:?}; event streams: {:?}; {} open enums, {} tagged unions, {} packed vectors, {} secret fields; {} defaults and {} constraints moved to docs)",
        openapi.operations().count(),
        model.multipart_operations,
        model.event_stream_operations,
        model.enums.len(),
        model.unions.len(),
        model.packed.len(),
        model.secrets.len(),
        model.moved_defaults,
        model.relaxed_constraints,
    );
    Ok(())
}

/// What `tensoras-mock` takes from the spec: a copy of it (the crate checks
/// every request and reply against it, and a published crate cannot reach
/// outside its folder) and the table of operations its control endpoint
/// routes by id.
fn mock_outputs(root: &Path, spec: &serde_json::Value) -> Result<Vec<(&'static str, String)>> {
    let yaml =
        std::fs::read_to_string(root.join(SPEC)).with_context(|| format!("reading {SPEC}"))?;
    let mut rows = Vec::new();
    let mut methods = Vec::new();
    if let Some(paths) = spec["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(id) = item[method]["operationId"].as_str() else {
                    continue;
                };
                let upper = method.to_uppercase();
                rows.push(format!("    ({id:?}, {upper:?}, {path:?}),\n"));
                let summary = item[method]["summary"].as_str().unwrap_or(id);
                methods.push(format!(
                    "    /// Scripts `{upper} {path}` (`{id}`: {summary}): the same as\n\
                     \x20   /// [`MockServer::mock`]`::<`[`{op}`]`>()`.\n\
                     \x20   ///\n\
                     \x20   /// [`{op}`]: tensoras::operations::{op}\n\
                     \x20   pub fn {snake}(&self) -> Mock<'_, tensoras::operations::{op}> {{\n\
                     \x20       self.mock()\n\
                     \x20   }}\n",
                    op = spec::pascal(id),
                    snake = snake_case(id),
                    summary = summary.trim_end_matches('.'),
                ));
            }
        }
    }
    let table = format!(
        "// @generated by `cargo xtask codegen` from {SPEC}. Do not edit.\n\n\
         //! Every operation of the spec: `(operationId, method, path template)`, and a\n\
         //! typed scripting method per operation on [`MockServer`].\n\n\
         use crate::{{Mock, MockServer}};\n\n\
         /// `(operationId, method, path template)` of every operation.\n\
         pub(crate) const OPERATIONS: &[(&str, &str, &str)] = &[\n{}];\n\n\
         /// One method per operation of the spec, named after its `operationId`.\n\
         impl MockServer {{\n{}}}\n",
        rows.concat(),
        methods.join("\n")
    );
    Ok(vec![
        ("tensoras-mock/src/generated/tensoras.yaml", yaml),
        (
            "tensoras-mock/src/generated/operations.rs",
            rustfmt(root, &table)?,
        ),
    ])
}

/// `createChatCompletion` as `create_chat_completion`.
fn snake_case(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 4);
    for c in id.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Formats `source` with the toolchain's rustfmt so `cargo fmt --check` agrees.
fn rustfmt(root: &Path, source: &str) -> Result<String> {
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2021", "--emit", "stdout"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running rustfmt (install it with `rustup component add rustfmt`)")?;
    let mut stdin = child.stdin.take().context("rustfmt stdin")?;
    let input = source.to_owned();
    // Write on a thread: rustfmt may fill its stdout pipe before reading all of stdin.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().context("waiting for rustfmt")?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("rustfmt writer thread panicked"))?
        .context("writing to rustfmt")?;
    if !output.status.success() {
        bail!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout).context("rustfmt output is not UTF-8")
}
