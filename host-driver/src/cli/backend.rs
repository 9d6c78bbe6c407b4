//! `--backend auto|board|sim|reference`, `--engine`, `--serial`, simulator faults and
//! deadlines: opening the device a subcommand runs on.

use std::time::Duration;

use clap::ValueEnum;
use crew_host::device::{Device, DeviceConfig};
use crew_host::error::{ErrorClass, RunError};
use crew_host::transport::board::BoardTransport;
use crew_host::transport::sim::{BoardEngine, SimBoardConfig, SimFault, SimTransport, Simulator};
use crew_host::transport::{Transport, TransportError};
use rust_hdl_ok_frontpanel_sys::FrontPanelError;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// A board if one answers, else the simulated board (says which).
    Auto,
    /// A real XEM7010 through FrontPanel.
    Board,
    /// The simulated XEM7010 (host bridge, engine and DDR3 model, cycle by cycle).
    Sim,
    /// The bit-exact integer reference (software).
    Reference,
    /// The float model the compiler starts from (software; models, not packages): its
    /// phonemes, and with --json the logits of every decoder step.
    Float,
}

#[derive(clap::Args, Clone)]
pub struct DeviceOptions {
    /// The engine to run on: crew or dense (the dense int8 baseline), or one of the
    /// benchmark's configurations crew-16x512, dense-4x2048, dense-16x512. The simulated
    /// board is built with it (default crew); a board must report its engine kind on its
    /// identity wires (default: whichever engine its bitstream holds).
    #[arg(long)]
    pub engine: Option<BoardEngine>,
    /// Serial number of the board to use (needed when several are attached).
    #[arg(long, env = "CREW_SERIAL")]
    pub serial: Option<String>,
    /// Simulator fault for testing error paths (repeatable): cut-transfer=BYTES,
    /// stall-dram-at-run=CYCLES, design-id=N, protocol-version=N, engine-kind=N.
    #[arg(long = "sim-fault", value_name = "KEY=VALUE")]
    pub sim_faults: Vec<SimFault>,
    /// Simulator of the simulated board: verilator (compiled Verilog, the default) or
    /// rust-hdl (the slow cross-check).
    #[arg(long, env = "CREW_SIMULATOR", default_value = "verilator")]
    pub simulator: Simulator,
    /// Write a waveform (VCD) of the simulated board's whole session to FILE.
    #[arg(long, value_name = "FILE")]
    pub vcd: Option<std::path::PathBuf>,
    /// Deadline of one layer run in milliseconds of device time (default: from the
    /// layer's size).
    #[arg(long, value_name = "MS")]
    pub run_timeout_ms: Option<u64>,
}

/// A device behind a boxed transport (board or simulator).
pub type AnyDevice = Device<Box<dyn Transport>>;

/// The device chosen, and a sentence saying why (for `auto`).
pub struct Opened {
    pub device: AnyDevice,
    pub note: Option<String>,
}

fn config(base: DeviceConfig, opts: &DeviceOptions, engine: Option<BoardEngine>) -> DeviceConfig {
    DeviceConfig {
        run_timeout: opts.run_timeout_ms.map(Duration::from_millis),
        engine: engine.map(BoardEngine::info),
        ..base
    }
}

pub fn open_board(opts: &DeviceOptions) -> Result<AnyDevice, RunError> {
    let t = BoardTransport::open(opts.serial.as_deref()).map_err(|error| RunError::Transport {
        on: "FrontPanel".into(),
        error,
    })?;
    Device::open(
        Box::new(t) as Box<dyn Transport>,
        "board",
        config(DeviceConfig::board(), opts, opts.engine),
    )
}

pub fn open_sim(opts: &DeviceOptions) -> Result<AnyDevice, RunError> {
    let engine = opts.engine.unwrap_or_default();
    let board = SimBoardConfig {
        engine,
        simulator: opts.simulator,
        vcd: opts.vcd.clone(),
        ..SimBoardConfig::default()
    };
    let t =
        SimTransport::with_board(&opts.sim_faults, board).map_err(|error| RunError::Transport {
            on: "simulated XEM7010".into(),
            error,
        })?;
    if let Some(notice) = t.notice() {
        eprintln!("sim: {notice}");
    }
    Device::open(
        Box::new(t) as Box<dyn Transport>,
        "sim",
        config(DeviceConfig::sim(), opts, Some(engine)),
    )
}

/// Opens the device for `backend`; `None` for the reference, which is no device.
pub fn open(backend: Backend, opts: &DeviceOptions) -> Result<Option<Opened>, RunError> {
    let opened = match backend {
        Backend::Reference | Backend::Float => return Ok(None),
        Backend::Board => Opened {
            device: open_board(opts)?,
            note: None,
        },
        Backend::Sim => Opened {
            device: open_sim(opts)?,
            note: None,
        },
        Backend::Auto => match open_board(opts) {
            Ok(device) => {
                let note = format!("auto: using the board ({})", device.transport().describe());
                Opened {
                    device,
                    note: Some(note),
                }
            }
            // Several boards and no serial, or a board with the wrong bitstream: the user
            // has to decide, so stop.
            Err(
                e @ RunError::Transport {
                    error: TransportError::SeveralDevices { .. },
                    ..
                },
            ) => return Err(e),
            Err(e) if e.class() == ErrorClass::Bitstream => return Err(e),
            Err(e) => {
                // Said before opening the simulator, so it shows also if that fails.
                eprintln!(
                    "auto: no board answered ({}); using the simulated board",
                    one_line(&e)
                );
                Opened {
                    device: open_sim(opts)?,
                    note: None,
                }
            }
        },
    };
    Ok(Some(opened))
}

/// The error on one line: a missing FrontPanel library with the places searched, else the
/// message's first line.
fn one_line(e: &RunError) -> String {
    if let RunError::Transport {
        error:
            TransportError::LibraryMissing(FrontPanelError::LibraryNotFound { library, attempts }),
        ..
    } = e
    {
        let places: Vec<String> = attempts
            .iter()
            .map(|a| a.path.display().to_string())
            .collect();
        return format!(
            "the FrontPanel library {library} could not be loaded; looked in: {}",
            places.join(", ")
        );
    }
    e.to_string().lines().next().unwrap_or("").to_string()
}
