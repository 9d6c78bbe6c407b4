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
    /// The record-length check of the header accepted last cycle (its length t + x and
    /// the words then left in the pass), one cycle behind the header: the 16-bit add and
    /// 32-bit compare behind the header decode would not fit the cycle that routes it. A
    /// record that overruns its pass fails one cycle after its header was taken; the
    /// core is still routing records then (its pass cannot have ended: the overrun
    /// leaves `consumed` past the pass's words), and the failure stops the run.
    len_chk: DFF<Bit>,
    len_tx: DFF<Bits<16>>,
    len_room: DFF<Bits<32>>,
    /// Index words of a record with index width b: ceil(n_out * b / 128), b = 0..=8,
    /// registered from n_out (no multiply in the header check).
    hx1: DFF<Bits<16>>,
    hx2: DFF<Bits<16>>,
    hx3: DFF<Bits<16>>,
    hx4: DFF<Bits<16>>,
    hx5: DFF<Bits<16>>,
    hx6: DFF<Bits<16>>,
    hx7: DFF<Bits<16>>,
    hx8: DFF<Bits<16>>,
    // Unpacker and gather.
    gcol: DFF<Bits<16>>,
    gslot: DFF<Bits<16>>,
    gdone: DFF<Bits<16>>,
    goff: DFF<Bits<8>>,
    nw: DFF<Bits<2>>,
    lo: DFF<Bits<128>>,
    hi: DFF<Bits<128>>,
    // Per-pass / per-buffer helpers of the emit decision (registered, valid long before
    // a column's first chunk): outputs of a pass's last chunk, n_out <= L, bits of a last
    // chunk per product buffer.
    g_nlast: DFF<Bits<16>>,
    g_small: DFF<Bit>,
    g_lbits0: DFF<Bits<9>>,
    g_lbits1: DFF<Bits<9>>,
    /// The current chunk is its column's last; the column may be gathered (in range and
    /// its table is in the lanes' RAMs). Both computed the cycle before.
    g_last: DFF<Bit>,
    g_colok: DFF<Bit>,
    /// G stage (the cycle after an emit): the window shifted to the chunk's bit offset,
    /// the chunk's index width, valid lanes, product buffer, slot. The lanes' S0.
    gv: DFF<Bit>,
    g_slot: DFF<Bits<16>>,
    x_sh: DFF<Bits<128>>,
    x_gb: DFF<Bits<4>>,
    x_nvalid: DFF<Bits<16>>,
    x_buf: DFF<Bit>,
    /// The lanes' S1 (table word registered, accumulator read) stage: valid, slot.
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
    n32: Signal<Local, Bits<32>>,
    hdr_tx: Signal<Local, Bits<32>>,
    room: Signal<Local, Bits<32>>,
    // Gather helpers.
    gb: Signal<Local, Bits<4>>,
    n_valid: Signal<Local, Bits<16>>,
    g_left: Signal<Local, Bits<16>>,
    nlast: Signal<Local, Bits<16>>,
    fbits: Signal<Local, Bits<9>>,
    cbits: Signal<Local, Bits<9>>,
    total: Signal<Local, Bits<9>>,
    need_words: Signal<Local, Bits<2>>,
    off_next: Signal<Local, Bits<9>>,
    gcol_next: Signal<Local, Bits<16>>,
    ok_stay: Signal<Local, Bit>,
    ok_adv: Signal<Local, Bit>,
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
        // The last chunk's output count is taken mod L with a mask.
        assert!(L.is_power_of_two() && L <= 16);
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
            len_chk: Default::default(),
            len_tx: Default::default(),
            len_room: Default::default(),
            hx1: Default::default(),
            hx2: Default::default(),
            hx3: Default::default(),
            hx4: Default::default(),
            hx5: Default::default(),
            hx6: Default::default(),
            hx7: Default::default(),
            hx8: Default::default(),
            n32: Signal::default(),
            hdr_tx: Signal::default(),
            room: Signal::default(),
            table_unit: Default::default(),
            gcol: Default::default(),
            gslot: Default::default(),
            gdone: Default::default(),
            goff: Default::default(),
            nw: Default::default(),
            lo: Default::default(),
            hi: Default::default(),
            g_nlast: Default::default(),
            g_small: Default::default(),
            g_lbits0: Default::default(),
            g_lbits1: Default::default(),
            g_last: Default::default(),
            g_colok: Default::default(),
            gv: Default::default(),
            g_slot: Default::default(),
            x_sh: Default::default(),
            x_gb: Default::default(),
            x_nvalid: Default::default(),
            x_buf: Default::default(),
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
            n_valid: Signal::default(),
            g_left: Signal::default(),
            nlast: Signal::default(),
            fbits: Signal::default(),
            cbits: Signal::default(),
            total: Signal::default(),
            gcol_next: Signal::default(),
            ok_stay: Signal::default(),
            ok_adv: Signal::default(),
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
            len_chk,
            len_tx,
            len_room,
            hx1,
            hx2,
            hx3,
            hx4,
            hx5,
            hx6,
            hx7,
            hx8,
            gcol,
            gslot,
            gdone,
            goff,
            nw,
            lo,
            hi,
            g_nlast,
            g_small,
            g_lbits0,
            g_lbits1,
            g_last,
            g_colok,
            gv,
            g_slot,
            x_sh,
            x_gb,
            x_nvalid,
            x_buf,
            s1_valid,
            s1_slot,
            s2_valid,
            s2_slot
        );
        clock!(self, clock, table_unit, tab_fifo, idx_fifo);
        for l in 0..L {
            self.lanes[l].clock.next = self.clock.val();
        }
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
        // ceil(n_out * b / 128) for every b (n_out is fixed for the pass, long before its
        // first record header arrives).
        self.n32.next = bit_cast::<32, 16>(self.core.n_out.val());
        self.hx1.d.next = bit_cast::<16, 32>((self.n32.val() + 127) >> 7);
        self.hx2.d.next = bit_cast::<16, 32>(((self.n32.val() << 1) + 127) >> 7);
        self.hx3.d.next = bit_cast::<16, 32>(((self.n32.val() << 1) + self.n32.val() + 127) >> 7);
        self.hx4.d.next = bit_cast::<16, 32>(((self.n32.val() << 2) + 127) >> 7);
        self.hx5.d.next = bit_cast::<16, 32>(((self.n32.val() << 2) + self.n32.val() + 127) >> 7);
        self.hx6.d.next =
            bit_cast::<16, 32>(((self.n32.val() << 2) + (self.n32.val() << 1) + 127) >> 7);
        self.hx7.d.next = bit_cast::<16, 32>(((self.n32.val() << 3) - self.n32.val() + 127) >> 7);
        self.hx8.d.next = bit_cast::<16, 32>(((self.n32.val() << 3) + 127) >> 7);
        if self.core.records.val() & (self.rec.q.val() == RecordState::Header) {
            self.hdr_u.next = bit_cast::<9, 8>(self.head.val().get_bits::<8>(0)) + 1;
            self.hdr_b.next = self.head.val().get_bits::<8>(8);
            // Table words (u + 17) >> 4, or (2u + 17) >> 4 for int16 entries, with
            // u = byte + 1 folded into one carry chain.
            self.hdr_t.next = (bit_cast::<32, 8>(self.head.val().get_bits::<8>(0)) + 18) >> 4;
            if self.core.wide.val() {
                self.hdr_t.next =
                    ((bit_cast::<32, 8>(self.head.val().get_bits::<8>(0)) << 1) + 19) >> 4;
            }
            // b > 8 fails the check, its hdr_x does not matter.
            match self.hdr_b.val().get_bits::<4>(0).index() {
                0 => {
                    self.hdr_x.next = 0.into();
                }
                1 => {
                    self.hdr_x.next = bit_cast::<32, 16>(self.hx1.q.val());
                }
                2 => {
                    self.hdr_x.next = bit_cast::<32, 16>(self.hx2.q.val());
                }
                3 => {
                    self.hdr_x.next = bit_cast::<32, 16>(self.hx3.q.val());
                }
                4 => {
                    self.hdr_x.next = bit_cast::<32, 16>(self.hx4.q.val());
                }
                5 => {
                    self.hdr_x.next = bit_cast::<32, 16>(self.hx5.q.val());
                }
                6 => {
                    self.hdr_x.next = bit_cast::<32, 16>(self.hx6.q.val());
                }
                7 => {
                    self.hdr_x.next = bit_cast::<32, 16>(self.hx7.q.val());
                }
                _ => {
                    self.hdr_x.next = bit_cast::<32, 16>(self.hx8.q.val());
                }
            }
        }
        // Record length vs the words left in the pass, without a carry chain behind the
        // header decode: room is computed from registers in parallel.
        // t <= 33 and x <= 4096: a 16-bit add.
        self.hdr_tx.next = bit_cast::<32, 16>(
            bit_cast::<16, 32>(self.hdr_t.val()) + bit_cast::<16, 32>(self.hdr_x.val()),
        );
        self.room.next = self.core.pass_words.val() - self.rec_consumed.q.val();
        self.tab_fifo.push.next = false;
        self.tab_fifo.data_in.next = self.head.val();
        self.idx_fifo.push.next = false;
        self.idx_fifo.data_in.next = self.head.val();
        self.len_chk.d.next = false;
        if self.core.records.val()
            & self.len_chk.q.val()
            & (bit_cast::<32, 16>(self.len_tx.q.val()) > self.len_room.q.val())
        {
            self.fail_v.next = true;
        }
        if self.core.records.val() {
            match self.rec.q.val() {
                RecordState::Header => {
                    if self.core.word_valid.val() & !self.tab_fifo.count.val().get_bit(5) {
                        if (self.hdr_b.val() > 8)
                            | ((self.head.val().get_bits::<8>(0) >> self.hdr_b.val()) != 0)
                            | (self.rec_consumed.q.val() > self.core.pass_words.val())
                        {
                            self.fail_v.next = true;
                        } else {
                            self.len_chk.d.next = true;
                            self.len_tx.d.next = bit_cast::<16, 32>(self.hdr_tx.val());
                            self.len_room.d.next = self.room.val();
                            self.word_pop_v.next = true;
                            self.tab_fifo.push.next = true;
                            self.rec_left.d.next = self.hdr_t.val() - 1;
                            self.rec_xwords.d.next = self.hdr_x.val();
                            self.rec_consumed.d.next =
                                self.rec_consumed.q.val() + self.hdr_tx.val();
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
        self.core.consumed.next = self.rec_consumed.q.val();

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
        // Emit decision (cycle e) from registers only: the chunk's bits come from
        // registered per-buffer products (no multiply in the decision), `g_last` and
        // `g_colok` were computed the cycle before for both outcomes of e-1.
        self.gb.next = self.table_unit.bits0.val();
        if self.gcol.q.val().get_bit(0) {
            self.gb.next = self.table_unit.bits1.val();
        }
        // Outputs of the last chunk of a column: ((n_out - 1) mod L) + 1 (0 if n_out = 0).
        self.nlast.next = ((self.core.n_out.val() - 1) & (self.k_lanes.val() - 1)) + 1;
        if self.core.n_out.val() == 0 {
            self.nlast.next = 0.into();
        }
        self.g_nlast.d.next = self.nlast.val();
        self.g_small.d.next = self.core.n_out.val() <= self.k_lanes.val();
        // Bits of a last chunk, from the registered nlast (n_out is set at the pass start,
        // many cycles before the first chunk, so the extra cycle is never seen).
        self.g_lbits0.d.next = bit_cast::<9, 32>(
            self.g_nlast.q.val() * bit_cast::<16, 4>(self.table_unit.bits0.val()),
        );
        self.g_lbits1.d.next = bit_cast::<9, 32>(
            self.g_nlast.q.val() * bit_cast::<16, 4>(self.table_unit.bits1.val()),
        );
        self.last_chunk.next = self.g_last.q.val();
        self.n_valid.next = self.k_lanes.val();
        self.fbits.next = bit_cast::<9, 32>(self.k_lanes.val() * bit_cast::<16, 4>(self.gb.val()));
        self.cbits.next = self.fbits.val();
        if self.last_chunk.val() {
            self.n_valid.next = self.g_nlast.q.val();
            self.cbits.next = self.g_lbits0.q.val();
            if self.gcol.q.val().get_bit(0) {
                self.cbits.next = self.g_lbits1.q.val();
            }
        }
        // Words the chunk spans: ceil((goff + bits) / 128), at most 2.
        self.total.next = bit_cast::<9, 8>(self.goff.q.val()) + self.cbits.val();
        self.need_words.next = 1.into();
        if self.total.val() == 0 {
            self.need_words.next = 0.into();
        }
        if self.total.val() > 128 {
            self.need_words.next = 2.into();
        }
        self.off_next.next = bit_cast::<9, 8>(self.goff.q.val()) + self.fbits.val();
        self.emit.next = self.core.running.val()
            & (self.core.records.val() | self.core.epi_wait.val())
            & self.g_colok.q.val()
            & (self.need_words.val() <= self.nw.q.val())
            & !(self.g_small.q.val() & self.gv.q.val());
        self.consumed.next = 0.into();
        if self.emit.val() {
            if self.last_chunk.val() {
                self.consumed.next = self.need_words.val();
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
        // Next cycle's g_last: outputs left after this cycle <= L. While a column's
        // chunks advance, left drops by L (left > L here); a column end restarts at n_out.
        self.g_left.next = self.core.n_out.val() - self.gdone.q.val();
        self.g_last.d.next = self.g_left.val() <= self.k_lanes.val();
        // Next cycle's g_colok, for the column after this cycle (gcol + 1 after a last
        // chunk): in the pass and ready (all its products written, see `table_unit.rs`).
        self.gcol_next.next = self.gcol.q.val() + 1;
        self.ok_stay.next = (self.gcol.q.val() < self.core.n_in.val())
            & (self.table_unit.ready_col.val() > self.gcol.q.val());
        self.ok_adv.next = (self.gcol_next.val() < self.core.n_in.val())
            & (self.table_unit.ready_col.val() > self.gcol_next.val());
        self.g_colok.d.next = self.ok_stay.val();
        // G stage registers: the window shifted to the chunk's offset (the 128:1 barrel
        // shift before the register, the per-lane l * b select after it).
        self.window.next =
            bit_cast::<256, 128>(self.lo.q.val()) | (bit_cast::<256, 128>(self.hi.q.val()) << 128);
        self.x_sh.d.next = self.window.val().get_bits::<128>(self.goff.q.val().index());
        self.x_gb.d.next = self.gb.val();
        self.x_buf.d.next = self.gcol.q.val().get_bit(0);
        self.x_nvalid.d.next = 0.into();
        self.gv.d.next = false;
        if self.emit.val() {
            self.gv.d.next = true;
            self.g_slot.d.next = self.gslot.q.val();
            self.x_nvalid.d.next = self.n_valid.val();
            self.busy_inc_v.next = true;
            self.adds_inc_v.next = bit_cast::<32, 16>(self.n_valid.val());
            if self.last_chunk.val() {
                self.gcol.d.next = self.gcol.q.val() + 1;
                self.gslot.d.next = 0.into();
                self.gdone.d.next = 0.into();
                self.goff.d.next = 0.into();
                self.g_last.d.next = self.g_small.q.val();
                self.g_colok.d.next = self.ok_adv.val();
            } else {
                self.gslot.d.next = self.gslot.q.val() + 1;
                self.gdone.d.next = self.gdone.q.val() + self.k_lanes.val();
                self.goff.d.next = bit_cast::<8, 9>(self.off_next.val() & 127);
                self.g_last.d.next = self.g_left.val() <= (self.k_lanes.val() << 1);
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
            self.g_colok.d.next = false;
        }
        // G stage (the lanes' S0): lane l's index at bit l * b of the shifted window. b is
        // one of nine widths, so each lane selects among nine constant offsets (a 9:1 mux
        // per bit) rather than computing l * b and barrel-shifting by it.
        for l in 0..L {
            self.lanes[l].s0_valid.next = self.x_nvalid.q.val().index() > l;
            self.lanes[l].s0_buf.next = self.x_buf.q.val();
            match self.x_gb.q.val().index() {
                1 => {
                    self.lanes[l].s0_index.next = self.x_sh.q.val().get_bits::<8>(l) & 0x01;
                }
                2 => {
                    self.lanes[l].s0_index.next = self.x_sh.q.val().get_bits::<8>(l * 2) & 0x03;
                }
                3 => {
                    self.lanes[l].s0_index.next = self.x_sh.q.val().get_bits::<8>(l * 3) & 0x07;
                }
                4 => {
                    self.lanes[l].s0_index.next = self.x_sh.q.val().get_bits::<8>(l * 4) & 0x0F;
                }
                5 => {
                    self.lanes[l].s0_index.next = self.x_sh.q.val().get_bits::<8>(l * 5) & 0x1F;
                }
                6 => {
                    self.lanes[l].s0_index.next = self.x_sh.q.val().get_bits::<8>(l * 6) & 0x3F;
                }
                7 => {
                    self.lanes[l].s0_index.next = self.x_sh.q.val().get_bits::<8>(l * 7) & 0x7F;
                }
                8 => {
                    self.lanes[l].s0_index.next = self.x_sh.q.val().get_bits::<8>(l * 8);
                }
                _ => {
                    self.lanes[l].s0_index.next = 0.into();
                }
            }
        }
        self.s1_valid.d.next = self.gv.q.val();
        self.s1_slot.d.next = self.g_slot.q.val();

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
        self.core.drained.next = (self.gcol.q.val() == self.core.n_in.val())
            & !self.gv.q.val()
            & !self.s1_valid.q.val()
            & !self.s2_valid.q.val();
        // Outputs once (see `datapath_port.rs`).
        self.core.word_pop.next = self.word_pop_v.val();
        self.core.fail.next = self.fail_v.val();
        self.core.busy_inc.next = self.busy_inc_v.val();
        self.core.adds_inc.next = self.adds_inc_v.val();
        self.core.acc.next = self.acc_v.val();
    }
}

crate::synth_test!(CrewDatapath::<4, 3>::default());
