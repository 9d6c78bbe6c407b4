//! `CrewDatapath`: the CREW engine's part behind the core's datapath port
//! (`engine::common::datapath_port`):
//! - record router: checks each column record's header, sends its table words to the
//!   table FIFO and its index words to the index FIFO;
//! - table unit: 4 multipliers turn each column's table U_i into products x_i * U_i[k],
//!   written into the L lanes' double-buffered product tables while the lanes still add
//!   the previous column;
//! - unpacker + gather: L indices (0..=8 bits, straddling words) per cycle from a two-word
//!   window; lane l (`gather_lane.rs`) adds P_i[I[o, i]] for o = k*L + l into its
//!   accumulators.

use crate::engine::common::datapath_port::DatapathPort;
use crate::engine::common::word_fifo::WordFifo;
use crate::engine::crew::gather_lane::GatherLane;
use crate::engine::crew::table_unit::TableUnit;
use rust_hdl::prelude::*;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum RecordState {
    Header,
    Table,
    Index,
}

#[derive(LogicBlock)]
pub struct CrewDatapath<const L: usize, const ACC_BITS: usize> {
    /// UI clock; all ports are in this domain.
    pub clock: Signal<In, Clock>,
    /// From the engine core.
    pub core: DatapathPort,
    lanes: [GatherLane<ACC_BITS>; L],
    tab_fifo: WordFifo<Bits<128>, 5, 6>,
    idx_fifo: WordFifo<Bits<128>, 6, 7>,
    k_lanes: Constant<Bits<16>>,
    // Record router.
    rec: DFF<RecordState>,
    rec_left: DFF<Bits<32>>,
    rec_xwords: DFF<Bits<32>>,
    rec_consumed: DFF<Bits<32>>,
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
    /// The lanes' S2 (accumulate) stage: valid, slot.
    s2_valid: DFF<Bit>,
    s2_slot: DFF<Bits<16>>,

    table_unit: TableUnit,
    // Record router helpers.
    head: Signal<Local, Bits<128>>,
    hdr_u: Signal<Local, Bits<9>>,
    hdr_b: Signal<Local, Bits<8>>,
    hdr_t: Signal<Local, Bits<32>>,
    hdr_x: Signal<Local, Bits<32>>,
    col_end: Signal<Local, Bit>,
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
    word_pop_v: Signal<Local, Bit>,
    fail_v: Signal<Local, Bit>,
    busy_inc_v: Signal<Local, Bit>,
    adds_inc_v: Signal<Local, Bits<32>>,
    acc_v: Signal<Local, Bits<32>>,
}

impl<const L: usize, const ACC_BITS: usize> Default for CrewDatapath<L, ACC_BITS> {
    fn default() -> Self {
        CrewDatapath {
            clock: Default::default(),
            core: Default::default(),
            lanes: array_init::array_init(|_| GatherLane::default()),
            tab_fifo: Default::default(),
            idx_fifo: Default::default(),
            k_lanes: Constant::new((L as u32).to_bits()),
            rec: Default::default(),
            rec_left: Default::default(),
            rec_xwords: Default::default(),
            rec_consumed: Default::default(),
            table_unit: Default::default(),
            gcol: Default::default(),
            gslot: Default::default(),
            gdone: Default::default(),
            goff: Default::default(),
            nw: Default::default(),
            lo: Default::default(),
            hi: Default::default(),
            s1_valid: Default::default(),
            s1_slot: Default::default(),
            s2_valid: Default::default(),
            s2_slot: Default::default(),
            head: Signal::default(),
            hdr_u: Signal::default(),
            hdr_b: Signal::default(),
            hdr_t: Signal::default(),
            hdr_x: Signal::default(),
            col_end: Signal::default(),
            gb: Signal::default(),
            gmask: Signal::default(),
            n_valid: Signal::default(),
            g_left: Signal::default(),
            need_words: Signal::default(),
            off_next: Signal::default(),
            last_chunk: Signal::default(),
            emit: Signal::default(),
            consumed: Signal::default(),
            kept: Signal::default(),
            load: Signal::default(),
            window: Signal::default(),
            word_pop_v: Default::default(),
            fail_v: Default::default(),
            busy_inc_v: Default::default(),
            adds_inc_v: Default::default(),
            acc_v: Default::default(),
        }
    }
}

impl<const L: usize, const ACC_BITS: usize> Logic for CrewDatapath<L, ACC_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            rec,
            rec_left,
            rec_xwords,
            rec_consumed,
            gcol,
            gslot,
            gdone,
            goff,
            nw,
            lo,
            hi,
            s1_valid,
            s1_slot,
            s2_valid,
            s2_slot
        );
        clock!(self, clock, table_unit, tab_fifo, idx_fifo);
        for l in 0..L {
            self.lanes[l].clock.next = self.clock.val();
        }
        self.s1_valid.d.next = false;
        self.s2_valid.d.next = self.s1_valid.q.val();
        self.s2_slot.d.next = self.s1_slot.q.val();
        self.busy_inc_v.next = false;
        self.adds_inc_v.next = 0.into();
        self.tab_fifo.clear.next = self.core.flush.val();
        self.idx_fifo.clear.next = self.core.flush.val();

        // ---------------------------------------------------------------- record router
        self.head.next = self.core.word.val();
        self.word_pop_v.next = false;
        self.fail_v.next = false;
        self.core.wants_word.next = true;
        self.col_end.next = false;
        self.hdr_u.next = 0.into();
        self.hdr_b.next = 0.into();
        self.hdr_t.next = 0.into();
        self.hdr_x.next = 0.into();
        if self.core.records.val() & (self.rec.q.val() == RecordState::Header) {
            self.hdr_u.next = bit_cast::<9, 8>(self.head.val().get_bits::<8>(0)) + 1;
            self.hdr_b.next = self.head.val().get_bits::<8>(8);
            self.hdr_t.next = (bit_cast::<32, 9>(self.hdr_u.val()) + 17) >> 4;
            if self.core.wide.val() {
                self.hdr_t.next = ((bit_cast::<32, 9>(self.hdr_u.val()) << 1) + 17) >> 4;
            }
            self.hdr_x.next =
                ((self.core.n_out.val() * bit_cast::<16, 8>(self.hdr_b.val())) + 127) >> 7;
        }
        self.tab_fifo.push.next = false;
        self.tab_fifo.data_in.next = self.head.val();
        self.idx_fifo.push.next = false;
        self.idx_fifo.data_in.next = self.head.val();
        if self.core.records.val() {
            match self.rec.q.val() {
                RecordState::Header => {
                    if self.core.word_valid.val() & !self.tab_fifo.count.val().get_bit(5) {
                        if (self.hdr_b.val() > 8)
                            | ((self.head.val().get_bits::<8>(0) >> self.hdr_b.val()) != 0)
                            | (self.rec_consumed.q.val() + self.hdr_t.val() + self.hdr_x.val()
                                > self.core.pass_words.val())
                        {
                            self.fail_v.next = true;
                        } else {
                            self.word_pop_v.next = true;
                            self.tab_fifo.push.next = true;
                            self.rec_left.d.next = self.hdr_t.val() - 1;
                            self.rec_xwords.d.next = self.hdr_x.val();
                            self.rec_consumed.d.next =
                                self.rec_consumed.q.val() + self.hdr_t.val() + self.hdr_x.val();
                            if self.hdr_t.val() != 1 {
                                self.rec.d.next = RecordState::Table;
                            } else if self.hdr_x.val() != 0 {
                                self.rec.d.next = RecordState::Index;
                                self.rec_left.d.next = self.hdr_x.val();
                            } else {
                                self.col_end.next = true;
                            }
                        }
                    }
                }
                RecordState::Table => {
                    if self.core.word_valid.val() & !self.tab_fifo.count.val().get_bit(5) {
                        self.word_pop_v.next = true;
                        self.tab_fifo.push.next = true;
                        self.rec_left.d.next = self.rec_left.q.val() - 1;
                        if self.rec_left.q.val() == 1 {
                            if self.rec_xwords.q.val() != 0 {
                                self.rec.d.next = RecordState::Index;
                                self.rec_left.d.next = self.rec_xwords.q.val();
                            } else {
                                self.col_end.next = true;
                            }
                        }
                    }
                }
                RecordState::Index => {
                    if self.core.word_valid.val() & !self.idx_fifo.count.val().get_bit(6) {
                        self.word_pop_v.next = true;
                        self.idx_fifo.push.next = true;
                        self.rec_left.d.next = self.rec_left.q.val() - 1;
                        if self.rec_left.q.val() == 1 {
                            self.col_end.next = true;
                        }
                    }
                }
            }
        }
        if self.col_end.val() {
            self.rec.d.next = RecordState::Header;
        }
        if self.core.pass_start.val() {
            self.rec.d.next = RecordState::Header;
            self.rec_consumed.d.next = 0.into();
        }
        self.core.col_end.next = self.col_end.val();
        self.core.consumed.next = self.rec_consumed.d.val();

        // ---------------------------------------------------------------- table unit
        // x_i (h_i in pass 1) of the column being tabulated.
        self.core.x_col.next = self.table_unit.col.val();
        self.core.x_sel.next = self.table_unit.col.val().get_bits::<4>(0);
        self.table_unit.x_byte.next = self.core.x_byte.val();
        self.table_unit.fifo_word.next = self.tab_fifo.data_out.val();
        self.table_unit.fifo_empty.next = self.tab_fifo.empty.val();
        self.tab_fifo.pop.next = self.table_unit.fifo_pop.val();
        self.table_unit.active.next =
            self.core.running.val() & (self.core.records.val() | self.core.epi_wait.val());
        self.table_unit.n_in.next = self.core.n_in.val();
        self.table_unit.gcol.next = self.gcol.q.val();
        self.table_unit.wide.next = self.core.wide.val();
        self.table_unit.pass_start.next = self.core.pass_start.val();
        self.core.mults_inc.next = self.table_unit.mults.val();
        for l in 0..L {
            self.lanes[l].pt_wr_en.next = self.table_unit.pt_wr_en.val();
            self.lanes[l].pt_wr_addr.next = self.table_unit.pt_wr_addr.val();
            self.lanes[l].pt_wr_bank0.next = self.table_unit.pt_bank0.val();
            self.lanes[l].pt_wr_bank1.next = self.table_unit.pt_bank1.val();
            self.lanes[l].wide.next = self.core.wide.val();
        }

        // ---------------------------------------------------------------- unpacker + gather
        self.gb.next = self.table_unit.bits0.val();
        if self.gcol.q.val().get_bit(0) {
            self.gb.next = self.table_unit.bits1.val();
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
        self.g_left.next = self.core.n_out.val() - self.gdone.q.val();
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
        self.emit.next = self.core.running.val()
            & (self.core.records.val() | self.core.epi_wait.val())
            & (self.gcol.q.val() < self.core.n_in.val())
            & (self.table_unit.ready_col.val() > self.gcol.q.val())
            & (self.need_words.val() <= bit_cast::<16, 2>(self.nw.q.val()))
            & !((self.core.n_out.val() <= self.k_lanes.val()) & self.s1_valid.q.val());
        self.consumed.next = 0.into();
        if self.emit.val() {
            if self.last_chunk.val() {
                self.consumed.next = self.need_words.val().get_bits::<2>(0);
            } else if self.off_next.val() >= 128 {
                self.consumed.next = 1.into();
            }
        }
        self.kept.next = self.nw.q.val() - self.consumed.val();
        self.load.next =
            self.core.running.val() & !self.idx_fifo.empty.val() & (self.kept.val() < 2);
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
            self.busy_inc_v.next = true;
            self.adds_inc_v.next = bit_cast::<32, 16>(self.n_valid.val());
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
        if !self.core.running.val() {
            self.nw.d.next = 0.into();
        }
        if self.core.pass_start.val() {
            self.gcol.d.next = 0.into();
            self.gslot.d.next = 0.into();
            self.gdone.d.next = 0.into();
            self.goff.d.next = 0.into();
        }

        // ---------------------------------------------------------------- accumulators
        self.acc_v.next = 0.into();
        for l in 0..L {
            // The lanes read the accumulator in S1 and write it back in S2.
            self.lanes[l].acc_rd_addr.next = bit_cast::<ACC_BITS, 16>(self.s1_slot.q.val());
            if self.core.epi_read.val() {
                self.lanes[l].acc_rd_addr.next = bit_cast::<ACC_BITS, 16>(self.core.epi_slot.val());
            }
            self.lanes[l].acc_wr_addr.next = bit_cast::<ACC_BITS, 16>(self.s2_slot.q.val());
            self.lanes[l].acc_clear.next = false;
            if self.core.clear.val() {
                self.lanes[l].acc_wr_addr.next =
                    bit_cast::<ACC_BITS, 16>(self.core.clear_slot.val());
                self.lanes[l].acc_clear.next = self.core.clear_lane.val().index() == l;
            }
            if self.core.drain.val() {
                self.lanes[l].acc_wr_addr.next = bit_cast::<ACC_BITS, 16>(self.core.epi_slot.val());
                self.lanes[l].acc_clear.next = true;
            }
            if self.core.clear_lane.val().index() == l {
                self.acc_v.next = self.lanes[l].acc_out.val();
            }
        }
        self.core.drained.next =
            (self.gcol.q.val() == self.core.n_in.val()) & !self.s1_valid.q.val() & !self.s2_valid.q.val();
        // Outputs once (see `datapath_port.rs`).
        self.core.word_pop.next = self.word_pop_v.val();
        self.core.fail.next = self.fail_v.val();
        self.core.busy_inc.next = self.busy_inc_v.val();
        self.core.adds_inc.next = self.adds_inc_v.val();
        self.core.acc.next = self.acc_v.val();
    }
}

crate::synth_test!(CrewDatapath::<4, 3>::default());
