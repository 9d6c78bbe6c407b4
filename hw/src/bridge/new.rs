//! `HostBridge::new`: the sub-blocks, the identity and limit constants, every register
//! at its default.

use super::pipe_out::PIPE_OUT_FIFO_WORDS;
use super::{EngineInfo, HostBridge, FLUSH_QUIET_CYCLES};
use crew_spec::image::DRAM_WORDS;
use crew_spec::regmap::{self, ErrorCode};
use rust_hdl::prelude::*;

impl HostBridge {
    /// A bridge reporting `engine` on the identity wires, whose transfers give up after
    /// `watchdog_cycles` UI cycles without progress.
    pub fn new(engine: EngineInfo, watchdog_cycles: u32) -> Self {
        let code = |c: ErrorCode| Constant::new((c as u16 as u64).to_bits());
        Self {
            ti_clk: Default::default(),
            host: Default::default(),
            ui_clk: Default::default(),
            leds: Default::default(),
            dram: Default::default(),
            engine_dram: Default::default(),
            engine: Default::default(),
            pipe_in: Default::default(),
            pipe_out: Default::default(),
            soft_reset_to_ui: Default::default(),
            wire_ins: Default::default(),
            status_wires: Default::default(),
            state: Default::default(),
            error: Default::default(),
            run_done: Default::default(),
            addr: Default::default(),
            words_left: Default::default(),
            pad_left: Default::default(),
            in_flight: Default::default(),
            done_words: Default::default(),
            write_armed: Default::default(),
            watchdog: Default::default(),
            last_fill: Default::default(),
            quiet: Default::default(),
            start_pulse: Default::default(),
            start_program: Default::default(),
            events: Default::default(),
            heartbeat: Default::default(),
            engine_owns_dram: Default::default(),
            cmd_run: Default::default(),
            cmd_abort: Default::default(),
            cmd_write: Default::default(),
            cmd_read: Default::default(),
            cmd_program: Default::default(),
            any_cmd: Default::default(),
            out_of_range: Default::default(),
            new_error: Default::default(),
            set_error: Default::default(),
            event_bits: Default::default(),
            issue_read: Default::default(),
            rd_valid: Default::default(),
            progress: Default::default(),
            fifo_room: Default::default(),
            transfer_active: Default::default(),
            status: Default::default(),
            b_address: Default::default(),
            b_command: Default::default(),
            b_enable: Default::default(),
            b_write: Default::default(),
            design_id: Constant::new((regmap::DESIGN_ID as u64).to_bits()),
            protocol_version: Constant::new((regmap::PROTOCOL_VERSION as u64).to_bits()),
            engine_kind: Constant::new((engine.kind as u64).to_bits()),
            lanes: Constant::new((engine.lanes as u64).to_bits()),
            acc_depth: Constant::new((engine.acc_depth as u64).to_bits()),
            dram_words_limit: Constant::new(DRAM_WORDS.to_bits()),
            watchdog_limit: Constant::new((watchdog_cycles as u64).to_bits()),
            flush_quiet_cycles: Constant::new(FLUSH_QUIET_CYCLES.to_bits()),
            // The write side's fill level lags a push by one cycle: keep two words spare.
            fifo_words: Constant::new((PIPE_OUT_FIFO_WORDS as u64 - 2).to_bits()),
            err_bad_length: code(ErrorCode::BadTransferLength),
            err_out_of_range: code(ErrorCode::AddressOutOfRange),
            err_aborted: code(ErrorCode::Aborted),
            err_incomplete: code(ErrorCode::TransferIncomplete),
            err_calibration: code(ErrorCode::CalibrationPending),
            err_busy: code(ErrorCode::Busy),
        }
    }
}
