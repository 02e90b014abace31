//! The glue functions the emitter builds in CLIF for each type index: the
//! array-call trampoline (host -> wasm) and the host-call adapter
//! (wasm -> host), plus the C `main` of executables. The conventions they
//! implement are documented in `waot_abi::vmctx`.

use cranelift_codegen::ir::{
    self, types, AbiParam, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind,
    TrapCode, UserFuncName,
};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use waot_abi::meta::FuncType;
use waot_abi::trap::TrapKind;
use waot_abi::vmctx::{HOST_FUNC_CALL, VAL_RAW_SIZE};

use crate::abi::{self, POINTER_TYPE};

/// Loads and stores of `ValRaw` slots and `VmHostFunc` fields: the runtime
/// guarantees the pointers are valid and aligned.
fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

fn slot_offset(index: usize) -> i32 {
    (index as u32 * VAL_RAW_SIZE) as i32
}

/// Fills `func` (a declared signature, no body yet) with one block; `body`
/// builds it from the block's parameters.
fn build(
    isa: &dyn TargetIsa,
    fctx: &mut FunctionBuilderContext,
    mut func: ir::Function,
    body: impl FnOnce(&mut FunctionBuilder<'_>, &[ir::Value]),
) -> ir::Function {
    let mut b = FunctionBuilder::new(&mut func, fctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let params = b.block_params(block).to_vec();
    body(&mut b, &params);
    b.finalize(isa.frontend_config());
    func
}

/// The array-call trampoline of `ty` (system ABI):
/// `fn(native_fn, callee_vmctx, caller_vmctx, values: *mut ValRaw)`. Loads
/// the params from `values`, calls `native_fn` with the native ABI, stores
/// the results to `values`.
pub fn array_trampoline(
    isa: &dyn TargetIsa,
    fctx: &mut FunctionBuilderContext,
    ty: &FuncType,
) -> ir::Function {
    let sig = abi::array_trampoline_signature(isa.default_call_conv());
    let func = ir::Function::with_name_signature(UserFuncName::default(), sig);
    build(isa, fctx, func, |b, params| {
        let &[native_fn, callee_vmctx, caller_vmctx, values] = params else {
            unreachable!("the array-call signature has four parameters")
        };
        let mut args = vec![callee_vmctx, caller_vmctx];
        for (i, t) in ty.params.iter().enumerate() {
            let ty = abi::clif_type(*t);
            args.push(b.ins().load(ty, trusted(), values, slot_offset(i)));
        }
        let sig = b.import_signature(abi::wasm_signature(ty));
        let call = b.ins().call_indirect(sig, native_fn, &args);
        let results = b.inst_results(call).to_vec();
        for (i, r) in results.into_iter().enumerate() {
            b.ins().store(trusted(), r, values, slot_offset(i));
        }
        b.ins().return_(&[]);
    })
}

/// The host-call adapter of `ty` (native ABI, `callee_vmctx` is a
/// `*mut VmHostFunc`). Spills the params to a stack buffer of
/// `max(params, results)` slots, calls `host.call(host, caller_vmctx,
/// values, len)`, traps with [`TrapKind::HostTrap`] on a non-zero status and
/// returns the results read back from the buffer. The trap is the adapter's
/// only trap site.
pub fn host_adapter(
    isa: &dyn TargetIsa,
    fctx: &mut FunctionBuilderContext,
    ty: &FuncType,
) -> ir::Function {
    let func = ir::Function::with_name_signature(UserFuncName::default(), abi::wasm_signature(ty));
    build(isa, fctx, func, |b, params| {
        let (host, caller_vmctx, args) = (params[0], params[1], &params[2..]);
        let len = ty.params.len().max(ty.results.len());
        // At least one slot, so `values` always points to real memory.
        let size = len.max(1) as u32 * VAL_RAW_SIZE;
        let slot = b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            size,
            VAL_RAW_SIZE.trailing_zeros() as u8,
        ));
        let values = b.ins().stack_addr(POINTER_TYPE, slot, 0);
        for (i, arg) in args.iter().enumerate() {
            b.ins().store(trusted(), *arg, values, slot_offset(i));
        }
        let call_fn = b
            .ins()
            .load(POINTER_TYPE, trusted(), host, HOST_FUNC_CALL as i32);
        let len = b.ins().iconst(types::I32, len as i64);
        let sig = b.import_signature(abi::host_call_signature(isa.default_call_conv()));
        let call = b
            .ins()
            .call_indirect(sig, call_fn, &[host, caller_vmctx, values, len]);
        let status = b.inst_results(call)[0];
        b.ins().trapnz(status, host_trap_code());
        let results: Vec<_> = ty
            .results
            .iter()
            .enumerate()
            .map(|(i, t)| {
                b.ins()
                    .load(abi::clif_type(*t), trusted(), values, slot_offset(i))
            })
            .collect();
        b.ins().return_(&results);
    })
}

/// The trap code of a failed host call.
pub fn host_trap_code() -> TrapCode {
    TrapCode::user(TrapKind::HostTrap as u8)
        .expect("trap kinds are below Cranelift's reserved codes")
}

/// Signature of the C `main`: `int main(int argc, char **argv)`.
pub fn c_main_signature(isa: &dyn TargetIsa) -> Signature {
    let mut sig = Signature::new(isa.default_call_conv());
    sig.params.push(AbiParam::new(types::I32));
    sig.params.push(AbiParam::new(POINTER_TYPE));
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// Signature of the runtime's
/// `waot_rt_main(desc, argc, argv, launch, launch_len) -> status`.
pub fn runtime_main_signature(isa: &dyn TargetIsa) -> Signature {
    let mut sig = Signature::new(isa.default_call_conv());
    sig.params.push(AbiParam::new(POINTER_TYPE));
    sig.params.push(AbiParam::new(types::I32));
    sig.params.push(AbiParam::new(POINTER_TYPE));
    sig.params.push(AbiParam::new(POINTER_TYPE));
    sig.params.push(AbiParam::new(POINTER_TYPE));
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// The C `main`:
/// `return waot_rt_main(&descriptor, argc, argv, &launch, launch_len);`.
/// `declare` declares the runtime's `waot_rt_main`, the descriptor's and
/// the launch blob's data symbols in the new function.
pub fn c_main(
    isa: &dyn TargetIsa,
    fctx: &mut FunctionBuilderContext,
    name: UserFuncName,
    launch_len: usize,
    declare: impl FnOnce(&mut ir::Function) -> (ir::FuncRef, ir::GlobalValue, ir::GlobalValue),
) -> ir::Function {
    let mut func = ir::Function::with_name_signature(name, c_main_signature(isa));
    let (runtime_main, descriptor, launch) = declare(&mut func);
    build(isa, fctx, func, |b, params| {
        let desc = b.ins().symbol_value(POINTER_TYPE, descriptor);
        let launch = b.ins().symbol_value(POINTER_TYPE, launch);
        let len = b.ins().iconst(POINTER_TYPE, launch_len as i64);
        let call = b
            .ins()
            .call(runtime_main, &[desc, params[0], params[1], launch, len]);
        let status = b.inst_results(call)[0];
        b.ins().return_(&[status]);
    })
}
