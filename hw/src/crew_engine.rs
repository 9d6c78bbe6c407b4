//! `CrewEngine`: the CREW accelerator core (UI clock domain). A descriptor-driven
//! sequencer streams one layer's DRAM image (`crew_spec::image`) through the MIG port and
//! runs FC, GRU or LSTM steps:
//! - issuer: read commands for the run's regions (descriptor, state, per step: x vector,
//!   records and epilogue rows of each pass), as far ahead as the read FIFO has room;
//! - router: splits the returned words into descriptor registers, on-chip vectors, table
//!   words (table FIFO) and index words (index FIFO), checks record headers and sizes;
//! - table unit: 4 multipliers turn each column's table U_i into products x_i * U_i[k],
//!   written into the L lanes' double-buffered product tables while the lanes still add
//!   the previous column;
//! - unpacker + gather: L indices (0..=8 bits, straddling words) per cycle from a two-word
//!   window; lane l adds P_i[I[o, i]] for o = k*L + l into its accumulators;
//! - epilogue: bias, requantization (`numerics::requantize`) into the gate buffers of the
//!   cell unit, or int32 outputs for FC layers, clearing the accumulators;
//! - cell unit (`cell_unit.rs`): GRU/LSTM update, h/c written back.
//! Errors stop the run with a `crew_spec::regmap::ErrorCode`; `done` pulses at the end.

use crate::cell_unit::{CellUnit, MAX_HIDDEN};
use crate::engine::port::EngineRunPort;
use crate::engine::Engine;
use crate::gather_lane::GatherLane;
use crate::mig_port::MigMaster;
use crate::word_fifo::WordFifo;
use crew_spec::image::{DRAM_WORDS, LAYER_MAGIC, MIG_ADDR_SHIFT};
use crew_spec::regmap::ErrorCode;
use rust_hdl::prelude::*;

/// Largest n_in (x vector) the input buffer holds.
pub const MAX_INPUTS: usize = 2048;
/// Read-ahead credit: words requested and not yet taken by the router.
pub const READ_FIFO_WORDS: usize = 64;
/// Write queue depth (words); the FC epilogue keeps 4 slots free for its pipeline.
const WRITE_QUEUE_WORDS: u32 = 16;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum MainState {
    Idle,
    Desc,
    Check,
    Run,
    Finish,
    Drain,
}

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum IssueState {
    Idle,
    Desc,
    Begin,
    StateH,
    StateC,
    X,
    Rec0,
    Epi0,
    Rec1,
    Epi1,
    End,
}

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum RouteState {
    Idle,
    Desc,
    StateH,
    StateC,
    X,
    RecHdr,
    RecTable,
    RecIndex,
    EpiWait,
    Epi,
    EpiDrain,
    End,
}

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum TableState {
    Start,
    Work,
}

#[derive(LogicBlock)]
pub struct CrewEngine<const L: usize = 16, const ACC_BITS: usize = 6> {
    /// UI clock (~100 MHz); every port is in this domain.
    pub clock: Signal<In, Clock>,
    /// Run command from the host bridge, status and counters back (see `engine::port`).
    pub run: EngineRunPort,
    /// MIG user interface, master side (UI clock domain).
    pub dram: MigMaster,

    /// Sub-blocks are public so simulations can observe them (no extra ports).
    pub lanes: [GatherLane<ACC_BITS>; L],
    pub cell: CellUnit,
    rd_fifo: WordFifo<Bits<128>, 6, 7>,
    tab_fifo: WordFifo<Bits<128>, 5, 6>,
    idx_fifo: WordFifo<Bits<128>, 6, 7>,
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
    rt: DFF<RouteState>,
    rt_left: DFF<Bits<32>>,
    rt_cnt: DFF<Bits<16>>,
    rt_consumed: DFF<Bits<32>>,
    rt_xwords: DFF<Bits<32>>,
    rt_step: DFF<Bits<16>>,
    rt_pass: DFF<Bit>,
    // Table unit.
    tu: DFF<TableState>,
    tcol: DFF<Bits<16>>,
    tw: DFF<Bits<6>>,
    tsub: DFF<Bits<2>>,
    tu_u: DFF<Bits<9>>,
    tb0: DFF<Bits<4>>,
    tb1: DFF<Bits<4>>,
    // Unpacker and gather.
    gcol: DFF<Bits<16>>,
    gslot: DFF<Bits<16>>,
    gdone: DFF<Bits<16>>,
    goff: DFF<Bits<8>>,
    nw: DFF<Bits<2>>,
    lo: DFF<Bits<128>>,
    hi: DFF<Bits<128>>,
    s1_valid: DFF<Bit>,
    s1_slot: DFF<Bits<16>>,
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
    hdr_u: Signal<Local, Bits<9>>,
    hdr_b: Signal<Local, Bits<8>>,
    hdr_t: Signal<Local, Bits<32>>,
    hdr_x: Signal<Local, Bits<32>>,
    col_end: Signal<Local, Bit>,
    pass_start: Signal<Local, Bit>,
    chk_kind: Signal<Local, Bits<8>>,
    chk_passes: Signal<Local, Bits<16>>,
    chk_nin: Signal<Local, Bits<32>>,
    chk_h: Signal<Local, Bits<32>>,
    chk_rows: Signal<Local, Bits<32>>,
    // Table unit helpers.
    t_head: Signal<Local, Bits<128>>,
    t_u: Signal<Local, Bits<9>>,
    t_words: Signal<Local, Bits<6>>,
    t_chunk: Signal<Local, Bits<32>>,
    t_base: Signal<Local, Bits<10>>,
    t_x: Signal<Local, Bits<8>>,
    t_xmag: Signal<Local, Bits<16>>,
    t_e0: Signal<Local, Bits<16>>,
    t_e1: Signal<Local, Bits<16>>,
    t_e2: Signal<Local, Bits<16>>,
    t_e3: Signal<Local, Bits<16>>,
    t_m0: Signal<Local, Bits<16>>,
    t_m1: Signal<Local, Bits<16>>,
    t_m2: Signal<Local, Bits<16>>,
    t_m3: Signal<Local, Bits<16>>,
    t_p0: Signal<Local, Bits<32>>,
    t_p1: Signal<Local, Bits<32>>,
    t_p2: Signal<Local, Bits<32>>,
    t_p3: Signal<Local, Bits<32>>,
    t_valid: Signal<Local, Bits<4>>,
    t_nvalid: Signal<Local, Bits<32>>,
    t_can_start: Signal<Local, Bit>,
    pt_addr: Signal<Local, Bits<9>>,
    pt_bank0: Signal<Local, Bits<32>>,
    pt_bank1: Signal<Local, Bits<32>>,
    // Gather helpers.
    gb: Signal<Local, Bits<4>>,
    gmask: Signal<Local, Bits<8>>,
    n_valid: Signal<Local, Bits<16>>,
    g_left: Signal<Local, Bits<16>>,
    need_words: Signal<Local, Bits<16>>,
    off_next: Signal<Local, Bits<16>>,
    last_chunk: Signal<Local, Bit>,
    emit: Signal<Local, Bit>,
    consumed: Signal<Local, Bits<2>>,
    kept: Signal<Local, Bits<2>>,
    load: Signal<Local, Bit>,
    window: Signal<Local, Bits<256>>,
    // Epilogue helpers.
    e_acc: Signal<Local, Bits<32>>,
    e_sum: Signal<Local, Bits<32>>,
    e_pack: Signal<Local, Bits<128>>,
    e_round: Signal<Local, Bits<64>>,
    e_q: Signal<Local, Bits<64>>,
    e_gate_value: Signal<Local, Bits<32>>,
    e_busy: Signal<Local, Bit>,
}

impl<const L: usize, const ACC_BITS: usize> Default for CrewEngine<L, ACC_BITS> {
    fn default() -> Self {
        CrewEngine::new()
    }
}

fn local<T: Synth>() -> Signal<Local, T> {
    Signal::default()
}

impl<const L: usize, const ACC_BITS: usize> CrewEngine<L, ACC_BITS> {
    /// An engine with L lanes (1..=16: one 128-bit word of 8-bit indices per cycle) and
    /// 2^ACC_BITS accumulators per lane.
    pub fn new() -> Self {
        assert!((1..=16).contains(&L), "1..=16 lanes");
        assert!(ACC_BITS >= 1 && L << ACC_BITS <= 1 << 16);
        CrewEngine {
            clock: Default::default(),
            run: Default::default(),
            dram: Default::default(),
            lanes: array_init::array_init(|_| GatherLane::default()),
            cell: Default::default(),
            rd_fifo: Default::default(),
            tab_fifo: Default::default(),
            idx_fifo: Default::default(),
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
            tu: Default::default(),
            tcol: Default::default(),
            tw: Default::default(),
            tsub: Default::default(),
            tu_u: Default::default(),
            tb0: Default::default(),
            tb1: Default::default(),
            gcol: Default::default(),
            gslot: Default::default(),
            gdone: Default::default(),
            goff: Default::default(),
            nw: Default::default(),
            lo: Default::default(),
            hi: Default::default(),
            s1_valid: Default::default(),
            s1_slot: Default::default(),
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
            hdr_u: local(),
            hdr_b: local(),
            hdr_t: local(),
            hdr_x: local(),
            col_end: local(),
            pass_start: local(),
            chk_kind: local(),
            chk_passes: local(),
            chk_nin: local(),
            chk_h: local(),
            chk_rows: local(),
            t_head: local(),
            t_u: local(),
            t_words: local(),
            t_chunk: local(),
            t_base: local(),
            t_x: local(),
            t_xmag: local(),
            t_e0: local(),
            t_e1: local(),
            t_e2: local(),
            t_e3: local(),
            t_m0: local(),
            t_m1: local(),
            t_m2: local(),
            t_m3: local(),
            t_p0: local(),
            t_p1: local(),
            t_p2: local(),
            t_p3: local(),
            t_valid: local(),
            t_nvalid: local(),
            t_can_start: local(),
            pt_addr: local(),
            pt_bank0: local(),
            pt_bank1: local(),
            gb: local(),
            gmask: local(),
            n_valid: local(),
            g_left: local(),
            need_words: local(),
            off_next: local(),
            last_chunk: local(),
            emit: local(),
            consumed: local(),
            kept: local(),
            load: local(),
            window: local(),
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

impl<const L: usize, const ACC_BITS: usize> Logic for CrewEngine<L, ACC_BITS> {
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
            tu,
            tcol,
            tw,
            tsub,
            tu_u,
            tb0,
            tb1,
            gcol,
            gslot,
            gdone,
            goff,
            nw,
            lo,
            hi,
            s1_valid,
            s1_slot,
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
        clock!(self, clock, cell, rd_fifo, tab_fifo, idx_fifo, wq_data, wq_addr);
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
        self.s1_valid.d.next = false;
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
        self.pass_start.next = false;
        self.rd_fifo.clear.next = false;
        self.tab_fifo.clear.next = false;
        self.idx_fifo.clear.next = false;
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
                    self.nw.d.next = 0.into();
                    self.rd_fifo.clear.next = true;
                    self.tab_fifo.clear.next = true;
                    self.idx_fifo.clear.next = true;
                    self.wq_data.clear.next = true;
                    self.wq_addr.clear.next = true;
                    if self.run.steps.val() == 0 {
                        self.done_r.d.next = true;
                    } else {
                        self.main.d.next = MainState::Desc;
                        self.iss.d.next = IssueState::Desc;
                        self.iss_addr.d.next = self.run.desc_addr.val();
                        self.iss_left.d.next = 4.into();
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
                self.rnn.d.next = self.chk_kind.val() != 0;
                self.lstm.d.next = self.chk_kind.val() == 2;
                self.wide.d.next = self.hdr.q.val().get_bit(8);
                self.nin0.d.next = self.hdr.q.val().get_bits::<16>(16);
                self.hid.d.next = self.hdr.q.val().get_bits::<16>(32);
                self.nout0.d.next = self.pd0.q.val().get_bits::<16>(80);
                self.nout1.d.next = self.pd1.q.val().get_bits::<16>(80);
                self.main.d.next = MainState::Run;
                if !self.magic_ok.q.val() | (self.chk_kind.val() > 2) {
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
                    self.rt.d.next = RouteState::StateH;
                } else {
                    self.rt.d.next = RouteState::X;
                }
                self.iss_left.d.next = 0.into();
                self.iss_x.d.next = self.r_in.q.val();
            }
            MainState::Run => {
                if self.rt.q.val() == RouteState::End {
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
                self.rt.d.next = RouteState::Idle;
                // Zero the accumulators (an aborted pass leaves partial sums).
                self.e_slot.d.next = self.e_slot.q.val() + 1;
                if (self.inflight.q.val() == 0) & (self.e_slot.q.val() >= self.k_acc_last.val()) {
                    self.rd_fifo.clear.next = true;
                    self.tab_fifo.clear.next = true;
                    self.idx_fifo.clear.next = true;
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

        // ---------------------------------------------------------------- router
        self.head.next = self.rd_fifo.data_out.val();
        self.hdr_u.next = 0.into();
        self.hdr_b.next = 0.into();
        self.hdr_t.next = 0.into();
        self.hdr_x.next = 0.into();
        if self.rt.q.val() == RouteState::RecHdr {
            self.hdr_u.next = bit_cast::<9, 8>(self.head.val().get_bits::<8>(0)) + 1;
            self.hdr_b.next = self.head.val().get_bits::<8>(8);
            self.hdr_t.next = (bit_cast::<32, 9>(self.hdr_u.val()) + 17) >> 4;
            if self.wide.q.val() {
                self.hdr_t.next = ((bit_cast::<32, 9>(self.hdr_u.val()) << 1) + 17) >> 4;
            }
            self.hdr_x.next =
                ((self.cur_nout.val() * bit_cast::<16, 8>(self.hdr_b.val())) + 127) >> 7;
        }
        self.tab_fifo.push.next = false;
        self.tab_fifo.data_in.next = self.head.val();
        self.idx_fifo.push.next = false;
        self.idx_fifo.data_in.next = self.head.val();
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
            RouteState::Desc => {
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
                        self.rt.d.next = RouteState::Idle;
                        self.rt_cnt.d.next = 0.into();
                    }
                }
            }
            RouteState::StateH => {
                if !self.rd_fifo.empty.val() {
                    self.rt_pop.next = true;
                    self.hbuf.write_enable.next = true;
                    self.hbuf.write_address.next = self.rt_cnt.q.val().get_bits::<5>(0);
                    self.hbuf.write_data.next = self.head.val();
                    self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
                    if bit_cast::<32, 16>(self.rt_cnt.q.val()) + 1 == self.vw8_h.val() {
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
                if !self.rd_fifo.empty.val() {
                    self.rt_pop.next = true;
                    self.cbuf.write_enable.next = true;
                    self.cbuf.write_address.next = self.rt_cnt.q.val().get_bits::<7>(0);
                    self.cbuf.write_data.next = self.head.val();
                    self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
                    if bit_cast::<32, 16>(self.rt_cnt.q.val()) + 1 == self.vw32_h.val() {
                        self.rt_cnt.d.next = 0.into();
                        self.rt.d.next = RouteState::X;
                    }
                }
            }
            RouteState::X => {
                if !self.rd_fifo.empty.val() {
                    self.rt_pop.next = true;
                    self.xbuf.write_enable.next = true;
                    self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
                    if bit_cast::<32, 16>(self.rt_cnt.q.val()) + 1 == self.vw8_in.val() {
                        self.rt_cnt.d.next = 0.into();
                        self.rt.d.next = RouteState::RecHdr;
                        self.rt_pass.d.next = false;
                        self.rt_consumed.d.next = 0.into();
                        self.pass_start.next = true;
                    }
                }
            }
            RouteState::RecHdr => {
                if !self.rd_fifo.empty.val() & !self.tab_fifo.count.val().get_bit(5) {
                    if (self.hdr_b.val() > 8)
                        | ((self.head.val().get_bits::<8>(0) >> self.hdr_b.val()) != 0)
                        | (self.rt_consumed.q.val() + self.hdr_t.val() + self.hdr_x.val()
                            > self.cur_words.val())
                    {
                        self.fail.next = true;
                        self.fail_code.next = self.k_err_record.val();
                    } else {
                        self.rt_pop.next = true;
                        self.tab_fifo.push.next = true;
                        self.rt_left.d.next = self.hdr_t.val() - 1;
                        self.rt_xwords.d.next = self.hdr_x.val();
                        self.rt_consumed.d.next =
                            self.rt_consumed.q.val() + self.hdr_t.val() + self.hdr_x.val();
                        if self.hdr_t.val() != 1 {
                            self.rt.d.next = RouteState::RecTable;
                        } else if self.hdr_x.val() != 0 {
                            self.rt.d.next = RouteState::RecIndex;
                            self.rt_left.d.next = self.hdr_x.val();
                        } else {
                            self.col_end.next = true;
                        }
                    }
                }
            }
            RouteState::RecTable => {
                if !self.rd_fifo.empty.val() & !self.tab_fifo.count.val().get_bit(5) {
                    self.rt_pop.next = true;
                    self.tab_fifo.push.next = true;
                    self.rt_left.d.next = self.rt_left.q.val() - 1;
                    if self.rt_left.q.val() == 1 {
                        if self.rt_xwords.q.val() != 0 {
                            self.rt.d.next = RouteState::RecIndex;
                            self.rt_left.d.next = self.rt_xwords.q.val();
                        } else {
                            self.col_end.next = true;
                        }
                    }
                }
            }
            RouteState::RecIndex => {
                if !self.rd_fifo.empty.val() & !self.idx_fifo.count.val().get_bit(6) {
                    self.rt_pop.next = true;
                    self.idx_fifo.push.next = true;
                    self.rt_left.d.next = self.rt_left.q.val() - 1;
                    if self.rt_left.q.val() == 1 {
                        self.col_end.next = true;
                    }
                }
            }
            RouteState::EpiWait => {
                if (self.gcol.q.val() == self.cur_nin.val())
                    & !self.s1_valid.q.val()
                    & (self.rt_pass.q.val() | !self.cell.busy.val())
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
                        self.rt.d.next = RouteState::EpiDrain;
                    }
                }
            }
            RouteState::EpiDrain => {
                if !self.e_busy.val() {
                    if self.rnn.q.val() & !self.rt_pass.q.val() {
                        self.rt_pass.d.next = true;
                        self.rt.d.next = RouteState::RecHdr;
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
                            self.rt.d.next = RouteState::End;
                        } else {
                            self.rt.d.next = RouteState::X;
                        }
                    }
                }
            }
            _ => {}
        }
        if self.col_end.val() {
            self.rt_cnt.d.next = self.rt_cnt.q.val() + 1;
            self.rt.d.next = RouteState::RecHdr;
            if self.rt_cnt.q.val() + 1 == self.cur_nin.val() {
                self.rt.d.next = RouteState::EpiWait;
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
            & ((self.rt.q.val() == RouteState::StateH)
                | (self.rt.q.val() == RouteState::StateC)
                | (self.rt.q.val() == RouteState::X)
                | (self.rt.q.val() == RouteState::RecHdr)
                | (self.rt.q.val() == RouteState::RecTable)
                | (self.rt.q.val() == RouteState::RecIndex)
                | (self.rt.q.val() == RouteState::Epi))
        {
            self.c_stall.d.next = self.c_stall.q.val() + 1;
        }

        // ---------------------------------------------------------------- table unit
        self.xbuf.read_address.next = self.tcol.q.val().get_bits::<7>(4);
        self.hbuf.read_address.next = self.tcol.q.val().get_bits::<5>(4);
        if self.cell.busy.val() {
            self.hbuf.read_address.next = self.cell.h_rd_addr.val();
        }
        self.cbuf.read_address.next = self.cell.c_rd_addr.val();
        self.cell.h_rd_data.next = self.hbuf.read_data.val();
        self.cell.c_rd_data.next = self.cbuf.read_data.val();
        // Table datapath, switching only while the table unit works.
        self.t_head.next = 0.into();
        self.t_chunk.next = 0.into();
        self.t_e0.next = 0.into();
        self.t_e1.next = 0.into();
        self.t_e2.next = 0.into();
        self.t_e3.next = 0.into();
        self.t_m0.next = 0.into();
        self.t_m1.next = 0.into();
        self.t_m2.next = 0.into();
        self.t_m3.next = 0.into();
        self.t_p0.next = 0.into();
        self.t_p1.next = 0.into();
        self.t_p2.next = 0.into();
        self.t_p3.next = 0.into();
        self.t_valid.next = 0.into();
        self.t_nvalid.next = 0.into();
        self.t_base.next = 0.into();
        self.t_x.next = 0.into();
        self.t_xmag.next = 0.into();
        self.t_u.next = 0.into();
        self.t_words.next = 0.into();
        self.pt_addr.next = 0.into();
        self.pt_bank0.next = 0.into();
        self.pt_bank1.next = 0.into();
        if self.tu.q.val() == TableState::Work {
            self.t_head.next = self.tab_fifo.data_out.val();
            self.t_u.next = self.tu_u.q.val();
            if self.tw.q.val() == 0 {
                self.t_u.next = bit_cast::<9, 8>(self.t_head.val().get_bits::<8>(0)) + 1;
            }
            self.t_words.next = bit_cast::<6, 9>((self.t_u.val() + 17) >> 4);
            if self.wide.q.val() {
                self.t_words.next =
                    bit_cast::<6, 10>((bit_cast::<10, 9>(self.t_u.val()) << 1) + 17 >> 4);
            }
            self.t_chunk.next = self
                .t_head
                .val()
                .get_bits::<32>(self.tsub.q.val().index() * 32);
            self.t_x.next = self
                .xbuf
                .read_data
                .val()
                .get_bits::<8>(self.tcol.q.val().get_bits::<4>(0).index() * 8);
            if self.rt_pass.q.val() {
                self.t_x.next = self
                    .hbuf
                    .read_data
                    .val()
                    .get_bits::<8>(self.tcol.q.val().get_bits::<4>(0).index() * 8);
            }
            self.t_xmag.next = bit_cast::<16, 8>(self.t_x.val());
            if self.t_x.val().get_bit(7) {
                // |x| = 256 - x for a negative 8-bit x, computed at 16 bits: `0 - x` on the
                // 8-bit value wraps at 8 bits in rust-hdl but at 32 in the generated Verilog.
                self.t_xmag.next = 256 - bit_cast::<16, 8>(self.t_x.val());
            }
            if self.wide.q.val() {
                self.t_base.next = (bit_cast::<10, 6>(self.tw.q.val()) << 3)
                    + (bit_cast::<10, 2>(self.tsub.q.val()) << 1);
                self.t_e0.next = self.t_chunk.val().get_bits::<16>(0);
                self.t_e1.next = self.t_chunk.val().get_bits::<16>(16);
                self.t_e2.next = 0.into();
                self.t_e3.next = 0.into();
                self.t_valid.next = 0.into();
                if (self.t_base.val() >= 1)
                    & (self.t_base.val() < bit_cast::<10, 9>(self.t_u.val()) + 1)
                {
                    self.t_valid.next = 1.into();
                }
                if self.t_base.val() < bit_cast::<10, 9>(self.t_u.val()) {
                    self.t_valid.next = 3.into();
                }
            } else {
                self.t_base.next = (bit_cast::<10, 6>(self.tw.q.val()) << 4)
                    + (bit_cast::<10, 2>(self.tsub.q.val()) << 2);
                self.t_e0.next = bit_cast::<16, 8>(self.t_chunk.val().get_bits::<8>(0));
                if self.t_chunk.val().get_bit(7) {
                    self.t_e0.next =
                        bit_cast::<16, 8>(self.t_chunk.val().get_bits::<8>(0)) | 0xFF00;
                }
                self.t_e1.next = bit_cast::<16, 8>(self.t_chunk.val().get_bits::<8>(8));
                if self.t_chunk.val().get_bit(15) {
                    self.t_e1.next =
                        bit_cast::<16, 8>(self.t_chunk.val().get_bits::<8>(8)) | 0xFF00;
                }
                self.t_e2.next = bit_cast::<16, 8>(self.t_chunk.val().get_bits::<8>(16));
                if self.t_chunk.val().get_bit(23) {
                    self.t_e2.next =
                        bit_cast::<16, 8>(self.t_chunk.val().get_bits::<8>(16)) | 0xFF00;
                }
                self.t_e3.next = bit_cast::<16, 8>(self.t_chunk.val().get_bits::<8>(24));
                if self.t_chunk.val().get_bit(31) {
                    self.t_e3.next =
                        bit_cast::<16, 8>(self.t_chunk.val().get_bits::<8>(24)) | 0xFF00;
                }
                // Entry bytes sit at positions 2..u+2 of the table part.
                self.t_valid.next = 0.into();
                if (self.t_base.val() >= 2)
                    & (self.t_base.val() < bit_cast::<10, 9>(self.t_u.val()) + 2)
                {
                    self.t_valid.next = 1.into();
                }
                if (self.t_base.val() + 1 >= 2)
                    & (self.t_base.val() + 1 < bit_cast::<10, 9>(self.t_u.val()) + 2)
                {
                    self.t_valid.next = self.t_valid.val() | 2;
                }
                if self.t_base.val() + 2 < bit_cast::<10, 9>(self.t_u.val()) + 2 {
                    self.t_valid.next = self.t_valid.val() | 4;
                }
                if self.t_base.val() + 3 < bit_cast::<10, 9>(self.t_u.val()) + 2 {
                    self.t_valid.next = self.t_valid.val() | 8;
                }
            }
            self.t_m0.next = self.t_e0.val();
            if self.t_e0.val().get_bit(15) {
                self.t_m0.next = 0 - self.t_e0.val();
            }
            self.t_m1.next = self.t_e1.val();
            if self.t_e1.val().get_bit(15) {
                self.t_m1.next = 0 - self.t_e1.val();
            }
            self.t_m2.next = self.t_e2.val();
            if self.t_e2.val().get_bit(15) {
                self.t_m2.next = 0 - self.t_e2.val();
            }
            self.t_m3.next = self.t_e3.val();
            if self.t_e3.val().get_bit(15) {
                self.t_m3.next = 0 - self.t_e3.val();
            }
            self.t_p0.next = self.t_xmag.val() * self.t_m0.val();
            if self.t_x.val().get_bit(7) ^ self.t_e0.val().get_bit(15) {
                self.t_p0.next = 0 - (self.t_xmag.val() * self.t_m0.val());
            }
            self.t_p1.next = self.t_xmag.val() * self.t_m1.val();
            if self.t_x.val().get_bit(7) ^ self.t_e1.val().get_bit(15) {
                self.t_p1.next = 0 - (self.t_xmag.val() * self.t_m1.val());
            }
            self.t_p2.next = self.t_xmag.val() * self.t_m2.val();
            if self.t_x.val().get_bit(7) ^ self.t_e2.val().get_bit(15) {
                self.t_p2.next = 0 - (self.t_xmag.val() * self.t_m2.val());
            }
            self.t_p3.next = self.t_xmag.val() * self.t_m3.val();
            if self.t_x.val().get_bit(7) ^ self.t_e3.val().get_bit(15) {
                self.t_p3.next = 0 - (self.t_xmag.val() * self.t_m3.val());
            }
            self.t_nvalid.next = bit_cast::<32, 1>(self.t_valid.val().get_bits::<1>(0))
                + bit_cast::<32, 1>(self.t_valid.val().get_bits::<1>(1))
                + bit_cast::<32, 1>(self.t_valid.val().get_bits::<1>(2))
                + bit_cast::<32, 1>(self.t_valid.val().get_bits::<1>(3));
            self.pt_addr.next =
                (bit_cast::<9, 6>(self.tw.q.val()) << 2) | bit_cast::<9, 2>(self.tsub.q.val());
            if self.tcol.q.val().get_bit(0) {
                self.pt_addr.next = self.pt_addr.val() | 256;
            }
            self.pt_bank0.next = (bit_cast::<32, 16>(bit_cast::<16, 32>(self.t_p1.val())) << 16)
                | bit_cast::<32, 16>(bit_cast::<16, 32>(self.t_p0.val()));
            self.pt_bank1.next = (bit_cast::<32, 16>(bit_cast::<16, 32>(self.t_p3.val())) << 16)
                | bit_cast::<32, 16>(bit_cast::<16, 32>(self.t_p2.val()));
            if self.wide.q.val() {
                self.pt_bank0.next = self.t_p0.val();
                self.pt_bank1.next = self.t_p1.val();
            }
        }
        self.t_can_start.next = self.running.val()
            & ((self.rt.q.val() == RouteState::RecHdr)
                | (self.rt.q.val() == RouteState::RecTable)
                | (self.rt.q.val() == RouteState::RecIndex)
                | (self.rt.q.val() == RouteState::EpiWait))
            & (self.tcol.q.val() < self.cur_nin.val())
            & (self.tcol.q.val() <= self.gcol.q.val() + 1);
        self.tab_fifo.pop.next = false;
        for l in 0..L {
            self.lanes[l].pt_wr_en.next = false;
            self.lanes[l].pt_wr_addr.next = self.pt_addr.val();
            self.lanes[l].pt_wr_bank0.next = self.pt_bank0.val();
            self.lanes[l].pt_wr_bank1.next = self.pt_bank1.val();
            self.lanes[l].wide.next = self.wide.q.val();
        }
        match self.tu.q.val() {
            TableState::Start => {
                if self.t_can_start.val() {
                    self.tu.d.next = TableState::Work;
                }
            }
            TableState::Work => {
                if !self.tab_fifo.empty.val() {
                    for l in 0..L {
                        self.lanes[l].pt_wr_en.next = true;
                    }
                    self.c_mults.d.next = self.c_mults.q.val() + self.t_nvalid.val();
                    if (self.tw.q.val() == 0) & (self.tsub.q.val() == 0) {
                        self.tu_u.d.next = self.t_u.val();
                        if self.tcol.q.val().get_bit(0) {
                            self.tb1.d.next = self.t_head.val().get_bits::<4>(8);
                        } else {
                            self.tb0.d.next = self.t_head.val().get_bits::<4>(8);
                        }
                    }
                    self.tsub.d.next = self.tsub.q.val() + 1;
                    if self.tsub.q.val() == 3 {
                        self.tab_fifo.pop.next = true;
                        self.tw.d.next = self.tw.q.val() + 1;
                        if self.tw.q.val() + 1 == self.t_words.val() {
                            self.tw.d.next = 0.into();
                            self.tcol.d.next = self.tcol.q.val() + 1;
                            self.tu.d.next = TableState::Start;
                        }
                    }
                }
            }
        }

        // ---------------------------------------------------------------- unpacker + gather
        self.gb.next = self.tb0.q.val();
        if self.gcol.q.val().get_bit(0) {
            self.gb.next = self.tb1.q.val();
        }
        match self.gb.val().index() {
            0 => {
                self.gmask.next = 0x00.into();
            }
            1 => {
                self.gmask.next = 0x01.into();
            }
            2 => {
                self.gmask.next = 0x03.into();
            }
            3 => {
                self.gmask.next = 0x07.into();
            }
            4 => {
                self.gmask.next = 0x0F.into();
            }
            5 => {
                self.gmask.next = 0x1F.into();
            }
            6 => {
                self.gmask.next = 0x3F.into();
            }
            7 => {
                self.gmask.next = 0x7F.into();
            }
            _ => {
                self.gmask.next = 0xFF.into();
            }
        }
        self.g_left.next = self.cur_nout.val() - self.gdone.q.val();
        self.n_valid.next = self.g_left.val();
        self.last_chunk.next = true;
        if self.g_left.val() > self.k_lanes.val() {
            self.n_valid.next = self.k_lanes.val();
            self.last_chunk.next = false;
        }
        self.need_words.next = bit_cast::<16, 32>(
            (bit_cast::<32, 8>(self.goff.q.val())
                + (self.n_valid.val() * bit_cast::<16, 4>(self.gb.val()))
                + 127)
                >> 7,
        );
        self.off_next.next = bit_cast::<16, 32>(
            bit_cast::<32, 8>(self.goff.q.val())
                + (self.k_lanes.val() * bit_cast::<16, 4>(self.gb.val())),
        );
        self.emit.next = self.running.val()
            & ((self.rt.q.val() == RouteState::RecHdr)
                | (self.rt.q.val() == RouteState::RecTable)
                | (self.rt.q.val() == RouteState::RecIndex)
                | (self.rt.q.val() == RouteState::EpiWait))
            & (self.gcol.q.val() < self.cur_nin.val())
            & (self.tcol.q.val() > self.gcol.q.val())
            & (self.need_words.val() <= bit_cast::<16, 2>(self.nw.q.val()))
            & !((self.cur_nout.val() <= self.k_lanes.val()) & self.s1_valid.q.val());
        self.consumed.next = 0.into();
        if self.emit.val() {
            if self.last_chunk.val() {
                self.consumed.next = self.need_words.val().get_bits::<2>(0);
            } else if self.off_next.val() >= 128 {
                self.consumed.next = 1.into();
            }
        }
        self.kept.next = self.nw.q.val() - self.consumed.val();
        self.load.next = self.running.val() & !self.idx_fifo.empty.val() & (self.kept.val() < 2);
        self.idx_fifo.pop.next = self.load.val();
        if self.consumed.val() == 1 {
            self.lo.d.next = self.hi.q.val();
        }
        self.nw.d.next = self.kept.val();
        if self.load.val() {
            self.nw.d.next = self.kept.val() + 1;
            if self.kept.val() == 0 {
                self.lo.d.next = self.idx_fifo.data_out.val();
            } else {
                self.hi.d.next = self.idx_fifo.data_out.val();
            }
        }
        self.window.next = 0.into();
        if self.emit.val() {
            self.window.next = bit_cast::<256, 128>(self.lo.q.val())
                | (bit_cast::<256, 128>(self.hi.q.val()) << 128);
        }
        for l in 0..L {
            self.lanes[l].s0_valid.next = self.emit.val() & (self.n_valid.val().index() > l);
            self.lanes[l].s0_index.next = 0.into();
            if self.emit.val() {
                self.lanes[l].s0_index.next = self
                    .window
                    .val()
                    .get_bits::<8>(self.goff.q.val().index() + l * self.gb.val().index())
                    & self.gmask.val();
            }
            self.lanes[l].s0_buf.next = self.gcol.q.val().get_bit(0);
        }
        if self.emit.val() {
            self.s1_valid.d.next = true;
            self.s1_slot.d.next = self.gslot.q.val();
            self.c_busy.d.next = self.c_busy.q.val() + 1;
            self.c_adds.d.next = self.c_adds.q.val() + bit_cast::<32, 16>(self.n_valid.val());
            if self.last_chunk.val() {
                self.gcol.d.next = self.gcol.q.val() + 1;
                self.gslot.d.next = 0.into();
                self.gdone.d.next = 0.into();
                self.goff.d.next = 0.into();
            } else {
                self.gslot.d.next = self.gslot.q.val() + 1;
                self.gdone.d.next = self.gdone.q.val() + self.k_lanes.val();
                self.goff.d.next = bit_cast::<8, 16>(self.off_next.val() & 127);
            }
        }
        if !self.running.val() {
            self.nw.d.next = 0.into();
        }
        if self.pass_start.val() {
            self.tcol.d.next = 0.into();
            self.tw.d.next = 0.into();
            self.tsub.d.next = 0.into();
            self.tu.d.next = TableState::Start;
            self.gcol.d.next = 0.into();
            self.gslot.d.next = 0.into();
            self.gdone.d.next = 0.into();
            self.goff.d.next = 0.into();
        }

        // ---------------------------------------------------------------- epilogue
        self.e_acc.next = 0.into();
        for l in 0..L {
            self.lanes[l].acc_rd_addr.next = bit_cast::<ACC_BITS, 16>(self.gslot.q.val());
            if self.rt.q.val() == RouteState::Epi {
                self.lanes[l].acc_rd_addr.next = bit_cast::<ACC_BITS, 16>(self.e_slot.q.val());
            }
            self.lanes[l].acc_wr_addr.next = bit_cast::<ACC_BITS, 16>(self.s1_slot.q.val());
            self.lanes[l].acc_clear.next = false;
            if self.e1_valid.q.val() {
                self.lanes[l].acc_wr_addr.next = bit_cast::<ACC_BITS, 16>(self.e1_slot.q.val());
                self.lanes[l].acc_clear.next = self.e1_lane.q.val().index() == l;
            }
            if self.main.q.val() == MainState::Drain {
                self.lanes[l].acc_wr_addr.next = bit_cast::<ACC_BITS, 16>(self.e_slot.q.val());
                self.lanes[l].acc_clear.next = true;
            }
            if self.e1_lane.q.val().index() == l {
                self.e_acc.next = self.lanes[l].acc_out.val();
            }
        }
        self.e_sum.next = self.e_acc.val() + self.e1_bias.q.val();
        self.e_pack.next = 0.into();
        if self.e1_valid.q.val() {
            self.e_pack.next = self.fc_pack.q.val()
                | (bit_cast::<128, 32>(self.e_sum.val())
                    << (bit_cast::<7, 2>(self.e1_row.q.val()) << 5));
            if self.e1_row.q.val() == 0 {
                self.e_pack.next = bit_cast::<128, 32>(self.e_sum.val());
            }
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
            self.rt.d.next = RouteState::Idle;
            self.iss_left.d.next = 0.into();
            self.e_slot.d.next = 0.into();
        }
    }
}

impl<const L: usize, const ACC_BITS: usize> Engine for CrewEngine<L, ACC_BITS> {
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
