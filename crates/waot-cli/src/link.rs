//! Linking executables: find `libwaot_runtime.a` for the target, run the C
//! compiler driver, and put the result in place atomically.
//!
//! The runtime library for a target is looked up in this order:
//!
//! 1. `$WAOT_RUNTIME_LIB` (any target; it must match the target's
//!    architecture);
//! 2. next to the `waot` executable (host target only): where
//!    `cargo build [--release]` puts it, `target/<profile>/libwaot_runtime.a`;
//! 3. `<exe dir>/<triple>/libwaot_runtime.a`: an installed layout;
//! 4. `<exe dir>/../<triple>/<profile>/libwaot_runtime.a`: where
//!    `cargo build [--release] -p waot-runtime --target <triple>` puts it,
//!    the waot executable's own profile first.

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};
use target_lexicon::Triple;

use crate::cmd::parent_dir;

/// File name of the runtime's static library.
pub const RUNTIME_LIB: &str = "libwaot_runtime.a";

/// Environment variable naming the runtime library to link, overriding the
/// search.
pub const RUNTIME_LIB_ENV: &str = "WAOT_RUNTIME_LIB";

/// Libraries the runtime needs from the system.
const SYSTEM_LIBS: [&str; 4] = ["-lpthread", "-ldl", "-lm", "-lrt"];

/// Whether `target` is the architecture waot itself runs on.
pub fn is_host(target: &Triple) -> bool {
    target.architecture == Triple::host().architecture
}

/// Where [`runtime_lib`] looks for the runtime of `target`, in order
/// (not including `$WAOT_RUNTIME_LIB`).
pub fn runtime_lib_candidates(exe: &Path, target: &Triple) -> Vec<PathBuf> {
    let exe_dir = exe.parent().unwrap_or(Path::new("."));
    let triple = target.to_string();
    let mut candidates = Vec::new();
    if is_host(target) {
        candidates.push(exe_dir.join(RUNTIME_LIB));
    }
    candidates.push(exe_dir.join(&triple).join(RUNTIME_LIB));
    let cross_dir = exe_dir.join("..").join(&triple);
    let own_profile = exe_dir.file_name().and_then(OsStr::to_str);
    let mut profiles: Vec<&str> = own_profile.into_iter().collect();
    for p in ["release", "debug"] {
        if !profiles.contains(&p) {
            profiles.push(p);
        }
    }
    for profile in profiles {
        candidates.push(cross_dir.join(profile).join(RUNTIME_LIB));
    }
    candidates
}

/// The runtime library for `target` (see the module documentation for the
/// search order).
pub fn runtime_lib(target: &Triple) -> Result<PathBuf> {
    if let Some(path) = env::var_os(RUNTIME_LIB_ENV) {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!(
                "{RUNTIME_LIB_ENV} names `{}`, which does not exist",
                path.display()
            );
        }
        return Ok(path);
    }
    let exe = env::current_exe().context("cannot locate the waot executable")?;
    if let Some(found) = runtime_lib_candidates(&exe, target)
        .into_iter()
        .find(|p| p.is_file())
    {
        return Ok(found);
    }
    let exe_dir = exe.parent().unwrap_or(Path::new("."));
    let release = if exe_dir.ends_with("release") {
        " --release"
    } else {
        ""
    };
    let build = if is_host(target) {
        format!("cargo build{release} -p waot-runtime")
    } else {
        format!("cargo build{release} -p waot-runtime --target {target}")
    };
    Err(anyhow!(
        "cannot find {RUNTIME_LIB} for {target} near `{}`; build it with `{build}` or set {RUNTIME_LIB_ENV}",
        exe.display()
    ))
}

/// The default C compiler driver for `target`: `cc` for the host
/// architecture, `<arch>-linux-gnu-gcc` otherwise (Debian's cross
/// compilers, e.g. `aarch64-linux-gnu-gcc` from `gcc-aarch64-linux-gnu`).
pub fn default_linker(target: &Triple) -> String {
    if is_host(target) {
        "cc".to_string()
    } else {
        format!("{}-linux-gnu-gcc", target.architecture)
    }
}

/// How an executable is linked against the C library.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkMode {
    /// `-static-pie`: no shared libraries and no dynamic loader, so start-up
    /// is as fast as a native C program's (the dynamic loader's work on
    /// libgcc_s and the runtime's relocations costs about as much as the
    /// whole rest of a hello world) and the executable runs on any Linux of
    /// its architecture; the load address is still randomized.
    #[default]
    StaticPie,
    /// `-static`: fully static at a fixed address.
    Static,
    /// Linked against the system's shared glibc and libgcc_s: a smaller
    /// file, tied to the glibc version it was built against.
    Dynamic,
}

impl LinkMode {
    /// The compiler driver flag selecting this mode.
    fn flag(self) -> Option<&'static str> {
        match self {
            LinkMode::StaticPie => Some("-static-pie"),
            LinkMode::Static => Some("-static"),
            LinkMode::Dynamic => None,
        }
    }
}

/// How to link.
#[derive(Clone, Debug)]
pub struct LinkOptions {
    /// The C compiler driver.
    pub linker: String,
    /// Static or dynamic C library.
    pub mode: LinkMode,
    /// Link with LLVM's lld (`-fuse-ld=lld`) instead of the driver's
    /// default linker: the runtime archive holds all of Rust's std, and lld
    /// goes through it about twice as fast as GNU ld.
    pub use_lld: bool,
}

impl LinkOptions {
    /// Options for `mode` with the user's `linker`, or the default driver
    /// for `target` (plus lld when it is installed and the target is the
    /// host: Debian's cross gcc finds no lld, and a driver the user chose
    /// gets no flags it may not know).
    pub fn new(linker: Option<String>, target: &Triple, mode: LinkMode) -> LinkOptions {
        match linker {
            Some(linker) => LinkOptions {
                linker,
                mode,
                use_lld: false,
            },
            None => LinkOptions {
                linker: default_linker(target),
                mode,
                use_lld: is_host(target) && lld_installed(),
            },
        }
    }
}

/// Whether `ld.lld` is on the PATH (the driver's `-fuse-ld=lld` looks for it
/// there).
fn lld_installed() -> bool {
    env::var_os("PATH")
        .is_some_and(|path| env::split_paths(&path).any(|dir| dir.join("ld.lld").is_file()))
}

/// The linker's arguments (after the program name) to link `object` and
/// `runtime` into `output`.
pub fn linker_args(
    options: &LinkOptions,
    object: &Path,
    runtime: &Path,
    output: &Path,
) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    if let Some(flag) = options.mode.flag() {
        args.push(flag.into());
    }
    if options.use_lld {
        args.push("-fuse-ld=lld".into());
    }
    // The runtime archive carries all of Rust's std and its line tables:
    // drop unreferenced sections and debug info (the symbol table stays, so
    // profilers and debuggers still see function names). Hello world goes
    // from ~8 MiB to ~0.6 MiB.
    args.push("-Wl,--gc-sections".into());
    args.push("-Wl,--strip-debug".into());
    args.push("-o".into());
    args.push(output.into());
    args.push(object.into());
    args.push(runtime.into());
    args.extend(SYSTEM_LIBS.iter().map(Into::into));
    args
}

/// Links `object` with `runtime` into the executable `output`. The linker
/// writes a temporary file next to `output`, which is renamed over it only
/// when linking succeeds.
pub fn link_executable(
    options: &LinkOptions,
    object: &Path,
    runtime: &Path,
    output: &Path,
) -> Result<()> {
    let linker = &options.linker;
    let temp = tempfile::Builder::new()
        .prefix(".waot-")
        .tempfile_in(parent_dir(output))
        .with_context(|| format!("cannot create `{}`", output.display()))?
        .into_temp_path();
    let result = Command::new(linker)
        .args(linker_args(options, object, runtime, &temp))
        .output();
    let result = match result {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "linker `{linker}` not found (install it, e.g. with scripts/setup.sh, or choose another with --linker)"
        ),
        Err(e) => {
            return Err(e).with_context(|| {
                format!("cannot run linker `{linker}` (use --linker to choose another)")
            })
        }
    };
    if !result.status.success() {
        let stderr = String::from_utf8_lossy(&result.stderr);
        let details: Vec<&str> = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        bail!(
            "linker `{linker}` failed ({}): {}",
            result.status,
            details.join(" | ")
        );
    }
    temp.persist(output)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write `{}`", output.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn candidates_for_cross_target() {
        let aarch64 = Triple::from_str("aarch64-unknown-linux-gnu").unwrap();
        let x86 = Triple::from_str("x86_64-unknown-linux-gnu").unwrap();
        let (host, cross) = if is_host(&x86) {
            (x86, aarch64)
        } else {
            (aarch64, x86)
        };
        let exe = Path::new("/w/target/debug/waot");
        let c = runtime_lib_candidates(exe, &cross);
        let t = cross.to_string();
        assert_eq!(
            c,
            [
                Path::new("/w/target/debug").join(&t).join(RUNTIME_LIB),
                Path::new("/w/target/debug/..")
                    .join(&t)
                    .join("debug")
                    .join(RUNTIME_LIB),
                Path::new("/w/target/debug/..")
                    .join(&t)
                    .join("release")
                    .join(RUNTIME_LIB),
            ]
        );
        let c = runtime_lib_candidates(exe, &host);
        assert_eq!(c[0], Path::new("/w/target/debug").join(RUNTIME_LIB));
    }

    #[test]
    fn link_mode_and_linker_flags() {
        let mut o = LinkOptions {
            linker: "cc".into(),
            mode: LinkMode::default(),
            use_lld: false,
        };
        let args = |o: &LinkOptions| {
            linker_args(o, Path::new("a.o"), Path::new("rt.a"), Path::new("out"))
                .into_iter()
                .map(|s| s.into_string().unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(args(&o)[0], "-static-pie");
        o.mode = LinkMode::Static;
        assert_eq!(args(&o)[0], "-static");
        o.mode = LinkMode::Dynamic;
        assert!(!args(&o).iter().any(|a| a.starts_with("-static")));
        assert!(!args(&o).contains(&"-fuse-ld=lld".to_string()));
        o.use_lld = true;
        assert_eq!(args(&o)[0], "-fuse-ld=lld");
    }
}
