//! `TableUnit`: the CREW engine's table unit. Four multipliers (`MagnitudeProduct`) turn
//! each column's table U_i (int8 or int16 entries, from the table FIFO) into products
//! x_i * U_i[k], written into the lanes' double-buffered product tables (buffer = column
//! parity, two banks so two RAM words per cycle) while the lanes still add the previous
//! column; it also keeps each buffer's index width b_i. It starts a column when that
//! column's buffer is free (at most one column ahead of the gather).

use crate::engine::common::magnitude::MagnitudeProduct;
use crate::engine::crew::gather_lane::PTAB_ADDR_BITS;
use rust_hdl::prelude::*;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum TableState {
    Start,
    Work,
}

#[derive(LogicBlock, Default)]
pub struct TableUnit {
    /// UI clock; all ports are in this domain.
    pub clock: Signal<In, Clock>,
    /// The table FIFO: oldest word, empty, pop.
    pub fifo_word: Signal<In, Bits<128>>,
    pub fifo_empty: Signal<In, Bit>,
    pub fifo_pop: Signal<Out, Bit>,
    /// The router is in a pass's records (or waits for its end) of a running layer.
    pub active: Signal<In, Bit>,
    /// Columns of the pass, the gather's current column, int16 entries.
    pub n_in: Signal<In, Bits<16>>,
    pub gcol: Signal<In, Bits<16>>,
    pub wide: Signal<In, Bit>,
    /// x_i of column `col` (read from the vector buffers the cycle before).
    pub x_byte: Signal<In, Bits<8>>,
    /// A pass starts: back to column 0.
    pub pass_start: Signal<In, Bit>,
    /// The column being tabulated; the index width of buffer 0 and 1.
    pub col: Signal<Out, Bits<16>>,
    pub bits0: Signal<Out, Bits<4>>,
    pub bits1: Signal<Out, Bits<4>>,
    /// Product-table write (broadcast to every lane).
    pub pt_wr_en: Signal<Out, Bit>,
    pub pt_wr_addr: Signal<Out, Bits<PTAB_ADDR_BITS>>,
    pub pt_bank0: Signal<Out, Bits<32>>,
    pub pt_bank1: Signal<Out, Bits<32>>,
    /// Multiplies done this cycle (valid entries).
    pub mults: Signal<Out, Bits<32>>,
    tu: DFF<TableState>,
    tcol: DFF<Bits<16>>,
    tw: DFF<Bits<6>>,
    tsub: DFF<Bits<2>>,
    tu_u: DFF<Bits<9>>,
    tb0: DFF<Bits<4>>,
    tb1: DFF<Bits<4>>,
    t_head: Signal<Local, Bits<128>>,
    t_u: Signal<Local, Bits<9>>,
    t_words: Signal<Local, Bits<6>>,
    t_chunk: Signal<Local, Bits<32>>,
    t_base: Signal<Local, Bits<10>>,
    t_x: Signal<Local, Bits<8>>,
    t_e0: Signal<Local, Bits<16>>,
    t_e1: Signal<Local, Bits<16>>,
    t_e2: Signal<Local, Bits<16>>,
    t_e3: Signal<Local, Bits<16>>,
    t_p0: Signal<Local, Bits<32>>,
    t_p1: Signal<Local, Bits<32>>,
    t_p2: Signal<Local, Bits<32>>,
    t_p3: Signal<Local, Bits<32>>,
    t_valid: Signal<Local, Bits<4>>,
    t_nvalid: Signal<Local, Bits<32>>,
    t_can_start: Signal<Local, Bit>,
    pt_addr: Signal<Local, Bits<9>>,
    pt_bank0_v: Signal<Local, Bits<32>>,
    pt_bank1_v: Signal<Local, Bits<32>>,
    mul: [MagnitudeProduct; 4],
    fifo_pop_v: Signal<Local, Bit>,
    pt_wr_en_v: Signal<Local, Bit>,
    mults_v: Signal<Local, Bits<32>>,
}

impl Logic for TableUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, tu, tcol, tw, tsub, tu_u, tb0, tb1);
        self.fifo_pop_v.next = false;
        self.mults_v.next = 0.into();
        // Table datapath, switching only while the table unit works.
        self.t_head.next = 0.into();
        self.t_chunk.next = 0.into();
        self.t_e0.next = 0.into();
        self.t_e1.next = 0.into();
        self.t_e2.next = 0.into();
        self.t_e3.next = 0.into();
        self.t_valid.next = 0.into();
        self.t_nvalid.next = 0.into();
        self.t_base.next = 0.into();
        self.t_x.next = 0.into();
        self.t_u.next = 0.into();
        self.t_words.next = 0.into();
        self.pt_addr.next = 0.into();
        self.pt_bank0_v.next = 0.into();
        self.pt_bank1_v.next = 0.into();
        if self.tu.q.val() == TableState::Work {
            self.t_head.next = self.fifo_word.val();
            self.t_u.next = self.tu_u.q.val();
            if self.tw.q.val() == 0 {
                self.t_u.next = bit_cast::<9, 8>(self.t_head.val().get_bits::<8>(0)) + 1;
            }
            self.t_words.next = bit_cast::<6, 9>((self.t_u.val() + 17) >> 4);
            if self.wide.val() {
                self.t_words.next =
                    bit_cast::<6, 10>(((bit_cast::<10, 9>(self.t_u.val()) << 1) + 17) >> 4);
            }
            self.t_chunk.next = self
                .t_head
                .val()
                .get_bits::<32>(self.tsub.q.val().index() * 32);
            self.t_x.next = self.x_byte.val();
            if self.wide.val() {
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
        }
        // The four table-entry products x_i * U_i[k] (the entries and x are 0 unless the
        // table unit works).
        self.mul[0].w.next = self.t_e0.val();
        self.mul[1].w.next = self.t_e1.val();
        self.mul[2].w.next = self.t_e2.val();
        self.mul[3].w.next = self.t_e3.val();
        for k in 0..4 {
            self.mul[k].x.next = self.t_x.val();
        }
        self.t_p0.next = self.mul[0].p.val();
        self.t_p1.next = self.mul[1].p.val();
        self.t_p2.next = self.mul[2].p.val();
        self.t_p3.next = self.mul[3].p.val();
        if self.tu.q.val() == TableState::Work {
            self.t_nvalid.next = bit_cast::<32, 1>(self.t_valid.val().get_bits::<1>(0))
                + bit_cast::<32, 1>(self.t_valid.val().get_bits::<1>(1))
                + bit_cast::<32, 1>(self.t_valid.val().get_bits::<1>(2))
                + bit_cast::<32, 1>(self.t_valid.val().get_bits::<1>(3));
            self.pt_addr.next =
                (bit_cast::<9, 6>(self.tw.q.val()) << 2) | bit_cast::<9, 2>(self.tsub.q.val());
            if self.tcol.q.val().get_bit(0) {
                self.pt_addr.next = self.pt_addr.val() | 256;
            }
            self.pt_bank0_v.next = (bit_cast::<32, 16>(bit_cast::<16, 32>(self.t_p1.val())) << 16)
                | bit_cast::<32, 16>(bit_cast::<16, 32>(self.t_p0.val()));
            self.pt_bank1_v.next = (bit_cast::<32, 16>(bit_cast::<16, 32>(self.t_p3.val())) << 16)
                | bit_cast::<32, 16>(bit_cast::<16, 32>(self.t_p2.val()));
            if self.wide.val() {
                self.pt_bank0_v.next = self.t_p0.val();
                self.pt_bank1_v.next = self.t_p1.val();
            }
        }
        self.t_can_start.next = self.active.val()
            & (self.tcol.q.val() < self.n_in.val())
            & (self.tcol.q.val() <= self.gcol.val() + 1);
        self.pt_wr_en_v.next = false;
        match self.tu.q.val() {
            TableState::Start => {
                if self.t_can_start.val() {
                    self.tu.d.next = TableState::Work;
                }
            }
            TableState::Work => {
                if !self.fifo_empty.val() {
                    self.pt_wr_en_v.next = true;
                    self.mults_v.next = self.t_nvalid.val();
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
                        self.fifo_pop_v.next = true;
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

        if self.pass_start.val() {
            self.tcol.d.next = 0.into();
            self.tw.d.next = 0.into();
            self.tsub.d.next = 0.into();
            self.tu.d.next = TableState::Start;
        }
        self.col.next = self.tcol.q.val();
        self.bits0.next = self.tb0.q.val();
        self.bits1.next = self.tb1.q.val();
        self.pt_wr_addr.next = self.pt_addr.val();
        self.pt_bank0.next = self.pt_bank0_v.val();
        self.pt_bank1.next = self.pt_bank1_v.val();
        // Outputs once (see `datapath_port.rs`).
        self.fifo_pop.next = self.fifo_pop_v.val();
        self.pt_wr_en.next = self.pt_wr_en_v.val();
        self.mults.next = self.mults_v.val();
    }
}

crate::synth_test!(TableUnit::default());
