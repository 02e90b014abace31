//! Table instructions (spec section 4.4.6). `table.get`, `table.set` and
//! `table.size` are inline; the rest call builtins. Table elements are
//! 8-byte pointers (null is 0).

use cranelift_codegen::ir::{types, InstBuilder};
use waot_abi::builtins::Builtin;

use super::{index_const, zext};
use crate::error::Result;
use crate::translate::FuncCx;

/// `table.get x`
pub(crate) fn translate_table_get(cx: &mut FuncCx<'_, '_>, table: u32, offset: u64) -> Result<()> {
    cx.env.check_table32(table, offset)?;
    let index = cx.pop();
    let v = cx.env.table_get(&mut cx.b, table, index);
    cx.push(v);
    Ok(())
}

/// `table.set x`
pub(crate) fn translate_table_set(cx: &mut FuncCx<'_, '_>, table: u32, offset: u64) -> Result<()> {
    cx.env.check_table32(table, offset)?;
    let (index, value) = cx.pop2();
    cx.env.table_set(&mut cx.b, table, index, value);
    Ok(())
}

/// `table.size x`
pub(crate) fn translate_table_size(cx: &mut FuncCx<'_, '_>, table: u32, offset: u64) -> Result<()> {
    cx.env.check_table32(table, offset)?;
    let len = cx.env.table_len(&mut cx.b, table);
    let v = cx.b.ins().ireduce(types::I32, len);
    cx.push(v);
    Ok(())
}

/// `table.grow x`: the old size, or -1.
pub(crate) fn translate_table_grow(cx: &mut FuncCx<'_, '_>, table: u32, offset: u64) -> Result<()> {
    cx.env.check_table32(table, offset)?;
    let (init, delta) = cx.pop2();
    let t = index_const(cx, table);
    let delta = zext(cx, delta);
    let old = cx
        .env
        .call_builtin(&mut cx.b, Builtin::TableGrow, &[t, init, delta])
        .expect("table.grow returns the old size");
    let v = cx.b.ins().ireduce(types::I32, old);
    cx.push(v);
    Ok(())
}

/// `table.fill x`
pub(crate) fn translate_table_fill(cx: &mut FuncCx<'_, '_>, table: u32, offset: u64) -> Result<()> {
    cx.env.check_table32(table, offset)?;
    let (dst, value, len) = cx.pop3();
    let t = index_const(cx, table);
    let dst = zext(cx, dst);
    let len = zext(cx, len);
    cx.env
        .call_builtin(&mut cx.b, Builtin::TableFill, &[t, dst, value, len]);
    Ok(())
}

/// `table.copy x y`
pub(crate) fn translate_table_copy(
    cx: &mut FuncCx<'_, '_>,
    dst_table: u32,
    src_table: u32,
    offset: u64,
) -> Result<()> {
    cx.env.check_table32(dst_table, offset)?;
    cx.env.check_table32(src_table, offset)?;
    let (dst, src, len) = cx.pop3();
    let dt = index_const(cx, dst_table);
    let st = index_const(cx, src_table);
    let (dst, src, len) = (zext(cx, dst), zext(cx, src), zext(cx, len));
    cx.env
        .call_builtin(&mut cx.b, Builtin::TableCopy, &[dt, st, dst, src, len]);
    Ok(())
}

/// `table.init x y`
pub(crate) fn translate_table_init(
    cx: &mut FuncCx<'_, '_>,
    elem_index: u32,
    table: u32,
    offset: u64,
) -> Result<()> {
    cx.env.check_table32(table, offset)?;
    let (dst, src, len) = cx.pop3();
    let t = index_const(cx, table);
    let e = index_const(cx, elem_index);
    let (dst, src, len) = (zext(cx, dst), zext(cx, src), zext(cx, len));
    cx.env
        .call_builtin(&mut cx.b, Builtin::TableInit, &[t, e, dst, src, len]);
    Ok(())
}

/// `elem.drop x`
pub(crate) fn translate_elem_drop(cx: &mut FuncCx<'_, '_>, elem_index: u32) {
    let e = index_const(cx, elem_index);
    cx.env.call_builtin(&mut cx.b, Builtin::ElemDrop, &[e]);
}
