//! Last pipeline stage: compiled functions -> ELF relocatable object.
//!
//! The object defines, in this order (the order is the output's only
//! dependence besides the input, so objects are byte-identical across runs):
//!
//! | symbol                                   | linkage | what                                          |
//! |------------------------------------------|---------|-----------------------------------------------|
//! | `<prefix>_f<i>[_<name>]`                 | local   | defined function `i` (native ABI)             |
//! | `<prefix>_array_t<t>`                    | local   | array-call trampoline of type `t`             |
//! | `<prefix>_host_t<t>`                     | local   | host-call adapter of type `t`                 |
//! | `<prefix>_meta`                          | local   | metadata blob ([`waot_abi::meta::ModuleMeta`]) |
//! | (anonymous)                              | local   | code-unit, trampoline and adapter pointer arrays |
//! | `<prefix>_module`                        | export  | [`waot_abi::meta::ModuleDescriptor`]          |
//! | `main`                                   | export  | C entry point, only with `Config::emit_main`  |
//!
//! Names come from `waot_abi::symbols`. The only undefined symbol is
//! `waot_rt_main`, referenced by `main`.
//!
//! Every function except `main` is a *code unit* (see
//! [`waot_abi::meta::ModuleMeta::code_sizes`]): with D defined functions and
//! T types, defined function `i` is code index `i`, the trampoline of type
//! `t` is `D + t` and the adapter of type `t` is `D + T + t`. The
//! descriptor's `funcs` array and the metadata's `code_sizes` list them in
//! that order, and trap sites are recorded under that index (trampolines
//! have none; an adapter has one, its `HostTrap`).

mod object;
mod trampoline;

use std::mem::{offset_of, size_of};

use cranelift_codegen::ir::UserFuncName;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;
use cranelift_module::{FuncId, Linkage};
use waot_abi::meta::{ModuleDescriptor, ModuleMeta};
use waot_abi::symbols;

use crate::abi;
use crate::codegen::{self, CompiledFunction};
use crate::config::Config;
use crate::error::{CompileError, Result};
use crate::module::ModuleInfo;
use object::{ObjectWriter, Pointer};

/// The two per-type glue functions.
#[derive(Clone, Copy)]
enum GlueKind {
    ArrayTrampoline,
    HostAdapter,
}

/// Size of a pointer on every supported target.
const POINTER_BYTES: usize = 8;

/// Writes the object file for `info`, whose defined functions compiled to
/// `funcs` (in defined-index order).
pub fn emit_object(
    info: &ModuleInfo<'_>,
    funcs: &[CompiledFunction],
    isa: &OwnedTargetIsa,
    config: &Config,
) -> Result<Vec<u8>> {
    let prefix = config.symbol_prefix.as_str();
    let mut obj = ObjectWriter::new(isa.clone(), prefix)?;

    // Defined functions first, so that FuncId == defined index, which is
    // how the translator names call targets.
    let mut code_ids = Vec::with_capacity(funcs.len() + info.meta.types.len());
    for i in 0..info.num_defined_funcs() {
        let func_index = info.func_index(i);
        let name = symbols::function_symbol(prefix, i, info.func_name(func_index));
        let sig = abi::wasm_signature(info.func_type(func_index));
        let id = obj.declare_function(&name, Linkage::Local, &sig)?;
        if id != FuncId::from_u32(i) {
            return Err(CompileError::Internal(format!(
                "defined function {i} was declared as {id}"
            )));
        }
        code_ids.push(id);
    }
    for (id, func) in code_ids.iter().zip(funcs) {
        obj.define_function(*id, func)?;
    }
    let mut code_sizes: Vec<u32> = funcs.iter().map(|f| f.code.len() as u32).collect();
    let mut traps: Vec<_> = funcs.iter().flat_map(|f| f.traps.iter().copied()).collect();

    // One trampoline and one adapter per type index; code indices
    // D + t and D + T + t.
    let mut ctx = Context::new();
    let mut fctx = FunctionBuilderContext::new();
    let num_defined = info.num_defined_funcs();
    let num_types = info.meta.types.len() as u32;
    for kind in [GlueKind::ArrayTrampoline, GlueKind::HostAdapter] {
        for (t, ty) in (0u32..).zip(&info.meta.types) {
            let (func, name, code_index) = match kind {
                GlueKind::ArrayTrampoline => (
                    trampoline::array_trampoline(&**isa, &mut fctx, ty),
                    symbols::array_trampoline_symbol(prefix, t),
                    num_defined + t,
                ),
                GlueKind::HostAdapter => (
                    trampoline::host_adapter(&**isa, &mut fctx, ty),
                    symbols::host_adapter_symbol(prefix, t),
                    num_defined + num_types + t,
                ),
            };
            let id = obj.declare_function(&name, Linkage::Local, &func.signature)?;
            let compiled = codegen::compile_function(&mut ctx, &**isa, func, code_index, id)?;
            obj.define_function(id, &compiled)?;
            code_ids.push(id);
            code_sizes.push(compiled.code.len() as u32);
            traps.extend(compiled.traps);
        }
    }
    traps.sort_by_key(|t| (t.defined_func, t.code_offset));

    let meta = ModuleMeta {
        code_sizes,
        traps,
        ..info.meta.clone()
    };
    let blob = meta.encode();
    let blob_len = blob.len();
    let meta_id = obj.define_data(
        Some(&symbols::meta_symbol(prefix)),
        Linkage::Local,
        blob,
        1,
        &[],
    )?;

    let code_array = pointer_array(&mut obj, &code_ids)?;
    let (trampoline_ids, adapter_ids) = code_ids[funcs.len()..].split_at(num_types as usize);
    let trampoline_array = pointer_array(&mut obj, trampoline_ids)?;
    let adapter_array = pointer_array(&mut obj, adapter_ids)?;

    let mut desc = vec![0u8; size_of::<ModuleDescriptor>()];
    let abi_version = offset_of!(ModuleDescriptor, abi_version);
    desc[abi_version..abi_version + 4].copy_from_slice(&waot_abi::ABI_VERSION.to_le_bytes());
    let meta_len = offset_of!(ModuleDescriptor, meta_len);
    desc[meta_len..meta_len + POINTER_BYTES].copy_from_slice(&(blob_len as u64).to_le_bytes());
    let mut pointers = vec![(offset_of!(ModuleDescriptor, meta), Pointer::Data(meta_id))];
    for (field, array) in [
        (offset_of!(ModuleDescriptor, funcs), code_array),
        (
            offset_of!(ModuleDescriptor, array_trampolines),
            trampoline_array,
        ),
        (offset_of!(ModuleDescriptor, host_adapters), adapter_array),
    ] {
        // Empty arrays stay null.
        if let Some(array) = array {
            pointers.push((field, Pointer::Data(array)));
        }
    }
    let pointers: Vec<_> = pointers.into_iter().map(|(o, p)| (o as u32, p)).collect();
    let desc_id = obj.define_data(
        Some(&symbols::descriptor_symbol(prefix)),
        Linkage::Export,
        desc,
        POINTER_BYTES as u64,
        &pointers,
    )?;

    if config.emit_main {
        let sig = trampoline::runtime_main_signature(&**isa);
        let rt_main = obj.declare_function(symbols::RUNTIME_MAIN, Linkage::Import, &sig)?;
        let sig = trampoline::c_main_signature(&**isa);
        let main = obj.declare_function(symbols::C_MAIN, Linkage::Export, &sig)?;
        let name = UserFuncName::user(0, main.as_u32());
        let func = trampoline::c_main(&**isa, &mut fctx, name, |func| {
            (obj.func_ref(rt_main, func), obj.data_ref(desc_id, func))
        });
        let compiled = codegen::compile_function(&mut ctx, &**isa, func, u32::MAX, main)?;
        obj.define_function(main, &compiled)?;
    }

    obj.finish()
}

/// An anonymous read-only array of function pointers, or `None` when empty.
fn pointer_array(
    obj: &mut ObjectWriter,
    ids: &[FuncId],
) -> Result<Option<cranelift_module::DataId>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let pointers: Vec<_> = (0u32..)
        .zip(ids)
        .map(|(i, id)| (i * POINTER_BYTES as u32, Pointer::Func(*id)))
        .collect();
    let bytes = vec![0; ids.len() * POINTER_BYTES];
    obj.define_data(None, Linkage::Local, bytes, POINTER_BYTES as u64, &pointers)
        .map(Some)
}
