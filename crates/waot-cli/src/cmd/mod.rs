//! The subcommands, and what they share: reading the input, choosing the
//! target and optimization level, writing outputs atomically.

pub mod build;
pub mod cache;
pub mod compile;
pub mod completions;
pub mod inspect;
pub mod run;
pub mod runtime;
pub mod validate;

use std::borrow::Cow;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{anyhow, bail, Context, Result};
use target_lexicon::Triple;
use waot_compiler::{Config, OptLevel, WasmFeatures};

/// `-O` levels.
#[derive(Clone, Copy, Debug, Default, clap::ValueEnum)]
pub enum Opt {
    /// No optimization.
    #[value(name = "0")]
    O0,
    /// Optimize for speed.
    #[default]
    #[value(name = "1")]
    O1,
    /// Optimize for speed and size.
    #[value(name = "2")]
    O2,
}

/// Options shared by `compile` and `build`.
#[derive(clap::Args, Debug)]
pub struct CodegenArgs {
    /// Target triple (see `waot targets`); default: the host.
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
    /// Optimization level: 0 none, 1 speed, 2 speed and size.
    #[arg(short = 'O', value_enum, default_value_t = Opt::O1, value_name = "LEVEL")]
    pub opt: Opt,
    /// CPU to generate code for. Default: a portable baseline (x86-64-v2,
    /// armv8.0-a). `native`: every feature of this machine's CPU (host
    /// target only). Otherwise a Cranelift preset or flag: `x86-64-v3`,
    /// `haswell`, `skylake`, `znver1`, `has_avx2`, `has_lse`, ...
    #[arg(long, value_name = "CPU")]
    pub cpu: Option<String>,
    #[command(flatten)]
    pub features: FeatureArgs,
    /// Switch one optimization on or off (to measure it), comma-separated,
    /// repeatable: `inline` (inline small functions, default y),
    /// `readonly-vmctx` (hoist VM-context loads that never change, y),
    /// `bounds-checks` (check 32-bit memory accesses explicitly instead of
    /// relying on guard pages, n), `parallel` (compile on all cores, y).
    #[arg(
        short = 'C',
        long = "codegen",
        value_name = "NAME=y|n,...",
        value_delimiter = ','
    )]
    pub switches: Vec<String>,
    /// Print the time each compilation stage takes to stderr.
    #[arg(long)]
    pub timings: bool,
}

/// `--features`/`-W`: WebAssembly proposals to enable or disable.
#[derive(clap::Args, Debug, Default)]
pub struct FeatureArgs {
    /// Enable (`NAME`, `NAME=y`) or disable (`NAME=n`) WebAssembly features,
    /// comma-separated, repeatable; e.g. `-W simd=n,tail-call=y`. Names are
    /// wasmparser's in kebab-case: simd, relaxed-simd, threads, tail-call,
    /// multi-memory, memory64, exceptions, gc, function-references,
    /// extended-const, bulk-memory, reference-types, multi-value,
    /// wide-arithmetic, custom-page-sizes, ... The default set is
    /// WebAssembly 2.0 (with SIMD) plus the 3.0 features waot compiles;
    /// wide-arithmetic and custom-page-sizes compile too but are off by
    /// default, as in wasmtime.
    #[arg(
        long = "features",
        short = 'W',
        value_name = "NAME[=y|n],...",
        value_delimiter = ','
    )]
    pub features: Vec<String>,
}

impl FeatureArgs {
    /// `base` with these changes applied.
    pub fn apply(&self, base: WasmFeatures) -> Result<WasmFeatures> {
        let mut features = base;
        for item in &self.features {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let (name, value) = item.split_once('=').unwrap_or((item, "y"));
            let Some(on) = parse_yes_no(value) else {
                bail!("invalid --features item `{item}`: expected NAME, NAME=y or NAME=n");
            };
            let flag = feature_flag(name).ok_or_else(|| {
                anyhow!(
                    "unknown WebAssembly feature `{name}`; known features: {}",
                    feature_names().join(", ")
                )
            })?;
            features.set(flag, on);
        }
        Ok(features)
    }
}

/// The `--features` name of every wasmparser feature flag.
pub fn feature_names() -> Vec<String> {
    WasmFeatures::all()
        .iter_names()
        .map(|(name, _)| name.to_ascii_lowercase().replace('_', "-"))
        .collect()
}

/// The flag a `--features` name (kebab- or snake-case) stands for.
fn feature_flag(name: &str) -> Option<WasmFeatures> {
    let upper = name.trim().to_ascii_uppercase().replace('-', "_");
    WasmFeatures::all()
        .iter_names()
        .find(|(n, _)| *n == upper)
        .map(|(_, f)| f)
}

impl CodegenArgs {
    /// The target triple: the host, or `--target` when it is one of
    /// [`waot_compiler::SUPPORTED_TARGETS`] (spelled any way target-lexicon
    /// parses to the same architecture, OS and environment).
    pub fn triple(&self) -> Result<Triple> {
        match &self.target {
            None => Ok(Triple::host()),
            Some(t) => parse_target(t),
        }
    }

    /// A compiler configuration for these options.
    pub fn config(&self) -> Result<Config> {
        let mut config = Config::new(self.triple()?);
        config.opt_level = match self.opt {
            Opt::O0 => OptLevel::None,
            Opt::O1 => OptLevel::Speed,
            Opt::O2 => OptLevel::SpeedAndSize,
        };
        config.cpu = self.cpu.clone();
        config.features = self.features.apply(config.features)?;
        for item in self
            .switches
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            let (name, value) = item.split_once('=').unwrap_or((item, "y"));
            let on = parse_yes_no(value)
                .ok_or_else(|| anyhow!("invalid -C item `{item}`: expected NAME=y or NAME=n"))?;
            match name {
                "inline" => config.inline = on,
                "readonly-vmctx" => config.readonly_vmctx = on,
                "bounds-checks" => config.explicit_bounds_checks = on,
                "parallel" => config.parallel = on,
                _ => bail!(
                    "unknown -C switch `{name}`; known: inline, readonly-vmctx, bounds-checks, \
                     parallel"
                ),
            }
        }
        Ok(config)
    }
}

/// `y`/`n` and their spellings, as in `-W` and `-C`.
fn parse_yes_no(value: &str) -> Option<bool> {
    match value {
        "y" | "yes" | "true" | "on" | "1" => Some(true),
        "n" | "no" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

impl CodegenArgs {
    /// Compiles `wasm` (named `input` in messages) with `config`: with
    /// `--timings`, one `timing: <stage> <ms> ms` line per stage on stderr;
    /// on a terminal, a progress line while a large module compiles.
    pub fn compile(&self, input: &Path, wasm: &[u8], config: &Config) -> Result<Vec<u8>> {
        use std::io::IsTerminal;
        let progress = wasm.len() >= PROGRESS_MIN_BYTES && std::io::stderr().is_terminal();
        if progress {
            eprint!(
                "compiling {} ({} KiB)...",
                input.display(),
                wasm.len() / 1024
            );
        }
        let mut lines = Vec::new();
        let result = waot_compiler::compile_with_timings(wasm, config, &mut |stage, d| {
            lines.push(format!("timing: {stage} {:.1} ms", d.as_secs_f64() * 1e3));
        });
        if progress {
            // Erase the progress line.
            eprint!("\r\x1b[K");
        }
        if self.timings {
            for line in &lines {
                eprintln!("{line}");
            }
        }
        Ok(result?)
    }

    /// With `--timings`: `timing: <stage> <ms> ms` on stderr for a stage
    /// the CLI runs itself (reading, linking).
    pub fn timing(&self, stage: &str, since: std::time::Instant) {
        if self.timings {
            eprintln!(
                "timing: {stage} {:.1} ms",
                since.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}

/// Modules at least this large show a progress line on a terminal.
const PROGRESS_MIN_BYTES: usize = 1 << 20;

/// Parses `--target`: one of the supported triples, or one clear error line
/// listing them.
pub fn parse_target(text: &str) -> Result<Triple> {
    let supported = waot_compiler::SUPPORTED_TARGETS.join(", ");
    let triple = Triple::from_str(text).map_err(|e| {
        anyhow!("invalid target triple `{text}` ({e}); supported targets: {supported}")
    })?;
    waot_compiler::SUPPORTED_TARGETS
        .iter()
        .map(|s| Triple::from_str(s).expect("supported targets parse"))
        .find(|s| {
            s.architecture == triple.architecture
                && s.operating_system == triple.operating_system
                && s.environment == triple.environment
        })
        .ok_or_else(|| anyhow!("unsupported target `{text}`; supported targets: {supported}"))
}

/// Reads `path` and returns the module's binary: `.wat` text is assembled,
/// binary input is passed through (detected by content, not extension).
pub fn read_module(path: &Path) -> Result<Vec<u8>> {
    let bytes = fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    match wat::parse_bytes(&bytes) {
        Ok(Cow::Borrowed(_)) => Ok(bytes),
        Ok(Cow::Owned(wasm)) => Ok(wasm),
        Err(mut e) => {
            e.set_path(path);
            Err(anyhow!(wat_error_line(&e)))
        }
    }
}

/// A text-format error on one line: `message (at file:line:col)`. wat's
/// `Display` draws a multi-line snippet; keep its first line and location.
fn wat_error_line(e: &wat::Error) -> String {
    let text = e.to_string();
    let mut lines = text.lines();
    let message = lines.next().unwrap_or_default().trim();
    match lines.find_map(|l| l.trim().strip_prefix("--> ")) {
        Some(location) => format!("{message} (at {location})"),
        None => message.to_string(),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, renamed over `path` only once complete. On any error `path`
/// is untouched and the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = tempfile::Builder::new()
        .prefix(".waot-")
        .tempfile_in(parent_dir(path))
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    set_mode(file.as_file(), 0o644)?;
    file.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

/// The directory a file `path` goes into (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(unix)]
fn set_mode(file: &fs::File, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
        .context("cannot set output file permissions")
}

#[cfg(not(unix))]
fn set_mode(_file: &fs::File, _mode: u32) -> Result<()> {
    Ok(())
}

/// The default symbol prefix for `input`: its sanitized file stem, made a
/// valid C identifier.
pub fn default_prefix(input: &Path) -> String {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    c_identifier(&stem)
}

/// `name` sanitized into a C identifier (never empty, never starting with a
/// digit).
pub fn c_identifier(name: &str) -> String {
    let name = waot_abi::symbols::sanitize(name);
    match name.chars().next() {
        None => "module".to_string(),
        Some(c) if c.is_ascii_digit() => format!("_{name}"),
        Some(_) => name,
    }
}
