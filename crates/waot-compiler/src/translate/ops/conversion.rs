//! Numeric conversions (spec section 4.3.4 "Conversions"): wrapping and
//! extension, trapping and saturating float -> int truncation, int -> float,
//! demotion and promotion, reinterpretation, and the sign-extension
//! operators.
//!
//! `fcvt_to_sint`/`fcvt_to_uint` trap with `BAD_CONVERSION_TO_INTEGER` on
//! NaN and `INTEGER_OVERFLOW` out of range, which are exactly wasm's
//! "invalid conversion to integer" and "integer overflow".

use cranelift_codegen::ir::{self, types, InstBuilder, MemFlagsData};
use wasmparser::Operator as Op;

use crate::translate::FuncCx;

/// Replaces the top operand with `f(top)`.
fn convert(cx: &mut FuncCx<'_, '_>, f: impl FnOnce(&mut FuncCx<'_, '_>, ir::Value) -> ir::Value) {
    let x = cx.pop();
    let v = f(cx, x);
    cx.push(v);
}

/// Sign-extends the low `from` bits of the top operand (of type `to`).
fn extend_s(cx: &mut FuncCx<'_, '_>, from: ir::Type, to: ir::Type) {
    convert(cx, |cx, x| {
        let narrow = cx.b.ins().ireduce(from, x);
        cx.b.ins().sextend(to, narrow)
    });
}

/// Translates `op` if it is a conversion; returns whether it was.
pub(crate) fn translate(cx: &mut FuncCx<'_, '_>, op: &Op<'_>) -> bool {
    use types::{F32, F64, I16, I32, I64, I8};
    match *op {
        Op::I32WrapI64 => convert(cx, |cx, x| cx.b.ins().ireduce(I32, x)),
        Op::I64ExtendI32S => convert(cx, |cx, x| cx.b.ins().sextend(I64, x)),
        Op::I64ExtendI32U => convert(cx, |cx, x| cx.b.ins().uextend(I64, x)),

        Op::I32TruncF32S | Op::I32TruncF64S => convert(cx, |cx, x| cx.b.ins().fcvt_to_sint(I32, x)),
        Op::I32TruncF32U | Op::I32TruncF64U => convert(cx, |cx, x| cx.b.ins().fcvt_to_uint(I32, x)),
        Op::I64TruncF32S | Op::I64TruncF64S => convert(cx, |cx, x| cx.b.ins().fcvt_to_sint(I64, x)),
        Op::I64TruncF32U | Op::I64TruncF64U => convert(cx, |cx, x| cx.b.ins().fcvt_to_uint(I64, x)),
        Op::I32TruncSatF32S | Op::I32TruncSatF64S => {
            convert(cx, |cx, x| cx.b.ins().fcvt_to_sint_sat(I32, x))
        }
        Op::I32TruncSatF32U | Op::I32TruncSatF64U => {
            convert(cx, |cx, x| cx.b.ins().fcvt_to_uint_sat(I32, x))
        }
        Op::I64TruncSatF32S | Op::I64TruncSatF64S => {
            convert(cx, |cx, x| cx.b.ins().fcvt_to_sint_sat(I64, x))
        }
        Op::I64TruncSatF32U | Op::I64TruncSatF64U => {
            convert(cx, |cx, x| cx.b.ins().fcvt_to_uint_sat(I64, x))
        }

        Op::F32ConvertI32S | Op::F32ConvertI64S => {
            convert(cx, |cx, x| cx.b.ins().fcvt_from_sint(F32, x))
        }
        Op::F32ConvertI32U | Op::F32ConvertI64U => {
            convert(cx, |cx, x| cx.b.ins().fcvt_from_uint(F32, x))
        }
        Op::F64ConvertI32S | Op::F64ConvertI64S => {
            convert(cx, |cx, x| cx.b.ins().fcvt_from_sint(F64, x))
        }
        Op::F64ConvertI32U | Op::F64ConvertI64U => {
            convert(cx, |cx, x| cx.b.ins().fcvt_from_uint(F64, x))
        }
        Op::F32DemoteF64 => convert(cx, |cx, x| cx.b.ins().fdemote(F32, x)),
        Op::F64PromoteF32 => convert(cx, |cx, x| cx.b.ins().fpromote(F64, x)),

        Op::I32ReinterpretF32 => {
            convert(cx, |cx, x| cx.b.ins().bitcast(I32, MemFlagsData::new(), x))
        }
        Op::I64ReinterpretF64 => {
            convert(cx, |cx, x| cx.b.ins().bitcast(I64, MemFlagsData::new(), x))
        }
        Op::F32ReinterpretI32 => {
            convert(cx, |cx, x| cx.b.ins().bitcast(F32, MemFlagsData::new(), x))
        }
        Op::F64ReinterpretI64 => {
            convert(cx, |cx, x| cx.b.ins().bitcast(F64, MemFlagsData::new(), x))
        }

        Op::I32Extend8S => extend_s(cx, I8, I32),
        Op::I32Extend16S => extend_s(cx, I16, I32),
        Op::I64Extend8S => extend_s(cx, I8, I64),
        Op::I64Extend16S => extend_s(cx, I16, I64),
        Op::I64Extend32S => extend_s(cx, I32, I64),

        _ => return false,
    }
    true
}
