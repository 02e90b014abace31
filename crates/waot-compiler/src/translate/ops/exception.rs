//! Exception handling (WebAssembly 3.0): `throw`, `throw_ref` and
//! `try_table` with `catch`, `catch_ref`, `catch_all` and `catch_all_ref`.
//!
//! waot propagates exceptions without an unwinder ("pending exception"
//! scheme, see `docs/ARCHITECTURE.md`). An exception is a runtime object
//! (`waot_abi::vmctx::VmExnHeader` plus payload slots); an `exnref` is its
//! address.
//!
//! - `throw` allocates the object (builtin `ExnAlloc`), stores the payload
//!   and jumps to the *handler* of its position; `throw_ref` jumps there
//!   with its operand.
//! - The handler of a position is the dispatch block of the innermost
//!   enclosing `try_table` that has catch clauses, else the function's
//!   propagate block. Dispatch compares the object's tag with each clause's
//!   tag (by identity: the `*const VmTag` in the VM context) and branches to
//!   the clause's label with the payload (and the `exnref` for the `_ref`
//!   variants, which mark the object `exposed`; the others hand it to the
//!   `ExnRelease` builtin, which frees it unless it is exposed), or falls
//!   through to the next outer handler.
//! - The propagate block stores the object in the *caller's* store context
//!   (`pending_exn`) and returns dummy results.
//! - In a module that uses exceptions, every call is followed by a check of
//!   the pending slot that jumps to the handler when it is set; catching
//!   clears it. Modules without exception constructs get no checks at all.
//!
//! A caller whose module has no checks (no `VMCTX_FLAG_EXCEPTIONS`) would
//! run on with dummy results, so propagating into it traps with "uncaught
//! exception" instead.

use cranelift_codegen::ir::{self, types, BlockArg, InstBuilder, MemFlagsData};
use waot_abi::builtins::Builtin;
use waot_abi::trap::TrapKind;
use waot_abi::vmctx::{
    EXN_EXPOSED, EXN_TAG, EXN_VALUES, STORE_PENDING_EXN, VAL_RAW_SIZE, VMCTX_FLAGS,
    VMCTX_FLAG_EXCEPTIONS, VMCTX_STORE,
};
use wasmparser::{Catch, Operator, TryTable};

use super::control::{block_types, block_with_params, push_frame};
use crate::abi::{self, POINTER_TYPE};
use crate::error::Result;
use crate::translate::env::trap_code;
use crate::translate::stack::FrameKind;
use crate::translate::FuncCx;

/// What an operator of the legacy exception-handling proposal (`try`,
/// `catch`, `catch_all`, `rethrow`, `delegate`) is reported as.
pub(crate) const LEGACY: &str = "legacy exception handling (try/catch/delegate/rethrow)";

/// Per-function exception state of a translation.
#[derive(Default)]
pub(crate) struct ExnState {
    /// One entry per live `try_table` frame, innermost last.
    try_tables: Vec<TryScope>,
    /// The block that propagates an exception (parameter: the object) out
    /// of the function, created on first use.
    propagate: Option<ir::Block>,
}

/// A live `try_table`: its catch clauses and, once something inside may
/// throw, its dispatch block (parameter: the exception object).
struct TryScope {
    catches: Vec<Catch>,
    dispatch: Option<ir::Block>,
}

/// Whether a function body uses exception-handling instructions that make
/// its module need pending-exception checks (`try_table`, `throw_ref` and
/// the legacy `try`; `throw` needs a tag, which already decides).
pub(crate) fn uses_exceptions(body: &wasmparser::FunctionBody<'_>) -> Result<bool> {
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        if matches!(
            reader.read()?,
            Operator::TryTable { .. } | Operator::ThrowRef | Operator::Try { .. }
        ) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Flags of the store context's pending slot and of exception objects:
/// runtime memory that is always valid and aligned.
fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// The store context of `vmctx`.
fn store_ctx(cx: &mut FuncCx<'_, '_>, vmctx: ir::Value) -> ir::Value {
    let flags = trusted().with_readonly().with_can_move();
    cx.b.ins()
        .load(POINTER_TYPE, flags, vmctx, VMCTX_STORE as i32)
}

/// The `*const VmTag` of tag `tag`.
fn tag_ptr(cx: &mut FuncCx<'_, '_>, tag: u32) -> ir::Value {
    let flags = trusted().with_readonly().with_can_move();
    let offset = cx.env.info.offsets.tag(tag) as i32;
    cx.b.ins().load(POINTER_TYPE, flags, cx.env.vmctx, offset)
}

/// Where an exception goes from inside the first `below` `try_table`
/// scopes: the dispatch block of the innermost of them with catch clauses
/// (created on first use), else the propagate block.
fn handler_below(cx: &mut FuncCx<'_, '_>, below: usize) -> ir::Block {
    for scope in cx.exn.try_tables[..below].iter_mut().rev() {
        if scope.catches.is_empty() {
            continue;
        }
        return *scope
            .dispatch
            .get_or_insert_with(|| block_with_ptr_param(&mut cx.b));
    }
    *cx.exn
        .propagate
        .get_or_insert_with(|| block_with_ptr_param(&mut cx.b))
}

fn block_with_ptr_param(b: &mut cranelift_frontend::FunctionBuilder<'_>) -> ir::Block {
    let block = b.create_block();
    b.append_block_param(block, POINTER_TYPE);
    block
}

/// The handler of the current position.
fn handler(cx: &mut FuncCx<'_, '_>) -> ir::Block {
    let all = cx.exn.try_tables.len();
    handler_below(cx, all)
}

/// After a call in a module that uses exceptions: if the callee left an
/// exception pending, go to the handler.
pub(crate) fn check_after_call(cx: &mut FuncCx<'_, '_>) {
    if !cx.env.info.meta.uses_exceptions {
        return;
    }
    let store = store_ctx(cx, cx.env.vmctx);
    let exn =
        cx.b.ins()
            .load(POINTER_TYPE, trusted(), store, STORE_PENDING_EXN as i32);
    let target = handler(cx);
    let next = cx.b.create_block();
    cx.b.ins()
        .brif(exn, target, &[BlockArg::Value(exn)], next, &[]);
    cx.b.seal_block(next);
    cx.b.switch_to_block(next);
}

/// `throw x`
pub(crate) fn translate_throw(cx: &mut FuncCx<'_, '_>, tag: u32) {
    let ty = cx.env.info.tags[tag as usize];
    let n = cx.env.info.meta.types[ty as usize].params.len();
    let args = cx.popn_canonical(n);
    let tag = tag_ptr(cx, tag);
    let len = cx.b.ins().iconst(types::I32, n as i64);
    let exn = cx
        .env
        .call_builtin(&mut cx.b, Builtin::ExnAlloc, &[tag, len])
        .expect("ExnAlloc returns the object");
    cx.b.ins().trapz(exn, trap_code(TrapKind::OutOfMemory));
    for (i, v) in args.into_iter().enumerate() {
        let offset = EXN_VALUES + i as u32 * VAL_RAW_SIZE;
        cx.b.ins().store(trusted(), v, exn, offset as i32);
    }
    let target = handler(cx);
    cx.b.ins().jump(target, &[BlockArg::Value(exn)]);
    cx.reachable = false;
}

/// `throw_ref`
pub(crate) fn translate_throw_ref(cx: &mut FuncCx<'_, '_>) {
    let exn = cx.pop();
    cx.b.ins()
        .trapz(exn, trap_code(TrapKind::NullExceptionReference));
    let target = handler(cx);
    cx.b.ins().jump(target, &[BlockArg::Value(exn)]);
    cx.reachable = false;
}

/// `try_table bt catch*`: a block whose catch clauses are remembered until
/// its `end`, where its dispatch code is emitted (if anything inside may
/// throw).
pub(crate) fn translate_try_table(
    cx: &mut FuncCx<'_, '_>,
    try_table: TryTable,
    offset: u64,
) -> Result<()> {
    let (params, results) = block_types(cx, try_table.ty, offset)?;
    let dest = block_with_params(cx, &results);
    push_frame(cx, FrameKind::TryTable, dest, params.len(), results.len());
    cx.exn.try_tables.push(TryScope {
        catches: try_table.catches,
        dispatch: None,
    });
    Ok(())
}

/// The `end` of a `try_table` (its frame is already popped, so labels
/// resolve as in the catch clauses): emits its dispatch block, if used.
pub(crate) fn end_try_table(cx: &mut FuncCx<'_, '_>) {
    let scope = cx
        .exn
        .try_tables
        .pop()
        .expect("a try_table scope per frame");
    let Some(dispatch) = scope.dispatch else {
        return;
    };
    cx.b.switch_to_block(dispatch);
    cx.b.seal_block(dispatch);
    let exn = cx.b.block_params(dispatch)[0];
    // Not `readonly`: the object may have been filled just before, by a
    // `throw` of this function.
    let flags = trusted();
    let tag = cx.b.ins().load(POINTER_TYPE, flags, exn, EXN_TAG as i32);
    for catch in &scope.catches {
        let (label, tag_index, with_ref) = match *catch {
            Catch::One { tag, label } => (label, Some(tag), false),
            Catch::OneRef { tag, label } => (label, Some(tag), true),
            Catch::All { label } => (label, None, false),
            Catch::AllRef { label } => (label, None, true),
        };
        let mut next = None;
        if let Some(t) = tag_index {
            let expected = tag_ptr(cx, t);
            let hit = cx.b.create_block();
            let miss = cx.b.create_block();
            let same = cx.b.ins().icmp(ir::condcodes::IntCC::Equal, tag, expected);
            cx.b.ins().brif(same, hit, &[], miss, &[]);
            cx.b.seal_block(hit);
            cx.b.seal_block(miss);
            cx.b.switch_to_block(hit);
            next = Some(miss);
        }
        let mut args = Vec::new();
        if let Some(t) = tag_index {
            let ty = cx.env.info.tags[t as usize];
            let params = cx.env.info.meta.types[ty as usize].params.clone();
            for (i, p) in params.iter().enumerate() {
                let offset = EXN_VALUES + i as u32 * VAL_RAW_SIZE;
                let v =
                    cx.b.ins()
                        .load(abi::clif_type(*p), flags, exn, offset as i32);
                args.push(BlockArg::Value(v));
            }
        }
        if with_ref {
            // Wasm holds it from now on: the runtime must keep it.
            let one = cx.b.ins().iconst(types::I32, 1);
            cx.b.ins().store(flags, one, exn, EXN_EXPOSED as i32);
            args.push(BlockArg::Value(exn));
        } else {
            // Unreachable once the payload is read, unless an `exnref`
            // to it exists (the runtime checks).
            cx.env.call_builtin(&mut cx.b, Builtin::ExnRelease, &[exn]);
        }
        clear_pending(cx);
        let (target, _) = cx.branch_target(label);
        cx.b.ins().jump(target, &args);
        match next {
            Some(miss) => cx.b.switch_to_block(miss),
            // A catch-all catches everything: later clauses are dead.
            None => return,
        }
    }
    let below = cx.exn.try_tables.len();
    let outer = handler_below(cx, below);
    cx.b.ins().jump(outer, &[BlockArg::Value(exn)]);
}

/// Clears this store's pending exception (a caught exception may have come
/// from a callee).
fn clear_pending(cx: &mut FuncCx<'_, '_>) {
    let store = store_ctx(cx, cx.env.vmctx);
    let zero = cx.b.ins().iconst(POINTER_TYPE, 0);
    cx.b.ins()
        .store(trusted(), zero, store, STORE_PENDING_EXN as i32);
}

/// At the end of the function: emits the propagate block, if used. The
/// exception moves to the caller's store context (it may be another
/// store's) and the function returns zeros; a caller without pending checks
/// gets a trap instead.
pub(crate) fn finish(cx: &mut FuncCx<'_, '_>) {
    let Some(block) = cx.exn.propagate else {
        return;
    };
    cx.b.switch_to_block(block);
    cx.b.seal_block(block);
    let exn = cx.b.block_params(block)[0];
    let entry = cx.b.func.layout.entry_block().expect("entry block");
    let caller_vmctx = cx.b.func.dfg.block_params(entry)[1];
    clear_pending(cx);
    let flags = trusted().with_readonly();
    let caller_flags =
        cx.b.ins()
            .load(types::I32, flags, caller_vmctx, VMCTX_FLAGS as i32);
    let aware =
        cx.b.ins()
            .band_imm_u(caller_flags, i64::from(VMCTX_FLAG_EXCEPTIONS));
    cx.b.ins()
        .trapz(aware, trap_code(TrapKind::UncaughtException));
    let caller_store = store_ctx(cx, caller_vmctx);
    cx.b.ins()
        .store(trusted(), exn, caller_store, STORE_PENDING_EXN as i32);
    let returns: Vec<ir::Type> =
        cx.b.func
            .signature
            .returns
            .iter()
            .map(|p| p.value_type)
            .collect();
    let zeros: Vec<ir::Value> = returns.into_iter().map(|t| cx.zero(t)).collect();
    cx.b.ins().return_(&zeros);
}
