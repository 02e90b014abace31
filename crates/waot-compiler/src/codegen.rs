//! Third pipeline stage: Cranelift IR -> machine code.
//!
//! [`target_isa`] builds the Cranelift ISA for a [`Config`]; [`compile_functions`]
//! translates and compiles every defined function (in parallel when
//! `config.parallel`) and returns, per function and in defined-index order,
//! its code, relocations and trap sites. The result does not depend on the
//! number of threads, so objects are byte-identical across runs.

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
/// defined-index order. Functions larger than [`HUGE_FUNCTION_BYTES`] use
/// `huge_isa` (an unoptimizing ISA) when one is given.
pub fn compile_functions(
    info: &ModuleInfo<'_>,
    isa: &dyn TargetIsa,
    huge_isa: Option<&dyn TargetIsa>,
    parallel: bool,
) -> Result<Vec<CompiledFunction>> {
    let n = info.num_defined_funcs();
    let compile = |(translator, ctx): &mut (FuncTranslator, Context), i: u32| {
        let isa = match huge_isa {
            Some(huge) if body_bytes(info, i) > HUGE_FUNCTION_BYTES => huge,
            _ => isa,
        };
        let func = translator.translate(info, i, isa)?;
        compile_function(ctx, isa, func, i, FuncId::from_u32(i))
    };
    let init = || (FuncTranslator::new(), Context::new());
    if parallel {
        (0..n).into_par_iter().map_init(init, compile).collect()
    } else {
        let mut state = init();
        (0..n).map(|i| compile(&mut state, i)).collect()
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
