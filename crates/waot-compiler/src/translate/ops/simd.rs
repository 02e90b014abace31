//! 128-bit SIMD: vector instructions (spec section 4.4.3, numerics in
//! 4.3.3 "Vector Operations") and the vector memory instructions of 4.4.7.
//!
//! **Types.** A `v128` is `I8X16` wherever its type is fixed by something
//! other than the operator that made it: locals, globals, block parameters,
//! function parameters and results (`abi::clif_type`). On the operand stack
//! it keeps the type its operator produced (`I32X4` after `i32x4.add`,
//! `F64X2` after `f64x2.sqrt`, ...). Each operator reinterprets its operands
//! with [`FuncCx::as_vector`], which emits a little-endian `bitcast` only when
//! the type differs, so a chain of same-shape operators needs none;
//! `FuncCx::canonical` turns values back into `I8X16` where they leave the
//! operand stack (see `stack.rs`).
//!
//! **Semantics.** Most operators are one Cranelift instruction with the same
//! meaning: vector shifts take the amount modulo the lane width, `fmin` /
//! `fmax` follow wasm's NaN and signed-zero rules, `swizzle` gives 0 for
//! out-of-range indices, `snarrow`/`unarrow` saturate signed input. Where
//! wasm has no single counterpart the operator is built from the shapes the
//! x64 backend matches as a whole (`iadd_pairwise` of `swiden_low`/`_high`,
//! `snarrow`/`uunarrow` of a saturating conversion and a zero vector,
//! `fcvt_from_*` of `*widen_low`), which aarch64 lowers instruction by
//! instruction.
//!
//! **Memory.** Accesses trap with `memory_oob_code(n)` where `n` is the
//! bytes touched: 16 for `v128.load`/`store`, 8 for the extending loads and
//! `load64_*`, the lane width for lane, splat and zero-extending loads.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{
    F32, F32X4, F64, F64X2, I16, I16X8, I32, I32X4, I64, I64X2, I8, I8X16,
};
use cranelift_codegen::ir::{
    self, ConstantData, InstBuilder, InstructionData, MemFlagsData, Opcode,
};
use cranelift_frontend::FunctionBuilder;
use wasmparser::{MemArg, Operator as Op};

use super::memory::{heap_addr, memarg_memory};
use super::operator_name;
use crate::error::Result;
use crate::translate::env::heap_flags;
use crate::translate::{unsupported, FuncCx};

type Builder<'b, 'f> = &'b mut FunctionBuilder<'f>;

/// Flags of a bitcast between vector types: lanes are numbered in
/// little-endian byte order, as in wasm.
fn bitcast_flags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(ir::Endianness::Little)
}

/// A vector constant of type `ty` with the little-endian bytes of `bits`.
pub(crate) fn vconst(cx: &mut FuncCx<'_, '_>, ty: ir::Type, bits: u128) -> ir::Value {
    let data = ConstantData::from(&bits.to_le_bytes()[..]);
    let c = cx.b.func.dfg.constants.insert(data);
    cx.b.ins().vconst(ty, c)
}

impl FuncCx<'_, '_> {
    /// `v` (any 128-bit vector) as a vector of type `ty`. Emits a bitcast only
    /// when the types differ, and looks through a bitcast from `ty`.
    pub(crate) fn as_vector(&mut self, v: ir::Value, ty: ir::Type) -> ir::Value {
        let dfg = &self.b.func.dfg;
        if dfg.value_type(v) == ty {
            return v;
        }
        if let Some(inst) = dfg.value_def(v).inst() {
            if let InstructionData::LoadNoOffset {
                opcode: Opcode::Bitcast,
                arg,
                ..
            } = dfg.insts[inst]
            {
                if dfg.value_type(arg) == ty {
                    return arg;
                }
            }
        }
        self.b.ins().bitcast(ty, bitcast_flags(), v)
    }

    /// Pops a `v128` as type `ty`.
    fn pop_as(&mut self, ty: ir::Type) -> ir::Value {
        let v = self.pop();
        self.as_vector(v, ty)
    }

    /// Pops two `v128`s as type `ty`, in push order.
    fn pop2_as(&mut self, ty: ir::Type) -> (ir::Value, ir::Value) {
        let (x, y) = self.pop2();
        (self.as_vector(x, ty), self.as_vector(y, ty))
    }
}

/// The type bitwise operators use for `v`: its own if it is an integer
/// vector (no bitcast needed), else `I8X16`.
fn bitwise_type(cx: &FuncCx<'_, '_>, v: ir::Value) -> ir::Type {
    let ty = cx.b.func.dfg.value_type(v);
    if ty.lane_type().is_int() {
        ty
    } else {
        I8X16
    }
}

/// Applies `f` to the top operand taken as `ty`.
fn unop(
    cx: &mut FuncCx<'_, '_>,
    ty: ir::Type,
    f: impl FnOnce(Builder<'_, '_>, ir::Value) -> ir::Value,
) {
    let x = cx.pop_as(ty);
    let v = f(&mut cx.b, x);
    cx.push(v);
}

/// Applies `f` to the top two operands taken as `ty`.
fn binop(
    cx: &mut FuncCx<'_, '_>,
    ty: ir::Type,
    f: impl FnOnce(Builder<'_, '_>, ir::Value, ir::Value) -> ir::Value,
) {
    let (x, y) = cx.pop2_as(ty);
    let v = f(&mut cx.b, x, y);
    cx.push(v);
}

/// Lane-wise integer comparison (all-ones or all-zeros lanes).
fn icmp(cx: &mut FuncCx<'_, '_>, ty: ir::Type, cc: IntCC) {
    binop(cx, ty, |b, x, y| b.ins().icmp(cc, x, y));
}

/// Lane-wise float comparison; the result is an integer vector.
fn fcmp(cx: &mut FuncCx<'_, '_>, ty: ir::Type, cc: FloatCC) {
    binop(cx, ty, |b, x, y| b.ins().fcmp(cc, x, y));
}

/// Lane-wise shift of the vector below an `i32` amount (taken modulo the
/// lane width by Cranelift, as wasm requires).
fn shift(
    cx: &mut FuncCx<'_, '_>,
    ty: ir::Type,
    f: impl FnOnce(Builder<'_, '_>, ir::Value, ir::Value) -> ir::Value,
) {
    let amount = cx.pop();
    let x = cx.pop_as(ty);
    let v = f(&mut cx.b, x, amount);
    cx.push(v);
}

/// Widens the low or high half of `x` (signed or unsigned).
fn widen(b: Builder<'_, '_>, x: ir::Value, signed: bool, high: bool) -> ir::Value {
    match (signed, high) {
        (true, false) => b.ins().swiden_low(x),
        (true, true) => b.ins().swiden_high(x),
        (false, false) => b.ins().uwiden_low(x),
        (false, true) => b.ins().uwiden_high(x),
    }
}

/// `extend_{low,high}_*`: widens half of the narrow-lane operand of type `ty`.
fn extend(cx: &mut FuncCx<'_, '_>, ty: ir::Type, signed: bool, high: bool) {
    unop(cx, ty, |b, x| widen(b, x, signed, high));
}

/// `extmul_{low,high}_*`: widens half of both operands, then multiplies.
fn extmul(cx: &mut FuncCx<'_, '_>, ty: ir::Type, signed: bool, high: bool) {
    binop(cx, ty, |b, x, y| {
        let x = widen(b, x, signed, high);
        let y = widen(b, y, signed, high);
        b.ins().imul(x, y)
    });
}

/// `extadd_pairwise_*`: adds adjacent lanes into lanes twice as wide.
fn extadd_pairwise(cx: &mut FuncCx<'_, '_>, ty: ir::Type, signed: bool) {
    unop(cx, ty, |b, x| {
        let low = widen(b, x, signed, false);
        let high = widen(b, x, signed, true);
        b.ins().iadd_pairwise(low, high)
    });
}

/// `pmin` (`pick_b` = `b < a`) and `pmax` (`pick_b` = `a < b`): the other
/// operand unless the comparison holds, so NaNs and zeros pass through as
/// the spec's `fpmin`/`fpmax` say.
fn pseudo_min_max(cx: &mut FuncCx<'_, '_>, ty: ir::Type, max: bool) {
    binop(cx, ty, |b, x, y| {
        let pick_y = if max {
            b.ins().fcmp(FloatCC::LessThan, x, y)
        } else {
            b.ins().fcmp(FloatCC::LessThan, y, x)
        };
        let mask = b.ins().bitcast(ty, bitcast_flags(), pick_y);
        b.ins().bitselect(mask, y, x)
    });
}

/// Lane types of the `v128` operators.
struct Shape {
    lane: ir::Type,
    vector: ir::Type,
}

/// The load, store and lane memory operators.
fn translate_memory(cx: &mut FuncCx<'_, '_>, op: &Op<'_>, offset: u64) -> Result<bool> {
    use Op::*;
    let (memarg, kind): (&MemArg, MemOp) = match op {
        V128Load { memarg } => (memarg, MemOp::Load),
        V128Load8x8S { memarg } => (memarg, MemOp::Extend(Extend::S8x8)),
        V128Load8x8U { memarg } => (memarg, MemOp::Extend(Extend::U8x8)),
        V128Load16x4S { memarg } => (memarg, MemOp::Extend(Extend::S16x4)),
        V128Load16x4U { memarg } => (memarg, MemOp::Extend(Extend::U16x4)),
        V128Load32x2S { memarg } => (memarg, MemOp::Extend(Extend::S32x2)),
        V128Load32x2U { memarg } => (memarg, MemOp::Extend(Extend::U32x2)),
        V128Load8Splat { memarg } => (memarg, MemOp::Splat(I8X16)),
        V128Load16Splat { memarg } => (memarg, MemOp::Splat(I16X8)),
        V128Load32Splat { memarg } => (memarg, MemOp::Splat(I32X4)),
        V128Load64Splat { memarg } => (memarg, MemOp::Splat(I64X2)),
        V128Load32Zero { memarg } => (memarg, MemOp::Zero(I32X4)),
        V128Load64Zero { memarg } => (memarg, MemOp::Zero(I64X2)),
        V128Store { memarg } => (memarg, MemOp::Store),
        V128Load8Lane { memarg, lane } => (memarg, MemOp::LoadLane(I8X16, *lane)),
        V128Load16Lane { memarg, lane } => (memarg, MemOp::LoadLane(I16X8, *lane)),
        V128Load32Lane { memarg, lane } => (memarg, MemOp::LoadLane(I32X4, *lane)),
        V128Load64Lane { memarg, lane } => (memarg, MemOp::LoadLane(I64X2, *lane)),
        V128Store8Lane { memarg, lane } => (memarg, MemOp::StoreLane(I8X16, *lane)),
        V128Store16Lane { memarg, lane } => (memarg, MemOp::StoreLane(I16X8, *lane)),
        V128Store32Lane { memarg, lane } => (memarg, MemOp::StoreLane(I32X4, *lane)),
        V128Store64Lane { memarg, lane } => (memarg, MemOp::StoreLane(I64X2, *lane)),
        _ => return Ok(false),
    };
    let mem = memarg_memory(memarg, offset)?;
    match kind {
        MemOp::Load => {
            let (addr, imm) = heap_addr(cx, mem, memarg, 16);
            let v = cx.b.ins().load(I8X16, heap_flags(16), addr, imm);
            cx.push(v);
        }
        MemOp::Extend(e) => {
            let (addr, imm) = heap_addr(cx, mem, memarg, 8);
            let (ins, flags) = (cx.b.ins(), heap_flags(8));
            let v = match e {
                Extend::S8x8 => ins.sload8x8(flags, addr, imm),
                Extend::U8x8 => ins.uload8x8(flags, addr, imm),
                Extend::S16x4 => ins.sload16x4(flags, addr, imm),
                Extend::U16x4 => ins.uload16x4(flags, addr, imm),
                Extend::S32x2 => ins.sload32x2(flags, addr, imm),
                Extend::U32x2 => ins.uload32x2(flags, addr, imm),
            };
            cx.push(v);
        }
        MemOp::Splat(ty) => {
            let x = load_lane_value(cx, mem, memarg, ty);
            let v = cx.b.ins().splat(ty, x);
            cx.push(v);
        }
        MemOp::Zero(ty) => {
            let x = load_lane_value(cx, mem, memarg, ty);
            let v = cx.b.ins().scalar_to_vector(ty, x);
            cx.push(v);
        }
        MemOp::Store => {
            let value = cx.pop();
            let (addr, imm) = heap_addr(cx, mem, memarg, 16);
            cx.b.ins().store(heap_flags(16), value, addr, imm);
        }
        MemOp::LoadLane(ty, lane) => {
            let vector = cx.pop_as(ty);
            let x = load_lane_value(cx, mem, memarg, ty);
            let v = cx.b.ins().insertlane(vector, x, lane);
            cx.push(v);
        }
        MemOp::StoreLane(ty, lane) => {
            let vector = cx.pop_as(ty);
            let bytes = ty.lane_type().bytes();
            let (addr, imm) = heap_addr(cx, mem, memarg, bytes);
            let x = cx.b.ins().extractlane(vector, lane);
            cx.b.ins().store(heap_flags(bytes), x, addr, imm);
        }
    }
    Ok(true)
}

/// Pops an address and loads one lane of vector type `ty` from it.
fn load_lane_value(cx: &mut FuncCx<'_, '_>, mem: u32, memarg: &MemArg, ty: ir::Type) -> ir::Value {
    let lane = ty.lane_type();
    let (addr, imm) = heap_addr(cx, mem, memarg, lane.bytes());
    cx.b.ins().load(lane, heap_flags(lane.bytes()), addr, imm)
}

/// A vector memory operator.
#[derive(Clone, Copy)]
enum MemOp {
    Load,
    Extend(Extend),
    Splat(ir::Type),
    Zero(ir::Type),
    Store,
    LoadLane(ir::Type, u8),
    StoreLane(ir::Type, u8),
}

/// The extending loads `v128.loadNxM_{s,u}`.
#[derive(Clone, Copy)]
enum Extend {
    S8x8,
    U8x8,
    S16x4,
    U16x4,
    S32x2,
    U32x2,
}

/// The shape of a lane operator (`splat`, `extract_lane`, `replace_lane`).
fn lane_shape(op: &Op<'_>) -> Option<Shape> {
    use Op::*;
    let (lane, vector) = match op {
        I8x16Splat
        | I8x16ExtractLaneS { .. }
        | I8x16ExtractLaneU { .. }
        | I8x16ReplaceLane { .. } => (I8, I8X16),
        I16x8Splat
        | I16x8ExtractLaneS { .. }
        | I16x8ExtractLaneU { .. }
        | I16x8ReplaceLane { .. } => (I16, I16X8),
        I32x4Splat | I32x4ExtractLane { .. } | I32x4ReplaceLane { .. } => (I32, I32X4),
        I64x2Splat | I64x2ExtractLane { .. } | I64x2ReplaceLane { .. } => (I64, I64X2),
        F32x4Splat | F32x4ExtractLane { .. } | F32x4ReplaceLane { .. } => (F32, F32X4),
        F64x2Splat | F64x2ExtractLane { .. } | F64x2ReplaceLane { .. } => (F64, F64X2),
        _ => return None,
    };
    Some(Shape { lane, vector })
}

/// `splat`, `extract_lane` and `replace_lane` of every shape.
fn translate_lane(cx: &mut FuncCx<'_, '_>, op: &Op<'_>) -> bool {
    use Op::*;
    let Some(Shape { lane, vector }) = lane_shape(op) else {
        return false;
    };
    // i8 and i16 lanes travel as wasm `i32`s.
    let narrow = lane.bits() < 32;
    match *op {
        I8x16Splat | I16x8Splat | I32x4Splat | I64x2Splat | F32x4Splat | F64x2Splat => {
            let x = cx.pop();
            let x = if narrow {
                cx.b.ins().ireduce(lane, x)
            } else {
                x
            };
            let v = cx.b.ins().splat(vector, x);
            cx.push(v);
        }
        I8x16ExtractLaneS { lane: i } | I16x8ExtractLaneS { lane: i } => {
            let x = cx.pop_as(vector);
            let e = cx.b.ins().extractlane(x, i);
            let v = cx.b.ins().sextend(I32, e);
            cx.push(v);
        }
        I8x16ExtractLaneU { lane: i } | I16x8ExtractLaneU { lane: i } => {
            let x = cx.pop_as(vector);
            let e = cx.b.ins().extractlane(x, i);
            let v = cx.b.ins().uextend(I32, e);
            cx.push(v);
        }
        I32x4ExtractLane { lane: i }
        | I64x2ExtractLane { lane: i }
        | F32x4ExtractLane { lane: i }
        | F64x2ExtractLane { lane: i } => {
            let x = cx.pop_as(vector);
            let v = cx.b.ins().extractlane(x, i);
            cx.push(v);
        }
        I8x16ReplaceLane { lane: i }
        | I16x8ReplaceLane { lane: i }
        | I32x4ReplaceLane { lane: i }
        | I64x2ReplaceLane { lane: i }
        | F32x4ReplaceLane { lane: i }
        | F64x2ReplaceLane { lane: i } => {
            let y = cx.pop();
            let x = cx.pop_as(vector);
            let y = if narrow {
                cx.b.ins().ireduce(lane, y)
            } else {
                y
            };
            let v = cx.b.ins().insertlane(x, y, i);
            cx.push(v);
        }
        _ => unreachable!("lane_shape matched"),
    }
    true
}

/// Translates `op` if it is a 128-bit SIMD operator; returns whether it was.
///
/// # Errors
///
/// [`crate::error::CompileError::Unsupported`] for a SIMD operator when the
/// ISA cannot lower it inline (x86_64 without SSSE3/SSE4.1), or for a
/// memory operator on a 64-bit memory.
pub(crate) fn translate(cx: &mut FuncCx<'_, '_>, op: &Op<'_>, offset: u64) -> Result<bool> {
    if !cx.env.simd_inline && is_simd(op) {
        return Err(unsupported(
            &format!(
                "{} (128-bit SIMD needs SSSE3 and SSE4.1 on x86_64)",
                operator_name(op)
            ),
            offset,
        ));
    }
    if translate_memory(cx, op, offset)? || translate_lane(cx, op) {
        return Ok(true);
    }
    Ok(translate_arith(cx, op))
}

/// Whether `op` belongs to the 128-bit SIMD instruction set (by name).
fn is_simd(op: &Op<'_>) -> bool {
    let name = operator_name(op);
    ["V128", "I8x16", "I16x8", "I32x4", "I64x2", "F32x4", "F64x2"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Constants, shuffles, bitwise, integer, float and conversion operators.
fn translate_arith(cx: &mut FuncCx<'_, '_>, op: &Op<'_>) -> bool {
    use Op::*;
    match *op {
        V128Const { value } => {
            let v = vconst(cx, I8X16, u128::from_le_bytes(*value.bytes()));
            cx.push(v);
        }
        I8x16Shuffle { lanes } => {
            let (x, y) = cx.pop2_as(I8X16);
            let mask =
                cx.b.func
                    .dfg
                    .immediates
                    .push(ConstantData::from(&lanes[..]));
            let v = cx.b.ins().shuffle(x, y, mask);
            cx.push(v);
        }
        I8x16Swizzle => binop(cx, I8X16, |b, x, y| b.ins().swizzle(x, y)),

        // Bitwise operators work on any lane type; keep the operand's.
        V128Not => {
            let x = cx.pop();
            let ty = bitwise_type(cx, x);
            let x = cx.as_vector(x, ty);
            let v = cx.b.ins().bnot(x);
            cx.push(v);
        }
        V128And | V128AndNot | V128Or | V128Xor => {
            let (x, y) = cx.pop2();
            let ty = bitwise_type(cx, x);
            let (x, y) = (cx.as_vector(x, ty), cx.as_vector(y, ty));
            let ins = cx.b.ins();
            let v = match *op {
                V128And => ins.band(x, y),
                V128AndNot => ins.band_not(x, y),
                V128Or => ins.bor(x, y),
                _ => ins.bxor(x, y),
            };
            cx.push(v);
        }
        V128Bitselect => {
            let mask = cx.pop();
            let ty = bitwise_type(cx, mask);
            let mask = cx.as_vector(mask, ty);
            let (x, y) = cx.pop2_as(ty);
            let v = cx.b.ins().bitselect(mask, x, y);
            cx.push(v);
        }
        V128AnyTrue => {
            let x = cx.pop();
            let ty = bitwise_type(cx, x);
            let x = cx.as_vector(x, ty);
            let t = cx.b.ins().vany_true(x);
            let v = cx.b.ins().uextend(I32, t);
            cx.push(v);
        }
        I8x16AllTrue | I16x8AllTrue | I32x4AllTrue | I64x2AllTrue => {
            let ty = int_shape(op);
            let x = cx.pop_as(ty);
            let t = cx.b.ins().vall_true(x);
            let v = cx.b.ins().uextend(I32, t);
            cx.push(v);
        }
        I8x16Bitmask | I16x8Bitmask | I32x4Bitmask | I64x2Bitmask => {
            unop(cx, int_shape(op), |b, x| b.ins().vhigh_bits(I32, x))
        }

        I8x16Eq | I16x8Eq | I32x4Eq | I64x2Eq => icmp(cx, int_shape(op), IntCC::Equal),
        I8x16Ne | I16x8Ne | I32x4Ne | I64x2Ne => icmp(cx, int_shape(op), IntCC::NotEqual),
        I8x16LtS | I16x8LtS | I32x4LtS | I64x2LtS => icmp(cx, int_shape(op), IntCC::SignedLessThan),
        I8x16LtU | I16x8LtU | I32x4LtU => icmp(cx, int_shape(op), IntCC::UnsignedLessThan),
        I8x16GtS | I16x8GtS | I32x4GtS | I64x2GtS => {
            icmp(cx, int_shape(op), IntCC::SignedGreaterThan)
        }
        I8x16GtU | I16x8GtU | I32x4GtU => icmp(cx, int_shape(op), IntCC::UnsignedGreaterThan),
        I8x16LeS | I16x8LeS | I32x4LeS | I64x2LeS => {
            icmp(cx, int_shape(op), IntCC::SignedLessThanOrEqual)
        }
        I8x16LeU | I16x8LeU | I32x4LeU => icmp(cx, int_shape(op), IntCC::UnsignedLessThanOrEqual),
        I8x16GeS | I16x8GeS | I32x4GeS | I64x2GeS => {
            icmp(cx, int_shape(op), IntCC::SignedGreaterThanOrEqual)
        }
        I8x16GeU | I16x8GeU | I32x4GeU => {
            icmp(cx, int_shape(op), IntCC::UnsignedGreaterThanOrEqual)
        }

        F32x4Eq => fcmp(cx, F32X4, FloatCC::Equal),
        F32x4Ne => fcmp(cx, F32X4, FloatCC::NotEqual),
        F32x4Lt => fcmp(cx, F32X4, FloatCC::LessThan),
        F32x4Gt => fcmp(cx, F32X4, FloatCC::GreaterThan),
        F32x4Le => fcmp(cx, F32X4, FloatCC::LessThanOrEqual),
        F32x4Ge => fcmp(cx, F32X4, FloatCC::GreaterThanOrEqual),
        F64x2Eq => fcmp(cx, F64X2, FloatCC::Equal),
        F64x2Ne => fcmp(cx, F64X2, FloatCC::NotEqual),
        F64x2Lt => fcmp(cx, F64X2, FloatCC::LessThan),
        F64x2Gt => fcmp(cx, F64X2, FloatCC::GreaterThan),
        F64x2Le => fcmp(cx, F64X2, FloatCC::LessThanOrEqual),
        F64x2Ge => fcmp(cx, F64X2, FloatCC::GreaterThanOrEqual),

        I8x16Abs | I16x8Abs | I32x4Abs | I64x2Abs => {
            unop(cx, int_shape(op), |b, x| b.ins().iabs(x))
        }
        I8x16Neg | I16x8Neg | I32x4Neg | I64x2Neg => {
            unop(cx, int_shape(op), |b, x| b.ins().ineg(x))
        }
        I8x16Popcnt => unop(cx, I8X16, |b, x| b.ins().popcnt(x)),
        I8x16Add | I16x8Add | I32x4Add | I64x2Add => {
            binop(cx, int_shape(op), |b, x, y| b.ins().iadd(x, y))
        }
        I8x16Sub | I16x8Sub | I32x4Sub | I64x2Sub => {
            binop(cx, int_shape(op), |b, x, y| b.ins().isub(x, y))
        }
        I16x8Mul | I32x4Mul | I64x2Mul => binop(cx, int_shape(op), |b, x, y| b.ins().imul(x, y)),
        I8x16AddSatS | I16x8AddSatS => binop(cx, int_shape(op), |b, x, y| b.ins().sadd_sat(x, y)),
        I8x16AddSatU | I16x8AddSatU => binop(cx, int_shape(op), |b, x, y| b.ins().uadd_sat(x, y)),
        I8x16SubSatS | I16x8SubSatS => binop(cx, int_shape(op), |b, x, y| b.ins().ssub_sat(x, y)),
        I8x16SubSatU | I16x8SubSatU => binop(cx, int_shape(op), |b, x, y| b.ins().usub_sat(x, y)),
        I8x16MinS | I16x8MinS | I32x4MinS => binop(cx, int_shape(op), |b, x, y| b.ins().smin(x, y)),
        I8x16MinU | I16x8MinU | I32x4MinU => binop(cx, int_shape(op), |b, x, y| b.ins().umin(x, y)),
        I8x16MaxS | I16x8MaxS | I32x4MaxS => binop(cx, int_shape(op), |b, x, y| b.ins().smax(x, y)),
        I8x16MaxU | I16x8MaxU | I32x4MaxU => binop(cx, int_shape(op), |b, x, y| b.ins().umax(x, y)),
        I8x16AvgrU | I16x8AvgrU => binop(cx, int_shape(op), |b, x, y| b.ins().avg_round(x, y)),
        I16x8Q15MulrSatS => binop(cx, I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y)),

        I8x16Shl | I16x8Shl | I32x4Shl | I64x2Shl => {
            shift(cx, int_shape(op), |b, x, n| b.ins().ishl(x, n))
        }
        I8x16ShrS | I16x8ShrS | I32x4ShrS | I64x2ShrS => {
            shift(cx, int_shape(op), |b, x, n| b.ins().sshr(x, n))
        }
        I8x16ShrU | I16x8ShrU | I32x4ShrU | I64x2ShrU => {
            shift(cx, int_shape(op), |b, x, n| b.ins().ushr(x, n))
        }

        I8x16NarrowI16x8S => binop(cx, I16X8, |b, x, y| b.ins().snarrow(x, y)),
        I8x16NarrowI16x8U => binop(cx, I16X8, |b, x, y| b.ins().unarrow(x, y)),
        I16x8NarrowI32x4S => binop(cx, I32X4, |b, x, y| b.ins().snarrow(x, y)),
        I16x8NarrowI32x4U => binop(cx, I32X4, |b, x, y| b.ins().unarrow(x, y)),

        I16x8ExtendLowI8x16S => extend(cx, I8X16, true, false),
        I16x8ExtendHighI8x16S => extend(cx, I8X16, true, true),
        I16x8ExtendLowI8x16U => extend(cx, I8X16, false, false),
        I16x8ExtendHighI8x16U => extend(cx, I8X16, false, true),
        I32x4ExtendLowI16x8S => extend(cx, I16X8, true, false),
        I32x4ExtendHighI16x8S => extend(cx, I16X8, true, true),
        I32x4ExtendLowI16x8U => extend(cx, I16X8, false, false),
        I32x4ExtendHighI16x8U => extend(cx, I16X8, false, true),
        I64x2ExtendLowI32x4S => extend(cx, I32X4, true, false),
        I64x2ExtendHighI32x4S => extend(cx, I32X4, true, true),
        I64x2ExtendLowI32x4U => extend(cx, I32X4, false, false),
        I64x2ExtendHighI32x4U => extend(cx, I32X4, false, true),

        I16x8ExtMulLowI8x16S => extmul(cx, I8X16, true, false),
        I16x8ExtMulHighI8x16S => extmul(cx, I8X16, true, true),
        I16x8ExtMulLowI8x16U => extmul(cx, I8X16, false, false),
        I16x8ExtMulHighI8x16U => extmul(cx, I8X16, false, true),
        I32x4ExtMulLowI16x8S => extmul(cx, I16X8, true, false),
        I32x4ExtMulHighI16x8S => extmul(cx, I16X8, true, true),
        I32x4ExtMulLowI16x8U => extmul(cx, I16X8, false, false),
        I32x4ExtMulHighI16x8U => extmul(cx, I16X8, false, true),
        I64x2ExtMulLowI32x4S => extmul(cx, I32X4, true, false),
        I64x2ExtMulHighI32x4S => extmul(cx, I32X4, true, true),
        I64x2ExtMulLowI32x4U => extmul(cx, I32X4, false, false),
        I64x2ExtMulHighI32x4U => extmul(cx, I32X4, false, true),

        I16x8ExtAddPairwiseI8x16S => extadd_pairwise(cx, I8X16, true),
        I16x8ExtAddPairwiseI8x16U => extadd_pairwise(cx, I8X16, false),
        I32x4ExtAddPairwiseI16x8S => extadd_pairwise(cx, I16X8, true),
        I32x4ExtAddPairwiseI16x8U => extadd_pairwise(cx, I16X8, false),
        I32x4DotI16x8S => binop(cx, I16X8, |b, x, y| {
            let (xl, yl) = (b.ins().swiden_low(x), b.ins().swiden_low(y));
            let low = b.ins().imul(xl, yl);
            let (xh, yh) = (b.ins().swiden_high(x), b.ins().swiden_high(y));
            let high = b.ins().imul(xh, yh);
            b.ins().iadd_pairwise(low, high)
        }),

        F32x4Abs | F64x2Abs => unop(cx, float_shape(op), |b, x| b.ins().fabs(x)),
        F32x4Neg | F64x2Neg => unop(cx, float_shape(op), |b, x| b.ins().fneg(x)),
        F32x4Sqrt | F64x2Sqrt => unop(cx, float_shape(op), |b, x| b.ins().sqrt(x)),
        F32x4Ceil | F64x2Ceil => unop(cx, float_shape(op), |b, x| b.ins().ceil(x)),
        F32x4Floor | F64x2Floor => unop(cx, float_shape(op), |b, x| b.ins().floor(x)),
        F32x4Trunc | F64x2Trunc => unop(cx, float_shape(op), |b, x| b.ins().trunc(x)),
        F32x4Nearest | F64x2Nearest => unop(cx, float_shape(op), |b, x| b.ins().nearest(x)),
        F32x4Add | F64x2Add => binop(cx, float_shape(op), |b, x, y| b.ins().fadd(x, y)),
        F32x4Sub | F64x2Sub => binop(cx, float_shape(op), |b, x, y| b.ins().fsub(x, y)),
        F32x4Mul | F64x2Mul => binop(cx, float_shape(op), |b, x, y| b.ins().fmul(x, y)),
        F32x4Div | F64x2Div => binop(cx, float_shape(op), |b, x, y| b.ins().fdiv(x, y)),
        F32x4Min | F64x2Min => binop(cx, float_shape(op), |b, x, y| b.ins().fmin(x, y)),
        F32x4Max | F64x2Max => binop(cx, float_shape(op), |b, x, y| b.ins().fmax(x, y)),
        F32x4PMin | F64x2PMin => pseudo_min_max(cx, float_shape(op), false),
        F32x4PMax | F64x2PMax => pseudo_min_max(cx, float_shape(op), true),

        I32x4TruncSatF32x4S => unop(cx, F32X4, |b, x| b.ins().fcvt_to_sint_sat(I32X4, x)),
        I32x4TruncSatF32x4U => unop(cx, F32X4, |b, x| b.ins().fcvt_to_uint_sat(I32X4, x)),
        F32x4ConvertI32x4S => unop(cx, I32X4, |b, x| b.ins().fcvt_from_sint(F32X4, x)),
        F32x4ConvertI32x4U => unop(cx, I32X4, |b, x| b.ins().fcvt_from_uint(F32X4, x)),
        I32x4TruncSatF64x2SZero | I32x4TruncSatF64x2UZero => {
            let signed = matches!(op, I32x4TruncSatF64x2SZero);
            let x = cx.pop_as(F64X2);
            let zero = vconst(cx, I64X2, 0);
            let v = if signed {
                let wide = cx.b.ins().fcvt_to_sint_sat(I64X2, x);
                cx.b.ins().snarrow(wide, zero)
            } else {
                let wide = cx.b.ins().fcvt_to_uint_sat(I64X2, x);
                cx.b.ins().uunarrow(wide, zero)
            };
            cx.push(v);
        }
        F64x2ConvertLowI32x4S => unop(cx, I32X4, |b, x| {
            let wide = b.ins().swiden_low(x);
            b.ins().fcvt_from_sint(F64X2, wide)
        }),
        F64x2ConvertLowI32x4U => unop(cx, I32X4, |b, x| {
            let wide = b.ins().uwiden_low(x);
            b.ins().fcvt_from_uint(F64X2, wide)
        }),
        F32x4DemoteF64x2Zero => unop(cx, F64X2, |b, x| b.ins().fvdemote(x)),
        F64x2PromoteLowF32x4 => unop(cx, F32X4, |b, x| b.ins().fvpromote_low(x)),

        _ => return translate_relaxed(cx, op),
    }
    true
}

/// Relaxed SIMD (WebAssembly 3.0, the `relaxed-simd` feature).
///
/// The spec lets each relaxed operator return one of a few results; waot
/// always picks the same one, on every target, so a program behaves the
/// same on x86_64 and aarch64 and from run to run:
///
/// - `i8x16.relaxed_swizzle` = `i8x16.swizzle` (out-of-range index -> 0).
/// - `i32x4.relaxed_trunc_f32x4_{s,u}` and `_f64x2_{s,u}_zero` = the
///   saturating `trunc_sat` conversions (NaN -> 0, out of range saturates).
/// - `f32x4/f64x2.relaxed_madd a b c` = `a * b + c` and `relaxed_nmadd` =
///   `-(a * b) + c`, **unfused** (two roundings): a fused `fma` needs the
///   FMA extension on x86_64, which the baseline target does not have.
/// - `iNxM.relaxed_laneselect` = `v128.bitselect` (a bitwise select on the
///   whole mask, not only each lane's top bit).
/// - `f32x4/f64x2.relaxed_{min,max}` = `fmin`/`fmax` (wasm's NaN and
///   signed-zero rules).
/// - `i16x8.relaxed_q15mulr_s` = `i16x8.q15mulr_sat_s` (saturates
///   `-32768 * -32768` to 32767).
/// - `i16x8.relaxed_dot_i8x16_i7x16_s` treats both operands as signed and
///   adds each pair of 16-bit products with wrapping; the `_add_s` form
///   then widens those sums (signed) to 32 bits, adds pairs and adds the
///   accumulator, wrapping. (The spec allows signed or unsigned second
///   operands; they agree when its top bits are clear, as the name says.)
fn translate_relaxed(cx: &mut FuncCx<'_, '_>, op: &Op<'_>) -> bool {
    use Op::*;
    let same_as = match *op {
        I8x16RelaxedSwizzle => I8x16Swizzle,
        I32x4RelaxedTruncF32x4S => I32x4TruncSatF32x4S,
        I32x4RelaxedTruncF32x4U => I32x4TruncSatF32x4U,
        I32x4RelaxedTruncF64x2SZero => I32x4TruncSatF64x2SZero,
        I32x4RelaxedTruncF64x2UZero => I32x4TruncSatF64x2UZero,
        I8x16RelaxedLaneselect
        | I16x8RelaxedLaneselect
        | I32x4RelaxedLaneselect
        | I64x2RelaxedLaneselect => V128Bitselect,
        F32x4RelaxedMin => F32x4Min,
        F32x4RelaxedMax => F32x4Max,
        F64x2RelaxedMin => F64x2Min,
        F64x2RelaxedMax => F64x2Max,
        I16x8RelaxedQ15mulrS => I16x8Q15MulrSatS,
        F32x4RelaxedMadd | F32x4RelaxedNmadd | F64x2RelaxedMadd | F64x2RelaxedNmadd => {
            let ty = if matches!(op, F32x4RelaxedMadd | F32x4RelaxedNmadd) {
                F32X4
            } else {
                F64X2
            };
            let c = cx.pop_as(ty);
            let (a, b) = cx.pop2_as(ty);
            let product = cx.b.ins().fmul(a, b);
            let v = if matches!(op, F32x4RelaxedMadd | F64x2RelaxedMadd) {
                cx.b.ins().fadd(product, c)
            } else {
                // -(a * b) + c: negation is exact, so this is c - a * b.
                cx.b.ins().fsub(c, product)
            };
            cx.push(v);
            return true;
        }
        I16x8RelaxedDotI8x16I7x16S => {
            let (a, b) = cx.pop2_as(I8X16);
            let v = relaxed_dot_i16(&mut cx.b, a, b);
            cx.push(v);
            return true;
        }
        I32x4RelaxedDotI8x16I7x16AddS => {
            let acc = cx.pop_as(I32X4);
            let (a, b) = cx.pop2_as(I8X16);
            let d = relaxed_dot_i16(&mut cx.b, a, b);
            let (lo, hi) = (cx.b.ins().swiden_low(d), cx.b.ins().swiden_high(d));
            let sums = cx.b.ins().iadd_pairwise(lo, hi);
            let v = cx.b.ins().iadd(sums, acc);
            cx.push(v);
            return true;
        }
        _ => return false,
    };
    translate_arith(cx, &same_as)
}

/// The 16-bit dot products of adjacent signed byte lanes of `a` and `b`
/// (wrapping), as `I16X8`.
fn relaxed_dot_i16(b: Builder<'_, '_>, x: ir::Value, y: ir::Value) -> ir::Value {
    let (xl, yl) = (b.ins().swiden_low(x), b.ins().swiden_low(y));
    let low = b.ins().imul(xl, yl);
    let (xh, yh) = (b.ins().swiden_high(x), b.ins().swiden_high(y));
    let high = b.ins().imul(xh, yh);
    b.ins().iadd_pairwise(low, high)
}

/// The integer vector type of a lane-wise integer operator.
fn int_shape(op: &Op<'_>) -> ir::Type {
    use Op::*;
    match op {
        I8x16AllTrue | I8x16Bitmask | I8x16Eq | I8x16Ne | I8x16LtS | I8x16LtU | I8x16GtS
        | I8x16GtU | I8x16LeS | I8x16LeU | I8x16GeS | I8x16GeU | I8x16Abs | I8x16Neg | I8x16Add
        | I8x16Sub | I8x16AddSatS | I8x16AddSatU | I8x16SubSatS | I8x16SubSatU | I8x16MinS
        | I8x16MinU | I8x16MaxS | I8x16MaxU | I8x16AvgrU | I8x16Shl | I8x16ShrS | I8x16ShrU => {
            I8X16
        }
        I16x8AllTrue | I16x8Bitmask | I16x8Eq | I16x8Ne | I16x8LtS | I16x8LtU | I16x8GtS
        | I16x8GtU | I16x8LeS | I16x8LeU | I16x8GeS | I16x8GeU | I16x8Abs | I16x8Neg | I16x8Add
        | I16x8Sub | I16x8Mul | I16x8AddSatS | I16x8AddSatU | I16x8SubSatS | I16x8SubSatU
        | I16x8MinS | I16x8MinU | I16x8MaxS | I16x8MaxU | I16x8AvgrU | I16x8Shl | I16x8ShrS
        | I16x8ShrU => I16X8,
        I32x4AllTrue | I32x4Bitmask | I32x4Eq | I32x4Ne | I32x4LtS | I32x4LtU | I32x4GtS
        | I32x4GtU | I32x4LeS | I32x4LeU | I32x4GeS | I32x4GeU | I32x4Abs | I32x4Neg | I32x4Add
        | I32x4Sub | I32x4Mul | I32x4MinS | I32x4MinU | I32x4MaxS | I32x4MaxU | I32x4Shl
        | I32x4ShrS | I32x4ShrU => I32X4,
        I64x2AllTrue | I64x2Bitmask | I64x2Eq | I64x2Ne | I64x2LtS | I64x2GtS | I64x2LeS
        | I64x2GeS | I64x2Abs | I64x2Neg | I64x2Add | I64x2Sub | I64x2Mul | I64x2Shl
        | I64x2ShrS | I64x2ShrU => I64X2,
        _ => unreachable!("not a lane-wise integer operator: {op:?}"),
    }
}

/// The float vector type of a lane-wise float operator.
fn float_shape(op: &Op<'_>) -> ir::Type {
    use Op::*;
    match op {
        F32x4Abs | F32x4Neg | F32x4Sqrt | F32x4Ceil | F32x4Floor | F32x4Trunc | F32x4Nearest
        | F32x4Add | F32x4Sub | F32x4Mul | F32x4Div | F32x4Min | F32x4Max | F32x4PMin
        | F32x4PMax => F32X4,
        F64x2Abs | F64x2Neg | F64x2Sqrt | F64x2Ceil | F64x2Floor | F64x2Trunc | F64x2Nearest
        | F64x2Add | F64x2Sub | F64x2Mul | F64x2Div | F64x2Min | F64x2Max | F64x2PMin
        | F64x2PMax => F64X2,
        _ => unreachable!("not a lane-wise float operator: {op:?}"),
    }
}
