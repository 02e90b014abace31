//! Instantiation (spec §4.5.4 "instantiation"): import matching, the VM
//! context, memories/tables/globals, segments and the start function.
//!
//! Order: match imports (§4.5.2, extern subtyping); allocate and fill the VM
//! context (type ids, imported functions, function references, memories,
//! globals, tables); evaluate element segments; apply active element then
//! active data segments in order, bounds-checking each (a failing segment
//! traps, earlier ones stay applied); drop active and declared segments;
//! run the start function.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::fmt;
use std::ptr::NonNull;
use std::sync::Arc;

use waot_abi::builtins::Builtin;
use waot_abi::meta::{
    ExportKind, ExternType, GlobalType, MemoryType, SegmentMode, TableType, ValType,
};
use waot_abi::trap::TrapKind;
use waot_abi::vmctx::{
    StoreContext, ValRaw, VmFuncRef, VmOffsets, VMCTX_BUILTINS, VMCTX_FLAGS, VMCTX_FLAG_EXCEPTIONS,
    VMCTX_INSTANCE, VMCTX_STORE,
};

use crate::const_eval::{self, ConstEnv, ObjectInit};
use crate::memory::MemoryData;
use crate::objects::{GcStore, ShapeBody};
use crate::signatures::is_subtype;
use crate::store::{FuncInfo, FuncKind};
use crate::table::{in_bounds, TableData};
use crate::{global, Extern, Func, Global, Instance, Module, Store, Trap, Val};

/// Why instantiation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstantiateError {
    /// Imports do not fit: `"unknown import: m::n"` or
    /// `"incompatible import type: m::n ..."` (spec `assert_unlinkable` texts
    /// are prefixes of these messages).
    Link(String),
    /// A segment or the start function trapped.
    Trap(Trap),
    /// The runtime could not create a memory or table (e.g. a 64-bit
    /// memory's minimum is past the runtime's cap).
    Resource(String),
}

impl fmt::Display for InstantiateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstantiateError::Link(m) | InstantiateError::Resource(m) => f.write_str(m),
            InstantiateError::Trap(t) => t.fmt(f),
        }
    }
}

impl std::error::Error for InstantiateError {}

/// The runtime's side of an instance; `vmctx[VMCTX_INSTANCE]` points here.
pub(crate) struct InstanceData {
    pub module: Arc<Module>,
    pub vmctx: *mut u8,
    layout: Layout,
    /// Memories by index (imports first); owned by the store.
    pub memories: Vec<*mut MemoryData>,
    /// Tables by index (imports first); owned by the store.
    pub tables: Vec<*mut TableData>,
    /// Data segment bytes; empty once dropped.
    pub datas: Vec<&'static [u8]>,
    /// Evaluated element segments; empty once dropped.
    pub elems: Vec<Vec<u64>>,
    pub exports: Vec<(String, Extern)>,
    /// The store's GC heap (boxed by the store).
    pub gc: *mut GcStore,
}

impl Drop for InstanceData {
    fn drop(&mut self) {
        // SAFETY: allocated in `instantiate` with this layout.
        unsafe { dealloc(self.vmctx, self.layout) };
    }
}

/// Builtin table pointed to by every VM context.
#[expect(
    dead_code,
    reason = "read by generated code through vmctx[VMCTX_BUILTINS]"
)]
struct BuiltinTable([*const u8; Builtin::COUNT]);
// SAFETY: immutable table of function pointers.
unsafe impl Sync for BuiltinTable {}
static BUILTINS: BuiltinTable = BuiltinTable(crate::builtins::TABLE);

/// What constant expressions of an instance being created see. Objects
/// they allocate stay rooted until the instantiation ends.
struct Env<'a> {
    store: &'a mut Store,
    module: &'a Module,
    globals: &'a [Global],
    funcs: &'a [Func],
}

impl Env<'_> {
    /// Evaluates `expr` of type `ty` (module type indices).
    fn eval(&mut self, expr: &[waot_abi::meta::ConstOp], ty: ValType) -> Result<Val, String> {
        let ty = self.module.canonical_val_type(ty);
        const_eval::eval(expr, ty, self)
    }
}

impl ConstEnv for Env<'_> {
    fn global(&self, index: u32) -> Option<Val> {
        Some(self.store.global_value(*self.globals.get(index as usize)?))
    }
    fn func(&self, index: u32) -> Option<Func> {
        self.funcs.get(index as usize).copied()
    }
    fn field_count(&self, type_index: u32) -> Option<usize> {
        match &self.module.gc_shape(type_index)?.body {
            ShapeBody::Struct { fields, .. } => Some(fields.len()),
            ShapeBody::Array(_) => None,
        }
    }
    fn new_object(&mut self, type_index: u32, init: ObjectInit<'_>) -> Result<Val, String> {
        let shape = self
            .module
            .gc_shape(type_index)
            .ok_or_else(|| format!("constant expression: {type_index} is not a GC type"))?;
        let gc = &mut self.store.gc;
        let word = gc
            .new_object(shape, init)
            .map_err(|k| k.message().to_string())?;
        gc.root_temp(word);
        // SAFETY: a new object of this store.
        Ok(Val::AnyRef(unsafe { crate::AnyRef::from_bits(word) }))
    }
    fn convert(&mut self, v: Val, to_any: bool) -> Result<Val, String> {
        let gc = &mut self.store.gc;
        let bits = v.to_ref_bits();
        let out = if to_any {
            gc.any_convert_extern(bits)
        } else {
            gc.extern_convert_any(bits)
        }
        .map_err(|k| k.message().to_string())?;
        gc.root_temp(out);
        Ok(if to_any {
            // SAFETY: a reference of this store's `any` hierarchy.
            Val::AnyRef(unsafe { crate::AnyRef::from_bits(out) })
        } else {
            Val::ExternRef(out.checked_sub(1))
        })
    }
}

fn link_err(module: &Module, index: usize, what: &str) -> InstantiateError {
    let imp = &module.meta().imports[index];
    InstantiateError::Link(format!(
        "incompatible import type: {}::{} ({what})",
        imp.module, imp.name
    ))
}

fn limits_match(min: u64, max: Option<u64>, req_min: u64, req_max: Option<u64>) -> bool {
    min >= req_min
        && match req_max {
            None => true,
            Some(rm) => max.is_some_and(|m| m <= rm),
        }
}

/// Import matching (spec §4.5.2).
fn check_imports(
    store: &Store,
    module: &Module,
    imports: &[Extern],
) -> Result<(), InstantiateError> {
    let meta = module.meta();
    if imports.len() != meta.imports.len() {
        return Err(InstantiateError::Link(format!(
            "expected {} imports, got {}",
            meta.imports.len(),
            imports.len()
        )));
    }
    for (i, (imp, ext)) in meta.imports.iter().zip(imports).enumerate() {
        let (provided, _) = store.extern_type(*ext);
        let ok = match (&imp.ty, provided) {
            (ExternType::Func(t), ExternType::Func(_)) => {
                let Extern::Func(f) = *ext else {
                    unreachable!("a function's extern type is Func")
                };
                // Canonical ids capture the whole type (typed references,
                // recursion groups); a declared subtype also matches.
                // SAFETY: a `Func` points to a live `VmFuncRef`.
                let provided_id = unsafe { (*f.as_ptr()).type_id };
                (*t as usize) < meta.types.len() && is_subtype(provided_id, module.type_id(*t))
            }
            (ExternType::Memory(req), ExternType::Memory(m)) => memory_matches(m, *req),
            (ExternType::Table(req), ExternType::Table(t)) => table_matches(
                t,
                TableType {
                    element: module.canonical_val_type(req.element),
                    ..*req
                },
            ),
            (ExternType::Global(req), ExternType::Global(g)) => global::matches(
                g,
                GlobalType {
                    ty: module.canonical_val_type(req.ty),
                    ..*req
                },
            ),
            (ExternType::Tag(t), ExternType::Tag(_)) => {
                let Extern::Tag(tag) = *ext else {
                    unreachable!("a tag's extern type is Tag")
                };
                // Tag types must be equivalent (no subtyping).
                (*t as usize) < meta.types.len()
                    && store.exceptions.tag_type_id(tag) == module.type_id(*t)
            }
            _ => return Err(link_err(module, i, "wrong kind")),
        };
        if !ok {
            return Err(link_err(module, i, "type or limits mismatch"));
        }
    }
    Ok(())
}

pub(crate) fn memory_matches(m: MemoryType, req: MemoryType) -> bool {
    m.memory64 == req.memory64
        && m.shared == req.shared
        && m.page_size_log2 == req.page_size_log2
        && limits_match(m.min_pages, m.max_pages, req.min_pages, req.max_pages)
}

pub(crate) fn table_matches(t: TableType, req: TableType) -> bool {
    t.element == req.element
        && t.table64 == req.table64
        && limits_match(t.min, t.max, req.min, req.max)
}

/// Writes a value of type `T` at `vmctx + offset`.
///
/// # Safety
///
/// `offset` must be inside the VM context and aligned for `T`.
unsafe fn put<T>(vmctx: *mut u8, offset: u32, v: T) {
    // SAFETY: guaranteed by the caller.
    unsafe { vmctx.add(offset as usize).cast::<T>().write(v) }
}

pub(crate) fn instantiate(
    store: &mut Store,
    module: &Arc<Module>,
    imports: &[Extern],
) -> Result<Instance, InstantiateError> {
    let r = instantiate_rooted(store, module, imports);
    store.gc.end_temp_roots();
    r
}

/// [`instantiate`]; objects built by constant expressions stay rooted
/// until the caller ends the temporary roots.
fn instantiate_rooted(
    store: &mut Store,
    module: &Arc<Module>,
    imports: &[Extern],
) -> Result<Instance, InstantiateError> {
    check_imports(store, module, imports)?;
    // The VM context holding defined globals is freed again if this fails
    // before the instance joins the store: unregister their slots then.
    let (globals_mark, instances) = (store.gc.globals_mark(), store.instances.len());
    let r = build_instance(store, module, imports);
    if r.is_err() && store.instances.len() == instances {
        store.gc.forget_globals(globals_mark);
    }
    r
}

fn build_instance(
    store: &mut Store,
    module: &Arc<Module>,
    imports: &[Extern],
) -> Result<Instance, InstantiateError> {
    let meta = module.meta();
    let off = VmOffsets::new(meta.vm_counts());
    let layout = Layout::from_size_align(off.size.max(16) as usize, 16)
        .map_err(|e| InstantiateError::Resource(e.to_string()))?;
    // SAFETY: the layout has a non-zero size.
    let vmctx = unsafe { alloc_zeroed(layout) };
    if vmctx.is_null() {
        return Err(InstantiateError::Resource(
            "out of memory for the VM context".into(),
        ));
    }
    let mut inst = Box::new(InstanceData {
        module: module.clone(),
        vmctx,
        layout,
        memories: Vec::new(),
        tables: Vec::new(),
        datas: meta.datas.iter().map(|d| d.bytes).collect(),
        elems: Vec::new(),
        exports: Vec::new(),
        gc: &mut *store.gc,
    });
    let ctx_ptr: *mut StoreContext = &mut *store.ctx;
    // SAFETY: all offsets below come from `VmOffsets` for this module's
    // counts, so every write is inside the zeroed, 16-aligned VM context.
    unsafe {
        put(vmctx, VMCTX_INSTANCE, &mut *inst as *mut InstanceData);
        put(vmctx, VMCTX_BUILTINS, &BUILTINS as *const BuiltinTable);
        put(vmctx, VMCTX_STORE, ctx_ptr);
        for t in 0..meta.types.len() as u32 {
            put(vmctx, off.type_id(t), module.type_id(t));
        }
    }

    // Functions: imports keep their identity, defined ones get a VmFuncRef
    // inside the VM context.
    let mut funcs: Vec<Func> = Vec::with_capacity(meta.funcs.len());
    let (mut mems, mut tables, mut globals) = (Vec::new(), Vec::new(), Vec::new());
    let mut tags = Vec::new();
    for (imp, ext) in meta.imports.iter().zip(imports) {
        match (&imp.ty, *ext) {
            (ExternType::Func(t), Extern::Func(f)) => {
                if let Some(FuncInfo {
                    kind: FuncKind::Host(_),
                    ..
                }) = store.funcs.get(&(f.as_ptr() as usize))
                {
                    // SAFETY: host funcrefs are owned by the store and only
                    // mutated here; any adapter of this signature works.
                    unsafe {
                        let fr = f.as_ptr().cast_mut();
                        if (*fr).native_fn.is_null() {
                            (*fr).native_fn = module.host_adapter(*t);
                        }
                    }
                }
                // SAFETY: inside the VM context (see above).
                unsafe { put(vmctx, off.imported_func(funcs.len() as u32), f.as_ptr()) };
                funcs.push(f);
            }
            (_, Extern::Memory(m)) => mems.push(m),
            (_, Extern::Table(t)) => tables.push(t),
            (_, Extern::Global(g)) => globals.push(g),
            (_, Extern::Tag(t)) => tags.push(t),
            _ => unreachable!("kinds checked by check_imports"),
        }
    }
    let num_imported_funcs = funcs.len() as u32;

    // Tags: imported ones are the exporter's; code compares the pointers.
    for &t in &meta.tags {
        let ty = module.canonical_func_type(t);
        tags.push(store.exceptions.new_tag(ty, module.type_id(t)));
    }
    for (i, &t) in tags.iter().enumerate() {
        // SAFETY: inside the VM context.
        unsafe { put(vmctx, off.tag(i as u32), store.exceptions.tag_ptr(t)) };
    }
    if meta.uses_exceptions {
        // SAFETY: the header's flags word.
        unsafe { put(vmctx, VMCTX_FLAGS, VMCTX_FLAG_EXCEPTIONS) };
    }
    for (d, &t) in meta.funcs[num_imported_funcs as usize..].iter().enumerate() {
        let d = d as u32;
        let fr = VmFuncRef {
            native_fn: module.func_code(d),
            vmctx,
            type_id: module.type_id(t),
            _pad: 0,
        };
        // SAFETY: inside the VM context; the pointer is non-null.
        let f = unsafe {
            put(vmctx, off.func_ref(d), fr);
            Func::from_non_null(NonNull::new_unchecked(
                vmctx.add(off.func_ref(d) as usize).cast(),
            ))
        };
        store.funcs.insert(
            f.as_ptr() as usize,
            FuncInfo {
                ty: module.canonical_func_type(t),
                kind: FuncKind::Wasm {
                    trampoline: module.array_trampoline(t),
                },
            },
        );
        funcs.push(f);
    }

    // Memories.
    for ty in &meta.memories {
        let m = MemoryData::new(*ty).map_err(InstantiateError::Resource)?;
        mems.push(store.push_memory(Box::new(m)));
    }
    for (i, &m) in mems.iter().enumerate() {
        let p = store.memory_ptr(m);
        // SAFETY: inside the VM context; memories are boxed by the store.
        unsafe {
            put(vmctx, off.memory_base(i as u32), (*p).base());
            put(vmctx, off.memory_def(i as u32), &mut (*p).def as *mut _);
        }
        inst.memories.push(p);
    }

    // Globals: imported ones point at the exporter's slot.
    for (i, &g) in globals.iter().enumerate() {
        // SAFETY: inside the VM context.
        unsafe { put(vmctx, off.imported_global(i as u32), store.global_slot(g)) };
    }
    for (d, def) in meta.globals.iter().enumerate() {
        let mut env = Env {
            store,
            module,
            globals: &globals,
            funcs: &funcs,
        };
        let v = env
            .eval(&def.init, def.ty.ty)
            .map_err(InstantiateError::Resource)?;
        // SAFETY: inside the VM context, 16-aligned.
        let slot = unsafe {
            vmctx
                .add(off.defined_global(d as u32) as usize)
                .cast::<ValRaw>()
        };
        // SAFETY: `slot` is a global slot of this VM context.
        unsafe { global::write(slot, v) };
        let ty = GlobalType {
            ty: module.canonical_val_type(def.ty.ty),
            ..def.ty
        };
        globals.push(store.push_global(slot, ty));
    }

    // Tables.
    for def in &meta.tables {
        let ty = TableType {
            element: module.canonical_val_type(def.ty.element),
            ..def.ty
        };
        let mut env = Env {
            store,
            module,
            globals: &globals,
            funcs: &funcs,
        };
        let init = match &def.init {
            Some(e) => env
                .eval(e, def.ty.element)
                .map_err(InstantiateError::Resource)?,
            None => Val::default_for(ty.element),
        };
        let t = TableData::new(ty, init.to_ref_bits()).map_err(InstantiateError::Resource)?;
        tables.push(store.push_table(Box::new(t)));
    }
    for (i, &t) in tables.iter().enumerate() {
        let p = store.table_ptr(t);
        // SAFETY: inside the VM context; tables are boxed by the store.
        unsafe { put(vmctx, off.table_def(i as u32), &mut (*p).def as *mut _) };
        inst.tables.push(p);
    }

    // Element segments, evaluated once.
    for seg in &meta.elems {
        let mut env = Env {
            store,
            module,
            globals: &globals,
            funcs: &funcs,
        };
        let items = seg
            .items
            .iter()
            .map(|e| env.eval(e, seg.element).map(|v| v.to_ref_bits()))
            .collect::<Result<Vec<u64>, String>>()
            .map_err(InstantiateError::Resource)?;
        inst.elems.push(items);
    }

    inst.exports = meta
        .exports
        .iter()
        .map(|e| {
            let i = e.index as usize;
            let ext = match e.kind {
                ExportKind::Func => Extern::Func(funcs[i]),
                ExportKind::Memory => Extern::Memory(mems[i]),
                ExportKind::Table => Extern::Table(tables[i]),
                ExportKind::Global => Extern::Global(globals[i]),
                ExportKind::Tag => Extern::Tag(tags[i]),
            };
            (e.name.clone(), ext)
        })
        .collect();

    // The instance joins the store now: even if a segment or the start
    // function traps, references to its functions may already be in
    // imported tables.
    let inst_ptr: *mut InstanceData = &mut *inst;
    store.gc.add_elems(&inst.elems);
    store.instances.push(inst);
    let handle = Instance(store.instances.len() as u32 - 1);
    let env_globals = globals;
    // SAFETY: `inst_ptr` is boxed in the store and outlives this call.
    let inst = unsafe { &mut *inst_ptr };
    apply_segments(store, inst, &env_globals, &funcs)?;
    if let Some(start) = meta.start {
        store
            .call(funcs[start as usize], &[])
            .map_err(InstantiateError::Trap)?;
    }
    Ok(handle)
}

/// Evaluates an active segment's offset: an `i32`, or an `i64` when the
/// target is a 64-bit memory or table (`index64`).
fn offset_of(
    store: &mut Store,
    module: &Module,
    expr: &[waot_abi::meta::ConstOp],
    index64: bool,
    globals: &[Global],
    funcs: &[Func],
) -> Result<u64, InstantiateError> {
    let mut env = Env {
        store,
        module,
        globals,
        funcs,
    };
    let ty = if index64 { ValType::I64 } else { ValType::I32 };
    match env.eval(expr, ty).map_err(InstantiateError::Resource)? {
        Val::I32(v) if !index64 => Ok(v as u32 as u64),
        Val::I64(v) if index64 => Ok(v as u64),
        _ => Err(InstantiateError::Resource(format!(
            "segment offset is not an {ty:?}"
        ))),
    }
}

fn apply_segments(
    store: &mut Store,
    inst: &mut InstanceData,
    globals: &[Global],
    funcs: &[Func],
) -> Result<(), InstantiateError> {
    let module = inst.module.clone();
    let meta = module.meta();
    let trap = |kind| InstantiateError::Trap(Trap::new(kind));
    for (i, seg) in meta.elems.iter().enumerate() {
        match &seg.mode {
            SegmentMode::Active { index, offset } => {
                let table = *inst
                    .tables
                    .get(*index as usize)
                    .ok_or_else(|| InstantiateError::Resource("unknown table".into()))?;
                // SAFETY: tables are owned by the store and outlive this call.
                let table = unsafe { &mut *table };
                let table64 = table.current_type().table64;
                let dst = offset_of(store, &module, offset, table64, globals, funcs)?;
                let items = std::mem::take(&mut inst.elems[i]);
                if !in_bounds(dst, items.len() as u64, table.size()) {
                    return Err(trap(TrapKind::TableOutOfBounds));
                }
                table.elements_mut()[dst as usize..dst as usize + items.len()]
                    .copy_from_slice(&items);
            }
            SegmentMode::Declared => inst.elems[i].clear(),
            SegmentMode::Passive => {}
        }
    }
    for (i, seg) in meta.datas.iter().enumerate() {
        let SegmentMode::Active { index, offset } = &seg.mode else {
            continue;
        };
        let mem = *inst
            .memories
            .get(*index as usize)
            .ok_or_else(|| InstantiateError::Resource("unknown memory".into()))?;
        // SAFETY: memories are owned by the store and outlive this call.
        let mem = unsafe { &mut *mem };
        let memory64 = mem.current_type().memory64;
        let dst = offset_of(store, &module, offset, memory64, globals, funcs)?;
        inst.datas[i] = &[];
        if !mem.check_range(dst, seg.bytes.len() as u64) {
            return Err(trap(TrapKind::MemoryOutOfBounds));
        }
        mem.data_mut()[dst as usize..dst as usize + seg.bytes.len()].copy_from_slice(seg.bytes);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
