//! The wasm operand stack and control stack of one translation.
//!
//! Operands are SSA values; a control frame remembers where its block's
//! operands start and which Cranelift blocks a branch to it targets (spec
//! section 3.3.5 "Control Instructions": a branch to a `loop` goes to its
//! start with the loop's parameters, a branch to any other block goes to its
//! end with the block's results).

use cranelift_codegen::ir::{self, types, BlockArg};

use super::FuncCx;

/// What kind of block a control frame is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FrameKind {
    /// `block`, or the function body itself (`control[0]`).
    Block,
    /// `loop`; branches go to `header`, which takes the loop's parameters.
    Loop {
        /// The loop's first block.
        header: ir::Block,
    },
    /// `if`; `else_block` takes the block's parameters and runs the `else`
    /// arm, or passes them straight to the end when there is none.
    If {
        /// Where the condition goes when it is zero.
        else_block: ir::Block,
        /// Whether the `else` operator was seen.
        has_else: bool,
    },
    /// `try_table`: a block for branches; its catch clauses are in
    /// `ops::exception::ExnState`.
    TryTable,
    /// Legacy `try` (its body, then its catch clauses): a block for
    /// branches; its exception state is in `ops::exception::ExnState`.
    LegacyTry,
}

/// One entry of the control stack.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ControlFrame {
    /// Block, loop or if.
    pub kind: FrameKind,
    /// The block after `end`; its parameters are the block's results.
    pub dest: ir::Block,
    /// Number of block parameters.
    pub num_params: usize,
    /// Number of block results.
    pub num_results: usize,
    /// Operand stack height below the block's parameters.
    pub stack_base: usize,
    /// Whether anything jumps to `dest` (so the code after `end` is reachable).
    pub exit_reached: bool,
}

impl FuncCx<'_, '_> {
    /// Pushes an operand.
    pub fn push(&mut self, v: ir::Value) {
        self.values.push(v);
    }

    /// Pushes several operands.
    pub fn push_all(&mut self, vs: &[ir::Value]) {
        self.values.extend_from_slice(vs);
    }

    /// Pops an operand (validation guarantees there is one).
    pub fn pop(&mut self) -> ir::Value {
        self.values
            .pop()
            .expect("validated: operand stack underflow")
    }

    /// Pops two operands, returning them in push order.
    pub fn pop2(&mut self) -> (ir::Value, ir::Value) {
        let y = self.pop();
        let x = self.pop();
        (x, y)
    }

    /// Pops three operands, returning them in push order.
    pub fn pop3(&mut self) -> (ir::Value, ir::Value, ir::Value) {
        let z = self.pop();
        let (x, y) = self.pop2();
        (x, y, z)
    }

    /// The top `n` operands, in push order.
    pub fn peekn(&self, n: usize) -> &[ir::Value] {
        &self.values[self.values.len() - n..]
    }

    /// Pops the top `n` operands, returning them in push order.
    pub fn popn(&mut self, n: usize) -> Vec<ir::Value> {
        let at = self.values.len() - n;
        self.values.split_off(at)
    }

    /// `v`, bitcast to `I8X16` if it is a vector of another type: the type
    /// a `v128` has in locals, globals, block parameters and signatures.
    pub fn canonical(&mut self, v: ir::Value) -> ir::Value {
        if self.b.func.dfg.value_type(v).is_vector() {
            self.as_vector(v, types::I8X16)
        } else {
            v
        }
    }

    /// Makes the top `n` operands [`canonical`](Self::canonical), before
    /// they leave the operator that produced them (branch, call, return).
    pub fn canonicalize_top(&mut self, n: usize) {
        let len = self.values.len();
        for i in len - n..len {
            self.values[i] = self.canonical(self.values[i]);
        }
    }

    /// Pops the top `n` operands in push order, made canonical.
    pub fn popn_canonical(&mut self, n: usize) -> Vec<ir::Value> {
        self.canonicalize_top(n);
        self.popn(n)
    }

    /// The top `n` operands as branch arguments (made canonical).
    pub fn branch_args(&mut self, n: usize) -> Vec<BlockArg> {
        self.canonicalize_top(n);
        self.peekn(n).iter().map(|v| BlockArg::Value(*v)).collect()
    }

    /// The frame `depth` levels out from the innermost one.
    pub fn frame(&mut self, depth: u32) -> &mut ControlFrame {
        let i = self.control.len() - 1 - depth as usize;
        &mut self.control[i]
    }

    /// Where a branch to label `depth` goes and how many operands it takes;
    /// records that a non-loop block's end is reachable. A branch out of
    /// legacy catch clauses goes through an edge block that lets go of their
    /// exceptions (`ops::exception::exit_edge`).
    pub fn branch_target(&mut self, depth: u32) -> (ir::Block, usize) {
        let index = self.control.len() - 1 - depth as usize;
        let frame = &mut self.control[index];
        let (target, n) = match frame.kind {
            FrameKind::Loop { header } => (header, frame.num_params),
            _ => {
                frame.exit_reached = true;
                (frame.dest, frame.num_results)
            }
        };
        (super::ops::exception::exit_edge(self, index, target, n), n)
    }

    /// Pushes the frame of the function body: a block whose end returns.
    pub fn push_function_frame(&mut self, results: &[ir::Type]) {
        let dest = self.b.create_block();
        for ty in results {
            self.b.append_block_param(dest, *ty);
        }
        self.control.push(ControlFrame {
            kind: FrameKind::Block,
            dest,
            num_params: 0,
            num_results: results.len(),
            stack_base: 0,
            exit_reached: false,
        });
    }
}
