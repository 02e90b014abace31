//! The C API: what the headers `waot compile --header` writes call into.
//!
//! Generated headers are thin, typed `static inline` wrappers around the
//! generic functions here; the C declarations live in every generated header
//! (the `WAOT_RT_API` block, written by `waot_compiler::emit::header`) and
//! are documented in `docs/C-API.md`. Conventions:
//!
//! - Every function is `extern "C"`, never unwinds (panics are caught and
//!   become [`WAOT_ERROR`]) and never exits the process.
//! - Functions that run wasm return a status: [`WAOT_OK`], [`WAOT_TRAP`]
//!   (the message is then [`waot_rt_trap_message`]) or [`WAOT_ERROR`] (a
//!   misuse, e.g. a wrong export index; message in the same place).
//! - Values cross as `waot_val`: 16-byte slots holding the value's
//!   little-endian bytes from offset 0 (the C side is a union); the runtime
//!   copies them, so C arrays need only their natural alignment. References
//!   are their raw 8-byte form: a funcref is its `*const VmFuncRef`, an
//!   externref is the host's pointer itself (null is null), a GC reference
//!   (`waot_anyref`, a `uint64_t`) its word as `waot_abi::gc` describes it,
//!   valid in its instance's store only; the store keeps every GC
//!   reference it hands out alive until it is freed.
//! - Each instance has its own [`Store`] inside a reference-counted
//!   [`Core`]: instances are independent (a trap in one leaves the others
//!   usable, freeing one frees its memory). Host objects (`waot_memory`,
//!   `waot_table`, `waot_global`, `waot_func`) are either created by the
//!   host or name another instance's export; importing one keeps what it
//!   refers to alive.
//! - An instance importing another's exports *links* to it: the other's
//!   wasm code may run during calls into this one (imported functions are
//!   called directly, funcrefs flow through tables and globals), so every
//!   entry sets the thread's stack limit in the stores of all linked
//!   instances, and funcrefs from C are accepted only when they belong to
//!   the instance or to one it links to.
//! - Calls may re-enter: a host import may call exports of the instance
//!   that called it (or of any other instance). The call path below only
//!   keeps raw pointers across the call into wasm for that reason.

use std::cell::{RefCell, UnsafeCell};
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, OnceLock};

use waot_abi::meta::{
    ExternType, FuncType, GlobalType, HeapType, MemoryType, ModuleDescriptor, TableType, ValType,
};
use waot_abi::vmctx::{StoreContext, ValRaw};

use crate::host::HostContext;
use crate::memory::MemoryData;
use crate::store::{FuncInfo, FuncKind, SharedCell};
use crate::table::TableData;
use crate::trap::{signals, trap_from_record, unwind, HostReason};
use crate::wasi::{self, WasiCtx};
use crate::{Extern, Func, InstantiateError, Module, Store, Trap, Val};

/// The call returned normally.
pub const WAOT_OK: c_int = 0;
/// WebAssembly code trapped; the instance stays usable.
pub const WAOT_TRAP: c_int = 1;
/// The call was refused (bad arguments, wrong export kind, out of memory...).
pub const WAOT_ERROR: c_int = 2;

/// `waot_extern.kind` of a function import.
pub const WAOT_EXTERN_FUNC: u32 = 0;
/// `waot_extern.kind` of a table import.
pub const WAOT_EXTERN_TABLE: u32 = 1;
/// `waot_extern.kind` of a memory import.
pub const WAOT_EXTERN_MEMORY: u32 = 2;
/// `waot_extern.kind` of a global import.
pub const WAOT_EXTERN_GLOBAL: u32 = 3;

/// A C `waot_val`: 16 bytes, the value's little-endian bytes first.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CVal(pub [u8; 16]);

/// A generic C function pointer (`void (*)(void)`), cast back by the header.
pub type CFnPtr = unsafe extern "C" fn();

/// `int (*)(waot_fnptr fn, void *ctx, waot_val *values)`: the adapter the
/// header generates per imported function; reads the params from `values`,
/// calls the typed `fn(ctx, params..., results...)`, writes the results
/// back. Non-zero makes the calling wasm code trap.
pub type CHostCall =
    unsafe extern "C" fn(func: Option<CFnPtr>, ctx: *mut c_void, values: *mut CVal) -> c_int;

/// One import as C supplies it (`waot_extern`).
#[repr(C)]
#[derive(Debug)]
pub struct CExtern {
    /// `WAOT_EXTERN_*`.
    pub kind: u32,
    /// Functions: the adapter; null for a `waot_func` in `object`, or to
    /// leave the import to WASI.
    pub call: Option<CHostCall>,
    /// Functions: the typed C function.
    pub func: Option<CFnPtr>,
    /// Functions: the user context passed to `func`.
    pub ctx: *mut c_void,
    /// A `waot_func*`, `waot_memory*`, `waot_table*` or `waot_global*`.
    pub object: *const c_void,
}

// Shared objects are reference counted with `Arc`, not `Rc`: C may drop its
// reference on another thread than the instances that use them (the count
// must be atomic), while the objects themselves are only used by one thread
// at a time (the C API's contract), so they are neither `Send` nor `Sync`
// in Rust's sense.

/// An instance's store and exports, shared by its `waot_instance`, the
/// instances that import its exports and the export handles.
pub struct Core {
    // Field order is drop order: the store goes before what it borrows.
    store: UnsafeCell<Store>,
    exports: Vec<Extern>,
    /// Instances whose exports this one imported.
    links: Vec<Arc<Core>>,
    /// Slots of the host-created globals it imported.
    _globals: Vec<Arc<UnsafeCell<ValRaw>>>,
}

impl Core {
    fn store(&self) -> *mut Store {
        self.store.get()
    }

    /// `self` and every instance it links to, transitively, each once.
    fn linked(&self) -> Vec<&Core> {
        let mut all: Vec<&Core> = vec![self];
        let mut i = 0;
        while i < all.len() {
            for l in &all[i].links {
                if !all.iter().any(|c| std::ptr::eq(*c, &**l)) {
                    all.push(l);
                }
            }
            i += 1;
        }
        all
    }

    /// The type and kind of function `f` if it belongs to this instance's
    /// store or to a linked one (only those may run during its calls).
    fn find_func(&self, f: *const c_void) -> Option<(FuncType, CallKind, *mut Store)> {
        self.linked().into_iter().find_map(|c| {
            let store = c.store();
            // SAFETY: a shared borrow of the map; no call mutates it now.
            let info = unsafe { (*store).funcs.get(&(f as usize))? };
            let kind = match info.kind {
                FuncKind::Wasm { trampoline } => CallKind::Wasm(trampoline),
                FuncKind::Host(data) => CallKind::Host(data),
            };
            Some((info.ty.clone(), kind, store))
        })
    }
}

#[derive(Clone, Copy)]
enum CallKind {
    Wasm(*const u8),
    Host(*mut crate::host::HostFuncData),
}

/// A memory (`waot_memory`).
pub enum HostMemory {
    /// Made by `waot_rt_memory_new`.
    Own(Arc<SharedCell<MemoryData>>),
    /// An instance's memory (`waot_rt_export_memory`).
    Export(Arc<Core>, NonNull<MemoryData>),
}

impl HostMemory {
    fn ptr(&self) -> *mut MemoryData {
        match self {
            HostMemory::Own(m) => m.get(),
            HostMemory::Export(_, p) => p.as_ptr(),
        }
    }
}

/// A table (`waot_table`).
pub enum HostTable {
    /// Made by `waot_rt_table_new`.
    Own(Arc<SharedCell<TableData>>),
    /// An instance's table (`waot_rt_export_table`).
    Export(Arc<Core>, NonNull<TableData>),
}

impl HostTable {
    fn ptr(&self) -> *mut TableData {
        match self {
            HostTable::Own(t) => t.get(),
            HostTable::Export(_, p) => p.as_ptr(),
        }
    }
}

/// A global (`waot_global`): its slot, its type and what keeps the slot alive.
pub struct HostGlobal {
    slot: *mut ValRaw,
    ty: GlobalType,
    owner: GlobalOwner,
}

enum GlobalOwner {
    /// Made by `waot_rt_global_new`.
    Own(Arc<UnsafeCell<ValRaw>>),
    /// An instance's global (`waot_rt_export_global`).
    Export(Arc<Core>),
}

/// An instance's exported function (`waot_func`), importable by others.
pub struct HostFunc {
    owner: Arc<Core>,
    func: Func,
}

/// WASI configuration (`waot_wasi`).
#[derive(Debug, Default)]
pub struct WasiConfig {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    preopens: Vec<(Vec<u8>, Vec<u8>)>,
}

/// An instance (`waot_instance`): the host's reference to its core, and the
/// message of its last failed call.
pub struct CInstance {
    core: Arc<Core>,
    message: CString,
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

fn set_last_error(msg: &str) {
    LAST_ERROR.with(|e| *e.borrow_mut() = c_string(msg));
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Runs `f`, turning a panic into `on_panic` (and the last error).
fn guard<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
        set_last_error(&format!(
            "internal error in the waot runtime: {}",
            panic_message(&*p)
        ));
        on_panic
    })
}

/// The module of a descriptor, made once per process (linked code never
/// goes away, and its code must be registered only once).
fn module_for(desc: *const ModuleDescriptor) -> Result<Arc<Module>, String> {
    static MODULES: OnceLock<Mutex<HashMap<usize, Arc<Module>>>> = OnceLock::new();
    let mut map = MODULES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(m) = map.get(&(desc as usize)) {
        return Ok(m.clone());
    }
    // SAFETY: the caller passes the `<prefix>_module` descriptor of an
    // object linked into this program, mapped for the process's life.
    let module = Arc::new(unsafe { Module::from_descriptor(desc) }.map_err(|e| e.to_string())?);
    map.insert(desc as usize, module.clone());
    Ok(module)
}

fn read_val(p: *const CVal) -> ValRaw {
    // SAFETY: callers pass valid `waot_val` pointers (any alignment).
    ValRaw(unsafe { p.read_unaligned() }.0)
}

fn write_val(p: *mut CVal, v: &ValRaw) {
    // SAFETY: callers pass valid `waot_val` pointers (any alignment).
    unsafe { p.write_unaligned(CVal(v.0)) }
}

/// The raw form of a reference: its first 8 bytes.
fn ref_bits(raw: &ValRaw) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&raw.0[..8]);
    u64::from_le_bytes(b)
}

/// Sets this thread's stack limit in the stores of the given instances
/// that have none yet (the outermost entry on this thread); dropping it
/// clears them again. Wasm code of linked instances may run during a call,
/// and each function checks its own store's limit.
struct StackLimits(Vec<*mut StoreContext>);

impl StackLimits {
    /// # Safety
    ///
    /// The stores are live and used by this thread only, until the drop.
    unsafe fn enter(stores: impl IntoIterator<Item = *mut Store>) -> StackLimits {
        signals::init();
        let limit = signals::thread_stack_limit();
        let mut set = Vec::new();
        for store in stores {
            // SAFETY: caller contract; only the context's one field is touched.
            let ctx: *mut StoreContext = unsafe { &mut *(*store).ctx };
            // SAFETY: as above.
            unsafe {
                if (*ctx).stack_limit == 0 {
                    (*ctx).stack_limit = limit;
                    set.push(ctx);
                }
            }
        }
        StackLimits(set)
    }
}

impl Drop for StackLimits {
    fn drop(&mut self) {
        for &ctx in &self.0 {
            // SAFETY: live for the duration (see `enter`).
            unsafe { (*ctx).stack_limit = 0 };
        }
    }
}

/// Instantiates the module of `desc` with `imports` (one per module import,
/// in import order). WASI function imports whose `call` and `object` are
/// null are provided by the runtime when `wasi` is non-null. On success
/// `*out` is the new instance; on failure the message is
/// [`waot_rt_last_error`].
///
/// # Safety
///
/// `desc` is a linked `<prefix>_module`; `imports` holds `num_imports`
/// entries whose objects are live host objects; `wasi` is null or a live
/// `waot_wasi`; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_instance_new(
    desc: *const ModuleDescriptor,
    imports: *const CExtern,
    num_imports: usize,
    wasi: *const WasiConfig,
    out: *mut *mut CInstance,
) -> c_int {
    if out.is_null() || desc.is_null() || (imports.is_null() && num_imports != 0) {
        set_last_error("waot_rt_instance_new: null argument");
        return WAOT_ERROR;
    }
    // SAFETY: checked non-null above.
    unsafe { *out = std::ptr::null_mut() };
    guard(WAOT_ERROR, || {
        let imports = if num_imports == 0 {
            &[][..]
        } else {
            // SAFETY: the caller guarantees `num_imports` entries.
            unsafe { std::slice::from_raw_parts(imports, num_imports) }
        };
        // SAFETY: null or a live config (caller contract).
        let wasi = unsafe { wasi.as_ref() };
        match instantiate(desc, imports, wasi) {
            Ok(core) => {
                let inst = CInstance {
                    core,
                    message: CString::default(),
                };
                // SAFETY: checked non-null above.
                unsafe { *out = Box::into_raw(Box::new(inst)) };
                WAOT_OK
            }
            Err((status, msg)) => {
                set_last_error(&msg);
                status
            }
        }
    })
}

fn instantiate(
    desc: *const ModuleDescriptor,
    imports: &[CExtern],
    wasi: Option<&WasiConfig>,
) -> Result<Arc<Core>, (c_int, String)> {
    let err = |m: String| (WAOT_ERROR, m);
    let module = module_for(desc).map_err(err)?;
    let meta = module.meta();
    if imports.len() != meta.imports.len() {
        return Err(err(format!(
            "module has {} imports, {} were given",
            meta.imports.len(),
            imports.len()
        )));
    }
    let mut store = Store::new();
    let mut links: Vec<Arc<Core>> = Vec::new();
    let mut link = |core: &Arc<Core>| {
        if !links.iter().any(|l| Arc::ptr_eq(l, core)) {
            links.push(core.clone());
        }
    };
    let mut globals = Vec::new();
    let wasi_ctx = match wasi {
        Some(w) => Some(Arc::new(std::sync::Mutex::new(wasi_ctx(w).map_err(err)?))),
        None => None,
    };
    let mut externs = Vec::with_capacity(imports.len());
    for (imp, ext) in meta.imports.iter().zip(imports) {
        let what = format!("import `{}.{}`", imp.module, imp.name);
        let kind_ok = matches!(
            (&imp.ty, ext.kind),
            (ExternType::Func(_), WAOT_EXTERN_FUNC)
                | (ExternType::Table(_), WAOT_EXTERN_TABLE)
                | (ExternType::Memory(_), WAOT_EXTERN_MEMORY)
                | (ExternType::Global(_), WAOT_EXTERN_GLOBAL)
                | (ExternType::Tag(_), _)
        );
        if !kind_ok {
            return Err(err(format!("{what}: wrong kind of extern")));
        }
        let e = match &imp.ty {
            ExternType::Func(t) => {
                // The store's form: typed references by canonical type id.
                let ty = module.canonical_func_type(*t);
                match (ext.call, ext.object.is_null(), &wasi_ctx) {
                    (Some(call), _, _) => {
                        let name = format!("{}.{}", imp.module, imp.name);
                        Extern::Func(host_func(&mut store, ty, call, ext.func, ext.ctx, name))
                    }
                    (None, false, _) => {
                        // SAFETY: a live `waot_func` (caller contract).
                        let h = unsafe { &*ext.object.cast::<HostFunc>() };
                        import_func(&mut store, h, &ty).map_err(|m| err(format!("{what}: {m}")))?;
                        link(&h.owner);
                        Extern::Func(h.func)
                    }
                    (None, true, Some(ctx)) if imp.module == wasi::MODULE_NAME => {
                        let f = wasi::define(&mut store, &imp.name, ctx).ok_or_else(|| {
                            err(format!("{what}: not a WASI function this runtime provides"))
                        })?;
                        if store.func_type(f) != ty {
                            return Err(err(format!("{what}: wrong type for WASI")));
                        }
                        Extern::Func(f)
                    }
                    (None, true, _) => {
                        return Err(err(format!("{what}: no function given")));
                    }
                }
            }
            ExternType::Tag(_) => {
                return Err(err(format!(
                    "{what}: tags cannot be imported through the C API"
                )))
            }
            _ if ext.object.is_null() => return Err(err(format!("{what}: null object"))),
            ExternType::Memory(_) => {
                // SAFETY: a live `waot_memory` (caller contract).
                match unsafe { &*ext.object.cast::<HostMemory>() } {
                    HostMemory::Own(m) => Extern::Memory(store.push_shared_memory(m.clone())),
                    HostMemory::Export(owner, p) => {
                        link(owner);
                        // SAFETY: `links` keeps the owner alive as long as the store.
                        Extern::Memory(unsafe { store.push_borrowed_memory(*p) })
                    }
                }
            }
            ExternType::Table(_) => {
                // SAFETY: a live `waot_table` (caller contract).
                match unsafe { &*ext.object.cast::<HostTable>() } {
                    HostTable::Own(t) => Extern::Table(store.push_shared_table(t.clone())),
                    HostTable::Export(owner, p) => {
                        link(owner);
                        // SAFETY: as for memories.
                        Extern::Table(unsafe { store.push_borrowed_table(*p) })
                    }
                }
            }
            ExternType::Global(_) => {
                // SAFETY: a live `waot_global` (caller contract).
                let g = unsafe { &*ext.object.cast::<HostGlobal>() };
                match &g.owner {
                    GlobalOwner::Own(slot) => globals.push(slot.clone()),
                    GlobalOwner::Export(owner) => link(owner),
                }
                Extern::Global(store.push_global(g.slot, g.ty))
            }
        };
        externs.push(e);
    }
    // The start function may run linked instances' code.
    let started = {
        // SAFETY: the linked stores are live (held by `links`) and used by
        // this thread (the API's contract); `store` sets its own limit.
        let _limits = unsafe { StackLimits::enter(links.iter().map(|l| l.store())) };
        store.instantiate(&module, &externs)
    };
    let instance = started.map_err(|e| match e {
        InstantiateError::Trap(t) => (WAOT_TRAP, t.to_string()),
        e => (WAOT_ERROR, e.to_string()),
    })?;
    let exports = store
        .exports(instance)
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    #[expect(clippy::arc_with_non_send_sync, reason = "see the note on Core")]
    Ok(Arc::new(Core {
        store: UnsafeCell::new(store),
        exports,
        links,
        _globals: globals,
    }))
}

/// Makes the function of `h` known to `store` (which then calls it
/// directly, like an import from an instance of the same store).
fn import_func(store: &mut Store, h: &HostFunc, ty: &FuncType) -> Result<(), String> {
    let Some((fty, kind, _)) = h.owner.find_func(h.func.as_ptr().cast()) else {
        return Err("function of a freed instance".into());
    };
    if fty != *ty {
        return Err(format!(
            "incompatible import type: the function is {fty:?}, the import {ty:?}"
        ));
    }
    let kind = match kind {
        CallKind::Wasm(trampoline) => FuncKind::Wasm { trampoline },
        CallKind::Host(data) => FuncKind::Host(data),
    };
    store
        .funcs
        .insert(h.func.as_ptr() as usize, FuncInfo { ty: fty, kind });
    Ok(())
}

fn wasi_ctx(cfg: &WasiConfig) -> Result<WasiCtx, String> {
    let mut ctx = WasiCtx::new(cfg.args.clone(), cfg.env.clone());
    for (host, guest) in &cfg.preopens {
        ctx.preopen_dir(host, guest).map_err(|e| e.to_string())?;
    }
    Ok(ctx)
}

/// A host function calling C through the header's adapter `call`.
fn host_func(
    store: &mut Store,
    ty: FuncType,
    call: CHostCall,
    func: Option<CFnPtr>,
    ctx: *mut c_void,
    name: String,
) -> Func {
    let slots = ty.params.len().max(ty.results.len()).max(1);
    store.host_func(
        ty,
        Box::new(move |_host, params, results| {
            let mut raw = vec![CVal::default(); slots];
            for (slot, p) in raw.iter_mut().zip(params) {
                slot.0 = p.to_raw().0;
            }
            // SAFETY: the header's adapter for exactly this import's type,
            // with a buffer of max(params, results) slots.
            let status = unsafe { call(func, ctx, raw.as_mut_ptr()) };
            if status != 0 {
                return Err(Trap::host(HostReason::Error(format!(
                    "host function `{name}` returned status {status}"
                ))));
            }
            for (r, slot) in results.iter_mut().zip(&raw) {
                *r = Val::from_raw(r.ty(), &ValRaw(slot.0));
            }
            Ok(())
        }),
    )
}

/// Drops the host's reference to an instance. Its memory and other objects
/// are freed now, unless other instances imported some of its exports or
/// the host holds export handles (`waot_rt_export_*`): then when the last
/// of those goes.
///
/// # Safety
///
/// `inst` is null or an instance from [`waot_rt_instance_new`], not freed
/// yet and not running (no call into it is active).
#[no_mangle]
pub unsafe extern "C" fn waot_rt_instance_free(inst: *mut CInstance) {
    if inst.is_null() {
        return;
    }
    guard((), || {
        // SAFETY: caller contract.
        drop(unsafe { Box::from_raw(inst) });
    });
}

/// The message of the last trap or error of a call on `inst`; never null
/// (empty before any). Valid until the next call on `inst`.
///
/// # Safety
///
/// `inst` is a live instance.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_trap_message(inst: *const CInstance) -> *const c_char {
    if inst.is_null() {
        return c"".as_ptr();
    }
    // SAFETY: caller contract.
    unsafe { (*inst).message.as_ptr() }
}

/// The message of the last failed [`waot_rt_instance_new`] or host object
/// creation on this thread; never null.
#[no_mangle]
pub extern "C" fn waot_rt_last_error() -> *const c_char {
    // The CString lives in the thread-local until replaced.
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// # Safety
///
/// `inst` is live; sets its message (no call into it holds a reference to it).
unsafe fn fail(inst: *mut CInstance, status: c_int, msg: &str) -> c_int {
    // SAFETY: caller contract; a short exclusive access.
    unsafe { (*inst).message = c_string(msg) };
    status
}

/// Runs `f` (a call into wasm) with panics turned into [`WAOT_ERROR`].
///
/// # Safety
///
/// `inst` is live.
unsafe fn guard_call(inst: *mut CInstance, f: impl FnOnce() -> c_int) -> c_int {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(status) => status,
        // SAFETY: `inst` is live.
        Err(p) => unsafe {
            fail(
                inst,
                WAOT_ERROR,
                &format!("internal error in the waot runtime: {}", panic_message(&*p)),
            )
        },
    }
}

/// Calls export `export_index` (a function). `values` holds
/// `num_values >= max(params, results)` slots: the params on entry, the
/// results on a [`WAOT_OK`] return.
///
/// # Safety
///
/// `inst` is live; `values` holds `num_values` slots.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_call(
    inst: *mut CInstance,
    export_index: u32,
    values: *mut CVal,
    num_values: usize,
) -> c_int {
    if inst.is_null() {
        return WAOT_ERROR;
    }
    // SAFETY: `inst` is live (caller contract).
    unsafe {
        guard_call(inst, || {
            let core: &Core = &(*inst).core;
            let export = core.exports.get(export_index as usize).copied();
            match export {
                Some(Extern::Func(f)) => call(inst, f.as_ptr().cast(), values, num_values),
                _ => fail(
                    inst,
                    WAOT_ERROR,
                    &format!("export {export_index} is not a function"),
                ),
            }
        })
    }
}

/// Calls the function `funcref` (a funcref of `inst` or of an instance it
/// imports from, e.g. read from a table or returned by a call) like
/// [`waot_rt_call`].
///
/// # Safety
///
/// `inst` is live; `values` holds `num_values` slots.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_call_ref(
    inst: *mut CInstance,
    funcref: *const c_void,
    values: *mut CVal,
    num_values: usize,
) -> c_int {
    if inst.is_null() {
        return WAOT_ERROR;
    }
    if funcref.is_null() {
        // SAFETY: `inst` is live.
        return unsafe { fail(inst, WAOT_TRAP, "wasm trap: uninitialized element") };
    }
    // SAFETY: forwarded from the caller.
    unsafe { guard_call(inst, || call(inst, funcref, values, num_values)) }
}

/// Checks that the references among `vals` (of types `tys`) may be used by
/// `core`: a funcref must be a function of it or of a linked instance.
fn check_refs(core: &Core, tys: &[ValType], vals: &[ValRaw]) -> Result<(), String> {
    for (t, v) in tys.iter().zip(vals) {
        let bits = ref_bits(v);
        if is_func_ref(*t) && bits != 0 && core.find_func(bits as *const c_void).is_none() {
            return Err(
                "funcref of an instance this one does not import from (or not a funcref)".into(),
            );
        }
    }
    Ok(())
}

/// Whether values of type `t` (canonical ids) are function references
/// (not host, exception or GC references: those pass as raw words).
fn is_func_ref(t: ValType) -> bool {
    t.as_ref_type().is_some_and(|r| {
        !r.heap.is_extern()
            && !matches!(r.heap, HeapType::Exn | HeapType::NoExn)
            && !crate::signatures::is_any_heap(r.heap)
    })
}

/// # Safety
///
/// As [`waot_rt_call`]. Only raw pointers to the instance are held while
/// wasm runs, so host imports may call back into it.
unsafe fn call(
    inst: *mut CInstance,
    f: *const c_void,
    values: *mut CVal,
    num_values: usize,
) -> c_int {
    // SAFETY: `inst` is live; the `Arc` clone keeps the core alive even if
    // a host import frees the instance handle during the call.
    let core = unsafe { (*inst).core.clone() };
    let Some((ty, kind, store)) = core.find_func(f) else {
        // SAFETY: `inst` is live.
        return unsafe {
            fail(
                inst,
                WAOT_ERROR,
                "not a function of this instance or of one it imports from",
            )
        };
    };
    let needed = ty.params.len().max(ty.results.len());
    if num_values < needed || (values.is_null() && needed > 0) {
        let msg = format!("call needs {needed} value slots, {num_values} given");
        // SAFETY: `inst` is live.
        return unsafe { fail(inst, WAOT_ERROR, &msg) };
    }
    let mut raw = vec![ValRaw::default(); needed.max(1)];
    for (i, slot) in raw.iter_mut().enumerate().take(ty.params.len()) {
        // SAFETY: `i < num_values`.
        *slot = read_val(unsafe { values.add(i) });
    }
    if let Err(msg) = check_refs(&core, &ty.params, &raw) {
        // SAFETY: `inst` is live.
        return unsafe { fail(inst, WAOT_ERROR, &msg) };
    }
    let result = match kind {
        CallKind::Wasm(trampoline) => {
            // SAFETY: the linked stores are live (held by `core`); `f` is a
            // wasm function of `store`; `raw` has room.
            unsafe {
                let _limits = StackLimits::enter(core.linked().into_iter().map(|c| c.store()));
                let fr = &*f.cast::<waot_abi::vmctx::VmFuncRef>();
                unwind::call_catching(
                    trampoline,
                    fr.native_fn,
                    fr.vmctx,
                    fr.vmctx,
                    raw.as_mut_ptr(),
                )
                .map_err(|rec| trap_from_record(rec, |addr| (*store).find_memory(addr)))
            }
        }
        CallKind::Host(data) => {
            // A re-exported host function: call it directly.
            let args: Vec<Val> = ty
                .params
                .iter()
                .zip(&raw)
                .map(|(t, r)| Val::from_raw(*t, r))
                .collect();
            let mut ctx = HostContext::new(std::ptr::null_mut());
            // SAFETY: host function data lives as long as its store.
            unsafe { (*data).invoke(&mut ctx, &args) }.map(|results| {
                for (slot, v) in raw.iter_mut().zip(&results) {
                    *slot = v.to_raw();
                }
            })
        }
    };
    match result {
        Ok(()) => {
            for (i, (slot, t)) in raw.iter().zip(&ty.results).enumerate() {
                if t.is_ref() {
                    // GC references handed to the host stay alive.
                    // SAFETY: the store is live (held by `core`); the call
                    // is over.
                    unsafe { (*store).gc.root_for_host(ref_bits(slot)) };
                }
                // SAFETY: `i < num_values`.
                write_val(unsafe { values.add(i) }, slot);
            }
            WAOT_OK
        }
        // SAFETY: `inst` is live; the call is over.
        Err(trap) => unsafe { fail(inst, WAOT_TRAP, &trap.to_string()) },
    }
}

/// Export `export_index` of `inst`, if it exists, with the instance's store.
///
/// # Safety
///
/// `inst` is null or live; no call into the instance holds a borrow of its
/// store while the host uses these accessors (documented).
unsafe fn export<'a>(inst: *mut CInstance, index: u32) -> Option<(&'a mut Store, Extern)> {
    // SAFETY: caller contract.
    let inst = unsafe { inst.as_mut()? };
    let e = *inst.core.exports.get(index as usize)?;
    // SAFETY: caller contract.
    Some((unsafe { &mut *inst.core.store() }, e))
}

/// Base of exported memory `export_index` and (in `*len`, if non-null) its
/// current size in bytes; null when the export is not a memory. The base
/// never moves, but the size changes when the memory grows.
///
/// # Safety
///
/// `inst` is live; `len` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_memory(
    inst: *mut CInstance,
    export_index: u32,
    len: *mut usize,
) -> *mut u8 {
    guard(std::ptr::null_mut(), || {
        // SAFETY: caller contract.
        let Some((store, Extern::Memory(m))) = (unsafe { export(inst, export_index) }) else {
            return std::ptr::null_mut();
        };
        let data = store.memory_data(m);
        if !len.is_null() {
            // SAFETY: caller contract.
            unsafe { *len = data.len() };
        }
        data.as_mut_ptr()
    })
}

/// Grows exported memory `export_index` by `delta_pages` of its pages (64
/// KiB, or 1 byte for a memory declared with `(pagesize 1)`); the old size
/// in pages goes to `*old_pages` (if non-null). [`WAOT_ERROR`] when it
/// cannot grow.
///
/// # Safety
///
/// `inst` is live; `old_pages` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_memory_grow(
    inst: *mut CInstance,
    export_index: u32,
    delta_pages: u64,
    old_pages: *mut u64,
) -> c_int {
    guard(WAOT_ERROR, || {
        // SAFETY: caller contract.
        let Some((store, Extern::Memory(m))) = (unsafe { export(inst, export_index) }) else {
            return WAOT_ERROR;
        };
        put_old(store.memory_grow(m, delta_pages), old_pages)
    })
}

/// [`WAOT_OK`] with the old size in `*old` (if non-null), or [`WAOT_ERROR`].
fn put_old(old: Option<u64>, out: *mut u64) -> c_int {
    match old {
        Some(old) => {
            if !out.is_null() {
                // SAFETY: callers pass null or a writable pointer.
                unsafe { *out = old };
            }
            WAOT_OK
        }
        None => WAOT_ERROR,
    }
}

/// Reads exported global `export_index` into `*out`.
///
/// # Safety
///
/// `inst` is live; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_global_get(
    inst: *mut CInstance,
    export_index: u32,
    out: *mut CVal,
) -> c_int {
    guard(WAOT_ERROR, || {
        // SAFETY: caller contract.
        let Some((store, Extern::Global(g))) = (unsafe { export(inst, export_index) }) else {
            return WAOT_ERROR;
        };
        if out.is_null() {
            return WAOT_ERROR;
        }
        write_val(out, &store.global_get(g).to_raw());
        WAOT_OK
    })
}

/// Sets exported global `export_index` (which must be mutable) to `*val`.
///
/// # Safety
///
/// `inst` is live; `val` is readable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_global_set(
    inst: *mut CInstance,
    export_index: u32,
    val: *const CVal,
) -> c_int {
    guard(WAOT_ERROR, || {
        // SAFETY: caller contract.
        let Some((store, Extern::Global(g))) = (unsafe { export(inst, export_index) }) else {
            return WAOT_ERROR;
        };
        if val.is_null() {
            return WAOT_ERROR;
        }
        let ty = store.global_type(g).ty;
        let raw = read_val(val);
        // SAFETY: `inst` is live (checked by `export`).
        if check_refs(unsafe { &(*inst).core }, &[ty], &[raw]).is_err() {
            return WAOT_ERROR;
        }
        match store.global_set(g, Val::from_raw(ty, &raw)) {
            Ok(()) => WAOT_OK,
            Err(_) => WAOT_ERROR,
        }
    })
}

/// Current size (elements) of exported table `export_index`; 0 when the
/// export is not a table.
///
/// # Safety
///
/// `inst` is live.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_table_size(inst: *mut CInstance, export_index: u32) -> u64 {
    guard(0, || {
        // SAFETY: caller contract.
        match unsafe { export(inst, export_index) } {
            Some((store, Extern::Table(t))) => store.table_size(t),
            _ => 0,
        }
    })
}

/// Element `index` of exported table `export_index` as an opaque reference
/// (null for a null reference) in `*out`; [`WAOT_ERROR`] out of bounds.
///
/// # Safety
///
/// `inst` is live; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_table_get(
    inst: *mut CInstance,
    export_index: u32,
    index: u64,
    out: *mut *mut c_void,
) -> c_int {
    guard(WAOT_ERROR, || {
        // SAFETY: caller contract.
        let Some((store, Extern::Table(t))) = (unsafe { export(inst, export_index) }) else {
            return WAOT_ERROR;
        };
        match store.table_get(t, index) {
            Some(v) if !out.is_null() => {
                // SAFETY: caller contract.
                unsafe { *out = v.to_ref_bits() as usize as *mut c_void };
                WAOT_OK
            }
            _ => WAOT_ERROR,
        }
    })
}

/// The raw reference `r` as a value of table element type `elem`, if
/// `core` may use it.
fn ref_val(core: &Core, elem: ValType, r: *mut c_void) -> Option<Val> {
    let raw = Val::I64(r as usize as i64).to_raw();
    check_refs(core, &[elem], &[raw]).ok()?;
    Some(Val::from_ref_bits(elem, r as usize as u64))
}

/// Sets element `index` of exported table `export_index` to `r` (null: the
/// null reference); [`WAOT_ERROR`] out of bounds or for a funcref of an
/// unrelated instance.
///
/// # Safety
///
/// `inst` is live.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_table_set(
    inst: *mut CInstance,
    export_index: u32,
    index: u64,
    r: *mut c_void,
) -> c_int {
    guard(WAOT_ERROR, || {
        // SAFETY: caller contract.
        let Some((store, Extern::Table(t))) = (unsafe { export(inst, export_index) }) else {
            return WAOT_ERROR;
        };
        // SAFETY: `inst` is live (checked by `export`).
        let core = unsafe { &(*inst).core };
        match ref_val(core, store.table_type(t).element, r) {
            Some(v) if store.table_set(t, index, v).is_ok() => WAOT_OK,
            _ => WAOT_ERROR,
        }
    })
}

/// Grows exported table `export_index` by `delta` elements set to `init`;
/// the old size goes to `*old_size` (if non-null). [`WAOT_ERROR`] when it
/// cannot grow.
///
/// # Safety
///
/// `inst` is live; `old_size` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_table_grow(
    inst: *mut CInstance,
    export_index: u32,
    delta: u64,
    init: *mut c_void,
    old_size: *mut u64,
) -> c_int {
    guard(WAOT_ERROR, || {
        // SAFETY: caller contract.
        let Some((store, Extern::Table(t))) = (unsafe { export(inst, export_index) }) else {
            return WAOT_ERROR;
        };
        // SAFETY: `inst` is live (checked by `export`).
        let core = unsafe { &(*inst).core };
        match ref_val(core, store.table_type(t).element, init) {
            Some(v) => put_old(store.table_grow(t, delta, v), old_size),
            None => WAOT_ERROR,
        }
    })
}

/// Export `export_index` of `inst` as a handle other instances can import
/// (`kind` picks the export kind); null (with [`waot_rt_last_error`]) when
/// the export does not exist or has another kind. The handle keeps the
/// instance's objects alive until it is freed.
///
/// # Safety
///
/// `inst` is live.
unsafe fn export_handle<T>(
    inst: *mut CInstance,
    export_index: u32,
    make: impl FnOnce(&Arc<Core>, &mut Store, Extern) -> Option<T>,
) -> *mut T {
    guard(std::ptr::null_mut(), || {
        // SAFETY: caller contract.
        let made = unsafe { export(inst, export_index) }
            // SAFETY: `inst` is live (checked by `export`).
            .and_then(|(store, e)| make(unsafe { &(*inst).core }, store, e));
        match made {
            Some(h) => Box::into_raw(Box::new(h)),
            None => {
                set_last_error(&format!(
                    "export {export_index} is not of the kind asked for"
                ));
                std::ptr::null_mut()
            }
        }
    })
}

/// Exported function `export_index` as a `waot_func` (free it with
/// [`waot_rt_func_free`]); an instance importing it calls it directly.
///
/// # Safety
///
/// `inst` is live.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_export_func(
    inst: *mut CInstance,
    export_index: u32,
) -> *mut HostFunc {
    // SAFETY: forwarded.
    unsafe {
        export_handle(inst, export_index, |core, _, e| match e {
            Extern::Func(func) => Some(HostFunc {
                owner: core.clone(),
                func,
            }),
            _ => None,
        })
    }
}

/// Exported memory `export_index` as a `waot_memory` (free it with
/// [`waot_rt_memory_free`]).
///
/// # Safety
///
/// `inst` is live.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_export_memory(
    inst: *mut CInstance,
    export_index: u32,
) -> *mut HostMemory {
    // SAFETY: forwarded.
    unsafe {
        export_handle(inst, export_index, |core, store, e| match e {
            Extern::Memory(m) => Some(HostMemory::Export(
                core.clone(),
                NonNull::new(store.memory_ptr(m))?,
            )),
            _ => None,
        })
    }
}

/// Exported table `export_index` as a `waot_table` (free it with
/// [`waot_rt_table_free`]).
///
/// # Safety
///
/// `inst` is live.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_export_table(
    inst: *mut CInstance,
    export_index: u32,
) -> *mut HostTable {
    // SAFETY: forwarded.
    unsafe {
        export_handle(inst, export_index, |core, store, e| match e {
            Extern::Table(t) => Some(HostTable::Export(
                core.clone(),
                NonNull::new(store.table_ptr(t))?,
            )),
            _ => None,
        })
    }
}

/// Exported global `export_index` as a `waot_global` (free it with
/// [`waot_rt_global_free`]).
///
/// # Safety
///
/// `inst` is live.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_export_global(
    inst: *mut CInstance,
    export_index: u32,
) -> *mut HostGlobal {
    // SAFETY: forwarded.
    unsafe {
        export_handle(inst, export_index, |core, store, e| match e {
            Extern::Global(g) => Some(HostGlobal {
                slot: store.global_slot(g),
                ty: store.global_type(g),
                owner: GlobalOwner::Export(core.clone()),
            }),
            _ => None,
        })
    }
}

/// The funcref of a `waot_func` (to store in a table or pass to a call of
/// an instance that imports from the function's instance).
///
/// # Safety
///
/// `func` is null or a live `waot_func`.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_func_ref(func: *const HostFunc) -> *mut c_void {
    // SAFETY: caller contract.
    match unsafe { func.as_ref() } {
        Some(h) => h.func.as_ptr().cast_mut().cast(),
        None => std::ptr::null_mut(),
    }
}

/// Drops the host's reference to a function.
///
/// # Safety
///
/// `func` is null or a live `waot_func`, not used by the host afterwards.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_func_free(func: *mut HostFunc) {
    if !func.is_null() {
        // SAFETY: caller contract.
        guard((), || drop(unsafe { Box::from_raw(func) }));
    }
}

const NO_MAX: u64 = u64::MAX;

/// A new memory of `min_pages` 64 KiB pages, at most `max_pages`
/// (`UINT64_MAX`: no maximum), that instances can import (a module that
/// imports a memory with 1-byte pages cannot take it). Null on failure
/// ([`waot_rt_last_error`] says why).
#[no_mangle]
pub extern "C" fn waot_rt_memory_new(min_pages: u64, max_pages: u64) -> *mut HostMemory {
    guard(std::ptr::null_mut(), || {
        let ty = MemoryType {
            min_pages,
            max_pages: (max_pages != NO_MAX).then_some(max_pages),
            memory64: false,
            shared: false,
            page_size_log2: waot_abi::WASM_PAGE_SIZE_LOG2,
        };
        match MemoryData::new(ty) {
            Ok(m) => {
                #[expect(clippy::arc_with_non_send_sync, reason = "see the note on Core")]
                let m = Arc::new(SharedCell::new(m));
                Box::into_raw(Box::new(HostMemory::Own(m)))
            }
            Err(e) => {
                set_last_error(&e);
                std::ptr::null_mut()
            }
        }
    })
}

/// Base and (in `*len`) current size in bytes of a memory.
///
/// # Safety
///
/// `mem` is a live `waot_memory`; `len` is null or writable; no wasm code
/// using the memory runs while the host uses the pointer.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_memory_data(mem: *mut HostMemory, len: *mut usize) -> *mut u8 {
    // SAFETY: caller contract.
    let Some(mem) = (unsafe { mem.as_ref() }) else {
        return std::ptr::null_mut();
    };
    // SAFETY: caller contract.
    let data = unsafe { (*mem.ptr()).data_mut() };
    if !len.is_null() {
        // SAFETY: caller contract.
        unsafe { *len = data.len() };
    }
    data.as_mut_ptr()
}

/// Grows a memory by `delta_pages` of its pages (64 KiB, or 1 byte for an
/// exported memory declared with `(pagesize 1)`); the old size in pages
/// goes to `*old_pages` (if non-null). [`WAOT_ERROR`] when it cannot grow.
///
/// # Safety
///
/// `mem` is a live `waot_memory` not in use by running wasm code;
/// `old_pages` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_memory_grow_by(
    mem: *mut HostMemory,
    delta_pages: u64,
    old_pages: *mut u64,
) -> c_int {
    // SAFETY: caller contract.
    let Some(mem) = (unsafe { mem.as_ref() }) else {
        return WAOT_ERROR;
    };
    // SAFETY: caller contract.
    guard(WAOT_ERROR, || {
        put_old(unsafe { (*mem.ptr()).grow(delta_pages) }, old_pages)
    })
}

/// Drops the host's reference to a memory (instances that imported it
/// keep theirs).
///
/// # Safety
///
/// `mem` is null or a live `waot_memory`, not used by the host afterwards.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_memory_free(mem: *mut HostMemory) {
    if !mem.is_null() {
        // SAFETY: caller contract.
        guard((), || drop(unsafe { Box::from_raw(mem) }));
    }
}

/// A value type code of the C API (`WAOT_I32` ... `WAOT_EXTERNREF`).
fn val_type(code: u32) -> Option<ValType> {
    Some(match code {
        0 => ValType::I32,
        1 => ValType::I64,
        2 => ValType::F32,
        3 => ValType::F64,
        4 => ValType::V128,
        5 => ValType::FuncRef,
        6 => ValType::ExternRef,
        _ => return None,
    })
}

/// A new table of `elem_type` (`WAOT_FUNCREF` or `WAOT_EXTERNREF`) with
/// `min` null elements, at most `max` (`UINT64_MAX`: no maximum). Null on
/// failure.
#[no_mangle]
pub extern "C" fn waot_rt_table_new(elem_type: u32, min: u64, max: u64) -> *mut HostTable {
    guard(std::ptr::null_mut(), || {
        let element = match val_type(elem_type) {
            Some(t @ (ValType::FuncRef | ValType::ExternRef)) => t,
            _ => {
                set_last_error("table element type must be WAOT_FUNCREF or WAOT_EXTERNREF");
                return std::ptr::null_mut();
            }
        };
        let ty = TableType {
            element,
            min,
            max: (max != NO_MAX).then_some(max),
            table64: false,
        };
        match TableData::new(ty, 0) {
            Ok(t) => {
                #[expect(clippy::arc_with_non_send_sync, reason = "see the note on Core")]
                let t = Arc::new(SharedCell::new(t));
                Box::into_raw(Box::new(HostTable::Own(t)))
            }
            Err(e) => {
                set_last_error(&e);
                std::ptr::null_mut()
            }
        }
    })
}

/// Current size of a table.
///
/// # Safety
///
/// `table` is a live `waot_table`.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_table_len(table: *const HostTable) -> u64 {
    // SAFETY: caller contract.
    match unsafe { table.as_ref() } {
        // SAFETY: caller contract.
        Some(t) => unsafe { (*t.ptr()).size() },
        None => 0,
    }
}

/// Element `index` of a table in `*out` (null: the null reference);
/// [`WAOT_ERROR`] out of bounds.
///
/// # Safety
///
/// `table` is a live `waot_table`; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_table_read(
    table: *const HostTable,
    index: u64,
    out: *mut *mut c_void,
) -> c_int {
    // SAFETY: caller contract.
    let (Some(t), false) = (unsafe { table.as_ref() }, out.is_null()) else {
        return WAOT_ERROR;
    };
    // SAFETY: caller contract.
    match unsafe { (*t.ptr()).get(index) } {
        Some(bits) => {
            // SAFETY: caller contract.
            unsafe { *out = bits as usize as *mut c_void };
            WAOT_OK
        }
        None => WAOT_ERROR,
    }
}

/// Sets element `index` of a table to `r` (null: the null reference; a
/// funcref must come from waot, e.g. [`waot_rt_func_ref`] or a table, and
/// its instance must outlive its use); [`WAOT_ERROR`] out of bounds.
///
/// # Safety
///
/// `table` is a live `waot_table`, not in use by running wasm code.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_table_write(
    table: *const HostTable,
    index: u64,
    r: *mut c_void,
) -> c_int {
    // SAFETY: caller contract.
    match unsafe { table.as_ref() } {
        // SAFETY: caller contract.
        Some(t) if unsafe { (*t.ptr()).set(index, r as usize as u64) } => WAOT_OK,
        _ => WAOT_ERROR,
    }
}

/// Grows a table by `delta` elements set to `init`; the old size goes to
/// `*old_size` (if non-null). [`WAOT_ERROR`] when it cannot grow.
///
/// # Safety
///
/// As [`waot_rt_table_write`]; `old_size` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_table_grow_by(
    table: *const HostTable,
    delta: u64,
    init: *mut c_void,
    old_size: *mut u64,
) -> c_int {
    // SAFETY: caller contract.
    let Some(t) = (unsafe { table.as_ref() }) else {
        return WAOT_ERROR;
    };
    guard(WAOT_ERROR, || {
        // SAFETY: caller contract.
        put_old(
            unsafe { (*t.ptr()).grow(delta, init as usize as u64) },
            old_size,
        )
    })
}

/// Drops the host's reference to a table.
///
/// # Safety
///
/// `table` is null or a live `waot_table`, not used by the host afterwards.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_table_free(table: *mut HostTable) {
    if !table.is_null() {
        // SAFETY: caller contract.
        guard((), || drop(unsafe { Box::from_raw(table) }));
    }
}

/// A new global of `val_type` (`WAOT_I32` ...), mutable when `mutable_` is
/// non-zero, holding `*init`. Null on failure.
///
/// # Safety
///
/// `init` is readable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_global_new(
    val_type_code: u32,
    mutable_: c_int,
    init: *const CVal,
) -> *mut HostGlobal {
    guard(std::ptr::null_mut(), || {
        let Some(ty) = val_type(val_type_code) else {
            set_last_error("unknown value type");
            return std::ptr::null_mut();
        };
        if init.is_null() {
            set_last_error("null initial value");
            return std::ptr::null_mut();
        }
        #[expect(clippy::arc_with_non_send_sync, reason = "see the note on Core")]
        let cell = Arc::new(UnsafeCell::new(read_val(init)));
        Box::into_raw(Box::new(HostGlobal {
            slot: cell.get(),
            ty: GlobalType {
                ty,
                mutable: mutable_ != 0,
            },
            owner: GlobalOwner::Own(cell),
        }))
    })
}

/// Reads a global.
///
/// # Safety
///
/// `global` is a live `waot_global`; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_global_read(global: *const HostGlobal, out: *mut CVal) {
    if !global.is_null() && !out.is_null() {
        // SAFETY: caller contract; no wasm code runs during the read.
        write_val(out, unsafe { &*(*global).slot });
    }
}

/// Writes a global: one the host created (mutable or not: the host owns
/// it), or an instance's mutable global. Writes to an instance's immutable
/// global are ignored (its value is fixed once instantiated).
///
/// # Safety
///
/// `global` is a live `waot_global`; `val` is readable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_global_write(global: *const HostGlobal, val: *const CVal) {
    // SAFETY: caller contract.
    let Some(g) = (unsafe { global.as_ref() }) else {
        return;
    };
    if val.is_null() || (matches!(g.owner, GlobalOwner::Export(_)) && !g.ty.mutable) {
        return;
    }
    // SAFETY: caller contract; no wasm code runs during the write.
    unsafe { *g.slot = read_val(val) };
}

/// Drops the host's reference to a global.
///
/// # Safety
///
/// `global` is null or a live `waot_global`, not used by the host afterwards.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_global_free(global: *mut HostGlobal) {
    if !global.is_null() {
        // SAFETY: caller contract.
        guard((), || drop(unsafe { Box::from_raw(global) }));
    }
}

/// A new, empty WASI configuration: no arguments, no environment, no
/// preopened directories; stdio is the process's.
#[no_mangle]
pub extern "C" fn waot_rt_wasi_new() -> *mut WasiConfig {
    Box::into_raw(Box::default())
}

/// # Safety
///
/// `p` is null or a C string.
unsafe fn c_bytes(p: *const c_char) -> Option<Vec<u8>> {
    // SAFETY: caller contract.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes().to_vec())
}

/// Appends an argument (the first one is the program name, `argv[0]`).
///
/// # Safety
///
/// `cfg` is a live `waot_wasi`; `arg` a C string.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_wasi_arg(cfg: *mut WasiConfig, arg: *const c_char) -> c_int {
    // SAFETY: caller contract.
    match (unsafe { cfg.as_mut() }, unsafe { c_bytes(arg) }) {
        (Some(cfg), Some(arg)) => {
            cfg.args.push(arg);
            WAOT_OK
        }
        _ => WAOT_ERROR,
    }
}

/// Adds the environment variable `name=value`.
///
/// # Safety
///
/// `cfg` is a live `waot_wasi`; `name` and `value` are C strings.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_wasi_env(
    cfg: *mut WasiConfig,
    name: *const c_char,
    value: *const c_char,
) -> c_int {
    // SAFETY: caller contract.
    let (cfg, name, value) = unsafe { (cfg.as_mut(), c_bytes(name), c_bytes(value)) };
    match (cfg, name, value) {
        (Some(cfg), Some(mut entry), Some(value)) if !entry.contains(&b'=') => {
            entry.push(b'=');
            entry.extend_from_slice(&value);
            cfg.env.push(entry);
            WAOT_OK
        }
        _ => WAOT_ERROR,
    }
}

/// Adds every variable of this process's environment.
///
/// # Safety
///
/// `cfg` is a live `waot_wasi`.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_wasi_inherit_env(cfg: *mut WasiConfig) -> c_int {
    // SAFETY: caller contract.
    let Some(cfg) = (unsafe { cfg.as_mut() }) else {
        return WAOT_ERROR;
    };
    use std::os::unix::ffi::OsStrExt;
    for (k, v) in std::env::vars_os() {
        let mut entry = k.as_bytes().to_vec();
        entry.push(b'=');
        entry.extend_from_slice(v.as_bytes());
        cfg.env.push(entry);
    }
    WAOT_OK
}

/// Makes host directory `host_path` visible to the module as `guest_path`.
///
/// # Safety
///
/// `cfg` is a live `waot_wasi`; both paths are C strings.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_wasi_preopen_dir(
    cfg: *mut WasiConfig,
    host_path: *const c_char,
    guest_path: *const c_char,
) -> c_int {
    // SAFETY: caller contract.
    let (cfg, host, guest) = unsafe { (cfg.as_mut(), c_bytes(host_path), c_bytes(guest_path)) };
    match (cfg, host, guest) {
        (Some(cfg), Some(host), Some(guest)) => {
            cfg.preopens.push((host, guest));
            WAOT_OK
        }
        _ => WAOT_ERROR,
    }
}

/// Frees a WASI configuration (instances made with it keep their own copy).
///
/// # Safety
///
/// `cfg` is null or a live `waot_wasi`.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_wasi_free(cfg: *mut WasiConfig) {
    if !cfg.is_null() {
        // SAFETY: caller contract.
        drop(unsafe { Box::from_raw(cfg) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasi_config_and_host_objects() {
        let cfg = waot_rt_wasi_new();
        // SAFETY: live config and C strings.
        unsafe {
            assert_eq!(waot_rt_wasi_arg(cfg, c"prog".as_ptr()), WAOT_OK);
            assert_eq!(waot_rt_wasi_env(cfg, c"A".as_ptr(), c"1".as_ptr()), WAOT_OK);
            assert_eq!(
                waot_rt_wasi_env(cfg, c"A=".as_ptr(), c"1".as_ptr()),
                WAOT_ERROR
            );
            let ctx = wasi_ctx(&*cfg).unwrap();
            assert_eq!(ctx.args, vec![b"prog".to_vec()]);
            assert_eq!(ctx.env, vec![b"A=1".to_vec()]);
            waot_rt_wasi_free(cfg);
        }
        let mem = waot_rt_memory_new(1, 2);
        assert!(!mem.is_null());
        let mut len = 0;
        // SAFETY: a live memory.
        unsafe {
            let p = waot_rt_memory_data(mem, &mut len);
            assert_eq!(len, 65536);
            *p = 7;
            waot_rt_memory_free(mem);
        }
        assert!(waot_rt_memory_new(70000, NO_MAX).is_null());
        // SAFETY: the thread's message is a C string.
        let msg = unsafe { CStr::from_ptr(waot_rt_last_error()) };
        assert!(msg.to_str().unwrap().contains("65536"), "{msg:?}");
        let init = CVal(Val::I64(-3).to_raw().0);
        // SAFETY: `init` is readable.
        let g = unsafe { waot_rt_global_new(1, 1, &init) };
        let mut out = CVal::default();
        // SAFETY: a live global.
        unsafe {
            waot_rt_global_read(g, &mut out);
            waot_rt_global_free(g);
        }
        assert_eq!(Val::from_raw(ValType::I64, &ValRaw(out.0)), Val::I64(-3));
    }

    #[test]
    fn host_table_and_memory_growth() {
        let t = waot_rt_table_new(6, 1, 3);
        let x = 0x1234usize as *mut c_void;
        let (mut old, mut r) = (0, std::ptr::null_mut());
        // SAFETY: a live table; writable outputs.
        unsafe {
            assert_eq!(waot_rt_table_grow_by(t, 1, x, &mut old), WAOT_OK);
            assert_eq!((old, waot_rt_table_len(t)), (1, 2));
            assert_eq!(waot_rt_table_read(t, 1, &mut r), WAOT_OK);
            assert_eq!(r, x);
            assert_eq!(waot_rt_table_write(t, 0, x), WAOT_OK);
            assert_eq!(waot_rt_table_write(t, 2, x), WAOT_ERROR);
            assert_eq!(waot_rt_table_grow_by(t, 2, x, &mut old), WAOT_ERROR);
            waot_rt_table_free(t);
        }
        let m = waot_rt_memory_new(1, 2);
        let mut len = 0;
        // SAFETY: a live memory; writable outputs.
        unsafe {
            assert_eq!(waot_rt_memory_grow_by(m, 1, &mut old), WAOT_OK);
            assert_eq!(old, 1);
            waot_rt_memory_data(m, &mut len);
            assert_eq!(len, 2 * 65536);
            assert_eq!(waot_rt_memory_grow_by(m, 1, &mut old), WAOT_ERROR);
            waot_rt_memory_free(m);
        }
    }
}
