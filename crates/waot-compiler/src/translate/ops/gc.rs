//! GC instructions (WebAssembly 3.0): structs and arrays (spec section
//! 4.4.7 "Aggregate Instructions"), `i31`, `ref.eq`, casts and the
//! `any`/`extern` conversions (4.4.2 "Reference Instructions").
//!
//! References are 64-bit words laid out as `waot_abi::gc` says (and
//! `docs/GC.md` explains): 0 is null, a set low bit is an `i31`, anything
//! else points to an object whose header holds its canonical type id and
//! kind. Field and element accesses, `array.len`, `i31`, `ref.eq` and all
//! type tests are inline; allocation, the bulk array operations and the two
//! conversions call builtins (`FuncEnv::call_gc_builtin` turns their
//! failure codes into traps).
//!
//! Objects are not in linear memory: accesses are `notrap` (after an
//! explicit null check) and `aligned` (every field and element is naturally
//! aligned in a 16-byte aligned object), never `readonly` (fields change,
//! and the collector reuses freed memory).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, types, BlockArg, InstBuilder, InstructionData, MemFlagsData, Opcode, StackSlotData,
    StackSlotKind,
};
use waot_abi::builtins::Builtin;
use waot_abi::gc::{
    self, storage_size, ObjectKind, ARRAY_DATA, ARRAY_LENGTH, BUMP_BASE, BUMP_CURSOR, BUMP_END,
    BUMP_STARTS, HEADER_FLAGS, HEADER_TYPE_ID, I31_TAG, KIND_MASK, OBJECT_ALIGN,
};
use waot_abi::meta::{FieldType, GcComposite, HeapType, RefType, StorageType};
use waot_abi::trap::TrapKind;
use wasmparser::Operator as Op;

use super::index_const;
use crate::abi::{self, POINTER_TYPE};
use crate::error::{CompileError, Result};
use crate::translate::env::trap_code;
use crate::translate::FuncCx;

/// Translates `op` if it is a GC instruction; `false` if it is not one.
pub(super) fn translate(cx: &mut FuncCx<'_, '_>, op: &Op<'_>, offset: u64) -> Result<bool> {
    match *op {
        Op::StructNew { struct_type_index } => struct_new(cx, struct_type_index, false)?,
        Op::StructNewDefault { struct_type_index } => struct_new(cx, struct_type_index, true)?,
        Op::StructGet {
            struct_type_index,
            field_index,
        } => struct_get(cx, struct_type_index, field_index, Extend::None)?,
        Op::StructGetS {
            struct_type_index,
            field_index,
        } => struct_get(cx, struct_type_index, field_index, Extend::Signed)?,
        Op::StructGetU {
            struct_type_index,
            field_index,
        } => struct_get(cx, struct_type_index, field_index, Extend::Unsigned)?,
        Op::StructSet {
            struct_type_index,
            field_index,
        } => struct_set(cx, struct_type_index, field_index)?,

        Op::ArrayNew { array_type_index } => array_new(cx, array_type_index)?,
        Op::ArrayNewDefault { array_type_index } => {
            let len = cx.pop();
            let array = new_array(cx, array_type_index, len);
            cx.push(array);
        }
        Op::ArrayNewFixed {
            array_type_index,
            array_size,
        } => array_new_fixed(cx, array_type_index, array_size)?,
        Op::ArrayNewData {
            array_type_index,
            array_data_index,
        } => array_new_segment(
            cx,
            Builtin::ArrayNewData,
            array_type_index,
            array_data_index,
        ),
        Op::ArrayNewElem {
            array_type_index,
            array_elem_index,
        } => array_new_segment(
            cx,
            Builtin::ArrayNewElem,
            array_type_index,
            array_elem_index,
        ),
        Op::ArrayGet { array_type_index } => array_get(cx, array_type_index, Extend::None)?,
        Op::ArrayGetS { array_type_index } => array_get(cx, array_type_index, Extend::Signed)?,
        Op::ArrayGetU { array_type_index } => array_get(cx, array_type_index, Extend::Unsigned)?,
        Op::ArraySet { array_type_index } => array_set(cx, array_type_index)?,
        Op::ArrayLen => {
            let array = cx.pop();
            let len = array_len(cx, array);
            cx.push(len);
        }
        Op::ArrayFill { array_type_index } => array_fill(cx, array_type_index)?,
        Op::ArrayCopy { .. } => {
            let [dst, dst_index, src, src_index, len] = pop_array(cx);
            null_check(cx, dst, TrapKind::NullArrayReference);
            null_check(cx, src, TrapKind::NullArrayReference);
            let args = [dst, dst_index, src, src_index, len];
            cx.env.call_gc_builtin(&mut cx.b, Builtin::ArrayCopy, &args);
        }
        Op::ArrayInitData {
            array_data_index, ..
        } => array_init_segment(cx, Builtin::ArrayInitData, array_data_index),
        Op::ArrayInitElem {
            array_elem_index, ..
        } => array_init_segment(cx, Builtin::ArrayInitElem, array_elem_index),

        Op::RefI31 => {
            // In 32 bits, so bit 31 of the operand falls off (`ref.i31`
            // wraps to 31 bits).
            let x = cx.pop();
            let shifted = cx.b.ins().ishl_imm_u(x, 1);
            let tagged = cx.b.ins().bor_imm_u(shifted, I31_TAG as i64);
            let v = cx.b.ins().uextend(types::I64, tagged);
            cx.push(v);
        }
        Op::I31GetS | Op::I31GetU => {
            let r = cx.pop();
            null_check(cx, r, TrapKind::NullI31Reference);
            let low = cx.b.ins().ireduce(types::I32, r);
            let v = if matches!(op, Op::I31GetS) {
                cx.b.ins().sshr_imm_u(low, 1)
            } else {
                cx.b.ins().ushr_imm_u(low, 1)
            };
            cx.push(v);
        }
        Op::RefEq => {
            let (a, b) = cx.pop2();
            let eq = cx.b.ins().icmp(IntCC::Equal, a, b);
            let v = cx.b.ins().uextend(types::I32, eq);
            cx.push(v);
        }

        Op::RefTestNonNull { hty } => ref_test(cx, hty, false, offset)?,
        Op::RefTestNullable { hty } => ref_test(cx, hty, true, offset)?,
        Op::RefCastNonNull { hty } => ref_cast(cx, hty, false, offset)?,
        Op::RefCastNullable { hty } => ref_cast(cx, hty, true, offset)?,
        Op::BrOnCast {
            relative_depth,
            to_ref_type,
            ..
        } => br_on_cast(cx, relative_depth, to_ref_type, true, offset)?,
        Op::BrOnCastFail {
            relative_depth,
            to_ref_type,
            ..
        } => br_on_cast(cx, relative_depth, to_ref_type, false, offset)?,

        Op::AnyConvertExtern | Op::ExternConvertAny => {
            let builtin = if matches!(op, Op::AnyConvertExtern) {
                Builtin::AnyConvertExtern
            } else {
                Builtin::ExternConvertAny
            };
            let r = cx.pop();
            let v = gc_builtin_value(cx, builtin, &[r]);
            cx.push(v);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// How a packed (`i8`/`i16`) field or element becomes an `i32`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Extend {
    /// Not packed (`struct.get`, `array.get`).
    None,
    /// `_s`
    Signed,
    /// `_u`
    Unsigned,
}

/// Flags of an access to a field, element or header of a non-null object.
fn object_flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// An internal error for a type index that validation would have refused.
fn not_a(what: &str, type_index: u32) -> CompileError {
    CompileError::Internal(format!("type {type_index} is not {what}"))
}

/// The fields of struct type `type_index` and their offsets.
fn struct_fields<'m>(cx: &FuncCx<'_, 'm>, type_index: u32) -> Result<(&'m [FieldType], &'m [u32])> {
    let info = cx.env.info;
    match (
        info.meta.gc_type(type_index),
        info.struct_layouts.get(&type_index),
    ) {
        (Some(GcComposite::Struct(fields)), Some(layout)) => Ok((fields, &layout.offsets)),
        _ => Err(not_a("a struct type", type_index)),
    }
}

/// The element storage of array type `type_index`.
fn array_storage(cx: &FuncCx<'_, '_>, type_index: u32) -> Result<StorageType> {
    match cx.env.info.meta.gc_type(type_index) {
        Some(GcComposite::Array(f)) => Ok(f.storage),
        _ => Err(not_a("an array type", type_index)),
    }
}

/// Traps with `kind` when reference `r` is null.
fn null_check(cx: &mut FuncCx<'_, '_>, r: ir::Value, kind: TrapKind) {
    cx.b.ins().trapz(r, trap_code(kind));
}

/// Pops the `N` operands of an array instruction, in push order.
fn pop_array<const N: usize>(cx: &mut FuncCx<'_, '_>) -> [ir::Value; N] {
    cx.popn(N).try_into().expect("popn returns N values")
}

/// Reads a value of `storage` at `base + offset`.
fn load(
    cx: &mut FuncCx<'_, '_>,
    storage: StorageType,
    ext: Extend,
    base: ir::Value,
    offset: u32,
) -> ir::Value {
    let (f, off, ins) = (object_flags(), offset as i32, cx.b.ins());
    match (storage, ext) {
        (StorageType::I8, Extend::Signed) => ins.sload8(types::I32, f, base, off),
        (StorageType::I8, _) => ins.uload8(types::I32, f, base, off),
        (StorageType::I16, Extend::Signed) => ins.sload16(types::I32, f, base, off),
        (StorageType::I16, _) => ins.uload16(types::I32, f, base, off),
        (StorageType::Val(t), _) => ins.load(abi::clif_type(t), f, base, off),
    }
}

/// Writes `value` as `storage` (packed ones truncated) at `base + offset`.
fn store(
    cx: &mut FuncCx<'_, '_>,
    storage: StorageType,
    value: ir::Value,
    base: ir::Value,
    offset: u32,
) {
    let (f, off, ins) = (object_flags(), offset as i32, cx.b.ins());
    match storage {
        StorageType::I8 => ins.istore8(f, value, base, off),
        StorageType::I16 => ins.istore16(f, value, base, off),
        StorageType::Val(_) => ins.store(f, value, base, off),
    };
}

/// Whether `v` is an integer constant 0, which a freshly allocated (zeroed)
/// object already holds.
fn is_zero(cx: &FuncCx<'_, '_>, v: ir::Value) -> bool {
    let dfg = &cx.b.func.dfg;
    dfg.value_def(v).inst().is_some_and(|inst| {
        matches!(
            dfg.insts[inst],
            InstructionData::UnaryImm { opcode: Opcode::Iconst, imm } if imm.bits() == 0
        )
    })
}

/// Calls allocating or converting `builtin`, trapping on failure; its result.
fn gc_builtin_value(cx: &mut FuncCx<'_, '_>, builtin: Builtin, args: &[ir::Value]) -> ir::Value {
    cx.env
        .call_gc_builtin(&mut cx.b, builtin, args)
        .expect("allocating and converting builtins return a value")
}

// ---- structs ---------------------------------------------------------------

/// `struct.new x` (fields from the stack) / `struct.new_default x`.
fn struct_new(cx: &mut FuncCx<'_, '_>, type_index: u32, default: bool) -> Result<()> {
    let (fields, offsets) = struct_fields(cx, type_index)?;
    let values = if default {
        Vec::new()
    } else {
        cx.popn(fields.len())
    };
    let object = allocate_struct(cx, type_index, fields)?;
    for ((field, &offset), &value) in fields.iter().zip(offsets).zip(&values) {
        if !is_zero(cx, value) {
            store(cx, field.storage, value, object, offset);
        }
    }
    cx.push(object);
    Ok(())
}

/// A zeroed struct of type `type_index` with its header written, bumped
/// out of the store's bump region inline (`waot_abi::gc::VmGcBump`: move
/// the cursor, write the header, set the object's start bit), or from the
/// `GcNewStruct` builtin when the region has no room (which refills it, and
/// collects when one is due).
fn allocate_struct(
    cx: &mut FuncCx<'_, '_>,
    type_index: u32,
    fields: &[FieldType],
) -> Result<ir::Value> {
    let size = match cx.env.info.struct_layouts.get(&type_index) {
        Some(layout) => layout.size,
        None => return Err(not_a("a struct type", type_index)),
    };
    let bytes = gc::allocation_size(size);
    let header = gc::header_flags(ObjectKind::Struct, gc::fields_hold_refs(fields), bytes);
    let f = object_flags();

    let region = cx.env.gc_bump_region(&mut cx.b);
    let cursor = cx.b.ins().load(POINTER_TYPE, f, region, BUMP_CURSOR as i32);
    let end = cx.b.ins().load(POINTER_TYPE, f, region, BUMP_END as i32);
    let next = cx.b.ins().iadd_imm_u(cursor, i64::from(bytes));
    let fits = cx.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, next, end);
    let (fast, slow, done) = (
        cx.b.create_block(),
        cx.b.create_block(),
        cx.b.create_block(),
    );
    let object = cx.b.append_block_param(done, POINTER_TYPE);
    cx.b.ins().brif(fits, fast, &[], slow, &[]);

    cx.b.seal_block(fast);
    cx.b.switch_to_block(fast);
    cx.b.ins().store(f, next, region, BUMP_CURSOR as i32);
    let type_id = cx.env.type_id(&mut cx.b, type_index);
    cx.b.ins().store(f, type_id, cursor, HEADER_TYPE_ID as i32);
    let header = cx.b.ins().iconst(types::I32, i64::from(header));
    cx.b.ins().store(f, header, cursor, HEADER_FLAGS as i32);
    let base = cx.b.ins().load(POINTER_TYPE, f, region, BUMP_BASE as i32);
    let starts = cx.b.ins().load(POINTER_TYPE, f, region, BUMP_STARTS as i32);
    let offset = cx.b.ins().isub(cursor, base);
    let granule =
        cx.b.ins()
            .ushr_imm_u(offset, i64::from(OBJECT_ALIGN.trailing_zeros()));
    let word = cx.b.ins().ushr_imm_u(granule, 6);
    let word_offset = cx.b.ins().ishl_imm_u(word, 3);
    let word_addr = cx.b.ins().iadd(starts, word_offset);
    let one = cx.b.ins().iconst(types::I64, 1);
    // `ishl` takes the shift amount modulo 64: the granule's bit in its word.
    let bit = cx.b.ins().ishl(one, granule);
    let bits = cx.b.ins().load(types::I64, f, word_addr, 0);
    let bits = cx.b.ins().bor(bits, bit);
    cx.b.ins().store(f, bits, word_addr, 0);
    cx.b.ins().jump(done, &[BlockArg::Value(cursor)]);

    cx.b.seal_block(slow);
    cx.b.switch_to_block(slow);
    cx.b.set_cold_block(slow);
    let t = index_const(cx, type_index);
    let allocated = gc_builtin_value(cx, Builtin::GcNewStruct, &[t]);
    cx.b.ins().jump(done, &[BlockArg::Value(allocated)]);

    cx.b.seal_block(done);
    cx.b.switch_to_block(done);
    Ok(object)
}

/// `struct.get x y`, `struct.get_s x y`, `struct.get_u x y`
fn struct_get(cx: &mut FuncCx<'_, '_>, type_index: u32, field: u32, ext: Extend) -> Result<()> {
    let (fields, offsets) = struct_fields(cx, type_index)?;
    let (storage, offset) = (fields[field as usize].storage, offsets[field as usize]);
    let r = cx.pop();
    null_check(cx, r, TrapKind::NullStructReference);
    let v = load(cx, storage, ext, r, offset);
    cx.push(v);
    Ok(())
}

/// `struct.set x y`
fn struct_set(cx: &mut FuncCx<'_, '_>, type_index: u32, field: u32) -> Result<()> {
    let (fields, offsets) = struct_fields(cx, type_index)?;
    let (storage, offset) = (fields[field as usize].storage, offsets[field as usize]);
    let (r, value) = cx.pop2();
    null_check(cx, r, TrapKind::NullStructReference);
    store(cx, storage, value, r, offset);
    Ok(())
}

// ---- arrays ----------------------------------------------------------------

/// A new zeroed array of type `type_index` with `len` (an `i32`) elements.
fn new_array(cx: &mut FuncCx<'_, '_>, type_index: u32, len: ir::Value) -> ir::Value {
    let t = index_const(cx, type_index);
    gc_builtin_value(cx, Builtin::GcNewArray, &[t, len])
}

/// `array.new x`: allocates, then stores the value into every element in
/// an inline loop (unless it is the constant 0 the array already holds).
fn array_new(cx: &mut FuncCx<'_, '_>, type_index: u32) -> Result<()> {
    let storage = array_storage(cx, type_index)?;
    let (value, len) = cx.pop2();
    let array = new_array(cx, type_index, len);
    if !is_zero(cx, value) {
        let size = storage_size(storage);
        let start = cx.b.ins().iadd_imm_u(array, i64::from(ARRAY_DATA));
        let count = cx.b.ins().uextend(types::I64, len);
        let bytes =
            cx.b.ins()
                .ishl_imm_u(count, i64::from(size.trailing_zeros()));
        let end = cx.b.ins().iadd(start, bytes);

        let header = cx.b.create_block();
        let p = cx.b.append_block_param(header, POINTER_TYPE);
        let body = cx.b.create_block();
        let done = cx.b.create_block();
        cx.b.ins().jump(header, &[BlockArg::Value(start)]);
        cx.b.switch_to_block(header);
        let more = cx.b.ins().icmp(IntCC::UnsignedLessThan, p, end);
        cx.b.ins().brif(more, body, &[], done, &[]);
        cx.b.seal_block(body);
        cx.b.switch_to_block(body);
        store(cx, storage, value, p, 0);
        let next = cx.b.ins().iadd_imm_u(p, i64::from(size));
        cx.b.ins().jump(header, &[BlockArg::Value(next)]);
        cx.b.seal_block(header);
        cx.b.seal_block(done);
        cx.b.switch_to_block(done);
    }
    cx.push(array);
    Ok(())
}

/// `array.new_fixed x n`: allocates, then stores the `n` operands.
fn array_new_fixed(cx: &mut FuncCx<'_, '_>, type_index: u32, n: u32) -> Result<()> {
    let storage = array_storage(cx, type_index)?;
    let size = storage_size(storage);
    let values = cx.popn(n as usize);
    let len = cx.b.ins().iconst(types::I32, i64::from(n));
    let array = new_array(cx, type_index, len);
    for (i, &value) in (0u32..).zip(&values) {
        if !is_zero(cx, value) {
            store(cx, storage, value, array, ARRAY_DATA + i * size);
        }
    }
    cx.push(array);
    Ok(())
}

/// `array.new_data x y` / `array.new_elem x y`: the builtin copies the
/// segment's bytes or elements.
fn array_new_segment(cx: &mut FuncCx<'_, '_>, builtin: Builtin, type_index: u32, segment: u32) {
    let (offset, len) = cx.pop2();
    let t = index_const(cx, type_index);
    let s = index_const(cx, segment);
    let array = gc_builtin_value(cx, builtin, &[t, s, offset, len]);
    cx.push(array);
}

/// The length (`i32`) of array `array`, after its null check.
fn array_len(cx: &mut FuncCx<'_, '_>, array: ir::Value) -> ir::Value {
    null_check(cx, array, TrapKind::NullArrayReference);
    cx.b.ins()
        .load(types::I32, object_flags(), array, ARRAY_LENGTH as i32)
}

/// The address of element `index` of `array` (elements of `storage`) minus
/// [`ARRAY_DATA`], after the null and bounds checks.
fn element_base(
    cx: &mut FuncCx<'_, '_>,
    storage: StorageType,
    array: ir::Value,
    index: ir::Value,
) -> ir::Value {
    let len = array_len(cx, array);
    let out_of_bounds =
        cx.b.ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
    cx.b.ins()
        .trapnz(out_of_bounds, trap_code(TrapKind::ArrayOutOfBounds));
    let index = cx.b.ins().uextend(types::I64, index);
    let shift = storage_size(storage).trailing_zeros();
    let byte_offset = cx.b.ins().ishl_imm_u(index, i64::from(shift));
    cx.b.ins().iadd(array, byte_offset)
}

/// `array.get x`, `array.get_s x`, `array.get_u x`
fn array_get(cx: &mut FuncCx<'_, '_>, type_index: u32, ext: Extend) -> Result<()> {
    let storage = array_storage(cx, type_index)?;
    let (array, index) = cx.pop2();
    let base = element_base(cx, storage, array, index);
    let v = load(cx, storage, ext, base, ARRAY_DATA);
    cx.push(v);
    Ok(())
}

/// `array.set x`
fn array_set(cx: &mut FuncCx<'_, '_>, type_index: u32) -> Result<()> {
    let storage = array_storage(cx, type_index)?;
    let (array, index, value) = cx.pop3();
    let base = element_base(cx, storage, array, index);
    store(cx, storage, value, base, ARRAY_DATA);
    Ok(())
}

/// `array.fill x`: the builtin reads the value from a stack slot.
fn array_fill(cx: &mut FuncCx<'_, '_>, type_index: u32) -> Result<()> {
    let storage = array_storage(cx, type_index)?;
    let [array, index, value, len] = pop_array(cx);
    null_check(cx, array, TrapKind::NullArrayReference);
    let size = storage_size(storage);
    let slot = cx.b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        size,
        size.trailing_zeros() as u8,
    ));
    let value_ptr = cx.b.ins().stack_addr(POINTER_TYPE, slot, 0);
    store(cx, storage, value, value_ptr, 0);
    let args = [array, index, value_ptr, len];
    cx.env.call_gc_builtin(&mut cx.b, Builtin::ArrayFill, &args);
    Ok(())
}

/// `array.init_data x y` / `array.init_elem x y`
fn array_init_segment(cx: &mut FuncCx<'_, '_>, builtin: Builtin, segment: u32) {
    let [array, index, offset, len] = pop_array(cx);
    null_check(cx, array, TrapKind::NullArrayReference);
    let s = index_const(cx, segment);
    cx.env
        .call_gc_builtin(&mut cx.b, builtin, &[array, index, s, offset, len]);
}

// ---- casts -----------------------------------------------------------------

/// The target type of a cast instruction.
fn target(hty: wasmparser::HeapType, nullable: bool, offset: u64) -> Result<RefType> {
    Ok(RefType {
        nullable,
        heap: crate::module::heap_type(hty, offset)?,
    })
}

/// `ref.test (ref null? ht)`
fn ref_test(
    cx: &mut FuncCx<'_, '_>,
    hty: wasmparser::HeapType,
    nullable: bool,
    offset: u64,
) -> Result<()> {
    let target = target(hty, nullable, offset)?;
    let r = cx.pop();
    let ok = is_instance(cx, r, target);
    let v = cx.b.ins().uextend(types::I32, ok);
    cx.push(v);
    Ok(())
}

/// `ref.cast (ref null? ht)`: traps unless the reference has the type.
fn ref_cast(
    cx: &mut FuncCx<'_, '_>,
    hty: wasmparser::HeapType,
    nullable: bool,
    offset: u64,
) -> Result<()> {
    let target = target(hty, nullable, offset)?;
    let r = *cx.peekn(1).first().expect("validated: a reference operand");
    let ok = is_instance(cx, r, target);
    cx.b.ins().trapz(ok, trap_code(TrapKind::CastFailure));
    Ok(())
}

/// `br_on_cast l rt1 rt2` (`on_success`) / `br_on_cast_fail l rt1 rt2`:
/// branches with the reference when it has (has not) type `rt2`, else
/// leaves it on the stack.
fn br_on_cast(
    cx: &mut FuncCx<'_, '_>,
    depth: u32,
    to: wasmparser::RefType,
    on_success: bool,
    offset: u64,
) -> Result<()> {
    let target = target(to.heap_type(), to.is_nullable(), offset)?;
    let r = *cx.peekn(1).first().expect("validated: a reference operand");
    let ok = is_instance(cx, r, target);
    let (dest, n) = cx.branch_target(depth);
    let args = cx.branch_args(n);
    let next = cx.b.create_block();
    if on_success {
        cx.b.ins().brif(ok, dest, &args, next, &[]);
    } else {
        cx.b.ins().brif(ok, next, &[], dest, &args);
    }
    cx.b.seal_block(next);
    cx.b.switch_to_block(next);
    Ok(())
}

/// Whether reference `r` is a value of type `target`: an `i8`, 0 or 1.
///
/// Only the target matters: validation put `r` in the target's hierarchy.
/// Null is in every nullable type and no other; an `i31` is in `any`, `eq`
/// and `i31`; an object's kind says whether it is in `eq`, `struct` or
/// `array` (boxes from `any.convert_extern` are only in `any`); a concrete
/// type compares canonical type ids, and asks the runtime about declared
/// subtypes when the target type is not final.
fn is_instance(cx: &mut FuncCx<'_, '_>, r: ir::Value, target: RefType) -> ir::Value {
    let nullable = target.nullable;
    match target.heap {
        HeapType::Any | HeapType::Func | HeapType::Extern | HeapType::Exn => {
            if nullable {
                cx.b.ins().iconst(types::I8, 1)
            } else {
                cx.b.ins().icmp_imm_u(IntCC::NotEqual, r, 0)
            }
        }
        HeapType::None | HeapType::NoFunc | HeapType::NoExtern | HeapType::NoExn => {
            if nullable {
                cx.b.ins().icmp_imm_u(IntCC::Equal, r, 0)
            } else {
                cx.b.ins().iconst(types::I8, 0)
            }
        }
        HeapType::I31 => {
            let tag = cx.b.ins().band_imm_u(r, I31_TAG as i64);
            let is_i31 = cx.b.ins().icmp_imm_u(IntCC::NotEqual, tag, 0);
            if nullable {
                let is_null = cx.b.ins().icmp_imm_u(IntCC::Equal, r, 0);
                cx.b.ins().bor(is_i31, is_null)
            } else {
                is_i31
            }
        }
        HeapType::Eq | HeapType::Struct | HeapType::Array | HeapType::Concrete(_) => {
            is_object_instance(cx, r, target)
        }
    }
}

/// [`is_instance`] for `eq`, `struct`, `array` and concrete types, which
/// look at the referenced object (or function).
fn is_object_instance(cx: &mut FuncCx<'_, '_>, r: ir::Value, target: RefType) -> ir::Value {
    let done = cx.b.create_block();
    let result = cx.b.append_block_param(done, types::I8);
    let constant = |cx: &mut FuncCx<'_, '_>, v: bool| {
        BlockArg::Value(cx.b.ins().iconst(types::I8, i64::from(v)))
    };

    let non_null = cx.b.create_block();
    let if_null = constant(cx, target.nullable);
    cx.b.ins().brif(r, non_null, &[], done, &[if_null]);
    cx.b.seal_block(non_null);
    cx.b.switch_to_block(non_null);

    let func_type = match target.heap {
        HeapType::Concrete(t) => cx.env.info.meta.gc_type(t).is_none(),
        _ => false,
    };
    if !func_type {
        let object = cx.b.create_block();
        let tag = cx.b.ins().band_imm_u(r, I31_TAG as i64);
        let if_i31 = constant(cx, target.heap == HeapType::Eq);
        cx.b.ins().brif(tag, done, &[if_i31], object, &[]);
        cx.b.seal_block(object);
        cx.b.switch_to_block(object);
    }

    let ok = match target.heap {
        HeapType::Concrete(t) => {
            let actual = if func_type {
                cx.env.funcref_type_id(&mut cx.b, r)
            } else {
                cx.b.ins()
                    .load(types::I32, object_flags(), r, HEADER_TYPE_ID as i32)
            };
            let expected = cx.env.type_id(&mut cx.b, t);
            let same = cx.b.ins().icmp(IntCC::Equal, actual, expected);
            if cx.env.info.meta.type_info(t).is_final {
                same
            } else {
                let slow = cx.b.create_block();
                let yes = constant(cx, true);
                cx.b.ins().brif(same, done, &[yes], slow, &[]);
                cx.b.seal_block(slow);
                cx.b.switch_to_block(slow);
                cx.b.set_cold_block(slow);
                if !func_type {
                    // A box (type id 0) has no supertypes to ask about.
                    let is_aggregate = is_aggregate(cx, r);
                    let ask = cx.b.create_block();
                    let no = constant(cx, false);
                    cx.b.ins().brif(is_aggregate, ask, &[], done, &[no]);
                    cx.b.seal_block(ask);
                    cx.b.switch_to_block(ask);
                    cx.b.set_cold_block(ask);
                }
                let status = cx
                    .env
                    .call_builtin_unchecked(&mut cx.b, Builtin::FuncSubtype, &[actual, expected])
                    .expect("FuncSubtype returns a status");
                cx.b.ins().icmp_imm_u(IntCC::Equal, status, 0)
            }
        }
        HeapType::Struct => has_kind(cx, r, ObjectKind::Struct),
        HeapType::Array => has_kind(cx, r, ObjectKind::Array),
        // `eq`: a struct or an array (not a box).
        _ => is_aggregate(cx, r),
    };
    cx.b.ins().jump(done, &[BlockArg::Value(ok)]);
    cx.b.seal_block(done);
    cx.b.switch_to_block(done);
    result
}

/// The [`ObjectKind`] bits of object `r`'s header.
fn object_kind(cx: &mut FuncCx<'_, '_>, r: ir::Value) -> ir::Value {
    let flags =
        cx.b.ins()
            .load(types::I32, object_flags(), r, HEADER_FLAGS as i32);
    cx.b.ins().band_imm_u(flags, i64::from(KIND_MASK))
}

/// Whether object `r` is a struct or an array (not a box): its kind is at
/// most [`ObjectKind::Array`].
fn is_aggregate(cx: &mut FuncCx<'_, '_>, r: ir::Value) -> ir::Value {
    let kind = object_kind(cx, r);
    cx.b.ins().icmp_imm_u(
        IntCC::UnsignedLessThanOrEqual,
        kind,
        ObjectKind::Array as i64,
    )
}

/// Whether object `r` is of kind `kind`.
fn has_kind(cx: &mut FuncCx<'_, '_>, r: ir::Value, kind: ObjectKind) -> ir::Value {
    let actual = object_kind(cx, r);
    cx.b.ins().icmp_imm_u(IntCC::Equal, actual, kind as i64)
}
