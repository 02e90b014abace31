//! The layout of GC references and heap objects (WebAssembly 3.0 GC), shared
//! by the compiler (which reads and writes fields inline) and the runtime
//! (which allocates, converts and traces objects).
//!
//! A reference of the `any` hierarchy is one 64-bit word:
//!
//! | bits                     | meaning                                        |
//! |--------------------------|------------------------------------------------|
//! | `0`                      | null                                           |
//! | low bit 1                | an `i31`: `(value << 1) \| 1` (value's low 31 bits, zero-extended) |
//! | anything else            | the address of a heap object (8-byte aligned)  |
//!
//! Every heap object starts with an 8-byte header: the object's canonical
//! type id (`u32` at [`HEADER_TYPE_ID`]) and a flags word ([`HEADER_FLAGS`])
//! whose low bits are its [`ObjectKind`] (the rest belong to the collector).
//! A struct's fields follow the header at the offsets [`struct_layout`]
//! gives; an array has its `u32` length at [`ARRAY_LENGTH`] and its
//! elements from [`ARRAY_DATA`], each [`storage_size`] bytes.
//!
//! Host references live in the `extern` hierarchy as the host's raw bits.
//! `any.convert_extern` of a host reference boxes it in an
//! [`ObjectKind::ExternBox`]; `extern.convert_any` of an `i31` boxes that in
//! an [`ObjectKind::AnyBox`] (a host value could have any bit pattern, so an
//! unboxed `i31` would be ambiguous in `extern`). Struct and array pointers
//! are the same word in both hierarchies: the runtime tells them from host
//! values by whether the address is inside its GC heap.

use alloc::vec::Vec;

use crate::meta::{FieldType, StorageType};

/// Offset of the `u32` canonical type id in every object.
pub const HEADER_TYPE_ID: u32 = 0;
/// Offset of the `u32` flags word; bits covered by [`KIND_MASK`] are the
/// [`ObjectKind`].
pub const HEADER_FLAGS: u32 = 4;
/// Size of the header.
pub const HEADER_SIZE: u32 = 8;
/// Mask of the kind bits in the flags word.
pub const KIND_MASK: u32 = 0x3;
/// Offset of an array's `u32` element count.
pub const ARRAY_LENGTH: u32 = 8;
/// Offset of an array's first element (16-byte aligned for `v128`).
pub const ARRAY_DATA: u32 = 16;
/// Alignment of every object.
pub const OBJECT_ALIGN: u32 = 16;
/// The low bit that marks an `i31` reference.
pub const I31_TAG: u64 = 1;

/// What a heap object is (the low bits of its flags word).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ObjectKind {
    /// A struct; fields follow the header.
    Struct = 0,
    /// An array; length at [`ARRAY_LENGTH`], elements at [`ARRAY_DATA`].
    Array = 1,
    /// A host reference inside the `any` hierarchy; the host's raw bits are
    /// the `u64` at offset 8. Type id 0.
    ExternBox = 2,
    /// An `i31` inside the `extern` hierarchy; its `any` reference is the
    /// `u64` at offset 8. Type id 0.
    AnyBox = 3,
}

/// Flags bit: the object's words may hold references, so the collector
/// traces them.
pub const SCAN_BIT: u32 = 1 << 3;
/// The flags word holds the object's size in 16-byte granules from this
/// bit up (bit 2, between the kind and [`SCAN_BIT`], is the collector's
/// mark bit).
pub const SIZE_SHIFT: u32 = 4;

/// The flags word of a new object of `kind` taking `bytes` (a multiple of
/// [`OBJECT_ALIGN`]).
pub const fn header_flags(kind: ObjectKind, may_hold_refs: bool, bytes: u32) -> u32 {
    let scan = if may_hold_refs { SCAN_BIT } else { 0 };
    kind as u32 | scan | (bytes / OBJECT_ALIGN) << SIZE_SHIFT
}

/// The bytes an object of `size` bytes occupies in the heap: at least one
/// granule, rounded up to whole granules.
pub const fn allocation_size(size: u32) -> u32 {
    let size = if size < OBJECT_ALIGN {
        OBJECT_ALIGN
    } else {
        size
    };
    size.next_multiple_of(OBJECT_ALIGN)
}

/// Whether objects with these fields may hold references (and must be
/// traced).
pub fn fields_hold_refs(fields: &[FieldType]) -> bool {
    fields
        .iter()
        .any(|f| matches!(f.storage, StorageType::Val(v) if v.is_ref()))
}

/// The region of free, zeroed heap memory that small objects are cut from by
/// bumping `cursor` (the runtime's `GcHeap` owns it; generated code reaches
/// it through `StoreContext::gc_bump`). An object at `a` must also get its
/// start bit: bit `g % 64` of `starts[g / 64]`, where `g = (a - base) / 16`.
#[repr(C)]
#[derive(Debug)]
pub struct VmGcBump {
    /// Next free byte.
    pub cursor: usize,
    /// End of the region (`cursor == end`: empty; allocate through the
    /// builtin, which refills it).
    pub end: usize,
    /// Object-start bitmap of the chunk holding the region.
    pub starts: *mut u64,
    /// Start address of that chunk (granule 0 of `starts`).
    pub base: usize,
}

/// Offset of [`VmGcBump::cursor`].
pub const BUMP_CURSOR: u32 = 0;
/// Offset of [`VmGcBump::end`].
pub const BUMP_END: u32 = 8;
/// Offset of [`VmGcBump::starts`].
pub const BUMP_STARTS: u32 = 16;
/// Offset of [`VmGcBump::base`].
pub const BUMP_BASE: u32 = 24;

/// Offset of the boxed word of an [`ObjectKind::ExternBox`] or
/// [`ObjectKind::AnyBox`].
pub const BOX_PAYLOAD: u32 = 8;
/// Size of a box object.
pub const BOX_SIZE: u32 = 16;

/// Bytes one field or element of `storage` takes.
pub const fn storage_size(storage: StorageType) -> u32 {
    use crate::meta::ValType as V;
    match storage {
        StorageType::I8 => 1,
        StorageType::I16 => 2,
        StorageType::Val(V::I32 | V::F32) => 4,
        StorageType::Val(V::V128) => 16,
        // i64, f64 and every reference.
        StorageType::Val(_) => 8,
    }
}

/// Where a struct's fields live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructLayout {
    /// Byte offset of each field from the object's start.
    pub offsets: Vec<u32>,
    /// Object size in bytes, header included (a multiple of 8).
    pub size: u32,
}

/// The layout of a struct with `fields`: declaration order after the
/// header, each field aligned to its size (at most 16).
pub fn struct_layout(fields: &[FieldType]) -> StructLayout {
    let mut offset = HEADER_SIZE;
    let mut offsets = Vec::with_capacity(fields.len());
    for f in fields {
        let size = storage_size(f.storage);
        offset = offset.next_multiple_of(size);
        offsets.push(offset);
        offset += size;
    }
    StructLayout {
        offsets,
        size: offset.next_multiple_of(8),
    }
}

/// Size in bytes of an array of `len` elements of `storage`, or `None` when
/// it would not fit in a `u32` (the allocation must then fail).
pub fn array_size(storage: StorageType, len: u32) -> Option<u32> {
    let data = (len as u64) * storage_size(storage) as u64;
    u32::try_from(ARRAY_DATA as u64 + data).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::ValType;

    fn field(storage: StorageType) -> FieldType {
        FieldType {
            storage,
            mutable: true,
        }
    }

    #[test]
    fn fields_are_naturally_aligned() {
        let l = struct_layout(&[
            field(StorageType::I8),
            field(StorageType::Val(ValType::I64)),
            field(StorageType::I16),
            field(StorageType::Val(ValType::V128)),
        ]);
        assert_eq!(l.offsets, [8, 16, 24, 32]);
        assert_eq!(l.size, 48);
        assert_eq!(struct_layout(&[]).size, HEADER_SIZE);
    }

    #[test]
    fn bump_region_offsets() {
        use core::mem::offset_of;
        assert_eq!(offset_of!(VmGcBump, cursor) as u32, BUMP_CURSOR);
        assert_eq!(offset_of!(VmGcBump, end) as u32, BUMP_END);
        assert_eq!(offset_of!(VmGcBump, starts) as u32, BUMP_STARTS);
        assert_eq!(offset_of!(VmGcBump, base) as u32, BUMP_BASE);
        assert_eq!(allocation_size(8), 16);
        assert_eq!(allocation_size(24), 32);
        assert_eq!(
            header_flags(ObjectKind::Array, true, 48),
            1 | SCAN_BIT | 3 << SIZE_SHIFT
        );
    }

    #[test]
    fn array_sizes_overflow_to_none() {
        assert_eq!(array_size(StorageType::I8, 3), Some(19));
        assert_eq!(array_size(StorageType::Val(ValType::V128), u32::MAX), None);
    }
}
