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

/// Name of the native-ABI code of defined function `defined_index`, with its
/// name-section name appended (sanitized) when it has one, so profilers and
/// debuggers show it.
pub fn function_symbol(
    prefix: &str,
    defined_index: u32,
    name: Option<&str>,
) -> alloc::string::String {
    match name {
        Some(name) => alloc::format!("{prefix}_f{defined_index}_{}", sanitize(name)),
        None => alloc::format!("{prefix}_f{defined_index}"),
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
