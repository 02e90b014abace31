//! Compilation options.

use target_lexicon::Triple;
use wasmparser::WasmFeatures;

/// The features [`Config::new`] enables: WebAssembly 2.0 plus the 3.0
/// features waot compiles completely (their spec tests pass 100%):
/// `tail-call` (`return_call`, `return_call_indirect`), `extended-const`
/// (`i32/i64.add/sub/mul` in constant expressions), `multi-memory`,
/// `relaxed-simd` (deterministic choices, see `translate/ops/simd.rs`) and
/// `memory64` (64-bit memories and tables; accesses to a 64-bit memory are
/// bounds-checked, see `translate/ops/memory.rs`).
/// `exceptions` (tags, `throw`, `throw_ref`, `try_table`, `exnref`; see
/// `translate/ops/exception.rs`) is on too, and so is the legacy
/// exception-handling proposal that LLVM still emits for C++ (`try`,
/// `catch`, `catch_all`, `delegate`, `rethrow`; its spec tests pass 100%).
/// `function-references` (typed references `(ref null? $t)`, `call_ref`, `return_call_ref`,
/// `ref.as_non_null`, `br_on_null`, `br_on_non_null`) is on as well, and
/// so is `gc` (struct and array types, `i31`, the `any`/`eq` hierarchy,
/// casts; see `translate/ops/gc.rs` and `docs/GC.md`). `threads` is on:
/// every atomic load, store, read-modify-write and `atomic.fence`
/// (`translate/ops/atomic.rs`, with the "unaligned atomic" check), shared
/// memories (usable from several stores on several threads, see
/// `waot_runtime::SharedMemory`) and `memory.atomic.wait32/64` /
/// `memory.atomic.notify` (runtime builtins); the proposal's spec tests
/// pass 100%. Shared tables, globals and types (shared-everything) are not
/// part of it and stay unsupported.
///
/// Each is one flag of [`WasmFeatures`] (`TAIL_CALL`, `EXTENDED_CONST`,
/// `MULTI_MEMORY`, `RELAXED_SIMD`, `MEMORY64`, `EXCEPTIONS`,
/// `LEGACY_EXCEPTIONS`, `FUNCTION_REFERENCES`, `GC`, `THREADS`), so a
/// front end can switch any of them off or on like wasmtime's
/// `-W tail-call=n`. Other 3.0-era proposals (shared-everything, stack
/// switching) are off; those that validate when enabled are reported as
/// `CompileError::Unsupported`.
///
/// Two later proposals compile completely (spec tests 100%) but are off by
/// default, as in wasmtime; a front end enables them by their flag:
/// `wide-arithmetic` (`WIDE_ARITHMETIC`: `i64.add128`, `i64.sub128`,
/// `i64.mul_wide_s/u`; see `translate/ops/wide.rs`) and `custom-page-sizes`
/// (`CUSTOM_PAGE_SIZES`: memories declared with `(pagesize 1)`, whose
/// accesses are bounds-checked like a 64-bit memory's since their length
/// need not be a multiple of the OS page size).
pub const DEFAULT_FEATURES: WasmFeatures = WasmFeatures::WASM2
    .union(WasmFeatures::TAIL_CALL)
    .union(WasmFeatures::EXTENDED_CONST)
    .union(WasmFeatures::MULTI_MEMORY)
    .union(WasmFeatures::RELAXED_SIMD)
    .union(WasmFeatures::MEMORY64)
    .union(WasmFeatures::EXCEPTIONS)
    .union(WasmFeatures::LEGACY_EXCEPTIONS)
    .union(WasmFeatures::FUNCTION_REFERENCES)
    .union(WasmFeatures::GC)
    .union(WasmFeatures::THREADS);

/// How hard Cranelift optimizes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OptLevel {
    /// No optimization (fastest compile).
    None,
    /// Optimize for speed (the default).
    #[default]
    Speed,
    /// Optimize for speed and size.
    SpeedAndSize,
}

/// What to compile for and how; one struct, never positional flags.
#[derive(Clone, Debug)]
pub struct Config {
    /// Target triple (x86_64 or aarch64 Linux).
    pub target: Triple,
    /// Cranelift optimization level.
    pub opt_level: OptLevel,
    /// WebAssembly features accepted by validation (default
    /// [`DEFAULT_FEATURES`]; one flag per feature).
    pub features: WasmFeatures,
    /// Prefix of every symbol the object defines (a C identifier).
    pub symbol_prefix: String,
    /// Also define the C `main` that runs the module as a WASI command
    /// (used by `waot build`).
    pub emit_main: bool,
    /// With `emit_main`: the encoded [`waot_abi::launch::LaunchConfig`]
    /// (preopens, environment) the `main` passes to the runtime; empty for
    /// none.
    pub launch: Vec<u8>,
    /// Compile functions on all cores (output is identical either way).
    pub parallel: bool,
    /// CPU to generate code for: `None` is the portable baseline
    /// (x86-64-v2 on x86_64, armv8.0-a on aarch64); `Some("native")`
    /// detects the host's features (host target only); any other name is a
    /// Cranelift ISA preset or flag such as `x86-64-v3`, `haswell`,
    /// `skylake`, `has_avx2` or `has_lse`.
    pub cpu: Option<String>,
    /// Inline direct calls to small, loop-free defined functions into their
    /// callers (`crate::inline`; default on); ignored at [`OptLevel::None`].
    pub inline: bool,
    /// Let Cranelift hoist and deduplicate loads of VM-context fields that
    /// never change while wasm runs (memory bases, table and import
    /// pointers, the builtin table, type ids), which the translator marks
    /// `readonly` and `can_move`. Off only to measure what that is worth.
    pub readonly_vmctx: bool,
    /// Bounds-check every access to a 32-bit memory explicitly, like a
    /// 64-bit memory's, instead of relying on its guard region. Slower;
    /// only for measuring what guard pages are worth.
    pub explicit_bounds_checks: bool,
}

impl Config {
    /// Defaults for the host: [`DEFAULT_FEATURES`], speed optimization.
    pub fn new(target: Triple) -> Config {
        Config {
            target,
            opt_level: OptLevel::Speed,
            features: DEFAULT_FEATURES,
            symbol_prefix: waot_abi::symbols::EXECUTABLE_PREFIX.to_string(),
            emit_main: false,
            launch: Vec::new(),
            parallel: true,
            cpu: None,
            inline: true,
            readonly_vmctx: true,
            explicit_bounds_checks: false,
        }
    }
}
