//! Calls (spec section 4.4.8, `call` and `call_indirect`) and tail calls
//! (`return_call`, `return_call_indirect`; WebAssembly 3.0, the tail-call
//! feature), and `call_ref` / `return_call_ref` (typed function
//! references). The VM context side (direct calls, imports, funcref checks) is
//! in `env.rs`.
//!
//! A tail call is Cranelift's `return_call` / `return_call_indirect`: all
//! wasm functions use `CallConv::Tail`, so the callee reuses the caller's
//! frame and unbounded tail recursion runs in constant stack. Like `return`,
//! it ends the reachable code.

use cranelift_codegen::ir::InstBuilder;
use waot_abi::trap::TrapKind;

use crate::translate::env::trap_code;
use crate::translate::FuncCx;

/// Pushes the results of call instruction `inst`.
fn push_results(cx: &mut FuncCx<'_, '_>, inst: cranelift_codegen::ir::Inst) {
    let results = cx.b.inst_results(inst).to_vec();
    cx.push_all(&results);
    super::exception::check_after_call(cx);
}

/// Before a call: a tail call leaves the function, so legacy catch clauses
/// let go of their exceptions first.
fn before_call(cx: &mut FuncCx<'_, '_>, tail: bool) {
    if tail {
        super::exception::release_all_holds(cx);
    }
}

/// After call instruction `inst`: a tail call ends the reachable code, any
/// other call pushes its results.
fn finish_call(cx: &mut FuncCx<'_, '_>, inst: cranelift_codegen::ir::Inst, tail: bool) {
    if tail {
        cx.reachable = false;
    } else {
        push_results(cx, inst);
    }
}

/// `call x` / `return_call x`
pub(crate) fn translate_call(cx: &mut FuncCx<'_, '_>, func_index: u32, tail: bool) {
    let ty = cx.env.info.func_type(func_index);
    let args = cx.popn_canonical(ty.params.len());
    before_call(cx, tail);
    let inst = cx.env.call(&mut cx.b, func_index, &args, tail);
    finish_call(cx, inst, tail);
}

/// `call_indirect x y` / `return_call_indirect x y`
pub(crate) fn translate_call_indirect(
    cx: &mut FuncCx<'_, '_>,
    type_index: u32,
    table: u32,
    tail: bool,
) {
    let ty = &cx.env.info.meta.types[type_index as usize];
    let index = cx.pop();
    let args = cx.popn_canonical(ty.params.len());
    let callee = cx.env.indirect_callee(&mut cx.b, table, index, type_index);
    before_call(cx, tail);
    let inst = cx
        .env
        .call_func_ref(&mut cx.b, type_index, callee, &args, tail);
    finish_call(cx, inst, tail);
}

/// `call_ref x` / `return_call_ref x` (typed function references): a call
/// through the funcref on top of the stack, whose type the validator has
/// proved to be (a subtype of) type `x`, so there is no signature check,
/// only the null check.
pub(crate) fn translate_call_ref(cx: &mut FuncCx<'_, '_>, type_index: u32, tail: bool) {
    let ty = &cx.env.info.meta.types[type_index as usize];
    let callee = cx.pop();
    let args = cx.popn_canonical(ty.params.len());
    cx.b.ins()
        .trapz(callee, trap_code(TrapKind::NullFunctionReference));
    before_call(cx, tail);
    let inst = cx
        .env
        .call_func_ref(&mut cx.b, type_index, callee, &args, tail);
    finish_call(cx, inst, tail);
}
