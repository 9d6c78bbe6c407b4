//! Command-line parsing, dispatch and error reporting. One subcommand per file.

mod backend;
mod bench;
mod compile;
mod devices;
mod flash;
mod infer;
mod inspect;
mod source;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use crew_host::device::{DeviceError, DeviceErrorClass};
use crew_host::transport::TransportError;
use crew_host::{AccelError, ErrorClass};

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
            eprintln!("error: {e:#}");
            if let Some(hint) = hint(&e) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(exit_code(&e))
        }
    }
}

/// The device error in an error chain, also when boxed inside an `AccelError`.
fn device_error(e: &anyhow::Error) -> Option<&DeviceError> {
    fn in_accel(a: &AccelError) -> Option<&DeviceError> {
        match a {
            AccelError::Transport { error, .. } => error.downcast_ref::<DeviceError>(),
            _ => None,
        }
    }
    e.chain().find_map(|c| {
        if let Some(d) = c.downcast_ref::<DeviceError>() {
            return Some(d);
        }
        match (
            c.downcast_ref::<AccelError>(),
            c.downcast_ref::<crew_host::Error>(),
        ) {
            (Some(a), _) | (None, Some(crew_host::Error::Accel(a))) => in_accel(a),
            _ => None,
        }
    })
}

/// What to do about environment problems.
fn hint(e: &anyhow::Error) -> Option<&'static str> {
    match device_error(e)? {
        DeviceError::Transport { error, .. } => match error {
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
        },
        _ => None,
    }
}

/// Exit code of an error: from the library's error class where there is one.
fn exit_code(e: &anyhow::Error) -> u8 {
    if let Some(d) = device_error(e) {
        return match d.class() {
            DeviceErrorClass::Runtime => EXIT_RUNTIME,
            DeviceErrorClass::Bitstream => EXIT_MODEL,
            DeviceErrorClass::Environment => EXIT_ENVIRONMENT,
        };
    }
    if let Some(code) = flash::exit_code(e) {
        return code;
    }
    if e.chain().any(|c| c.downcast_ref::<AccelError>().is_some()) {
        return EXIT_RUNTIME;
    }
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
