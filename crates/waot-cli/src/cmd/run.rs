//! `waot run app.wasm [ARGS...]`: compile (cached) and run a WASI command,
//! a drop-in for `wasmtime run`; `waot run --invoke NAME lib.wasm
//! [VALUES...]`: call one export in-process and print its results.
//!
//! Without `--invoke`, the module is built into an executable in the cache
//! (see `crate::cache`) and exec'd: its exit status, output and signals are
//! the program's. Grants go to it through the runtime's `WAOT_DIR`,
//! `WAOT_ENV` and `WAOT_INHERIT_ENV` variables (which are never shown to
//! the program), so one cached executable serves every set of grants; a
//! grant containing `;` (the variables' separator) is baked in instead.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use waot_abi::launch::LaunchConfig;
use waot_abi::meta::ValType;
use waot_abi::symbols::{descriptor_symbol, EXECUTABLE_PREFIX};
use waot_abi::trap::TRAP_EXIT_STATUS;
use waot_runtime::wasi::{
    self, RUNTIME_DIR_VAR, RUNTIME_ENV_VAR, RUNTIME_INHERIT_ENV_VAR, RUNTIME_TCPLISTEN_VAR,
};
use waot_runtime::{AnyKind, Extern, InstantiateError, Module, Store, Trap, Val};

use super::{read_module, CodegenArgs};
use crate::{cache, link};

/// Arguments of `waot run`.
#[derive(clap::Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct Args {
    /// Call this exported function instead of running the module as a
    /// command; VALUES are its arguments (typed by its signature: i32, i64,
    /// f32, f64), its results are printed one per line.
    #[arg(long, value_name = "NAME")]
    pub invoke: Option<String>,
    /// Grant the program the host directory HOST, seen as GUEST (default:
    /// HOST as written). Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,
    /// Set the program's environment variable K to V. Repeatable.
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Pass the host's whole environment to the program.
    #[arg(long)]
    pub inherit_env: bool,
    /// Listen on the TCP address HOST:PORT for the program (the fd after
    /// the preopens, for `sock_accept`). Repeatable.
    #[arg(long = "tcplisten", value_name = "HOST:PORT")]
    pub tcplisten: Vec<String>,
    /// C compiler driver used to link the cached executable (default: `cc`).
    #[arg(long, value_name = "CC")]
    pub linker: Option<String>,
    #[command(flatten)]
    pub codegen: CodegenArgs,
    /// Input module (.wasm or .wat).
    pub input: PathBuf,
    /// Arguments passed to the program untouched (or, with `--invoke`, the
    /// function's arguments).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<OsString>,
}

/// Runs `waot run`; returns the exit status (only when the program could not
/// be exec'd, or with `--invoke`).
pub fn run(args: &Args) -> Result<ExitCode> {
    if args.codegen.target.is_some() {
        let triple = args.codegen.triple()?;
        if !link::is_host(&triple) {
            bail!("`waot run` runs on this machine; --target must be the host architecture");
        }
    }
    match &args.invoke {
        Some(name) => invoke(args, name),
        None => exec(args),
    }
}

/// The grants as a launch configuration (host directories made absolute).
fn grants(args: &Args) -> Result<LaunchConfig> {
    super::build::launch_config(&args.dirs, &args.env, args.inherit_env)
}

/// Builds (or finds) the cached executable and execs it.
fn exec(args: &Args) -> Result<ExitCode> {
    let wasm = read_module(&args.input)?;
    let mut config = args.codegen.config()?;
    super::build::check_imports(&wasm, &config)?;
    config.symbol_prefix = EXECUTABLE_PREFIX.to_string();
    config.emit_main = true;
    let grants = grants(args)?;
    let has_separator = |b: &[u8]| b.contains(&b';');
    let bake = grants
        .dirs
        .iter()
        .any(|(h, g)| has_separator(h) || has_separator(g))
        || grants.env.iter().any(|e| has_separator(e));
    if bake {
        config.launch = grants.encode();
    }
    let runtime = link::runtime_lib(&config.target)?;
    let runtime_bytes =
        std::fs::read(&runtime).with_context(|| format!("cannot read `{}`", runtime.display()))?;
    let key = cache::key(&[
        b"waot run v1",
        crate::VERSION.as_bytes(),
        config.target.to_string().as_bytes(),
        format!("{:?}", config.opt_level).as_bytes(),
        &config.features.bits().to_le_bytes(),
        config.cpu.as_deref().unwrap_or("").as_bytes(),
        // The -C switches that change the code.
        &[
            u8::from(config.inline),
            u8::from(config.readonly_vmctx),
            u8::from(config.explicit_bounds_checks),
        ],
        &config.launch,
        args.linker.as_deref().unwrap_or("").as_bytes(),
        &runtime_bytes,
        &wasm,
    ]);
    let dir = cache::dir()?;
    let exe = dir.join(&key);
    if !exe.is_file() {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the cache directory `{}`", dir.display()))?;
        let object = args.codegen.compile(&args.input, &wasm, &config)?;
        let temp = tempfile::Builder::new()
            .prefix(".waot-obj-")
            .suffix(".o")
            .tempfile_in(&dir)
            .with_context(|| format!("cannot write to `{}`", dir.display()))?;
        std::fs::write(temp.path(), &object)
            .with_context(|| format!("cannot write `{}`", temp.path().display()))?;
        let options = link::LinkOptions::new(
            args.linker.clone(),
            &config.target,
            link::LinkMode::default(),
        );
        let start = std::time::Instant::now();
        link::link_executable(&options, temp.path(), &runtime, &exe)?;
        args.codegen.timing("link", start);
    }
    let mut cmd = std::process::Command::new(&exe);
    cmd.arg0(program_name(&args.input)).args(&args.args);
    cmd.env_remove(RUNTIME_DIR_VAR)
        .env_remove(RUNTIME_ENV_VAR)
        .env_remove(RUNTIME_INHERIT_ENV_VAR)
        .env_remove(RUNTIME_TCPLISTEN_VAR);
    // Addresses never contain `;`, so these always go at run time.
    if !args.tcplisten.is_empty() {
        cmd.env(RUNTIME_TCPLISTEN_VAR, args.tcplisten.join(";"));
    }
    if !bake {
        let join = |items: Vec<Vec<u8>>| OsString::from_vec(items.join(&b';'));
        if !grants.dirs.is_empty() {
            let items = grants
                .dirs
                .iter()
                .map(|(h, g)| [h.as_slice(), b"::", g.as_slice()].concat())
                .collect();
            cmd.env(RUNTIME_DIR_VAR, join(items));
        }
        if !grants.env.is_empty() {
            cmd.env(RUNTIME_ENV_VAR, join(grants.env.clone()));
        }
        if grants.inherit_env {
            cmd.env(RUNTIME_INHERIT_ENV_VAR, "1");
        }
    }
    let _ = std::io::stdout().flush();
    let e = cmd.exec();
    Err(anyhow!(e)).with_context(|| format!("cannot run `{}`", exe.display()))
}

/// `argv[0]` of the program: the module's file name, as wasmtime does.
fn program_name(input: &Path) -> OsString {
    input
        .file_name()
        .map(OsString::from)
        .unwrap_or_else(|| input.as_os_str().to_owned())
}

/// `--invoke`: compile, load and instantiate in this process, call the
/// export, print its results.
fn invoke(args: &Args, name: &str) -> Result<ExitCode> {
    // `waot run --invoke f 1 2 lib.wasm` (module last) is accepted too.
    let (input, values) = module_and_values(args);
    let wasm = read_module(&input)?;
    let mut config = args.codegen.config()?;
    config.symbol_prefix = "waot_invoke".to_string();
    config.emit_main = false;
    let object = args.codegen.compile(&input, &wasm, &config)?;
    let start = std::time::Instant::now();
    let loaded = waot_runtime::loader::load_object(&object)?;
    let module = Arc::new(
        Module::from_loaded(loaded, &descriptor_symbol(&config.symbol_prefix))
            .map_err(|e| anyhow!("{e}"))?,
    );
    // The same imports as an executable's (WASI, and wasi-threads').
    super::build::check_imports(&wasm, &config)?;
    let host_env: Vec<Vec<u8>> = std::env::vars_os()
        .map(|(k, v)| [k.as_bytes(), b"=", v.as_bytes()].concat())
        .collect();
    let argv = std::iter::once(program_name(&input))
        .chain(values.iter().cloned())
        .map(|a| a.as_bytes().to_vec())
        .collect();
    let ctx = wasi::launch_context(argv, &grants(args)?, &host_env).map_err(|e| anyhow!("{e}"))?;
    args.codegen.timing("load", start);
    let mut store = Store::new();
    let instance = wasi::imports(&mut store, &module, ctx)
        .and_then(|imports| store.instantiate(&module, &imports));
    let instance = match instance {
        Ok(i) => i,
        Err(InstantiateError::Trap(t)) => return Ok(report(&t)),
        Err(e) => bail!("{e}"),
    };
    if let Some(Extern::Func(f)) = store.get_export(instance, "_initialize") {
        if let Err(t) = store.call(f, &[]) {
            return Ok(report(&t));
        }
    }
    let Some(Extern::Func(func)) = store.get_export(instance, name) else {
        bail!("the module exports no function named `{name}`");
    };
    let ty = store.func_type(func);
    if ty.params.len() != values.len() {
        bail!(
            "`{name}` takes {} argument{}, {} given",
            ty.params.len(),
            if ty.params.len() == 1 { "" } else { "s" },
            values.len()
        );
    }
    let vals = ty
        .params
        .iter()
        .zip(&values)
        .map(|(t, v)| parse_value(*t, &v.to_string_lossy()))
        .collect::<Result<Vec<_>>>()?;
    match store.call(func, &vals) {
        Ok(results) => {
            let mut out = std::io::stdout().lock();
            for r in results {
                writeln!(out, "{}", format_value(&r)).context("cannot write to stdout")?;
            }
            out.flush().context("cannot write to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(t) => Ok(report(&t)),
    }
}

/// The module path and the function's arguments: normally the first
/// positional is the module; when it does not look like one but the last
/// positional does, the module is last.
fn module_and_values(args: &Args) -> (PathBuf, Vec<OsString>) {
    let is_module =
        |p: &Path| matches!(p.extension().and_then(|e| e.to_str()), Some("wasm" | "wat"));
    if !is_module(&args.input) {
        if let Some(last) = args.args.last() {
            if is_module(Path::new(last)) {
                let mut values = vec![args.input.clone().into_os_string()];
                values.extend(args.args[..args.args.len() - 1].iter().cloned());
                return (PathBuf::from(last), values);
            }
        }
    }
    (args.input.clone(), args.args.clone())
}

/// Parses a command-line argument as a value of type `ty`.
fn parse_value(ty: ValType, text: &str) -> Result<Val> {
    let bad = || anyhow!("invalid {} argument `{text}`", type_name(ty));
    let int = |t: &str| -> Option<i128> {
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let t = t.replace('_', "");
        let v = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(hex) => i128::from_str_radix(hex, 16).ok()?,
            None => t.parse::<i128>().ok()?,
        };
        Some(if neg { -v } else { v })
    };
    Ok(match ty {
        ValType::I32 => {
            let v = int(text).ok_or_else(bad)?;
            // Accept both signed and unsigned spellings.
            if v < i128::from(i32::MIN) || v > i128::from(u32::MAX) {
                return Err(bad());
            }
            Val::I32(v as u32 as i32)
        }
        ValType::I64 => {
            let v = int(text).ok_or_else(bad)?;
            if v < i128::from(i64::MIN) || v > i128::from(u64::MAX) {
                return Err(bad());
            }
            Val::I64(v as u64 as i64)
        }
        ValType::F32 => Val::F32(text.parse::<f32>().map_err(|_| bad())?.to_bits()),
        ValType::F64 => Val::F64(text.parse::<f64>().map_err(|_| bad())?.to_bits()),
        ValType::V128 => {
            let hex = text.strip_prefix("0x").ok_or_else(bad)?;
            Val::V128(u128::from_str_radix(hex, 16).map_err(|_| bad())?)
        }
        // Any nullable reference type (funcref, `(ref null $t)`, ...).
        _ if text == "null" && ty.as_ref_type().is_some_and(|r| r.nullable) => Val::default_for(ty),
        _ => bail!(
            "cannot pass a {} from the command line (only `null`)",
            type_name(ty)
        ),
    })
}

fn type_name(ty: ValType) -> String {
    ty.to_string()
}

/// A result as printed: integers signed decimal, floats as Rust prints them
/// (`NaN`, `inf`), v128 as hex, references as `null`, their kind, or an `i31`'s value.
fn format_value(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::V128(x) => format!("0x{x:032x}"),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) => "null".to_string(),
        Val::FuncRef(Some(_)) => "funcref".to_string(),
        Val::ExternRef(Some(x)) => format!("externref {x}"),
        Val::AnyRef(Some(r)) => match r.kind() {
            AnyKind::I31(x) => format!("i31 {x}"),
            AnyKind::Struct { .. } => "structref".to_string(),
            AnyKind::Array { len, .. } => format!("arrayref (length {len})"),
            AnyKind::Host(x) => format!("anyref (externref {x})"),
        },
    }
}

/// Reports a trap as executables do and returns the exit status.
fn report(trap: &Trap) -> ExitCode {
    if let Some(code) = trap.exit_code() {
        return ExitCode::from(code as u8);
    }
    let _ = std::io::stdout().flush();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}: {trap}", crate::error_prefix());
    for line in trap.details() {
        let _ = writeln!(err, "{line}");
    }
    ExitCode::from(TRAP_EXIT_STATUS as u8)
}
