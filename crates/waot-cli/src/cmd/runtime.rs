//! `waot runtime [--target T] -o libwaot_rt.a`: copies the runtime library
//! for a target, so a C build can link objects from `waot compile` without a
//! Rust toolchain (see `docs/C-API.md`).

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{anyhow, Context, Result};
use target_lexicon::Triple;

use super::write_atomic;
use crate::link;

/// Arguments of `waot runtime`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output static library (e.g. `libwaot_rt.a`).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Target triple (see `waot targets`); default: the host.
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
}

/// The target triple, checked against the supported ones.
fn target(text: Option<&str>) -> Result<Triple> {
    let Some(text) = text else {
        return Ok(Triple::host());
    };
    let supported = waot_compiler::SUPPORTED_TARGETS.join(", ");
    let triple = Triple::from_str(text).map_err(|e| {
        anyhow!("invalid target triple `{text}` ({e}); supported targets: {supported}")
    })?;
    waot_compiler::SUPPORTED_TARGETS
        .iter()
        .filter_map(|s| Triple::from_str(s).ok())
        .find(|s| {
            s.architecture == triple.architecture && s.operating_system == triple.operating_system
        })
        .ok_or_else(|| anyhow!("unsupported target `{text}`; supported targets: {supported}"))
}

/// Runs `waot runtime`.
pub fn run(args: &Args) -> Result<()> {
    let triple = target(args.target.as_deref())?;
    let lib = link::runtime_lib(&triple)?;
    let bytes = std::fs::read(&lib).with_context(|| format!("cannot read `{}`", lib.display()))?;
    write_atomic(&args.output, &bytes)
}
