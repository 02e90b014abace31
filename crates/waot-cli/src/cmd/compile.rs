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
    /// Output object file (required unless `--emit clif|asm`).
    #[arg(short, long, value_name = "OUT", required_unless_present = "emit")]
    pub output: Option<PathBuf>,
    /// What to produce: `obj` (the object file, default), or print `clif`
    /// (Cranelift IR after translation) or `asm` (Cranelift's final machine
    /// instructions) to stdout (or to `-o`).
    #[arg(long, value_enum, value_name = "KIND")]
    pub emit: Option<Emit>,
    /// With `--emit clif|asm`: only this function (name-section name,
    /// export name or function index).
    #[arg(long, value_name = "NAME", requires = "emit")]
    pub function: Option<String>,
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

/// `--emit` kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// Relocatable object file.
    Obj,
    /// Cranelift IR.
    Clif,
    /// Machine instructions (Cranelift VCode).
    Asm,
}

/// Runs `waot compile`.
pub fn run(args: &Args) -> Result<()> {
    let wasm = read_module(&args.input)?;
    let mut config = args.codegen.config()?;
    let text_kind = match args.emit {
        Some(Emit::Clif) => Some(waot_compiler::TextKind::Clif),
        Some(Emit::Asm) => Some(waot_compiler::TextKind::Asm),
        _ => None,
    };
    if let Some(kind) = text_kind {
        let text =
            waot_compiler::compile_function_text(&wasm, &config, args.function.as_deref(), kind)?;
        match &args.output {
            Some(path) => write_atomic(path, text.as_bytes())?,
            None => print!("{text}"),
        }
        return Ok(());
    }
    let Some(output) = &args.output else {
        anyhow::bail!("--emit obj needs an output file (-o OUT)");
    };
    config.symbol_prefix = match &args.name {
        Some(name) => c_identifier(name),
        None => default_prefix(&args.input),
    };
    let object = args.codegen.compile(&args.input, &wasm, &config)?;
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
    write_atomic(output, &object)?;
    if let (Some(path), Some(text)) = (&args.header, header) {
        write_atomic(path, text.as_bytes())?;
    }
    Ok(())
}
