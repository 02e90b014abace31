//! Parametric instructions (spec section 4.4.4): `drop` and `select`.

use cranelift_codegen::ir::InstBuilder;

use crate::error::Result;
use crate::translate::{unsupported, FuncCx};

/// `drop`
pub(crate) fn translate_drop(cx: &mut FuncCx<'_, '_>) {
    cx.pop();
}

/// `select`: the first operand when the condition is non-zero.
pub(crate) fn translate_select(cx: &mut FuncCx<'_, '_>) {
    let (x, y, cond) = cx.pop3();
    let v = cx.b.ins().select(cond, x, y);
    cx.push(v);
}

/// `select t`
pub(crate) fn translate_typed_select(
    cx: &mut FuncCx<'_, '_>,
    ty: wasmparser::ValType,
    offset: u64,
) -> Result<()> {
    if ty == wasmparser::ValType::V128 {
        return Err(unsupported("v128 select", offset));
    }
    translate_select(cx);
    Ok(())
}
