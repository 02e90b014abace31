//! `waot cache dir|clean`: where `waot run` keeps executables, and
//! removing them.

use anyhow::{Context, Result};

use crate::cache;

/// Subcommands of `waot cache`.
#[derive(clap::Subcommand, Debug)]
pub enum Args {
    /// Print the cache directory.
    Dir,
    /// Remove the cache directory and everything in it.
    Clean,
}

/// Runs `waot cache`.
pub fn run(args: &Args) -> Result<()> {
    let dir = cache::dir()?;
    match args {
        Args::Dir => println!("{}", dir.display()),
        Args::Clean => match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove `{}`", dir.display())),
        },
    }
    Ok(())
}
