//! Runtime functions that generated code calls.
//!
//! Generated code finds them through the VM context: `vmctx[VMCTX_BUILTINS]`
//! points to an array of function pointers indexed by [`Builtin`]. Going
//! through a table (instead of symbols) keeps objects free of undefined
//! symbols, so the same object links into an executable, a C program, or is
//! loaded in-process by the spec harness.
//!
//! Every builtin uses the system C calling convention and takes the caller's
//! VM context first. A builtin that can trap returns a `u32` status: 0 on
//! success, non-zero when generated code must trap with [`Builtin::trap`].
//! The GC builtins (see [`Builtin::gc_traps`]) can fail in more than one
//! way: their status is 0 or the raw [`TrapKind`] code to trap with, and an
//! allocating one returns the new object's address, or a trap code (below
//! 256, never an address). Builtins never unwind.

use crate::trap::TrapKind;

/// A parameter or result type of a builtin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbiType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer (also pointers and references).
    I64,
}

use AbiType::{I32, I64};

/// The builtins, in table order. Memory and table indices are `i32`;
/// addresses, lengths and page/element counts are `i64` (wasm `i32` operands
/// are zero-extended), references are `i64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Builtin {
    /// `(vmctx, memory, delta_pages) -> old_pages or -1`
    MemoryGrow = 0,
    /// `(vmctx, memory, dst, byte, len) -> status`
    MemoryFill,
    /// `(vmctx, dst_memory, src_memory, dst, src, len) -> status`
    MemoryCopy,
    /// `(vmctx, memory, data_index, dst, src, len) -> status`
    MemoryInit,
    /// `(vmctx, data_index)`
    DataDrop,
    /// `(vmctx, table, init_ref, delta) -> old_size or -1`
    TableGrow,
    /// `(vmctx, table, dst, ref, len) -> status`
    TableFill,
    /// `(vmctx, dst_table, src_table, dst, src, len) -> status`
    TableCopy,
    /// `(vmctx, table, elem_index, dst, src, len) -> status`
    TableInit,
    /// `(vmctx, elem_index)`
    ElemDrop,
    /// `(vmctx, tag: *const VmTag, len) -> *mut VmExnHeader or null`: a new
    /// exception object with `len` payload slots (exception handling).
    ExnAlloc,
    /// `(vmctx, actual_type_id, expected_type_id) -> status`: 0 when
    /// canonical type `actual` is `expected` or declares it as a
    /// (transitive) supertype: `call_indirect` of a non-final function
    /// type, and GC casts to a non-final struct or array type.
    FuncSubtype,
    /// `(vmctx, exn: *mut VmExnHeader)`: an exception was caught without
    /// keeping a reference; frees it unless it is `exposed`.
    ExnRelease,
    /// `(vmctx, type_index) -> object or trap code`: a zeroed struct of the
    /// module's type `type_index` (`struct.new`, `struct.new_default`).
    GcNewStruct,
    /// `(vmctx, type_index, len) -> object or trap code`: a zeroed array
    /// (`array.new*`).
    GcNewArray,
    /// `(vmctx, type_index, data_index, offset, len) -> object or trap
    /// code`: `array.new_data`.
    ArrayNewData,
    /// `(vmctx, type_index, elem_index, offset, len) -> object or trap
    /// code`: `array.new_elem`.
    ArrayNewElem,
    /// `(vmctx, array, index, value_ptr, len) -> status`: `array.fill`; the
    /// element value is read from `value_ptr` (its storage size in bytes).
    /// The array is not null.
    ArrayFill,
    /// `(vmctx, dst_array, dst_index, src_array, src_index, len) -> status`:
    /// `array.copy` (overlap-safe); neither array is null.
    ArrayCopy,
    /// `(vmctx, array, index, data_index, offset, len) -> status`:
    /// `array.init_data`; the array is not null.
    ArrayInitData,
    /// `(vmctx, array, index, elem_index, offset, len) -> status`:
    /// `array.init_elem`; the array is not null.
    ArrayInitElem,
    /// `(vmctx, externref) -> anyref`, `u64::MAX` when out of memory:
    /// `any.convert_extern`.
    AnyConvertExtern,
    /// `(vmctx, anyref) -> externref`, `u64::MAX` when out of memory:
    /// `extern.convert_any`.
    ExternConvertAny,
    /// `(vmctx, addr: *const u32, expected, timeout_ns) -> 0 woken, 1 not
    /// equal, 2 timed out`: `memory.atomic.wait32` on a shared memory.
    /// Generated code has checked alignment and bounds, so `addr` is the
    /// native address of the aligned, in-bounds cell; a negative timeout
    /// waits forever.
    MemoryAtomicWait32,
    /// `(vmctx, addr: *const u64, expected, timeout_ns) -> 0, 1 or 2`:
    /// `memory.atomic.wait64`, as [`Builtin::MemoryAtomicWait32`].
    MemoryAtomicWait64,
    /// `(vmctx, addr, count) -> woken`: `memory.atomic.notify` on a shared
    /// memory; wakes up to `count` waiters on the native address `addr`
    /// (checked like a wait's) and returns how many it woke.
    MemoryAtomicNotify,
}

impl Builtin {
    /// Number of builtins (length of the table).
    pub const COUNT: usize = 26;

    /// All builtins in table order.
    pub const ALL: [Builtin; Builtin::COUNT] = [
        Builtin::MemoryGrow,
        Builtin::MemoryFill,
        Builtin::MemoryCopy,
        Builtin::MemoryInit,
        Builtin::DataDrop,
        Builtin::TableGrow,
        Builtin::TableFill,
        Builtin::TableCopy,
        Builtin::TableInit,
        Builtin::ElemDrop,
        Builtin::ExnAlloc,
        Builtin::FuncSubtype,
        Builtin::ExnRelease,
        Builtin::GcNewStruct,
        Builtin::GcNewArray,
        Builtin::ArrayNewData,
        Builtin::ArrayNewElem,
        Builtin::ArrayFill,
        Builtin::ArrayCopy,
        Builtin::ArrayInitData,
        Builtin::ArrayInitElem,
        Builtin::AnyConvertExtern,
        Builtin::ExternConvertAny,
        Builtin::MemoryAtomicWait32,
        Builtin::MemoryAtomicWait64,
        Builtin::MemoryAtomicNotify,
    ];

    /// Parameters after the leading `vmctx` pointer.
    pub const fn params(self) -> &'static [AbiType] {
        match self {
            Builtin::MemoryGrow => &[I32, I64],
            Builtin::MemoryFill => &[I32, I64, I32, I64],
            Builtin::MemoryCopy => &[I32, I32, I64, I64, I64],
            Builtin::MemoryInit => &[I32, I32, I64, I64, I64],
            Builtin::DataDrop => &[I32],
            Builtin::TableGrow => &[I32, I64, I64],
            Builtin::TableFill => &[I32, I64, I64, I64],
            Builtin::TableCopy => &[I32, I32, I64, I64, I64],
            Builtin::TableInit => &[I32, I32, I64, I64, I64],
            Builtin::ElemDrop => &[I32],
            Builtin::ExnAlloc => &[I64, I32],
            Builtin::FuncSubtype => &[I32, I32],
            Builtin::ExnRelease => &[I64],
            Builtin::GcNewStruct => &[I32],
            Builtin::GcNewArray => &[I32, I32],
            Builtin::ArrayNewData | Builtin::ArrayNewElem => &[I32, I32, I32, I32],
            Builtin::ArrayFill => &[I64, I32, I64, I32],
            Builtin::ArrayCopy => &[I64, I32, I64, I32, I32],
            Builtin::ArrayInitData | Builtin::ArrayInitElem => &[I64, I32, I32, I32, I32],
            Builtin::AnyConvertExtern | Builtin::ExternConvertAny => &[I64],
            Builtin::MemoryAtomicWait32 => &[I64, I32, I64],
            Builtin::MemoryAtomicWait64 => &[I64, I64, I64],
            Builtin::MemoryAtomicNotify => &[I64, I32],
        }
    }

    /// Results (at most one).
    pub const fn results(self) -> &'static [AbiType] {
        match self {
            Builtin::MemoryGrow
            | Builtin::TableGrow
            | Builtin::ExnAlloc
            | Builtin::GcNewStruct
            | Builtin::GcNewArray
            | Builtin::ArrayNewData
            | Builtin::ArrayNewElem
            | Builtin::AnyConvertExtern
            | Builtin::ExternConvertAny => &[I64],
            Builtin::DataDrop | Builtin::ElemDrop | Builtin::ExnRelease => &[],
            _ => &[I32],
        }
    }

    /// The trap generated code raises when this builtin returns a non-zero
    /// status, or `None` when its result is a value, not a status.
    pub const fn trap(self) -> Option<TrapKind> {
        match self {
            Builtin::MemoryFill | Builtin::MemoryCopy | Builtin::MemoryInit => {
                Some(TrapKind::MemoryOutOfBounds)
            }
            Builtin::TableFill | Builtin::TableCopy | Builtin::TableInit => {
                Some(TrapKind::TableOutOfBounds)
            }
            Builtin::FuncSubtype => Some(TrapKind::IndirectCallTypeMismatch),
            _ => None,
        }
    }

    /// The trap kinds a GC builtin's status (or, for an allocating one, its
    /// result below 256) can name; empty for the other builtins.
    pub const fn gc_traps(self) -> &'static [TrapKind] {
        use TrapKind as T;
        match self {
            Builtin::GcNewStruct | Builtin::GcNewArray => &[T::OutOfMemory],
            Builtin::ArrayNewData => &[T::MemoryOutOfBounds, T::OutOfMemory],
            Builtin::ArrayNewElem => &[T::TableOutOfBounds, T::OutOfMemory],
            Builtin::ArrayFill | Builtin::ArrayCopy => &[T::ArrayOutOfBounds],
            Builtin::ArrayInitData => &[T::ArrayOutOfBounds, T::MemoryOutOfBounds],
            Builtin::ArrayInitElem => &[T::ArrayOutOfBounds, T::TableOutOfBounds],
            _ => &[],
        }
    }

    /// Byte offset of this builtin's pointer in the builtin table.
    pub const fn table_offset(self) -> u32 {
        self as u32 * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_discriminants() {
        for (i, b) in Builtin::ALL.iter().enumerate() {
            assert_eq!(*b as usize, i);
            assert!(b.results().len() <= 1);
        }
    }
}
