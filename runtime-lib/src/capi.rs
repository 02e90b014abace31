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
//!   copies them, so C arrays need only their natural alignment.
//! - Each instance has its own [`Store`]: instances are independent (a trap
//!   in one leaves the others usable, freeing one frees its memory). Host
//!   objects created with `waot_rt_memory_new`/`_table_new`/`_global_new`
//!   are reference counted and may be imported by several instances.
//! - Calls may re-enter: a host import may call exports of the instance
//!   that called it (or of any other instance). The call path below only
//!   keeps raw pointers across the call into wasm for that reason.

use std::cell::{RefCell, UnsafeCell};
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock};

use waot_abi::meta::{
    ExternType, FuncType, GlobalType, MemoryType, ModuleDescriptor, TableType, ValType,
};
use waot_abi::vmctx::{StoreContext, ValRaw};

use crate::host::HostContext;
use crate::memory::MemoryData;
use crate::store::{FuncKind, SharedCell};
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
    /// Functions: the adapter; null when the host leaves the import to WASI.
    pub call: Option<CHostCall>,
    /// Functions: the typed C function.
    pub func: Option<CFnPtr>,
    /// Functions: the user context passed to `func`.
    pub ctx: *mut c_void,
    /// Memories, tables, globals: a `waot_memory*`, `waot_table*`, `waot_global*`.
    pub object: *const c_void,
}

// Host objects are reference counted with `Arc`, not `Rc`: C may drop its
// reference on another thread than the instances that imported them (the
// count must be atomic), while the objects themselves are only used by one
// thread at a time (the C API's contract), so they are neither `Send` nor
// `Sync` in Rust's sense.

/// A host-created memory (`waot_memory`).
pub type HostMemory = SharedCell<MemoryData>;
/// A host-created table (`waot_table`).
pub type HostTable = SharedCell<TableData>;

/// A host-created global (`waot_global`): a stable slot and its type.
pub struct HostGlobal {
    slot: UnsafeCell<ValRaw>,
    ty: GlobalType,
}

/// WASI configuration (`waot_wasi`).
#[derive(Debug, Default)]
pub struct WasiConfig {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    preopens: Vec<(Vec<u8>, Vec<u8>)>,
}

/// An instance (`waot_instance`): its own store, the instance, its exports.
pub struct CInstance {
    store: Store,
    exports: Vec<Extern>,
    message: CString,
    _memories: Vec<Arc<HostMemory>>,
    _tables: Vec<Arc<HostTable>>,
    _globals: Vec<Arc<HostGlobal>>,
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

/// Instantiates the module of `desc` with `imports` (one per module import,
/// in import order). WASI function imports whose `call` is null are provided
/// by the runtime when `wasi` is non-null. On success `*out` is the new
/// instance; on failure the message is [`waot_rt_last_error`].
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
            Ok(inst) => {
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
) -> Result<CInstance, (c_int, String)> {
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
    let (mut memories, mut tables, mut globals) = (Vec::new(), Vec::new(), Vec::new());
    let wasi_ctx = match wasi {
        Some(w) => Some(Rc::new(RefCell::new(wasi_ctx(w).map_err(err)?))),
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
        );
        if !kind_ok {
            return Err(err(format!("{what}: wrong kind of extern")));
        }
        let e = match &imp.ty {
            ExternType::Func(t) => {
                let ty = meta.types[*t as usize].clone();
                match (ext.call, &wasi_ctx) {
                    (Some(call), _) => {
                        let name = format!("{}.{}", imp.module, imp.name);
                        Extern::Func(host_func(&mut store, ty, call, ext.func, ext.ctx, name))
                    }
                    (None, Some(ctx)) if imp.module == wasi::MODULE_NAME => {
                        let f = wasi::define(&mut store, &imp.name, ctx).ok_or_else(|| {
                            err(format!("{what}: not a WASI function this runtime provides"))
                        })?;
                        if store.func_type(f) != ty {
                            return Err(err(format!("{what}: wrong type for WASI")));
                        }
                        Extern::Func(f)
                    }
                    (None, _) => {
                        return Err(err(format!("{what}: no function given")));
                    }
                }
            }
            _ if ext.object.is_null() => return Err(err(format!("{what}: null object"))),
            ExternType::Memory(_) => {
                // SAFETY: a live `waot_memory` (caller contract); we take a reference.
                let m = unsafe { arc_clone(ext.object.cast::<HostMemory>()) };
                memories.push(m.clone());
                Extern::Memory(store.push_shared_memory(m))
            }
            ExternType::Table(_) => {
                // SAFETY: a live `waot_table` (caller contract).
                let t = unsafe { arc_clone(ext.object.cast::<HostTable>()) };
                tables.push(t.clone());
                Extern::Table(store.push_shared_table(t))
            }
            ExternType::Global(_) => {
                // SAFETY: a live `waot_global` (caller contract).
                let g = unsafe { arc_clone(ext.object.cast::<HostGlobal>()) };
                let handle = store.push_global(g.slot.get(), g.ty);
                globals.push(g);
                Extern::Global(handle)
            }
        };
        externs.push(e);
    }
    let instance = store.instantiate(&module, &externs).map_err(|e| match e {
        InstantiateError::Trap(t) => (WAOT_TRAP, t.to_string()),
        e => (WAOT_ERROR, e.to_string()),
    })?;
    let exports = store
        .exports(instance)
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    Ok(CInstance {
        store,
        exports,
        message: CString::default(),
        _memories: memories,
        _tables: tables,
        _globals: globals,
    })
}

/// # Safety
///
/// `p` came from `Arc::into_raw` and its count is still positive.
unsafe fn arc_clone<T>(p: *const T) -> Arc<T> {
    // SAFETY: forwarded from the caller.
    unsafe {
        Arc::increment_strong_count(p);
        Arc::from_raw(p)
    }
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

/// Frees an instance and everything it owns (host objects it imported stay
/// alive while the host holds them).
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
    let r = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: forwarded from the caller.
        unsafe { call(inst, export_index, values, num_values) }
    }));
    match r {
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

/// # Safety
///
/// As [`waot_rt_call`]. Only raw pointers to the instance are held while
/// wasm runs, so host imports may call back into it.
unsafe fn call(inst: *mut CInstance, index: u32, values: *mut CVal, num_values: usize) -> c_int {
    // SAFETY: `inst` is live; shared borrows end before wasm runs.
    let store: *mut Store = unsafe { &mut (*inst).store };
    let exports = unsafe { &(*inst).exports };
    let f = match exports.get(index as usize) {
        Some(Extern::Func(f)) => *f,
        _ => {
            // SAFETY: `inst` is live.
            return unsafe {
                fail(
                    inst,
                    WAOT_ERROR,
                    &format!("export {index} is not a function"),
                )
            };
        }
    };
    // SAFETY: no exclusive borrow of the store is live here.
    let (ty, kind) = match unsafe { (*store).funcs.get(&(f.as_ptr() as usize)) } {
        Some(info) => (
            info.ty.clone(),
            match info.kind {
                FuncKind::Wasm { trampoline } => Ok(trampoline),
                FuncKind::Host(data) => Err(data),
            },
        ),
        // SAFETY: `inst` is live.
        None => return unsafe { fail(inst, WAOT_ERROR, "function of another store") },
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
    let result = match kind {
        // SAFETY: `f` is a wasm function of this store; `raw` has room.
        Ok(trampoline) => unsafe { enter_wasm(store, trampoline, f, raw.as_mut_ptr()) },
        Err(data) => {
            // A re-exported host function: call it directly.
            let args: Vec<Val> = ty
                .params
                .iter()
                .zip(&raw)
                .map(|(t, r)| Val::from_raw(*t, r))
                .collect();
            let mut ctx = HostContext::new(std::ptr::null_mut());
            // SAFETY: host function data lives as long as the store.
            unsafe { (*data).invoke(&mut ctx, &args) }.map(|results| {
                for (slot, v) in raw.iter_mut().zip(&results) {
                    *slot = v.to_raw();
                }
            })
        }
    };
    match result {
        Ok(()) => {
            for (i, slot) in raw.iter().enumerate().take(ty.results.len()) {
                // SAFETY: `i < num_values`.
                write_val(unsafe { values.add(i) }, slot);
            }
            WAOT_OK
        }
        // SAFETY: `inst` is live; the call is over.
        Err(trap) => unsafe { fail(inst, WAOT_TRAP, &trap.to_string()) },
    }
}

/// Like `Store::enter_wasm`, through a raw store pointer (re-entrancy).
///
/// # Safety
///
/// `f` is a wasm function of `*store`; `values` has room for its params and
/// results.
unsafe fn enter_wasm(
    store: *mut Store,
    trampoline: *const u8,
    f: Func,
    values: *mut ValRaw,
) -> Result<(), Trap> {
    signals::init();
    // SAFETY: the store context is boxed; only its one field is touched.
    let ctx: *mut StoreContext = unsafe { &mut *(*store).ctx };
    // SAFETY: as above.
    let prev = unsafe { (*ctx).stack_limit };
    if prev == 0 {
        // SAFETY: as above.
        unsafe { (*ctx).stack_limit = signals::thread_stack_limit() };
    }
    // SAFETY: a valid array call (caller contract).
    let r = unsafe {
        let fr = &*f.as_ptr();
        unwind::call_catching(trampoline, fr.native_fn, fr.vmctx, fr.vmctx, values)
    };
    // SAFETY: as above.
    unsafe { (*ctx).stack_limit = prev };
    // SAFETY: the call is over; a shared borrow of the store.
    r.map_err(|rec| trap_from_record(rec, |addr| unsafe { (*store).find_memory(addr) }))
}

/// Export `export_index` of `inst`, if it has that kind.
///
/// # Safety
///
/// `inst` is null or live.
unsafe fn export<'a>(inst: *mut CInstance, index: u32) -> Option<(&'a mut CInstance, Extern)> {
    // SAFETY: caller contract; no call into the instance holds a borrow
    // of it while the host uses these accessors (documented).
    let inst = unsafe { inst.as_mut()? };
    let e = *inst.exports.get(index as usize)?;
    Some((inst, e))
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
        let Some((inst, Extern::Memory(m))) = (unsafe { export(inst, export_index) }) else {
            return std::ptr::null_mut();
        };
        let data = inst.store.memory_data(m);
        if !len.is_null() {
            // SAFETY: caller contract.
            unsafe { *len = data.len() };
        }
        data.as_mut_ptr()
    })
}

/// Grows exported memory `export_index` by `delta_pages`; the old size in
/// pages goes to `*old_pages` (if non-null). [`WAOT_ERROR`] when it cannot grow.
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
        let Some((inst, Extern::Memory(m))) = (unsafe { export(inst, export_index) }) else {
            return WAOT_ERROR;
        };
        match inst.store.memory_grow(m, delta_pages) {
            Some(old) => {
                if !old_pages.is_null() {
                    // SAFETY: caller contract.
                    unsafe { *old_pages = old };
                }
                WAOT_OK
            }
            None => WAOT_ERROR,
        }
    })
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
        let Some((inst, Extern::Global(g))) = (unsafe { export(inst, export_index) }) else {
            return WAOT_ERROR;
        };
        if out.is_null() {
            return WAOT_ERROR;
        }
        write_val(out, &inst.store.global_get(g).to_raw());
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
        let Some((inst, Extern::Global(g))) = (unsafe { export(inst, export_index) }) else {
            return WAOT_ERROR;
        };
        if val.is_null() {
            return WAOT_ERROR;
        }
        let v = Val::from_raw(inst.store.global_type(g).ty, &read_val(val));
        match inst.store.global_set(g, v) {
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
            Some((inst, Extern::Table(t))) => inst.store.table_size(t),
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
        let Some((inst, Extern::Table(t))) = (unsafe { export(inst, export_index) }) else {
            return WAOT_ERROR;
        };
        match inst.store.table_get(t, index) {
            Some(v) if !out.is_null() => {
                // SAFETY: caller contract.
                unsafe { *out = v.to_ref_bits() as usize as *mut c_void };
                WAOT_OK
            }
            _ => WAOT_ERROR,
        }
    })
}

const NO_MAX: u64 = u64::MAX;

/// A new memory of `min_pages` pages, at most `max_pages` (`UINT64_MAX`:
/// no maximum), that instances can import. Null on failure
/// ([`waot_rt_last_error`] says why).
#[no_mangle]
pub extern "C" fn waot_rt_memory_new(min_pages: u64, max_pages: u64) -> *mut HostMemory {
    guard(std::ptr::null_mut(), || {
        let ty = MemoryType {
            min_pages,
            max_pages: (max_pages != NO_MAX).then_some(max_pages),
            memory64: false,
            shared: false,
        };
        match MemoryData::new(ty) {
            #[expect(clippy::arc_with_non_send_sync, reason = "see HostMemory")]
            Ok(m) => Arc::into_raw(Arc::new(SharedCell::new(m))).cast_mut(),
            Err(e) => {
                set_last_error(&e);
                std::ptr::null_mut()
            }
        }
    })
}

/// Base and (in `*len`) current size in bytes of a host-created memory.
///
/// # Safety
///
/// `mem` is a live `waot_memory`; `len` is null or writable; no wasm code
/// using the memory runs while the host uses the pointer.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_memory_data(mem: *mut HostMemory, len: *mut usize) -> *mut u8 {
    if mem.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: caller contract.
    let m = unsafe { &mut *(*mem).get() };
    let data = m.data_mut();
    if !len.is_null() {
        // SAFETY: caller contract.
        unsafe { *len = data.len() };
    }
    data.as_mut_ptr()
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
        guard((), || drop(unsafe { Arc::from_raw(mem) }));
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
            #[expect(clippy::arc_with_non_send_sync, reason = "see HostMemory")]
            Ok(t) => Arc::into_raw(Arc::new(SharedCell::new(t))).cast_mut(),
            Err(e) => {
                set_last_error(&e);
                std::ptr::null_mut()
            }
        }
    })
}

/// Current size of a host-created table.
///
/// # Safety
///
/// `table` is a live `waot_table`.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_table_len(table: *const HostTable) -> u64 {
    if table.is_null() {
        return 0;
    }
    // SAFETY: caller contract.
    unsafe { (*(*table).get()).size() }
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
        guard((), || drop(unsafe { Arc::from_raw(table) }));
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
        let g = HostGlobal {
            slot: UnsafeCell::new(read_val(init)),
            ty: GlobalType {
                ty,
                mutable: mutable_ != 0,
            },
        };
        #[expect(clippy::arc_with_non_send_sync, reason = "see HostMemory")]
        let g = Arc::new(g);
        Arc::into_raw(g).cast_mut()
    })
}

/// Reads a host-created global.
///
/// # Safety
///
/// `global` is a live `waot_global`; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_global_read(global: *const HostGlobal, out: *mut CVal) {
    if !global.is_null() && !out.is_null() {
        // SAFETY: caller contract; no wasm code runs during the read.
        write_val(out, unsafe { &*(*global).slot.get() });
    }
}

/// Writes a host-created global (mutable or not: the host owns it).
///
/// # Safety
///
/// `global` is a live `waot_global`; `val` is readable.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_global_write(global: *const HostGlobal, val: *const CVal) {
    if !global.is_null() && !val.is_null() {
        // SAFETY: caller contract; no wasm code runs during the write.
        unsafe { *(*global).slot.get() = read_val(val) };
    }
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
        guard((), || drop(unsafe { Arc::from_raw(global) }));
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
}
