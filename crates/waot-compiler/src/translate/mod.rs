//! Second pipeline stage: one validated function body -> one Cranelift
//! [`ir::Function`].
//!
//! [`FuncTranslator`] walks the body's operators once, keeping the wasm value
//! stack as SSA values and the wasm control stack as [`stack::ControlFrame`]s
//! (the spec's "Validation Algorithm", section 7.3 / appendix A.3, drives the
//! same two stacks). Locals are `cranelift_frontend` variables, so SSA
//! construction (Braun et al. 2013) is the frontend's job.
//!
//! The split follows the spec's instruction chapters: `ops/control.rs`,
//! `ops/parametric.rs`, `ops/variable.rs`, `ops/numeric.rs`,
//! `ops/conversion.rs`, `ops/memory.rs`, `ops/table.rs`, `ops/reference.rs`,
//! `ops/call.rs`, `ops/simd.rs` for 128-bit SIMD, `ops/exception.rs` for
//! exception handling, `ops/gc.rs` for GC structs, arrays, `i31` and
//! casts, and `ops/atomic.rs` for the threads proposal's atomics,
//! `wait` and `notify`. Everything that knows
//! the VM context layout lives in `env.rs`; the operator files only speak
//! wasm.
//!
//! A `v128` operand may have any 128-bit vector type while it is on the
//! operand stack and is bitcast to `I8X16` where it leaves it (locals,
//! globals, branches, calls, returns); see `ops/simd.rs`.
//!
//! Code after `br`, `br_table`, `return` and `unreachable` is skipped until
//! the `else`/`end` that makes it reachable again (see `ops/control.rs`).

mod env;
mod ops;
mod stack;
#[cfg(test)]
mod tests;

use cranelift_codegen::ir::{self, InstBuilder};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use waot_abi::meta::ValType;

use crate::abi;
use crate::error::{CompileError, Result};
use crate::module::ModuleInfo;

use env::FuncEnv;
pub(crate) use ops::exception::uses_exceptions;
use stack::ControlFrame;

/// Translates function bodies to Cranelift IR. Create one per worker thread
/// and reuse it: it keeps its buffers between functions.
pub struct FuncTranslator {
    builder_ctx: FunctionBuilderContext,
    values: Vec<ir::Value>,
    control: Vec<ControlFrame>,
    locals: Vec<Variable>,
    explicit_bounds_checks: bool,
}

impl Default for FuncTranslator {
    fn default() -> Self {
        Self::new()
    }
}

impl FuncTranslator {
    /// A translator with empty buffers.
    pub fn new() -> Self {
        FuncTranslator {
            builder_ctx: FunctionBuilderContext::new(),
            values: Vec::new(),
            control: Vec::new(),
            locals: Vec::new(),
            explicit_bounds_checks: false,
        }
    }

    /// With `on`, accesses to 32-bit memories are bounds-checked explicitly
    /// like a 64-bit memory's (`Config::explicit_bounds_checks`).
    pub fn with_explicit_bounds_checks(mut self, on: bool) -> Self {
        self.explicit_bounds_checks = on;
        self
    }

    /// Translates defined function `defined_index` of `info` into a Cranelift
    /// function named `ir::UserFuncName::user(abi::DEFINED_FUNC_NAMESPACE,
    /// defined_index)` with signature `abi::wasm_signature` of its type.
    ///
    /// `isa` supplies the system calling convention (for builtins) and the
    /// frontend configuration; the IR itself is target-independent.
    ///
    /// # Errors
    ///
    /// [`CompileError::Unsupported`] for any operator beyond WebAssembly 2.0
    /// and the 3.0 features tail-call, extended-const, multi-memory,
    /// relaxed-simd, memory64, exceptions, function-references, gc and
    /// threads (with the operator's byte offset), for 128-bit SIMD operators on an
    /// x86_64 ISA without SSSE3 and SSE4.1, or
    /// [`CompileError::Invalid`] if the body cannot be read.
    pub fn translate(
        &mut self,
        info: &ModuleInfo<'_>,
        defined_index: u32,
        isa: &dyn TargetIsa,
    ) -> Result<ir::Function> {
        let body = info.bodies.get(defined_index as usize).ok_or_else(|| {
            CompileError::Internal(format!("no defined function {defined_index}"))
        })?;
        let func_type = info.func_type(info.func_index(defined_index));
        let mut func = ir::Function::with_name_signature(
            ir::UserFuncName::user(abi::DEFINED_FUNC_NAMESPACE, defined_index),
            abi::wasm_signature(func_type),
        );
        env::set_stack_limit(&mut func);

        self.values.clear();
        self.control.clear();
        self.locals.clear();
        let mut builder = FunctionBuilder::new(&mut func, &mut self.builder_ctx);
        let entry = builder.create_block();
        builder.append_block_params_for_function_params(entry);
        builder.switch_to_block(entry);
        builder.seal_block(entry);
        let vmctx = builder.block_params(entry)[0];

        let mut env = FuncEnv::new(info, isa, vmctx);
        env.explicit_bounds_checks = self.explicit_bounds_checks;
        let mut cx = FuncCx {
            b: builder,
            env,
            values: &mut self.values,
            control: &mut self.control,
            locals: &mut self.locals,
            reachable: true,
            dead_depth: 0,
            exn: Default::default(),
        };
        cx.declare_locals(entry, &func_type.params, body)?;
        let results: Vec<ir::Type> = func_type
            .results
            .iter()
            .map(|t| abi::clif_type(*t))
            .collect();
        cx.push_function_frame(&results);

        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            let (op, op_offset) = reader.read_with_offset()?;
            cx.b.set_srcloc(ir::SourceLoc::new(op_offset as u32));
            if cx.reachable {
                ops::translate_operator(&mut cx, op, op_offset)?;
            } else {
                ops::control::translate_unreachable_operator(&mut cx, &op);
            }
        }
        debug_assert!(cx.control.is_empty(), "validated body ends its blocks");
        ops::exception::finish(&mut cx);

        cx.b.seal_all_blocks();
        cx.b.finalize(isa.frontend_config());
        Ok(func)
    }
}

/// Everything one translation needs: the builder, the environment and the
/// two wasm stacks. Operator functions in `ops/` take `&mut FuncCx`.
pub(crate) struct FuncCx<'f, 'm> {
    /// The function under construction.
    pub b: FunctionBuilder<'f>,
    /// VM context knowledge.
    pub env: FuncEnv<'m>,
    /// The wasm operand stack.
    pub values: &'f mut Vec<ir::Value>,
    /// The wasm control stack; `control[0]` is the function body.
    pub control: &'f mut Vec<ControlFrame>,
    /// One variable per wasm local, parameters first.
    pub locals: &'f mut Vec<Variable>,
    /// Whether the current position can be reached; when not, operators are
    /// skipped until the `else`/`end` that ends the dead code.
    pub reachable: bool,
    /// Blocks opened inside dead code (skipped along with it).
    pub dead_depth: u32,
    /// Exception scopes (`try_table`, legacy `try`) and the propagate block.
    pub exn: ops::exception::ExnState,
}

impl FuncCx<'_, '_> {
    /// Declares parameters (from the entry block, after the two VM context
    /// parameters) and zero-initialized locals.
    fn declare_locals(
        &mut self,
        entry: ir::Block,
        params: &[ValType],
        body: &wasmparser::FunctionBody<'_>,
    ) -> Result<()> {
        for (i, ty) in params.iter().enumerate() {
            let var = self.b.declare_var(abi::clif_type(*ty));
            let value = self.b.block_params(entry)[i + 2];
            self.b.def_var(var, value);
            self.locals.push(var);
        }
        let mut reader = body.get_locals_reader()?;
        for _ in 0..reader.get_count() {
            let offset = reader.original_position();
            let (count, ty) = reader.read()?;
            let ty = crate::module::val_type(ty, offset)?;
            let clif_ty = abi::clif_type(ty);
            let zero = self.zero(clif_ty);
            for _ in 0..count {
                let var = self.b.declare_var(clif_ty);
                self.b.def_var(var, zero);
                self.locals.push(var);
            }
        }
        Ok(())
    }

    /// The zero value of a type (also the null reference).
    fn zero(&mut self, ty: ir::Type) -> ir::Value {
        match ty {
            ty if ty.is_vector() => ops::simd::vconst(self, ty, 0),
            ir::types::F32 => self.b.ins().f32const(ir::immediates::Ieee32::with_bits(0)),
            ir::types::F64 => self.b.ins().f64const(ir::immediates::Ieee64::with_bits(0)),
            _ => self.b.ins().iconst(ty, 0),
        }
    }
}

/// An [`CompileError::Unsupported`] for `feature` at byte `offset`.
#[cold]
pub(crate) fn unsupported(feature: &str, offset: u64) -> CompileError {
    CompileError::Unsupported {
        feature: feature.to_string(),
        offset,
    }
}
