//! The store: owner of every runtime object, and the host's API to them.
//!
//! Handles ([`Instance`], [`Memory`], [`Table`], [`Global`]) are indices
//! into one store; [`Func`] is the function's `*const VmFuncRef` (so a
//! funcref read from a table *is* a `Func`). Everything lives until the
//! store drops. A store is used by one thread at a time.

use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

use waot_abi::meta::{ExternType, FuncType, GlobalType, MemoryType, TableType};
use waot_abi::vmctx::{StoreContext, ValRaw, VmFuncRef};

use crate::exception::{self, Exceptions, ExnHeap, Tag};
use crate::host::{HostContext, HostFn, HostFuncData};
use crate::instance::{self, InstanceData, InstantiateError};
use crate::memory::MemoryData;
use crate::objects::GcStore;
use crate::signatures::canonical_type_id;
use crate::table::TableData;
use crate::trap::{self, signals, unwind, HostReason};
use crate::val::AnyRef;
use crate::{global, Module, Trap, Val};

/// An instance of a module in a [`Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instance(pub(crate) u32);
/// A linear memory in a [`Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Memory(pub(crate) u32);
/// A table in a [`Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Table(pub(crate) u32);
/// A global in a [`Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Global(pub(crate) u32);

/// A function: its `*const VmFuncRef`, which is also its funcref value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Func(NonNull<VmFuncRef>);

/// A non-null function reference (the same thing as a [`Func`]).
pub type FuncRef = Func;

// SAFETY: a `Func` is an identifier; it is only dereferenced by the store
// that owns the function.
unsafe impl Send for Func {}
// SAFETY: as above.
unsafe impl Sync for Func {}

impl Func {
    pub(crate) fn from_non_null(p: NonNull<VmFuncRef>) -> Func {
        Func(p)
    }
    /// The `*const VmFuncRef` (the raw funcref value).
    pub fn as_ptr(self) -> *const VmFuncRef {
        self.0.as_ptr()
    }
}

/// Anything an instance can import or export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A memory.
    Memory(Memory),
    /// A table.
    Table(Table),
    /// A global.
    Global(Global),
    /// An exception tag.
    Tag(Tag),
}

pub(crate) enum FuncKind {
    /// A wasm function; calls go through its module's array trampoline.
    Wasm { trampoline: *const u8 },
    /// A host function.
    Host(*mut HostFuncData),
}

pub(crate) struct FuncInfo {
    pub ty: FuncType,
    pub kind: FuncKind,
}

/// A memory or table that several stores can refer to (the C API's
/// host-created objects, imported by instances that each have their own
/// store). Accessed only by the thread running the store that uses it,
/// except a shared memory (threads), which is `Sync` and crosses threads
/// as a `crate::SharedMemory`.
pub struct SharedCell<T>(UnsafeCell<T>);

impl<T> SharedCell<T> {
    pub(crate) fn new(v: T) -> SharedCell<T> {
        SharedCell(UnsafeCell::new(v))
    }
    pub(crate) fn get(&self) -> *mut T {
        self.0.get()
    }
}

/// A store's memory or table: its own, or one shared with other stores.
pub(crate) enum Slot<T> {
    Own(Box<T>),
    Shared(Arc<SharedCell<T>>),
    /// Owned by another store that the owner of this one keeps alive (C API
    /// instances importing each other's exports).
    Borrowed(NonNull<T>),
}

impl<T> Deref for Slot<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Slot::Own(b) => b,
            // SAFETY: shared objects are used by one thread at a time (the
            // store's contract), and never while a `&mut` to them is live.
            Slot::Shared(s) => unsafe { &*s.get() },
            // SAFETY: as for shared objects; the owner outlives this store.
            Slot::Borrowed(p) => unsafe { p.as_ref() },
        }
    }
}

impl<T> DerefMut for Slot<T> {
    fn deref_mut(&mut self) -> &mut T {
        match self {
            Slot::Own(b) => b,
            // SAFETY: as for `deref`.
            Slot::Shared(s) => unsafe { &mut *s.get() },
            // SAFETY: as for `deref`.
            Slot::Borrowed(p) => unsafe { p.as_mut() },
        }
    }
}

pub(crate) struct GlobalEntry {
    pub slot: *mut ValRaw,
    pub ty: GlobalType,
}

/// Owns instances, memories, tables, globals and host functions.
#[expect(
    clippy::vec_box,
    reason = "boxed for stable addresses: VM contexts and generated code point into them"
)]
pub struct Store {
    pub(crate) ctx: Box<StoreContext>,
    pub(crate) instances: Vec<Box<InstanceData>>,
    pub(crate) memories: Vec<Slot<MemoryData>>,
    pub(crate) tables: Vec<Slot<TableData>>,
    pub(crate) globals: Vec<GlobalEntry>,
    pub(crate) funcs: HashMap<usize, FuncInfo>,
    global_slots: Vec<Box<ValRaw>>,
    host_funcs: Vec<Box<HostFuncData>>,
    /// Tags and exception objects.
    pub(crate) exceptions: Exceptions,
    /// GC objects (boxed: instances point to it). References the store
    /// hands to the host stay rooted until the store is dropped.
    pub(crate) gc: Box<GcStore>,
}

impl Default for Store {
    fn default() -> Store {
        Store::new()
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("instances", &self.instances.len())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        let mut exceptions = Exceptions::default();
        let exn_heap = exceptions.heap_ptr();
        let mut store = Store {
            ctx: Box::default(),
            instances: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            funcs: HashMap::new(),
            global_slots: Vec::new(),
            host_funcs: Vec::new(),
            exceptions,
            gc: Box::new(GcStore::new(exn_heap as *const ExnHeap)),
        };
        store.ctx.exn_heap = exn_heap;
        store.ctx.gc_bump = store.gc.bump_region() as usize;
        store
    }

    /// Instantiates `module` with `imports` given in the module's import
    /// order (spec §4.5.4). On `Err(Trap)` from a segment or the start
    /// function, the effects before the trap remain (on imported objects).
    pub fn instantiate(
        &mut self,
        module: &Arc<Module>,
        imports: &[Extern],
    ) -> Result<Instance, InstantiateError> {
        instance::instantiate(self, module, imports)
    }

    /// Resolves `module`'s imports with `lookup(module_name, field_name)`;
    /// the first miss is `Link("unknown import: m::n")`.
    pub fn resolve_imports(
        &self,
        module: &Module,
        mut lookup: impl FnMut(&str, &str) -> Option<Extern>,
    ) -> Result<Vec<Extern>, InstantiateError> {
        module
            .meta()
            .imports
            .iter()
            .map(|imp| {
                lookup(&imp.module, &imp.name).ok_or_else(|| {
                    InstantiateError::Link(format!("unknown import: {}::{}", imp.module, imp.name))
                })
            })
            .collect()
    }

    /// The exports of `inst`, in the module's export order.
    pub fn exports(&self, inst: Instance) -> Vec<(String, Extern)> {
        self.instances[inst.0 as usize].exports.clone()
    }

    /// The export named `name`.
    pub fn get_export(&self, inst: Instance, name: &str) -> Option<Extern> {
        let exports = &self.instances[inst.0 as usize].exports;
        exports.iter().find(|(n, _)| n == name).map(|(_, e)| *e)
    }

    /// The module `inst` was made from.
    pub fn instance_module(&self, inst: Instance) -> &Arc<Module> {
        &self.instances[inst.0 as usize].module
    }

    /// The type of a function of this store; typed references in it name
    /// types by canonical id (`HeapType::Concrete`), not by type index.
    ///
    /// # Panics
    ///
    /// If `f` belongs to another store.
    pub fn func_type(&self, f: Func) -> FuncType {
        self.func_info(f).ty.clone()
    }

    fn func_info(&self, f: Func) -> &FuncInfo {
        self.funcs
            .get(&(f.as_ptr() as usize))
            .expect("function of another store")
    }

    /// Calls `f` with `args`; returns its results or the trap.
    pub fn call(&mut self, f: Func, args: &[Val]) -> Result<Vec<Val>, Trap> {
        let Some(info) = self.funcs.get(&(f.as_ptr() as usize)) else {
            return Err(host_error("call of a function of another store"));
        };
        if args.len() != info.ty.params.len()
            || !args.iter().zip(&info.ty.params).all(|(v, t)| v.matches(*t))
        {
            return Err(host_error(
                "argument count or types do not match the function type",
            ));
        }
        let trampoline = match info.kind {
            FuncKind::Host(data) => {
                let mut ctx = HostContext::new(std::ptr::null_mut());
                // SAFETY: host function data lives as long as the store.
                return unsafe { (*data).invoke(&mut ctx, args) };
            }
            FuncKind::Wasm { trampoline } => trampoline,
        };
        let ty = &info.ty;
        let mut values = vec![ValRaw::default(); ty.params.len().max(ty.results.len()).max(1)];
        for (slot, v) in values.iter_mut().zip(args) {
            *slot = v.to_raw();
        }
        // SAFETY: `f` is a wasm function of this store (its VmFuncRef is
        // inside a live instance); `values` has room for params and results.
        let r = unsafe {
            let fr = &*f.as_ptr();
            self.enter_wasm(trampoline, fr.native_fn, fr.vmctx, values.as_mut_ptr())
        };
        r?;
        let ty = &self.func_info(f).ty;
        let results: Vec<Val> = ty
            .results
            .iter()
            .zip(&values)
            .map(|(t, raw)| Val::from_raw(*t, raw))
            .collect();
        results.iter().for_each(|v| self.root_for_host(v));
        Ok(results)
    }

    /// Keeps the GC object `v` refers to (if any) alive until the store is
    /// dropped: it is being handed to the host.
    fn root_for_host(&self, v: &Val) {
        self.gc.root_for_host(v.to_ref_bits());
    }

    /// The counters of the store's GC heap.
    pub fn gc_stats(&self) -> crate::gc::GcStats {
        self.gc.stats()
    }

    /// `any.convert_extern` from the host: the `anyref` of the externref
    /// `e` (a host value becomes a boxed host value, see `docs/GC.md`).
    pub fn extern_to_any(&mut self, e: Option<u64>) -> Result<Option<AnyRef>, Trap> {
        let word = self
            .gc
            .any_convert_extern(Val::ExternRef(e).to_ref_bits())
            .map_err(Trap::new)?;
        self.gc.root_for_host(word);
        // SAFETY: a reference of this store's `any` hierarchy.
        Ok(unsafe { AnyRef::from_bits(word) })
    }

    /// `extern.convert_any` from the host: the externref of `a` (of this
    /// store).
    pub fn any_to_extern(&mut self, a: Option<AnyRef>) -> Result<Option<u64>, Trap> {
        let word = self
            .gc
            .extern_convert_any(a.map_or(0, AnyRef::bits))
            .map_err(Trap::new)?;
        self.gc.root_for_host(word);
        Ok(word.checked_sub(1))
    }

    /// Calls into wasm with trap handling and the stack limit set.
    ///
    /// # Safety
    ///
    /// A valid array call of wasm code of this store.
    pub(crate) unsafe fn enter_wasm(
        &mut self,
        trampoline: *const u8,
        native_fn: *const u8,
        vmctx: *mut u8,
        values: *mut ValRaw,
    ) -> Result<(), Trap> {
        signals::init();
        let prev_limit = self.ctx.stack_limit;
        if prev_limit == 0 {
            self.ctx.stack_limit = signals::thread_stack_limit();
        }
        // SAFETY: forwarded from the caller.
        let r = unsafe { unwind::call_catching(trampoline, native_fn, vmctx, vmctx, values) };
        self.ctx.stack_limit = prev_limit;
        let r = r.map_err(|rec| trap::trap_from_record(rec, |addr| self.find_memory(addr)));
        exception::finish_entry(&mut self.ctx, r)
    }

    /// `(wasm address, memory size)` of a host address inside a memory's
    /// reservation.
    pub(crate) fn find_memory(&self, addr: usize) -> Option<(u64, u64)> {
        self.memories
            .iter()
            .find(|m| m.reservation_contains(addr))
            .map(|m| ((addr - m.base() as usize) as u64, m.len_bytes()))
    }

    /// Creates a host function of type `ty` (a typed reference in it names
    /// its type by canonical id, as [`Store::func_type`] reports them).
    pub fn host_func(&mut self, ty: FuncType, f: HostFn) -> Func {
        let type_id = canonical_type_id(&ty);
        let mut data = HostFuncData::new(ty.clone(), type_id, f);
        let ptr = NonNull::from(&mut data.funcref);
        let kind = FuncKind::Host(&mut *data);
        self.host_funcs.push(data);
        self.funcs
            .insert(ptr.as_ptr() as usize, FuncInfo { ty, kind });
        Func(ptr)
    }

    /// Creates a memory (like an exported one).
    pub fn new_memory(&mut self, ty: MemoryType) -> Result<Memory, String> {
        let m = MemoryData::new(ty)?;
        Ok(self.push_memory(Box::new(m)))
    }

    pub(crate) fn push_memory(&mut self, m: Box<MemoryData>) -> Memory {
        // A shared memory (threads) can be handed to other stores and
        // threads (`Store::shared_memory`), so it lives behind an `Arc`.
        let slot = if m.current_type().shared {
            #[expect(
                clippy::arc_with_non_send_sync,
                reason = "crosses threads only as a `SharedMemory` (Send + Sync, see threads.rs)"
            )]
            Slot::Shared(Arc::new(SharedCell::new(*m)))
        } else {
            Slot::Own(m)
        };
        self.memories.push(slot);
        Memory(self.memories.len() as u32 - 1)
    }

    /// Adds a memory shared with other stores (C API host objects).
    pub(crate) fn push_shared_memory(&mut self, m: Arc<SharedCell<MemoryData>>) -> Memory {
        self.memories.push(Slot::Shared(m));
        Memory(self.memories.len() as u32 - 1)
    }

    /// Adds a memory of another store.
    ///
    /// # Safety
    ///
    /// `m` stays valid as long as this store (its owner is kept alive).
    pub(crate) unsafe fn push_borrowed_memory(&mut self, m: NonNull<MemoryData>) -> Memory {
        self.memories.push(Slot::Borrowed(m));
        Memory(self.memories.len() as u32 - 1)
    }

    /// Creates a table with every element set to `init` (a reference).
    pub fn new_table(&mut self, ty: TableType, init: Val) -> Result<Table, String> {
        let t = TableData::new(ty, init.to_ref_bits())?;
        Ok(self.push_table(Box::new(t)))
    }

    pub(crate) fn push_table(&mut self, t: Box<TableData>) -> Table {
        self.tables.push(Slot::Own(t));
        self.table_pushed()
    }

    /// Adds a table shared with other stores (C API host objects).
    pub(crate) fn push_shared_table(&mut self, t: Arc<SharedCell<TableData>>) -> Table {
        self.tables.push(Slot::Shared(t));
        self.table_pushed()
    }

    /// Adds a table of another store.
    ///
    /// # Safety
    ///
    /// `t` stays valid as long as this store (its owner is kept alive).
    pub(crate) unsafe fn push_borrowed_table(&mut self, t: NonNull<TableData>) -> Table {
        self.tables.push(Slot::Borrowed(t));
        self.table_pushed()
    }

    /// Creates a global holding `val`.
    pub fn new_global(&mut self, ty: GlobalType, val: Val) -> Result<Global, String> {
        if !val.matches(ty.ty) {
            return Err("global value does not match its type".into());
        }
        let mut slot = Box::new(val.to_raw());
        let ptr: *mut ValRaw = &mut *slot;
        self.global_slots.push(slot);
        Ok(self.push_global(ptr, ty))
    }

    pub(crate) fn push_global(&mut self, slot: *mut ValRaw, ty: GlobalType) -> Global {
        if ty.ty.is_ref() {
            self.gc.add_global(slot);
        }
        self.globals.push(GlobalEntry { slot, ty });
        Global(self.globals.len() as u32 - 1)
    }

    /// A global's value.
    pub fn global_get(&self, g: Global) -> Val {
        let v = self.global_value(g);
        self.root_for_host(&v);
        v
    }

    /// A global's value, for the runtime itself (not rooted for the host).
    pub(crate) fn global_value(&self, g: Global) -> Val {
        let e = &self.globals[g.0 as usize];
        // SAFETY: global slots live as long as the store.
        unsafe { global::read(e.slot, e.ty) }
    }

    /// Sets a global (fails on immutable globals and type mismatches).
    pub fn global_set(&mut self, g: Global, val: Val) -> Result<(), String> {
        let e = &self.globals[g.0 as usize];
        if !e.ty.mutable || !val.matches(e.ty.ty) {
            return Err("immutable global or type mismatch".into());
        }
        // SAFETY: global slots live as long as the store.
        unsafe { global::write(e.slot, val) };
        Ok(())
    }

    /// A global's type.
    pub fn global_type(&self, g: Global) -> GlobalType {
        self.globals[g.0 as usize].ty
    }

    pub(crate) fn global_slot(&self, g: Global) -> *mut ValRaw {
        self.globals[g.0 as usize].slot
    }

    /// A memory's type (`min_pages` is its current size).
    pub fn memory_type(&self, m: Memory) -> MemoryType {
        self.memories[m.0 as usize].current_type()
    }

    /// A memory's bytes.
    pub fn memory_data(&mut self, m: Memory) -> &mut [u8] {
        self.memories[m.0 as usize].data_mut()
    }

    /// `memory.grow` from the host: old size in pages, or `None`.
    pub fn memory_grow(&mut self, m: Memory, delta_pages: u64) -> Option<u64> {
        self.memories[m.0 as usize].grow(delta_pages)
    }

    pub(crate) fn memory_ptr(&mut self, m: Memory) -> *mut MemoryData {
        &mut *self.memories[m.0 as usize]
    }

    /// A table's type (`min` is its current size).
    pub fn table_type(&self, t: Table) -> TableType {
        self.tables[t.0 as usize].current_type()
    }

    /// A table's current size.
    pub fn table_size(&self, t: Table) -> u64 {
        self.tables[t.0 as usize].size()
    }

    /// Element `index` of a table, `None` out of bounds.
    pub fn table_get(&self, t: Table, index: u64) -> Option<Val> {
        let td = &self.tables[t.0 as usize];
        let v = Val::from_ref_bits(td.current_type().element, td.get(index)?);
        self.root_for_host(&v);
        Some(v)
    }

    /// Sets element `index`; fails out of bounds or on a type mismatch.
    pub fn table_set(&mut self, t: Table, index: u64, val: Val) -> Result<(), String> {
        let element = self.tables[t.0 as usize].current_type().element;
        if !val.matches(element) {
            return Err("table element type mismatch".into());
        }
        let td = &mut self.tables[t.0 as usize];
        if td.set(index, val.to_ref_bits()) {
            Ok(())
        } else {
            Err("out of bounds table access".into())
        }
    }

    /// Registers the table just pushed as a GC root; its handle.
    fn table_pushed(&mut self) -> Table {
        let t: &TableData = self.tables.last().expect("a table was pushed");
        self.gc.add_table(t);
        Table(self.tables.len() as u32 - 1)
    }

    /// `table.grow` from the host: old size, or `None`.
    pub fn table_grow(&mut self, t: Table, delta: u64, init: Val) -> Option<u64> {
        self.tables[t.0 as usize].grow(delta, init.to_ref_bits())
    }

    pub(crate) fn table_ptr(&mut self, t: Table) -> *mut TableData {
        &mut *self.tables[t.0 as usize]
    }

    /// The type of an extern, with the function type inlined (for matching).
    pub(crate) fn extern_type(&self, e: Extern) -> (ExternType, Option<FuncType>) {
        match e {
            Extern::Func(f) => (ExternType::Func(u32::MAX), Some(self.func_type(f))),
            Extern::Memory(m) => (ExternType::Memory(self.memory_type(m)), None),
            Extern::Table(t) => (ExternType::Table(self.table_type(t)), None),
            Extern::Global(g) => (ExternType::Global(self.global_type(g)), None),
            Extern::Tag(t) => (
                ExternType::Tag(u32::MAX),
                Some(self.exceptions.tag_type(t).clone()),
            ),
        }
    }
}

fn host_error(msg: &str) -> Trap {
    Trap::host(HostReason::Error(msg.to_string()))
}
