//! Globals (spec §4.2.9 "global instances").
//!
//! A global's value lives in a 16-byte slot in the raw [`ValRaw`] format:
//! inline in the VM context for globals a module defines, in a boxed slot
//! for globals the host creates. Imports point at the exporter's slot, so
//! every instance sees every `global.set`.

use waot_abi::meta::GlobalType;
use waot_abi::vmctx::ValRaw;

use crate::Val;

/// Reads the value of type `ty` stored at `slot`.
///
/// # Safety
///
/// `slot` must point to a live, 16-byte-aligned global slot.
pub unsafe fn read(slot: *const ValRaw, ty: GlobalType) -> Val {
    // SAFETY: guaranteed by the caller.
    Val::from_raw(ty.ty, unsafe { &*slot })
}

/// Writes `val` to `slot`.
///
/// # Safety
///
/// `slot` must point to a live, 16-byte-aligned global slot.
pub unsafe fn write(slot: *mut ValRaw, val: Val) {
    // SAFETY: guaranteed by the caller.
    unsafe { slot.write(val.to_raw()) }
}

/// Import matching for globals (spec §4.5.2): same mutability; a mutable
/// global's type must be equal, an immutable one's may be a subtype (types
/// with canonical concrete references).
pub fn matches(provided: GlobalType, required: GlobalType) -> bool {
    provided.mutable == required.mutable
        && if provided.mutable {
            provided.ty == required.ty
        } else {
            crate::signatures::val_type_matches(provided.ty, required.ty)
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use waot_abi::meta::ValType;

    #[test]
    fn slot_round_trip() {
        let ty = GlobalType {
            ty: ValType::I64,
            mutable: true,
        };
        let mut slot = ValRaw::default();
        // SAFETY: `slot` is a valid, aligned slot.
        unsafe {
            write(&mut slot, Val::I64(-2));
            assert_eq!(read(&slot, ty), Val::I64(-2));
        }
        assert!(!matches(
            ty,
            GlobalType {
                ty: ValType::I64,
                mutable: false
            }
        ));
    }
}
