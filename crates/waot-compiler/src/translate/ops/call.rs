//! Calls (spec section 4.4.8, `call` and `call_indirect`). The VM context
//! side (direct calls, imports, funcref checks) is in `env.rs`.

use waot_abi::meta::{FuncType, ValType};

use crate::error::Result;
use crate::translate::{unsupported, FuncCx};

/// Fails if a callee's signature mentions `v128`.
fn check_signature(ty: &FuncType, offset: u64) -> Result<()> {
    if ty
        .params
        .iter()
        .chain(&ty.results)
        .any(|t| *t == ValType::V128)
    {
        return Err(unsupported("v128 in a function signature", offset));
    }
    Ok(())
}

/// Pushes the results of call instruction `inst`.
fn push_results(cx: &mut FuncCx<'_, '_>, inst: cranelift_codegen::ir::Inst) {
    let results = cx.b.inst_results(inst).to_vec();
    cx.push_all(&results);
}

/// `call x`
pub(crate) fn translate_call(cx: &mut FuncCx<'_, '_>, func_index: u32, offset: u64) -> Result<()> {
    let ty = cx.env.info.func_type(func_index);
    check_signature(ty, offset)?;
    let args = cx.popn(ty.params.len());
    let inst = cx.env.call(&mut cx.b, func_index, &args);
    push_results(cx, inst);
    Ok(())
}

/// `call_indirect x y`
pub(crate) fn translate_call_indirect(
    cx: &mut FuncCx<'_, '_>,
    type_index: u32,
    table: u32,
    offset: u64,
) -> Result<()> {
    let ty = &cx.env.info.meta.types[type_index as usize];
    check_signature(ty, offset)?;
    cx.env.check_table32(table, offset)?;
    let index = cx.pop();
    let args = cx.popn(ty.params.len());
    let callee = cx.env.indirect_callee(&mut cx.b, table, index, type_index);
    let inst = cx.env.call_func_ref(&mut cx.b, type_index, callee, &args);
    push_results(cx, inst);
    Ok(())
}
