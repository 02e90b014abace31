//! Test helpers: modules without the compiler.

use std::sync::Arc;

use waot_abi::meta::{ModuleDescriptor, ModuleMeta};
use waot_abi::ABI_VERSION;

use crate::Module;

/// Leaks a descriptor for `meta` whose code index `i` starts at `code[i]`.
pub fn mock_module(meta: &ModuleMeta<'_>, code: Vec<*const u8>) -> Arc<Module> {
    let counts = meta.vm_counts();
    let d = counts.num_defined_funcs as usize;
    let t = counts.num_types as usize;
    let dummy = [0u8; 1].as_ptr();
    let mut code = code;
    code.resize(d + 2 * t, dummy);
    let mut meta = meta.clone();
    meta.code_sizes.resize(d + 2 * t, 1);
    let blob: &'static [u8] = Box::leak(meta.encode().into_boxed_slice());
    let funcs: &'static [*const u8] = Box::leak(code.into_boxed_slice());
    let desc = Box::leak(Box::new(ModuleDescriptor {
        abi_version: ABI_VERSION,
        _pad: 0,
        meta: blob.as_ptr(),
        meta_len: blob.len(),
        funcs: funcs.as_ptr(),
        array_trampolines: funcs[d..].as_ptr(),
        host_adapters: funcs[d + t..].as_ptr(),
    }));
    // SAFETY: everything the descriptor points to is leaked ('static).
    Arc::new(unsafe { Module::from_descriptor(desc) }.unwrap())
}
