//! Wide-arithmetic instructions (the `wide-arithmetic` proposal): 128-bit
//! addition and subtraction of `(low, high)` `i64` pairs, and the full
//! 128-bit product of two `i64`s, each as two `i64` results, low first.
//!
//! Addition and subtraction join each pair into a Cranelift `i128`
//! (`iconcat`), which both x86_64 and aarch64 lower to an add/sub with carry,
//! and split the result again (`isplit`). The wide multiplies are an `imul`
//! for the low half and `umulhi`/`smulhi` for the high half, which the
//! backends lower to one widening multiply (x86 `mul`/`imul`, aarch64
//! `mul` + `umulh`/`smulh`) instead of a general 128 x 128-bit product.

use cranelift_codegen::ir::InstBuilder;
use wasmparser::Operator as Op;

use crate::translate::FuncCx;

/// Translates `op` if it is a wide-arithmetic operator; returns whether it
/// was.
pub(crate) fn translate(cx: &mut FuncCx<'_, '_>, op: &Op<'_>) -> bool {
    match op {
        Op::I64Add128 => add_sub128(cx, false),
        Op::I64Sub128 => add_sub128(cx, true),
        Op::I64MulWideS => mul_wide(cx, true),
        Op::I64MulWideU => mul_wide(cx, false),
        _ => return false,
    }
    true
}

/// `i64.add128` / `i64.sub128`: `[lhs_lo lhs_hi rhs_lo rhs_hi] -> [lo hi]`.
fn add_sub128(cx: &mut FuncCx<'_, '_>, subtract: bool) {
    let (rhs_lo, rhs_hi) = cx.pop2();
    let (lhs_lo, lhs_hi) = cx.pop2();
    let lhs = cx.b.ins().iconcat(lhs_lo, lhs_hi);
    let rhs = cx.b.ins().iconcat(rhs_lo, rhs_hi);
    let wide = if subtract {
        cx.b.ins().isub(lhs, rhs)
    } else {
        cx.b.ins().iadd(lhs, rhs)
    };
    let (lo, hi) = cx.b.ins().isplit(wide);
    cx.push(lo);
    cx.push(hi);
}

/// `i64.mul_wide_s` / `i64.mul_wide_u`: `[lhs rhs] -> [lo hi]`, the 128-bit
/// product.
fn mul_wide(cx: &mut FuncCx<'_, '_>, signed: bool) {
    let (lhs, rhs) = cx.pop2();
    // The low 64 bits of the product are the same signed or unsigned.
    let lo = cx.b.ins().imul(lhs, rhs);
    let hi = if signed {
        cx.b.ins().smulhi(lhs, rhs)
    } else {
        cx.b.ins().umulhi(lhs, rhs)
    };
    cx.push(lo);
    cx.push(hi);
}
