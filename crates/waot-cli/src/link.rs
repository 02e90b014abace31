//! Linking executables: find `libwaot_runtime.a` for the target, run the C
//! compiler driver, and put the result in place atomically.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};
use target_lexicon::Triple;

use crate::cmd::parent_dir;

/// File name of the runtime's static library.
const RUNTIME_LIB: &str = "libwaot_runtime.a";

/// Environment variable naming the runtime library to link, overriding the
/// search.
const RUNTIME_LIB_ENV: &str = "WAOT_RUNTIME_LIB";

/// Libraries the runtime needs from the system.
const SYSTEM_LIBS: [&str; 4] = ["-lpthread", "-ldl", "-lm", "-lrt"];

fn is_host(target: &Triple) -> bool {
    target.architecture == Triple::host().architecture
}

/// The runtime library for `target`: `$WAOT_RUNTIME_LIB`, else next to the
/// `waot` executable (host target; where cargo puts it), else in cargo's
/// cross-compilation directory `<exe dir>/../<triple>/{release,debug}/`.
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
    let exe_dir = exe.parent().unwrap_or(Path::new("."));
    let mut candidates = Vec::new();
    if is_host(target) {
        candidates.push(exe_dir.join(RUNTIME_LIB));
    }
    let cross_dir = exe_dir.join("..").join(target.to_string());
    for profile in ["release", "debug"] {
        candidates.push(cross_dir.join(profile).join(RUNTIME_LIB));
    }
    if let Some(found) = candidates.into_iter().find(|p| p.is_file()) {
        return Ok(found);
    }
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
        "cannot find {RUNTIME_LIB} for {target} next to `{}`; build it with `{build}` or set {RUNTIME_LIB_ENV}",
        exe.display()
    ))
}

/// The default C compiler driver for `target`: `cc` for the host
/// architecture, `<arch>-linux-gnu-gcc` otherwise.
pub fn default_linker(target: &Triple) -> String {
    if is_host(target) {
        "cc".to_string()
    } else {
        format!("{}-linux-gnu-gcc", target.architecture)
    }
}

/// Links `object` with `runtime` into the executable `output`. The linker
/// writes a temporary file next to `output`, which is renamed over it only
/// when linking succeeds.
pub fn link_executable(linker: &str, object: &Path, runtime: &Path, output: &Path) -> Result<()> {
    let temp = tempfile::Builder::new()
        .prefix(".waot-")
        .tempfile_in(parent_dir(output))
        .with_context(|| format!("cannot create `{}`", output.display()))?
        .into_temp_path();
    let result = Command::new(linker)
        .arg("-o")
        .arg(&temp)
        .arg(object)
        .arg(runtime)
        .args(SYSTEM_LIBS)
        .output()
        .with_context(|| {
            format!("cannot run linker `{linker}` (use --linker to choose another)")
        })?;
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
