//! `DenseDatapath`: the dense baseline engine's part behind the core's datapath port
//! (`engine::common::datapath_port`): the MAC array. Dense column records (layer flag
//! `FLAG_DENSE`: per column the n_out int8 weights, padded to words) come straight from
//! the read FIFO; L lanes (`mac_lane.rs`) do one int8 x int8 multiply-add each per cycle,
//! so a 16-byte weight word (16 outputs of one column) takes 16 / L cycles; lane l owns
//! the outputs o with o mod L == l.

use crate::engine::common::datapath_port::DatapathPort;
use crate::engine::dense::mac_lane::MacLane;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct DenseDatapath<const L: usize, const ACC_BITS: usize> {
    /// UI clock; all ports are in this domain.
    pub clock: Signal<In, Clock>,
    /// From the engine core.
    pub core: DatapathPort,
    // Output values (assigned to the port once, see `datapath_port.rs`).
    word_pop_v: Signal<Local, Bit>,
    fail_v: Signal<Local, Bit>,
    busy_inc_v: Signal<Local, Bit>,
    adds_inc_v: Signal<Local, Bits<32>>,
    mults_inc_v: Signal<Local, Bits<32>>,
    x_col_v: Signal<Local, Bits<16>>,
    acc_v: Signal<Local, Bits<32>>,
    lanes: [MacLane<ACC_BITS>; L],
    k_lanes: Constant<Bits<16>>,
    k_subs: Constant<Bits<5>>,
    k_lane_bits: Constant<Bits<8>>,
    /// The first cycle of a pass only reads the first column's x.
    primed: DFF<Bit>,
    consumed: DFF<Bits<32>>,
    // MAC sequencing: sub-word step (word end), bit offset in the word, first output
    // (column end), slot; a MAC issued.
    m_sub: DFF<Bits<5>>,
    m_word_end: Signal<Local, Bit>,
    m_bit: DFF<Bits<8>>,
    m_obase: DFF<Bits<16>>,
    m_col_end: Signal<Local, Bit>,
    /// This step is its column's last and its valid-output count, computed the cycle
    /// before (for both outcomes of that cycle's issue) so that the lanes' valid bits
    /// come from registers.
    m_cend: DFF<Bit>,
    m_nv: DFF<Bits<16>>,
    m_left: Signal<Local, Bits<16>>,
    m_slot: DFF<Bits<16>>,
    m_issue: Signal<Local, Bit>,
    m1_valid: DFF<Bit>,
    m_nvalid: Signal<Local, Bits<16>>,
    col_end: Signal<Local, Bit>,
}

impl<const L: usize, const ACC_BITS: usize> Default for DenseDatapath<L, ACC_BITS> {
    fn default() -> Self {
        DenseDatapath {
            k_lanes: Constant::new((L as u32).to_bits()),
            k_subs: Constant::new(((16 / L) as u32).to_bits()),
            k_lane_bits: Constant::new(((8 * L) as u32).to_bits()),
            clock: Default::default(),
            core: Default::default(),
            lanes: array_init::array_init(|_| MacLane::default()),
            primed: Default::default(),
            consumed: Default::default(),
            m_sub: Default::default(),
            m_bit: Default::default(),
            m_obase: Default::default(),
            m_slot: Default::default(),
            m1_valid: Default::default(),
            m_issue: Signal::default(),
            m_col_end: Signal::default(),
            m_cend: Default::default(),
            m_nv: Default::default(),
            m_left: Signal::default(),
            m_word_end: Signal::default(),
            m_nvalid: Signal::default(),
            col_end: Signal::default(),
            word_pop_v: Default::default(),
            fail_v: Default::default(),
            busy_inc_v: Default::default(),
            adds_inc_v: Default::default(),
            mults_inc_v: Default::default(),
            x_col_v: Default::default(),
            acc_v: Default::default(),
        }
    }
}

impl<const L: usize, const ACC_BITS: usize> Logic for DenseDatapath<L, ACC_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, primed, consumed, m_sub, m_bit, m_obase, m_slot, m1_valid, m_cend, m_nv
        );
        for l in 0..L {
            self.lanes[l].clock.next = self.clock.val();
        }
        self.m1_valid.d.next = false;
        self.m_issue.next = false;
        self.col_end.next = false;
        self.word_pop_v.next = false;
        self.fail_v.next = false;
        self.busy_inc_v.next = false;
        self.adds_inc_v.next = 0.into();
        self.mults_inc_v.next = 0.into();
        self.core.wants_word.next = self.primed.q.val();

        // MAC step shape: outputs m_obase .. m_obase + L of the current column use this
        // word's bytes at bit m_bit; the word ends after 16 / L steps or at the column's
        // last output.
        self.m_col_end.next = self.m_cend.q.val();
        self.m_word_end.next = (self.m_sub.q.val() + 1 == self.k_subs.val()) | self.m_col_end.val();
        self.m_nvalid.next = self.m_nv.q.val();
        // Next cycle's m_cend / m_nv: outputs left from m_obase (this cycle's, or after
        // this cycle's issue: + L, or 0 after a column end).
        self.m_left.next = self.core.n_out.val() - self.m_obase.q.val();
        self.m_cend.d.next =
            bit_cast::<32, 16>(self.m_left.val()) <= bit_cast::<32, 16>(self.k_lanes.val());
        self.m_nv.d.next = self.k_lanes.val();
        if bit_cast::<32, 16>(self.m_left.val()) <= bit_cast::<32, 16>(self.k_lanes.val()) {
            self.m_nv.d.next = self.m_left.val();
        }
        if self.core.records.val() {
            if !self.primed.q.val() {
                self.primed.d.next = true;
            } else if self.core.word_valid.val() {
                if self.consumed.q.val() >= self.core.pass_words.val() {
                    self.fail_v.next = true;
                } else {
                    self.m_issue.next = true;
                    self.m_sub.d.next = self.m_sub.q.val() + 1;
                    self.m_bit.d.next = self.m_bit.q.val() + self.k_lane_bits.val();
                    self.m_obase.d.next = self.m_obase.q.val() + self.k_lanes.val();
                    self.m_slot.d.next = self.m_slot.q.val() + 1;
                    if self.m_word_end.val() {
                        self.word_pop_v.next = true;
                        self.consumed.d.next = self.consumed.q.val() + 1;
                        self.m_sub.d.next = 0.into();
                        self.m_bit.d.next = 0.into();
                    }
                    // After this step: left - L outputs, or a new column (n_out).
                    self.m_cend.d.next = bit_cast::<32, 16>(self.m_left.val())
                        <= (bit_cast::<32, 16>(self.k_lanes.val()) << 1);
                    self.m_nv.d.next = self.k_lanes.val();
                    if bit_cast::<32, 16>(self.m_left.val())
                        <= (bit_cast::<32, 16>(self.k_lanes.val()) << 1)
                    {
                        self.m_nv.d.next = self.m_left.val() - self.k_lanes.val();
                    }
                    if self.m_col_end.val() {
                        self.m_obase.d.next = 0.into();
                        self.m_slot.d.next = 0.into();
                        self.col_end.next = true;
                        self.m_cend.d.next = bit_cast::<32, 16>(self.core.n_out.val())
                            <= bit_cast::<32, 16>(self.k_lanes.val());
                        self.m_nv.d.next = self.k_lanes.val();
                        if bit_cast::<32, 16>(self.core.n_out.val())
                            <= bit_cast::<32, 16>(self.k_lanes.val())
                        {
                            self.m_nv.d.next = self.core.n_out.val();
                        }
                    }
                }
            }
        }
        self.core.col_end.next = self.col_end.val();

        // x of column `col`, read one cycle ahead (the next column's at a column end).
        self.x_col_v.next = self.core.col.val();
        if self.col_end.val() {
            self.x_col_v.next = self.core.col.val() + 1;
        }
        self.core.x_col.next = self.x_col_v.val();
        self.core.x_sel.next = self.core.col.val().get_bits::<4>(0);
        for l in 0..L {
            self.lanes[l].s0_valid.next = self.m_issue.val() & (self.m_nvalid.val().index() > l);
            self.lanes[l].s0_x.next = self.core.x_byte.val();
            self.lanes[l].s0_w.next = self
                .core
                .word
                .val()
                .get_bits::<8>(self.m_bit.q.val().index() + l * 8);
            self.lanes[l].s0_slot.next = bit_cast::<ACC_BITS, 16>(self.m_slot.q.val());
        }
        if self.m_issue.val() {
            self.m1_valid.d.next = true;
            self.busy_inc_v.next = true;
            self.adds_inc_v.next = bit_cast::<32, 16>(self.m_nvalid.val());
            self.mults_inc_v.next = bit_cast::<32, 16>(self.m_nvalid.val());
        }
        if self.core.pass_start.val() {
            self.primed.d.next = false;
            self.consumed.d.next = 0.into();
            self.m_sub.d.next = 0.into();
            self.m_bit.d.next = 0.into();
            self.m_obase.d.next = 0.into();
            self.m_slot.d.next = 0.into();
        }
        self.core.consumed.next = self.consumed.q.val();

        // Outputs once (see `datapath_port.rs`).
        self.core.word_pop.next = self.word_pop_v.val();
        self.core.fail.next = self.fail_v.val();
        self.core.busy_inc.next = self.busy_inc_v.val();
        self.core.adds_inc.next = self.adds_inc_v.val();

        // Accumulators: read for the epilogue, cleared after it and by a drain.
        self.acc_v.next = 0.into();
        for l in 0..L {
            self.lanes[l].epi_rd.next = self.core.epi_read.val();
            self.lanes[l].epi_addr.next = bit_cast::<ACC_BITS, 16>(self.core.epi_slot.val());
            self.lanes[l].clear_addr.next = bit_cast::<ACC_BITS, 16>(self.core.clear_slot.val());
            self.lanes[l].acc_clear.next =
                self.core.clear.val() & (self.core.clear_lane.val().index() == l);
            if self.core.drain.val() {
                self.lanes[l].clear_addr.next = bit_cast::<ACC_BITS, 16>(self.core.epi_slot.val());
                self.lanes[l].acc_clear.next = true;
            }
            if self.core.clear_lane.val().index() == l {
                self.acc_v.next = self.lanes[l].acc_out.val();
            }
        }
        self.core.acc.next = self.acc_v.val();
        self.core.mults_inc.next = self.mults_inc_v.val();
        // Drained once the last issue has left the lanes' pipelines (every issue uses lane 0).
        self.core.drained.next = !self.m1_valid.q.val() & !self.lanes[0].busy.val();
    }
}

crate::synth_test!(DenseDatapath::<4, 3>::default());
