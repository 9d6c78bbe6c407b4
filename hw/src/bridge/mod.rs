//! Host bridge: connects the FrontPanel endpoints (at endpoint level, so it simulates
//! without okHost) to the MIG user interface and the CREW engine.
//!
//! - DRAM writes: TRIG_START_DRAM_WRITE arms a transfer of XFER_WORDS words to XFER_ADDR;
//!   the words arrive on the block-throttled pipe-in ([`BridgePipeIn`]).
//! - DRAM reads: TRIG_START_DRAM_READ reads XFER_WORDS words from XFER_ADDR into the
//!   block-throttled pipe-out ([`BridgePipeOut`]), zero-padded to whole pipe blocks.
//! - Runs: TRIG_START_RUN starts the engine with the run-command wires; the engine owns the
//!   MIG port while the bridge is in a run state or the engine is busy.
//! - TRIG_ABORT, the CONTROL soft-reset bit and a no-progress watchdog end transfers; a
//!   transfer that ends short reports `TransferIncomplete` (or `BadTransferLength` when the
//!   host stopped in the middle of a 16-byte word).
//! - Status, error code, counters and the design identity on wire-outs; events on the
//!   trigger-out; LEDs (active high here) show calibration, busy, error and a heartbeat.
//!
//! Clock domains: wires and pipes are in ti_clk (48 MHz); the trigger endpoints are clocked
//! by the UI clock (FrontPanel's okTriggerIn/okTriggerOut cross internally), as are the
//! MIG and the engine. Wire-ins are quasi-static (the host sets them before triggering) and
//! cross through two register stages (`wire_ins.rs`); wire-outs cross as coherent 32-bit
//! values through `VectorSynchronizer`s (`status_wires.rs`); the pipes cross through
//! asynchronous FIFOs (`pipe_in.rs`, `pipe_out.rs`). `endpoints.rs` declares the endpoint
//! ports from the register map; this file is the transfer and run state machine.

pub mod endpoints;
mod new;
pub mod pipe_in;
pub mod pipe_out;
mod status_wires;
mod wire_ins;

use crate::engine::port::EngineControl;
use crate::mig_port::{MigMaster, MigSlave};
use crew_spec::regmap;
use endpoints::HostEndpoints;
use pipe_in::BridgePipeIn;
use pipe_out::BridgePipeOut;
use rust_hdl::prelude::*;
use status_wires::StatusWires;
use wire_ins::WireInSync;

// The RTL below uses these bit positions as literals (hdl_gen cannot name Rust consts).
const _: () = assert!(regmap::TRIG_START_RUN == 0);
const _: () = assert!(regmap::TRIG_ABORT == 1);
const _: () = assert!(regmap::TRIG_START_DRAM_WRITE == 2);
const _: () = assert!(regmap::TRIG_START_DRAM_READ == 3);
const _: () = assert!(regmap::TRIG_START_PROGRAM == 4);
const _: () = assert!(regmap::TRIG_OUT_RUN_DONE == 0);
const _: () = assert!(regmap::TRIG_OUT_XFER_DONE == 1);
const _: () = assert!(regmap::TRIG_OUT_ERROR == 2);
const _: () = assert!(regmap::CONTROL_SOFT_RESET == 1);
const _: () = assert!(regmap::STATUS_CALIB_DONE == 1 << 0);
const _: () = assert!(regmap::STATUS_ENGINE_BUSY == 1 << 1);
const _: () = assert!(regmap::STATUS_RUN_DONE == 1 << 2);
const _: () = assert!(regmap::STATUS_ERROR == 1 << 3);
const _: () = assert!(regmap::STATUS_XFER_BUSY == 1 << 4);
const _: () = assert!(crew_spec::image::MIG_ADDR_SHIFT == 3);

/// Watchdog default: a transfer with no progress for this many UI cycles (~1.3 s at
/// 100 MHz) ends with `TransferIncomplete`.
pub const DEFAULT_WATCHDOG_CYCLES: u32 = 1 << 27;

/// UI cycles the flush waits with everything quiet before returning to idle; longer than
/// a FIFO pointer crossing.
const FLUSH_QUIET_CYCLES: u64 = 128;

/// What the bridge reports about the engine on the identity wire-outs (declared with the
/// engine contract in crew-spec).
pub use crew_spec::engine::EngineInfo;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum BridgeState {
    Idle,
    Write,
    Read,
    ReadPad,
    ReadDrain,
    Run,
    RunAbort,
    Flush,
}

#[derive(LogicBlock)]
pub struct HostBridge {
    // ---- ti_clk domain (FrontPanel host interface clock, 48 MHz) ----
    pub ti_clk: Signal<In, Clock>,
    /// The FrontPanel endpoints (wires and pipes in ti_clk, triggers in the UI clock).
    pub host: HostEndpoints,
    // ---- UI clock domain (MIG ui_clk, ~100 MHz) ----
    pub ui_clk: Signal<In, Clock>,
    /// UI: LEDs, active high: 0 calibrated, 1 engine busy, 2 transfer busy, 3 error,
    /// 7 heartbeat.
    pub leds: Signal<Out, Bits<8>>,
    /// UI: the MIG user interface (or the DDR3 model).
    pub dram: MigMaster,
    /// UI: the engine's DRAM port, passed to `dram` while the engine owns it.
    pub engine_dram: MigSlave,
    /// UI: the engine's run port (run command out, status and counters in).
    pub engine: EngineControl,
    // ---- sub-blocks ----
    pipe_in: BridgePipeIn,
    pipe_out: BridgePipeOut,
    soft_reset_to_ui: BitSynchronizer,
    /// ti_clk -> UI: the transfer and run-command wire-ins.
    wire_ins: WireInSync,
    /// UI -> ti_clk: counters, transfer words, status and error to the wire-outs.
    status_wires: StatusWires,
    // ---- UI domain: control state ----
    state: DFF<BridgeState>,
    error: DFF<Bits<8>>,
    run_done: DFF<Bit>,
    addr: DFF<Bits<32>>,
    words_left: DFF<Bits<32>>,
    pad_left: DFF<Bits<6>>,
    in_flight: DFF<Bits<7>>,
    done_words: DFF<Bits<32>>,
    write_armed: DFF<Bit>,
    watchdog: DFF<Bits<32>>,
    last_fill: DFF<Bits<7>>,
    quiet: DFF<Bits<8>>,
    start_pulse: DFF<Bit>,
    start_program: DFF<Bit>,
    events: DFF<Bits<16>>,
    heartbeat: DFF<Bits<26>>,
    // ---- UI domain: combinational ----
    engine_owns_dram: Signal<Local, Bit>,
    cmd_run: Signal<Local, Bit>,
    cmd_abort: Signal<Local, Bit>,
    cmd_write: Signal<Local, Bit>,
    cmd_read: Signal<Local, Bit>,
    cmd_program: Signal<Local, Bit>,
    any_cmd: Signal<Local, Bit>,
    // The transfer range check, registered: the wire-ins it reads are static from the
    // host's UpdateWireIns to its trigger, and the 32-bit compare would otherwise sit in
    // front of the command decode in one cycle (docs/timing.md).
    out_of_range: DFF<Bit>,
    new_error: Signal<Local, Bits<8>>,
    set_error: Signal<Local, Bit>,
    event_bits: Signal<Local, Bits<16>>,
    issue_read: Signal<Local, Bit>,
    rd_valid: Signal<Local, Bit>,
    progress: Signal<Local, Bit>,
    // Room in the read FIFO for one more word, registered (the FIFO's fill level comes
    // out of its pointer synchronizer through a subtractor, too long a path to feed the
    // read issue in the same cycle). One word of extra margin covers the word a read
    // or pad push of the previous cycle added, which the registered value has not seen.
    fifo_room: DFF<Bit>,
    transfer_active: Signal<Local, Bit>,
    status: Signal<Local, Bits<16>>,
    b_address: Signal<Local, Bits<29>>,
    b_command: Signal<Local, Bits<3>>,
    b_enable: Signal<Local, Bit>,
    b_write: Signal<Local, Bit>,
    // ---- constants ----
    design_id: Constant<Bits<16>>,
    protocol_version: Constant<Bits<16>>,
    engine_kind: Constant<Bits<16>>,
    lanes: Constant<Bits<16>>,
    acc_depth: Constant<Bits<16>>,
    dram_words_limit: Constant<Bits<32>>,
    watchdog_limit: Constant<Bits<32>>,
    flush_quiet_cycles: Constant<Bits<8>>,
    fifo_words: Constant<Bits<8>>,
    err_bad_length: Constant<Bits<8>>,
    err_out_of_range: Constant<Bits<8>>,
    err_aborted: Constant<Bits<8>>,
    err_incomplete: Constant<Bits<8>>,
    err_calibration: Constant<Bits<8>>,
    err_busy: Constant<Bits<8>>,
}

impl Logic for HostBridge {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            ui_clk,
            out_of_range,
            fifo_room,
            state,
            error,
            run_done,
            addr,
            words_left,
            pad_left,
            in_flight,
            done_words,
            write_armed,
            watchdog,
            last_fill,
            quiet,
            start_pulse,
            start_program,
            events,
            heartbeat
        );
        // ---- wire-ins: ti_clk -> UI ----
        self.wire_ins.ui_clk.next = self.ui_clk.val();
        self.wire_ins.xfer_addr_lo.next = self.host.wire_in_xfer_addr_lo.val();
        self.wire_ins.xfer_addr_hi.next = self.host.wire_in_xfer_addr_hi.val();
        self.wire_ins.xfer_words_lo.next = self.host.wire_in_xfer_words_lo.val();
        self.wire_ins.xfer_words_hi.next = self.host.wire_in_xfer_words_hi.val();
        self.wire_ins.desc_addr_lo.next = self.host.wire_in_desc_addr_lo.val();
        self.wire_ins.desc_addr_hi.next = self.host.wire_in_desc_addr_hi.val();
        self.wire_ins.in_addr_lo.next = self.host.wire_in_in_addr_lo.val();
        self.wire_ins.in_addr_hi.next = self.host.wire_in_in_addr_hi.val();
        self.wire_ins.out_addr_lo.next = self.host.wire_in_out_addr_lo.val();
        self.wire_ins.out_addr_hi.next = self.host.wire_in_out_addr_hi.val();
        self.wire_ins.state_addr_lo.next = self.host.wire_in_state_addr_lo.val();
        self.wire_ins.state_addr_hi.next = self.host.wire_in_state_addr_hi.val();
        self.wire_ins.steps_wire.next = self.host.wire_in_steps.val();
        self.soft_reset_to_ui.clock.next = self.ui_clk.val();
        self.soft_reset_to_ui.sig_in.next = self.host.wire_in_control.val().get_bit(0);

        // ---- pipe paths ----
        self.pipe_in.ti_clk.next = self.ti_clk.val();
        self.pipe_in.ui_clk.next = self.ui_clk.val();
        self.pipe_in.pipe_write.next = self.host.pipe_in_dram.write.val();
        self.pipe_in.pipe_data.next = self.host.pipe_in_dram.data.val();
        self.host.pipe_in_dram.ready.next = self.pipe_in.pipe_ready.val();
        self.pipe_in.words.next = bit_cast::<32, 16>(self.host.wire_in_xfer_words_lo.val())
            | (bit_cast::<32, 16>(self.host.wire_in_xfer_words_hi.val()) << 16);
        self.pipe_in.soft_reset.next = self.host.wire_in_control.val().get_bit(0);
        self.pipe_in.arm.next = self.write_armed.q.val();
        self.pipe_in.fifo_read.next = false;
        self.pipe_out.ti_clk.next = self.ti_clk.val();
        self.pipe_out.ui_clk.next = self.ui_clk.val();
        self.pipe_out.pipe_read.next = self.host.pipe_out_dram.read.val();
        self.host.pipe_out_dram.data.next = self.pipe_out.pipe_data.val();
        self.host.pipe_out_dram.ready.next = self.pipe_out.pipe_ready.val();
        self.pipe_out.soft_reset.next = self.host.wire_in_control.val().get_bit(0);
        self.pipe_out.push.next = false;
        self.pipe_out.push_data.next = self.dram.read_data_out.val();
        self.pipe_out.flush.next = false;

        // ---- engine run control ----
        self.engine.desc_addr.next = self.wire_ins.desc_addr.val();
        self.engine.in_addr.next = self.wire_ins.in_addr.val();
        self.engine.out_addr.next = self.wire_ins.out_addr.val();
        self.engine.state_addr.next = self.wire_ins.state_addr.val();
        self.engine.steps.next = self.wire_ins.steps.val();
        self.start_pulse.d.next = false;
        self.engine.start.next = self.start_pulse.q.val();
        self.engine.program.next = self.start_program.q.val();
        self.engine.abort.next = false;

        // ---- commands (UI domain trigger pulses) ----
        self.cmd_run.next = self.host.trigger_in_command.val().get_bit(0);
        self.cmd_abort.next = self.host.trigger_in_command.val().get_bit(1);
        self.cmd_write.next = self.host.trigger_in_command.val().get_bit(2);
        self.cmd_read.next = self.host.trigger_in_command.val().get_bit(3);
        self.cmd_program.next = self.host.trigger_in_command.val().get_bit(4);
        self.any_cmd.next = self.cmd_run.val()
            | self.cmd_program.val()
            | self.cmd_write.val()
            | self.cmd_read.val();
        self.out_of_range.d.next = (self.wire_ins.xfer_words.val() > self.dram_words_limit.val())
            | (self.wire_ins.xfer_addr.val()
                > (self.dram_words_limit.val() - self.wire_ins.xfer_words.val()));
        self.engine_owns_dram.next = (self.state.q.val() == BridgeState::Run)
            | (self.state.q.val() == BridgeState::RunAbort)
            | self.engine.busy.val();
        self.rd_valid.next = self.dram.read_data_valid.val() & !self.engine_owns_dram.val();
        self.set_error.next = false;
        self.new_error.next = self.error.q.val();
        self.event_bits.next = 0.into();
        self.issue_read.next = false;
        self.progress.next = self.pipe_out.fill.val() != self.last_fill.q.val();
        self.last_fill.d.next = self.pipe_out.fill.val();
        self.fifo_room.d.next = (bit_cast::<8, 7>(self.pipe_out.fill.val())
            + bit_cast::<8, 7>(self.in_flight.q.val())
            + 1)
            < self.fifo_words.val();
        self.b_address.next = bit_cast::<29, 32>(self.addr.q.val() << 3);
        self.b_command.next = 0.into();
        self.b_enable.next = false;
        self.b_write.next = false;
        // Read data in flight always lands (pushed or dropped) whatever the state.
        if self.rd_valid.val() {
            self.in_flight.d.next = self.in_flight.q.val() - 1;
        }

        match self.state.q.val() {
            BridgeState::Idle => {
                if self.any_cmd.val() {
                    self.set_error.next = true;
                    if !self.dram.calib_done.val() {
                        self.new_error.next = self.err_calibration.val();
                    } else if self.engine.busy.val() {
                        self.new_error.next = self.err_busy.val();
                    } else if self.cmd_run.val() | self.cmd_program.val() {
                        self.set_error.next = false;
                        self.error.d.next = 0.into();
                        self.run_done.d.next = false;
                        self.start_pulse.d.next = true;
                        // A program (crew_spec::program) or a plain layer run, held for
                        // the engine with the start pulse.
                        self.start_program.d.next = self.cmd_program.val();
                        self.state.d.next = BridgeState::Run;
                    } else if !self.wire_ins.xfer_words.val().any() {
                        self.new_error.next = self.err_bad_length.val();
                    } else if self.out_of_range.q.val() {
                        self.new_error.next = self.err_out_of_range.val();
                    } else {
                        self.set_error.next = false;
                        self.error.d.next = 0.into();
                        self.addr.d.next = self.wire_ins.xfer_addr.val();
                        self.words_left.d.next = self.wire_ins.xfer_words.val();
                        self.done_words.d.next = 0.into();
                        self.watchdog.d.next = 0.into();
                        if self.cmd_write.val() {
                            self.write_armed.d.next = true;
                            self.state.d.next = BridgeState::Write;
                        } else {
                            // Zero words pad the read up to a whole pipe block.
                            self.pad_left.d.next = bit_cast::<6, 32>(
                                (0_u64 - self.wire_ins.xfer_words.val()) & 31_u64,
                            );
                            self.state.d.next = BridgeState::Read;
                        }
                    }
                }
            }
            BridgeState::Write => {
                if !self.pipe_in.fifo_empty.val()
                    & self.dram.ready.val()
                    & self.dram.write_fifo_not_full.val()
                {
                    self.b_enable.next = true;
                    self.b_write.next = true;
                    self.pipe_in.fifo_read.next = true;
                    self.progress.next = true;
                    self.addr.d.next = self.addr.q.val() + 1;
                    self.words_left.d.next = self.words_left.q.val() - 1;
                    self.done_words.d.next = self.done_words.q.val() + 1;
                    if self.words_left.q.val() == 1 {
                        self.write_armed.d.next = false;
                        self.event_bits.next = 2.into();
                        self.state.d.next = BridgeState::Idle;
                    }
                }
            }
            BridgeState::Read => {
                if self.dram.ready.val() & self.fifo_room.q.val() {
                    self.issue_read.next = true;
                    self.b_enable.next = true;
                    self.b_command.next = 1.into();
                    self.addr.d.next = self.addr.q.val() + 1;
                    self.words_left.d.next = self.words_left.q.val() - 1;
                    if self.words_left.q.val() == 1 {
                        self.state.d.next = BridgeState::ReadPad;
                    }
                }
                if self.rd_valid.val() {
                    self.pipe_out.push.next = true;
                    self.done_words.d.next = self.done_words.q.val() + 1;
                }
            }
            BridgeState::ReadPad => {
                if self.rd_valid.val() {
                    self.pipe_out.push.next = true;
                    self.done_words.d.next = self.done_words.q.val() + 1;
                } else if !self.in_flight.q.val().any() {
                    if self.pad_left.q.val().any() & self.fifo_room.q.val() {
                        self.pipe_out.push.next = true;
                        self.pipe_out.push_data.next = 0.into();
                        self.pad_left.d.next = self.pad_left.q.val() - 1;
                        self.progress.next = true;
                    } else if !self.pad_left.q.val().any() {
                        self.state.d.next = BridgeState::ReadDrain;
                    }
                }
            }
            BridgeState::ReadDrain => {
                if !self.pipe_out.fill.val().any() {
                    self.event_bits.next = 2.into();
                    self.state.d.next = BridgeState::Idle;
                }
            }
            BridgeState::Run => {
                if self.engine.done.val() {
                    self.error.d.next = self.engine.error.val();
                    self.run_done.d.next = true;
                    self.event_bits.next = 1.into();
                    if self.engine.error.val().any() {
                        self.event_bits.next = 5.into();
                    }
                    self.state.d.next = BridgeState::Idle;
                }
            }
            BridgeState::RunAbort => {
                self.engine.abort.next = true;
                if self.engine.done.val() | !self.engine.busy.val() {
                    self.run_done.d.next = true;
                    self.event_bits.next = 1.into();
                    self.set_error.next = true;
                    self.new_error.next = self.err_aborted.val();
                    self.state.d.next = BridgeState::Idle;
                }
            }
            BridgeState::Flush => {
                self.write_armed.d.next = false;
                self.pipe_in.fifo_read.next = !self.pipe_in.fifo_empty.val();
                self.pipe_out.flush.next = true;
                self.engine.abort.next = true;
                self.quiet.d.next = 0.into();
                if self.pipe_in.fifo_empty.val()
                    & !self.pipe_in.accepting.val()
                    & !self.in_flight.q.val().any()
                    & !self.pipe_out.fill.val().any()
                    & !self.engine.busy.val()
                    & !self.soft_reset_to_ui.sig_out.val()
                {
                    self.quiet.d.next = self.quiet.q.val() + 1;
                    if self.quiet.q.val() == self.flush_quiet_cycles.val() {
                        self.state.d.next = BridgeState::Idle;
                    }
                }
            }
            _ => {
                self.state.d.next = BridgeState::Idle;
            }
        }
        // Commands other than abort while something is going on.
        if (self.state.q.val() != BridgeState::Idle) & self.any_cmd.val() {
            self.set_error.next = true;
            self.new_error.next = self.err_busy.val();
        }
        // Transfers end short on abort or when the watchdog runs out.
        self.transfer_active.next = (self.state.q.val() == BridgeState::Write)
            | (self.state.q.val() == BridgeState::Read)
            | (self.state.q.val() == BridgeState::ReadPad)
            | (self.state.q.val() == BridgeState::ReadDrain);
        if self.transfer_active.val() {
            if self.progress.val() {
                self.watchdog.d.next = 0.into();
            } else {
                self.watchdog.d.next = self.watchdog.q.val() + 1;
            }
            if self.cmd_abort.val() | (self.watchdog.q.val() == self.watchdog_limit.val()) {
                self.set_error.next = true;
                self.new_error.next = self.err_incomplete.val();
                if (self.state.q.val() == BridgeState::Write) & self.pipe_in.partial_word.val() {
                    self.new_error.next = self.err_bad_length.val();
                }
                self.write_armed.d.next = false;
                self.quiet.d.next = 0.into();
                self.state.d.next = BridgeState::Flush;
            }
        }
        if (self.state.q.val() == BridgeState::Run) & self.cmd_abort.val() {
            self.engine.abort.next = true;
            self.state.d.next = BridgeState::RunAbort;
        }
        // Soft reset: stop everything, report Aborted if something was running.
        if self.soft_reset_to_ui.sig_out.val() {
            self.engine.abort.next = true;
            self.write_armed.d.next = false;
            self.start_pulse.d.next = false;
            if (self.state.q.val() != BridgeState::Idle)
                & (self.state.q.val() != BridgeState::Flush)
            {
                self.set_error.next = true;
                self.new_error.next = self.err_aborted.val();
            } else if self.state.q.val() == BridgeState::Idle {
                self.error.d.next = 0.into();
                self.run_done.d.next = false;
            }
            self.quiet.d.next = 0.into();
            self.state.d.next = BridgeState::Flush;
        }
        if self.set_error.val() {
            self.error.d.next = self.new_error.val();
            self.event_bits.next = self.event_bits.val() | 4_u64;
        }
        self.events.d.next = self.event_bits.val();
        self.host.trigger_out_events.next = self.events.q.val();
        // Read commands in flight.
        if self.issue_read.val() & !self.rd_valid.val() {
            self.in_flight.d.next = self.in_flight.q.val() + 1;
        }
        if self.issue_read.val() & self.rd_valid.val() {
            self.in_flight.d.next = self.in_flight.q.val();
        }

        // ---- DRAM port: the engine's while it owns it, else the bridge's ----
        self.engine_dram.read_data_out.next = self.dram.read_data_out.val();
        self.engine_dram.calib_done.next = self.dram.calib_done.val();
        if self.engine_owns_dram.val() {
            self.dram.address.next = self.engine_dram.address.val();
            self.dram.command.next = self.engine_dram.command.val();
            self.dram.enable.next = self.engine_dram.enable.val();
            self.dram.write_data_in.next = self.engine_dram.write_data_in.val();
            self.dram.write_data_end.next = self.engine_dram.write_data_end.val();
            self.dram.write_data_mask.next = self.engine_dram.write_data_mask.val();
            self.dram.write_enable.next = self.engine_dram.write_enable.val();
            self.engine_dram.read_data_end.next = self.dram.read_data_end.val();
            self.engine_dram.read_data_valid.next = self.dram.read_data_valid.val();
            self.engine_dram.ready.next = self.dram.ready.val();
            self.engine_dram.write_fifo_not_full.next = self.dram.write_fifo_not_full.val();
        } else {
            self.dram.address.next = self.b_address.val();
            self.dram.command.next = self.b_command.val();
            self.dram.enable.next = self.b_enable.val();
            self.dram.write_data_in.next = self.pipe_in.fifo_data.val();
            self.dram.write_data_end.next = self.b_write.val();
            self.dram.write_data_mask.next = 0.into();
            self.dram.write_enable.next = self.b_write.val();
            self.engine_dram.read_data_end.next = false;
            self.engine_dram.read_data_valid.next = false;
            self.engine_dram.ready.next = false;
            self.engine_dram.write_fifo_not_full.next = false;
        }

        // ---- status, wire-outs (UI -> ti_clk through `status_wires`) ----
        self.status.next = 0.into();
        if self.dram.calib_done.val() {
            self.status.next = self.status.val() | 1_u64;
        }
        if self.engine_owns_dram.val() {
            self.status.next = self.status.val() | 2_u64;
        }
        if self.run_done.q.val() {
            self.status.next = self.status.val() | 4_u64;
        }
        if self.error.q.val().any() {
            self.status.next = self.status.val() | 8_u64;
        }
        if self.transfer_active.val() | (self.state.q.val() == BridgeState::Flush) {
            self.status.next = self.status.val() | 16_u64;
        }
        self.status_wires.ui_clk.next = self.ui_clk.val();
        self.status_wires.ti_clk.next = self.ti_clk.val();
        self.status_wires.cycles.next = self.engine.cycles.val();
        self.status_wires.busy_cycles.next = self.engine.busy_cycles.val();
        self.status_wires.stall_cycles.next = self.engine.stall_cycles.val();
        self.status_wires.dram_words.next = self.engine.dram_words.val();
        self.status_wires.mults.next = self.engine.mults.val();
        self.status_wires.adds.next = self.engine.adds.val();
        self.status_wires.done_words.next = self.done_words.q.val();
        self.status_wires.status.next = self.status.val();
        self.status_wires.error.next = self.error.q.val();
        self.status_wires.words_done.next = self.engine.words_done.val();
        self.host.wire_out_words_done.next = self.status_wires.words_done_wire.val();
        self.status_wires.trace_end.next = self.engine.trace_end.val();
        self.host.wire_out_trace_end_lo.next = self.status_wires.trace_end_lo.val();
        self.host.wire_out_trace_end_hi.next = self.status_wires.trace_end_hi.val();
        self.host.wire_out_cycles_lo.next = self.status_wires.cycles_lo.val();
        self.host.wire_out_cycles_hi.next = self.status_wires.cycles_hi.val();
        self.host.wire_out_busy_cycles_lo.next = self.status_wires.busy_cycles_lo.val();
        self.host.wire_out_busy_cycles_hi.next = self.status_wires.busy_cycles_hi.val();
        self.host.wire_out_stall_cycles_lo.next = self.status_wires.stall_cycles_lo.val();
        self.host.wire_out_stall_cycles_hi.next = self.status_wires.stall_cycles_hi.val();
        self.host.wire_out_dram_words_lo.next = self.status_wires.dram_words_lo.val();
        self.host.wire_out_dram_words_hi.next = self.status_wires.dram_words_hi.val();
        self.host.wire_out_mults_lo.next = self.status_wires.mults_lo.val();
        self.host.wire_out_mults_hi.next = self.status_wires.mults_hi.val();
        self.host.wire_out_adds_lo.next = self.status_wires.adds_lo.val();
        self.host.wire_out_adds_hi.next = self.status_wires.adds_hi.val();
        self.host.wire_out_xfer_done_words_lo.next = self.status_wires.done_words_lo.val();
        self.host.wire_out_xfer_done_words_hi.next = self.status_wires.done_words_hi.val();
        self.host.wire_out_status.next = self.status_wires.status_wire.val();
        self.host.wire_out_error_code.next = self.status_wires.error_code.val();
        self.host.wire_out_design_id.next = self.design_id.val();
        self.host.wire_out_protocol_version.next = self.protocol_version.val();
        self.host.wire_out_engine_kind.next = self.engine_kind.val();
        self.host.wire_out_lanes.next = self.lanes.val();
        self.host.wire_out_acc_depth.next = self.acc_depth.val();

        // ---- LEDs ----
        self.heartbeat.d.next = self.heartbeat.q.val() + 1;
        self.leds.next = 0.into();
        if self.dram.calib_done.val() {
            self.leds.next = self.leds.val() | 1_u64;
        }
        if self.engine_owns_dram.val() {
            self.leds.next = self.leds.val() | 2_u64;
        }
        if self.status.val().get_bit(4) {
            self.leds.next = self.leds.val() | 4_u64;
        }
        if self.error.q.val().any() {
            self.leds.next = self.leds.val() | 8_u64;
        }
        if self.heartbeat.q.val().get_bit(25) {
            self.leds.next = self.leds.val() | 128_u64;
        }
    }
}

// The bridge alone elaborates in yosys (the board top adds the vendor black boxes).
crate::synth_test!(HostBridge::new(
    EngineInfo {
        kind: regmap::ENGINE_KIND_CREW,
        lanes: 16,
        acc_depth: 1024,
    },
    DEFAULT_WATCHDOG_CYCLES,
));
