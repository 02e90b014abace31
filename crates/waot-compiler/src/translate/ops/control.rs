//! Control instructions (spec section 4.4.8): blocks, branches, `return`,
//! `unreachable`, and skipping dead code.
//!
//! Every block gets a Cranelift `dest` block for its end whose parameters
//! are the block's results; a `loop` also gets a header block whose
//! parameters are the loop's parameters; an `if` gets an else block with the
//! block's parameters (without an `else` arm it forwards them to `dest`).
//! Operands below a block's parameters stay on the operand stack as values
//! that dominate the block.
//!
//! After an unconditional transfer the position is unreachable: operators
//! are skipped (only nesting is tracked) until the `else` or `end` of the
//! innermost live frame, as cranelift-wasm did with its `reachable` flag.

use cranelift_codegen::ir::{self, InstBuilder, JumpTableData};
use waot_abi::meta::ValType;
use waot_abi::trap::TrapKind;
use wasmparser::{BlockType, BrTable, Operator};

use crate::abi;
use crate::error::Result;
use crate::translate::env::trap_code;
use crate::translate::stack::{ControlFrame, FrameKind};
use crate::translate::FuncCx;

/// Parameter and result types of a block type.
pub(crate) fn block_types(
    cx: &FuncCx<'_, '_>,
    blockty: BlockType,
    offset: u64,
) -> Result<(Vec<ir::Type>, Vec<ir::Type>)> {
    let convert = |tys: &[ValType]| -> Result<Vec<ir::Type>> {
        Ok(tys.iter().map(|t| abi::clif_type(*t)).collect())
    };
    match blockty {
        BlockType::Empty => Ok((Vec::new(), Vec::new())),
        BlockType::Type(t) => {
            let t = crate::module::val_type(t, offset)?;
            Ok((Vec::new(), convert(&[t])?))
        }
        BlockType::FuncType(index) => {
            let ty = &cx.env.info.meta.types[index as usize];
            Ok((convert(&ty.params)?, convert(&ty.results)?))
        }
    }
}

/// A new block with parameters of types `tys`.
pub(crate) fn block_with_params(cx: &mut FuncCx<'_, '_>, tys: &[ir::Type]) -> ir::Block {
    let block = cx.b.create_block();
    for ty in tys {
        cx.b.append_block_param(block, *ty);
    }
    block
}

/// Pushes a control frame whose parameters are the top `num_params` operands.
pub(crate) fn push_frame(
    cx: &mut FuncCx<'_, '_>,
    kind: FrameKind,
    dest: ir::Block,
    num_params: usize,
    num_results: usize,
) {
    let stack_base = cx.values.len() - num_params;
    cx.control.push(ControlFrame {
        kind,
        dest,
        num_params,
        num_results,
        stack_base,
        exit_reached: false,
    });
}

/// `unreachable`
pub(crate) fn translate_unreachable(cx: &mut FuncCx<'_, '_>) {
    cx.b.ins().trap(trap_code(TrapKind::Unreachable));
    cx.reachable = false;
}

/// `block bt`
pub(crate) fn translate_block(
    cx: &mut FuncCx<'_, '_>,
    blockty: BlockType,
    offset: u64,
) -> Result<()> {
    push_block_frame(cx, FrameKind::Block, blockty, offset)
}

/// Pushes a frame of `kind` whose label is its end (a `block`, a
/// `try_table`, a legacy `try`): results flow to a new block.
pub(crate) fn push_block_frame(
    cx: &mut FuncCx<'_, '_>,
    kind: FrameKind,
    blockty: BlockType,
    offset: u64,
) -> Result<()> {
    let (params, results) = block_types(cx, blockty, offset)?;
    let dest = block_with_params(cx, &results);
    push_frame(cx, kind, dest, params.len(), results.len());
    Ok(())
}

/// `loop bt`
pub(crate) fn translate_loop(
    cx: &mut FuncCx<'_, '_>,
    blockty: BlockType,
    offset: u64,
) -> Result<()> {
    let (params, results) = block_types(cx, blockty, offset)?;
    let header = block_with_params(cx, &params);
    let dest = block_with_params(cx, &results);
    let args = cx.branch_args(params.len());
    cx.b.ins().jump(header, &args);
    push_frame(
        cx,
        FrameKind::Loop { header },
        dest,
        params.len(),
        results.len(),
    );
    cx.values.truncate(cx.values.len() - params.len());
    // Not sealed: back edges are unknown until the loop's `end`.
    cx.b.switch_to_block(header);
    let header_params = cx.b.block_params(header).to_vec();
    cx.push_all(&header_params);
    Ok(())
}

/// `if bt`
pub(crate) fn translate_if(cx: &mut FuncCx<'_, '_>, blockty: BlockType, offset: u64) -> Result<()> {
    let cond = cx.pop();
    let (params, results) = block_types(cx, blockty, offset)?;
    let then_block = block_with_params(cx, &params);
    let else_block = block_with_params(cx, &params);
    let dest = block_with_params(cx, &results);
    let args = cx.branch_args(params.len());
    cx.b.ins().brif(cond, then_block, &args, else_block, &args);
    cx.b.seal_block(then_block);
    cx.b.seal_block(else_block);
    let kind = FrameKind::If {
        else_block,
        has_else: false,
    };
    push_frame(cx, kind, dest, params.len(), results.len());
    cx.values.truncate(cx.values.len() - params.len());
    cx.b.switch_to_block(then_block);
    let then_params = cx.b.block_params(then_block).to_vec();
    cx.push_all(&then_params);
    Ok(())
}

/// `else`, reached from the `then` arm (live or dead).
pub(crate) fn translate_else(cx: &mut FuncCx<'_, '_>) {
    let frame = *cx.frame(0);
    let FrameKind::If { else_block, .. } = frame.kind else {
        unreachable!("validated: else closes an if");
    };
    if cx.reachable {
        let args = cx.branch_args(frame.num_results);
        cx.b.ins().jump(frame.dest, &args);
        cx.frame(0).exit_reached = true;
    }
    cx.frame(0).kind = FrameKind::If {
        else_block,
        has_else: true,
    };
    cx.values.truncate(frame.stack_base);
    cx.b.switch_to_block(else_block);
    let params = cx.b.block_params(else_block).to_vec();
    cx.push_all(&params);
    cx.reachable = true;
}

/// `end` of the innermost live frame (reached live or dead). The end of the
/// function body returns.
pub(crate) fn translate_end(cx: &mut FuncCx<'_, '_>) {
    if let Some(FrameKind::LegacyTry) = cx.control.last().map(|f| f.kind) {
        super::exception::end_try(cx);
    }
    close_frame(cx);
}

/// Pops the innermost frame: a live position jumps to its end, which is
/// where translation goes on (if anything reaches it).
pub(crate) fn close_frame(cx: &mut FuncCx<'_, '_>) {
    let mut frame = cx.control.pop().expect("validated: end closes a block");
    if cx.reachable {
        let args = cx.branch_args(frame.num_results);
        cx.b.ins().jump(frame.dest, &args);
        frame.exit_reached = true;
    }
    match frame.kind {
        FrameKind::Loop { header } => cx.b.seal_block(header),
        FrameKind::If {
            else_block,
            has_else: false,
        } => {
            // No else arm: the parameters are the results.
            cx.b.switch_to_block(else_block);
            let args: Vec<ir::BlockArg> =
                cx.b.block_params(else_block)
                    .iter()
                    .map(|v| ir::BlockArg::Value(*v))
                    .collect();
            cx.b.ins().jump(frame.dest, &args);
            frame.exit_reached = true;
        }
        FrameKind::TryTable => super::exception::end_try_table(cx),
        _ => {}
    }
    cx.values.truncate(frame.stack_base);
    cx.b.seal_block(frame.dest);
    cx.reachable = frame.exit_reached;
    if !frame.exit_reached {
        return;
    }
    cx.b.switch_to_block(frame.dest);
    let results = cx.b.block_params(frame.dest).to_vec();
    if cx.control.is_empty() {
        cx.b.ins().return_(&results);
        cx.reachable = false;
    } else {
        cx.push_all(&results);
    }
}

/// `br l`
pub(crate) fn translate_br(cx: &mut FuncCx<'_, '_>, depth: u32) {
    let (target, n) = cx.branch_target(depth);
    let args = cx.branch_args(n);
    cx.b.ins().jump(target, &args);
    cx.reachable = false;
}

/// `br_if l`
pub(crate) fn translate_br_if(cx: &mut FuncCx<'_, '_>, depth: u32) {
    let cond = cx.pop();
    let (target, n) = cx.branch_target(depth);
    let args = cx.branch_args(n);
    let next = cx.b.create_block();
    cx.b.ins().brif(cond, target, &args, next, &[]);
    cx.b.seal_block(next);
    cx.b.switch_to_block(next);
}

/// `br_table l* l_default`
pub(crate) fn translate_br_table(cx: &mut FuncCx<'_, '_>, targets: &BrTable<'_>) -> Result<()> {
    let index = cx.pop();
    let (default, n) = cx.branch_target(targets.default());
    let args = cx.branch_args(n);
    let default_call = cx.b.func.dfg.block_call(default, &args);
    let mut calls = Vec::with_capacity(targets.len() as usize);
    for depth in targets.targets() {
        let (target, _) = cx.branch_target(depth?);
        calls.push(cx.b.func.dfg.block_call(target, &args));
    }
    let table =
        cx.b.create_jump_table(JumpTableData::new(default_call, &calls));
    cx.b.ins().br_table(index, table);
    cx.reachable = false;
    Ok(())
}

/// `return`
pub(crate) fn translate_return(cx: &mut FuncCx<'_, '_>) {
    let n = cx.control[0].num_results;
    cx.canonicalize_top(n);
    let results = cx.peekn(n).to_vec();
    super::exception::release_all_holds(cx);
    cx.b.ins().return_(&results);
    cx.reachable = false;
}

/// Handles an operator in dead code: only nesting matters, and the `else`
/// or `end` of the innermost live frame makes code reachable again (so may
/// a legacy `catch`/`catch_all`; `delegate` ends a legacy `try` like `end`).
pub(crate) fn translate_unreachable_operator(cx: &mut FuncCx<'_, '_>, op: &Operator<'_>) {
    use super::exception::{translate_catch, translate_delegate};
    match *op {
        Operator::Block { .. }
        | Operator::Loop { .. }
        | Operator::If { .. }
        | Operator::TryTable { .. }
        | Operator::Try { .. } => cx.dead_depth += 1,
        Operator::Else if cx.dead_depth == 0 => translate_else(cx),
        Operator::End if cx.dead_depth == 0 => translate_end(cx),
        Operator::Catch { tag_index } if cx.dead_depth == 0 => translate_catch(cx, Some(tag_index)),
        Operator::CatchAll if cx.dead_depth == 0 => translate_catch(cx, None),
        Operator::Delegate { relative_depth } if cx.dead_depth == 0 => {
            translate_delegate(cx, relative_depth)
        }
        Operator::End | Operator::Delegate { .. } => cx.dead_depth -= 1,
        _ => {}
    }
}

/// `br_on_null l`: branches to `l` (without the reference) when the
/// reference on top is null; otherwise it stays, now known non-null.
pub(crate) fn translate_br_on_null(cx: &mut FuncCx<'_, '_>, depth: u32) {
    let r = cx.pop();
    let (target, n) = cx.branch_target(depth);
    let args = cx.branch_args(n);
    let next = cx.b.create_block();
    let is_null = cx.b.ins().icmp_imm_u(ir::condcodes::IntCC::Equal, r, 0);
    cx.b.ins().brif(is_null, target, &args, next, &[]);
    cx.b.seal_block(next);
    cx.b.switch_to_block(next);
    cx.push(r);
}

/// `br_on_non_null l`: branches to `l` with the (non-null) reference as its
/// last operand; when it is null, drops it and falls through.
pub(crate) fn translate_br_on_non_null(cx: &mut FuncCx<'_, '_>, depth: u32) {
    let (target, n) = cx.branch_target(depth);
    let args = cx.branch_args(n);
    let r = cx.pop();
    let next = cx.b.create_block();
    cx.b.ins().brif(r, target, &args, next, &[]);
    cx.b.seal_block(next);
    cx.b.switch_to_block(next);
}
