//! Which WebAssembly feature a spec script tests, for the per-feature
//! summary of a 3.0 run.
//!
//! The 3.0 test suite flattens the spec repository's `test/core/<proposal>/`
//! folders into one top level (see `spec-tests/3.0/SOURCE.md`), so a file's
//! feature comes from, in order: a `proposals/<feature>/` folder in its
//! path, the `legacy/` folder, the upstream origin of its name (the table in
//! SOURCE.md), and last a look at its text for operators of 3.0 features.
//! Everything else is `core`.

use std::path::Path;

/// The feature file `path` (with text `text`) tests.
pub fn classify(path: &Path, text: &str) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(i) = parts.iter().position(|p| p == "proposals") {
        if i + 2 < parts.len() {
            return parts[i + 1].clone();
        }
    }
    if parts.iter().rev().nth(1).is_some_and(|p| p == "legacy") {
        return "legacy-exceptions".to_string();
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    by_name(&stem)
        .or_else(|| by_text(text))
        .unwrap_or("core")
        .to_string()
}

/// The feature of a top-level 3.0 file by its upstream folder.
fn by_name(stem: &str) -> Option<&'static str> {
    const GC: &[&str] = &[
        "struct",
        "i31",
        "ref_cast",
        "ref_test",
        "ref_eq",
        "extern",
        "binary-gc",
        "type-subtyping",
        "type-rec",
        "type-canon",
        "type-equivalence",
    ];
    const EXCEPTIONS: &[&str] = &["tag", "throw", "throw_ref", "try_table"];
    const FUNC_REFS: &[&str] = &[
        "call_ref",
        "br_on_null",
        "br_on_non_null",
        "ref_as_non_null",
        "local_init",
    ];
    const EXTENDED_CONST: &[&str] = &["data", "elem", "global"];
    const MULTI_MEMORY: &[&str] = &["memory-multi", "memory_size_import", "memory_grow"];
    let digits = stem.len() - stem.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (base, suffix) = stem.split_at(stem.len() - digits);
    Some(match stem {
        s if s.starts_with("simd_") => "simd",
        s if s.contains("relaxed") => "relaxed-simd",
        s if s.starts_with("return_call") => "tail-call",
        s if s.starts_with("array") || s.starts_with("br_on_cast") || GC.contains(&s) => "gc",
        s if EXCEPTIONS.contains(&s) => "exceptions",
        s if FUNC_REFS.contains(&s) => "function-references",
        s if EXTENDED_CONST.contains(&s) => "extended-const",
        s if s.starts_with("memory64") || s == "table_copy_mixed" => "memory64",
        _ if suffix == "64" && base.len() > 1 => "memory64",
        _ if suffix.len() == 1 && !base.is_empty() => "multi-memory",
        s if MULTI_MEMORY.contains(&s) => "multi-memory",
        _ => return None,
    })
}

/// The feature of a file not named in SOURCE.md, by the operators it uses.
fn by_text(text: &str) -> Option<&'static str> {
    const KEYWORDS: &[(&str, &str)] = &[
        ("relaxed_", "relaxed-simd"),
        ("struct.new", "gc"),
        ("array.new", "gc"),
        ("try_table", "exceptions"),
        ("return_call", "tail-call"),
        ("call_ref", "function-references"),
        ("(memory i64", "memory64"),
    ];
    KEYWORDS
        .iter()
        .find(|(k, _)| text.contains(k))
        .map(|(_, f)| *f)
}
