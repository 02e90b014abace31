//! Converting script values to runtime values and matching results.

use waot_runtime::{Store, Val};
use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};

/// A script argument as a runtime value.
pub fn arg_to_val(arg: &WastArgCore<'_>) -> Result<Val, String> {
    Ok(match arg {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(HeapType::Abstract {
            ty: AbstractHeapType::Func,
            ..
        }) => Val::FuncRef(None),
        WastArgCore::RefNull(HeapType::Abstract {
            ty: AbstractHeapType::Extern,
            ..
        }) => Val::ExternRef(None),
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(*n as u64)),
        other => return Err(format!("unsupported argument {other:?}")),
    })
}

/// Whether `got` matches the expected result `want`.
pub fn match_result(_store: &Store, got: &Val, want: &WastRetCore<'_>) -> bool {
    match (got, want) {
        (Val::I32(g), WastRetCore::I32(w)) => g == w,
        (Val::I64(g), WastRetCore::I64(w)) => g == w,
        (Val::F32(g), WastRetCore::F32(w)) => match w {
            NanPattern::CanonicalNan => g & 0x7fff_ffff == 0x7fc0_0000,
            NanPattern::ArithmeticNan => g & 0x7fc0_0000 == 0x7fc0_0000,
            NanPattern::Value(v) => *g == v.bits,
        },
        (Val::F64(g), WastRetCore::F64(w)) => match w {
            NanPattern::CanonicalNan => g & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
            NanPattern::ArithmeticNan => g & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
            NanPattern::Value(v) => *g == v.bits,
        },
        (Val::FuncRef(r), WastRetCore::RefNull(_)) => r.is_none(),
        (Val::ExternRef(r), WastRetCore::RefNull(_)) => r.is_none(),
        (Val::FuncRef(r), WastRetCore::RefFunc(_)) => r.is_some(),
        (Val::ExternRef(r), WastRetCore::RefExtern(w)) => match (r, w) {
            (Some(_), None) => true,
            (Some(g), Some(w)) => *g == *w as u64,
            (None, _) => false,
        },
        (_, WastRetCore::Either(options)) => options.iter().any(|w| match_result(_store, got, w)),
        _ => false,
    }
}
