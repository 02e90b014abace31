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

/// How to link.
#[derive(Clone, Debug)]
pub struct LinkOptions {
    /// The C compiler driver.
    pub linker: String,
    /// Link fully statically (`-static`): no dynamic loader, no shared
    /// libraries, so no glibc version dependency.
    pub static_link: bool,
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
    if options.static_link {
        args.push("-static".into());
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
    fn static_flag() {
        let mut o = LinkOptions {
            linker: "cc".into(),
            static_link: false,
        };
        let args = |o: &LinkOptions| {
            linker_args(o, Path::new("a.o"), Path::new("rt.a"), Path::new("out"))
                .into_iter()
                .map(|s| s.into_string().unwrap())
                .collect::<Vec<_>>()
        };
        assert!(!args(&o).contains(&"-static".to_string()));
        o.static_link = true;
        assert_eq!(args(&o)[0], "-static");
    }
}
