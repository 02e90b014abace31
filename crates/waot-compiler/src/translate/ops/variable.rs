//! Variable instructions (spec section 4.4.5): locals and globals.
//!
//! Locals are frontend variables; globals live in (or are pointed to by) the
//! VM context, see `env.rs`.

use crate::translate::FuncCx;

/// `local.get x`
pub(crate) fn translate_local_get(cx: &mut FuncCx<'_, '_>, index: u32) {
    let v = cx.b.use_var(cx.locals[index as usize]);
    cx.push(v);
}

/// `local.set x`
pub(crate) fn translate_local_set(cx: &mut FuncCx<'_, '_>, index: u32) {
    let v = cx.pop();
    let v = cx.canonical(v);
    cx.b.def_var(cx.locals[index as usize], v);
}

/// `local.tee x`
pub(crate) fn translate_local_tee(cx: &mut FuncCx<'_, '_>, index: u32) {
    cx.canonicalize_top(1);
    let v = *cx
        .peekn(1)
        .first()
        .expect("validated: local.tee has an operand");
    cx.b.def_var(cx.locals[index as usize], v);
}

/// `global.get x`
pub(crate) fn translate_global_get(cx: &mut FuncCx<'_, '_>, index: u32) {
    let v = cx.env.global_get(&mut cx.b, index);
    cx.push(v);
}

/// `global.set x`
pub(crate) fn translate_global_set(cx: &mut FuncCx<'_, '_>, index: u32) {
    let v = cx.pop();
    let v = cx.canonical(v);
    cx.env.global_set(&mut cx.b, index, v);
}
