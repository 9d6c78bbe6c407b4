//! Command-line parsing, dispatch and error reporting. One subcommand per file.

mod backend;
mod bench;
mod compile;
mod devices;
mod flash;
mod infer;
mod inspect;
mod progress;
mod source;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use crew_host::error::{Error, ErrorClass, RunError, TransportError};

#[derive(Parser)]
#[command(name = "crew-host", version, about = "CREW accelerator host tool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// CREW vs dense int8 baseline in simulation: cycles, DRAM bytes, energy, resources.
    Bench(bench::Args),
    /// Compile a model (description, checkpoint or the bundled g2p model) into a .crew package.
    Compile(compile::Args),
    /// Per-layer CREW statistics of a package or model.
    Inspect(inspect::Args),
    /// Run a model or package: g2p words or a tensor sequence (reference, board or
    /// simulated board, checked bit for bit against the integer reference).
    Infer(infer::Args),
    /// List Opal Kelly boards on USB (model, serial, bus/address, access).
    Devices(devices::Args),
    /// Configure a board with a bitstream after checking its manifest.
    Flash(flash::Args),
}

pub const EXIT_RUNTIME: u8 = 1;
pub const EXIT_MODEL: u8 = 2;
pub const EXIT_ENVIRONMENT: u8 = 3;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bench(a) => bench::run(a),
        Command::Compile(a) => compile::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Infer(a) => infer::run(a),
        Command::Devices(a) => devices::run(a),
        Command::Flash(a) => flash::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = hint(&e) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(exit_code(&e))
        }
    }
}

/// The exit code of an error: the one mapping from the library's error classes.
fn exit_code(e: &Error) -> u8 {
    match e.class() {
        ErrorClass::Runtime => EXIT_RUNTIME,
        ErrorClass::Bitstream | ErrorClass::Model => EXIT_MODEL,
        ErrorClass::Environment => EXIT_ENVIRONMENT,
    }
}

/// What to do about environment problems.
fn hint(e: &Error) -> Option<&'static str> {
    let Error::Run(RunError::Transport { error, .. }) = e else {
        return None;
    };
    match error {
        TransportError::LibraryMissing(_) => Some(
            "install Opal Kelly FrontPanel 5.x or set OK_FRONTPANEL_LIB to libokFrontPanel \
             (docs/frontpanel.md); --backend sim needs no board",
        ),
        TransportError::Open { .. } => Some(
            "if this is a permission problem: sudo scripts/install-udev-rules.sh and replug \
             the board; if another program (FrontPanel, another crew-host) holds the board, \
             close it",
        ),
        TransportError::NoDevice { .. } => Some(
            "check the USB cable and power, and `crew-host devices`; --backend sim needs \
             no board",
        ),
        _ => None,
    }
}
