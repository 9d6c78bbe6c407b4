//! `crew-host flash BITFILE [--serial S]`: checks the bitstream's manifest (sha256,
//! register map and image format versions, design id, board model) before configuring, configures the FPGA, then reads the
//! identity wires to confirm the board runs what the manifest promises.

use std::path::PathBuf;
use std::time::Duration;

use crew_host::device::bitstream;
use crew_host::device::{Device, DeviceConfig};
use crew_host::error::{Result, RunError};
use crew_host::transport::board::BoardTransport;
use crew_host::transport::Transport;

#[derive(clap::Args)]
pub struct Args {
    /// The bitstream (`bitstreams/crew-xem7010-<hash>.bit`, its `.json` manifest beside it).
    pub bitfile: PathBuf,
    /// Serial number of the board (needed when several are attached).
    #[arg(long, env = "CREW_SERIAL")]
    pub serial: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<()> {
    let (manifest_path, manifest) = bitstream::read_and_check(&args.bitfile)?;
    let mut board =
        BoardTransport::open(args.serial.as_deref()).map_err(|error| RunError::Transport {
            on: "FrontPanel".into(),
            error,
        })?;
    bitstream::check_board(&args.bitfile, &manifest, board.model())?;
    let on = board.describe();
    board
        .configure(&args.bitfile)
        .map_err(|error| RunError::Transport {
            on: format!("{on}: configuring with {}", args.bitfile.display()),
            error,
        })?;
    // The identity check of the driver confirms design id, protocol and the manifest's
    // engine (kind, lanes, accumulator depth).
    let config = DeviceConfig {
        calibration_timeout: Duration::from_secs(5),
        engine: Some((&manifest.engine).into()),
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
            "{on}: configured with {}; design id {:#06x}, protocol version {}, engine kind {} \
             ({}), {} lanes, accumulator depth {}",
            args.bitfile.display(),
            id.design_id,
            id.protocol_version,
            id.engine.kind,
            crew_spec::regmap::engine_kind_description(id.engine.kind),
            id.engine.lanes,
            id.engine.acc_depth
        );
    }
    Ok(())
}
