//! Wasm values as the host sees them, and their raw encodings.
//!
//! Raw forms: a [`ValRaw`] slot holds a value's little-endian bytes (array
//! calls, host calls, globals). References are 8 bytes: a funcref is its
//! `*const VmFuncRef` (null is 0); an externref `Some(v)` is stored as
//! `v + 1` so that `Some(0)` is not null (`Some(u64::MAX)` is not
//! representable and becomes null). An `any`-hierarchy reference is its
//! word as `waot_abi::gc` describes it (0 is null); so is an externref that
//! wasm made with `extern.convert_any` (the host sees the word minus one).

use std::num::NonZeroU64;
use std::ptr::NonNull;

use waot_abi::gc::{self, ObjectKind};
use waot_abi::meta::{HeapType, RefType, ValType};
use waot_abi::vmctx::{ValRaw, VmFuncRef};

use crate::objects::{box_payload, object_kind};
use crate::signatures::{is_any_heap, is_subtype};
use crate::store::Func;

/// A non-null reference of the `any` hierarchy (`anyref`, `eqref`,
/// `i31ref`, structs, arrays): an `i31` or the address of a GC object.
///
/// Objects a store hands to the host stay alive until the store is dropped,
/// so an `AnyRef` obtained from a store may be inspected (and passed back
/// to that store) for as long as the store lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AnyRef(NonZeroU64);

/// What an [`AnyRef`] refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyKind {
    /// An `i31` with this value (low 31 bits).
    I31(u32),
    /// A struct of canonical type `type_id`.
    Struct {
        /// Canonical type id.
        type_id: u32,
    },
    /// An array of canonical type `type_id` with `len` elements.
    Array {
        /// Canonical type id.
        type_id: u32,
        /// Number of elements.
        len: u32,
    },
    /// A host value converted with `any.convert_extern`: the externref
    /// `Val::ExternRef(Some(value))`.
    Host(u64),
}

impl AnyRef {
    /// The `i31` reference of `value`'s low 31 bits.
    pub fn i31(value: u32) -> AnyRef {
        let word = (u64::from(value & 0x7fff_ffff) << 1) | gc::I31_TAG;
        AnyRef(NonZeroU64::new(word).expect("the tag bit is set"))
    }

    /// The reference whose raw word is `bits`; `None` for null.
    ///
    /// # Safety
    ///
    /// `bits` must be 0, an `i31` word or a live object of the store it is
    /// used with (e.g. a word wasm or the store produced).
    pub unsafe fn from_bits(bits: u64) -> Option<AnyRef> {
        NonZeroU64::new(bits).map(AnyRef)
    }

    /// The raw word (what wasm code and tables hold).
    pub fn bits(self) -> u64 {
        self.0.get()
    }

    /// What the reference is; for an object, read from its header.
    pub fn kind(self) -> AnyKind {
        let word = self.bits();
        if word & gc::I31_TAG != 0 {
            return AnyKind::I31((word >> 1) as u32);
        }
        let p = word as *const u8;
        // SAFETY: a non-i31 `AnyRef` is a live object (see `from_bits`):
        // its header, and for arrays and boxes the word after it.
        unsafe {
            let type_id = p.add(gc::HEADER_TYPE_ID as usize).cast::<u32>().read();
            match object_kind(word) {
                ObjectKind::Struct => AnyKind::Struct { type_id },
                ObjectKind::Array => AnyKind::Array {
                    type_id,
                    len: p.add(gc::ARRAY_LENGTH as usize).cast::<u32>().read(),
                },
                ObjectKind::ExternBox | ObjectKind::AnyBox => {
                    AnyKind::Host(box_payload(word).wrapping_sub(1))
                }
            }
        }
    }

    /// Whether the reference is a value of heap type `heap` (canonical
    /// ids); `false` outside the `any` hierarchy.
    fn is_of(self, heap: HeapType) -> bool {
        match (self.kind(), heap) {
            (_, HeapType::Any) => true,
            (AnyKind::Host(_), _) => false,
            (_, HeapType::Eq) => true,
            (AnyKind::I31(_), h) => h == HeapType::I31,
            (AnyKind::Struct { .. }, HeapType::Struct) => true,
            (AnyKind::Array { .. }, HeapType::Array) => true,
            (
                AnyKind::Struct { type_id } | AnyKind::Array { type_id, .. },
                HeapType::Concrete(id),
            ) => is_subtype(type_id, id),
            _ => false,
        }
    }
}

/// A WebAssembly value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val {
    /// `i32`
    I32(i32),
    /// `i64`
    I64(i64),
    /// `f32`, as its bits (NaN payloads are preserved).
    F32(u32),
    /// `f64`, as its bits.
    F64(u64),
    /// `v128`
    V128(u128),
    /// `funcref` (`None` is `ref.null func`).
    FuncRef(Option<Func>),
    /// `externref` (`None` is `ref.null extern`).
    ExternRef(Option<u64>),
    /// A reference of the `any` hierarchy (`None` is null).
    AnyRef(Option<AnyRef>),
}

/// `(ref null any)`.
const ANYREF: ValType = ValType::Ref(RefType {
    nullable: true,
    heap: HeapType::Any,
});

/// Whether references of type `ty` (canonical ids) are [`Val::AnyRef`]s.
fn is_any_ref(ty: ValType) -> bool {
    ty.as_ref_type().is_some_and(|r| is_any_heap(r.heap))
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
            Val::AnyRef(_) => ANYREF,
        }
    }

    /// Whether the value has the representation of type `ty` (canonical
    /// ids): the same number type, or a function (host, `any`) reference
    /// for a function (extern, `any`) reference type. Typed checks are
    /// [`Val::matches`].
    pub fn has_repr_of(&self, ty: ValType) -> bool {
        match self {
            Val::FuncRef(_) => ty.is_ref() && !ty.is_extern_ref() && !is_any_ref(ty),
            Val::ExternRef(_) => ty.is_extern_ref(),
            Val::AnyRef(_) => is_any_ref(ty),
            v => v.ty() == ty,
        }
    }

    /// Whether the value is a value of `ty` (whose concrete references are
    /// canonical type ids): a function reference must have a matching type,
    /// a GC object a matching type id, null needs a nullable type.
    pub fn matches(&self, ty: ValType) -> bool {
        let Some(r) = ty.as_ref_type() else {
            return self.ty() == ty;
        };
        match *self {
            Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) => {
                r.nullable && self.has_repr_of(ty)
            }
            Val::AnyRef(Some(a)) => a.is_of(r.heap),
            Val::ExternRef(Some(_)) => r.heap == HeapType::Extern,
            Val::FuncRef(Some(f)) => match r.heap {
                HeapType::Func => true,
                // SAFETY: a `Func` points to a live `VmFuncRef`.
                HeapType::Concrete(id) => is_subtype(unsafe { (*f.as_ptr()).type_id }, id),
                _ => false,
            },
            _ => false,
        }
    }

    /// The zero (or null) value of `ty` (canonical ids).
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
            // Only nullable types have a default; null is also the
            // representation a non-null slot starts from.
            ValType::Ref(r) if r.heap.is_extern() => Val::ExternRef(None),
            t if is_any_ref(t) => Val::AnyRef(None),
            ValType::Ref(_) => Val::FuncRef(None),
        }
    }

    /// The 8-byte raw form of a reference (table element); 0 for non-references.
    pub fn to_ref_bits(&self) -> u64 {
        match *self {
            Val::FuncRef(f) => f.map_or(0, |f| f.as_ptr() as u64),
            Val::ExternRef(e) => e.map_or(0, |v| v.wrapping_add(1)),
            Val::AnyRef(a) => a.map_or(0, AnyRef::bits),
            _ => 0,
        }
    }

    /// The reference of type `ty` (canonical ids) whose raw form is `bits`.
    /// For a GC reference type, `bits` must be a word wasm or the store
    /// produced ([`AnyRef::kind`] reads the object it points to).
    pub fn from_ref_bits(ty: ValType, bits: u64) -> Val {
        if ty.is_extern_ref() {
            Val::ExternRef(bits.checked_sub(1))
        } else if is_any_ref(ty) {
            // SAFETY: the caller passes a word wasm or the store produced
            // (documented above).
            Val::AnyRef(unsafe { AnyRef::from_bits(bits) })
        } else {
            Val::FuncRef(NonNull::new(bits as *mut VmFuncRef).map(Func::from_non_null))
        }
    }

    /// Writes the value into a raw slot.
    pub fn to_raw(&self) -> ValRaw {
        let mut raw = [0u8; 16];
        match *self {
            Val::I32(v) => raw[..4].copy_from_slice(&v.to_le_bytes()),
            Val::I64(v) => raw[..8].copy_from_slice(&v.to_le_bytes()),
            Val::F32(v) => raw[..4].copy_from_slice(&v.to_le_bytes()),
            Val::F64(v) => raw[..8].copy_from_slice(&v.to_le_bytes()),
            Val::V128(v) => raw.copy_from_slice(&v.to_le_bytes()),
            Val::FuncRef(_) | Val::ExternRef(_) | Val::AnyRef(_) => {
                raw[..8].copy_from_slice(&self.to_ref_bits().to_le_bytes())
            }
        }
        ValRaw(raw)
    }

    /// Reads a value of type `ty` from a raw slot (a GC reference as for
    /// [`Val::from_ref_bits`]).
    pub fn from_raw(ty: ValType, raw: &ValRaw) -> Val {
        let b = &raw.0;
        let u32_ = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let mut b8 = [0u8; 8];
        b8.copy_from_slice(&b[..8]);
        let u64_ = u64::from_le_bytes(b8);
        match ty {
            ValType::I32 => Val::I32(u32_ as i32),
            ValType::I64 => Val::I64(u64_ as i64),
            ValType::F32 => Val::F32(u32_),
            ValType::F64 => Val::F64(u64_),
            ValType::V128 => Val::V128(u128::from_le_bytes(*b)),
            ValType::FuncRef | ValType::ExternRef | ValType::Ref(_) => Val::from_ref_bits(ty, u64_),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_round_trip() {
        let vals = [
            Val::I32(-5),
            Val::I64(i64::MIN),
            Val::F32(0x7fc0_0001),
            Val::F64(0xfff8_0000_0000_0001),
            Val::V128(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10),
            Val::ExternRef(Some(0)),
            Val::ExternRef(None),
            Val::FuncRef(None),
            Val::AnyRef(Some(AnyRef::i31(0x7fff_ffff))),
            Val::AnyRef(None),
        ];
        for v in vals {
            assert_eq!(Val::from_raw(v.ty(), &v.to_raw()), v);
        }
        assert_eq!(Val::ExternRef(None).to_ref_bits(), 0);
        assert_ne!(Val::ExternRef(Some(0)).to_ref_bits(), 0);
    }

    #[test]
    fn i31_references() {
        let r = AnyRef::i31(u32::MAX);
        assert_eq!(r.kind(), AnyKind::I31(0x7fff_ffff));
        assert_eq!(AnyRef::i31(5).bits(), 11);
        let heap = |heap, nullable| ValType::Ref(RefType { nullable, heap });
        let v = Val::AnyRef(Some(r));
        for h in [HeapType::Any, HeapType::Eq, HeapType::I31] {
            assert!(v.matches(heap(h, false)), "{h:?}");
        }
        for h in [
            HeapType::Struct,
            HeapType::Array,
            HeapType::None,
            HeapType::Func,
        ] {
            assert!(!v.matches(heap(h, true)), "{h:?}");
        }
        assert!(Val::AnyRef(None).matches(heap(HeapType::None, true)));
        assert!(!Val::AnyRef(None).matches(heap(HeapType::Eq, false)));
        assert!(!Val::FuncRef(None).matches(heap(HeapType::Any, true)));
        assert_eq!(
            Val::default_for(heap(HeapType::Eq, true)),
            Val::AnyRef(None)
        );
    }
}
