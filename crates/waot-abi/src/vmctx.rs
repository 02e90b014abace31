//! The VM context: the one pointer every generated function receives.
//!
//! All instance state is reached through it, so generated code has no global
//! mutable state and one object can be instantiated many times.
//!
//! ```text
//! offset                        field                                   size
//! ----------------------------  --------------------------------------  --------------------
//! 0                             instance   (runtime back pointer)       8
//! 8                             builtins   (*const [fn; Builtin::COUNT])8
//! 16                            store      (*mut StoreContext)          8
//! 24                            flags      (u32, see [`VMCTX_FLAGS`])    8
//! type_ids                      canonical signature id per type index   4 * num_types, padded to 8
//! imported_funcs                *const VmFuncRef per imported function  8 * num_imported_funcs
//! memory_bases                  *mut u8 per memory (never moves)        8 * num_memories
//! memory_defs                   *mut VmMemoryDef per memory             8 * num_memories
//! table_defs                    *mut VmTableDef per table               8 * num_tables
//! imported_globals              *mut [u8; 16] per imported global       8 * num_imported_globals
//! defined_globals               the value, inline                       16 * num_defined_globals
//! func_refs                     VmFuncRef per defined function          24 * num_defined_funcs
//! tags                          *const VmTag per tag (imports first)    8 * num_tags
//! ```
//!
//! Function calling conventions (all on the target's native registers):
//! - *native ABI* (Cranelift `tail` call conv): `fn(callee_vmctx, caller_vmctx,
//!   params...) -> results`, used for every wasm function, import and funcref.
//! - *array call* (system C ABI), one trampoline per type:
//!   `fn(native_fn, callee_vmctx, caller_vmctx, values: *mut ValRaw)`: reads
//!   the params from `values`, calls `native_fn`, writes the results back to
//!   `values` (which holds `max(params, results)` slots).
//! - *host call* (system C ABI): `fn(host: *mut VmHostFunc, caller_vmctx,
//!   values: *mut ValRaw, len: u32) -> u32`; a per-type *host adapter* with
//!   the native ABI spills params to `values`, calls it, traps with
//!   [`crate::trap::TrapKind::HostTrap`] on a non-zero status, and reloads
//!   results. The adapter's `callee_vmctx` is the `*mut VmHostFunc`.

/// Offset of the runtime's `*mut Instance` back pointer.
pub const VMCTX_INSTANCE: u32 = 0;
/// Offset of the pointer to the builtin function table (see [`crate::builtins`]).
pub const VMCTX_BUILTINS: u32 = 8;
/// Offset of the `*mut StoreContext` shared by all instances that call each other.
pub const VMCTX_STORE: u32 = 16;
/// Offset of the module's flags (a `u32`, [`VMCTX_FLAG_EXCEPTIONS`]).
pub const VMCTX_FLAGS: u32 = 24;
/// Size of the fixed header.
pub const VMCTX_HEADER_SIZE: u32 = 32;

/// Flag bit: the module's code checks for pending exceptions after every
/// call (it uses exception handling; see [`StoreContext::pending_exn`]).
pub const VMCTX_FLAG_EXCEPTIONS: u32 = 1;

/// State shared by all instances of one store (one thread of execution at a time).
#[repr(C)]
#[derive(Debug, Default)]
pub struct StoreContext {
    /// Lowest stack address wasm code may use; every function prologue
    /// compares the stack pointer with it and traps with "call stack exhausted".
    pub stack_limit: usize,
    /// The exception being propagated, a `*mut VmExn` (0 when none).
    ///
    /// A function of a module with [`VMCTX_FLAG_EXCEPTIONS`] that lets an
    /// exception escape stores it here (in its *caller's* store context)
    /// and returns dummy results; its caller checks this slot after every
    /// call and either catches the exception (clearing the slot) or
    /// propagates it the same way. The host entry turns an exception still
    /// pending when wasm returns into an "uncaught exception".
    pub pending_exn: usize,
    /// The runtime's exception heap (private to the runtime).
    pub exn_heap: usize,
    /// The store's GC bump region (`*mut waot_abi::gc::VmGcBump`), from
    /// which generated code allocates small structs inline.
    pub gc_bump: usize,
}
/// Offset of [`StoreContext::stack_limit`].
pub const STORE_STACK_LIMIT: u32 = 0;
/// Offset of [`StoreContext::pending_exn`].
pub const STORE_PENDING_EXN: u32 = 8;
/// Offset of [`StoreContext::gc_bump`].
pub const STORE_GC_BUMP: u32 = 24;

/// An exception tag: only its address matters (tags compare by identity;
/// an imported tag is the exporter's `VmTag`).
#[repr(C)]
#[derive(Debug)]
pub struct VmTag {
    /// Canonical id of the tag's function type (the runtime's, for
    /// import matching); generated code never reads it.
    pub type_id: u32,
    /// Padding; always zero.
    pub _pad: u32,
}

/// An exception object (what an `exnref` points to), allocated by the
/// runtime ([`crate::builtins::Builtin::ExnAlloc`]): a 16-byte header with
/// the tag, then one [`ValRaw`] slot per tag parameter, filled by generated
/// code.
#[repr(C, align(16))]
#[derive(Debug)]
pub struct VmExnHeader {
    /// The tag (`*const VmTag`).
    pub tag: *const VmTag,
    /// Number of payload slots after the header.
    pub len: u32,
    /// Non-zero while the object must live: bit 0 is set once wasm code
    /// holds it as an `exnref` (`catch_ref`, `catch_all_ref`); each legacy
    /// `catch`/`catch_all` clause running with it adds 2 (it may still
    /// `rethrow` it). When it is zero, catching it with `catch`/`catch_all`
    /// frees it ([`crate::builtins::Builtin::ExnRelease`]).
    pub exposed: u32,
}
/// Offset of [`VmExnHeader::tag`] in an exception object.
pub const EXN_TAG: u32 = 0;
/// Offset of [`VmExnHeader::exposed`] (a `u32`).
pub const EXN_EXPOSED: u32 = 12;
/// Offset of the first payload slot of an exception object.
pub const EXN_VALUES: u32 = 16;

/// A function reference: what `funcref` values, table entries and imported
/// functions point to. Null references are the null pointer.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VmFuncRef {
    /// Native-ABI entry point.
    pub native_fn: *const u8,
    /// The `callee_vmctx` to pass (an instance's VM context, or a `VmHostFunc`).
    pub vmctx: *mut u8,
    /// Canonical signature id, compared by `call_indirect`.
    pub type_id: u32,
    /// Padding; always zero.
    pub _pad: u32,
}
/// Offset of [`VmFuncRef::native_fn`].
pub const FUNCREF_NATIVE_FN: u32 = 0;
/// Offset of [`VmFuncRef::vmctx`].
pub const FUNCREF_VMCTX: u32 = 8;
/// Offset of [`VmFuncRef::type_id`].
pub const FUNCREF_TYPE_ID: u32 = 16;
/// Size of [`VmFuncRef`].
pub const FUNCREF_SIZE: u32 = 24;

/// A host function as seen by generated code: the `callee_vmctx` of a host
/// adapter. The runtime may put more fields after `call`.
#[repr(C)]
#[derive(Debug)]
pub struct VmHostFunc {
    /// `extern "C" fn(host: *mut VmHostFunc, caller_vmctx: *mut u8, values: *mut ValRaw, len: u32) -> u32`,
    /// returning 0 on success and non-zero to trap.
    pub call: *const u8,
}
/// Offset of [`VmHostFunc::call`].
pub const HOST_FUNC_CALL: u32 = 0;

/// A linear memory. `base` never moves (memories are reserved up front), so
/// generated code caches it in `memory_bases`; the length changes on grow.
#[repr(C)]
#[derive(Debug)]
pub struct VmMemoryDef {
    /// First byte of the memory.
    pub base: *mut u8,
    /// Current size in bytes. Atomic because a shared memory (threads) may
    /// be grown by one thread while others read it; generated code reads
    /// it with a plain 8-byte load (the same layout as a `u64`).
    pub current_length: core::sync::atomic::AtomicU64,
}
/// Offset of [`VmMemoryDef::base`].
pub const MEMORY_DEF_BASE: u32 = 0;
/// Offset of [`VmMemoryDef::current_length`].
pub const MEMORY_DEF_LENGTH: u32 = 8;

/// A table: `current_elements` slots of 8 bytes (a `*const VmFuncRef` or an
/// externref; null is 0). `base` moves when the table grows.
#[repr(C)]
#[derive(Debug)]
pub struct VmTableDef {
    /// First element.
    pub base: *mut u64,
    /// Current number of elements.
    pub current_elements: u64,
}
/// Offset of [`VmTableDef::base`].
pub const TABLE_DEF_BASE: u32 = 0;
/// Offset of [`VmTableDef::current_elements`].
pub const TABLE_DEF_LENGTH: u32 = 8;
/// Size of one table element in bytes.
pub const TABLE_ELEMENT_SIZE: u32 = 8;

/// One value slot of the array-call and host-call value buffers: the value's
/// little-endian bytes from offset 0 (i32/f32: 4 bytes, i64/f64/references:
/// 8 bytes, v128: 16 bytes); the other bytes are unspecified.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValRaw(pub [u8; 16]);
/// Size of one [`ValRaw`] slot.
pub const VAL_RAW_SIZE: u32 = 16;
/// Size of one defined global's inline storage.
pub const GLOBAL_SIZE: u32 = 16;

/// The counts a VM context layout depends on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmCounts {
    /// Entries in the type section.
    pub num_types: u32,
    /// Imported functions.
    pub num_imported_funcs: u32,
    /// Functions defined in the module.
    pub num_defined_funcs: u32,
    /// All memories, imported first.
    pub num_memories: u32,
    /// All tables, imported first.
    pub num_tables: u32,
    /// Imported globals.
    pub num_imported_globals: u32,
    /// Globals defined in the module.
    pub num_defined_globals: u32,
    /// All exception tags, imported first.
    pub num_tags: u32,
}

/// Offsets of the per-module arrays of a VM context; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmOffsets {
    /// The counts this layout was computed from.
    pub counts: VmCounts,
    /// Start of `type_ids`.
    pub type_ids: u32,
    /// Start of `imported_funcs`.
    pub imported_funcs: u32,
    /// Start of `memory_bases`.
    pub memory_bases: u32,
    /// Start of `memory_defs`.
    pub memory_defs: u32,
    /// Start of `table_defs`.
    pub table_defs: u32,
    /// Start of `imported_globals`.
    pub imported_globals: u32,
    /// Start of `defined_globals` (16-byte aligned).
    pub defined_globals: u32,
    /// Start of `func_refs`.
    pub func_refs: u32,
    /// Start of `tags`.
    pub tags: u32,
    /// Total size of the VM context in bytes.
    pub size: u32,
}

impl VmOffsets {
    /// Computes the layout for a module with these counts.
    pub const fn new(counts: VmCounts) -> VmOffsets {
        let type_ids = VMCTX_HEADER_SIZE;
        let imported_funcs = align8(type_ids + 4 * counts.num_types);
        let memory_bases = imported_funcs + 8 * counts.num_imported_funcs;
        let memory_defs = memory_bases + 8 * counts.num_memories;
        let table_defs = memory_defs + 8 * counts.num_memories;
        let imported_globals = table_defs + 8 * counts.num_tables;
        let defined_globals = align16(imported_globals + 8 * counts.num_imported_globals);
        let func_refs = defined_globals + GLOBAL_SIZE * counts.num_defined_globals;
        let tags = func_refs + FUNCREF_SIZE * counts.num_defined_funcs;
        let size = align16(tags + 8 * counts.num_tags);
        VmOffsets {
            counts,
            type_ids,
            imported_funcs,
            memory_bases,
            memory_defs,
            table_defs,
            imported_globals,
            defined_globals,
            func_refs,
            tags,
            size,
        }
    }

    /// Offset of the canonical signature id of type `type_index` (a `u32`).
    pub const fn type_id(&self, type_index: u32) -> u32 {
        self.type_ids + 4 * type_index
    }
    /// Offset of the `*const VmFuncRef` of imported function `index`.
    pub const fn imported_func(&self, index: u32) -> u32 {
        self.imported_funcs + 8 * index
    }
    /// Offset of the base pointer of memory `index`.
    pub const fn memory_base(&self, index: u32) -> u32 {
        self.memory_bases + 8 * index
    }
    /// Offset of the `*mut VmMemoryDef` of memory `index`.
    pub const fn memory_def(&self, index: u32) -> u32 {
        self.memory_defs + 8 * index
    }
    /// Offset of the `*mut VmTableDef` of table `index`.
    pub const fn table_def(&self, index: u32) -> u32 {
        self.table_defs + 8 * index
    }
    /// Offset of the storage pointer of imported global `index`.
    pub const fn imported_global(&self, index: u32) -> u32 {
        self.imported_globals + 8 * index
    }
    /// Offset of the inline value of defined global `defined_index`.
    pub const fn defined_global(&self, defined_index: u32) -> u32 {
        self.defined_globals + GLOBAL_SIZE * defined_index
    }
    /// Offset of the [`VmFuncRef`] of defined function `defined_index`.
    pub const fn func_ref(&self, defined_index: u32) -> u32 {
        self.func_refs + FUNCREF_SIZE * defined_index
    }
    /// Offset of the `*const VmTag` of tag `index`.
    pub const fn tag(&self, index: u32) -> u32 {
        self.tags + 8 * index
    }
}

const fn align8(x: u32) -> u32 {
    (x + 7) & !7
}
const fn align16(x: u32) -> u32 {
    (x + 15) & !15
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn struct_layouts_match_offsets() {
        assert_eq!(offset_of!(VmFuncRef, native_fn) as u32, FUNCREF_NATIVE_FN);
        assert_eq!(offset_of!(VmFuncRef, vmctx) as u32, FUNCREF_VMCTX);
        assert_eq!(offset_of!(VmFuncRef, type_id) as u32, FUNCREF_TYPE_ID);
        assert_eq!(size_of::<VmFuncRef>() as u32, FUNCREF_SIZE);
        assert_eq!(offset_of!(VmHostFunc, call) as u32, HOST_FUNC_CALL);
        assert_eq!(offset_of!(VmMemoryDef, base) as u32, MEMORY_DEF_BASE);
        assert_eq!(
            offset_of!(VmMemoryDef, current_length) as u32,
            MEMORY_DEF_LENGTH
        );
        assert_eq!(offset_of!(VmTableDef, base) as u32, TABLE_DEF_BASE);
        assert_eq!(
            offset_of!(VmTableDef, current_elements) as u32,
            TABLE_DEF_LENGTH
        );
        assert_eq!(
            offset_of!(StoreContext, stack_limit) as u32,
            STORE_STACK_LIMIT
        );
        assert_eq!(
            offset_of!(StoreContext, pending_exn) as u32,
            STORE_PENDING_EXN
        );
        assert_eq!(offset_of!(StoreContext, gc_bump) as u32, STORE_GC_BUMP);
        assert_eq!(offset_of!(VmExnHeader, tag) as u32, EXN_TAG);
        assert_eq!(offset_of!(VmExnHeader, exposed) as u32, EXN_EXPOSED);
        assert_eq!(size_of::<VmExnHeader>() as u32, EXN_VALUES);
        assert_eq!(size_of::<ValRaw>() as u32, VAL_RAW_SIZE);
    }

    #[test]
    fn arrays_do_not_overlap() {
        let o = VmOffsets::new(VmCounts {
            num_types: 3,
            num_imported_funcs: 2,
            num_defined_funcs: 5,
            num_memories: 1,
            num_tables: 2,
            num_imported_globals: 1,
            num_defined_globals: 4,
            num_tags: 2,
        });
        assert_eq!(o.type_ids, VMCTX_HEADER_SIZE);
        assert!(o.imported_funcs >= o.type_id(3));
        assert_eq!(o.memory_bases, o.imported_func(2));
        assert_eq!(o.memory_defs, o.memory_base(1));
        assert_eq!(o.table_defs, o.memory_def(1));
        assert_eq!(o.imported_globals, o.table_def(2));
        assert!(o.defined_globals >= o.imported_global(1));
        assert_eq!(o.defined_globals % 16, 0);
        assert_eq!(o.func_refs, o.defined_global(4));
        assert_eq!(o.tags, o.func_ref(5));
        assert!(o.size >= o.tag(2));
    }
}
