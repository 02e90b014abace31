//! Exception handling (WebAssembly 3.0): `throw`, `throw_ref` and
//! `try_table` with `catch`, `catch_ref`, `catch_all` and `catch_all_ref`;
//! and the legacy proposal's `try`, `catch`, `catch_all`, `rethrow` and
//! `delegate` (last section).
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
//!
//! ## Legacy exception handling
//!
//! The legacy proposal's `try bt ... catch x ... catch_all ... end`,
//! `try bt ... delegate l` and `rethrow l` (still emitted by LLVM for C++)
//! use the same scheme. A `try` in its body is a handler like a `try_table`:
//! its dispatch block receives what the body throws. At the first clause
//! the body is over, and the dispatch is filled as the clauses come: each
//! `catch x` adds a tag test whose hit block is the clause's code (payload
//! on the operand stack), `catch_all` takes what is left, and the `end`
//! sends the rest to the next outer handler. `delegate l` sends everything
//! to the handler of label `l` instead (the handler in effect inside that
//! label's block: a `try` in its body or a `try_table` there catches).
//!
//! A clause may `rethrow` its exception, even from nested clauses or after
//! a nested `try` caught it again, so it cannot free the object when it
//! catches it. Instead each clause *holds* the object while it runs (adds 2
//! to the header's `exposed` word; bit 0 is the `exnref` flag, which
//! adding and subtracting 2 never clears) and, on every way out, drops the
//! hold and calls `ExnRelease` (which frees the object only when nothing
//! holds or exposes it): falling through to the `end`, branches (routed
//! through exit edges, see [`exit_edge`]), `return` and tail calls, and
//! exceptions (the clause's *cleanup* handler drops the hold and frees the
//! object unless it is the exception leaving, i.e. a `rethrow`).

use cranelift_codegen::ir::{self, types, BlockArg, InstBuilder, MemFlagsData};
use waot_abi::builtins::Builtin;
use waot_abi::trap::TrapKind;
use waot_abi::vmctx::{
    EXN_EXPOSED, EXN_TAG, EXN_VALUES, STORE_PENDING_EXN, VAL_RAW_SIZE, VMCTX_FLAGS,
    VMCTX_FLAG_EXCEPTIONS, VMCTX_STORE,
};
use wasmparser::{BlockType, Catch, Operator, TryTable};

use super::control::{block_with_params, push_block_frame};
use crate::abi::{self, POINTER_TYPE};
use crate::error::Result;
use crate::translate::env::trap_code;
use crate::translate::stack::FrameKind;
use crate::translate::FuncCx;

/// Per-function exception state of a translation.
#[derive(Default)]
pub(crate) struct ExnState {
    /// One entry per live `try_table` or legacy `try` frame, innermost last.
    scopes: Vec<Scope>,
    /// Branches out of legacy catch clauses whose edge blocks are still to
    /// be emitted (see [`exit_edge`]).
    exit_edges: Vec<ExitEdge>,
    /// The block that propagates an exception (parameter: the object) out
    /// of the function, created on first use.
    propagate: Option<ir::Block>,
}

/// The exception handling of one live frame.
struct Scope {
    /// Index of the frame in `FuncCx::control`.
    frame: usize,
    kind: ScopeKind,
}

enum ScopeKind {
    /// A `try_table`: its catch clauses and, once something inside may
    /// throw, its dispatch block (parameter: the exception object).
    TryTable {
        catches: Vec<Catch>,
        dispatch: Option<ir::Block>,
    },
    /// A legacy `try`.
    Try(LegacyTry),
}

/// A live legacy `try`.
struct LegacyTry {
    /// Whether its body is being translated (no clause seen yet).
    in_body: bool,
    /// Where exceptions from the body go (parameter: the object), created
    /// on first use.
    dispatch: Option<ir::Block>,
    /// After the body, while some exception is still unmatched by the
    /// clauses so far: where the next clause's test goes.
    unmatched: Option<Unmatched>,
    /// The clause being translated, when it is reachable.
    clause: Option<Clause>,
}

/// The exception in the dispatch chain of a legacy `try`.
#[derive(Clone, Copy)]
struct Unmatched {
    /// The exception object (the dispatch block's parameter).
    exn: ir::Value,
    /// Its tag, loaded by the first `catch x` test.
    tag: Option<ir::Value>,
    /// The block that continues the chain (not yet filled).
    block: ir::Block,
}

/// A reachable `catch`/`catch_all` clause being translated.
struct Clause {
    /// The object it holds (see the module docs).
    caught: ir::Value,
    /// Where exceptions from inside the clause go first (parameter: the
    /// object): drops the hold, then the outer handler. Created on first use.
    cleanup: Option<ir::Block>,
}

/// A branch out of catch clauses goes to `block`, which drops their holds
/// on `held` and jumps to `target` with the same arguments.
struct ExitEdge {
    block: ir::Block,
    target: ir::Block,
    held: Vec<ir::Value>,
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

/// Where an exception goes from a position inside frame `max_frame` (an
/// index into `FuncCx::control`), looking only at the scopes of that frame
/// and those around it: the innermost `try_table` with catch clauses,
/// legacy `try` in its body, or legacy catch clause (its cleanup), else the
/// propagate block. Blocks are created on first use.
fn handler_upto(cx: &mut FuncCx<'_, '_>, max_frame: usize) -> ir::Block {
    for scope in cx.exn.scopes.iter_mut().rev() {
        if scope.frame > max_frame {
            continue;
        }
        let slot = match &mut scope.kind {
            ScopeKind::TryTable { catches, dispatch } if !catches.is_empty() => dispatch,
            ScopeKind::Try(t) if t.in_body => &mut t.dispatch,
            ScopeKind::Try(LegacyTry {
                clause: Some(clause),
                ..
            }) => &mut clause.cleanup,
            _ => continue,
        };
        return *slot.get_or_insert_with(|| block_with_ptr_param(&mut cx.b));
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
    let innermost = cx.control.len() - 1;
    handler_upto(cx, innermost)
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
    push_block_frame(cx, FrameKind::TryTable, try_table.ty, offset)?;
    cx.exn.scopes.push(Scope {
        frame: cx.control.len() - 1,
        kind: ScopeKind::TryTable {
            catches: try_table.catches,
            dispatch: None,
        },
    });
    Ok(())
}

/// The `end` of a `try_table` (its frame is already popped, so labels
/// resolve as in the catch clauses): emits its dispatch block, if used.
pub(crate) fn end_try_table(cx: &mut FuncCx<'_, '_>) {
    let scope = cx.exn.scopes.pop().map(|s| s.kind);
    let Some(ScopeKind::TryTable { catches, dispatch }) = scope else {
        unreachable!("a try_table scope per try_table frame");
    };
    let Some(dispatch) = dispatch else {
        return;
    };
    cx.b.switch_to_block(dispatch);
    cx.b.seal_block(dispatch);
    let exn = cx.b.block_params(dispatch)[0];
    // Not `readonly`: the object may have been filled just before, by a
    // `throw` of this function.
    let flags = trusted();
    let tag = cx.b.ins().load(POINTER_TYPE, flags, exn, EXN_TAG as i32);
    for catch in &catches {
        let (label, tag_index, with_ref) = match *catch {
            Catch::One { tag, label } => (label, Some(tag), false),
            Catch::OneRef { tag, label } => (label, Some(tag), true),
            Catch::All { label } => (label, None, false),
            Catch::AllRef { label } => (label, None, true),
        };
        let mut next = None;
        if let Some(t) = tag_index {
            next = Some(branch_on_tag(cx, tag, t));
        }
        let mut args = Vec::new();
        if let Some(t) = tag_index {
            let payload = load_payload(cx, exn, t);
            args.extend(payload.into_iter().map(BlockArg::Value));
        }
        if with_ref {
            // Wasm holds it from now on: the runtime must keep it. (Legacy
            // clauses' holds add and subtract 2, so the word stays odd.)
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
    let outer = handler(cx);
    cx.b.ins().jump(outer, &[BlockArg::Value(exn)]);
}

/// Tests an exception's tag (`tag`, loaded from the object) against tag
/// `tag_index`: continues in a new block when they match and returns the
/// block taken when they don't.
fn branch_on_tag(cx: &mut FuncCx<'_, '_>, tag: ir::Value, tag_index: u32) -> ir::Block {
    let expected = tag_ptr(cx, tag_index);
    let hit = cx.b.create_block();
    let miss = cx.b.create_block();
    let same = cx.b.ins().icmp(ir::condcodes::IntCC::Equal, tag, expected);
    cx.b.ins().brif(same, hit, &[], miss, &[]);
    cx.b.seal_block(hit);
    cx.b.seal_block(miss);
    cx.b.switch_to_block(hit);
    miss
}

/// The payload of exception `exn`, whose tag is `tag`.
fn load_payload(cx: &mut FuncCx<'_, '_>, exn: ir::Value, tag: u32) -> Vec<ir::Value> {
    let ty = cx.env.info.tags[tag as usize];
    let params = cx.env.info.meta.types[ty as usize].params.clone();
    // Not `readonly`: the object may have been filled just before, by a
    // `throw` of this function.
    let flags = trusted();
    params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let offset = EXN_VALUES + i as u32 * VAL_RAW_SIZE;
            cx.b.ins()
                .load(abi::clif_type(*p), flags, exn, offset as i32)
        })
        .collect()
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
    debug_assert!(cx.exn.exit_edges.is_empty(), "emitted at clause ends");
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

/// `try bt` (legacy): a block whose body's exceptions go to its dispatch.
pub(crate) fn translate_try(
    cx: &mut FuncCx<'_, '_>,
    blockty: BlockType,
    offset: u64,
) -> Result<()> {
    push_block_frame(cx, FrameKind::LegacyTry, blockty, offset)?;
    cx.exn.scopes.push(Scope {
        frame: cx.control.len() - 1,
        kind: ScopeKind::Try(LegacyTry {
            in_body: true,
            dispatch: None,
            unmatched: None,
            clause: None,
        }),
    });
    Ok(())
}

/// The innermost scope, a legacy `try` (validation puts `catch`,
/// `catch_all`, `delegate` and its `end` right in it).
fn innermost_try<'a>(cx: &'a mut FuncCx<'_, '_>) -> &'a mut LegacyTry {
    match cx.exn.scopes.last_mut().map(|s| &mut s.kind) {
        Some(ScopeKind::Try(t)) => t,
        _ => unreachable!("validated: a legacy try is the innermost block"),
    }
}

/// Ends the body or the clause of the innermost legacy `try` (reached live
/// or dead): a live end jumps to the `try`'s end (dropping the clause's
/// hold); the clause's exit edges and cleanup are emitted; at the end of
/// the body the dispatch chain starts.
fn end_section(cx: &mut FuncCx<'_, '_>) {
    let frame_index = cx.control.len() - 1;
    let caught = innermost_try(cx).clause.as_ref().map(|c| c.caught);
    if cx.reachable {
        if let Some(caught) = caught {
            release_hold(cx, caught);
        }
        let frame = cx.control[frame_index];
        let args = cx.branch_args(frame.num_results);
        cx.b.ins().jump(frame.dest, &args);
        cx.control[frame_index].exit_reached = true;
        cx.reachable = false;
    }
    if let Some(clause) = innermost_try(cx).clause.take() {
        emit_exit_edges(cx);
        if let Some(cleanup) = clause.cleanup {
            let outer = handler_upto(cx, frame_index - 1);
            emit_cleanup(cx, cleanup, clause.caught, outer);
        }
    }
    let t = innermost_try(cx);
    if std::mem::replace(&mut t.in_body, false) {
        if let Some(dispatch) = t.dispatch {
            cx.b.switch_to_block(dispatch);
            cx.b.seal_block(dispatch);
            let exn = cx.b.block_params(dispatch)[0];
            innermost_try(cx).unmatched = Some(Unmatched {
                exn,
                tag: None,
                block: dispatch,
            });
        }
    }
}

/// `catch x` (`tag` is `Some(x)`) or `catch_all` of a legacy `try`,
/// reached live or dead: a new clause, reachable if some exception from the
/// body may still be unmatched.
pub(crate) fn translate_catch(cx: &mut FuncCx<'_, '_>, tag: Option<u32>) {
    end_section(cx);
    let stack_base = cx.control[cx.control.len() - 1].stack_base;
    cx.values.truncate(stack_base);
    let Some(mut unmatched) = innermost_try(cx).unmatched else {
        // Nothing can reach this clause: skip it as dead code.
        return;
    };
    cx.b.switch_to_block(unmatched.block);
    let exn = unmatched.exn;
    match tag {
        Some(tag_index) => {
            let tag = *unmatched.tag.get_or_insert_with(|| {
                cx.b.ins()
                    .load(POINTER_TYPE, trusted(), exn, EXN_TAG as i32)
            });
            unmatched.block = branch_on_tag(cx, tag, tag_index);
            innermost_try(cx).unmatched = Some(unmatched);
            let payload = load_payload(cx, exn, tag_index);
            cx.push_all(&payload);
        }
        // Everything left is caught: the chain ends here.
        None => innermost_try(cx).unmatched = None,
    }
    hold(cx, exn);
    clear_pending(cx);
    innermost_try(cx).clause = Some(Clause {
        caught: exn,
        cleanup: None,
    });
    cx.reachable = true;
}

/// The `end` of a legacy `try` (reached live or dead; its frame is still
/// on the control stack): exceptions no clause matched go to the handler
/// around the `try`.
pub(crate) fn end_try(cx: &mut FuncCx<'_, '_>) {
    end_section(cx);
    let frame_index = cx.control.len() - 1;
    if let Some(unmatched) = innermost_try(cx).unmatched.take() {
        cx.b.switch_to_block(unmatched.block);
        let outer = handler_upto(cx, frame_index - 1);
        cx.b.ins().jump(outer, &[BlockArg::Value(unmatched.exn)]);
    }
    cx.exn.scopes.pop();
}

/// `delegate l` (reached live or dead): ends a legacy `try` that has no
/// clauses; exceptions from its body go to the handler of label `l`
/// counted from outside the `try` (the function's label: the caller).
pub(crate) fn translate_delegate(cx: &mut FuncCx<'_, '_>, depth: u32) {
    end_section(cx);
    let frame_index = cx.control.len() - 1;
    if let Some(unmatched) = innermost_try(cx).unmatched.take() {
        cx.b.switch_to_block(unmatched.block);
        let target = handler_upto(cx, frame_index - 1 - depth as usize);
        cx.b.ins().jump(target, &[BlockArg::Value(unmatched.exn)]);
    }
    cx.exn.scopes.pop();
    super::control::close_frame(cx);
}

/// `rethrow l`: throws again the exception caught by the clause of label
/// `l`.
pub(crate) fn translate_rethrow(cx: &mut FuncCx<'_, '_>, depth: u32) {
    let frame = cx.control.len() - 1 - depth as usize;
    let caught = cx
        .exn
        .scopes
        .iter()
        .find(|s| s.frame == frame)
        .and_then(|s| match &s.kind {
            ScopeKind::Try(LegacyTry {
                clause: Some(c), ..
            }) => Some(c.caught),
            _ => None,
        })
        .expect("validated: rethrow names a catch clause, which is live here");
    let target = handler(cx);
    cx.b.ins().jump(target, &[BlockArg::Value(caught)]);
    cx.reachable = false;
}

/// Adds `delta` to the `exposed` word of object `exn` (a legacy clause's
/// hold, see the module docs).
fn add_hold(cx: &mut FuncCx<'_, '_>, exn: ir::Value, delta: i64) {
    let word =
        cx.b.ins()
            .load(types::I32, trusted(), exn, EXN_EXPOSED as i32);
    let word = cx.b.ins().iadd_imm_s(word, delta);
    cx.b.ins().store(trusted(), word, exn, EXN_EXPOSED as i32);
}

/// A clause starts holding `exn`.
fn hold(cx: &mut FuncCx<'_, '_>, exn: ir::Value) {
    add_hold(cx, exn, 2);
}

/// A clause stops holding `exn`, which is freed if nothing else keeps it.
fn release_hold(cx: &mut FuncCx<'_, '_>, exn: ir::Value) {
    add_hold(cx, exn, -2);
    cx.env.call_builtin(&mut cx.b, Builtin::ExnRelease, &[exn]);
}

/// Emits the cleanup block of a clause holding `caught`: drops the hold,
/// frees the object unless it is the exception leaving (a `rethrow`), and
/// goes on to `outer`.
fn emit_cleanup(cx: &mut FuncCx<'_, '_>, cleanup: ir::Block, caught: ir::Value, outer: ir::Block) {
    cx.b.switch_to_block(cleanup);
    cx.b.seal_block(cleanup);
    let exn = cx.b.block_params(cleanup)[0];
    add_hold(cx, caught, -2);
    let free = cx.b.create_block();
    let same = cx.b.ins().icmp(ir::condcodes::IntCC::Equal, exn, caught);
    cx.b.ins()
        .brif(same, outer, &[BlockArg::Value(exn)], free, &[]);
    cx.b.seal_block(free);
    cx.b.switch_to_block(free);
    cx.env
        .call_builtin(&mut cx.b, Builtin::ExnRelease, &[caught]);
    cx.b.ins().jump(outer, &[BlockArg::Value(exn)]);
}

/// The objects held by the clauses in frames `from_frame` and inward.
fn held_from(cx: &FuncCx<'_, '_>, from_frame: usize) -> Vec<ir::Value> {
    cx.exn
        .scopes
        .iter()
        .rev()
        .filter(|s| s.frame >= from_frame)
        .filter_map(|s| match &s.kind {
            ScopeKind::Try(LegacyTry {
                clause: Some(c), ..
            }) => Some(c.caught),
            _ => None,
        })
        .collect()
}

/// Where a branch to `target`, the block of frame `target_frame` taking
/// `num_args` operands, really goes: `target` itself, or when it leaves
/// catch clauses, a new edge block that drops their holds first. Edge
/// blocks are emitted when the innermost clause ends, before any branch
/// target is sealed.
pub(crate) fn exit_edge(
    cx: &mut FuncCx<'_, '_>,
    target_frame: usize,
    target: ir::Block,
    num_args: usize,
) -> ir::Block {
    let held = held_from(cx, target_frame);
    if held.is_empty() {
        return target;
    }
    // The operands only: SSA construction may have added parameters to an
    // unsealed loop header, which it fills in itself.
    let types: Vec<ir::Type> = cx.b.func.dfg.block_params(target)[..num_args]
        .iter()
        .map(|v| cx.b.func.dfg.value_type(*v))
        .collect();
    let block = block_with_params(cx, &types);
    cx.exn.exit_edges.push(ExitEdge {
        block,
        target,
        held,
    });
    block
}

/// Emits the pending exit edges (the current block is filled).
fn emit_exit_edges(cx: &mut FuncCx<'_, '_>) {
    for edge in std::mem::take(&mut cx.exn.exit_edges) {
        cx.b.switch_to_block(edge.block);
        cx.b.seal_block(edge.block);
        for exn in edge.held {
            release_hold(cx, exn);
        }
        let args: Vec<BlockArg> =
            cx.b.block_params(edge.block)
                .iter()
                .map(|v| BlockArg::Value(*v))
                .collect();
        cx.b.ins().jump(edge.target, &args);
    }
}

/// Before `return` or a tail call: every clause drops its hold.
pub(crate) fn release_all_holds(cx: &mut FuncCx<'_, '_>) {
    for exn in held_from(cx, 0) {
        release_hold(cx, exn);
    }
}
