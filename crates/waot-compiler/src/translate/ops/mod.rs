//! `translate_operator`: one arm per operator, each dispatching to the file
//! of its spec chapter (section 2.4 "Instructions").
//!
//! Numeric, conversion, GC and vector operators are many, so they are
//! matched inside `numeric.rs`, `conversion.rs`, `gc.rs` and `simd.rs`
//! (the wide-arithmetic ones beside them in `wide.rs`, the threads
//! proposal's atomic ones in `atomic.rs`); anything that none
//! recognizes is reported as unsupported (other proposals never reach here
//! unless enabled).

pub(super) mod atomic;
pub(super) mod call;
pub(super) mod control;
pub(super) mod conversion;
pub(super) mod exception;
pub(super) mod gc;
pub(super) mod memory;
pub(super) mod numeric;
pub(super) mod parametric;
pub(super) mod reference;
pub(super) mod simd;
pub(super) mod table;
pub(super) mod variable;
pub(super) mod wide;

use cranelift_codegen::ir::{self, types, InstBuilder};
use wasmparser::Operator as Op;

use super::{unsupported, FuncCx};
use crate::error::Result;
use memory::{Load, Store};

/// Translates one reachable operator at byte `offset`.
pub(super) fn translate_operator(cx: &mut FuncCx<'_, '_>, op: Op<'_>, offset: u64) -> Result<()> {
    match op {
        Op::Unreachable => control::translate_unreachable(cx),
        Op::Nop => {}
        Op::Block { blockty } => control::translate_block(cx, blockty, offset)?,
        Op::Loop { blockty } => control::translate_loop(cx, blockty, offset)?,
        Op::If { blockty } => control::translate_if(cx, blockty, offset)?,
        Op::Else => control::translate_else(cx),
        Op::End => control::translate_end(cx),
        Op::Br { relative_depth } => control::translate_br(cx, relative_depth),
        Op::BrIf { relative_depth } => control::translate_br_if(cx, relative_depth),
        Op::BrTable { targets } => control::translate_br_table(cx, &targets)?,
        Op::Return => control::translate_return(cx),
        Op::Call { function_index } => call::translate_call(cx, function_index, false),
        Op::CallIndirect {
            type_index,
            table_index,
        } => call::translate_call_indirect(cx, type_index, table_index, false),
        Op::ReturnCall { function_index } => call::translate_call(cx, function_index, true),
        Op::ReturnCallIndirect {
            type_index,
            table_index,
        } => call::translate_call_indirect(cx, type_index, table_index, true),
        Op::CallRef { type_index } => call::translate_call_ref(cx, type_index, false),
        Op::ReturnCallRef { type_index } => call::translate_call_ref(cx, type_index, true),
        Op::BrOnNull { relative_depth } => control::translate_br_on_null(cx, relative_depth),
        Op::BrOnNonNull { relative_depth } => control::translate_br_on_non_null(cx, relative_depth),

        Op::TryTable { try_table } => exception::translate_try_table(cx, try_table, offset)?,
        Op::Throw { tag_index } => exception::translate_throw(cx, tag_index),
        Op::ThrowRef => exception::translate_throw_ref(cx),
        Op::Try { blockty } => exception::translate_try(cx, blockty, offset)?,
        Op::Catch { tag_index } => exception::translate_catch(cx, Some(tag_index)),
        Op::CatchAll => exception::translate_catch(cx, None),
        Op::Rethrow { relative_depth } => exception::translate_rethrow(cx, relative_depth),
        Op::Delegate { relative_depth } => exception::translate_delegate(cx, relative_depth),

        Op::RefNull { .. } => reference::translate_ref_null(cx),
        Op::RefIsNull => reference::translate_ref_is_null(cx),
        Op::RefFunc { function_index } => reference::translate_ref_func(cx, function_index),
        Op::RefAsNonNull => reference::translate_ref_as_non_null(cx),

        Op::Drop => parametric::translate_drop(cx),
        Op::Select => parametric::translate_select(cx),
        Op::TypedSelect { .. } => parametric::translate_typed_select(cx),

        Op::LocalGet { local_index } => variable::translate_local_get(cx, local_index),
        Op::LocalSet { local_index } => variable::translate_local_set(cx, local_index),
        Op::LocalTee { local_index } => variable::translate_local_tee(cx, local_index),
        Op::GlobalGet { global_index } => variable::translate_global_get(cx, global_index),
        Op::GlobalSet { global_index } => variable::translate_global_set(cx, global_index),

        Op::TableGet { table } => table::translate_table_get(cx, table),
        Op::TableSet { table } => table::translate_table_set(cx, table),
        Op::TableSize { table } => table::translate_table_size(cx, table),
        Op::TableGrow { table } => table::translate_table_grow(cx, table),
        Op::TableFill { table } => table::translate_table_fill(cx, table),
        Op::TableCopy {
            dst_table,
            src_table,
        } => table::translate_table_copy(cx, dst_table, src_table),
        Op::TableInit { elem_index, table } => table::translate_table_init(cx, elem_index, table),
        Op::ElemDrop { elem_index } => table::translate_elem_drop(cx, elem_index),

        Op::I32Load { memarg } => memory::translate_load(cx, memarg, Load::I32, offset)?,
        Op::I64Load { memarg } => memory::translate_load(cx, memarg, Load::I64, offset)?,
        Op::F32Load { memarg } => memory::translate_load(cx, memarg, Load::F32, offset)?,
        Op::F64Load { memarg } => memory::translate_load(cx, memarg, Load::F64, offset)?,
        Op::I32Load8S { memarg } => memory::translate_load(cx, memarg, Load::I32_8S, offset)?,
        Op::I32Load8U { memarg } => memory::translate_load(cx, memarg, Load::I32_8U, offset)?,
        Op::I32Load16S { memarg } => memory::translate_load(cx, memarg, Load::I32_16S, offset)?,
        Op::I32Load16U { memarg } => memory::translate_load(cx, memarg, Load::I32_16U, offset)?,
        Op::I64Load8S { memarg } => memory::translate_load(cx, memarg, Load::I64_8S, offset)?,
        Op::I64Load8U { memarg } => memory::translate_load(cx, memarg, Load::I64_8U, offset)?,
        Op::I64Load16S { memarg } => memory::translate_load(cx, memarg, Load::I64_16S, offset)?,
        Op::I64Load16U { memarg } => memory::translate_load(cx, memarg, Load::I64_16U, offset)?,
        Op::I64Load32S { memarg } => memory::translate_load(cx, memarg, Load::I64_32S, offset)?,
        Op::I64Load32U { memarg } => memory::translate_load(cx, memarg, Load::I64_32U, offset)?,
        Op::I32Store { memarg } => memory::translate_store(cx, memarg, Store::Full(4), offset)?,
        Op::I64Store { memarg } => memory::translate_store(cx, memarg, Store::Full(8), offset)?,
        Op::F32Store { memarg } => memory::translate_store(cx, memarg, Store::Full(4), offset)?,
        Op::F64Store { memarg } => memory::translate_store(cx, memarg, Store::Full(8), offset)?,
        Op::I32Store8 { memarg } => memory::translate_store(cx, memarg, Store::Narrow8, offset)?,
        Op::I64Store8 { memarg } => memory::translate_store(cx, memarg, Store::Narrow8, offset)?,
        Op::I32Store16 { memarg } => memory::translate_store(cx, memarg, Store::Narrow16, offset)?,
        Op::I64Store16 { memarg } => memory::translate_store(cx, memarg, Store::Narrow16, offset)?,
        Op::I64Store32 { memarg } => memory::translate_store(cx, memarg, Store::Narrow32, offset)?,
        Op::MemorySize { mem } => memory::translate_memory_size(cx, mem),
        Op::MemoryGrow { mem } => memory::translate_memory_grow(cx, mem),
        Op::MemoryFill { mem } => memory::translate_memory_fill(cx, mem),
        Op::MemoryCopy { dst_mem, src_mem } => memory::translate_memory_copy(cx, dst_mem, src_mem),
        Op::MemoryInit { data_index, mem } => memory::translate_memory_init(cx, data_index, mem),
        Op::DataDrop { data_index } => memory::translate_data_drop(cx, data_index),

        op => {
            if !numeric::translate(cx, &op)
                && !conversion::translate(cx, &op)
                && !gc::translate(cx, &op, offset)?
                && !simd::translate(cx, &op, offset)?
                && !atomic::translate(cx, &op, offset)?
                && !wide::translate(cx, &op)
            {
                return Err(unsupported(&operator_name(&op), offset));
            }
        }
    }
    Ok(())
}

/// An `i32` constant for a memory, table or segment index.
fn index_const(cx: &mut FuncCx<'_, '_>, index: u32) -> ir::Value {
    cx.b.ins().iconst(types::I32, i64::from(index))
}

/// Zero-extends a wasm `i32` address, length or count to the builtins'
/// `i64`; an `i64` one (of a 64-bit memory or table) is already that.
fn zext(cx: &mut FuncCx<'_, '_>, v: ir::Value) -> ir::Value {
    if cx.b.func.dfg.value_type(v) == types::I64 {
        v
    } else {
        cx.b.ins().uextend(types::I64, v)
    }
}

/// The operator's name as wasmparser spells it (`V128Load`, `ReturnCall`).
pub(super) fn operator_name(op: &Op<'_>) -> String {
    let debug = format!("{op:?}");
    let end = debug
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(debug.len());
    debug[..end].to_string()
}
