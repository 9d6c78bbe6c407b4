//! `DenseEngine`: the dense int8 (TPU-like) baseline for the CREW benchmark, UI clock
//! domain, with the same ports and run semantics as `CrewEngine` (RULES.md) so a host
//! bridge can instantiate either. It streams a layer image in the dense layout
//! (`crew_spec::image`, layer flag `FLAG_DENSE`: per column the n_out int8 weights,
//! padded to words) through the MIG port:
//! - issuer and router: the same regions and read-ahead as `CrewEngine` (descriptor,
//!   state, per step: x vector, columns and epilogue rows of each pass);
//! - MAC array: L lanes (`mac_lane.rs`), one int8 x int8 multiply-add each per cycle;
//!   a 16-byte weight word (16 outputs of one column) takes 16 / L cycles; lane l owns the
//!   outputs o with o mod L == l;
//! - epilogue (bias, requantization into the gate domain, or int32 FC outputs) and the
//!   cell unit (`cell_unit.rs`, imported) exactly as in `CrewEngine`.
//! The issuer, router skeleton and epilogue pipeline follow `crew_engine.rs` line by line
//! (they are inline there, not blocks); see docs/dense-baseline.md.
//! Errors stop the run with a `crew_spec::regmap::ErrorCode`; `done` pulses at the end.

use crate::cell_unit::{CellUnit, MAX_HIDDEN};
use crate::crew_engine::{IssueState, MainState, MAX_INPUTS, READ_FIFO_WORDS};
use crate::engine::port::EngineRunPort;
use crate::engine::Engine;
use crate::mac_lane::MacLane;
use crate::mig_port::MigMaster;
use crate::word_fifo::WordFifo;
use crew_spec::image::{DRAM_WORDS, FLAG_DENSE, LAYER_MAGIC, MIG_ADDR_SHIFT};
use crew_spec::regmap::ErrorCode;
use rust_hdl::prelude::*;

/// Write queue depth (words); the FC epilogue keeps 4 slots free for its pipeline.
const WRITE_QUEUE_WORDS: u32 = 16;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum DenseRouteState {
    Idle,
    Desc,
    StateH,
    StateC,
    X,
    RecStart,
    Rec,
    EpiWait,
    Epi,
    EpiDrain,
    End,
}

#[derive(LogicBlock)]
pub struct DenseEngine<const L: usize = 16, const ACC_BITS: usize = 6> {
    /// UI clock (~100 MHz); every port is in this domain.
    pub clock: Signal<In, Clock>,
    /// Run command from the host bridge, status and counters back (see `engine::port`).
    pub run: EngineRunPort,
    /// MIG user interface, master side (UI clock domain).
    pub dram: MigMaster,

    pub lanes: [MacLane<ACC_BITS>; L],
    pub cell: CellUnit,
    rd_fifo: WordFifo<Bits<128>, 6, 7>,
    wq_data: WordFifo<Bits<128>, 4, 5>,
    wq_addr: WordFifo<Bits<32>, 4, 5>,
    xbuf: RAM<Bits<128>, 7>,
    hbuf: RAM<Bits<128>, 5>,
    cbuf: RAM<Bits<128>, 7>,

    k_lanes: Constant<Bits<16>>,
    k_acc_depth: Constant<Bits<32>>,
    k_max_inputs: Constant<Bits<32>>,
    k_max_hidden: Constant<Bits<32>>,
    k_magic: Constant<Bits<32>>,
    k_acc_last: Constant<Bits<16>>,
    k_subs: Constant<Bits<5>>,
    k_lane_bits: Constant<Bits<8>>,
    k_dense_flag: Constant<Bits<8>>,
    k_read_credit: Constant<Bits<8>>,
    k_wq_epi_room: Constant<Bits<5>>,
    k_wq_room: Constant<Bits<5>>,
    k_dram_words: Constant<Bits<32>>,
    k_mig_shift: Constant<Bits<32>>,
    k_one64: Constant<Bits<64>>,
    k_err_desc: Constant<Bits<8>>,
    k_err_shape: Constant<Bits<8>>,
    k_err_addr: Constant<Bits<8>>,
    k_err_record: Constant<Bits<8>>,
    k_err_abort: Constant<Bits<8>>,

    // Run parameters and decoded descriptor.
    main: DFF<MainState>,
    err: DFF<Bits<8>>,
    done_r: DFF<Bit>,
    r_desc: DFF<Bits<32>>,
    r_in: DFF<Bits<32>>,
    r_state: DFF<Bits<32>>,
    r_steps: DFF<Bits<16>>,
    hdr: DFF<Bits<64>>,
    magic_ok: DFF<Bit>,
    pd0: DFF<Bits<128>>,
    pd1: DFF<Bits<128>>,
    rnn: DFF<Bit>,
    lstm: DFF<Bit>,
    wide: DFF<Bit>,
    nin0: DFF<Bits<16>>,
    hid: DFF<Bits<16>>,
    nout0: DFF<Bits<16>>,
    nout1: DFF<Bits<16>>,
    // Issuer.
    iss: DFF<IssueState>,
    iss_addr: DFF<Bits<32>>,
    iss_left: DFF<Bits<32>>,
    iss_step: DFF<Bits<16>>,
    iss_x: DFF<Bits<32>>,
    credits: DFF<Bits<8>>,
    inflight: DFF<Bits<8>>,
    // Router.
    rt: DFF<DenseRouteState>,
    rt_left: DFF<Bits<32>>,
    rt_cnt: DFF<Bits<16>>,
    rt_consumed: DFF<Bits<32>>,
    rt_xwords: DFF<Bits<32>>,
    rt_step: DFF<Bits<16>>,
    rt_pass: DFF<Bit>,
    // MAC array sequencing: sub-word step, bit offset in the word, first output, slot.
    m_sub: DFF<Bits<5>>,
    m_bit: DFF<Bits<8>>,
    m_obase: DFF<Bits<16>>,
    m_slot: DFF<Bits<16>>,
    m1_valid: DFF<Bit>,
    // Epilogue pipeline.
    e_lane: DFF<Bits<5>>,
    e_slot: DFF<Bits<16>>,
    e_gate: DFF<Bits<2>>,
    e_unit: DFF<Bits<10>>,
    e1_valid: DFF<Bit>,
    e1_bias: DFF<Bits<32>>,
    e1_mult: DFF<Bits<32>>,
    e1_shift: DFF<Bits<6>>,
    e1_lane: DFF<Bits<5>>,
    e1_slot: DFF<Bits<16>>,
    e1_gate: DFF<Bits<2>>,
    e1_unit: DFF<Bits<10>>,
    e1_last: DFF<Bit>,
    e1_row: DFF<Bits<2>>,
    e2_valid: DFF<Bit>,
    e2_mag: DFF<Bits<32>>,
    e2_neg: DFF<Bit>,
    e2_mult: DFF<Bits<32>>,
    e2_shift: DFF<Bits<6>>,
    e2_gate: DFF<Bits<2>>,
    e2_unit: DFF<Bits<10>>,
    e3_valid: DFF<Bit>,
    e3_p: DFF<Bits<64>>,
    e3_neg: DFF<Bit>,
    e3_shift: DFF<Bits<6>>,
    e3_gate: DFF<Bits<2>>,
    e3_unit: DFF<Bits<10>>,
    fc_pack: DFF<Bits<128>>,
    fc_ptr: DFF<Bits<32>>,
    // Counters.
    c_cycles: DFF<Bits<32>>,
    c_busy: DFF<Bits<32>>,
    c_stall: DFF<Bits<32>>,
    c_dram: DFF<Bits<32>>,
    c_mults: DFF<Bits<32>>,
    c_adds: DFF<Bits<32>>,

    // Combinational helpers.
    running: Signal<Local, Bit>,
    want_read: Signal<Local, Bit>,
    do_read: Signal<Local, Bit>,
    do_write: Signal<Local, Bit>,
    rt_pop: Signal<Local, Bit>,
    fail: Signal<Local, Bit>,
    fail_code: Signal<Local, Bits<8>>,
    vw8_h: Signal<Local, Bits<32>>,
    vw32_h: Signal<Local, Bits<32>>,
    vw8_in: Signal<Local, Bits<32>>,
    cur_nin: Signal<Local, Bits<16>>,
    cur_nout: Signal<Local, Bits<16>>,
    cur_words: Signal<Local, Bits<32>>,
    region_load: Signal<Local, Bit>,
    region_base: Signal<Local, Bits<32>>,
    region_len: Signal<Local, Bits<32>>,
    region_end: Signal<Local, Bits<32>>,
    head: Signal<Local, Bits<128>>,
    col_end: Signal<Local, Bit>,
    pass_start: Signal<Local, Bit>,
    chk_kind: Signal<Local, Bits<8>>,
    chk_passes: Signal<Local, Bits<16>>,
    chk_nin: Signal<Local, Bits<32>>,
    chk_h: Signal<Local, Bits<32>>,
    chk_rows: Signal<Local, Bits<32>>,
    // MAC helpers.
    m_issue: Signal<Local, Bit>,
    m_col_end: Signal<Local, Bit>,
    m_word_end: Signal<Local, Bit>,
    m_nvalid: Signal<Local, Bits<16>>,
    m_x: Signal<Local, Bits<8>>,
    col_next: Signal<Local, Bits<16>>,
    // Epilogue helpers.
    e_acc: Signal<Local, Bits<32>>,
    e_sum: Signal<Local, Bits<32>>,
    e_pack: Signal<Local, Bits<128>>,
    e_round: Signal<Local, Bits<64>>,
    e_q: Signal<Local, Bits<64>>,
    e_gate_value: Signal<Local, Bits<32>>,
    e_busy: Signal<Local, Bit>,
}

impl<const L: usize, const ACC_BITS: usize> Default for DenseEngine<L, ACC_BITS> {
    fn default() -> Self {
        DenseEngine::new()
    }
}

fn local<T: Synth>() -> Signal<Local, T> {
    Signal::default()
}

impl<const L: usize, const ACC_BITS: usize> DenseEngine<L, ACC_BITS> {
    /// An engine with L MAC lanes (1, 2, 4, 8 or 16: a 128-bit word holds 16 weights) and
    /// 2^ACC_BITS accumulators per lane.
    pub fn new() -> Self {
        assert!(matches!(L, 1 | 2 | 4 | 8 | 16), "L divides 16");
        assert!(ACC_BITS >= 1 && L << ACC_BITS <= 1 << 16);
        DenseEngine {
            clock: Default::default(),
            run: Default::default(),
            dram: Default::default(),
            lanes: array_init::array_init(|_| MacLane::default()),
            cell: Default::default(),
            rd_fifo: Default::default(),
            wq_data: Default::default(),
            wq_addr: Default::default(),
            xbuf: Default::default(),
            hbuf: Default::default(),
            cbuf: Default::default(),
            k_lanes: Constant::new((L as u32).to_bits()),
            k_acc_depth: Constant::new(((L << ACC_BITS) as u32).to_bits()),
            k_max_inputs: Constant::new((MAX_INPUTS as u32).to_bits()),
            k_max_hidden: Constant::new((MAX_HIDDEN as u32).to_bits()),
            k_magic: Constant::new(LAYER_MAGIC.to_bits()),
            k_acc_last: Constant::new((((1usize << ACC_BITS) - 1) as u32).to_bits()),
            k_subs: Constant::new(((16 / L) as u32).to_bits()),
            k_lane_bits: Constant::new(((8 * L) as u32).to_bits()),
            k_dense_flag: Constant::new((FLAG_DENSE as u32).to_bits()),
            k_read_credit: Constant::new((READ_FIFO_WORDS as u32).to_bits()),
            k_wq_epi_room: Constant::new((WRITE_QUEUE_WORDS - 4).to_bits()),
            k_wq_room: Constant::new((WRITE_QUEUE_WORDS - 1).to_bits()),
            k_dram_words: Constant::new((DRAM_WORDS as u32).to_bits()),
            k_mig_shift: Constant::new(MIG_ADDR_SHIFT.to_bits()),
            k_one64: Constant::new(1u64.to_bits()),
            k_err_desc: Constant::new((ErrorCode::BadDescriptor as u8 as u32).to_bits()),
            k_err_shape: Constant::new((ErrorCode::ShapeTooLarge as u8 as u32).to_bits()),
            k_err_addr: Constant::new((ErrorCode::AddressOutOfRange as u8 as u32).to_bits()),
            k_err_record: Constant::new((ErrorCode::BadRecord as u8 as u32).to_bits()),
            k_err_abort: Constant::new((ErrorCode::Aborted as u8 as u32).to_bits()),
            main: Default::default(),
            err: Default::default(),
            done_r: Default::default(),
            r_desc: Default::default(),
            r_in: Default::default(),
            r_state: Default::default(),
            r_steps: Default::default(),
            hdr: Default::default(),
            magic_ok: Default::default(),
            pd0: Default::default(),
            pd1: Default::default(),
            rnn: Default::default(),
            lstm: Default::default(),
            wide: Default::default(),
            nin0: Default::default(),
            hid: Default::default(),
            nout0: Default::default(),
            nout1: Default::default(),
            iss: Default::default(),
            iss_addr: Default::default(),
            iss_left: Default::default(),
            iss_step: Default::default(),
            iss_x: Default::default(),
            credits: Default::default(),
            inflight: Default::default(),
            rt: Default::default(),
            rt_left: Default::default(),
            rt_cnt: Default::default(),
            rt_consumed: Default::default(),
            rt_xwords: Default::default(),
            rt_step: Default::default(),
            rt_pass: Default::default(),
            m_sub: Default::default(),
            m_bit: Default::default(),
            m_obase: Default::default(),
            m_slot: Default::default(),
            m1_valid: Default::default(),
            e_lane: Default::default(),
            e_slot: Default::default(),
            e_gate: Default::default(),
            e_unit: Default::default(),
            e1_valid: Default::default(),
            e1_bias: Default::default(),
            e1_mult: Default::default(),
            e1_shift: Default::default(),
            e1_lane: Default::default(),
            e1_slot: Default::default(),
            e1_gate: Default::default(),
            e1_unit: Default::default(),
            e1_last: Default::default(),
            e1_row: Default::default(),
            e2_valid: Default::default(),
            e2_mag: Default::default(),
            e2_neg: Default::default(),
            e2_mult: Default::default(),
            e2_shift: Default::default(),
            e2_gate: Default::default(),
            e2_unit: Default::default(),
            e3_valid: Default::default(),
            e3_p: Default::default(),
            e3_neg: Default::default(),
            e3_shift: Default::default(),
            e3_gate: Default::default(),
            e3_unit: Default::default(),
            fc_pack: Default::default(),
            fc_ptr: Default::default(),
            c_cycles: Default::default(),
            c_busy: Default::default(),
            c_stall: Default::default(),
            c_dram: Default::default(),
            c_mults: Default::default(),
            c_adds: Default::default(),
            running: local(),
            want_read: local(),
            do_read: local(),
            do_write: local(),
            rt_pop: local(),
            fail: local(),
            fail_code: local(),
            vw8_h: local(),
            vw32_h: local(),
            vw8_in: local(),
            cur_nin: local(),
            cur_nout: local(),
            cur_words: local(),
            region_load: local(),
            region_base: local(),
            region_len: local(),
            region_end: local(),
            head: local(),
            col_end: local(),
            pass_start: local(),
            chk_kind: local(),
            chk_passes: local(),
            chk_nin: local(),
            chk_h: local(),
            chk_rows: local(),
            m_issue: local(),
            m_col_end: local(),
            m_word_end: local(),
            m_nvalid: local(),
            m_x: local(),
            col_next: local(),
            e_acc: local(),
            e_sum: local(),
            e_pack: local(),
            e_round: local(),
            e_q: local(),
            e_gate_value: local(),
            e_busy: local(),
        }
    }
}

impl<const L: usize, const ACC_BITS: usize> Logic for DenseEngine<L, ACC_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            main,
            err,
            done_r,
            r_desc,
            r_in,
            r_state,
            r_steps,
            hdr,
            magic_ok,
            pd0,
            pd1,
            rnn,
            lstm,
            wide,
            nin0,
            hid,
            nout0,
            nout1,
            iss,
            iss_addr,
            iss_left,
            iss_step,
            iss_x,
            credits,
            inflight,
            rt,
            rt_left,
            rt_cnt,
            rt_consumed,
            rt_xwords,
            rt_step,
            rt_pass,
            m_sub,
            m_bit,
            m_obase,
            m_slot,
            m1_valid,
            e_lane,
            e_slot,
            e_gate,
            e_unit,
            e1_valid,
            e1_bias,
            e1_mult,
            e1_shift,
            e1_lane,
            e1_slot,
            e1_gate,
            e1_unit,
            e1_last,
            e1_row,
            e2_valid,
            e2_mag,
            e2_neg,
            e2_mult,
            e2_shift,
            e2_gate,
            e2_unit,
            e3_valid,
            e3_p,
            e3_neg,
            e3_shift,
            e3_gate,
            e3_unit,
            fc_pack,
            fc_ptr,
            c_cycles,
            c_busy,
            c_stall,
            c_dram,
            c_mults,
            c_adds
        );
        clock!(self, clock, cell, rd_fifo, wq_data, wq_addr);
        self.xbuf.read_clock.next = self.clock.val();
        self.xbuf.write_clock.next = self.clock.val();
        self.hbuf.read_clock.next = self.clock.val();
        self.hbuf.write_clock.next = self.clock.val();
        self.cbuf.read_clock.next = self.clock.val();
        self.cbuf.write_clock.next = self.clock.val();
        for l in 0..L {
            self.lanes[l].clock.next = self.clock.val();
        }
        // Pipeline valid bits and pulses default to off.
        self.done_r.d.next = false;
        self.m1_valid.d.next = false;
        self.e1_valid.d.next = false;
        self.e2_valid.d.next = false;
        self.e3_valid.d.next = false;

        // ---------------------------------------------------------------- shared values
        self.running.next = self.main.q.val() == MainState::Run;
        self.e_busy.next = self.e1_valid.q.val() | self.e2_valid.q.val() | self.e3_valid.q.val();
        self.vw8_h.next = (bit_cast::<32, 16>(self.hid.q.val()) + 15) >> 4;
        self.vw32_h.next = (bit_cast::<32, 16>(self.hid.q.val()) + 3) >> 2;
        self.vw8_in.next = (bit_cast::<32, 16>(self.nin0.q.val()) + 15) >> 4;
        if self.rt_pass.q.val() {
            self.cur_nin.next = self.hid.q.val();
            self.cur_nout.next = self.nout1.q.val();
            self.cur_words.next = self.pd1.q.val().get_bits::<32>(96);
        } else {
            self.cur_nin.next = self.nin0.q.val();
            self.cur_nout.next = self.nout0.q.val();
            self.cur_words.next = self.pd0.q.val().get_bits::<32>(96);
        }
        self.run.busy.next = self.main.q.val() != MainState::Idle;
        self.run.done.next = self.done_r.q.val();
        self.run.error.next = self.err.q.val();
        self.run.cycles.next = self.c_cycles.q.val();
        self.run.busy_cycles.next = self.c_busy.q.val();
        self.run.stall_cycles.next = self.c_stall.q.val();
        self.run.dram_words.next = self.c_dram.q.val();
        self.run.mults.next = self.c_mults.q.val();
        self.run.adds.next = self.c_adds.q.val();
        self.fail.next = false;
        self.fail_code.next = 0.into();
        self.region_load.next = false;
        self.region_base.next = 0.into();
        self.region_len.next = 0.into();
        self.rt_pop.next = false;
        self.col_end.next = false;
        self.m_issue.next = false;
        self.pass_start.next = false;
        self.rd_fifo.clear.next = false;
        self.wq_data.clear.next = false;
        self.wq_addr.clear.next = false;
        self.cell.run_start.next = false;
        self.cell.out_addr.next = self.run.out_addr.val();
        self.cell.state_addr.next = self.r_state.q.val();
        self.cell.lstm.next = self.lstm.q.val();
        self.cell.hidden.next = self.hid.q.val();
        self.cell.start.next = false;
        self.cell.last_step.next = false;
        self.cell.abort.next = self.main.q.val() == MainState::Drain;

        // ---------------------------------------------------------------- main sequencer
        self.chk_kind.next = self.hdr.q.val().get_bits::<8>(0);
        self.chk_passes.next = self.hdr.q.val().get_bits::<16>(48);
        self.chk_nin.next = bit_cast::<32, 16>(self.hdr.q.val().get_bits::<16>(16));
        self.chk_h.next = bit_cast::<32, 16>(self.hdr.q.val().get_bits::<16>(32));
        self.chk_rows.next = self.chk_h.val() << 2;
        if self.chk_kind.val() == 1 {
            self.chk_rows.next = (self.chk_h.val() << 1) + self.chk_h.val();
        }
        match self.main.q.val() {
            MainState::Idle => {
                if self.run.start.val() {
                    self.r_desc.d.next = self.run.desc_addr.val();
                    self.r_in.d.next = self.run.in_addr.val();
                    self.r_state.d.next = self.run.state_addr.val();
                    self.r_steps.d.next = self.run.steps.val();
                    self.fc_ptr.d.next = self.run.out_addr.val();
                    self.cell.run_start.next = true;
                    self.err.d.next = 0.into();
                    self.c_cycles.d.next = 0.into();
                    self.c_busy.d.next = 0.into();
                    self.c_stall.d.next = 0.into();
                    self.c_dram.d.next = 0.into();
                    self.c_mults.d.next = 0.into();
                    self.c_adds.d.next = 0.into();
                    self.credits.d.next = 0.into();
                    self.inflight.d.next = 0.into();
                    self.iss_step.d.next = 0.into();
                    self.rt_step.d.next = 0.into();
                    self.rt_pass.d.next = false;
                    self.rt_cnt.d.next = 0.into();
                    self.rd_fifo.clear.next = true;
                    self.wq_data.clear.next = true;
                    self.wq_addr.clear.next = true;
                    if self.run.steps.val() == 0 {
                        self.done_r.d.next = true;
                    } else {
                        self.main.d.next = MainState::Desc;
                        self.iss.d.next = IssueState::Desc;
                        self.iss_addr.d.next = self.run.desc_addr.val();
                        self.iss_left.d.next = 4.into();
                        self.rt.d.next = DenseRouteState::Desc;
                    }
                }
            }
            MainState::Desc => {
                if self.rt.q.val() == DenseRouteState::Idle {
                    self.main.d.next = MainState::Check;
                }
            }
            MainState::Check => {
                self.rnn.d.next = self.chk_kind.val() != 0;
                self.lstm.d.next = self.chk_kind.val() == 2;
                self.wide.d.next = self.hdr.q.val().get_bit(8);
                self.nin0.d.next = self.hdr.q.val().get_bits::<16>(16);
                self.hid.d.next = self.hdr.q.val().get_bits::<16>(32);
                self.nout0.d.next = self.pd0.q.val().get_bits::<16>(80);
                self.nout1.d.next = self.pd1.q.val().get_bits::<16>(80);
                self.main.d.next = MainState::Run;
                if !self.magic_ok.q.val()
                    | (self.chk_kind.val() > 2)
                    | (self.hdr.q.val().get_bits::<8>(8) != self.k_dense_flag.val())
                {
                    self.fail.next = true;
                    self.fail_code.next = self.k_err_desc.val();
                } else if self.chk_kind.val() == 0 {
                    if (self.chk_passes.val() != 1)
                        | (bit_cast::<32, 16>(self.pd0.q.val().get_bits::<16>(64))
                            != self.chk_nin.val())
                        | (bit_cast::<32, 16>(self.pd0.q.val().get_bits::<16>(80))
                            != self.chk_h.val())
                        | (self.chk_nin.val() == 0)
                        | (self.chk_h.val() == 0)
                    {
                        self.fail.next = true;
                        self.fail_code.next = self.k_err_desc.val();
                    } else if (self.chk_nin.val() > self.k_max_inputs.val())
                        | (self.chk_h.val() > self.k_acc_depth.val())
                    {
                        self.fail.next = true;
                        self.fail_code.next = self.k_err_shape.val();
                    }
                } else if (self.chk_passes.val() != 2)
                    | (bit_cast::<32, 16>(self.pd0.q.val().get_bits::<16>(64))
                        != self.chk_nin.val())
                    | (bit_cast::<32, 16>(self.pd0.q.val().get_bits::<16>(80))
                        != self.chk_rows.val())
                    | (bit_cast::<32, 16>(self.pd1.q.val().get_bits::<16>(64)) != self.chk_h.val())
                    | (bit_cast::<32, 16>(self.pd1.q.val().get_bits::<16>(80))
                        != self.chk_rows.val())
                    | (self.chk_nin.val() == 0)
                    | (self.chk_h.val() == 0)
                {
                    self.fail.next = true;
                    self.fail_code.next = self.k_err_desc.val();
                } else if (self.chk_nin.val() > self.k_max_inputs.val())
                    | (self.chk_h.val() > self.k_max_hidden.val())
                    | (self.chk_rows.val() > self.k_acc_depth.val())
                {
                    self.fail.next = true;
                    self.fail_code.next = self.k_err_shape.val();
                }
                // The issuer and router start on the decoded registers next cycle.
                self.iss.d.next = IssueState::Begin;
                if self.chk_kind.val() != 0 {
                    self.rt.d.next = DenseRouteState::StateH;
                } else {
                    self.rt.d.next = DenseRouteState::X;
                }
                self.iss_left.d.next = 0.into();
                self.iss_x.d.next = self.r_in.q.val();
            }
            MainState::Run => {
                if self.rt.q.val() == DenseRouteState::End {
                    self.main.d.next = MainState::Finish;
                }
            }
            MainState::Finish => {
                if !self.cell.busy.val() & (self.wq_data.count.val() == 0) & !self.e_busy.val() {
                    self.done_r.d.next = true;
                    self.main.d.next = MainState::Idle;
                }
            }
            MainState::Drain => {
                self.iss.d.next = IssueState::Idle;
                self.rt.d.next = DenseRouteState::Idle;
                // Zero the accumulators (an aborted pass leaves partial sums).
                self.e_slot.d.next = self.e_slot.q.val() + 1;
                if (self.inflight.q.val() == 0) & (self.e_slot.q.val() >= self.k_acc_last.val()) {
                    self.rd_fifo.clear.next = true;
                    self.wq_data.clear.next = true;
                    self.wq_addr.clear.next = true;
                    self.done_r.d.next = true;
                    self.main.d.next = MainState::Idle;
                }
            }
        }
        if self.main.q.val() != MainState::Idle {
            self.c_cycles.d.next = self.c_cycles.q.val() + 1;
        }

        // ---------------------------------------------------------------- issuer
        // A region is loaded when the previous one has been fully requested.
        if (self.iss_left.q.val() == 0) & self.running.val() {
            match self.iss.q.val() {
                IssueState::Begin => {
                    self.region_load.next = true;
                    if self.rnn.q.val() {
                        self.iss.d.next = IssueState::StateH;
                        self.region_base.next = self.r_state.q.val();
                        self.region_len.next = self.vw8_h.val();
                    } else {
                        self.iss.d.next = IssueState::X;
                        self.region_base.next = self.iss_x.q.val();
                        self.region_len.next = self.vw8_in.val();
                    }
                }
                IssueState::StateH => {
                    self.region_load.next = true;
                    if self.lstm.q.val() {
                        self.iss.d.next = IssueState::StateC;
                        self.region_base.next = self.r_state.q.val() + self.vw8_h.val();
                        self.region_len.next = self.vw32_h.val();
                    } else {
                        self.iss.d.next = IssueState::X;
                        self.region_base.next = self.iss_x.q.val();
                        self.region_len.next = self.vw8_in.val();
                    }
                }
                IssueState::StateC => {
                    self.region_load.next = true;
                    self.iss.d.next = IssueState::X;
                    self.region_base.next = self.iss_x.q.val();
                    self.region_len.next = self.vw8_in.val();
                }
                IssueState::X => {
                    self.region_load.next = true;
                    self.iss.d.next = IssueState::Rec0;
                    self.region_base.next = self.pd0.q.val().get_bits::<32>(0);
                    self.region_len.next = self.pd0.q.val().get_bits::<32>(96);
                }
                IssueState::Rec0 => {
                    self.region_load.next = true;
                    self.iss.d.next = IssueState::Epi0;
                    self.region_base.next = self.pd0.q.val().get_bits::<32>(32);
                    self.region_len.next = bit_cast::<32, 16>(self.nout0.q.val());
                }
                IssueState::Epi0 => {
                    self.region_load.next = true;
                    if self.rnn.q.val() {
                        self.iss.d.next = IssueState::Rec1;
                        self.region_base.next = self.pd1.q.val().get_bits::<32>(0);
                        self.region_len.next = self.pd1.q.val().get_bits::<32>(96);
                    } else {
                        self.iss_step.d.next = self.iss_step.q.val() + 1;
                        self.iss_x.d.next = self.iss_x.q.val() + self.vw8_in.val();
                        self.region_base.next = self.iss_x.q.val() + self.vw8_in.val();
                        self.region_len.next = self.vw8_in.val();
                        if self.iss_step.q.val() + 1 == self.r_steps.q.val() {
                            self.iss.d.next = IssueState::End;
                            self.region_len.next = 0.into();
                        } else {
                            self.iss.d.next = IssueState::X;
                        }
                    }
                }
                IssueState::Rec1 => {
                    self.region_load.next = true;
                    self.iss.d.next = IssueState::Epi1;
                    self.region_base.next = self.pd1.q.val().get_bits::<32>(32);
                    self.region_len.next = bit_cast::<32, 16>(self.nout1.q.val());
                }
                IssueState::Epi1 => {
                    self.region_load.next = true;
                    self.iss_step.d.next = self.iss_step.q.val() + 1;
                    self.iss_x.d.next = self.iss_x.q.val() + self.vw8_in.val();
                    self.region_base.next = self.iss_x.q.val() + self.vw8_in.val();
                    self.region_len.next = self.vw8_in.val();
                    if self.iss_step.q.val() + 1 == self.r_steps.q.val() {
                        self.iss.d.next = IssueState::End;
                        self.region_len.next = 0.into();
                    } else {
                        self.iss.d.next = IssueState::X;
                    }
                }
                _ => {}
            }
        }
        self.region_end.next = self.region_base.val() + self.region_len.val();
        if self.region_load.val() {
            self.iss_addr.d.next = self.region_base.val();
            self.iss_left.d.next = self.region_len.val();
            if (self.region_len.val() != 0)
                & ((self.region_base.val() >= self.k_dram_words.val())
                    | (self.region_len.val() > self.k_dram_words.val())
                    | (self.region_end.val() > self.k_dram_words.val()))
            {
                self.fail.next = true;
                self.fail_code.next = self.k_err_addr.val();
            }
        }
        if (self.main.q.val() == MainState::Idle)
            & self.run.start.val()
            & (self.run.steps.val() != 0)
            & ((self.run.desc_addr.val() >= self.k_dram_words.val())
                | (self.run.desc_addr.val() + 4 > self.k_dram_words.val()))
        {
            self.fail.next = true;
            self.fail_code.next = self.k_err_addr.val();
        }
        self.want_read.next = ((self.main.q.val() == MainState::Desc) | self.running.val())
            & (self.iss_left.q.val() != 0)
            & (self.credits.q.val() < self.k_read_credit.val());
        self.do_write.next = !self.wq_data.empty.val()
            & (self.main.q.val() != MainState::Drain)
            & self.dram.ready.val()
            & self.dram.write_fifo_not_full.val();
        self.do_read.next = self.wq_data.empty.val() & self.want_read.val() & self.dram.ready.val();
        self.dram.enable.next = self.do_write.val() | self.do_read.val();
        self.dram.command.next = 1.into();
        self.dram.address.next =
            bit_cast::<29, 32>(self.iss_addr.q.val() << self.k_mig_shift.val());
        if !self.wq_data.empty.val() {
            self.dram.command.next = 0.into();
            self.dram.address.next =
                bit_cast::<29, 32>(self.wq_addr.data_out.val() << self.k_mig_shift.val());
        }
        self.dram.write_enable.next = self.do_write.val();
        self.dram.write_data_end.next = self.do_write.val();
        self.dram.write_data_in.next = self.wq_data.data_out.val();
        self.dram.write_data_mask.next = 0.into();
        self.wq_data.pop.next = self.do_write.val();
        self.wq_addr.pop.next = self.do_write.val();
        if self.do_read.val() {
            self.iss_addr.d.next = self.iss_addr.q.val() + 1;
            self.iss_left.d.next = self.iss_left.q.val() - 1;
        }
        self.rd_fifo.push.next = self.dram.read_data_valid.val();
        self.rd_fifo.data_in.next = self.dram.read_data_out.val();
        if self.do_read.val() & !self.dram.read_data_valid.val() {
            self.inflight.d.next = self.inflight.q.val() + 1;
        }
        if !self.do_read.val() & self.dram.read_data_valid.val() {
            self.inflight.d.next = self.inflight.q.val() - 1;
        }
        if self.do_read.val() | self.do_write.val() {
            self.c_dram.d.next = self.c_dram.q.val() + 1;
        }

        // MAC step shape (read by the router): outputs m_obase .. m_obase + L of the
        // current column use this word's bytes at bit m_bit; the word ends after 16 / L
        // steps or at the column's last output.
        self.m_col_end.next = bit_cast::<32, 16>(self.m_obase.q.val())
            + bit_cast::<32, 16>(self.k_lanes.val())
            >= bit_cast::<32, 16>(self.cur_nout.val());
        self.m_word_end.next = (self.m_sub.q.val() + 1 == self.k_subs.val()) | self.m_col_end.val();
        self.m_nvalid.next = self.k_lanes.val();
        if self.m_col_end.val() {
            self.m_nvalid.next = self.cur_nout.val() - self.m_obase.q.val();
        }
        // ---------------------------------------------------------------- router
        self.head.next = self.rd_fifo.data_out.val();
        self.xbuf.write_enable.next = false;
        self.xbuf.write_address.next = self.rt_cnt.q.val().get_bits::<7>(0);
        self.xbuf.write_data.next = self.head.val();
        self.hbuf.write_enable.next = self.cell.h_wr_en.val();
        self.hbuf.write_address.next = self.cell.h_wr_addr.val();
        self.hbuf.write_data.next = self.cell.h_wr_data.val();
        self.cbuf.write_enable.next = self.cell.c_wr_en.val();
        self.cbuf.write_address.next = self.cell.c_wr_addr.val();
        self.cbuf.write_data.next = self.cell.c_wr_data.val();
        match self.rt.q.val() {
            DenseRouteState::Desc => {
                if !self.rd_fifo.empty.val() {
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
                        self.rt.d.next = DenseRouteState::Idle;
                        self.rt_cnt.d.next = 0.into();
                    }
                }
            }
            DenseRouteState::StateH => {
                if !self.rd_fifo.empty.val() {
                    self.rt_pop.next = true;
                    self.hbuf.write_enable.next = true;
                    self.hbuf.write_address.next = self.rt_cnt.q.val().get_bits::<5>(0);
                    self.hbuf.write_data.next = self.head.val();
                    self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
                    if bit_cast::<32, 16>(self.rt_cnt.q.val()) + 1 == self.vw8_h.val() {
                        self.rt_cnt.d.next = 0.into();
                        if self.lstm.q.val() {
                            self.rt.d.next = DenseRouteState::StateC;
                        } else {
                            self.rt.d.next = DenseRouteState::X;
                        }
                    }
                }
            }
            DenseRouteState::StateC => {
                if !self.rd_fifo.empty.val() {
                    self.rt_pop.next = true;
                    self.cbuf.write_enable.next = true;
                    self.cbuf.write_address.next = self.rt_cnt.q.val().get_bits::<7>(0);
                    self.cbuf.write_data.next = self.head.val();
                    self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
                    if bit_cast::<32, 16>(self.rt_cnt.q.val()) + 1 == self.vw32_h.val() {
                        self.rt_cnt.d.next = 0.into();
                        self.rt.d.next = DenseRouteState::X;
                    }
                }
            }
            DenseRouteState::X => {
                if !self.rd_fifo.empty.val() {
                    self.rt_pop.next = true;
                    self.xbuf.write_enable.next = true;
                    self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
                    if bit_cast::<32, 16>(self.rt_cnt.q.val()) + 1 == self.vw8_in.val() {
                        self.rt_cnt.d.next = 0.into();
                        self.rt.d.next = DenseRouteState::RecStart;
                        self.rt_pass.d.next = false;
                        self.rt_consumed.d.next = 0.into();
                        self.pass_start.next = true;
                    }
                }
            }
            DenseRouteState::RecStart => {
                // The first column's x is read from xbuf/hbuf this cycle.
                self.rt.d.next = DenseRouteState::Rec;
            }
            DenseRouteState::Rec => {
                if !self.rd_fifo.empty.val() {
                    if self.rt_consumed.q.val() >= self.cur_words.val() {
                        self.fail.next = true;
                        self.fail_code.next = self.k_err_record.val();
                    } else {
                        self.m_issue.next = true;
                        self.m_sub.d.next = self.m_sub.q.val() + 1;
                        self.m_bit.d.next = self.m_bit.q.val() + self.k_lane_bits.val();
                        self.m_obase.d.next = self.m_obase.q.val() + self.k_lanes.val();
                        self.m_slot.d.next = self.m_slot.q.val() + 1;
                        if self.m_word_end.val() {
                            self.rt_pop.next = true;
                            self.rt_consumed.d.next = self.rt_consumed.q.val() + 1;
                            self.m_sub.d.next = 0.into();
                            self.m_bit.d.next = 0.into();
                        }
                        if self.m_col_end.val() {
                            self.m_obase.d.next = 0.into();
                            self.m_slot.d.next = 0.into();
                            self.col_end.next = true;
                        }
                    }
                }
            }
            DenseRouteState::EpiWait => {
                // The last MAC issued two cycles ago has been written back.
                if !self.m1_valid.q.val() & (self.rt_pass.q.val() | !self.cell.busy.val()) {
                    self.rt.d.next = DenseRouteState::Epi;
                    self.rt_cnt.d.next = 0.into();
                    self.e_lane.d.next = 0.into();
                    self.e_slot.d.next = 0.into();
                    self.e_gate.d.next = 0.into();
                    self.e_unit.d.next = 0.into();
                }
            }
            DenseRouteState::Epi => {
                if !self.rd_fifo.empty.val()
                    & (self.rnn.q.val() | (self.wq_data.count.val() < self.k_wq_epi_room.val()))
                {
                    self.rt_pop.next = true;
                    self.e1_valid.d.next = true;
                    self.e1_bias.d.next = self.head.val().get_bits::<32>(0);
                    self.e1_mult.d.next = self.head.val().get_bits::<32>(32);
                    self.e1_shift.d.next = self.head.val().get_bits::<6>(64);
                    self.e1_lane.d.next = self.e_lane.q.val();
                    self.e1_slot.d.next = self.e_slot.q.val();
                    self.e1_gate.d.next = self.e_gate.q.val();
                    self.e1_unit.d.next = self.e_unit.q.val();
                    self.e1_row.d.next = self.rt_cnt.q.val().get_bits::<2>(0);
                    self.e1_last.d.next = self.rt_cnt.q.val() + 1 == self.cur_nout.val();
                    self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
                    self.e_lane.d.next = self.e_lane.q.val() + 1;
                    if bit_cast::<16, 5>(self.e_lane.q.val()) + 1 == self.k_lanes.val() {
                        self.e_lane.d.next = 0.into();
                        self.e_slot.d.next = self.e_slot.q.val() + 1;
                    }
                    self.e_unit.d.next = self.e_unit.q.val() + 1;
                    if bit_cast::<16, 10>(self.e_unit.q.val()) + 1 == self.hid.q.val() {
                        self.e_unit.d.next = 0.into();
                        self.e_gate.d.next = self.e_gate.q.val() + 1;
                    }
                    if self.rt_cnt.q.val() + 1 == self.cur_nout.val() {
                        self.rt.d.next = DenseRouteState::EpiDrain;
                    }
                }
            }
            DenseRouteState::EpiDrain => {
                if !self.e_busy.val() {
                    if self.rnn.q.val() & !self.rt_pass.q.val() {
                        self.rt_pass.d.next = true;
                        self.rt.d.next = DenseRouteState::RecStart;
                        self.rt_cnt.d.next = 0.into();
                        self.rt_consumed.d.next = 0.into();
                        self.pass_start.next = true;
                    } else {
                        self.cell.start.next = self.rnn.q.val();
                        self.cell.last_step.next = self.rt_step.q.val() + 1 == self.r_steps.q.val();
                        self.rt_step.d.next = self.rt_step.q.val() + 1;
                        self.rt_pass.d.next = false;
                        self.rt_cnt.d.next = 0.into();
                        if self.rt_step.q.val() + 1 == self.r_steps.q.val() {
                            self.rt.d.next = DenseRouteState::End;
                        } else {
                            self.rt.d.next = DenseRouteState::X;
                        }
                    }
                }
            }
            _ => {}
        }
        if self.col_end.val() {
            self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
            if self.rt_cnt.q.val() + 1 == self.cur_nin.val() {
                self.rt.d.next = DenseRouteState::EpiWait;
                if self.rt_consumed.d.val() != self.cur_words.val() {
                    self.fail.next = true;
                    self.fail_code.next = self.k_err_record.val();
                }
            }
        }
        self.rd_fifo.pop.next = self.rt_pop.val();
        if self.do_read.val() & !self.rt_pop.val() {
            self.credits.d.next = self.credits.q.val() + 1;
        }
        if !self.do_read.val() & self.rt_pop.val() {
            self.credits.d.next = self.credits.q.val() - 1;
        }
        if self.running.val()
            & self.rd_fifo.empty.val()
            & ((self.rt.q.val() == DenseRouteState::StateH)
                | (self.rt.q.val() == DenseRouteState::StateC)
                | (self.rt.q.val() == DenseRouteState::X)
                | (self.rt.q.val() == DenseRouteState::Rec)
                | (self.rt.q.val() == DenseRouteState::Epi))
        {
            self.c_stall.d.next = self.c_stall.q.val() + 1;
        }

        // ---------------------------------------------------------------- MAC array
        // x of column rt_cnt, read one cycle ahead (col_next) from xbuf, or hbuf in pass 1.
        self.col_next.next = self.rt_cnt.q.val();
        if self.col_end.val() {
            self.col_next.next = self.rt_cnt.q.val() + 1;
        }
        self.xbuf.read_address.next = self.col_next.val().get_bits::<7>(4);
        self.hbuf.read_address.next = self.col_next.val().get_bits::<5>(4);
        if self.cell.busy.val() {
            self.hbuf.read_address.next = self.cell.h_rd_addr.val();
        }
        self.cbuf.read_address.next = self.cell.c_rd_addr.val();
        self.cell.h_rd_data.next = self.hbuf.read_data.val();
        self.cell.c_rd_data.next = self.cbuf.read_data.val();
        self.m_x.next = self
            .xbuf
            .read_data
            .val()
            .get_bits::<8>(self.rt_cnt.q.val().get_bits::<4>(0).index() * 8);
        if self.rt_pass.q.val() {
            self.m_x.next = self
                .hbuf
                .read_data
                .val()
                .get_bits::<8>(self.rt_cnt.q.val().get_bits::<4>(0).index() * 8);
        }
        for l in 0..L {
            self.lanes[l].s0_valid.next = self.m_issue.val() & (self.m_nvalid.val().index() > l);
            self.lanes[l].s0_x.next = self.m_x.val();
            self.lanes[l].s0_w.next = self
                .head
                .val()
                .get_bits::<8>(self.m_bit.q.val().index() + l * 8);
            self.lanes[l].s0_slot.next = bit_cast::<ACC_BITS, 16>(self.m_slot.q.val());
        }
        if self.m_issue.val() {
            self.m1_valid.d.next = true;
            self.c_busy.d.next = self.c_busy.q.val() + 1;
            self.c_mults.d.next = self.c_mults.q.val() + bit_cast::<32, 16>(self.m_nvalid.val());
            self.c_adds.d.next = self.c_adds.q.val() + bit_cast::<32, 16>(self.m_nvalid.val());
        }
        if self.pass_start.val() {
            self.m_sub.d.next = 0.into();
            self.m_bit.d.next = 0.into();
            self.m_obase.d.next = 0.into();
            self.m_slot.d.next = 0.into();
        }

        // ---------------------------------------------------------------- epilogue
        self.e_acc.next = 0.into();
        for l in 0..L {
            self.lanes[l].epi_rd.next = self.rt.q.val() == DenseRouteState::Epi;
            self.lanes[l].epi_addr.next = bit_cast::<ACC_BITS, 16>(self.e_slot.q.val());
            self.lanes[l].clear_addr.next = bit_cast::<ACC_BITS, 16>(self.e1_slot.q.val());
            self.lanes[l].acc_clear.next =
                self.e1_valid.q.val() & (self.e1_lane.q.val().index() == l);
            if self.main.q.val() == MainState::Drain {
                self.lanes[l].clear_addr.next = bit_cast::<ACC_BITS, 16>(self.e_slot.q.val());
                self.lanes[l].acc_clear.next = true;
            }
            if self.e1_lane.q.val().index() == l {
                self.e_acc.next = self.lanes[l].acc_out.val();
            }
        }
        self.e_sum.next = self.e_acc.val() + self.e1_bias.q.val();
        self.e_pack.next = self.fc_pack.q.val()
            | (bit_cast::<128, 32>(self.e_sum.val())
                << (bit_cast::<7, 2>(self.e1_row.q.val()) << 5));
        if self.e1_row.q.val() == 0 {
            self.e_pack.next = bit_cast::<128, 32>(self.e_sum.val());
        }
        self.wq_data.push.next = self.cell.wr_push.val();
        self.wq_data.data_in.next = self.cell.wr_data.val();
        self.wq_addr.push.next = self.cell.wr_push.val();
        self.wq_addr.data_in.next = self.cell.wr_addr.val();
        self.cell.wr_room.next = self.wq_data.count.val() < self.k_wq_room.val();
        if self.e1_valid.q.val() {
            if self.rnn.q.val() {
                self.e2_valid.d.next = true;
                self.e2_neg.d.next = self.e_sum.val().get_bit(31);
                self.e2_mag.d.next = self.e_sum.val();
                if self.e_sum.val().get_bit(31) {
                    self.e2_mag.d.next = 0 - self.e_sum.val();
                }
                self.e2_mult.d.next = self.e1_mult.q.val();
                self.e2_shift.d.next = self.e1_shift.q.val();
                self.e2_gate.d.next = self.e1_gate.q.val();
                self.e2_unit.d.next = self.e1_unit.q.val();
            } else {
                self.fc_pack.d.next = self.e_pack.val();
                if (self.e1_row.q.val() == 3) | self.e1_last.q.val() {
                    self.wq_data.push.next = true;
                    self.wq_data.data_in.next = self.e_pack.val();
                    self.wq_addr.push.next = true;
                    self.wq_addr.data_in.next = self.fc_ptr.q.val();
                    self.fc_ptr.d.next = self.fc_ptr.q.val() + 1;
                }
            }
        }
        // |acc| * M as four 16x16 products.
        if self.e2_valid.q.val() {
            self.e3_valid.d.next = true;
            self.e3_p.d.next = bit_cast::<64, 32>(
                self.e2_mag.q.val().get_bits::<16>(0) * self.e2_mult.q.val().get_bits::<16>(0),
            ) + (bit_cast::<64, 32>(
                self.e2_mag.q.val().get_bits::<16>(0) * self.e2_mult.q.val().get_bits::<16>(16),
            ) << 16)
                + (bit_cast::<64, 32>(
                    self.e2_mag.q.val().get_bits::<16>(16) * self.e2_mult.q.val().get_bits::<16>(0),
                ) << 16)
                + (bit_cast::<64, 32>(
                    self.e2_mag.q.val().get_bits::<16>(16)
                        * self.e2_mult.q.val().get_bits::<16>(16),
                ) << 32);
            self.e3_neg.d.next = self.e2_neg.q.val();
            self.e3_shift.d.next = self.e2_shift.q.val();
            self.e3_gate.d.next = self.e2_gate.q.val();
            self.e3_unit.d.next = self.e2_unit.q.val();
        }
        // Round half up, shift, saturate to 24 bits, restore the sign.
        self.e_round.next = 0.into();
        self.e_q.next = 0.into();
        self.e_gate_value.next = 0.into();
        if self.e3_valid.q.val() {
            self.e_round.next =
                self.e3_p.q.val() + (self.k_one64.val() << (self.e3_shift.q.val() - 1));
            if self.e3_neg.q.val() {
                self.e_round.next =
                    self.e3_p.q.val() + (self.k_one64.val() << (self.e3_shift.q.val() - 1)) - 1;
            }
            self.e_q.next = self.e_round.val() >> self.e3_shift.q.val();
            if self.e3_neg.q.val() {
                self.e_gate_value.next = 0 - bit_cast::<32, 24>(self.e_q.val().get_bits::<24>(0));
                if (self.e_q.val().get_bits::<40>(24) != 0)
                    | (self.e_q.val().get_bit(23) & (self.e_q.val().get_bits::<23>(0) != 0))
                {
                    self.e_gate_value.next = 0xFF80_0000_u64.into();
                }
            } else {
                self.e_gate_value.next = bit_cast::<32, 23>(self.e_q.val().get_bits::<23>(0));
                if self.e_q.val().get_bits::<41>(23) != 0 {
                    self.e_gate_value.next = 0x007F_FFFF.into();
                }
            }
        }
        self.cell.gw_en.next = self.e3_valid.q.val();
        self.cell.gw_pass.next = self.rt_pass.q.val();
        self.cell.gw_gate.next = self.e3_gate.q.val();
        self.cell.gw_unit.next = bit_cast::<9, 10>(self.e3_unit.q.val());
        self.cell.gw_value.next = self.e_gate_value.val();

        // ---------------------------------------------------------------- errors, abort
        if self.run.abort.val()
            & (self.main.q.val() != MainState::Idle)
            & (self.main.q.val() != MainState::Drain)
        {
            self.fail.next = true;
            self.fail_code.next = self.k_err_abort.val();
        }
        if self.fail.val() {
            self.err.d.next = self.fail_code.val();
            if self.main.q.val() == MainState::Idle {
                self.done_r.d.next = true;
            } else {
                self.main.d.next = MainState::Drain;
            }
            self.iss.d.next = IssueState::Idle;
            self.rt.d.next = DenseRouteState::Idle;
            self.iss_left.d.next = 0.into();
            self.e_slot.d.next = 0.into();
        }
    }
}

impl<const L: usize, const ACC_BITS: usize> Engine for DenseEngine<L, ACC_BITS> {
    fn clock(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
    fn run_port(&self) -> &EngineRunPort {
        &self.run
    }
    fn run_port_mut(&mut self) -> &mut EngineRunPort {
        &mut self.run
    }
    fn dram(&mut self) -> &mut MigMaster {
        &mut self.dram
    }
}
