//! `waot build IN -o OUT`: a WASI command module to a native executable
//! (the module's object, with a C `main`, linked with `libwaot_runtime.a`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use waot_abi::launch::LaunchConfig;
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
    /// Grant the program the host directory HOST, seen as GUEST (default:
    /// HOST as written). Repeatable; preopens get fds 3, 4, ... in order.
    /// Baked into the executable. Without any grant the program sees no
    /// files at all.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,
    /// Set the program's environment variable K to V. Repeatable; baked into
    /// the executable. Without it (or `--inherit-env`) the environment is empty.
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Pass the host's whole environment to the program at run time
    /// (before the `--env` entries).
    #[arg(long)]
    pub inherit_env: bool,
    /// Listen on the TCP address HOST:PORT when the program starts; the
    /// socket is the fd after the preopened directories (for
    /// `sock_accept`). Repeatable; baked into the executable.
    #[arg(long = "tcplisten", value_name = "HOST:PORT")]
    pub tcplisten: Vec<String>,
    /// How to link the C library: `static-pie` (default: no shared
    /// libraries, fastest start-up, runs on any Linux of the architecture),
    /// `static` (the same at a fixed address) or `dynamic` (shared glibc).
    #[arg(long = "link", value_name = "MODE", value_enum, default_value_t)]
    pub link_mode: link::LinkMode,
    /// Shorthand for `--link static`.
    #[arg(long = "static", conflicts_with = "link_mode")]
    pub static_link: bool,
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
    let mut launch = launch_config(&args.dirs, &args.env, args.inherit_env)?;
    launch.tcplisten = args
        .tcplisten
        .iter()
        .map(|a| a.as_bytes().to_vec())
        .collect();
    config.launch = launch.encode();
    // Find the runtime before spending time compiling.
    let runtime = link::runtime_lib(&config.target)?;
    let object = args.codegen.compile(&args.input, &wasm, &config)?;

    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let object_path = dir.path().join("module.o");
    std::fs::write(&object_path, &object)
        .with_context(|| format!("cannot write `{}`", object_path.display()))?;
    let mode = if args.static_link {
        link::LinkMode::Static
    } else {
        args.link_mode
    };
    let options = link::LinkOptions::new(args.linker.clone(), &config.target, mode);
    link::link_executable(&options, &object_path, &runtime, &args.output)
}

/// Executables get only WASI: every import must be a function of
/// `wasi_snapshot_preview1`, or, for a wasi-threads program
/// (`wasm32-wasip1-threads`), `wasi::thread-spawn` or the shared memory
/// `env::memory` (see `waot_runtime::wasi`).
pub(crate) fn check_imports(wasm: &[u8], config: &waot_compiler::Config) -> Result<()> {
    use waot_runtime::wasi::{MEMORY_IMPORT, THREADS_MODULE, THREAD_SPAWN};
    let info = waot_compiler::module::parse(wasm, config.features)?;
    for import in &info.meta.imports {
        let name = (import.module.as_str(), import.name.as_str());
        match import.ty {
            ExternType::Func(_) if import.module == WASI_MODULE => {}
            ExternType::Func(_) if name == (THREADS_MODULE, THREAD_SPAWN) => {}
            ExternType::Memory(m) if name == MEMORY_IMPORT && m.shared => {}
            _ if import.module == WASI_MODULE => bail!(
                "unsupported import `{}.{}`: `{WASI_MODULE}` only provides functions",
                import.module,
                import.name
            ),
            _ => bail!(
                "unsupported import `{}.{}`: executables can only import from `{WASI_MODULE}` \
                 (and wasi-threads' `{THREADS_MODULE}.{THREAD_SPAWN}` and shared `{}.{}`)",
                import.module,
                import.name,
                MEMORY_IMPORT.0,
                MEMORY_IMPORT.1
            ),
        }
    }
    Ok(())
}

/// The `--dir`/`--env`/`--inherit-env` grants. A host directory is made
/// absolute (against the current directory) so the executable works from
/// anywhere; it need not exist until the program runs. Shared by `build`
/// (baked grants) and `run` (run-time grants).
pub(crate) fn launch_config(
    dirs: &[String],
    env: &[String],
    inherit_env: bool,
) -> Result<LaunchConfig> {
    use std::os::unix::ffi::OsStrExt;
    let mut cfg = LaunchConfig {
        inherit_env,
        ..LaunchConfig::default()
    };
    for dir in dirs {
        let (host, guest) = dir.split_once("::").unwrap_or((dir, dir));
        if host.is_empty() || guest.is_empty() {
            bail!("invalid --dir `{dir}`: expected HOST[::GUEST]");
        }
        let abs = std::path::absolute(host).with_context(|| format!("invalid --dir `{dir}`"))?;
        cfg.dirs.push((
            abs.as_os_str().as_bytes().to_vec(),
            guest.as_bytes().to_vec(),
        ));
    }
    for e in env {
        match e.split_once('=') {
            Some((k, _)) if !k.is_empty() => cfg.env.push(e.as_bytes().to_vec()),
            _ => bail!("invalid --env `{e}`: expected K=V"),
        }
    }
    Ok(cfg)
}
