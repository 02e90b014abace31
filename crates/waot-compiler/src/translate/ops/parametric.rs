//! Parametric instructions (spec section 4.4.4): `drop` and `select`.

use cranelift_codegen::ir::InstBuilder;

use crate::translate::FuncCx;

/// `drop`
pub(crate) fn translate_drop(cx: &mut FuncCx<'_, '_>) {
    cx.pop();
}

/// `select`: the first operand when the condition is non-zero.
pub(crate) fn translate_select(cx: &mut FuncCx<'_, '_>) {
    let (x, y, cond) = cx.pop3();
    // A `v128` pair may have been produced with different lane types.
    let ty = cx.b.func.dfg.value_type(x);
    let y = if ty.is_vector() {
        cx.as_vector(y, ty)
    } else {
        y
    };
    let v = cx.b.ins().select(cond, x, y);
    cx.push(v);
}

/// `select t`
pub(crate) fn translate_typed_select(cx: &mut FuncCx<'_, '_>) {
    translate_select(cx);
}
