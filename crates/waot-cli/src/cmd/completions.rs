//! `waot completions SHELL`: a shell completion script on stdout.

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

/// Arguments of `waot completions`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Shell to complete for (e.g. `waot completions bash > /etc/bash_completion.d/waot`).
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Runs `waot completions`.
pub fn run(args: &Args) -> Result<()> {
    let mut cmd = crate::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "waot", &mut std::io::stdout());
    Ok(())
}
