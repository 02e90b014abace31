//! Wasm values as the host sees them, and their raw encodings.
//!
//! Raw forms: a [`ValRaw`] slot holds a value's little-endian bytes (array
//! calls, host calls, globals). References are 8 bytes: a funcref is its
//! `*const VmFuncRef` (null is 0); an externref `Some(v)` is stored as
//! `v + 1` so that `Some(0)` is not null (`Some(u64::MAX)` is not
//! representable and becomes null).

use std::ptr::NonNull;

use waot_abi::meta::{HeapType, ValType};
use waot_abi::vmctx::{ValRaw, VmFuncRef};

use crate::signatures::is_subtype;
use crate::store::Func;

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
        }
    }

    /// Whether the value has the representation of type `ty`: the same
    /// number type, or a function (host) reference for a function (extern)
    /// reference type. Typed checks are `Store::val_matches`.
    pub fn has_repr_of(&self, ty: ValType) -> bool {
        match self {
            Val::FuncRef(_) => ty.is_ref() && !ty.is_extern_ref(),
            Val::ExternRef(_) => ty.is_extern_ref(),
            v => v.ty() == ty,
        }
    }

    /// Whether the value is a value of `ty` (whose concrete references are
    /// canonical type ids): a function reference must have a matching type,
    /// null needs a nullable type.
    pub fn matches(&self, ty: ValType) -> bool {
        let Some(r) = ty.as_ref_type() else {
            return self.ty() == ty;
        };
        match *self {
            Val::FuncRef(None) | Val::ExternRef(None) => r.nullable && self.has_repr_of(ty),
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

    /// The zero (or null) value of `ty`.
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
            ValType::Ref(_) => Val::FuncRef(None),
        }
    }

    /// The 8-byte raw form of a reference (table element); 0 for non-references.
    pub fn to_ref_bits(&self) -> u64 {
        match *self {
            Val::FuncRef(f) => f.map_or(0, |f| f.as_ptr() as u64),
            Val::ExternRef(e) => e.map_or(0, |v| v.wrapping_add(1)),
            _ => 0,
        }
    }

    /// The reference of type `ty` whose raw form is `bits`.
    pub fn from_ref_bits(ty: ValType, bits: u64) -> Val {
        if ty.is_extern_ref() {
            Val::ExternRef(bits.checked_sub(1))
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
            Val::FuncRef(_) | Val::ExternRef(_) => {
                raw[..8].copy_from_slice(&self.to_ref_bits().to_le_bytes())
            }
        }
        ValRaw(raw)
    }

    /// Reads a value of type `ty` from a raw slot.
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
        ];
        for v in vals {
            assert_eq!(Val::from_raw(v.ty(), &v.to_raw()), v);
        }
        assert_eq!(Val::ExternRef(None).to_ref_bits(), 0);
        assert_ne!(Val::ExternRef(Some(0)).to_ref_bits(), 0);
    }
}
