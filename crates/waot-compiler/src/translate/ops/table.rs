//! Table instructions (spec section 4.4.6). `table.get`, `table.set` and
//! `table.size` are inline; the rest call builtins. Table elements are
//! 8-byte pointers (null is 0).
//!
//! A table64 table takes `i64` indices, sizes and counts; builtins take
//! `i64` operands either way (`zext` widens an `i32` one), and `table.size`
//! and `table.grow` narrow their result for an `i32`-indexed table.

use cranelift_codegen::ir::{self, types, InstBuilder};
use waot_abi::builtins::Builtin;

use super::{index_const, zext};
use crate::translate::FuncCx;

/// Narrows a size or old size (`i64`, -1 for failure) to the `i32` an
/// `i32`-indexed table's `table.size`/`table.grow` returns.
fn narrow_if32(cx: &mut FuncCx<'_, '_>, table: u32, v: ir::Value) -> ir::Value {
    if cx.env.table64(table) {
        v
    } else {
        cx.b.ins().ireduce(types::I32, v)
    }
}

/// `table.get x`
pub(crate) fn translate_table_get(cx: &mut FuncCx<'_, '_>, table: u32) {
    let index = cx.pop();
    let v = cx.env.table_get(&mut cx.b, table, index);
    cx.push(v);
}

/// `table.set x`
pub(crate) fn translate_table_set(cx: &mut FuncCx<'_, '_>, table: u32) {
    let (index, value) = cx.pop2();
    cx.env.table_set(&mut cx.b, table, index, value);
}

/// `table.size x`
pub(crate) fn translate_table_size(cx: &mut FuncCx<'_, '_>, table: u32) {
    let len = cx.env.table_len(&mut cx.b, table);
    let v = narrow_if32(cx, table, len);
    cx.push(v);
}

/// `table.grow x`: the old size, or -1.
pub(crate) fn translate_table_grow(cx: &mut FuncCx<'_, '_>, table: u32) {
    let (init, delta) = cx.pop2();
    let t = index_const(cx, table);
    let delta = zext(cx, delta);
    let old = cx
        .env
        .call_builtin(&mut cx.b, Builtin::TableGrow, &[t, init, delta])
        .expect("table.grow returns the old size");
    let v = narrow_if32(cx, table, old);
    cx.push(v);
}

/// `table.fill x`
pub(crate) fn translate_table_fill(cx: &mut FuncCx<'_, '_>, table: u32) {
    let (dst, value, len) = cx.pop3();
    let t = index_const(cx, table);
    let dst = zext(cx, dst);
    let len = zext(cx, len);
    cx.env
        .call_builtin(&mut cx.b, Builtin::TableFill, &[t, dst, value, len]);
}

/// `table.copy x y`; between an `i32`- and an `i64`-indexed table the length
/// is an `i32` (the smaller index type).
pub(crate) fn translate_table_copy(cx: &mut FuncCx<'_, '_>, dst_table: u32, src_table: u32) {
    let (dst, src, len) = cx.pop3();
    let dt = index_const(cx, dst_table);
    let st = index_const(cx, src_table);
    let (dst, src, len) = (zext(cx, dst), zext(cx, src), zext(cx, len));
    cx.env
        .call_builtin(&mut cx.b, Builtin::TableCopy, &[dt, st, dst, src, len]);
}

/// `table.init x y` (the destination has the table's index type; the
/// segment offset and length are `i32`).
pub(crate) fn translate_table_init(cx: &mut FuncCx<'_, '_>, elem_index: u32, table: u32) {
    let (dst, src, len) = cx.pop3();
    let t = index_const(cx, table);
    let e = index_const(cx, elem_index);
    let (dst, src, len) = (zext(cx, dst), zext(cx, src), zext(cx, len));
    cx.env
        .call_builtin(&mut cx.b, Builtin::TableInit, &[t, e, dst, src, len]);
}

/// `elem.drop x`
pub(crate) fn translate_elem_drop(cx: &mut FuncCx<'_, '_>, elem_index: u32) {
    let e = index_const(cx, elem_index);
    cx.env.call_builtin(&mut cx.b, Builtin::ElemDrop, &[e]);
}
