//! Numeric instructions (spec section 4.4.1) other than conversions:
//! constants, unary and binary arithmetic, tests and comparisons.
//!
//! Cranelift's instructions already have wasm semantics where it matters:
//! shift and rotate amounts are taken modulo the bit width; `sdiv` traps
//! with `INTEGER_DIVISION_BY_ZERO` / `INTEGER_OVERFLOW` (MIN / -1), `udiv`,
//! `urem` and `srem` trap on zero and `srem` gives 0 for MIN % -1;
//! `fmin`/`fmax` propagate NaN and order -0 < +0; `nearest` rounds ties to
//! even. Comparisons produce an `i8` 0/1 that is zero-extended to `i32`.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{self, types, InstBuilder};
use cranelift_frontend::FunctionBuilder;
use wasmparser::Operator as Op;

use crate::translate::FuncCx;

type Builder<'b, 'f> = &'b mut FunctionBuilder<'f>;

/// Applies a unary operator to the top operand.
fn unary(cx: &mut FuncCx<'_, '_>, f: impl FnOnce(Builder<'_, '_>, ir::Value) -> ir::Value) {
    let x = cx.pop();
    let v = f(&mut cx.b, x);
    cx.push(v);
}

/// Applies a binary operator to the top two operands.
fn binary(
    cx: &mut FuncCx<'_, '_>,
    f: impl FnOnce(Builder<'_, '_>, ir::Value, ir::Value) -> ir::Value,
) {
    let (x, y) = cx.pop2();
    let v = f(&mut cx.b, x, y);
    cx.push(v);
}

/// Integer comparison producing an `i32` 0 or 1.
fn icmp(cx: &mut FuncCx<'_, '_>, cc: IntCC) {
    binary(cx, |b, x, y| {
        let c = b.ins().icmp(cc, x, y);
        b.ins().uextend(types::I32, c)
    });
}

/// Float comparison producing an `i32` 0 or 1.
fn fcmp(cx: &mut FuncCx<'_, '_>, cc: FloatCC) {
    binary(cx, |b, x, y| {
        let c = b.ins().fcmp(cc, x, y);
        b.ins().uextend(types::I32, c)
    });
}

/// Translates `op` if it is a numeric operator; returns whether it was.
pub(crate) fn translate(cx: &mut FuncCx<'_, '_>, op: &Op<'_>) -> bool {
    match *op {
        Op::I32Const { value } => {
            let v = cx.b.ins().iconst(types::I32, i64::from(value as u32));
            cx.push(v);
        }
        Op::I64Const { value } => {
            let v = cx.b.ins().iconst(types::I64, value);
            cx.push(v);
        }
        Op::F32Const { value } => {
            let v = cx.b.ins().f32const(Ieee32::with_bits(value.bits()));
            cx.push(v);
        }
        Op::F64Const { value } => {
            let v = cx.b.ins().f64const(Ieee64::with_bits(value.bits()));
            cx.push(v);
        }

        Op::I32Eqz | Op::I64Eqz => unary(cx, |b, x| {
            let c = b.ins().icmp_imm_u(IntCC::Equal, x, 0);
            b.ins().uextend(types::I32, c)
        }),
        Op::I32Eq | Op::I64Eq => icmp(cx, IntCC::Equal),
        Op::I32Ne | Op::I64Ne => icmp(cx, IntCC::NotEqual),
        Op::I32LtS | Op::I64LtS => icmp(cx, IntCC::SignedLessThan),
        Op::I32LtU | Op::I64LtU => icmp(cx, IntCC::UnsignedLessThan),
        Op::I32GtS | Op::I64GtS => icmp(cx, IntCC::SignedGreaterThan),
        Op::I32GtU | Op::I64GtU => icmp(cx, IntCC::UnsignedGreaterThan),
        Op::I32LeS | Op::I64LeS => icmp(cx, IntCC::SignedLessThanOrEqual),
        Op::I32LeU | Op::I64LeU => icmp(cx, IntCC::UnsignedLessThanOrEqual),
        Op::I32GeS | Op::I64GeS => icmp(cx, IntCC::SignedGreaterThanOrEqual),
        Op::I32GeU | Op::I64GeU => icmp(cx, IntCC::UnsignedGreaterThanOrEqual),

        Op::F32Eq | Op::F64Eq => fcmp(cx, FloatCC::Equal),
        Op::F32Ne | Op::F64Ne => fcmp(cx, FloatCC::NotEqual),
        Op::F32Lt | Op::F64Lt => fcmp(cx, FloatCC::LessThan),
        Op::F32Gt | Op::F64Gt => fcmp(cx, FloatCC::GreaterThan),
        Op::F32Le | Op::F64Le => fcmp(cx, FloatCC::LessThanOrEqual),
        Op::F32Ge | Op::F64Ge => fcmp(cx, FloatCC::GreaterThanOrEqual),

        Op::I32Clz | Op::I64Clz => unary(cx, |b, x| b.ins().clz(x)),
        Op::I32Ctz | Op::I64Ctz => unary(cx, |b, x| b.ins().ctz(x)),
        Op::I32Popcnt | Op::I64Popcnt => unary(cx, |b, x| b.ins().popcnt(x)),

        Op::I32Add | Op::I64Add => binary(cx, |b, x, y| b.ins().iadd(x, y)),
        Op::I32Sub | Op::I64Sub => binary(cx, |b, x, y| b.ins().isub(x, y)),
        Op::I32Mul | Op::I64Mul => binary(cx, |b, x, y| b.ins().imul(x, y)),
        Op::I32DivS | Op::I64DivS => binary(cx, |b, x, y| b.ins().sdiv(x, y)),
        Op::I32DivU | Op::I64DivU => binary(cx, |b, x, y| b.ins().udiv(x, y)),
        Op::I32RemS | Op::I64RemS => binary(cx, |b, x, y| b.ins().srem(x, y)),
        Op::I32RemU | Op::I64RemU => binary(cx, |b, x, y| b.ins().urem(x, y)),
        Op::I32And | Op::I64And => binary(cx, |b, x, y| b.ins().band(x, y)),
        Op::I32Or | Op::I64Or => binary(cx, |b, x, y| b.ins().bor(x, y)),
        Op::I32Xor | Op::I64Xor => binary(cx, |b, x, y| b.ins().bxor(x, y)),
        Op::I32Shl | Op::I64Shl => binary(cx, |b, x, y| b.ins().ishl(x, y)),
        Op::I32ShrS | Op::I64ShrS => binary(cx, |b, x, y| b.ins().sshr(x, y)),
        Op::I32ShrU | Op::I64ShrU => binary(cx, |b, x, y| b.ins().ushr(x, y)),
        Op::I32Rotl | Op::I64Rotl => binary(cx, |b, x, y| b.ins().rotl(x, y)),
        Op::I32Rotr | Op::I64Rotr => binary(cx, |b, x, y| b.ins().rotr(x, y)),

        Op::F32Abs | Op::F64Abs => unary(cx, |b, x| b.ins().fabs(x)),
        Op::F32Neg | Op::F64Neg => unary(cx, |b, x| b.ins().fneg(x)),
        Op::F32Ceil | Op::F64Ceil => unary(cx, |b, x| b.ins().ceil(x)),
        Op::F32Floor | Op::F64Floor => unary(cx, |b, x| b.ins().floor(x)),
        Op::F32Trunc | Op::F64Trunc => unary(cx, |b, x| b.ins().trunc(x)),
        Op::F32Nearest | Op::F64Nearest => unary(cx, |b, x| b.ins().nearest(x)),
        Op::F32Sqrt | Op::F64Sqrt => unary(cx, |b, x| b.ins().sqrt(x)),

        Op::F32Add | Op::F64Add => binary(cx, |b, x, y| b.ins().fadd(x, y)),
        Op::F32Sub | Op::F64Sub => binary(cx, |b, x, y| b.ins().fsub(x, y)),
        Op::F32Mul | Op::F64Mul => binary(cx, |b, x, y| b.ins().fmul(x, y)),
        Op::F32Div | Op::F64Div => binary(cx, |b, x, y| b.ins().fdiv(x, y)),
        Op::F32Min | Op::F64Min => binary(cx, |b, x, y| b.ins().fmin(x, y)),
        Op::F32Max | Op::F64Max => binary(cx, |b, x, y| b.ins().fmax(x, y)),
        Op::F32Copysign | Op::F64Copysign => binary(cx, |b, x, y| b.ins().fcopysign(x, y)),

        _ => return false,
    }
    true
}
