//! Inlining of small defined functions into their callers.
//!
//! An ahead-of-time compiler sees the whole module, so before compiling
//! function `f` it can paste the bodies of the small functions `f` calls
//! directly into `f` and let Cranelift optimize across what used to be a
//! call. The mechanics (remapping values, blocks, signatures, external
//! names, turning `return` into a jump to the call's continuation) are
//! Cranelift's `Context::inline`; this module decides *what* to inline:
//!
//! - only direct `call`/`return_call`s of *defined* functions (never an
//!   import, a `call_indirect` or a builtin);
//! - only callees whose translated IR has at most [`MAX_CALLEE_INSTS`]
//!   instructions, that have no loop (a loop amortizes the call, and
//!   pasting it into a caller's loop adds register pressure there; in the
//!   benchmarks, allowing loops was no faster and grew code more) and that
//!   do not call themselves;
//! - one level: the inlined body's own calls stay calls;
//! - each caller may grow by at most its own size (at least
//!   [`MIN_GROWTH_INSTS`]) and never beyond [`MAX_CALLER_INSTS`], so code
//!   size and compile time stay bounded.
//!
//! Inlined code keeps its trap codes (they are in the instructions), so a
//! trap still reports the right kind; the trap site and backtrace frame are
//! the caller's, like any inlining compiler's without inline debug info.
//! Decisions depend only on the module, never on threads or timing, so
//! objects stay byte-identical across runs.

use std::borrow::Cow;

use cranelift_codegen::inline::{Inline, InlineCommand};
use cranelift_codegen::ir::{self, ExternalName};

use crate::abi::DEFINED_FUNC_NAMESPACE;

/// Largest callee, in IR instructions right after translation (which
/// counts address arithmetic and VM-context loads that the optimizer later
/// merges, so machine code is smaller).
pub const MAX_CALLEE_INSTS: usize = 64;

/// Only bodies of at most this many bytes are translated ahead as
/// candidates: a cheap prefilter for [`MAX_CALLEE_INSTS`] (most operators
/// make at least one instruction per two bytes).
pub const MAX_CALLEE_BODY_BYTES: usize = 512;

/// A caller may always grow by this many instructions, even when smaller.
pub const MIN_GROWTH_INSTS: usize = 256;

/// No inlining makes a caller larger than this (Cranelift's optimizer and
/// register allocator are super-linear on very large functions).
pub const MAX_CALLER_INSTS: usize = 12_000;

/// A translated function kept for inlining: its IR and its size.
pub struct Candidate {
    /// The IR right after translation.
    pub func: ir::Function,
    /// Instructions in `func`'s layout.
    pub insts: usize,
    /// Whether it may be inlined (small, loop-free, not self-recursive).
    pub inlinable: bool,
}

impl Candidate {
    /// Wraps the IR of defined function `defined_index`; `has_loop` says
    /// whether its body has a wasm `loop`.
    pub fn new(func: ir::Function, defined_index: u32, has_loop: bool) -> Self {
        let insts = inst_count(&func);
        let inlinable =
            insts <= MAX_CALLEE_INSTS && !has_loop && !calls_defined(&func, defined_index);
        Candidate {
            func,
            insts,
            inlinable,
        }
    }
}

/// Whether `body` has a wasm `loop` or an `array.new` (whose fill loop is
/// inline): the only sources of loops in the IR.
pub fn has_loop(body: &wasmparser::FunctionBody<'_>) -> wasmparser::Result<bool> {
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        if let wasmparser::Operator::Loop { .. } | wasmparser::Operator::ArrayNew { .. } =
            reader.read()?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The number of instructions in `func`'s layout.
pub fn inst_count(func: &ir::Function) -> usize {
    func.layout
        .blocks()
        .map(|b| func.layout.block_insts(b).count())
        .sum()
}

/// The defined function index a `FuncRef` of `func` names, if it names one.
fn defined_callee(func: &ir::Function, callee: ir::FuncRef) -> Option<u32> {
    match func.dfg.ext_funcs[callee].name {
        ExternalName::User(name) => {
            let name = &func.params.user_named_funcs()[name];
            (name.namespace == DEFINED_FUNC_NAMESPACE).then_some(name.index)
        }
        _ => None,
    }
}

/// Whether `func` imports (so calls) defined function `defined_index`.
fn calls_defined(func: &ir::Function, defined_index: u32) -> bool {
    func.dfg
        .ext_funcs
        .keys()
        .any(|r| defined_callee(func, r) == Some(defined_index))
}

/// How many instructions a caller of `insts` instructions may gain.
pub fn growth_budget(insts: usize) -> usize {
    insts
        .max(MIN_GROWTH_INSTS)
        .min(MAX_CALLER_INSTS.saturating_sub(insts))
}

/// The [`Inline`] policy for one caller: `candidates[i]` is defined function
/// `i`'s candidate, if it was translated ahead.
pub struct Inliner<'a> {
    candidates: &'a [Option<Candidate>],
    caller: u32,
    budget: usize,
}

impl<'a> Inliner<'a> {
    /// A policy for defined function `caller`, whose IR has `caller_insts`
    /// instructions.
    pub fn new(candidates: &'a [Option<Candidate>], caller: u32, caller_insts: usize) -> Self {
        Inliner {
            candidates,
            caller,
            budget: growth_budget(caller_insts),
        }
    }
}

impl Inline for Inliner<'_> {
    fn inline(
        &mut self,
        caller: &ir::Function,
        _call_inst: ir::Inst,
        call_opcode: ir::Opcode,
        callee: ir::FuncRef,
        _call_args: &[ir::Value],
    ) -> InlineCommand<'_> {
        // `try_call` sites (exception tables) are left alone.
        if !matches!(call_opcode, ir::Opcode::Call | ir::Opcode::ReturnCall) {
            return InlineCommand::KeepCall;
        }
        let Some(index) = defined_callee(caller, callee) else {
            return InlineCommand::KeepCall;
        };
        if index == self.caller {
            return InlineCommand::KeepCall;
        }
        let Some(Some(candidate)) = self.candidates.get(index as usize) else {
            return InlineCommand::KeepCall;
        };
        let sig = caller.dfg.ext_funcs[callee].signature;
        if !candidate.inlinable
            || candidate.insts > self.budget
            || caller.dfg.signatures[sig] != candidate.func.signature
        {
            return InlineCommand::KeepCall;
        }
        self.budget -= candidate.insts;
        InlineCommand::Inline {
            callee: Cow::Borrowed(&candidate.func),
            visit_callee: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::{target_isa, FunctionPipeline};
    use crate::config::{Config, OptLevel};
    use crate::module;
    use cranelift_codegen::ir::InstructionData;
    use cranelift_codegen::Context;
    use std::str::FromStr;
    use target_lexicon::Triple;
    use waot_abi::trap::TrapKind;

    // Defined functions: 0 $leaf (small), 1 $looping (has a loop),
    // 2 $recursive (calls itself), 3 $traps (unreachable), 4 $caller.
    const WAT: &str = r#"(module
        (func $leaf (param i32) (result i32)
            (i32.add (local.get 0) (i32.const 1)))
        (func $looping (param i32) (result i32)
            (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
            (local.get 0))
        (func $recursive (param i32) (result i32)
            (if (result i32) (local.get 0)
                (then (call $recursive (i32.sub (local.get 0) (i32.const 1))))
                (else (i32.const 0))))
        (func $traps (param i32) (result i32)
            (if (local.get 0) (then unreachable))
            (local.get 0))
        (func $caller (export "caller") (param i32) (result i32)
            (i32.add
                (i32.add (call $leaf (local.get 0)) (call $looping (local.get 0)))
                (i32.add (call $recursive (local.get 0)) (call $traps (local.get 0))))))"#;

    /// Defined function `i` of `WAT` after the pipeline's inlining.
    fn prepared(config: &Config, i: u32) -> ir::Function {
        let wasm = wat::parse_str(WAT).unwrap();
        let info = module::parse(&wasm, config.features).unwrap();
        let isa = target_isa(config).unwrap();
        let pipeline = FunctionPipeline::new(&info, &*isa, None, config);
        let mut ctx = Context::new();
        pipeline
            .prepare(&mut pipeline.translator(), &mut ctx, i)
            .unwrap();
        cranelift_codegen::verify_function(&ctx.func, &*isa).unwrap();
        ctx.func
    }

    /// The defined functions `func` still calls directly.
    fn direct_callees(func: &ir::Function) -> Vec<u32> {
        let mut callees: Vec<u32> = func
            .layout
            .blocks()
            .flat_map(|b| func.layout.block_insts(b))
            .filter_map(|inst| match func.dfg.insts[inst] {
                InstructionData::Call { func_ref, .. } => defined_callee(func, func_ref),
                _ => None,
            })
            .collect();
        callees.sort_unstable();
        callees
    }

    fn config() -> Config {
        Config::new(Triple::from_str("x86_64-unknown-linux-gnu").unwrap())
    }

    #[test]
    fn inlines_small_loop_free_callees_only() {
        let caller = prepared(&config(), 4);
        // $leaf and $traps are inlined; the loop and the recursion stay calls.
        assert_eq!(direct_callees(&caller), [1, 2]);
        // The inlined `unreachable` keeps its trap code.
        let unreachable = ir::TrapCode::unwrap_user(TrapKind::Unreachable as u8);
        let has_trap = caller
            .layout
            .blocks()
            .flat_map(|b| caller.layout.block_insts(b))
            .any(|inst| {
                matches!(caller.dfg.insts[inst], InstructionData::Trap { code, .. } if code == unreachable)
            });
        assert!(has_trap, "{}", caller.display());
        // A recursive function does not inline itself.
        assert_eq!(direct_callees(&prepared(&config(), 2)), [2]);
    }

    #[test]
    fn switch_and_opt_level_none_keep_every_call() {
        let mut off = config();
        off.inline = false;
        assert_eq!(direct_callees(&prepared(&off, 4)), [0, 1, 2, 3]);
        let mut o0 = config();
        o0.opt_level = OptLevel::None;
        assert_eq!(direct_callees(&prepared(&o0, 4)), [0, 1, 2, 3]);
    }

    #[test]
    fn budget_is_bounded() {
        assert_eq!(growth_budget(10), MIN_GROWTH_INSTS);
        assert_eq!(growth_budget(1000), 1000);
        assert_eq!(growth_budget(MAX_CALLER_INSTS - 100), 100);
        assert_eq!(growth_budget(MAX_CALLER_INSTS + 1), 0);
    }
}
