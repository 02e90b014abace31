//! Reference instructions (spec section 4.4.2). A reference is a pointer:
//! a funcref points to a `VmFuncRef`, an externref is the host's value, and
//! null is 0. Typed references (`(ref $t)`, `(ref func)`, ...) have the
//! same representation; their types only matter to validation.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder};

use waot_abi::trap::TrapKind;

use crate::abi::POINTER_TYPE;
use crate::translate::env::trap_code;
use crate::translate::FuncCx;

/// `ref.null t`
pub(crate) fn translate_ref_null(cx: &mut FuncCx<'_, '_>) {
    let v = cx.b.ins().iconst(POINTER_TYPE, 0);
    cx.push(v);
}

/// `ref.is_null`
pub(crate) fn translate_ref_is_null(cx: &mut FuncCx<'_, '_>) {
    let r = cx.pop();
    let is_null = cx.b.ins().icmp_imm_u(IntCC::Equal, r, 0);
    let v = cx.b.ins().uextend(types::I32, is_null);
    cx.push(v);
}

/// `ref.func x`
pub(crate) fn translate_ref_func(cx: &mut FuncCx<'_, '_>, func_index: u32) {
    let v = cx.env.func_ref(&mut cx.b, func_index);
    cx.push(v);
}

/// `ref.as_non_null`: traps on null, else leaves the reference.
pub(crate) fn translate_ref_as_non_null(cx: &mut FuncCx<'_, '_>) {
    let r = *cx.peekn(1).first().expect("validated: a reference operand");
    cx.b.ins().trapz(r, trap_code(TrapKind::NullReference));
}
