//! `waot compile IN -o OUT.o`: a module to a relocatable object file that
//! exports `<prefix>_module` (see `waot_abi::meta::ModuleDescriptor`).

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
    /// Symbol prefix (default: the input file's stem).
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
    write_atomic(&args.output, &object)
}
