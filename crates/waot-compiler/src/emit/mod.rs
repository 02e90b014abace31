//! Last pipeline stage: compiled functions -> ELF relocatable object.
//!
//! The object defines, in this order (the order is the output's only
//! dependence besides the input, so objects are byte-identical across runs):
//!
//! | symbol                                   | linkage | what                                          |
//! |------------------------------------------|---------|-----------------------------------------------|
//! | `<name>.f<i>` or `<prefix>.f<i>`         | local   | wasm function `i` (native ABI), see below     |
//! | `<prefix>_array_t<t>`                    | local   | array-call trampoline of type `t`             |
//! | `<prefix>_host_t<t>`                     | local   | host-call adapter of type `t`                 |
//! | `<prefix>_meta`                          | local   | metadata blob ([`waot_abi::meta::ModuleMeta`]) |
//! | (anonymous)                              | local   | `funcs`, trampoline and adapter pointer arrays |
//! | `<prefix>_module`                        | export  | [`waot_abi::meta::ModuleDescriptor`]          |
//! | `<prefix>_launch`                        | local   | launch configuration, only with `emit_main`   |
//! | `main`                                   | export  | C entry point, only with `Config::emit_main`  |
//!
//! Names come from `waot_abi::symbols`. The only undefined symbol is
//! `waot_rt_main`, referenced by `main`. A function's `<name>` is its
//! name-section name demangled ([`names`]); the same display names go into
//! the metadata, for trap reports.
//!
//! Every function except `main` is a *code unit* (see
//! [`waot_abi::meta::ModuleMeta::code_sizes`]): with D defined functions and
//! T types, defined function `i` is code index `i`, the trampoline of type
//! `t` is `D + t` and the adapter of type `t` is `D + T + t`. The
//! descriptor's `funcs` array and the metadata's `code_sizes` list them in
//! that order, and trap sites are recorded under that index (trampolines
//! have none; an adapter has one, its `HostTrap`).

pub mod header;
pub mod names;
mod object;
mod trampoline;

use std::mem::{offset_of, size_of};

use cranelift_codegen::ir::{self, UserFuncName};
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;
use cranelift_module::{DataId, FuncId, Linkage};
use waot_abi::meta::{ModuleDescriptor, ModuleMeta, TrapSite};
use waot_abi::symbols;

use crate::abi;
use crate::codegen::{self, CompiledFunction};
use crate::config::Config;
use crate::error::{CompileError, Result};
use crate::module::ModuleInfo;
use object::{ObjectWriter, Pointer};

/// Size of a pointer on every supported target.
const POINTER_BYTES: usize = 8;

// The descriptor is written with the compiler's own layout of
// `ModuleDescriptor`, which is the target's as long as both are 64-bit.
const _: () = assert!(size_of::<ModuleDescriptor>() == 6 * POINTER_BYTES);

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
    let mut units = CodeUnits::default();
    // Still sorted by function index, as `ModuleMeta::func_names` must be.
    let func_names: Vec<(u32, String)> = info
        .meta
        .func_names
        .iter()
        .map(|(i, raw)| (*i, names::display_name(raw)))
        .collect();
    emit_defined_functions(&mut obj, &mut units, info, funcs, prefix, &func_names)?;
    let mut glue = Glue {
        isa: &**isa,
        ctx: Context::new(),
        fctx: FunctionBuilderContext::new(),
    };
    glue.emit_trampolines_and_adapters(&mut obj, &mut units, info, prefix)?;

    let num_types = info.meta.types.len();
    units.traps.sort_by_key(|t| (t.defined_func, t.code_offset));
    let meta = ModuleMeta {
        code_sizes: units.sizes,
        traps: units.traps,
        func_names,
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

    let glue_ids = &units.ids[funcs.len()..];
    let (trampoline_ids, adapter_ids) = glue_ids.split_at(num_types);
    let arrays = [
        pointer_array(&mut obj, &units.ids)?,
        pointer_array(&mut obj, trampoline_ids)?,
        pointer_array(&mut obj, adapter_ids)?,
    ];
    let desc_id = emit_descriptor(&mut obj, prefix, meta_id, blob_len, arrays)?;
    if config.emit_main {
        glue.emit_main(&mut obj, desc_id, prefix, &config.launch)?;
    }
    obj.finish()
}

/// The code units emitted so far, in code-index order.
#[derive(Default)]
struct CodeUnits {
    ids: Vec<FuncId>,
    sizes: Vec<u32>,
    traps: Vec<TrapSite>,
}

impl CodeUnits {
    fn push(&mut self, id: FuncId, func: &CompiledFunction) {
        self.ids.push(id);
        self.sizes.push(func.code.len() as u32);
        self.traps.extend_from_slice(&func.traps);
    }
}

/// Declares the defined functions first, so that `FuncId` == defined index
/// (how the translator names call targets), then defines them.
fn emit_defined_functions(
    obj: &mut ObjectWriter,
    units: &mut CodeUnits,
    info: &ModuleInfo<'_>,
    funcs: &[CompiledFunction],
    prefix: &str,
    func_names: &[(u32, String)],
) -> Result<()> {
    let mut ids = Vec::with_capacity(funcs.len());
    for i in 0..info.num_defined_funcs() {
        let func_index = info.func_index(i);
        let display = func_names
            .binary_search_by_key(&func_index, |(f, _)| *f)
            .ok()
            .map(|at| func_names[at].1.as_str());
        let name = symbols::function_symbol(prefix, func_index, display);
        let sig = abi::wasm_signature(info.func_type(func_index));
        let id = obj.declare_function(&name, Linkage::Local, &sig)?;
        if id != FuncId::from_u32(i) {
            return Err(CompileError::Internal(format!(
                "defined function {i} was declared as {id}"
            )));
        }
        ids.push(id);
    }
    for (id, func) in ids.into_iter().zip(funcs) {
        obj.define_function(id, func)?;
        units.push(id, func);
    }
    Ok(())
}

/// Builds and compiles the functions the emitter writes itself.
struct Glue<'a> {
    isa: &'a dyn TargetIsa,
    ctx: Context,
    fctx: FunctionBuilderContext,
}

impl Glue<'_> {
    /// One array-call trampoline per type index (code index `D + t`), then
    /// one host adapter per type index (`D + T + t`).
    fn emit_trampolines_and_adapters(
        &mut self,
        obj: &mut ObjectWriter,
        units: &mut CodeUnits,
        info: &ModuleInfo<'_>,
        prefix: &str,
    ) -> Result<()> {
        let types = &info.meta.types;
        for (t, ty) in (0u32..).zip(types) {
            let func = trampoline::array_trampoline(self.isa, &mut self.fctx, ty);
            let name = symbols::array_trampoline_symbol(prefix, t);
            self.define(obj, units, func, &name)?;
        }
        for (t, ty) in (0u32..).zip(types) {
            let func = trampoline::host_adapter(self.isa, &mut self.fctx, ty);
            let name = symbols::host_adapter_symbol(prefix, t);
            self.define(obj, units, func, &name)?;
        }
        Ok(())
    }

    /// Compiles `func` as the next code unit, a local symbol `name`.
    fn define(
        &mut self,
        obj: &mut ObjectWriter,
        units: &mut CodeUnits,
        func: ir::Function,
        name: &str,
    ) -> Result<()> {
        let code_index = units.ids.len() as u32;
        let id = obj.declare_function(name, Linkage::Local, &func.signature)?;
        let compiled = codegen::compile_function(&mut self.ctx, self.isa, func, code_index, id)?;
        obj.define_function(id, &compiled)?;
        units.push(id, &compiled);
        Ok(())
    }

    /// The C `main` of executables, calling
    /// `waot_rt_main(&descriptor, argc, argv, &launch, launch_len)`; `launch`
    /// is the encoded launch configuration (`<prefix>_launch`).
    fn emit_main(
        &mut self,
        obj: &mut ObjectWriter,
        desc_id: DataId,
        prefix: &str,
        launch: &[u8],
    ) -> Result<()> {
        // Never an empty data object: one zero byte when there is no blob
        // (the length passed is still 0).
        let bytes = if launch.is_empty() {
            vec![0]
        } else {
            launch.to_vec()
        };
        let launch_id = obj.define_data(
            Some(&symbols::launch_symbol(prefix)),
            Linkage::Local,
            bytes,
            8,
            &[],
        )?;
        let sig = trampoline::runtime_main_signature(self.isa);
        let rt_main = obj.declare_function(symbols::RUNTIME_MAIN, Linkage::Import, &sig)?;
        let sig = trampoline::c_main_signature(self.isa);
        let main = obj.declare_function(symbols::C_MAIN, Linkage::Export, &sig)?;
        let name = UserFuncName::user(0, main.as_u32());
        let func = trampoline::c_main(self.isa, &mut self.fctx, name, launch.len(), |func| {
            (
                obj.func_ref(rt_main, func),
                obj.data_ref(desc_id, func),
                obj.data_ref(launch_id, func),
            )
        });
        // `main` is not a code unit; it has no trap sites to record.
        let compiled = codegen::compile_function(&mut self.ctx, self.isa, func, u32::MAX, main)?;
        obj.define_function(main, &compiled)
    }
}

/// The exported [`ModuleDescriptor`]; `arrays` are the `funcs`,
/// `array_trampolines` and `host_adapters` pointer arrays.
fn emit_descriptor(
    obj: &mut ObjectWriter,
    prefix: &str,
    meta_id: DataId,
    meta_len: usize,
    arrays: [DataId; 3],
) -> Result<DataId> {
    let mut desc = vec![0u8; size_of::<ModuleDescriptor>()];
    let put = |desc: &mut [u8], offset: usize, bytes: &[u8]| {
        desc[offset..offset + bytes.len()].copy_from_slice(bytes);
    };
    let version = waot_abi::ABI_VERSION.to_le_bytes();
    put(
        &mut desc,
        offset_of!(ModuleDescriptor, abi_version),
        &version,
    );
    let len = (meta_len as u64).to_le_bytes();
    put(&mut desc, offset_of!(ModuleDescriptor, meta_len), &len);
    let [funcs, trampolines, adapters] = arrays;
    let pointers = [
        (offset_of!(ModuleDescriptor, meta), meta_id),
        (offset_of!(ModuleDescriptor, funcs), funcs),
        (offset_of!(ModuleDescriptor, array_trampolines), trampolines),
        (offset_of!(ModuleDescriptor, host_adapters), adapters),
    ]
    .map(|(offset, data)| (offset as u32, Pointer::Data(data)));
    obj.define_data(
        Some(&symbols::descriptor_symbol(prefix)),
        Linkage::Export,
        desc,
        POINTER_BYTES as u64,
        &pointers,
    )
}

/// An anonymous read-only array of function pointers. An empty array still
/// gets one null slot, so the descriptor never holds a null pointer (the
/// runtime may make an empty slice from it, which needs a non-null pointer).
fn pointer_array(obj: &mut ObjectWriter, ids: &[FuncId]) -> Result<DataId> {
    let pointers: Vec<_> = (0u32..)
        .zip(ids)
        .map(|(i, id)| (i * POINTER_BYTES as u32, Pointer::Func(*id)))
        .collect();
    let bytes = vec![0; ids.len().max(1) * POINTER_BYTES];
    obj.define_data(None, Linkage::Local, bytes, POINTER_BYTES as u64, &pointers)
}
