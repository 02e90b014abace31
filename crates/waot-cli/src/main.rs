//! `waot`: compile WebAssembly modules ahead of time to native objects and
//! executables.
//!
//! Each subcommand lives in `cmd/`; linking is in `link.rs`, the `waot run`
//! cache in `cache.rs`. Every failure prints exactly one line,
//! `error: <message>` (`error:` in red on a terminal unless `NO_COLOR` is
//! set), exits with status 1 and leaves no output file behind. `waot run`
//! exits with the program's status.

mod cache;
mod cmd;
mod link;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `waot --version`: waot's and Cranelift's versions (keep in step with
/// the workspace's `cranelift-codegen` requirement).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (Cranelift 0.135.8)");

/// Ahead-of-time WebAssembly compiler.
#[derive(Parser)]
#[command(name = "waot", version = VERSION, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a module (.wasm or .wat) to a relocatable object file.
    Compile(cmd::compile::Args),
    /// Compile a WASI command module and link it into an executable.
    Build(cmd::build::Args),
    /// Compile (cached) and run a WASI command, or call one export.
    Run(cmd::run::Args),
    /// Show a module's imports, exports, memories, custom sections, WASI kind.
    Inspect(cmd::inspect::Args),
    /// Validate a module; print nothing when it is valid.
    Validate(cmd::validate::Args),
    /// Copy the runtime library (static archive) C programs link with.
    Runtime(cmd::runtime::Args),
    /// The cache of `waot run`: print its directory or remove it.
    #[command(subcommand)]
    Cache(cmd::cache::Args),
    /// Print a shell completion script.
    Completions(cmd::completions::Args),
    /// List the supported target triples.
    Targets,
}

/// `error` as the first word of an error line: red and bold when stderr is a
/// terminal and `NO_COLOR` is unset or empty.
pub fn error_prefix() -> &'static str {
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    if colour {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    }
}

fn main() -> ExitCode {
    let ok = |r: anyhow::Result<()>| r.map(|()| ExitCode::SUCCESS);
    let result = match Cli::parse().command {
        Command::Compile(args) => ok(cmd::compile::run(&args)),
        Command::Build(args) => ok(cmd::build::run(&args)),
        Command::Run(args) => cmd::run::run(&args),
        Command::Inspect(args) => ok(cmd::inspect::run(&args)),
        Command::Validate(args) => ok(cmd::validate::run(&args)),
        Command::Runtime(args) => ok(cmd::runtime::run(&args)),
        Command::Cache(args) => ok(cmd::cache::run(&args)),
        Command::Completions(args) => ok(cmd::completions::run(&args)),
        Command::Targets => {
            for target in waot_compiler::SUPPORTED_TARGETS {
                println!("{target}");
            }
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // `{:#}` joins the context chain with ": "; keep it on one line.
            let message = format!("{e:#}").replace('\n', " ");
            eprintln!("{}: {message}", error_prefix());
            ExitCode::FAILURE
        }
    }
}
