//! `EngineCore`: everything the two engines share, wired around a datapath port
//! (`datapath_port.rs`). A descriptor-driven sequencer streams one layer's DRAM image
//! (`crew_spec::image`) through the MIG port and runs FC, GRU or LSTM steps:
//! - sequencer: start, descriptor check (with the address guard), run, finish, drain
//!   after an error or abort (accumulators zeroed), the error code and `done`;
//! - issuer: read commands for the run's regions (descriptor, state, per step: x vector,
//!   records and epilogue rows of each pass), as far ahead as the read FIFO has room;
//! - MIG arbiter and write queue: queued writes go first, then reads;
//! - router: splits the returned words into descriptor registers, on-chip vectors
//!   (x, h, c buffers), column records (to the datapath) and epilogue rows;
//! - epilogue: bias, requantization (`numerics::requantize`) into the gate buffers of the
//!   cell unit, or int32 outputs for FC layers, clearing the accumulators;
//! - cell unit (`cell_unit/`): GRU/LSTM update, h/c written back;
//! - performance counters.
//!
//! Errors stop the run with a `crew_spec::regmap::ErrorCode`; `done` pulses at the end.
//!
//! This file holds the block and its wiring; `states.rs` the sequencer and router states,
//! `new.rs` the construction with its constants.

use crate::engine::common::cell_unit::CellUnit;
use crate::engine::common::counters::RunCounters;
use crate::engine::common::datapath_port::DatapathControl;
use crate::engine::common::descriptor_check::DescriptorCheck;
use crate::engine::common::epilogue::Epilogue;
use crate::engine::common::issuer::ReadIssuer;
use crate::engine::common::mig_arbiter::MigArbiter;
use crate::engine::common::vector_buffers::VectorBuffers;
use crate::engine::port::CoreRunPort;
use crate::mig_port::MigMaster;
use rust_hdl::prelude::*;

mod new;
mod states;
pub use states::LayoutFlags;
use states::{MainState, RouteState};

/// Largest n_in (x vector) the input buffer holds (the engine contract's limit).
pub const MAX_INPUTS: usize = crew_spec::engine::MAX_INPUTS;

#[derive(LogicBlock)]
pub struct EngineCore<const L: usize, const ACC_BITS: usize> {
    /// UI clock (~100 MHz); every port is in this domain.
    pub clock: Signal<In, Clock>,
    /// Run command from the program runner (plain runs: the host bridge's, passed on),
    /// status, counters and a program's read-backs (see `engine::port`).
    pub run: CoreRunPort,
    /// MIG user interface, master side (UI clock domain).
    pub dram: MigMaster,
    /// To the engine's datapath.
    pub datapath: DatapathControl,
    issuer: ReadIssuer,
    arbiter: MigArbiter,
    buffers: VectorBuffers,
    epilogue: Epilogue,
    counters: RunCounters,
    check: DescriptorCheck,
    cell_unit: CellUnit,

    k_lanes: Constant<Bits<16>>,
    k_magic: Constant<Bits<32>>,
    k_acc_last: Constant<Bits<16>>,
    k_wq_epi_room: Constant<Bits<5>>,
    k_wq_room: Constant<Bits<5>>,
    /// The last address a descriptor may start at: DRAM_WORDS - 4.
    k_desc_addr_max: Constant<Bits<32>>,
    k_err_desc: Constant<Bits<8>>,
    k_err_shape: Constant<Bits<8>>,
    k_err_addr: Constant<Bits<8>>,
    k_err_record: Constant<Bits<8>>,
    k_err_abort: Constant<Bits<8>>,
    k_err_token: Constant<Bits<8>>,
    k_err_program: Constant<Bits<8>>,
    k_sign: Constant<Bits<32>>,

    // Sequencer: run parameters and the decoded descriptor.
    main: DFF<MainState>,
    err: DFF<Bits<8>>,
    done_r: DFF<Bit>,
    r_in: DFF<Bits<32>>,
    r_state: DFF<Bits<32>>,
    r_steps: DFF<Bits<16>>,
    /// Where the state is read from (`state_in_addr`; written back to `r_state`).
    r_state_in: DFF<Bits<32>>,
    // A program's run options (`CoreRunPort`), latched at start.
    r_fetch: DFF<Bit>,
    r_argmax: DFF<Bit>,
    r_need_tok: DFF<Bit>,
    // Argmax of an argmax run: the best requantized row so far (sign bit flipped, so that
    // an unsigned compare orders signed values) and its index; the token word written.
    am_any: DFF<Bit>,
    am_best: DFF<Bits<32>>,
    am_idx: DFF<Bits<16>>,
    am_written: DFF<Bit>,
    hdr: DFF<Bits<64>>,
    magic_ok: DFF<Bit>,
    pd0: DFF<Bits<128>>,
    pd1: DFF<Bits<128>>,
    rnn: DFF<Bit>,
    lstm: DFF<Bit>,
    wide: DFF<Bit>,
    /// Token-input layer (`FLAG_TOKEN_INPUT`): the x pass is folded; a step's x vector is
    /// one word holding the token, whose block of x-pass epilogue rows the issuer reads.
    tok: DFF<Bit>,
    // The token of the current step, checked against V (tok_s1), times n_out (tok_s2,
    // a registered DSP product), plus the x pass's epilogue address (tok_base, ready for
    // the issuer until it takes it).
    tok_id: DFF<Bits<16>>,
    tok_s1: DFF<Bit>,
    tok_prod: DFF<Bits<32>>,
    tok_s2: DFF<Bit>,
    tok_base: DFF<Bits<32>>,
    tok_ready: DFF<Bit>,
    nin0: DFF<Bits<16>>,
    hid: DFF<Bits<16>>,
    nout0: DFF<Bits<16>>,
    nout1: DFF<Bits<16>>,
    // Router, and the epilogue row it feeds (lane, slot, gate, unit).
    rt: DFF<RouteState>,
    rt_cnt: DFF<Bits<16>>,
    rt_step: DFF<Bits<16>>,
    rt_pass: DFF<Bit>,
    e_lane: DFF<Bits<5>>,
    e_slot: DFF<Bits<16>>,
    e_gate: DFF<Bits<2>>,
    e_unit: DFF<Bits<10>>,
    // The descriptor check's verdict, registered: hdr / pd0 / pd1 are final the cycle
    // the router goes idle (main still in Desc), so the Check state reads it from here
    // (keeps the check's compares out of the error path; no extra cycle).
    chk_bad: DFF<Bit>,
    chk_large: DFF<Bit>,
    // Vector sizes in words (h int8, c int32, x int8), registered from the header the
    // same way (valid with hid / nin0; keeps their adds out of the router's compares).
    vw8_h: DFF<Bits<32>>,
    vw32_h: DFF<Bits<32>>,
    vw8_in: DFF<Bits<32>>,
    // The router's last counts (limit - 1), registered, so that its end-of-state tests are
    // equalities against a register rather than `rt_cnt + 1` carry chains in front of the
    // next-state logic. The vector ones are derived from the header like the sizes; the
    // pass ones trail cur_nin / cur_nout / hid by one cycle, which is never seen: a pass's
    // first column end and its epilogue come many cycles after the pass starts.
    last_h8: DFF<Bits<32>>,
    last_h32: DFF<Bits<32>>,
    last_in8: DFF<Bits<32>>,
    last_nin: DFF<Bits<16>>,
    last_nout: DFF<Bits<16>>,
    last_unit: DFF<Bits<16>>,
    // The end-of-pass check (the records' words equal the pass's), one cycle after the
    // pass's last column ended: the datapath reports `consumed` from a register, which
    // then includes the last record, so no record arithmetic sits in front of `fail`.
    end_chk: DFF<Bit>,

    running: Signal<Local, Bit>,
    rt_pop: Signal<Local, Bit>,
    fail: Signal<Local, Bit>,
    fail_code: Signal<Local, Bits<8>>,
    flush: Signal<Local, Bit>,
    cur_nin: Signal<Local, Bits<16>>,
    cur_nout: Signal<Local, Bits<16>>,
    cur_words: Signal<Local, Bits<32>>,
    head: Signal<Local, Bits<128>>,
    pass_start: Signal<Local, Bit>,
    tw_push: Signal<Local, Bit>,
}

impl<const L: usize, const ACC_BITS: usize> Logic for EngineCore<L, ACC_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, main, err, done_r, r_in, r_state, r_steps, hdr, magic_ok, chk_bad,
            chk_large, pd0, pd1, rnn, lstm, wide, nin0, hid, nout0, nout1, rt, rt_cnt, rt_step,
            rt_pass, e_lane, e_slot, e_gate, e_unit, vw8_h, vw32_h, vw8_in, end_chk, last_h8,
            last_h32, last_in8, last_nin, last_nout, last_unit, tok, tok_id, tok_s1, tok_prod,
            tok_s2, tok_base, tok_ready, r_state_in, r_fetch, r_argmax, r_need_tok, am_any,
            am_best, am_idx, am_written
        );
        clock!(self, clock, issuer, arbiter, buffers, epilogue, counters, cell_unit);
        self.done_r.d.next = false;
        self.end_chk.d.next = false;
        self.tok_s1.d.next = false;
        self.tok_s2.d.next = false;

        // ---------------------------------------------------------------- shared values
        self.running.next = self.main.q.val() == MainState::Run;
        // hid = hdr[47:32], nin0 = hdr[31:16] from the Check state on.
        self.vw8_h.d.next = (bit_cast::<32, 16>(self.hdr.q.val().get_bits::<16>(32)) + 15) >> 4;
        self.vw32_h.d.next = (bit_cast::<32, 16>(self.hdr.q.val().get_bits::<16>(32)) + 3) >> 2;
        self.vw8_in.d.next = (bit_cast::<32, 16>(self.hdr.q.val().get_bits::<16>(16)) + 15) >> 4;
        if self.hdr.q.val().get_bit(10) {
            // Token input: one word per step, whatever V.
            self.vw8_in.d.next = 1.into();
        }
        self.last_h8.d.next =
            ((bit_cast::<32, 16>(self.hdr.q.val().get_bits::<16>(32)) + 15) >> 4) - 1;
        self.last_h32.d.next =
            ((bit_cast::<32, 16>(self.hdr.q.val().get_bits::<16>(32)) + 3) >> 2) - 1;
        self.last_in8.d.next =
            ((bit_cast::<32, 16>(self.hdr.q.val().get_bits::<16>(16)) + 15) >> 4) - 1;
        if self.hdr.q.val().get_bit(10) {
            self.last_in8.d.next = 0.into();
        }
        self.last_unit.d.next = self.hid.q.val() - 1;
        if self.rt_pass.q.val() {
            self.cur_nin.next = self.hid.q.val();
            self.cur_nout.next = self.nout1.q.val();
            self.cur_words.next = self.pd1.q.val().get_bits::<32>(96);
        } else {
            self.cur_nin.next = self.nin0.q.val();
            if self.tok.q.val() {
                // The folded x pass has no columns (nin0 is V, the token count).
                self.cur_nin.next = 0.into();
            }
            self.cur_nout.next = self.nout0.q.val();
            self.cur_words.next = self.pd0.q.val().get_bits::<32>(96);
        }
        self.last_nin.d.next = self.cur_nin.val() - 1;
        self.last_nout.d.next = self.cur_nout.val() - 1;
        self.run.busy.next = self.main.q.val() != MainState::Idle;
        self.run.done.next = self.done_r.q.val();
        self.run.error.next = self.err.q.val();
        self.run.cycles.next = self.counters.cycles.val();
        self.run.busy_cycles.next = self.counters.busy_cycles.val();
        self.run.stall_cycles.next = self.counters.stall_cycles.val();
        self.run.dram_words.next = self.counters.dram_words.val();
        self.run.mults.next = self.counters.mult_count.val();
        self.run.adds.next = self.counters.add_count.val();
        self.run.token.next = self.am_idx.q.val();
        self.run.in_token.next = self.tok_id.q.val();
        self.run.fetched0.next = self.hdr.q.val();
        self.run.fetched_magic.next = self.magic_ok.q.val();
        self.run.fetched1.next = self.pd0.q.val();
        self.run.fetched2.next = self.pd1.q.val();
        self.fail.next = false;
        self.fail_code.next = 0.into();
        self.flush.next = false;
        self.rt_pop.next = false;
        self.pass_start.next = false;
        self.tw_push.next = false;
        self.counters.clear.next = false;
        self.issuer.start.next = false;
        self.issuer.decoded.next = false;
        self.issuer.stop.next = false;
        self.epilogue.run_start.next = false;
        self.cell_unit.run_start.next = false;
        self.cell_unit.out_addr.next = self.run.out_addr.val();
        self.cell_unit.state_addr.next = self.r_state.q.val();
        self.cell_unit.lstm.next = self.lstm.q.val();
        self.cell_unit.hidden.next = self.hid.q.val();
        self.cell_unit.start.next = false;
        self.cell_unit.last_step.next = false;
        self.cell_unit.abort.next = self.main.q.val() == MainState::Drain;

        // ---------------------------------------------------------------- sequencer
        self.check.hdr.next = self.hdr.q.val();
        self.check.magic_ok.next = self.magic_ok.q.val();
        self.check.pd0.next = self.pd0.q.val();
        self.check.pd1.next = self.pd1.q.val();
        self.chk_bad.d.next = self.check.bad.val();
        self.chk_large.d.next = self.check.too_large.val();
        match self.main.q.val() {
            MainState::Idle => {
                if self.run.start.val() {
                    self.r_in.d.next = self.run.in_addr.val();
                    self.r_state.d.next = self.run.state_addr.val();
                    self.r_steps.d.next = self.run.steps.val();
                    self.r_state_in.d.next = self.run.state_in_addr.val();
                    self.r_fetch.d.next = self.run.fetch.val();
                    self.r_argmax.d.next = self.run.argmax.val();
                    self.r_need_tok.d.next = self.run.need_token.val();
                    self.am_any.d.next = false;
                    self.am_idx.d.next = 0.into();
                    self.am_written.d.next = false;
                    self.epilogue.run_start.next = true;
                    self.cell_unit.run_start.next = true;
                    self.err.d.next = 0.into();
                    self.counters.clear.next = !self.run.keep_counters.val();
                    self.rt_step.d.next = 0.into();
                    self.rt_pass.d.next = false;
                    self.rt_cnt.d.next = 0.into();
                    self.flush.next = true;
                    if self.run.steps.val() == 0 {
                        self.done_r.d.next = true;
                    } else {
                        self.main.d.next = MainState::Desc;
                        self.issuer.start.next = true;
                        self.rt.d.next = RouteState::Desc;
                    }
                }
            }
            MainState::Desc => {
                if self.rt.q.val() == RouteState::Idle {
                    self.main.d.next = MainState::Check;
                }
            }
            MainState::Check => {
                self.rnn.d.next = self.hdr.q.val().get_bits::<8>(0) != 0;
                self.lstm.d.next = self.hdr.q.val().get_bits::<8>(0) == 2;
                self.wide.d.next = self.hdr.q.val().get_bit(8);
                self.tok.d.next = self.hdr.q.val().get_bit(10);
                self.nin0.d.next = self.hdr.q.val().get_bits::<16>(16);
                self.hid.d.next = self.hdr.q.val().get_bits::<16>(32);
                self.nout0.d.next = self.pd0.q.val().get_bits::<16>(80);
                self.nout1.d.next = self.pd1.q.val().get_bits::<16>(80);
                self.main.d.next = MainState::Run;
                if self.r_fetch.q.val() {
                    // A fetch (a program's header): the words are read; stop the issuer
                    // and end without a check (a program is not a layer).
                    self.main.d.next = MainState::Drain;
                } else if (self.r_need_tok.q.val() & !self.hdr.q.val().get_bit(10))
                    | (self.r_argmax.q.val() & (self.hdr.q.val().get_bits::<8>(0) != 0))
                {
                    self.fail.next = true;
                    self.fail_code.next = self.k_err_program.val();
                } else if self.chk_bad.q.val() {
                    self.fail.next = true;
                    self.fail_code.next = self.k_err_desc.val();
                } else if self.chk_large.q.val() {
                    self.fail.next = true;
                    self.fail_code.next = self.k_err_shape.val();
                }
                // The issuer and router start on the decoded registers next cycle.
                self.issuer.decoded.next = !self.r_fetch.q.val();
                if self.hdr.q.val().get_bits::<8>(0) != 0 {
                    self.rt.d.next = RouteState::StateH;
                } else {
                    self.rt.d.next = RouteState::X;
                }
            }
            MainState::Run => {
                if self.rt.q.val() == RouteState::End {
                    self.main.d.next = MainState::Finish;
                }
            }
            MainState::Finish => {
                // An argmax run ends with its token word after the outputs (the epilogue's
                // output pointer), once the last row has passed the argmax.
                if self.r_argmax.q.val()
                    & !self.am_written.q.val()
                    & !self.epilogue.busy.val()
                    & (self.arbiter.queued.val() < self.k_wq_room.val())
                {
                    self.am_written.d.next = true;
                    self.tw_push.next = true;
                }
                if !self.cell_unit.busy.val()
                    & (self.arbiter.queued.val() == 0)
                    & !self.epilogue.busy.val()
                    & (self.am_written.q.val() | !self.r_argmax.q.val())
                {
                    self.done_r.d.next = true;
                    self.main.d.next = MainState::Idle;
                }
            }
            MainState::Drain => {
                self.issuer.stop.next = true;
                self.rt.d.next = RouteState::Idle;
                // Zero the accumulators (an aborted pass leaves partial sums).
                self.e_slot.d.next = self.e_slot.q.val() + 1;
                if self.arbiter.reads_done.val() & (self.e_slot.q.val() >= self.k_acc_last.val()) {
                    self.flush.next = true;
                    self.done_r.d.next = true;
                    self.main.d.next = MainState::Idle;
                }
            }
        }
        self.counters.active.next =
            (self.main.q.val() != MainState::Idle) | self.run.keep_counters.val();

        // ---------------------------------------------------------------- issuer, MIG
        self.issuer.desc_addr.next = self.run.desc_addr.val();
        self.issuer.in_addr.next = self.r_in.q.val();
        self.issuer.desc_phase.next = self.main.q.val() == MainState::Desc;
        self.issuer.running.next = self.running.val();
        self.issuer.rnn.next = self.rnn.q.val();
        self.issuer.lstm.next = self.lstm.q.val();
        self.issuer.state_addr.next = self.r_state_in.q.val();
        self.issuer.steps.next = self.r_steps.q.val();
        self.issuer.pd0.next = self.pd0.q.val();
        self.issuer.pd1.next = self.pd1.q.val();
        self.issuer.vw8_h.next = self.vw8_h.q.val();
        self.issuer.vw32_h.next = self.vw32_h.q.val();
        self.issuer.vw8_in.next = self.vw8_in.q.val();
        self.issuer.read.next = self.arbiter.read.val();
        if self.issuer.addr_fail.val() {
            self.fail.next = true;
            self.fail_code.next = self.k_err_addr.val();
        }
        // The descriptor (4 words) must lie in DRAM: desc_addr + 4 <= DRAM_WORDS, written
        // as one compare against a constant (no adder in front of `fail`, no wrap-around).
        if (self.main.q.val() == MainState::Idle)
            & self.run.start.val()
            & (self.run.steps.val() != 0)
            & (self.run.desc_addr.val() > self.k_desc_addr_max.val())
        {
            self.fail.next = true;
            self.fail_code.next = self.k_err_addr.val();
        }
        MigMaster::link(&mut self.dram, &mut self.arbiter.dram);
        self.arbiter.read_pending.next = self.issuer.read_pending.val();
        self.arbiter.read_addr.next = self.issuer.read_addr.val();
        self.arbiter.drain.next = self.main.q.val() == MainState::Drain;
        self.counters.dram_word.next = self.arbiter.command.val();

        // ---------------------------------------------------------------- router
        self.head.next = self.arbiter.word.val();
        self.buffers.word.next = self.head.val();
        self.buffers.addr.next = self.rt_cnt.q.val();
        self.buffers.x_write.next = false;
        self.buffers.h_write.next = false;
        self.buffers.c_write.next = false;
        self.epilogue.take.next = false;
        self.epilogue.word.next = self.head.val();
        self.epilogue.lane.next = self.e_lane.q.val();
        self.epilogue.slot.next = self.e_slot.q.val();
        self.epilogue.gate.next = self.e_gate.q.val();
        self.epilogue.unit.next = self.e_unit.q.val();
        self.epilogue.row.next = self.rt_cnt.q.val().get_bits::<2>(0);
        self.epilogue.last.next = self.rt_cnt.q.val() == self.last_nout.q.val();
        match self.rt.q.val() {
            RouteState::Desc => {
                if !self.arbiter.empty.val() {
                    self.rt_pop.next = true;
                    self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
                    if self.rt_cnt.q.val() == 0 {
                        self.hdr.d.next = self.head.val().get_bits::<64>(0);
                        self.magic_ok.d.next =
                            self.head.val().get_bits::<32>(96) == self.k_magic.val();
                    }
                    if self.rt_cnt.q.val() == 1 {
                        self.pd0.d.next = self.head.val();
                    }
                    if self.rt_cnt.q.val() == 2 {
                        self.pd1.d.next = self.head.val();
                    }
                    if self.rt_cnt.q.val() == 3 {
                        self.rt.d.next = RouteState::Idle;
                        self.rt_cnt.d.next = 0.into();
                    }
                }
            }
            RouteState::StateH => {
                if !self.arbiter.empty.val() {
                    self.rt_pop.next = true;
                    self.buffers.h_write.next = true;
                    self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
                    if bit_cast::<32, 16>(self.rt_cnt.q.val()) == self.last_h8.q.val() {
                        self.rt_cnt.d.next = 0.into();
                        if self.lstm.q.val() {
                            self.rt.d.next = RouteState::StateC;
                        } else {
                            self.rt.d.next = RouteState::X;
                        }
                    }
                }
            }
            RouteState::StateC => {
                if !self.arbiter.empty.val() {
                    self.rt_pop.next = true;
                    self.buffers.c_write.next = true;
                    self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
                    if bit_cast::<32, 16>(self.rt_cnt.q.val()) == self.last_h32.q.val() {
                        self.rt_cnt.d.next = 0.into();
                        self.rt.d.next = RouteState::X;
                    }
                }
            }
            RouteState::X => {
                if !self.arbiter.empty.val() {
                    self.rt_pop.next = true;
                    self.buffers.x_write.next = true;
                    self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
                    if self.tok.q.val() {
                        // The step's token; the folded x pass has no columns: straight
                        // to its epilogue rows (the token's block, see tok_base).
                        self.tok_id.d.next = self.head.val().get_bits::<16>(0);
                        self.tok_s1.d.next = true;
                        self.rt_cnt.d.next = 0.into();
                        self.rt.d.next = RouteState::EpiWait;
                        self.rt_pass.d.next = false;
                        self.pass_start.next = true;
                    } else if bit_cast::<32, 16>(self.rt_cnt.q.val()) == self.last_in8.q.val() {
                        self.rt_cnt.d.next = 0.into();
                        self.rt.d.next = RouteState::Records;
                        self.rt_pass.d.next = false;
                        self.pass_start.next = true;
                    }
                }
            }
            RouteState::Records => {
                self.rt_pop.next = self.datapath.word_pop.val();
                if self.datapath.fail.val() {
                    self.fail.next = true;
                    self.fail_code.next = self.k_err_record.val();
                }
            }
            RouteState::EpiWait => {
                if self.datapath.drained.val() & (self.rt_pass.q.val() | !self.cell_unit.busy.val())
                {
                    self.rt.d.next = RouteState::Epi;
                    self.rt_cnt.d.next = 0.into();
                    self.e_lane.d.next = 0.into();
                    self.e_slot.d.next = 0.into();
                    self.e_gate.d.next = 0.into();
                    self.e_unit.d.next = 0.into();
                }
            }
            RouteState::Epi => {
                if !self.arbiter.empty.val()
                    & (self.rnn.q.val() | (self.arbiter.queued.val() < self.k_wq_epi_room.val()))
                {
                    self.rt_pop.next = true;
                    self.epilogue.take.next = true;
                    self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
                    self.e_lane.d.next = self.e_lane.q.val() + 1;
                    if bit_cast::<16, 5>(self.e_lane.q.val()) + 1 == self.k_lanes.val() {
                        self.e_lane.d.next = 0.into();
                        self.e_slot.d.next = self.e_slot.q.val() + 1;
                    }
                    self.e_unit.d.next = self.e_unit.q.val() + 1;
                    if bit_cast::<16, 10>(self.e_unit.q.val()) == self.last_unit.q.val() {
                        self.e_unit.d.next = 0.into();
                        self.e_gate.d.next = self.e_gate.q.val() + 1;
                    }
                    if self.rt_cnt.q.val() == self.last_nout.q.val() {
                        self.rt.d.next = RouteState::EpiDrain;
                    }
                }
            }
            RouteState::EpiDrain => {
                if !self.epilogue.busy.val() {
                    if self.rnn.q.val() & !self.rt_pass.q.val() {
                        self.rt_pass.d.next = true;
                        self.rt.d.next = RouteState::Records;
                        self.rt_cnt.d.next = 0.into();
                        self.pass_start.next = true;
                    } else {
                        self.cell_unit.start.next = self.rnn.q.val();
                        self.cell_unit.last_step.next =
                            self.rt_step.q.val() + 1 == self.r_steps.q.val();
                        self.rt_step.d.next = self.rt_step.q.val() + 1;
                        self.rt_pass.d.next = false;
                        self.rt_cnt.d.next = 0.into();
                        if self.rt_step.q.val() + 1 == self.r_steps.q.val() {
                            self.rt.d.next = RouteState::End;
                        } else {
                            self.rt.d.next = RouteState::X;
                        }
                    }
                }
            }
            _ => {}
        }
        if (self.rt.q.val() == RouteState::Records) & self.datapath.col_end.val() {
            self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
            if self.rt_cnt.q.val() == self.last_nin.q.val() {
                self.rt.d.next = RouteState::EpiWait;
                self.end_chk.d.next = true;
            }
        }
        if self.end_chk.q.val() & (self.datapath.consumed.val() != self.cur_words.val()) {
            self.fail.next = true;
            self.fail_code.next = self.k_err_record.val();
        }
        // Token input: check the token against V, then its block's address (two registered
        // stages: the product in a DSP48E1, then the add), held until the issuer takes it.
        if self.tok_s1.q.val() {
            if self.tok_id.q.val() >= self.nin0.q.val() {
                self.fail.next = true;
                self.fail_code.next = self.k_err_token.val();
            } else {
                self.tok_s2.d.next = true;
            }
        }
        self.tok_prod.d.next = self.tok_id.q.val() * self.nout0.q.val();
        if self.tok_s2.q.val() {
            self.tok_base.d.next = self.pd0.q.val().get_bits::<32>(32) + self.tok_prod.q.val();
            self.tok_ready.d.next = true;
        }
        if self.issuer.tok_take.val() | !self.running.val() {
            self.tok_ready.d.next = false;
        }
        self.issuer.tok.next = self.tok.q.val();
        self.issuer.tok_ready.next = self.tok_ready.q.val();
        self.issuer.tok_base.next = self.tok_base.q.val();
        // A stall: a state that needs read data has none.
        self.counters.stall.next = self.running.val()
            & self.arbiter.empty.val()
            & ((self.rt.q.val() == RouteState::StateH)
                | (self.rt.q.val() == RouteState::StateC)
                | (self.rt.q.val() == RouteState::X)
                | ((self.rt.q.val() == RouteState::Records) & self.datapath.wants_word.val())
                | (self.rt.q.val() == RouteState::Epi));

        // ---------------------------------------------------------------- datapath port
        self.datapath.running.next = self.running.val();
        self.datapath.records.next = self.rt.q.val() == RouteState::Records;
        self.datapath.epi_wait.next = self.rt.q.val() == RouteState::EpiWait;
        self.datapath.pass_start.next = self.pass_start.val();
        self.datapath.pass.next = self.rt_pass.q.val();
        self.datapath.wide.next = self.wide.q.val();
        self.datapath.col.next = self.rt_cnt.q.val();
        self.datapath.n_in.next = self.cur_nin.val();
        self.datapath.n_out.next = self.cur_nout.val();
        self.datapath.pass_words.next = self.cur_words.val();
        self.datapath.word.next = self.head.val();
        self.datapath.word_valid.next = !self.arbiter.empty.val();
        self.buffers.col.next = self.datapath.x_col.val();
        self.buffers.sel.next = self.datapath.x_sel.val();
        self.buffers.pass.next = self.rt_pass.q.val();
        self.datapath.x_byte.next = self.buffers.x_value.val();
        self.datapath.epi_read.next = self.rt.q.val() == RouteState::Epi;
        self.datapath.epi_slot.next = self.e_slot.q.val();
        self.datapath.clear.next = self.epilogue.clear.val();
        self.datapath.clear_slot.next = self.epilogue.clear_slot.val();
        self.datapath.clear_lane.next = self.epilogue.clear_lane.val();
        self.datapath.drain.next = self.main.q.val() == MainState::Drain;
        self.counters.busy.next = self.datapath.busy_inc.val();
        self.counters.adds.next = self.datapath.adds_inc.val();
        self.counters.mults.next = self.datapath.mults_inc.val();

        // ---------------------------------------------------------------- epilogue, cell
        self.epilogue.out_addr.next = self.run.out_addr.val();
        self.epilogue.rnn.next = self.rnn.q.val();
        self.epilogue.argmax.next = self.r_argmax.q.val();
        // Argmax over the requantized FC rows, in row order: a row replaces the best only
        // when larger, so the first index of the largest value stays.
        if self.epilogue.gate_write.val() & !self.rnn.q.val() {
            if !self.am_any.q.val()
                | ((self.epilogue.gate_value.val() ^ self.k_sign.val()) > self.am_best.q.val())
            {
                self.am_best.d.next = self.epilogue.gate_value.val() ^ self.k_sign.val();
                self.am_idx.d.next = bit_cast::<16, 10>(self.epilogue.gate_unit.val());
            }
            self.am_any.d.next = true;
        }
        self.epilogue.acc.next = self.datapath.acc.val();
        self.cell_unit.gw_en.next = self.epilogue.gate_write.val() & self.rnn.q.val();
        self.cell_unit.gw_pass.next = self.rt_pass.q.val();
        self.cell_unit.gw_gate.next = self.epilogue.gate_gate.val();
        self.cell_unit.gw_unit.next = bit_cast::<9, 10>(self.epilogue.gate_unit.val());
        self.cell_unit.gw_value.next = self.epilogue.gate_value.val();
        self.cell_unit.wr_room.next = self.arbiter.queued.val() < self.k_wq_room.val();
        // Results to the write queue: FC words from the epilogue, h and c from the cell.
        self.arbiter.push.next =
            self.cell_unit.wr_push.val() | self.epilogue.fc_push.val() | self.tw_push.val();
        self.arbiter.write_word.next = self.cell_unit.wr_data.val();
        self.arbiter.write_addr.next = self.cell_unit.wr_addr.val();
        if self.epilogue.fc_push.val() {
            self.arbiter.write_word.next = self.epilogue.fc_word.val();
            self.arbiter.write_addr.next = self.epilogue.fc_addr.val();
        }
        if self.tw_push.val() {
            // The token word (`image::token_input` layout): the argmax in bits 15:0.
            self.arbiter.write_word.next = bit_cast::<128, 16>(self.am_idx.q.val());
            self.arbiter.write_addr.next = self.epilogue.fc_addr.val();
        }
        self.buffers.cell_busy.next = self.cell_unit.busy.val();
        self.buffers.cell_h_wr_en.next = self.cell_unit.h_wr_en.val();
        self.buffers.cell_h_wr_addr.next = self.cell_unit.h_wr_addr.val();
        self.buffers.cell_h_wr_data.next = self.cell_unit.h_wr_data.val();
        self.buffers.cell_c_wr_en.next = self.cell_unit.c_wr_en.val();
        self.buffers.cell_c_wr_addr.next = self.cell_unit.c_wr_addr.val();
        self.buffers.cell_c_wr_data.next = self.cell_unit.c_wr_data.val();
        self.buffers.cell_h_rd_addr.next = self.cell_unit.h_rd_addr.val();
        self.buffers.cell_c_rd_addr.next = self.cell_unit.c_rd_addr.val();
        self.cell_unit.h_rd_data.next = self.buffers.h_rd_data.val();
        self.cell_unit.c_rd_data.next = self.buffers.c_rd_data.val();

        // ---------------------------------------------------------------- errors, abort
        if self.run.abort.val()
            & (self.main.q.val() != MainState::Idle)
            & (self.main.q.val() != MainState::Drain)
        {
            self.fail.next = true;
            self.fail_code.next = self.k_err_abort.val();
        }
        self.issuer.halt.next = self.fail.val();
        if self.fail.val() {
            self.err.d.next = self.fail_code.val();
            if self.main.q.val() == MainState::Idle {
                self.done_r.d.next = true;
            } else {
                self.main.d.next = MainState::Drain;
            }
            self.rt.d.next = RouteState::Idle;
            self.e_slot.d.next = 0.into();
        }
        self.arbiter.flush.next = self.flush.val();
        self.arbiter.pop.next = self.rt_pop.val();
        self.datapath.flush.next = self.flush.val();
    }
}

crate::synth_test!(EngineCore::<4, 3>::new(LayoutFlags { mask: 0, value: 0 }));
