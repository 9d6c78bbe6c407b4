//! Simulated XEM7010: the accelerator (host bridge + engine, [`crate::accelerator`]) and
//! the DDR3 model driven at endpoint level, with calls mirroring the FrontPanel API so the
//! host driver can use it as a backend. Both clocks are simulated in one thread,
//! interleaved by time: ti_clk at 48 MHz and the MIG UI clock at 100 MHz. The accelerator
//! runs on one of two simulators ([`Simulator`]): its generated Verilog compiled by
//! Verilator (the default), or rust-hdl's own simulation; everything else here (endpoint
//! emulation, the DDR3 model, faults, the clocks) is the same code for both.
//!
//! Endpoint emulation follows FrontPanel: wire-ins take effect at `update_wire_ins`,
//! wire-outs are captured at `update_wire_outs`, a trigger-in is a one-cycle pulse in the
//! UI clock domain, trigger-out events accumulate until `update_trigger_outs`. Block pipes
//! move whole blocks, each only after the endpoint's ready is seen high; a block waits at
//! most `pipe_timeout_ti_cycles` for ready, after which the call returns the bytes moved
//! so far. Pipe-out data is sampled one ti_clk cycle after each read strobe.
//!
//! Faults for robustness tests ([`Fault`]): cut the next pipe transfer short, stall the
//! DRAM port, pulse the soft reset after a delay.

use crate::bridge::endpoints::WIRE_INS;
use crate::bridge::{HostBridge, DEFAULT_WATCHDOG_CYCLES};
use crate::sim::circuit::{Circuit, RustHdlCircuit, VerilatorCircuit};
use crate::sim::ddr3_model::{Ddr3, Ddr3Stats, Ddr3Timing, MigResponse};
use crate::sim::verilator::{self, BuildOptions, VerilatedLibrary, VerilatorError};
use crew_spec::regmap::{self, EndpointKind};
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

/// Which simulator runs the accelerator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Simulator {
    /// The generated Verilog compiled by Verilator (the default: fast).
    #[default]
    Verilator,
    /// rust-hdl's own `simulate()` (slow; the cross-check).
    RustHdl,
}

/// Environment variable choosing the simulator (`verilator` or `rust-hdl`).
pub const SIMULATOR_ENV: &str = "CREW_SIMULATOR";

impl Simulator {
    pub const NAMES: [&'static str; 2] = ["verilator", "rust-hdl"];

    pub fn name(self) -> &'static str {
        match self {
            Simulator::Verilator => "verilator",
            Simulator::RustHdl => "rust-hdl",
        }
    }

    /// The simulator named by `CREW_SIMULATOR`, else the default.
    pub fn from_env() -> Result<Simulator, String> {
        match std::env::var(SIMULATOR_ENV) {
            Ok(v) => v.parse(),
            Err(_) => Ok(Simulator::default()),
        }
    }
}

impl std::fmt::Display for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Simulator {
    type Err = String;
    fn from_str(s: &str) -> Result<Simulator, String> {
        match s {
            "verilator" => Ok(Simulator::Verilator),
            "rust-hdl" | "rusthdl" => Ok(Simulator::RustHdl),
            other => Err(format!(
                "unknown simulator `{other}` (expected one of: {})",
                Simulator::NAMES.join(", ")
            )),
        }
    }
}

/// Configuration of a simulated board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimBoardConfig {
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
                };
                let library = match edit {
                    Some(edit) => Arc::new(VerilatorCircuit::library(
                        config.watchdog_cycles,
                        options,
                        Some(edit),
                    )?),
                    None => accelerator_library(config.watchdog_cycles, options)?,
                };
                if let Some(seconds) = library.build_seconds() {
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
                Box::new(RustHdlCircuit::new(config.watchdog_cycles))
            }
        };
        let mut board = SimBoard {
            circuit,
            simulator,
            notice,
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
        board.circuit.set_mig_response(&MigResponse::default());
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
        self.circuit.rust_hdl().map(|core| &core.bridge)
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

    // ---- FrontPanel-like calls ----

    /// Buffers a wire-in value; it reaches the design at [`SimBoard::update_wire_ins`].
    pub fn set_wire_in(&mut self, addr: u8, value: u16) -> Result<(), SimBoardError> {
        check_range(addr, EndpointKind::WireIn)?;
        self.wire_ins[addr as usize] = value;
        Ok(())
    }

    /// Applies all buffered wire-in values at once.
    pub fn update_wire_ins(&mut self) -> Result<(), SimBoardError> {
        let held_reset = self.reset_pulse.map_or(false, |(wait, _)| wait == 0);
        for &(addr, _) in WIRE_INS {
            let mut value = self.wire_ins[addr as usize];
            if addr == regmap::WIRE_IN_CONTROL && held_reset {
                value |= regmap::CONTROL_SOFT_RESET;
            }
            self.circuit.set_wire_in(addr, value);
        }
        self.inputs_changed = true;
        self.run_ti_cycles(HOST_CALL_TI_CYCLES)
    }

    /// Captures all wire-out values at once.
    pub fn update_wire_outs(&mut self) -> Result<(), SimBoardError> {
        self.run_ti_cycles(HOST_CALL_TI_CYCLES)?;
        for (k, value) in self.wire_outs.iter_mut().enumerate() {
            *value = self.circuit.wire_out(0x20 + k as u8);
        }
        Ok(())
    }

    /// A wire-out value as captured by the last [`SimBoard::update_wire_outs`] (0 for an
    /// address the design does not drive).
    pub fn get_wire_out(&self, addr: u8) -> Result<u16, SimBoardError> {
        check_range(addr, EndpointKind::WireOut)?;
        Ok(self.wire_outs[(addr - 0x20) as usize])
    }

    /// Pulses bit `bit` of trigger-in `addr` for one UI clock cycle.
    pub fn activate_trigger_in(&mut self, addr: u8, bit: u8) -> Result<(), SimBoardError> {
        check_range(addr, EndpointKind::TriggerIn)?;
        if bit >= 16 {
            return Err(SimBoardError::InvalidEndpoint {
                addr,
                kind: EndpointKind::TriggerIn,
            });
        }
        self.run_ti_cycles(HOST_CALL_TI_CYCLES)?;
        if addr == regmap::TRIGGER_IN_COMMAND {
            self.circuit.set_trigger_in(1 << bit);
            self.inputs_changed = true;
            self.run_ui_cycles(1)?;
            self.circuit.set_trigger_in(0);
            self.inputs_changed = true;
        }
        Ok(())
    }

    /// Latches the trigger-out events seen since the previous call.
    pub fn update_trigger_outs(&mut self) -> Result<(), SimBoardError> {
        self.run_ti_cycles(HOST_CALL_TI_CYCLES)?;
        self.trigger_latched = self.trigger_accumulated;
        self.trigger_accumulated = 0;
        Ok(())
    }

    /// Whether any bit of `mask` fired on trigger-out `addr` before the last
    /// [`SimBoard::update_trigger_outs`].
    pub fn is_triggered(&self, addr: u8, mask: u16) -> Result<bool, SimBoardError> {
        check_range(addr, EndpointKind::TriggerOut)?;
        Ok(addr == regmap::TRIGGER_OUT_EVENTS && self.trigger_latched & mask != 0)
    }

    /// Writes `data` to the block-throttled pipe-in `addr` in `block_size`-byte blocks;
    /// returns the bytes moved (less than `data.len()` when ready stayed low past the
    /// pipe timeout or a [`Fault::CutPipeTransfer`] applied).
    pub fn write_to_block_pipe_in(
        &mut self,
        addr: u8,
        block_size: usize,
        data: &[u8],
    ) -> Result<usize, SimBoardError> {
        if addr != regmap::PIPE_IN_DRAM {
            return Err(SimBoardError::InvalidEndpoint {
                addr,
                kind: EndpointKind::PipeIn,
            });
        }
        check_blocks(block_size, data.len())?;
        let limit = self.take_cut(data.len());
        let mut moved = 0;
        for block in data.chunks(block_size) {
            if moved >= limit || !self.wait_pipe_ready(true)? {
                break;
            }
            // ep_blockstrobe cycle.
            self.run_ti_cycles(1)?;
            for word in block.chunks(2) {
                if moved >= limit {
                    break;
                }
                self.circuit
                    .set_pipe_in(true, u16::from_le_bytes([word[0], word[1]]));
                self.inputs_changed = true;
                self.run_ti_cycles(1)?;
                moved += 2;
            }
            self.circuit.set_pipe_in(false, 0);
            self.inputs_changed = true;
            self.run_ti_cycles(1)?;
        }
        Ok(moved)
    }

    /// Reads `buf.len()` bytes from the block-throttled pipe-out `addr` in
    /// `block_size`-byte blocks; returns the bytes moved (see
    /// [`SimBoard::write_to_block_pipe_in`]).
    pub fn read_from_block_pipe_out(
        &mut self,
        addr: u8,
        block_size: usize,
        buf: &mut [u8],
    ) -> Result<usize, SimBoardError> {
        if addr != regmap::PIPE_OUT_DRAM {
            return Err(SimBoardError::InvalidEndpoint {
                addr,
                kind: EndpointKind::PipeOut,
            });
        }
        check_blocks(block_size, buf.len())?;
        let limit = self.take_cut(buf.len());
        let mut moved = 0;
        for block in buf.chunks_mut(block_size) {
            if moved >= limit || !self.wait_pipe_ready(false)? {
                break;
            }
            self.run_ti_cycles(1)?;
            for word in block.chunks_mut(2) {
                if moved >= limit {
                    break;
                }
                self.circuit.set_pipe_out_read(true);
                self.inputs_changed = true;
                self.run_ti_cycles(1)?;
                let v = self.circuit.pipe_out_data();
                word.copy_from_slice(&v.to_le_bytes());
                moved += 2;
            }
            self.circuit.set_pipe_out_read(false);
            self.inputs_changed = true;
            self.run_ti_cycles(1)?;
        }
        Ok(moved)
    }

    // ---- time ----

    /// Runs `n` UI clock cycles (ti_clk runs alongside).
    pub fn run_cycles(&mut self, n: u64) -> Result<(), SimBoardError> {
        self.run_ui_cycles(n)
    }

    /// Runs until `done(self)` holds, checking every UI cycle; returns the UI cycles taken.
    pub fn run_until<F: FnMut(&SimBoard) -> bool>(
        &mut self,
        max_ui_cycles: u64,
        mut done: F,
    ) -> Result<u64, SimBoardError> {
        let start = self.ui_cycles;
        while !done(self) {
            if self.ui_cycles - start >= max_ui_cycles {
                return Err(SimBoardError::Timeout { max_ui_cycles });
            }
            self.run_ui_cycles(1)?;
        }
        Ok(self.ui_cycles - start)
    }

    /// Runs until the DRAM reports calibration done.
    pub fn wait_calibrated(&mut self, max_ui_cycles: u64) -> Result<u64, SimBoardError> {
        self.run_until(max_ui_cycles, |b| b.ddr.response().calib_done)
    }

    /// Polls the trigger-out (as a host would, every `poll_ui_cycles`) until a bit of
    /// `mask` fires on `addr`; returns the UI cycles waited.
    pub fn wait_trigger_out(
        &mut self,
        addr: u8,
        mask: u16,
        max_ui_cycles: u64,
    ) -> Result<u64, SimBoardError> {
        let start = self.ui_cycles;
        loop {
            self.update_trigger_outs()?;
            if self.is_triggered(addr, mask)? {
                return Ok(self.ui_cycles - start);
            }
            if self.ui_cycles - start >= max_ui_cycles {
                return Err(SimBoardError::Timeout { max_ui_cycles });
            }
            self.run_ui_cycles(64)?;
        }
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
                self.drive_dram_response();
            }
            Fault::SoftResetPulse {
                after_ui_cycles,
                hold_ui_cycles,
            } => self.reset_pulse = Some((after_ui_cycles, hold_ui_cycles)),
        }
    }

    // ---- internals ----

    fn take_cut(&mut self, len: usize) -> usize {
        match self.cut_after_bytes.take() {
            Some(n) => n.min(len) & !1,
            None => len,
        }
    }

    /// Waits (in ti_clk cycles) for the pipe's ready; false after the pipe timeout.
    fn wait_pipe_ready(&mut self, pipe_in: bool) -> Result<bool, SimBoardError> {
        let mut waited = 0;
        loop {
            let ready = if pipe_in {
                self.circuit.pipe_in_ready()
            } else {
                self.circuit.pipe_out_ready()
            };
            if ready {
                return Ok(true);
            }
            if waited >= self.config.pipe_timeout_ti_cycles {
                return Ok(false);
            }
            self.run_ti_cycles(1)?;
            waited += 1;
        }
    }

    fn settle(&mut self) -> Result<(), SimBoardError> {
        if self.circuit.settle() {
            Ok(())
        } else {
            Err(SimBoardError::NoConvergence {
                ui_cycle: self.ui_cycles,
            })
        }
    }

    /// The DDR3 model's outputs into the accelerator, through the stall hook; they
    /// settle before the next edge.
    fn drive_dram_response(&mut self) {
        let mut response = self.ddr.response();
        if self.dram_stall {
            response.ready = false;
            response.write_fifo_not_full = false;
        }
        if response != self.applied_response {
            self.circuit.set_mig_response(&response);
            self.applied_response = response;
            self.inputs_changed = true;
        }
    }

    fn run_ti_cycles(&mut self, n: u64) -> Result<(), SimBoardError> {
        let end = self.ti_cycles + n;
        while self.ti_cycles < end {
            self.step()?;
        }
        Ok(())
    }

    fn run_ui_cycles(&mut self, n: u64) -> Result<(), SimBoardError> {
        let end = self.ui_cycles + n;
        while self.ui_cycles < end {
            self.step()?;
        }
        Ok(())
    }

    /// Advances to the next rising edge (of one clock or both). Inputs changed since the
    /// last edge settle before the edge, so registers sample them at this edge; the DDR3
    /// model clocks on the request as settled before the UI edge.
    fn step(&mut self) -> Result<(), SimBoardError> {
        let ui_edge = self.ui_next_ps <= self.ti_next_ps;
        let ti_edge = self.ti_next_ps <= self.ui_next_ps;
        // A clock that is high must fall before it can rise again. Changed inputs settle
        // before the edge; before a ti_clk-only edge a compiled model does that within
        // the edge's own evaluation (the DDR3 model samples nothing there), which saves
        // an evaluation per ti_clk edge while the DRAM answers every UI cycle.
        let settle_inputs =
            self.inputs_changed && (ui_edge || !self.circuit.propagates_inputs_before_edges());
        if settle_inputs || (ui_edge && self.ui_high) || (ti_edge && self.ti_high) {
            self.circuit.set_clocks(false, false);
            self.ui_high = false;
            self.ti_high = false;
            self.inputs_changed = false;
            self.settle()?;
        }
        if let Some(observer) = &mut self.edge_observer {
            if let Some(core) = self.circuit.rust_hdl() {
                observer(&core.bridge, ui_edge, ti_edge);
            }
        }
        let request = ui_edge.then(|| self.circuit.mig_request());
        self.circuit.set_clocks(ui_edge, ti_edge);
        self.ui_high = ui_edge;
        self.ti_high = ti_edge;
        self.inputs_changed = false;
        self.settle()?;
        self.circuit
            .trace_dump(self.ui_next_ps.min(self.ti_next_ps));
        if ti_edge {
            self.ti_cycles += 1;
            self.ti_next_ps += TI_PERIOD_PS;
        }
        if let Some(mut request) = request {
            if self.dram_stall {
                request.enable = false;
                request.write_enable = false;
            }
            self.ddr.clock_edge(&request);
            self.drive_dram_response();
            self.ui_cycles += 1;
            self.ui_next_ps += UI_PERIOD_PS;
            self.after_ui_edge();
        }
        Ok(())
    }

    fn after_ui_edge(&mut self) {
        self.trigger_accumulated |= self.circuit.trigger_out();
        if self.stall_left > 0 {
            self.stall_left -= 1;
            if self.stall_left == 0 {
                self.dram_stall = false;
                self.drive_dram_response();
            }
        }
        if let Some((wait, hold)) = self.reset_pulse {
            if wait > 0 {
                self.reset_pulse = Some((wait - 1, hold));
                if wait == 1 {
                    let control = self.wire_ins[regmap::WIRE_IN_CONTROL as usize];
                    self.circuit.set_wire_in(
                        regmap::WIRE_IN_CONTROL,
                        control | regmap::CONTROL_SOFT_RESET,
                    );
                    self.inputs_changed = true;
                }
            } else if hold > 1 {
                self.reset_pulse = Some((0, hold - 1));
            } else {
                self.reset_pulse = None;
                let control = self.wire_ins[regmap::WIRE_IN_CONTROL as usize];
                self.circuit.set_wire_in(regmap::WIRE_IN_CONTROL, control);
                self.inputs_changed = true;
            }
        }
    }
}

fn check_range(addr: u8, kind: EndpointKind) -> Result<(), SimBoardError> {
    if kind.range().contains(&addr) {
        Ok(())
    } else {
        Err(SimBoardError::InvalidEndpoint { addr, kind })
    }
}

fn check_blocks(block_size: usize, len: usize) -> Result<(), SimBoardError> {
    if block_size < 2 || block_size > MAX_BLOCK_BYTES || block_size % 2 != 0 {
        return Err(SimBoardError::InvalidBlockSize { block_size });
    }
    if len % block_size != 0 {
        return Err(SimBoardError::InvalidTransferLength { len, block_size });
    }
    Ok(())
}

/// The compiled accelerator for this watchdog setting and trace option, built or loaded
/// once per process.
fn accelerator_library(
    watchdog_cycles: u32,
    options: BuildOptions,
) -> Result<Arc<VerilatedLibrary>, VerilatorError> {
    type Libraries = Mutex<HashMap<(u32, BuildOptions), Arc<VerilatedLibrary>>>;
    static LIBRARIES: OnceLock<Libraries> = OnceLock::new();
    let libraries = LIBRARIES.get_or_init(Default::default);
    let mut libraries = libraries.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(library) = libraries.get(&(watchdog_cycles, options)) {
        return Ok(library.clone());
    }
    let library = Arc::new(VerilatorCircuit::library(watchdog_cycles, options, None)?);
    libraries.insert((watchdog_cycles, options), library.clone());
    Ok(library)
}
