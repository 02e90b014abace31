//! Readable function names. Toolchains put *mangled* names in the name
//! section (Rust `_ZN...E` and `_R...`, C++ `_Z...`, often with an
//! `.llvm.NNN` suffix); the emitter demangles them once, at compile time,
//! for the symbol table and for the metadata the runtime prints in trap
//! reports, so the runtime needs no demangler.

/// The name to show for a function named `raw` in the name section:
/// demangled when it is a Rust (legacy or v0) or C++ (Itanium) symbol, with
/// control characters replaced (the name is printed to terminals).
pub fn display_name(raw: &str) -> String {
    let name = demangle(raw).unwrap_or_else(|| raw.to_string());
    name.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn demangle(raw: &str) -> Option<String> {
    // Rust first: legacy Rust symbols are also valid Itanium C++ symbols,
    // but only the Rust demangler drops the `h<hash>` part. `{:#}` leaves
    // out hashes and crate disambiguators, like rustc's own backtraces.
    if let Ok(d) = rustc_demangle::try_demangle(raw) {
        return Some(format!("{d:#}"));
    }
    if !raw.starts_with("_Z") {
        return None;
    }
    // Clang keeps clone suffixes (`.cold`, `.llvm.NNN`) that the C++
    // demangler does not accept; show the function they belong to.
    let base = raw.split_once('.').map_or(raw, |(base, _)| base);
    let symbol = cpp_demangle::Symbol::new(base.as_bytes()).ok()?;
    symbol.demangle().ok()
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn demangles_rust_and_cpp() {
        let cases = [
            // Rust legacy, with and without an LLVM clone suffix.
            ("_ZN5lines4main17hca9aa96c77e74769E", "lines::main"),
            (
                "_ZN4core3fmt5Write9write_fmt17h6f1f21ab319f419eE.llvm.13367437663004201639",
                "core::fmt::Write::write_fmt",
            ),
            (
                "_ZN4core3ptr42drop_in_place$LT$std..io..error..Error$GT$17hb64c7b4349c5b0e3E",
                "core::ptr::drop_in_place<std::io::error::Error>",
            ),
            // Rust v0.
            (
                "_RNvXsq_NtCsi9YzqDQQz2q_5alloc6stringNtB5_6StringNtNtCsdHhIpgkcIfN_4core3fmt7Display3fmt",
                "<alloc::string::String as core::fmt::Display>::fmt",
            ),
            // C++.
            ("_Z3addii", "add(int, int)"),
            ("_ZN2ns5Shape4areaEv.cold", "ns::Shape::area()"),
            // Not mangled, or not validly: unchanged.
            ("main", "main"),
            ("__wasm_call_ctors", "__wasm_call_ctors"),
            ("_Zfoo", "_Zfoo"),
            ("bad\nname\x1b[31m", "bad?name?[31m"),
        ];
        for (raw, want) in cases {
            assert_eq!(display_name(raw), want, "{raw}");
        }
    }
}
