//! Command-line parsing, dispatch and error reporting. One subcommand per file.

mod compile;
mod infer;
mod inspect;
mod source;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use crew_host::ErrorClass;

#[derive(Parser)]
#[command(name = "crew-host", version, about = "CREW accelerator host tool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a model (description, checkpoint or the bundled g2p model) into a .crew package.
    Compile(compile::Args),
    /// Per-layer CREW statistics of a package or model.
    Inspect(inspect::Args),
    /// Run a model or package: g2p words or a tensor sequence.
    Infer(infer::Args),
}

pub const EXIT_RUNTIME: u8 = 1;
pub const EXIT_MODEL: u8 = 2;
pub const EXIT_ENVIRONMENT: u8 = 3;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compile(a) => compile::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Infer(a) => infer::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// Exit code of an error: from the library's error class where there is one.
fn exit_code(e: &anyhow::Error) -> u8 {
    let class = e
        .chain()
        .find_map(|c| c.downcast_ref::<crew_host::Error>())
        .map(|e| e.class());
    match class {
        Some(ErrorClass::Runtime) => EXIT_RUNTIME,
        Some(ErrorClass::Environment) => EXIT_ENVIRONMENT,
        Some(ErrorClass::Model) | None => EXIT_MODEL,
    }
}
