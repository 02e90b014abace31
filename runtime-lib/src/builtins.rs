//! The runtime functions generated code calls through `vmctx[VMCTX_BUILTINS]`
//! (see `waot_abi::builtins` for the table order and signatures).
//!
//! Every builtin takes the caller's VM context first, finds its
//! `InstanceData` through the back pointer, and never unwinds: the body runs
//! under `catch_unwind`, and a panic counts as failure (status 1 or -1).
//! Bounds are checked before anything is written (spec §4.4.7/§4.4.6: bulk
//! operations trap without partial effects).

use std::panic::{catch_unwind, AssertUnwindSafe};

use waot_abi::builtins::Builtin;
use waot_abi::vmctx::VMCTX_INSTANCE;

use crate::instance::InstanceData;

mod gc_ops;
mod wait;
use crate::table::{self, in_bounds};

/// The builtin table, in [`Builtin`] order.
pub const TABLE: [*const u8; Builtin::COUNT] = [
    memory_grow as *const u8,
    memory_fill as *const u8,
    memory_copy as *const u8,
    memory_init as *const u8,
    data_drop as *const u8,
    table_grow as *const u8,
    table_fill as *const u8,
    table_copy as *const u8,
    table_init as *const u8,
    elem_drop as *const u8,
    crate::exception::exn_alloc as *const u8,
    func_subtype as *const u8,
    crate::exception::exn_release as *const u8,
    gc_ops::gc_new_struct as *const u8,
    gc_ops::gc_new_array as *const u8,
    gc_ops::array_new_data as *const u8,
    gc_ops::array_new_elem as *const u8,
    gc_ops::array_fill as *const u8,
    gc_ops::array_copy as *const u8,
    gc_ops::array_init_data as *const u8,
    gc_ops::array_init_elem as *const u8,
    gc_ops::any_convert_extern as *const u8,
    gc_ops::extern_convert_any as *const u8,
    wait::memory_atomic_wait32 as *const u8,
    wait::memory_atomic_wait64 as *const u8,
    wait::memory_atomic_notify as *const u8,
];

/// The instance behind a VM context.
///
/// # Safety
///
/// `vmctx` must be the VM context of a live instance, and no other reference
/// to its `InstanceData` may be active (wasm is the only caller).
pub(crate) unsafe fn instance<'a>(vmctx: *mut u8) -> &'a mut InstanceData {
    // SAFETY: guaranteed by the caller.
    unsafe {
        &mut **vmctx
            .add(VMCTX_INSTANCE as usize)
            .cast::<*mut InstanceData>()
    }
}

/// Runs `f`, mapping a panic to `on_panic`.
pub(crate) fn guard<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(on_panic)
}

fn status(ok: bool) -> u32 {
    u32::from(!ok)
}

/// `memory.grow`: old size in pages, or -1.
unsafe extern "C" fn memory_grow(vmctx: *mut u8, memory: u32, delta: u64) -> u64 {
    guard(u64::MAX, || {
        // SAFETY: called by generated code with its own VM context.
        let inst = unsafe { instance(vmctx) };
        let Some(&mem) = inst.memories.get(memory as usize) else {
            return u64::MAX;
        };
        // SAFETY: memories are owned by the store and outlive the instance.
        unsafe { (*mem).grow(delta) }.unwrap_or(u64::MAX)
    })
}

/// `memory.fill`.
unsafe extern "C" fn memory_fill(
    vmctx: *mut u8,
    memory: u32,
    dst: u64,
    byte: u32,
    len: u64,
) -> u32 {
    guard(1, || {
        // SAFETY: as in `memory_grow`.
        let inst = unsafe { instance(vmctx) };
        let Some(&mem) = inst.memories.get(memory as usize) else {
            return 1;
        };
        // SAFETY: as in `memory_grow`.
        let mem = unsafe { &mut *mem };
        if !mem.check_range(dst, len) {
            return 1;
        }
        mem.data_mut()[dst as usize..(dst + len) as usize].fill(byte as u8);
        0
    })
}

/// `memory.copy` (memmove semantics; the memories may be the same).
unsafe extern "C" fn memory_copy(
    vmctx: *mut u8,
    dst_memory: u32,
    src_memory: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    guard(1, || {
        // SAFETY: as in `memory_grow`.
        let inst = unsafe { instance(vmctx) };
        let (Some(&dm), Some(&sm)) = (
            inst.memories.get(dst_memory as usize),
            inst.memories.get(src_memory as usize),
        ) else {
            return 1;
        };
        // SAFETY: memories outlive the instance; only shared reads here.
        let ok = unsafe { (*dm).check_range(dst, len) && (*sm).check_range(src, len) };
        if !ok {
            return 1;
        }
        // SAFETY: both ranges are inside committed memory; `ptr::copy`
        // handles overlap.
        unsafe {
            std::ptr::copy(
                (*sm).base().add(src as usize),
                (*dm).base().add(dst as usize),
                len as usize,
            )
        };
        0
    })
}

/// `memory.init` (a dropped segment has length 0).
unsafe extern "C" fn memory_init(
    vmctx: *mut u8,
    memory: u32,
    data_index: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    guard(1, || {
        // SAFETY: as in `memory_grow`.
        let inst = unsafe { instance(vmctx) };
        let (Some(&mem), Some(&data)) = (
            inst.memories.get(memory as usize),
            inst.datas.get(data_index as usize),
        ) else {
            return 1;
        };
        // SAFETY: as in `memory_grow`.
        let mem = unsafe { &mut *mem };
        if !mem.check_range(dst, len) || !in_bounds(src, len, data.len() as u64) {
            return 1;
        }
        mem.data_mut()[dst as usize..(dst + len) as usize]
            .copy_from_slice(&data[src as usize..(src + len) as usize]);
        0
    })
}

/// `data.drop`.
unsafe extern "C" fn data_drop(vmctx: *mut u8, data_index: u32) {
    guard((), || {
        // SAFETY: as in `memory_grow`.
        let inst = unsafe { instance(vmctx) };
        if let Some(d) = inst.datas.get_mut(data_index as usize) {
            *d = &[];
        }
    })
}

/// `table.grow`: old size, or -1.
unsafe extern "C" fn table_grow(vmctx: *mut u8, table: u32, init: u64, delta: u64) -> u64 {
    guard(u64::MAX, || {
        // SAFETY: as in `memory_grow`.
        let inst = unsafe { instance(vmctx) };
        let Some(&t) = inst.tables.get(table as usize) else {
            return u64::MAX;
        };
        // SAFETY: tables are owned by the store and outlive the instance.
        unsafe { (*t).grow(delta, init) }.unwrap_or(u64::MAX)
    })
}

/// `table.fill`.
unsafe extern "C" fn table_fill(vmctx: *mut u8, table: u32, dst: u64, value: u64, len: u64) -> u32 {
    guard(1, || {
        // SAFETY: as in `memory_grow`.
        let inst = unsafe { instance(vmctx) };
        let Some(&t) = inst.tables.get(table as usize) else {
            return 1;
        };
        // SAFETY: as in `table_grow`.
        status(unsafe { (*t).fill(dst, value, len) })
    })
}

/// `table.copy` (memmove semantics; the tables may be the same).
unsafe extern "C" fn table_copy(
    vmctx: *mut u8,
    dst_table: u32,
    src_table: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    guard(1, || {
        // SAFETY: as in `memory_grow`.
        let inst = unsafe { instance(vmctx) };
        let (Some(&dt), Some(&st)) = (
            inst.tables.get(dst_table as usize),
            inst.tables.get(src_table as usize),
        ) else {
            return 1;
        };
        // SAFETY: both tables are live (owned by the store).
        status(unsafe { table::copy(dt, st, dst, src, len) })
    })
}

/// `table.init` (a dropped segment has length 0).
unsafe extern "C" fn table_init(
    vmctx: *mut u8,
    table: u32,
    elem_index: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    guard(1, || {
        // SAFETY: as in `memory_grow`.
        let inst = unsafe { instance(vmctx) };
        let (Some(&t), Some(items)) = (
            inst.tables.get(table as usize),
            inst.elems.get(elem_index as usize),
        ) else {
            return 1;
        };
        // SAFETY: as in `table_grow`.
        let t = unsafe { &mut *t };
        if !in_bounds(dst, len, t.size()) || !in_bounds(src, len, items.len() as u64) {
            return 1;
        }
        t.elements_mut()[dst as usize..(dst + len) as usize]
            .copy_from_slice(&items[src as usize..(src + len) as usize]);
        0
    })
}

/// `elem.drop`.
unsafe extern "C" fn elem_drop(vmctx: *mut u8, elem_index: u32) {
    guard((), || {
        // SAFETY: as in `memory_grow`.
        let inst = unsafe { instance(vmctx) };
        if let Some(e) = inst.elems.get_mut(elem_index as usize) {
            *e = Vec::new();
        }
    })
}

/// `call_indirect` of a non-final type whose ids differ: 0 when `actual`
/// declares `expected` as a (transitive) supertype, else 1 (trap).
unsafe extern "C" fn func_subtype(_vmctx: *mut u8, actual: u32, expected: u32) -> u32 {
    guard(1, || {
        status(crate::signatures::is_subtype(actual, expected))
    })
}
