//! The GC builtins (`Builtin::GcNewStruct` .. `Builtin::ExternConvertAny`).
//!
//! Statuses and allocation results follow `Builtin::gc_traps`: 0 (or the
//! object) on success, else the raw `TrapKind` code. Every range is checked
//! before anything is written, in the spec's order (the array's range
//! first, then the segment's).

use waot_abi::gc::{ARRAY_DATA, ARRAY_LENGTH};
use waot_abi::trap::TrapKind;

use super::{guard, instance};
use crate::instance::InstanceData;
use crate::objects::GcStore;
use crate::signatures::array_elem_size;
use crate::table::in_bounds;

/// Failure value of a builtin that panicked or hit a corrupt module.
const OOM: u64 = TrapKind::OutOfMemory as u64;

/// The instance behind a VM context and its store's GC heap.
///
/// # Safety
///
/// As for [`instance`]; nothing else may reference the GC heap (wasm is
/// the only caller).
unsafe fn context<'a>(vmctx: *mut u8) -> (&'a InstanceData, &'a mut GcStore) {
    // SAFETY: guaranteed by the caller; the store boxes its GC heap and
    // outlives its instances.
    unsafe {
        let inst = instance(vmctx);
        let gc = &mut *inst.gc;
        (inst, gc)
    }
}

/// An allocation result as the builtin returns it.
fn object(r: Result<std::ptr::NonNull<u8>, TrapKind>) -> u64 {
    match r {
        Ok(p) => p.as_ptr() as u64,
        Err(k) => k as u64,
    }
}

/// An array object: its element count and first element. The array must
/// be a live array of its store (generated code passes non-null arrays).
struct Array {
    len: u32,
    data: *mut u8,
    elem_size: usize,
}

impl Array {
    /// # Safety
    ///
    /// `word` is a live array object.
    unsafe fn new(word: u64) -> Option<Array> {
        let p = word as *mut u8;
        // SAFETY: guaranteed by the caller.
        let (type_id, len) = unsafe {
            (
                p.cast::<u32>().read(),
                p.add(ARRAY_LENGTH as usize).cast::<u32>().read(),
            )
        };
        Some(Array {
            len,
            // SAFETY: elements start at ARRAY_DATA.
            data: unsafe { p.add(ARRAY_DATA as usize) },
            elem_size: array_elem_size(type_id)? as usize,
        })
    }

    /// Whether elements `index .. index + count` exist.
    fn has(&self, index: u32, count: u32) -> bool {
        in_bounds(index.into(), count.into(), self.len.into())
    }

    /// Address of element `index`.
    fn at(&self, index: u32) -> *mut u8 {
        self.data.wrapping_add(index as usize * self.elem_size)
    }
}

/// `(vmctx, type_index) -> object or trap code`.
pub(super) unsafe extern "C" fn gc_new_struct(vmctx: *mut u8, type_index: u32) -> u64 {
    guard(OOM, || {
        // SAFETY: called by generated code with its own VM context.
        let (inst, gc) = unsafe { context(vmctx) };
        let Some(shape) = inst.module.gc_shape(type_index) else {
            return OOM;
        };
        object(gc.new_struct(shape))
    })
}

/// `(vmctx, type_index, len) -> object or trap code`.
pub(super) unsafe extern "C" fn gc_new_array(vmctx: *mut u8, type_index: u32, len: u32) -> u64 {
    guard(OOM, || {
        // SAFETY: as in `gc_new_struct`.
        let (inst, gc) = unsafe { context(vmctx) };
        let Some(shape) = inst.module.gc_shape(type_index) else {
            return OOM;
        };
        object(gc.new_array(shape, len))
    })
}

/// `array.new_data`: `(vmctx, type_index, data_index, offset, len)`.
pub(super) unsafe extern "C" fn array_new_data(
    vmctx: *mut u8,
    type_index: u32,
    data_index: u32,
    offset: u32,
    len: u32,
) -> u64 {
    guard(OOM, || {
        // SAFETY: as in `gc_new_struct`.
        let (inst, gc) = unsafe { context(vmctx) };
        let (Some(shape), Some(&data)) = (
            inst.module.gc_shape(type_index),
            inst.datas.get(data_index as usize),
        ) else {
            return OOM;
        };
        let bytes = u64::from(len) * u64::from(shape.elem_size());
        if !in_bounds(offset.into(), bytes, data.len() as u64) {
            return TrapKind::MemoryOutOfBounds as u64;
        }
        let p = match gc.new_array(shape, len) {
            Ok(p) => p.as_ptr(),
            Err(k) => return k as u64,
        };
        // SAFETY: the array has room for `bytes` bytes of elements; the
        // source range was checked.
        unsafe {
            std::ptr::copy_nonoverlapping(
                data.as_ptr().add(offset as usize),
                p.add(ARRAY_DATA as usize),
                bytes as usize,
            )
        };
        p as u64
    })
}

/// `array.new_elem`: `(vmctx, type_index, elem_index, offset, len)`.
pub(super) unsafe extern "C" fn array_new_elem(
    vmctx: *mut u8,
    type_index: u32,
    elem_index: u32,
    offset: u32,
    len: u32,
) -> u64 {
    guard(OOM, || {
        // SAFETY: as in `gc_new_struct`.
        let (inst, gc) = unsafe { context(vmctx) };
        let (Some(shape), Some(items)) = (
            inst.module.gc_shape(type_index),
            inst.elems.get(elem_index as usize),
        ) else {
            return OOM;
        };
        if !in_bounds(offset.into(), len.into(), items.len() as u64) {
            return TrapKind::TableOutOfBounds as u64;
        }
        // The segment's items stay rooted (the store roots every
        // instance's segments) while the array is allocated.
        let p = match gc.new_array(shape, len) {
            Ok(p) => p.as_ptr(),
            Err(k) => return k as u64,
        };
        let src = &items[offset as usize..offset as usize + len as usize];
        // SAFETY: an array of references has `len` 8-byte elements.
        unsafe {
            std::ptr::copy_nonoverlapping(
                src.as_ptr(),
                p.add(ARRAY_DATA as usize).cast::<u64>(),
                src.len(),
            )
        };
        p as u64
    })
}

/// `array.fill`: `(vmctx, array, index, value_ptr, len) -> status`.
pub(super) unsafe extern "C" fn array_fill(
    _vmctx: *mut u8,
    array: u64,
    index: u32,
    value: u64,
    len: u32,
) -> u32 {
    guard(OOM as u32, || {
        // SAFETY: generated code passes a live, non-null array.
        let Some(a) = (unsafe { Array::new(array) }) else {
            return OOM as u32;
        };
        if !a.has(index, len) {
            return TrapKind::ArrayOutOfBounds as u32;
        }
        for i in index..index + len {
            // SAFETY: `value` points to one element's bytes; element `i`
            // is inside the array.
            unsafe { std::ptr::copy_nonoverlapping(value as *const u8, a.at(i), a.elem_size) };
        }
        0
    })
}

/// `array.copy`: `(vmctx, dst, dst_index, src, src_index, len) -> status`.
pub(super) unsafe extern "C" fn array_copy(
    _vmctx: *mut u8,
    dst: u64,
    dst_index: u32,
    src: u64,
    src_index: u32,
    len: u32,
) -> u32 {
    guard(OOM as u32, || {
        // SAFETY: generated code passes live, non-null arrays.
        let (Some(d), Some(s)) = (unsafe { Array::new(dst) }, unsafe { Array::new(src) }) else {
            return OOM as u32;
        };
        if !d.has(dst_index, len) || !s.has(src_index, len) {
            return TrapKind::ArrayOutOfBounds as u32;
        }
        // SAFETY: both ranges are inside their arrays (whose element types
        // match, by validation); `ptr::copy` handles overlap.
        unsafe { std::ptr::copy(s.at(src_index), d.at(dst_index), len as usize * d.elem_size) };
        0
    })
}

/// `array.init_data`: `(vmctx, array, index, data_index, offset, len) ->
/// status`.
pub(super) unsafe extern "C" fn array_init_data(
    vmctx: *mut u8,
    array: u64,
    index: u32,
    data_index: u32,
    offset: u32,
    len: u32,
) -> u32 {
    guard(OOM as u32, || {
        // SAFETY: as in `gc_new_struct`; the array is live and non-null.
        let (inst, a) = unsafe { (context(vmctx).0, Array::new(array)) };
        let (Some(a), Some(&data)) = (a, inst.datas.get(data_index as usize)) else {
            return OOM as u32;
        };
        if !a.has(index, len) {
            return TrapKind::ArrayOutOfBounds as u32;
        }
        let bytes = len as usize * a.elem_size;
        if !in_bounds(offset.into(), bytes as u64, data.len() as u64) {
            return TrapKind::MemoryOutOfBounds as u32;
        }
        // SAFETY: both ranges were checked.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr().add(offset as usize), a.at(index), bytes)
        };
        0
    })
}

/// `array.init_elem`: `(vmctx, array, index, elem_index, offset, len) ->
/// status`.
pub(super) unsafe extern "C" fn array_init_elem(
    vmctx: *mut u8,
    array: u64,
    index: u32,
    elem_index: u32,
    offset: u32,
    len: u32,
) -> u32 {
    guard(OOM as u32, || {
        // SAFETY: as in `array_init_data`.
        let (inst, a) = unsafe { (context(vmctx).0, Array::new(array)) };
        let (Some(a), Some(items)) = (a, inst.elems.get(elem_index as usize)) else {
            return OOM as u32;
        };
        if !a.has(index, len) {
            return TrapKind::ArrayOutOfBounds as u32;
        }
        if !in_bounds(offset.into(), len.into(), items.len() as u64) {
            return TrapKind::TableOutOfBounds as u32;
        }
        let src = &items[offset as usize..offset as usize + len as usize];
        // SAFETY: a reference array has 8-byte elements; both ranges were
        // checked.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), a.at(index).cast(), src.len()) };
        0
    })
}

/// `any.convert_extern`: `(vmctx, externref) -> anyref`, `u64::MAX` when out
/// of memory.
pub(super) unsafe extern "C" fn any_convert_extern(vmctx: *mut u8, e: u64) -> u64 {
    guard(u64::MAX, || {
        // SAFETY: as in `gc_new_struct`.
        let gc = unsafe { context(vmctx).1 };
        gc.any_convert_extern(e).unwrap_or(u64::MAX)
    })
}

/// `extern.convert_any`: `(vmctx, anyref) -> externref`, `u64::MAX` when out
/// of memory.
pub(super) unsafe extern "C" fn extern_convert_any(vmctx: *mut u8, a: u64) -> u64 {
    guard(u64::MAX, || {
        // SAFETY: as in `gc_new_struct`.
        let gc = unsafe { context(vmctx).1 };
        gc.extern_convert_any(a).unwrap_or(u64::MAX)
    })
}
