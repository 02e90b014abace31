//! `waot validate IN`: exit 0 silently when the module is valid.

use std::path::PathBuf;

use anyhow::Result;
use waot_compiler::Config;

use super::{read_module, FeatureArgs};

/// Arguments of `waot validate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input module (.wasm or .wat).
    pub input: PathBuf,
    #[command(flatten)]
    pub features: FeatureArgs,
}

/// Runs `waot validate` with the features `waot compile` accepts (changed
/// by `--features`).
pub fn run(args: &Args) -> Result<()> {
    let wasm = read_module(&args.input)?;
    let features = args
        .features
        .apply(Config::new(target_lexicon::Triple::host()).features)?;
    waot_compiler::module::parse(&wasm, features)?;
    Ok(())
}
