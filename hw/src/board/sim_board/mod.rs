//! Simulated XEM7010: the accelerator (host bridge + an engine configuration of
//! [`crate::board::engine`], chosen by [`SimBoardConfig::engine`]) and the DDR3 model
//! driven at endpoint level, with calls mirroring the FrontPanel API so the host driver
//! can use it as a backend. Both clocks are simulated in one thread, interleaved by time:
//! ti_clk at 48 MHz and the MIG UI clock at 100 MHz (`clocking.rs`). The accelerator runs
//! on one of two simulators ([`Simulator`]): its generated Verilog compiled by Verilator
//! (the default), or rust-hdl's own simulation; everything else here (endpoint emulation,
//! the DDR3 model, faults, the clocks) is the same code for both.
//!
//! Endpoint emulation (`endpoints.rs`) follows FrontPanel: wire-ins take effect at
//! `update_wire_ins`, wire-outs are captured at `update_wire_outs`, a trigger-in is a
//! one-cycle pulse in the UI clock domain, trigger-out events accumulate until
//! `update_trigger_outs`. Block pipes move whole blocks, each only after the endpoint's
//! ready is seen high; a block waits at most `pipe_timeout_ti_cycles` for ready, after
//! which the call returns the bytes moved so far. Pipe-out data is sampled one ti_clk cycle
//! after each read strobe.
//!
//! Faults for robustness tests ([`Fault`]): cut the next pipe transfer short, stall the
//! DRAM port, pulse the soft reset after a delay.
//!
//! Front ends do not drive [`SimBoard`] directly: [`device::SimDevice`] is the board as the
//! host sees it over USB (device clock of the USB cost model, the one fault vocabulary of
//! [`faults`]), shared by crew-host's sim transport and the frontpanel-sim stand-in.

pub mod circuit;
mod clocking;
pub mod device;
mod endpoints;
pub mod faults;
mod simulator;
pub mod usb_timing;

pub use simulator::{Simulator, SIMULATOR_ENV};

use crate::board::engine::BoardEngine;
use crate::bridge::{HostBridge, DEFAULT_WATCHDOG_CYCLES};
use crate::sim::ddr3_model::{Ddr3, Ddr3Stats, Ddr3Timing, MigResponse};
use crate::sim::verilator::{self, BuildOptions, VerilatedLibrary, VerilatorError};
use circuit::{rust_hdl_circuit, Circuit, VerilatorCircuit};
use crew_spec::regmap::{self, EndpointKind};
use endpoints::check_range;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// ti_clk period in picoseconds (48 MHz).
pub const TI_PERIOD_PS: u64 = 20_833;
/// MIG UI clock period in picoseconds (100 MHz: DDR3-800 at 4:1).
pub const UI_PERIOD_PS: u64 = 10_000;
/// Largest pipe block the bridge's ready promises room or data for.
pub const MAX_BLOCK_BYTES: usize = regmap::PIPE_BLOCK_BYTES;
/// ti_clk cycles a wire or trigger update takes (stands for the USB round trip).
const HOST_CALL_TI_CYCLES: u64 = 32;

/// Errors of the simulated board.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimBoardError {
    #[error("endpoint {addr:#04x} is not a {kind:?} endpoint of this design")]
    InvalidEndpoint { addr: u8, kind: EndpointKind },
    #[error("block size {block_size} is not an even number of bytes in 2..={MAX_BLOCK_BYTES}")]
    InvalidBlockSize { block_size: usize },
    #[error("transfer of {len} bytes is not a whole number of {block_size}-byte blocks")]
    InvalidTransferLength { len: usize, block_size: usize },
    #[error("the simulated design did not settle at UI cycle {ui_cycle}")]
    NoConvergence { ui_cycle: u64 },
    #[error("condition not reached within {max_ui_cycles} UI cycles")]
    Timeout { max_ui_cycles: u64 },
    #[error(transparent)]
    Verilator(#[from] VerilatorError),
    #[error("a VCD trace needs the Verilator simulator (this board runs {0})")]
    TraceNeedsVerilator(Simulator),
    #[error("cannot write the VCD trace {}: {error}", path.display())]
    Trace { path: PathBuf, error: String },
}

/// Configuration of a simulated board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimBoardConfig {
    /// The engine of the simulated design (the identity wires report it).
    pub engine: BoardEngine,
    /// The simulator asked for; Verilator falls back to rust-hdl where it is not
    /// installed (see [`SimBoard::notice`]).
    pub simulator: Simulator,
    /// Write a VCD waveform of the whole run here (Verilator only).
    pub vcd: Option<PathBuf>,
    pub ddr: Ddr3Timing,
    /// The bridge's transfer watchdog in UI cycles (the bitstream uses
    /// `DEFAULT_WATCHDOG_CYCLES`).
    pub watchdog_cycles: u32,
    /// ti_clk cycles a pipe block waits for ready before the transfer call gives up.
    pub pipe_timeout_ti_cycles: u64,
}

impl Default for SimBoardConfig {
    fn default() -> Self {
        SimBoardConfig {
            engine: BoardEngine::default(),
            simulator: Simulator::default(),
            vcd: None,
            ddr: Ddr3Timing::default(),
            watchdog_cycles: DEFAULT_WATCHDOG_CYCLES,
            pipe_timeout_ti_cycles: 100_000,
        }
    }
}

/// Faults to inject; each applies once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The next pipe transfer (in or out) stops after this many bytes (rounded down to
    /// whole 16-bit pipe words), as if the host had been interrupted.
    CutPipeTransfer { after_bytes: usize },
    /// The DRAM port accepts no command or write data for this many UI cycles from now.
    StallDram { ui_cycles: u64 },
    /// After `after_ui_cycles` UI cycles, hold the CONTROL soft-reset bit for
    /// `hold_ui_cycles`, then restore the host's CONTROL value.
    SoftResetPulse {
        after_ui_cycles: u64,
        hold_ui_cycles: u64,
    },
}

/// The simulated board (see the module documentation).
pub struct SimBoard {
    circuit: Box<dyn Circuit>,
    simulator: Simulator,
    notice: Option<String>,
    /// Seconds Verilator took to compile the accelerator for this board (None: cached).
    build_seconds: Option<f64>,
    ddr: Ddr3,
    dram_stall: bool,
    applied_response: MigResponse,
    config: SimBoardConfig,
    ui_next_ps: u64,
    ti_next_ps: u64,
    ui_high: bool,
    ti_high: bool,
    inputs_changed: bool,
    ui_cycles: u64,
    ti_cycles: u64,
    wire_ins: [u16; 32],
    wire_outs: [u16; 32],
    trigger_accumulated: u16,
    trigger_latched: u16,
    cut_after_bytes: Option<usize>,
    stall_left: u64,
    reset_pulse: Option<(u64, u64)>,
    edge_observer: Option<EdgeObserver>,
}

/// Co-simulation hook: sees the settled bridge before every clock edge, with the clocks
/// about to rise (UI, ti).
pub type EdgeObserver = Box<dyn FnMut(&HostBridge, bool, bool) + Send>;

impl SimBoard {
    /// A board with its clocks stopped at time zero (DRAM calibrates within the first
    /// `config.ddr.calibration_cycles` UI cycles; see [`SimBoard::wait_calibrated`]).
    /// With `Simulator::Verilator` the accelerator's Verilog is compiled on first use
    /// (cached by content hash); where Verilator is not installed the board runs on
    /// rust-hdl instead and [`SimBoard::notice`] says so.
    pub fn new(config: SimBoardConfig) -> Result<SimBoard, SimBoardError> {
        SimBoard::with_verilog_edit(config, None)
    }

    /// [`SimBoard::new`], with the Verilog passed through `edit` before Verilator compiles
    /// it: the cross-check test plants a deliberate difference this way.
    pub fn with_verilog_edit(
        config: SimBoardConfig,
        edit: Option<&dyn Fn(String) -> String>,
    ) -> Result<SimBoard, SimBoardError> {
        let mut notice = None;
        let mut build_seconds = None;
        let simulator = match config.simulator {
            Simulator::Verilator => match verilator::tools_available() {
                Ok(()) => Simulator::Verilator,
                Err(missing) => {
                    notice = Some(format!(
                        "{missing}; the simulated board falls back to rust-hdl's simulation \
                         (about 100x slower)"
                    ));
                    Simulator::RustHdl
                }
            },
            Simulator::RustHdl => Simulator::RustHdl,
        };
        let circuit: Box<dyn Circuit> = match simulator {
            Simulator::Verilator => {
                let options = BuildOptions {
                    trace: config.vcd.is_some(),
                    ..BuildOptions::default()
                };
                let library = match edit {
                    Some(edit) => Arc::new(VerilatorCircuit::library(
                        config.engine,
                        config.watchdog_cycles,
                        options,
                        Some(edit),
                    )?),
                    None => accelerator_library(config.engine, config.watchdog_cycles, options)?,
                };
                build_seconds = library.build_seconds();
                if let Some(seconds) = build_seconds {
                    notice = Some(format!(
                        "compiled the accelerator's Verilog with Verilator in {seconds:.1} s \
                         (cached in {})",
                        verilator::cache_dir().display()
                    ));
                }
                let mut circuit = VerilatorCircuit::new(&library)?;
                if let Some(path) = &config.vcd {
                    circuit
                        .trace_to(path)
                        .map_err(|error| SimBoardError::Trace {
                            path: path.clone(),
                            error: error.to_string(),
                        })?;
                }
                Box::new(circuit)
            }
            Simulator::RustHdl => {
                if config.vcd.is_some() {
                    return Err(SimBoardError::TraceNeedsVerilator(Simulator::RustHdl));
                }
                rust_hdl_circuit(config.engine, config.watchdog_cycles)
            }
        };
        let mut board = SimBoard {
            circuit,
            simulator,
            notice,
            build_seconds,
            ddr: Ddr3::new(config.ddr),
            dram_stall: false,
            applied_response: MigResponse::default(),
            config,
            ui_next_ps: UI_PERIOD_PS,
            ti_next_ps: TI_PERIOD_PS,
            ui_high: false,
            ti_high: false,
            inputs_changed: false,
            ui_cycles: 0,
            ti_cycles: 0,
            wire_ins: [0; 32],
            wire_outs: [0; 32],
            trigger_accumulated: 0,
            trigger_latched: 0,
            cut_after_bytes: None,
            stall_left: 0,
            reset_pulse: None,
            edge_observer: None,
        };
        board
            .circuit
            .set_mig_response(&MigResponse::default(), false);
        board.settle()?;
        Ok(board)
    }

    /// The simulator running this board.
    pub fn simulator(&self) -> Simulator {
        self.simulator
    }

    /// What the user should know about how this board was set up: a Verilator build
    /// that just ran (with its time), or the fallback to rust-hdl (with the install
    /// command). None when there is nothing to say.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Seconds Verilator took to compile the accelerator for this board; None when the
    /// build came from the cache or the board runs on rust-hdl.
    pub fn verilator_build_seconds(&self) -> Option<f64> {
        self.build_seconds
    }

    pub fn config(&self) -> &SimBoardConfig {
        &self.config
    }

    /// UI clock cycles simulated so far.
    pub fn ui_cycles(&self) -> u64 {
        self.ui_cycles
    }

    /// ti_clk cycles simulated so far.
    pub fn ti_cycles(&self) -> u64 {
        self.ti_cycles
    }

    /// Simulated time in picoseconds.
    pub fn time_ps(&self) -> u64 {
        (self.ui_next_ps - UI_PERIOD_PS).max(self.ti_next_ps - TI_PERIOD_PS)
    }

    /// The host bridge as rust-hdl simulates it (None on the Verilator backend).
    pub fn bridge(&self) -> Option<&HostBridge> {
        self.circuit.rust_hdl_bridge()
    }

    /// Installs (or removes) the co-simulation hook, called before every clock edge
    /// (rust-hdl backend only: the hook sees the rust-hdl bridge).
    pub fn set_edge_observer(&mut self, observer: Option<EdgeObserver>) {
        self.edge_observer = observer;
    }

    /// Sets how long a pipe block waits for ready (ti_clk cycles).
    pub fn set_pipe_timeout(&mut self, ti_cycles: u64) {
        self.config.pipe_timeout_ti_cycles = ti_cycles;
    }

    // ---- DRAM access for tests (bypasses the design) ----

    pub fn dram_read_words(&self, addr: u64, n: usize) -> Vec<u128> {
        self.ddr.read_words(addr, n)
    }

    pub fn dram_read_bytes(&self, addr: u64, n_words: usize) -> Vec<u8> {
        self.ddr.read_bytes(addr, n_words)
    }

    pub fn dram_load_words(&mut self, addr: u64, words: &[u128]) {
        self.ddr.load_words(addr, words)
    }

    pub fn dram_load_bytes(&mut self, addr: u64, bytes: &[u8]) {
        self.ddr.load_bytes(addr, bytes)
    }

    pub fn dram_stats(&self) -> Ddr3Stats {
        self.ddr.stats()
    }

    /// No DRAM command, write beat or read data is pending in the DDR3 model.
    pub fn dram_idle(&self) -> bool {
        self.ddr.is_idle()
    }

    /// The wire-out at `addr` as the design drives it now (no FrontPanel update: for
    /// models that watch the design, such as the USB cost model's quiescence check).
    pub fn live_wire_out(&mut self, addr: u8) -> Result<u16, SimBoardError> {
        check_range(addr, EndpointKind::WireOut)?;
        self.settle()?;
        Ok(self.circuit.wire_out(addr))
    }

    /// Board LEDs as the bridge drives them (bit set = LED on).
    pub fn leds(&mut self) -> Result<u8, SimBoardError> {
        self.settle()?;
        Ok(self.circuit.leds())
    }

    // ---- faults ----

    pub fn inject(&mut self, fault: Fault) {
        match fault {
            Fault::CutPipeTransfer { after_bytes } => self.cut_after_bytes = Some(after_bytes),
            Fault::StallDram { ui_cycles } => {
                self.stall_left = ui_cycles;
                self.dram_stall = ui_cycles > 0;
                self.drive_dram_response(false);
            }
            Fault::SoftResetPulse {
                after_ui_cycles,
                hold_ui_cycles,
            } => self.reset_pulse = Some((after_ui_cycles, hold_ui_cycles)),
        }
    }
}

/// The compiled accelerator for this engine, watchdog setting and trace option, built or
/// loaded once per process.
fn accelerator_library(
    engine: BoardEngine,
    watchdog_cycles: u32,
    options: BuildOptions,
) -> Result<Arc<VerilatedLibrary>, VerilatorError> {
    type Libraries = Mutex<HashMap<(BoardEngine, u32, BuildOptions), Arc<VerilatedLibrary>>>;
    static LIBRARIES: OnceLock<Libraries> = OnceLock::new();
    let libraries = LIBRARIES.get_or_init(Default::default);
    let mut libraries = libraries.lock().unwrap_or_else(|e| e.into_inner());
    let key = (engine, watchdog_cycles, options);
    if let Some(library) = libraries.get(&key) {
        return Ok(library.clone());
    }
    let library = Arc::new(VerilatorCircuit::library(
        engine,
        watchdog_cycles,
        options,
        None,
    )?);
    libraries.insert(key, library.clone());
    Ok(library)
}
