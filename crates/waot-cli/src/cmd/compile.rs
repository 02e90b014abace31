//! `waot compile IN -o OUT.o [--header OUT.h] [--name PREFIX]`: a module to
//! a relocatable object file that exports `<prefix>_module` (see
//! `waot_abi::meta::ModuleDescriptor`), and optionally the C header that
//! makes it callable as a C library (see `docs/C-API.md`).

use std::path::PathBuf;

use anyhow::Result;

use super::{c_identifier, default_prefix, read_module, write_atomic, CodegenArgs};

/// Arguments of `waot compile`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input module (.wasm or .wat).
    pub input: PathBuf,
    /// Output object file.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Also write a C header (C99, C++-compatible) declaring a typed C API
    /// for the module: instantiate, free, one function per export.
    #[arg(long, value_name = "HEADER")]
    pub header: Option<PathBuf>,
    /// Prefix of every symbol and C identifier (default: the input file's
    /// stem, sanitized into a C identifier).
    #[arg(long, value_name = "PREFIX")]
    pub name: Option<String>,
    #[command(flatten)]
    pub codegen: CodegenArgs,
}

/// Runs `waot compile`.
pub fn run(args: &Args) -> Result<()> {
    let wasm = read_module(&args.input)?;
    let mut config = args.codegen.config()?;
    config.symbol_prefix = match &args.name {
        Some(name) => c_identifier(name),
        None => default_prefix(&args.input),
    };
    let object = waot_compiler::compile(&wasm, &config)?;
    let header = match &args.header {
        Some(_) => {
            let info = waot_compiler::module::parse(&wasm, config.features)?;
            let source = args
                .input
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some(waot_compiler::emit::header::c_header(
                &info.meta,
                &config.symbol_prefix,
                &source,
            ))
        }
        None => None,
    };
    write_atomic(&args.output, &object)?;
    if let (Some(path), Some(text)) = (&args.header, header) {
        write_atomic(path, text.as_bytes())?;
    }
    Ok(())
}
