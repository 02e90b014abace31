//! Third pipeline stage: Cranelift IR -> machine code.
//!
//! [`target_isa`] builds the Cranelift ISA for a [`Config`]; [`compile_functions`]
//! translates every defined function, inlines small callees into it
//! (`crate::inline`) and compiles it (in parallel when `config.parallel`),
//! and returns, per function and in defined-index order, its code,
//! relocations and trap sites. The result does not depend on the number of
//! threads, so objects are byte-identical across runs.

use cranelift_codegen::ir;
use cranelift_codegen::isa::{self, OwnedTargetIsa, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{CodegenError, Context};
use cranelift_control::ControlPlane;
use cranelift_module::{FuncId, ModuleReloc, ModuleRelocTarget};
use rayon::prelude::*;
use target_lexicon::{Aarch64Architecture, Architecture, OperatingSystem};
use waot_abi::meta::TrapSite;

use crate::config::{Config, OptLevel};
use crate::error::{CompileError, Result};
use crate::inline::{self, Candidate, Inliner};
use crate::module::ModuleInfo;
use crate::translate::FuncTranslator;

/// The target triples waot compiles for.
pub const SUPPORTED_TARGETS: [&str; 2] = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"];

/// Machine code of one function, ready for the object file.
#[derive(Clone)]
pub struct CompiledFunction {
    /// The code (and its constant pool).
    pub code: Vec<u8>,
    /// Required alignment of `code` in bytes.
    pub alignment: u64,
    /// Relocations, relative to the start of `code`. Calls to other defined
    /// functions name `FuncId` = defined function index, so the emitter must
    /// declare defined functions first, in index order.
    pub relocs: Vec<ModuleReloc>,
    /// Trap sites; `defined_func` is the index the function is recorded under.
    pub traps: Vec<TrapSite>,
}

/// Builds the Cranelift ISA for `config.target` with waot's flags.
pub fn target_isa(config: &Config) -> Result<OwnedTargetIsa> {
    let triple = &config.target;
    let supported = triple.operating_system == OperatingSystem::Linux
        && matches!(
            triple.architecture,
            Architecture::X86_64 | Architecture::Aarch64(Aarch64Architecture::Aarch64)
        );
    if !supported {
        return Err(CompileError::Unsupported {
            feature: format!(
                "target {triple} (supported targets: {})",
                SUPPORTED_TARGETS.join(", ")
            ),
            offset: 0,
        });
    }

    let mut flags = settings::builder();
    let opt_level = match config.opt_level {
        OptLevel::None => "none",
        OptLevel::Speed => "speed",
        OptLevel::SpeedAndSize => "speed_and_size",
    };
    let shared = [
        ("opt_level", opt_level),
        // Every prologue checks `store->stack_limit`, which covers the frame.
        ("enable_probestack", "false"),
        // Sampling profilers walk frame pointers.
        ("preserve_frame_pointers", "true"),
        ("is_pic", "true"),
        // The verifier catches translator bugs; it costs compile time.
        ("enable_verifier", bool_str(cfg!(debug_assertions))),
        // Functions may return more values than there are return registers.
        ("enable_multi_ret_implicit_sret", "true"),
    ];
    for (name, value) in shared {
        flags.set(name, value).map_err(|e| setting_error(name, e))?;
    }

    let mut builder = isa::lookup(triple.clone())
        .map_err(|e| CompileError::Internal(format!("no Cranelift backend for {triple}: {e}")))?;
    if triple.architecture == Architecture::X86_64 {
        // x86-64-v2: with SSE4.1 Cranelift rounds floats inline (no libcalls),
        // keeping objects free of undefined symbols.
        for name in [
            "has_sse3",
            "has_ssse3",
            "has_sse41",
            "has_sse42",
            "has_popcnt",
        ] {
            builder.enable(name).map_err(|e| setting_error(name, e))?;
        }
    }
    match config.cpu.as_deref() {
        None => {}
        Some("native") => {
            if triple.architecture != target_lexicon::Triple::host().architecture {
                return Err(CompileError::Config(format!(
                    "--cpu native needs the host architecture; the target is {triple}"
                )));
            }
            cranelift_native::infer_native_flags(&mut builder)
                .map_err(|e| CompileError::Internal(format!("cannot detect the host CPU: {e}")))?;
        }
        Some(name) => builder.enable(name).map_err(|_| {
            CompileError::Config(format!(
                "unknown CPU `{name}` for {}: expected `native`, a Cranelift preset \
                 (e.g. x86-64-v3, haswell, skylake) or flag (e.g. has_avx2, has_lse)",
                triple.architecture
            ))
        })?,
    }
    builder
        .finish(settings::Flags::new(flags))
        .map_err(|e| CompileError::Internal(format!("cannot build the {triple} ISA: {e}")))
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn setting_error(name: &str, e: settings::SetError) -> CompileError {
    CompileError::Internal(format!("Cranelift setting `{name}`: {e}"))
}

/// Bodies larger than this many bytes are compiled without Cranelift's
/// optimizer: its e-graph pass grows super-linearly on huge straight-line
/// functions (a 1.5 MB body took 40 s and 1.9 GiB at `speed`, 5 s and
/// 340 MiB at `none`; see docs/LIMITS.md). Real programs' largest functions
/// (interpreter loops) are far below this.
pub const HUGE_FUNCTION_BYTES: usize = 512 * 1024;

/// Translates and compiles every defined function of `info`, in
/// defined-index order (see [`FunctionPipeline`]). Functions larger than
/// [`HUGE_FUNCTION_BYTES`] use `huge_isa` (an unoptimizing ISA) when one is
/// given.
pub fn compile_functions(
    info: &ModuleInfo<'_>,
    isa: &dyn TargetIsa,
    huge_isa: Option<&dyn TargetIsa>,
    config: &Config,
) -> Result<Vec<CompiledFunction>> {
    FunctionPipeline::new(info, isa, huge_isa, config).compile_all()
}

/// What happens to each defined function between its wasm body and its
/// machine code:
///
/// 1. with inlining, every small function (a candidate callee) is
///    translated ahead, in parallel, and kept;
/// 2. then, in parallel, each function is translated (or its candidate
///    copied), the small callees it calls directly are inlined into it
///    (`crate::inline`), and Cranelift compiles it.
///
/// Only small functions are kept in memory, and every decision depends on
/// the module alone, so the output does not depend on the thread count.
pub struct FunctionPipeline<'a> {
    info: &'a ModuleInfo<'a>,
    isa: &'a dyn TargetIsa,
    huge_isa: Option<&'a dyn TargetIsa>,
    parallel: bool,
    readonly_vmctx: bool,
    explicit_bounds_checks: bool,
    /// With inlining, `candidates[i]` is defined function `i`'s translated
    /// IR if its body is small; empty without inlining.
    candidates: Vec<Option<Candidate>>,
}

impl<'a> FunctionPipeline<'a> {
    /// Sets the pipeline up for `config` (inlining, readonly VM-context
    /// loads, parallelism); with inlining, translates the candidates.
    pub fn new(
        info: &'a ModuleInfo<'a>,
        isa: &'a dyn TargetIsa,
        huge_isa: Option<&'a dyn TargetIsa>,
        config: &Config,
    ) -> Self {
        let mut pipeline = FunctionPipeline {
            info,
            isa,
            huge_isa,
            parallel: config.parallel,
            readonly_vmctx: config.readonly_vmctx,
            explicit_bounds_checks: config.explicit_bounds_checks,
            candidates: Vec::new(),
        };
        // Unoptimized code gains little from inlining and -O0 promises
        // the fastest compile.
        if config.inline && config.opt_level != OptLevel::None {
            pipeline.candidates = pipeline.translate_candidates();
        }
        pipeline
    }

    /// Translates the small functions. One that fails to translate is no
    /// candidate; its error surfaces when it is compiled itself (so
    /// `--emit asm --function` of another function still works).
    fn translate_candidates(&self) -> Vec<Option<Candidate>> {
        let small: Vec<u32> = (0..self.info.num_defined_funcs())
            .filter(|&i| body_bytes(self.info, i) <= inline::MAX_CALLEE_BODY_BYTES)
            .collect();
        let translate = |translator: &mut FuncTranslator, i: u32| {
            let func = self.translate(translator, i, self.isa).ok()?;
            let has_loop = inline::has_loop(&self.info.bodies[i as usize]).ok()?;
            Some((i, Candidate::new(func, i, has_loop)))
        };
        let translated: Vec<(u32, Candidate)> = if self.parallel {
            small
                .into_par_iter()
                .map_init(|| self.translator(), translate)
                .flatten()
                .collect()
        } else {
            let mut translator = self.translator();
            small
                .into_iter()
                .filter_map(|i| translate(&mut translator, i))
                .collect()
        };
        let mut candidates: Vec<Option<Candidate>> = Vec::new();
        candidates.resize_with(self.info.num_defined_funcs() as usize, || None);
        for (i, candidate) in translated {
            candidates[i as usize] = Some(candidate);
        }
        candidates
    }

    /// A translator for this pipeline's options (one per thread).
    pub fn translator(&self) -> FuncTranslator {
        FuncTranslator::new().with_explicit_bounds_checks(self.explicit_bounds_checks)
    }

    /// The ISA for defined function `i`, and whether it is huge.
    fn isa_for(&self, i: u32) -> (&'a dyn TargetIsa, bool) {
        match self.huge_isa {
            Some(huge) if body_bytes(self.info, i) > HUGE_FUNCTION_BYTES => (huge, true),
            _ => (self.isa, false),
        }
    }

    fn translate(
        &self,
        translator: &mut FuncTranslator,
        i: u32,
        isa: &dyn TargetIsa,
    ) -> Result<ir::Function> {
        let mut func = translator.translate(self.info, i, isa)?;
        if !self.readonly_vmctx {
            drop_readonly(&mut func);
        }
        Ok(func)
    }

    /// Puts defined function `i`'s IR, after inlining, into `ctx.func` and
    /// returns the ISA to compile it with.
    pub fn prepare(
        &self,
        translator: &mut FuncTranslator,
        ctx: &mut Context,
        i: u32,
    ) -> Result<&'a dyn TargetIsa> {
        let (isa, huge) = self.isa_for(i);
        let candidate = self.candidates.get(i as usize).and_then(Option::as_ref);
        ctx.clear();
        ctx.func = match candidate {
            Some(c) => c.func.clone(),
            None => self.translate(translator, i, isa)?,
        };
        // Huge functions are compiled unoptimized; growing them is no help.
        if !self.candidates.is_empty() && !huge {
            let insts = candidate.map_or_else(|| inline::inst_count(&ctx.func), |c| c.insts);
            ctx.inline(Inliner::new(&self.candidates, i, insts))
                .map_err(|e| codegen_error(i, e))?;
        }
        Ok(isa)
    }

    /// Compiles every defined function, in defined-index order.
    pub fn compile_all(&self) -> Result<Vec<CompiledFunction>> {
        let compile = |(translator, ctx): &mut (FuncTranslator, Context), i: u32| {
            let isa = self.prepare(translator, ctx, i)?;
            compile_prepared(ctx, isa, i, FuncId::from_u32(i))
        };
        let init = || (self.translator(), Context::new());
        let n = self.info.num_defined_funcs();
        if self.parallel {
            (0..n).into_par_iter().map_init(init, compile).collect()
        } else {
            let mut state = init();
            (0..n).map(|i| compile(&mut state, i)).collect()
        }
    }
}

/// Clears `readonly` and `can_move` from every memory access of `func`
/// (`Config::readonly_vmctx` off): the translator sets them only on loads
/// of VM state (VM context, store context, function references), never on
/// linear-memory accesses.
fn drop_readonly(func: &mut ir::Function) {
    let insts: Vec<ir::Inst> = func
        .layout
        .blocks()
        .flat_map(|b| func.layout.block_insts(b))
        .collect();
    for inst in insts {
        let Some(flags) = func.dfg.insts[inst].memflags() else {
            continue;
        };
        let data = func.dfg.mem_flags[flags];
        if !data.readonly() && !data.can_move() {
            continue;
        }
        let mut plain = ir::MemFlagsData::new()
            .with_trap_code(data.trap_code())
            .with_alias_region(data.alias_region());
        if data.aligned() {
            plain = plain.with_aligned();
        }
        if let Some(e) = data.explicit_endianness() {
            plain = plain.with_endianness(e);
        }
        let plain = func.dfg.mem_flags.insert_unchecked(plain);
        *func.dfg.insts[inst]
            .memflags_mut()
            .expect("the instruction has flags") = plain;
    }
}

fn body_bytes(info: &ModuleInfo<'_>, defined_index: u32) -> usize {
    let range = info.bodies[defined_index as usize].range();
    (range.end - range.start) as usize
}

/// An unoptimizing twin of `config`'s ISA, when `info` has a function larger
/// than [`HUGE_FUNCTION_BYTES`] and `config` optimizes.
pub fn huge_function_isa(info: &ModuleInfo<'_>, config: &Config) -> Result<Option<OwnedTargetIsa>> {
    let has_huge = (0..info.num_defined_funcs()).any(|i| body_bytes(info, i) > HUGE_FUNCTION_BYTES);
    if !has_huge || config.opt_level == OptLevel::None {
        return Ok(None);
    }
    let mut unoptimized = config.clone();
    unoptimized.opt_level = OptLevel::None;
    target_isa(&unoptimized).map(Some)
}

/// Compiles one CLIF function. Its trap sites are recorded under
/// `code_index` (see [`waot_abi::meta::ModuleMeta::code_sizes`]); `func_id`
/// is its id in the object module (for relocations to its own labels).
pub fn compile_function(
    ctx: &mut Context,
    isa: &dyn TargetIsa,
    func: ir::Function,
    code_index: u32,
    func_id: FuncId,
) -> Result<CompiledFunction> {
    ctx.clear();
    ctx.func = func;
    compile_prepared(ctx, isa, code_index, func_id)
}

/// [`compile_function`] of the function already in `ctx.func`.
fn compile_prepared(
    ctx: &mut Context,
    isa: &dyn TargetIsa,
    code_index: u32,
    func_id: FuncId,
) -> Result<CompiledFunction> {
    if let Err(e) = ctx.compile(isa, &mut ControlPlane::default()) {
        return Err(codegen_error(code_index, e.inner));
    }
    let buffer = &ctx
        .compiled_code()
        .expect("Context::compile succeeded")
        .buffer;
    let traps = buffer
        .traps()
        .iter()
        .map(|t| TrapSite {
            defined_func: code_index,
            code_offset: t.offset,
            code: t.code.as_raw().get(),
        })
        .collect();
    let relocs = buffer
        .relocs()
        .iter()
        .map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, func_id))
        .collect::<Vec<_>>();
    if let Some(r) = relocs
        .iter()
        .find(|r| matches!(r.name, ModuleRelocTarget::LibCall(_)))
    {
        // A libcall would be an undefined symbol; objects must be self-contained.
        return Err(CompileError::Internal(format!(
            "function {code_index}: Cranelift emitted a call to {}",
            r.name
        )));
    }
    Ok(CompiledFunction {
        code: buffer.data().to_vec(),
        alignment: u64::from(buffer.alignment),
        relocs,
        traps,
    })
}

fn codegen_error(index: u32, e: CodegenError) -> CompileError {
    match e {
        CodegenError::ImplLimitExceeded | CodegenError::CodeTooLarge => {
            CompileError::ImplLimit(format!("function {index}: {e}"))
        }
        CodegenError::Verifier(errors) => CompileError::Internal(format!(
            "function {index}: Cranelift verifier: {}",
            errors.to_string().trim_end().replace('\n', "; ")
        )),
        e => CompileError::Internal(format!("function {index}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::ir::TrapCode;
    use std::str::FromStr;
    use target_lexicon::Triple;
    use waot_abi::trap::{TrapKind, CRANELIFT_RESERVED};

    #[test]
    fn reserved_trap_codes_match_cranelift() {
        let cranelift = [
            (TrapCode::STACK_OVERFLOW, TrapKind::StackOverflow),
            (TrapCode::INTEGER_OVERFLOW, TrapKind::IntegerOverflow),
            (TrapCode::HEAP_OUT_OF_BOUNDS, TrapKind::MemoryOutOfBounds),
            (
                TrapCode::INTEGER_DIVISION_BY_ZERO,
                TrapKind::IntegerDivideByZero,
            ),
            (
                TrapCode::BAD_CONVERSION_TO_INTEGER,
                TrapKind::BadConversionToInteger,
            ),
        ];
        for ((raw, kind), (code, expected)) in CRANELIFT_RESERVED.iter().zip(cranelift) {
            assert_eq!(*raw, code.as_raw().get(), "{code}");
            assert_eq!(*kind, expected, "{code}");
        }
        // Every user code waot uses is below Cranelift's reserved range.
        for (kind, _) in CRANELIFT_RESERVED.iter().map(|(r, k)| (k, r)) {
            assert!(TrapCode::user(*kind as u8).is_some());
        }
        assert!(TrapCode::user(waot_abi::trap::memory_oob_code(16)).is_some());
    }

    /// Defined function 0 of `wat` as the pipeline prepares it for `config`.
    fn prepared(wat: &str, config: &Config) -> ir::Function {
        let wasm = wat::parse_str(wat).unwrap();
        let info = crate::module::parse(&wasm, config.features).unwrap();
        let isa = target_isa(config).unwrap();
        let pipeline = FunctionPipeline::new(&info, &*isa, None, config);
        let mut ctx = Context::new();
        pipeline
            .prepare(&mut pipeline.translator(), &mut ctx, 0)
            .unwrap();
        cranelift_codegen::verify_function(&ctx.func, &*isa).unwrap();
        ctx.func
    }

    fn insts(func: &ir::Function) -> Vec<ir::InstructionData> {
        func.layout
            .blocks()
            .flat_map(|b| func.layout.block_insts(b))
            .map(|i| func.dfg.insts[i])
            .collect()
    }

    #[test]
    fn measurement_switches_change_only_their_part() {
        let wat = r#"(module (memory 1)
            (func (param i32) (result i32) (i32.load offset=8 (local.get 0))))"#;
        let x86 = Config::new(Triple::from_str("x86_64-unknown-linux-gnu").unwrap());
        let readonly = |f: &ir::Function| {
            insts(f)
                .iter()
                .filter_map(|d| d.memflags())
                .filter(|m| f.dfg.mem_flags[*m].readonly() || f.dfg.mem_flags[*m].can_move())
                .count()
        };
        let checks = |f: &ir::Function| {
            insts(f)
                .iter()
                .filter(|d| d.opcode() == ir::Opcode::Trapnz)
                .count()
        };
        // Default: the memory base load is readonly; the guard region
        // checks the access.
        let default = prepared(wat, &x86);
        assert_eq!((readonly(&default), checks(&default)), (1, 0));
        let mut config = x86.clone();
        config.readonly_vmctx = false;
        let plain = prepared(wat, &config);
        assert_eq!((readonly(&plain), checks(&plain)), (0, 0));
        // The access itself keeps its sized out-of-bounds trap code.
        let heap = ir::TrapCode::unwrap_user(waot_abi::trap::memory_oob_code(4));
        assert!(insts(&plain)
            .iter()
            .filter_map(|d| d.memflags())
            .any(|m| plain.dfg.mem_flags[m].trap_code() == Some(heap)));
        let mut config = x86;
        config.explicit_bounds_checks = true;
        // One check, which also loads the `VmMemoryDef` pointer (readonly).
        let checked = prepared(wat, &config);
        assert_eq!((readonly(&checked), checks(&checked)), (2, 1));
    }

    #[test]
    fn builds_supported_isas_and_rejects_others() {
        for t in SUPPORTED_TARGETS {
            let config = Config::new(Triple::from_str(t).unwrap());
            let isa = target_isa(&config).unwrap();
            assert_eq!(isa.triple().to_string(), t);
        }
        let config = Config::new(Triple::from_str("riscv64gc-unknown-linux-gnu").unwrap());
        let err = target_isa(&config).err().unwrap().to_string();
        assert!(err.contains("x86_64-unknown-linux-gnu"), "{err}");
    }
}
