//! Compilation options.

use target_lexicon::Triple;
use wasmparser::WasmFeatures;

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
    /// WebAssembly features accepted by validation.
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
}

impl Config {
    /// Defaults for the host: WebAssembly 2.0 features, speed optimization.
    pub fn new(target: Triple) -> Config {
        Config {
            target,
            opt_level: OptLevel::Speed,
            features: WasmFeatures::WASM2,
            symbol_prefix: waot_abi::symbols::EXECUTABLE_PREFIX.to_string(),
            emit_main: false,
            launch: Vec::new(),
            parallel: true,
        }
    }
}
