//! Converting script values to runtime values and matching results.

use waot_runtime::{AnyKind, Store, Val, ValType};
use wast::core::{NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::token::{F32, F64};

/// A script argument as a runtime value for a parameter of type `ty`
/// (which gives `ref.null` its hierarchy). `ref.host N` is the host value
/// `N` converted to `anyref` in `store`.
pub fn arg_to_val(store: &mut Store, arg: &WastArgCore<'_>, ty: ValType) -> Result<Val, String> {
    Ok(match arg {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(_) if ty.is_ref() => Val::default_for(ty),
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(u64::from(*n))),
        WastArgCore::RefHost(n) => Val::AnyRef(
            store
                .extern_to_any(Some(u64::from(*n)))
                .map_err(|t| format!("ref.host: {t}"))?,
        ),
        other => return Err(format!("unsupported argument {other:?}")),
    })
}

/// Whether `got` matches the expected result `want`.
pub fn match_result(got: &Val, want: &WastRetCore<'_>) -> bool {
    let any = match got {
        Val::AnyRef(Some(a)) => Some(a.kind()),
        _ => None,
    };
    match (got, want) {
        (Val::I32(g), WastRetCore::I32(w)) => g == w,
        (Val::I64(g), WastRetCore::I64(w)) => g == w,
        (Val::F32(g), WastRetCore::F32(w)) => match_f32(*g, w),
        (Val::F64(g), WastRetCore::F64(w)) => match_f64(*g, w),
        (Val::V128(g), WastRetCore::V128(w)) => match_v128(*g, w),
        (Val::FuncRef(r), WastRetCore::RefNull(_)) => r.is_none(),
        (Val::ExternRef(r), WastRetCore::RefNull(_)) => r.is_none(),
        (Val::AnyRef(r), WastRetCore::RefNull(_)) => r.is_none(),
        (Val::FuncRef(r), WastRetCore::RefFunc(_)) => r.is_some(),
        (Val::AnyRef(r), WastRetCore::RefAny) => r.is_some(),
        (_, WastRetCore::RefEq) => matches!(
            any,
            Some(AnyKind::I31(_) | AnyKind::Struct { .. } | AnyKind::Array { .. })
        ),
        (_, WastRetCore::RefI31) => matches!(any, Some(AnyKind::I31(_))),
        (_, WastRetCore::RefStruct) => matches!(any, Some(AnyKind::Struct { .. })),
        (_, WastRetCore::RefArray) => matches!(any, Some(AnyKind::Array { .. })),
        (_, WastRetCore::RefHost(n)) => any == Some(AnyKind::Host(u64::from(*n))),
        (Val::ExternRef(r), WastRetCore::RefExtern(w)) => match (r, w) {
            (Some(_), None) => true,
            (Some(g), Some(w)) => *g == u64::from(*w),
            (None, _) => false,
        },
        (_, WastRetCore::Either(options)) => options.iter().any(|w| match_result(got, w)),
        _ => false,
    }
}

fn match_f32(got: u32, want: &NanPattern<F32>) -> bool {
    match want {
        NanPattern::CanonicalNan => got & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => got & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => got == v.bits,
    }
}

fn match_f64(got: u64, want: &NanPattern<F64>) -> bool {
    match want {
        NanPattern::CanonicalNan => got & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => got & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => got == v.bits,
    }
}

/// Lane-wise comparison; float lanes may carry NaN patterns.
fn match_v128(got: u128, want: &V128Pattern) -> bool {
    let bytes = got.to_le_bytes();
    let lane = |i: usize, n: usize| {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&bytes[i * n..i * n + n]);
        u64::from_le_bytes(b)
    };
    match want {
        V128Pattern::I8x16(w) => (0..16).all(|i| lane(i, 1) as u8 == w[i] as u8),
        V128Pattern::I16x8(w) => (0..8).all(|i| lane(i, 2) as u16 == w[i] as u16),
        V128Pattern::I32x4(w) => (0..4).all(|i| lane(i, 4) as u32 == w[i] as u32),
        V128Pattern::I64x2(w) => (0..2).all(|i| lane(i, 8) == w[i] as u64),
        V128Pattern::F32x4(w) => (0..4).all(|i| match_f32(lane(i, 4) as u32, &w[i])),
        V128Pattern::F64x2(w) => (0..2).all(|i| match_f64(lane(i, 8), &w[i])),
    }
}
