//! `waot build IN -o OUT`: a WASI command module to a native executable
//! (the module's object, with a C `main`, linked with `libwaot_runtime.a`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use waot_abi::meta::ExternType;
use waot_abi::symbols::EXECUTABLE_PREFIX;

use super::{read_module, CodegenArgs};
use crate::link;

/// The only import module an executable may use.
const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// Arguments of `waot build`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input WASI command module (.wasm or .wat).
    pub input: PathBuf,
    /// Output executable.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// C compiler driver used to link (default: `cc`, or
    /// `<arch>-linux-gnu-gcc` when cross-compiling).
    #[arg(long, value_name = "CC")]
    pub linker: Option<String>,
    #[command(flatten)]
    pub codegen: CodegenArgs,
}

/// Runs `waot build`.
pub fn run(args: &Args) -> Result<()> {
    let wasm = read_module(&args.input)?;
    let mut config = args.codegen.config()?;
    check_imports(&wasm, &config)?;
    config.symbol_prefix = EXECUTABLE_PREFIX.to_string();
    config.emit_main = true;
    // Find the runtime before spending time compiling.
    let runtime = link::runtime_lib(&config.target)?;
    let object = waot_compiler::compile(&wasm, &config)?;

    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let object_path = dir.path().join("module.o");
    std::fs::write(&object_path, &object)
        .with_context(|| format!("cannot write `{}`", object_path.display()))?;
    let linker = args
        .linker
        .clone()
        .unwrap_or_else(|| link::default_linker(&config.target));
    link::link_executable(&linker, &object_path, &runtime, &args.output)
}

/// Executables get only WASI: every import must be a function of
/// `wasi_snapshot_preview1`.
fn check_imports(wasm: &[u8], config: &waot_compiler::Config) -> Result<()> {
    let info = waot_compiler::module::parse(wasm, config.features)?;
    for import in &info.meta.imports {
        if import.module != WASI_MODULE {
            bail!(
                "unsupported import `{}.{}`: executables can only import from `{WASI_MODULE}`",
                import.module,
                import.name
            );
        }
        if !matches!(import.ty, ExternType::Func(_)) {
            bail!(
                "unsupported import `{}.{}`: `{WASI_MODULE}` only provides functions",
                import.module,
                import.name
            );
        }
    }
    Ok(())
}
