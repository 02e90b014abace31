//! Every symbol name shared between the object files waot writes and the
//! runtime library that is linked with them.
//!
//! Objects are self-contained: generated code reaches the runtime only
//! through the VM context (see [`crate::builtins`]), so the only undefined
//! symbol an executable's object has is [`RUNTIME_MAIN`].

/// Prefix of every symbol the runtime library defines.
pub const RUNTIME_PREFIX: &str = "waot_rt_";

/// `extern "C" fn(desc: *const ModuleDescriptor, argc: i32, argv: *const *const c_char,
/// launch: *const u8, launch_len: usize) -> i32`: runs a WASI command module as a
/// process; called by the generated `main`. `launch` is the
/// [`crate::launch::LaunchConfig`] blob baked in by `waot build` (may be empty).
pub const RUNTIME_MAIN: &str = "waot_rt_main";

/// The C `main` function `waot build` objects define.
pub const C_MAIN: &str = "main";

/// Symbol prefix used for the module of an executable (`waot build`).
pub const EXECUTABLE_PREFIX: &str = "waot_app";

/// Name of the [`crate::meta::ModuleDescriptor`] data symbol for a module
/// compiled with symbol prefix `prefix`.
pub fn descriptor_symbol(prefix: &str) -> alloc::string::String {
    alloc::format!("{prefix}_module")
}

/// Name of the launch configuration blob data symbol (executables only).
pub fn launch_symbol(prefix: &str) -> alloc::string::String {
    alloc::format!("{prefix}_launch")
}

/// Name of the metadata blob data symbol.
pub fn meta_symbol(prefix: &str) -> alloc::string::String {
    alloc::format!("{prefix}_meta")
}

/// Longest function name (in bytes) put into a symbol; longer ones (deep
/// C++ templates run to kilobytes) are cut, with `...` appended.
pub const MAX_SYMBOL_NAME_BYTES: usize = 256;

/// Name of the native-ABI code of function `func_index` (the wasm function
/// index, imports first): `<name>.f<func_index>`, where `name` is the
/// function's display name (its name-section name, demangled by the
/// compiler), or `<prefix>.f<func_index>` when it has none.
///
/// The name is kept readable, `::`, `<>` and all, so `perf report`, `gdb`'s
/// `bt` and `nm` show it as it is: ELF symbol names are arbitrary bytes, and
/// these are local symbols no other object refers to. The `.f<index>`
/// suffix keeps them unique (name sections may repeat a name; demangling
/// drops Rust's hashes) and, because it contains a `.`, keeps them from ever
/// equalling a C identifier: no function symbol can clash with `main`,
/// [`RUNTIME_MAIN`], a libcall or the emitter's other `<prefix>_...` names.
pub fn function_symbol(
    prefix: &str,
    func_index: u32,
    display_name: Option<&str>,
) -> alloc::string::String {
    match display_name.filter(|n| !n.is_empty()) {
        Some(name) if name.len() > MAX_SYMBOL_NAME_BYTES => {
            let mut end = MAX_SYMBOL_NAME_BYTES;
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            alloc::format!("{}....f{func_index}", &name[..end])
        }
        Some(name) => alloc::format!("{name}.f{func_index}"),
        None => alloc::format!("{prefix}.f{func_index}"),
    }
}

/// Name of the array-call trampoline for type index `type_index`.
pub fn array_trampoline_symbol(prefix: &str, type_index: u32) -> alloc::string::String {
    alloc::format!("{prefix}_array_t{type_index}")
}

/// Name of the host-call adapter for type index `type_index`.
pub fn host_adapter_symbol(prefix: &str, type_index: u32) -> alloc::string::String {
    alloc::format!("{prefix}_host_t{type_index}")
}

/// Turns any string into a C identifier fragment: `[A-Za-z0-9_]`, other
/// characters become `_`.
pub fn sanitize(name: &str) -> alloc::string::String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_symbols_are_readable_and_unique() {
        assert_eq!(
            function_symbol("app", 12, Some("lines::main")),
            "lines::main.f12"
        );
        assert_eq!(function_symbol("app", 3, None), "app.f3");
        assert_eq!(function_symbol("app", 3, Some("")), "app.f3");
        let long = "é".repeat(200);
        let sym = function_symbol("app", 1, Some(&long));
        assert!(sym.ends_with("....f1"), "{sym}");
        assert!(sym.len() <= MAX_SYMBOL_NAME_BYTES + 6);
    }
}
