//! `crew-host flash BITFILE [--serial S]`: checks the bitstream's manifest (register map
//! version, design id, board model) before configuring, configures the FPGA, then reads the
//! identity wires to confirm the board runs what the manifest promises.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use crew_host::bitstream::{self, BitstreamError};
use crew_host::device::{Device, DeviceConfig, DeviceError};
use crew_host::transport::board::BoardTransport;
use crew_host::transport::Transport;
use crew_spec::regmap;

#[derive(clap::Args)]
pub struct Args {
    /// The bitstream (`bitstreams/<hash>.bit`, with its manifest beside it).
    pub bitfile: PathBuf,
    /// Serial number of the board (needed when several are attached).
    #[arg(long, env = "CREW_SERIAL")]
    pub serial: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// A manifest that does not describe a bitstream this host can drive.
#[derive(Debug, thiserror::Error)]
#[error("{}: {what} is {found:#06x}, this crew-host needs {expected:#06x}; rebuild the bitstream from this source tree", bit.display())]
pub struct IncompatibleBitstream {
    pub bit: PathBuf,
    pub what: &'static str,
    pub found: u16,
    pub expected: u16,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (manifest_path, manifest) = bitstream::read_manifest(&args.bitfile)?;
    for (what, found, expected) in [
        ("design id", manifest.design_id, regmap::DESIGN_ID),
        (
            "protocol version",
            manifest.protocol_version,
            regmap::PROTOCOL_VERSION,
        ),
    ] {
        if found != expected {
            return Err(IncompatibleBitstream {
                bit: args.bitfile.clone(),
                what,
                found,
                expected,
            }
            .into());
        }
    }
    let mut board =
        BoardTransport::open(args.serial.as_deref()).map_err(|error| DeviceError::Transport {
            on: "FrontPanel".into(),
            error,
        })?;
    bitstream::check_board(&args.bitfile, &manifest, board.model())?;
    let on = board.describe();
    board
        .configure(&args.bitfile)
        .map_err(|error| DeviceError::Transport {
            on: on.clone(),
            error,
        })
        .with_context(|| format!("configuring with {}", args.bitfile.display()))?;
    // The identity check of the driver confirms design id, protocol and engine.
    let config = DeviceConfig {
        calibration_timeout: Duration::from_secs(5),
        engine_kind: manifest.engine_kind.unwrap_or(regmap::ENGINE_KIND_CREW),
        ..DeviceConfig::board()
    };
    let device = Device::open(Box::new(board) as Box<dyn Transport>, "board", config)?;
    let id = device.identity();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "board": on, "bitfile": args.bitfile, "manifest": manifest_path,
                "identity": id,
            })
        );
    } else {
        println!(
            "{on}: configured with {}; design id {:#06x}, protocol version {}, engine kind {}, \
             {} lanes, accumulator depth {}",
            args.bitfile.display(),
            id.design_id,
            id.protocol_version,
            id.engine_kind,
            id.lanes,
            id.acc_depth
        );
    }
    Ok(())
}

/// Exit code for this subcommand's own errors: 2 for the bitstream or its manifest, 3
/// when the bitstream file cannot be read.
pub fn exit_code(e: &anyhow::Error) -> Option<u8> {
    e.chain().find_map(|c| {
        if c.downcast_ref::<IncompatibleBitstream>().is_some() {
            return Some(super::EXIT_MODEL);
        }
        c.downcast_ref::<BitstreamError>().map(|b| match b {
            BitstreamError::Io { .. } => super::EXIT_ENVIRONMENT,
            _ => super::EXIT_MODEL,
        })
    })
}
