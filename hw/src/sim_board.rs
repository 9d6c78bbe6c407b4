//! Simulated XEM7010: the host bridge and the DDR3 model (and the engine) driven at
//! endpoint level, with calls mirroring the FrontPanel API so the host driver can use it as
//! a backend. Both clocks are simulated in one thread, interleaved by time: ti_clk at
//! 48 MHz and the MIG UI clock at 100 MHz.
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

use crate::board_engine::{board_engine_info, BoardEngine};
use crate::ddr3_model::{Ddr3Model, Ddr3Stats, Ddr3Timing};
use crate::host_bridge::{HostBridge, DEFAULT_WATCHDOG_CYCLES};
use crate::sim_harness::MAX_SETTLE_ITERS;
use crew_spec::regmap::{self, EndpointKind};
use rust_hdl::prelude::*;

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
}

/// Configuration of a simulated board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimBoardConfig {
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

/// The simulated board's circuit without the engine: bridge, DDR3 model, and the stall
/// gate between the bridge's DRAM port and the model. The engine is a second circuit that
/// [`SimBoard`] clocks with the UI clock and connects to the bridge's engine ports after
/// every settle; while it is idle and not being started it is not evaluated (its state
/// cannot change then), which keeps transfers and idle time fast.
#[derive(LogicBlock)]
pub struct SimBoardTop {
    /// FrontPanel host interface clock (48 MHz).
    pub ti_clk: Signal<In, Clock>,
    /// MIG UI clock (100 MHz).
    pub ui_clk: Signal<In, Clock>,
    /// UI domain: fault hook, the DRAM port accepts nothing while high.
    pub dram_stall: Signal<In, Bit>,
    pub bridge: HostBridge,
    pub ddr: Ddr3Model,
}

impl Logic for SimBoardTop {
    #[hdl_gen]
    fn update(&mut self) {
        self.bridge.ti_clk.next = self.ti_clk.val();
        self.bridge.ui_clk.next = self.ui_clk.val();
        self.ddr.clock.next = self.ui_clk.val();
        // Bridge -> DDR3 model, gated by the stall hook.
        self.ddr.mig.address.next = self.bridge.dram.address.val();
        self.ddr.mig.command.next = self.bridge.dram.command.val();
        self.ddr.mig.enable.next = self.bridge.dram.enable.val() & !self.dram_stall.val();
        self.ddr.mig.write_data_in.next = self.bridge.dram.write_data_in.val();
        self.ddr.mig.write_data_end.next = self.bridge.dram.write_data_end.val();
        self.ddr.mig.write_data_mask.next = self.bridge.dram.write_data_mask.val();
        self.ddr.mig.write_enable.next =
            self.bridge.dram.write_enable.val() & !self.dram_stall.val();
        self.bridge.dram.read_data_out.next = self.ddr.mig.read_data_out.val();
        self.bridge.dram.read_data_end.next = self.ddr.mig.read_data_end.val();
        self.bridge.dram.read_data_valid.next = self.ddr.mig.read_data_valid.val();
        self.bridge.dram.ready.next = self.ddr.mig.ready.val() & !self.dram_stall.val();
        self.bridge.dram.write_fifo_not_full.next =
            self.ddr.mig.write_fifo_not_full.val() & !self.dram_stall.val();
        self.bridge.dram.calib_done.next = self.ddr.mig.calib_done.val();
    }
}

/// The simulated board (see the module documentation).
pub struct SimBoard {
    top: SimBoardTop,
    engine: BoardEngine,
    engine_clock_high: bool,
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
    pub fn new(config: SimBoardConfig) -> Result<SimBoard, SimBoardError> {
        let mut top = SimBoardTop {
            ti_clk: Default::default(),
            ui_clk: Default::default(),
            dram_stall: Default::default(),
            bridge: HostBridge::new(board_engine_info(), config.watchdog_cycles),
            ddr: Ddr3Model::new(config.ddr),
        };
        let mut engine = BoardEngine::new();
        for_each_engine_input(&mut engine, |s| s.mark_driven());
        engine.connect_all();
        {
            let b = &mut top.bridge;
            b.engine.busy.connect();
            b.engine.done.connect();
            b.engine.error.connect();
            b.engine.cycles.connect();
            b.engine.busy_cycles.connect();
            b.engine.stall_cycles.connect();
            b.engine.dram_words.connect();
            b.engine.mults.connect();
            b.engine.adds.connect();
            b.engine_dram.address.connect();
            b.engine_dram.command.connect();
            b.engine_dram.enable.connect();
            b.engine_dram.write_data_in.connect();
            b.engine_dram.write_data_end.connect();
            b.engine_dram.write_data_mask.connect();
            b.engine_dram.write_enable.connect();
        }
        // The endpoint-level inputs are driven from here, not by a parent block.
        top.ti_clk.connect();
        top.ui_clk.connect();
        top.dram_stall.connect();
        top.bridge.wire_in_control.connect();
        for_each_host_input(&mut top.bridge, |s| s.connect());
        top.bridge.pipe_in_write.connect();
        top.bridge.pipe_in_data.connect();
        top.bridge.pipe_out_read.connect();
        top.bridge.trigger_in.connect();
        top.connect_all();
        let mut board = SimBoard {
            top,
            engine,
            engine_clock_high: false,
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
        board.settle()?;
        board.settle_engine()?;
        board.exchange_with_engine()?;
        Ok(board)
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

    /// The host bridge as simulated (e.g. to generate its Verilog).
    pub fn bridge(&self) -> &HostBridge {
        &self.top.bridge
    }

    /// Installs (or removes) the co-simulation hook, called before every clock edge.
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
        let values = self.wire_ins;
        let held_reset = self.reset_pulse.map_or(false, |(wait, _)| wait == 0);
        let b = &mut self.top.bridge;
        let mut control = values[regmap::WIRE_IN_CONTROL as usize];
        if held_reset {
            control |= regmap::CONTROL_SOFT_RESET;
        }
        b.wire_in_control.next = (control as u64).into();
        let mut k = 0;
        for_each_host_input(b, |s| {
            s.next = (values[WIRE_IN_ORDER[k] as usize] as u64).into();
            k += 1;
        });
        self.inputs_changed = true;
        self.run_ti_cycles(HOST_CALL_TI_CYCLES)
    }

    /// Captures all wire-out values at once.
    pub fn update_wire_outs(&mut self) -> Result<(), SimBoardError> {
        self.run_ti_cycles(HOST_CALL_TI_CYCLES)?;
        let b = &self.top.bridge;
        let pairs: [(u8, &Signal<Out, Bits<16>>); 21] = [
            (regmap::WIRE_OUT_DESIGN_ID, &b.wire_out_design_id),
            (
                regmap::WIRE_OUT_PROTOCOL_VERSION,
                &b.wire_out_protocol_version,
            ),
            (regmap::WIRE_OUT_STATUS, &b.wire_out_status),
            (regmap::WIRE_OUT_ERROR_CODE, &b.wire_out_error_code),
            (regmap::WIRE_OUT_CYCLES_LO, &b.wire_out_cycles_lo),
            (regmap::WIRE_OUT_CYCLES_HI, &b.wire_out_cycles_hi),
            (regmap::WIRE_OUT_BUSY_CYCLES_LO, &b.wire_out_busy_cycles_lo),
            (regmap::WIRE_OUT_BUSY_CYCLES_HI, &b.wire_out_busy_cycles_hi),
            (
                regmap::WIRE_OUT_STALL_CYCLES_LO,
                &b.wire_out_stall_cycles_lo,
            ),
            (
                regmap::WIRE_OUT_STALL_CYCLES_HI,
                &b.wire_out_stall_cycles_hi,
            ),
            (regmap::WIRE_OUT_DRAM_WORDS_LO, &b.wire_out_dram_words_lo),
            (regmap::WIRE_OUT_DRAM_WORDS_HI, &b.wire_out_dram_words_hi),
            (regmap::WIRE_OUT_MULTS_LO, &b.wire_out_mults_lo),
            (regmap::WIRE_OUT_MULTS_HI, &b.wire_out_mults_hi),
            (regmap::WIRE_OUT_ADDS_LO, &b.wire_out_adds_lo),
            (regmap::WIRE_OUT_ADDS_HI, &b.wire_out_adds_hi),
            (
                regmap::WIRE_OUT_XFER_DONE_WORDS_LO,
                &b.wire_out_xfer_done_words_lo,
            ),
            (
                regmap::WIRE_OUT_XFER_DONE_WORDS_HI,
                &b.wire_out_xfer_done_words_hi,
            ),
            (regmap::WIRE_OUT_ENGINE_KIND, &b.wire_out_engine_kind),
            (regmap::WIRE_OUT_LANES, &b.wire_out_lanes),
            (regmap::WIRE_OUT_ACC_DEPTH, &b.wire_out_acc_depth),
        ];
        for (addr, sig) in pairs {
            self.wire_outs[(addr - 0x20) as usize] = sig.val().index() as u16;
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
            self.top.bridge.trigger_in.next = (1u64 << bit).into();
            self.inputs_changed = true;
            self.run_ui_cycles(1)?;
            self.top.bridge.trigger_in.next = 0.into();
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
                let b = &mut self.top.bridge;
                b.pipe_in_write.next = true;
                b.pipe_in_data.next = (u16::from_le_bytes([word[0], word[1]]) as u64).into();
                self.inputs_changed = true;
                self.run_ti_cycles(1)?;
                moved += 2;
            }
            self.top.bridge.pipe_in_write.next = false;
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
                self.top.bridge.pipe_out_read.next = true;
                self.inputs_changed = true;
                self.run_ti_cycles(1)?;
                let v = self.top.bridge.pipe_out_data.val().index() as u16;
                word.copy_from_slice(&v.to_le_bytes());
                moved += 2;
            }
            self.top.bridge.pipe_out_read.next = false;
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
        self.run_until(max_ui_cycles, |b| b.top.bridge.dram.calib_done.val())
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
        self.top.ddr.read_words(addr, n)
    }

    pub fn dram_read_bytes(&self, addr: u64, n_words: usize) -> Vec<u8> {
        self.top.ddr.read_bytes(addr, n_words)
    }

    pub fn dram_load_words(&mut self, addr: u64, words: &[u128]) {
        self.top.ddr.load_words(addr, words)
    }

    pub fn dram_load_bytes(&mut self, addr: u64, bytes: &[u8]) {
        self.top.ddr.load_bytes(addr, bytes)
    }

    pub fn dram_stats(&self) -> Ddr3Stats {
        self.top.ddr.stats()
    }

    /// Board LEDs as the bridge drives them (bit set = LED on).
    pub fn leds(&self) -> u8 {
        self.top.bridge.leds.val().index() as u8
    }

    // ---- faults ----

    pub fn inject(&mut self, fault: Fault) {
        match fault {
            Fault::CutPipeTransfer { after_bytes } => self.cut_after_bytes = Some(after_bytes),
            Fault::StallDram { ui_cycles } => {
                self.stall_left = ui_cycles;
                self.top.dram_stall.next = ui_cycles > 0;
                self.inputs_changed = true;
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
                self.top.bridge.pipe_in_ready.val()
            } else {
                self.top.bridge.pipe_out_ready.val()
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
        if simulate(&mut self.top, MAX_SETTLE_ITERS) {
            Ok(())
        } else {
            Err(SimBoardError::NoConvergence {
                ui_cycle: self.ui_cycles,
            })
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
    /// last edge settle before the edge, so registers sample them at this edge.
    fn step(&mut self) -> Result<(), SimBoardError> {
        let ui_edge = self.ui_next_ps <= self.ti_next_ps;
        let ti_edge = self.ti_next_ps <= self.ui_next_ps;
        let engine_active = ui_edge && self.engine_active();
        if self.inputs_changed || (ui_edge && self.ui_high) || (ti_edge && self.ti_high) {
            self.top.ui_clk.next = Clock { clk: false };
            self.top.ti_clk.next = Clock { clk: false };
            self.ui_high = false;
            self.ti_high = false;
            self.inputs_changed = false;
            self.settle()?;
        }
        if engine_active {
            // The engine samples the bridge's current outputs at this edge.
            self.exchange_with_engine()?;
        }
        if let Some(observer) = &mut self.edge_observer {
            observer(&self.top.bridge, ui_edge, ti_edge);
        }
        if ui_edge {
            self.top.ui_clk.next = Clock { clk: true };
            self.ui_high = true;
        } else if self.ui_high {
            self.top.ui_clk.next = Clock { clk: false };
            self.ui_high = false;
        }
        if ti_edge {
            self.top.ti_clk.next = Clock { clk: true };
            self.ti_high = true;
        } else if self.ti_high {
            self.top.ti_clk.next = Clock { clk: false };
            self.ti_high = false;
        }
        self.settle()?;
        if engine_active {
            if self.engine_clock_high {
                self.engine.clock.next = Clock { clk: false };
                self.settle_engine()?;
            }
            self.engine.clock.next = Clock { clk: true };
            self.engine_clock_high = true;
            self.settle_engine()?;
            self.exchange_with_engine()?;
        }
        if ti_edge {
            self.ti_cycles += 1;
            self.ti_next_ps += TI_PERIOD_PS;
        }
        if ui_edge {
            self.ui_cycles += 1;
            self.ui_next_ps += UI_PERIOD_PS;
            self.after_ui_edge();
        }
        Ok(())
    }

    /// Whether the engine must be evaluated at the next UI edge: it is running, finishing,
    /// or being started or aborted.
    fn engine_active(&self) -> bool {
        self.engine.run.busy.val()
            || self.engine.run.done.val()
            || self.top.bridge.engine.start.val()
            || self.top.bridge.engine.abort.val()
    }

    fn settle_engine(&mut self) -> Result<(), SimBoardError> {
        if simulate(&mut self.engine, MAX_SETTLE_ITERS) {
            Ok(())
        } else {
            Err(SimBoardError::NoConvergence {
                ui_cycle: self.ui_cycles,
            })
        }
    }

    /// Copies signals between the bridge's engine ports and the engine until neither
    /// circuit changes (their DRAM handshake has combinational paths both ways).
    fn exchange_with_engine(&mut self) -> Result<(), SimBoardError> {
        for _ in 0..MAX_SETTLE_ITERS {
            let to_bridge = engine_outputs_to_bridge(&self.engine, &mut self.top.bridge);
            if to_bridge {
                self.settle()?;
            }
            let to_engine = bridge_outputs_to_engine(&self.top.bridge, &mut self.engine);
            if to_engine {
                self.settle_engine()?;
            }
            if !to_bridge && !to_engine {
                return Ok(());
            }
        }
        Err(SimBoardError::NoConvergence {
            ui_cycle: self.ui_cycles,
        })
    }

    fn after_ui_edge(&mut self) {
        self.trigger_accumulated |= self.top.bridge.trigger_out.val().index() as u16;
        if self.stall_left > 0 {
            self.stall_left -= 1;
            if self.stall_left == 0 {
                self.top.dram_stall.next = false;
                self.inputs_changed = true;
            }
        }
        if let Some((wait, hold)) = self.reset_pulse {
            if wait > 0 {
                self.reset_pulse = Some((wait - 1, hold));
                if wait == 1 {
                    let control = self.wire_ins[regmap::WIRE_IN_CONTROL as usize];
                    self.top.bridge.wire_in_control.next =
                        ((control | regmap::CONTROL_SOFT_RESET) as u64).into();
                    self.inputs_changed = true;
                }
            } else if hold > 1 {
                self.reset_pulse = Some((0, hold - 1));
            } else {
                self.reset_pulse = None;
                let control = self.wire_ins[regmap::WIRE_IN_CONTROL as usize];
                self.top.bridge.wire_in_control.next = (control as u64).into();
                self.inputs_changed = true;
            }
        }
    }
}

/// Wire-in addresses in the order [`for_each_host_input`] visits the bridge's ports.
const WIRE_IN_ORDER: [u8; 13] = [
    regmap::WIRE_IN_XFER_ADDR_LO,
    regmap::WIRE_IN_XFER_ADDR_HI,
    regmap::WIRE_IN_XFER_WORDS_LO,
    regmap::WIRE_IN_XFER_WORDS_HI,
    regmap::WIRE_IN_DESC_ADDR_LO,
    regmap::WIRE_IN_DESC_ADDR_HI,
    regmap::WIRE_IN_IN_ADDR_LO,
    regmap::WIRE_IN_IN_ADDR_HI,
    regmap::WIRE_IN_OUT_ADDR_LO,
    regmap::WIRE_IN_OUT_ADDR_HI,
    regmap::WIRE_IN_STATE_ADDR_LO,
    regmap::WIRE_IN_STATE_ADDR_HI,
    regmap::WIRE_IN_STEPS,
];

/// Visits the bridge's wire-in ports other than CONTROL, in [`WIRE_IN_ORDER`].
fn for_each_host_input<F: FnMut(&mut Signal<In, Bits<16>>)>(b: &mut HostBridge, mut f: F) {
    f(&mut b.wire_in_xfer_addr_lo);
    f(&mut b.wire_in_xfer_addr_hi);
    f(&mut b.wire_in_xfer_words_lo);
    f(&mut b.wire_in_xfer_words_hi);
    f(&mut b.wire_in_desc_addr_lo);
    f(&mut b.wire_in_desc_addr_hi);
    f(&mut b.wire_in_in_addr_lo);
    f(&mut b.wire_in_in_addr_hi);
    f(&mut b.wire_in_out_addr_lo);
    f(&mut b.wire_in_out_addr_hi);
    f(&mut b.wire_in_state_addr_lo);
    f(&mut b.wire_in_state_addr_hi);
    f(&mut b.wire_in_steps);
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

/// Sets `dst` to `value`; true if that changes it.
fn drive<T: Synth>(dst: &mut Signal<In, T>, value: T) -> bool {
    let changed = dst.val() != value;
    if changed {
        dst.next = value;
    }
    changed
}

/// Engine outputs into the bridge's engine ports; true if any changed.
fn engine_outputs_to_bridge(e: &BoardEngine, b: &mut HostBridge) -> bool {
    let mut c = false;
    c |= drive(&mut b.engine.busy, e.run.busy.val());
    c |= drive(&mut b.engine.done, e.run.done.val());
    c |= drive(&mut b.engine.error, e.run.error.val());
    c |= drive(&mut b.engine.cycles, e.run.cycles.val());
    c |= drive(&mut b.engine.busy_cycles, e.run.busy_cycles.val());
    c |= drive(&mut b.engine.stall_cycles, e.run.stall_cycles.val());
    c |= drive(&mut b.engine.dram_words, e.run.dram_words.val());
    c |= drive(&mut b.engine.mults, e.run.mults.val());
    c |= drive(&mut b.engine.adds, e.run.adds.val());
    let (m, s) = (&e.dram, &mut b.engine_dram);
    c |= drive(&mut s.address, m.address.val());
    c |= drive(&mut s.command, m.command.val());
    c |= drive(&mut s.enable, m.enable.val());
    c |= drive(&mut s.write_data_in, m.write_data_in.val());
    c |= drive(&mut s.write_data_end, m.write_data_end.val());
    c |= drive(&mut s.write_data_mask, m.write_data_mask.val());
    c |= drive(&mut s.write_enable, m.write_enable.val());
    c
}

/// The bridge's engine-port outputs into the engine; true if any changed.
fn bridge_outputs_to_engine(b: &HostBridge, e: &mut BoardEngine) -> bool {
    let mut c = false;
    c |= drive(&mut e.run.start, b.engine.start.val());
    c |= drive(&mut e.run.abort, b.engine.abort.val());
    c |= drive(&mut e.run.desc_addr, b.engine.desc_addr.val());
    c |= drive(&mut e.run.in_addr, b.engine.in_addr.val());
    c |= drive(&mut e.run.out_addr, b.engine.out_addr.val());
    c |= drive(&mut e.run.state_addr, b.engine.state_addr.val());
    c |= drive(&mut e.run.steps, b.engine.steps.val());
    let (s, m) = (&b.engine_dram, &mut e.dram);
    c |= drive(&mut m.read_data_out, s.read_data_out.val());
    c |= drive(&mut m.read_data_end, s.read_data_end.val());
    c |= drive(&mut m.read_data_valid, s.read_data_valid.val());
    c |= drive(&mut m.ready, s.ready.val());
    c |= drive(&mut m.write_fifo_not_full, s.write_fifo_not_full.val());
    c |= drive(&mut m.calib_done, s.calib_done.val());
    c
}

/// Visits the engine's input ports (driven from the bridge by [`SimBoard`]).
fn for_each_engine_input(e: &mut BoardEngine, mut f: impl FnMut(&mut dyn Connectable)) {
    f(&mut e.clock);
    f(&mut e.run.start);
    f(&mut e.run.abort);
    f(&mut e.run.desc_addr);
    f(&mut e.run.in_addr);
    f(&mut e.run.out_addr);
    f(&mut e.run.state_addr);
    f(&mut e.run.steps);
    f(&mut e.dram.read_data_out);
    f(&mut e.dram.read_data_end);
    f(&mut e.dram.read_data_valid);
    f(&mut e.dram.ready);
    f(&mut e.dram.write_fifo_not_full);
    f(&mut e.dram.calib_done);
}

/// Something whose input side can be marked as driven.
trait Connectable {
    fn mark_driven(&mut self);
}

impl<T: Synth> Connectable for Signal<In, T> {
    fn mark_driven(&mut self) {
        self.connect();
    }
}
