//! The blocking client mirrors the async one: every public method of every
//! async namespace (and of the client itself) has a blocking twin of the
//! same name on the blocking type of the same name. Read from the sources,
//! so a method added to one side only fails this test.

#![cfg(feature = "blocking")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `(type, method)` for every `pub fn` in an inherent `impl` of `files`;
/// with `namespaces_only`, only in the namespaces' `impl<M: Mode>` blocks
/// (accumulators, streams and sources are shared, not mirrored).
fn public_methods(files: &[PathBuf], namespaces_only: bool) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(file).expect("source");
        let parsed = syn::parse_file(&text).expect("parses");
        for item in parsed.items {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            if block.trait_.is_some() {
                continue;
            }
            let generic_mode = block
                .generics
                .params
                .iter()
                .any(|p| matches!(p, syn::GenericParam::Type(t) if t.ident == "M"));
            if namespaces_only && !generic_mode {
                continue;
            }
            let syn::Type::Path(ty) = &*block.self_ty else {
                continue;
            };
            let Some(name) = ty.path.segments.last().map(|s| s.ident.to_string()) else {
                continue;
            };
            for member in block.items {
                if let syn::ImplItem::Fn(f) = member {
                    if matches!(f.vis, syn::Visibility::Public(_)) {
                        out.insert((name.clone(), f.sig.ident.to_string()));
                    }
                }
            }
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The namespaces' own `with_raw_response` comes from the shared macro on
/// both sides; it is checked by name on the macro instead.
fn namespaces(methods: &BTreeSet<(String, String)>) -> BTreeSet<String> {
    methods.iter().map(|(t, _)| t.clone()).collect()
}

#[test]
fn every_async_method_has_a_blocking_twin() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let async_side = public_methods(&rust_files(&src.join("resources")), true);
    let blocking_side = public_methods(&rust_files(&src.join("blocking/resources")), true);
    assert!(
        async_side.len() > 40,
        "the reader found the async methods: {async_side:?}"
    );
    let missing: Vec<_> = async_side.difference(&blocking_side).collect();
    assert!(
        missing.is_empty(),
        "async methods without a blocking twin: {missing:?}"
    );
    let extra: Vec<_> = blocking_side.difference(&async_side).collect();
    assert!(
        extra.is_empty(),
        "blocking methods without an async original: {extra:?}"
    );
    assert_eq!(namespaces(&async_side), namespaces(&blocking_side));

    // The clients: the async one's public methods (in `client.rs` and the
    // namespace accessors in `lib.rs`) against the blocking one's.
    let client = public_methods(&[src.join("client.rs"), src.join("lib.rs")], false);
    let blocking = public_methods(&[src.join("blocking/client.rs")], false);
    let names = |set: &BTreeSet<(String, String)>| -> BTreeSet<String> {
        set.iter()
            .filter(|(t, _)| t == "Tensoras")
            .map(|(_, m)| m.clone())
            .collect()
    };
    let (client, blocking) = (names(&client), names(&blocking));
    let missing: Vec<_> = client.difference(&blocking).collect();
    assert!(
        missing.is_empty(),
        "client methods without a blocking twin: {missing:?}"
    );
    // The blocking client's own additions: wrapping and unwrapping the async one.
    let extra: BTreeSet<String> = blocking.difference(&client).cloned().collect();
    assert_eq!(
        extra,
        BTreeSet::from(["as_async".to_owned(), "from_async".to_owned()])
    );

    // Bulk jobs (the parsed namespace's own methods), a submitted batch and
    // its results: the same methods on both sides.
    for ty in ["Batches", "BatchRun", "BatchResults"] {
        let of = |files: &[PathBuf]| -> BTreeSet<String> {
            public_methods(files, false)
                .into_iter()
                .filter(|(t, _)| t == ty)
                .map(|(_, m)| m)
                .collect()
        };
        let async_side = of(&rust_files(&src.join("resources/batches")));
        let blocking_side = of(&rust_files(&src.join("blocking/resources/batches")));
        assert!(async_side.len() >= 3, "{ty}: {async_side:?}");
        assert_eq!(async_side, blocking_side, "{ty}");
    }

    // Both namespace macros give `with_raw_response`.
    for macro_file in ["resources/mod.rs", "blocking/mod.rs"] {
        let text = std::fs::read_to_string(src.join(macro_file)).expect("macro");
        assert!(text.contains("pub fn with_raw_response"), "{macro_file}");
    }
}
