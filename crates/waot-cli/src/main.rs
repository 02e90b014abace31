//! `waot`: compile WebAssembly modules ahead of time to native objects and
//! executables.
//!
//! Each subcommand lives in `cmd/`; linking is in `link.rs`. Every failure
//! prints exactly one line, `error: <message>`, exits with status 1 and
//! leaves no output file behind.

mod cmd;
mod link;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Ahead-of-time WebAssembly compiler.
#[derive(Parser)]
#[command(name = "waot", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a module (.wasm or .wat) to a relocatable object file.
    Compile(cmd::compile::Args),
    /// Compile a WASI command module and link it into an executable.
    Build(cmd::build::Args),
    /// Validate a module; print nothing when it is valid.
    Validate(cmd::validate::Args),
    /// Copy the runtime library (static archive) C programs link with.
    Runtime(cmd::runtime::Args),
    /// List the supported target triples.
    Targets,
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Compile(args) => cmd::compile::run(&args),
        Command::Build(args) => cmd::build::run(&args),
        Command::Validate(args) => cmd::validate::run(&args),
        Command::Runtime(args) => cmd::runtime::run(&args),
        Command::Targets => {
            for target in waot_compiler::SUPPORTED_TARGETS {
                println!("{target}");
            }
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` joins the context chain with ": "; keep it on one line.
            let message = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
