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
    fn array_sizes_overflow_to_none() {
        assert_eq!(array_size(StorageType::I8, 3), Some(19));
        assert_eq!(array_size(StorageType::Val(ValType::V128), u32::MAX), None);
    }
}
