//! `TableUnit`: the CREW engine's table unit. Four multipliers turn each column's table
//! U_i (int8 or int16 entries, from the table FIFO) into products x_i * U_i[k], written
//! into the lanes' double-buffered product tables (buffer = column parity, two banks so
//! two RAM words per cycle) while the lanes still add the previous column; it also keeps
//! each buffer's index width b_i. It starts a column when that column's buffer is free
//! (at most one column ahead of the gather).
//!
//! Pipeline (one table chunk of 4 int8 / 2 int16 entries per cycle):
//! - T0 (Work cycle): sequencing, chunk `tsub` of the FIFO word -> `a_*` registers;
//! - T1: sign-extended entries -> magnitudes |x|, |U[k]| and product signs -> `b_*`;
//! - T2: four unsigned 16 x 16 products of registered operands into registers (`c_p*`,
//!   DSP48E1 with input and product registers);
//! - T3: sign fix-up and packing into the two bank words -> `d_*`, the registered
//!   product-table write (outputs `pt_*`), written into the lanes' RAMs at the next edge.
//!
//! A column's last write thus lands [`TABLE_WRITE_LATENCY`] edges after its last T0
//! cycle. `ready_col` (the column count the gather may use: `col` delayed by 2
//! edges) hides this: the gather registers `ready_col > gcol` (one more edge), emits a
//! chunk the cycle after (one more), and reads the product table in its G stage the
//! cycle after the emit, so a column whose last T0 cycle is c is read at the earliest at
//! the edge ending cycle c + 5, after its last write at the edge ending c + 4; see `datapath.rs` for the margin on
//! the other side (the gather's product-table reads of a buffer end before the table unit
//! starts overwriting it).

use crate::engine::crew::gather_lane::PTAB_ADDR_BITS;
use rust_hdl::prelude::*;

/// A T0 cycle's products are written into the RAMs at the edge ending the cycle
/// `TABLE_WRITE_LATENCY` cycles later (edges: T0 -> a, T1 -> b, T2 -> c, T3 -> d, then
/// the RAM write).
pub const TABLE_WRITE_LATENCY: usize = 4;

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
    /// Columns the gather may start: `col` delayed by 2 edges (see the module doc).
    pub ready_col: Signal<Out, Bits<16>>,
    /// Product-table write (broadcast to every lane), registered.
    pub pt_wr_en: Signal<Out, Bit>,
    pub pt_wr_addr: Signal<Out, Bits<PTAB_ADDR_BITS>>,
    pub pt_bank0: Signal<Out, Bits<32>>,
    pub pt_bank1: Signal<Out, Bits<32>>,
    /// Multiplies done (valid entries), counted at T1.
    pub mults: Signal<Out, Bits<32>>,
    tu: DFF<TableState>,
    tcol: DFF<Bits<16>>,
    tw: DFF<Bits<6>>,
    tsub: DFF<Bits<2>>,
    tu_u: DFF<Bits<9>>,
    /// Words of the current column's table part (from its header, latched with `tu_u`).
    tu_words: DFF<Bits<6>>,
    tb0: DFF<Bits<4>>,
    tb1: DFF<Bits<4>>,
    /// `tcol` delay line for `ready_col` (reset by a pass start).
    rc1: DFF<Bits<16>>,
    rc2: DFF<Bits<16>>,
    // T0 -> T1 registers: write enable, chunk, x, RAM word address, entry position, u.
    a_en: DFF<Bit>,
    a_chunk: DFF<Bits<32>>,
    a_x: DFF<Bits<8>>,
    a_addr: DFF<Bits<PTAB_ADDR_BITS>>,
    a_base: DFF<Bits<10>>,
    a_u: DFF<Bits<10>>,
    // T1 -> T2 registers: multiplier operands (magnitudes), product signs.
    b_en: DFF<Bit>,
    b_addr: DFF<Bits<PTAB_ADDR_BITS>>,
    b_xmag: DFF<Bits<16>>,
    b_w0: DFF<Bits<16>>,
    b_w1: DFF<Bits<16>>,
    b_w2: DFF<Bits<16>>,
    b_w3: DFF<Bits<16>>,
    b_neg: DFF<Bits<4>>,
    b_mults: DFF<Bits<3>>,
    // T2 -> T3 registers: unsigned products.
    c_en: DFF<Bit>,
    c_addr: DFF<Bits<PTAB_ADDR_BITS>>,
    c_p0: DFF<Bits<32>>,
    c_p1: DFF<Bits<32>>,
    c_p2: DFF<Bits<32>>,
    c_p3: DFF<Bits<32>>,
    c_neg: DFF<Bits<4>>,
    // T3 -> RAM registers: the product-table write.
    d_en: DFF<Bit>,
    d_addr: DFF<Bits<PTAB_ADDR_BITS>>,
    d_bank0: DFF<Bits<32>>,
    d_bank1: DFF<Bits<32>>,
    t_head: Signal<Local, Bits<128>>,
    t_u: Signal<Local, Bits<9>>,
    t_words: Signal<Local, Bits<6>>,
    t_base: Signal<Local, Bits<10>>,
    t_addr: Signal<Local, Bits<9>>,
    t_can_start: Signal<Local, Bit>,
    // T1 helpers.
    e0: Signal<Local, Bits<16>>,
    e1: Signal<Local, Bits<16>>,
    e2: Signal<Local, Bits<16>>,
    e3: Signal<Local, Bits<16>>,
    t_valid: Signal<Local, Bits<4>>,
    t_neg: Signal<Local, Bits<4>>,
    // T3 helpers.
    p0: Signal<Local, Bits<32>>,
    p1: Signal<Local, Bits<32>>,
    p2: Signal<Local, Bits<32>>,
    p3: Signal<Local, Bits<32>>,
    fifo_pop_v: Signal<Local, Bit>,
}

impl Logic for TableUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, tu, tcol, tw, tsub, tu_u, tu_words, tb0, tb1, rc1, rc2, a_en, a_chunk,
            a_x, a_addr, a_base, a_u, b_en, b_addr, b_xmag, b_w0, b_w1, b_w2, b_w3, b_neg, b_mults,
            c_en, c_addr, c_p0, c_p1, c_p2, c_p3, c_neg, d_en, d_addr, d_bank0, d_bank1
        );
        self.fifo_pop_v.next = false;
        // ------------------------------------------------------------ T0: sequencing
        self.t_head.next = self.fifo_word.val();
        // u of the column: from the header byte in the table's first word, else latched.
        self.t_u.next = self.tu_u.q.val();
        if self.tw.q.val() == 0 {
            self.t_u.next = bit_cast::<9, 8>(self.t_head.val().get_bits::<8>(0)) + 1;
        }
        self.t_words.next = bit_cast::<6, 9>((self.t_u.val() + 17) >> 4);
        if self.wide.val() {
            self.t_words.next =
                bit_cast::<6, 10>(((bit_cast::<10, 9>(self.t_u.val()) << 1) + 17) >> 4);
        }
        // Entry position of the chunk's first byte (int8) / halfword (int16).
        self.t_base.next =
            (bit_cast::<10, 6>(self.tw.q.val()) << 4) + (bit_cast::<10, 2>(self.tsub.q.val()) << 2);
        if self.wide.val() {
            self.t_base.next = (bit_cast::<10, 6>(self.tw.q.val()) << 3)
                + (bit_cast::<10, 2>(self.tsub.q.val()) << 1);
        }
        self.t_addr.next =
            (bit_cast::<9, 6>(self.tw.q.val()) << 2) | bit_cast::<9, 2>(self.tsub.q.val());
        if self.tcol.q.val().get_bit(0) {
            self.t_addr.next = self.t_addr.val() | 256;
        }
        self.a_en.d.next = false;
        self.a_chunk.d.next = self
            .t_head
            .val()
            .get_bits::<32>(self.tsub.q.val().index() * 32);
        self.a_x.d.next = self.x_byte.val();
        self.a_addr.d.next = self.t_addr.val();
        self.a_base.d.next = self.t_base.val();
        self.a_u.d.next = bit_cast::<10, 9>(self.t_u.val());
        self.t_can_start.next = self.active.val()
            & (self.tcol.q.val() < self.n_in.val())
            & (self.tcol.q.val() <= self.gcol.val() + 1);
        match self.tu.q.val() {
            TableState::Start => {
                if self.t_can_start.val() {
                    self.tu.d.next = TableState::Work;
                }
            }
            TableState::Work => {
                if !self.fifo_empty.val() {
                    self.a_en.d.next = true;
                    if (self.tw.q.val() == 0) & (self.tsub.q.val() == 0) {
                        self.tu_u.d.next = self.t_u.val();
                        self.tu_words.d.next = self.t_words.val();
                        if self.tcol.q.val().get_bit(0) {
                            self.tb1.d.next = self.t_head.val().get_bits::<4>(8);
                        } else {
                            self.tb0.d.next = self.t_head.val().get_bits::<4>(8);
                        }
                    }
                    self.tsub.d.next = self.tsub.q.val() + 1;
                    if self.tsub.q.val() == 3 {
                        // tu_words was latched at sub-step 0 of the first word.
                        self.fifo_pop_v.next = true;
                        self.tw.d.next = self.tw.q.val() + 1;
                        if self.tw.q.val() + 1 == self.tu_words.q.val() {
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
        // ready_col: tcol delayed (its d value is the column count after this edge).
        self.rc1.d.next = self.tcol.q.val();
        self.rc2.d.next = self.rc1.q.val();
        if self.pass_start.val() {
            self.rc1.d.next = 0.into();
            self.rc2.d.next = 0.into();
        }

        // ------------------------------------------------------------ T1: magnitudes
        self.e0.next = 0.into();
        self.e1.next = 0.into();
        self.e2.next = 0.into();
        self.e3.next = 0.into();
        self.t_valid.next = 0.into();
        if self.wide.val() {
            self.e0.next = self.a_chunk.q.val().get_bits::<16>(0);
            self.e1.next = self.a_chunk.q.val().get_bits::<16>(16);
            // Entry halfwords sit at positions 1..u+1 of the table part.
            if (self.a_base.q.val() >= 1) & (self.a_base.q.val() < self.a_u.q.val() + 1) {
                self.t_valid.next = 1.into();
            }
            if self.a_base.q.val() < self.a_u.q.val() {
                self.t_valid.next = 3.into();
            }
        } else {
            self.e0.next = bit_cast::<16, 8>(self.a_chunk.q.val().get_bits::<8>(0));
            if self.a_chunk.q.val().get_bit(7) {
                self.e0.next = bit_cast::<16, 8>(self.a_chunk.q.val().get_bits::<8>(0)) | 0xFF00;
            }
            self.e1.next = bit_cast::<16, 8>(self.a_chunk.q.val().get_bits::<8>(8));
            if self.a_chunk.q.val().get_bit(15) {
                self.e1.next = bit_cast::<16, 8>(self.a_chunk.q.val().get_bits::<8>(8)) | 0xFF00;
            }
            self.e2.next = bit_cast::<16, 8>(self.a_chunk.q.val().get_bits::<8>(16));
            if self.a_chunk.q.val().get_bit(23) {
                self.e2.next = bit_cast::<16, 8>(self.a_chunk.q.val().get_bits::<8>(16)) | 0xFF00;
            }
            self.e3.next = bit_cast::<16, 8>(self.a_chunk.q.val().get_bits::<8>(24));
            if self.a_chunk.q.val().get_bit(31) {
                self.e3.next = bit_cast::<16, 8>(self.a_chunk.q.val().get_bits::<8>(24)) | 0xFF00;
            }
            // Entry bytes sit at positions 2..u+2 of the table part.
            if (self.a_base.q.val() >= 2) & (self.a_base.q.val() < self.a_u.q.val() + 2) {
                self.t_valid.next = 1.into();
            }
            if (self.a_base.q.val() + 1 >= 2) & (self.a_base.q.val() + 1 < self.a_u.q.val() + 2) {
                self.t_valid.next = self.t_valid.val() | 2;
            }
            if self.a_base.q.val() + 2 < self.a_u.q.val() + 2 {
                self.t_valid.next = self.t_valid.val() | 4;
            }
            if self.a_base.q.val() + 3 < self.a_u.q.val() + 2 {
                self.t_valid.next = self.t_valid.val() | 8;
            }
        }
        // Magnitudes at 16 bits (`0 - v` on 8 bits wraps differently in Verilog, see
        // `common/magnitude.rs`); the sign of each product is x's sign ^ the entry's.
        self.b_xmag.d.next = bit_cast::<16, 8>(self.a_x.q.val());
        if self.a_x.q.val().get_bit(7) {
            self.b_xmag.d.next = 256 - bit_cast::<16, 8>(self.a_x.q.val());
        }
        self.b_w0.d.next = self.e0.val();
        if self.e0.val().get_bit(15) {
            self.b_w0.d.next = 0 - self.e0.val();
        }
        self.b_w1.d.next = self.e1.val();
        if self.e1.val().get_bit(15) {
            self.b_w1.d.next = 0 - self.e1.val();
        }
        self.b_w2.d.next = self.e2.val();
        if self.e2.val().get_bit(15) {
            self.b_w2.d.next = 0 - self.e2.val();
        }
        self.b_w3.d.next = self.e3.val();
        if self.e3.val().get_bit(15) {
            self.b_w3.d.next = 0 - self.e3.val();
        }
        self.t_neg.next = 0.into();
        if self.a_x.q.val().get_bit(7) ^ self.e0.val().get_bit(15) {
            self.t_neg.next = self.t_neg.val() | 1;
        }
        if self.a_x.q.val().get_bit(7) ^ self.e1.val().get_bit(15) {
            self.t_neg.next = self.t_neg.val() | 2;
        }
        if self.a_x.q.val().get_bit(7) ^ self.e2.val().get_bit(15) {
            self.t_neg.next = self.t_neg.val() | 4;
        }
        if self.a_x.q.val().get_bit(7) ^ self.e3.val().get_bit(15) {
            self.t_neg.next = self.t_neg.val() | 8;
        }
        self.b_neg.d.next = self.t_neg.val();
        self.b_en.d.next = self.a_en.q.val();
        self.b_addr.d.next = self.a_addr.q.val();
        self.b_mults.d.next = 0.into();
        if self.a_en.q.val() {
            self.b_mults.d.next = bit_cast::<3, 1>(self.t_valid.val().get_bits::<1>(0))
                + bit_cast::<3, 1>(self.t_valid.val().get_bits::<1>(1))
                + bit_cast::<3, 1>(self.t_valid.val().get_bits::<1>(2))
                + bit_cast::<3, 1>(self.t_valid.val().get_bits::<1>(3));
        }

        // ------------------------------------------------------------ T2: products
        // Operands straight from registers, products straight into registers (DSP48E1
        // AREG/BREG and MREG/PREG).
        self.c_p0.d.next = self.b_xmag.q.val() * self.b_w0.q.val();
        self.c_p1.d.next = self.b_xmag.q.val() * self.b_w1.q.val();
        self.c_p2.d.next = self.b_xmag.q.val() * self.b_w2.q.val();
        self.c_p3.d.next = self.b_xmag.q.val() * self.b_w3.q.val();
        self.c_neg.d.next = self.b_neg.q.val();
        self.c_en.d.next = self.b_en.q.val();
        self.c_addr.d.next = self.b_addr.q.val();

        // ------------------------------------------------------------ T3: sign, packing
        self.p0.next = self.c_p0.q.val();
        if self.c_neg.q.val().get_bit(0) {
            self.p0.next = 0 - self.c_p0.q.val();
        }
        self.p1.next = self.c_p1.q.val();
        if self.c_neg.q.val().get_bit(1) {
            self.p1.next = 0 - self.c_p1.q.val();
        }
        self.p2.next = self.c_p2.q.val();
        if self.c_neg.q.val().get_bit(2) {
            self.p2.next = 0 - self.c_p2.q.val();
        }
        self.p3.next = self.c_p3.q.val();
        if self.c_neg.q.val().get_bit(3) {
            self.p3.next = 0 - self.c_p3.q.val();
        }
        // Narrow products are 16-bit halves (x * U fits int16), wide ones 32-bit words.
        self.d_bank0.d.next = (bit_cast::<32, 16>(bit_cast::<16, 32>(self.p1.val())) << 16)
            | bit_cast::<32, 16>(bit_cast::<16, 32>(self.p0.val()));
        self.d_bank1.d.next = (bit_cast::<32, 16>(bit_cast::<16, 32>(self.p3.val())) << 16)
            | bit_cast::<32, 16>(bit_cast::<16, 32>(self.p2.val()));
        if self.wide.val() {
            self.d_bank0.d.next = self.p0.val();
            self.d_bank1.d.next = self.p1.val();
        }
        self.d_en.d.next = self.c_en.q.val();
        self.d_addr.d.next = self.c_addr.q.val();

        self.col.next = self.tcol.q.val();
        self.ready_col.next = self.rc2.q.val();
        self.bits0.next = self.tb0.q.val();
        self.bits1.next = self.tb1.q.val();
        self.pt_wr_en.next = self.d_en.q.val();
        self.pt_wr_addr.next = self.d_addr.q.val();
        self.pt_bank0.next = self.d_bank0.q.val();
        self.pt_bank1.next = self.d_bank1.q.val();
        // Outputs once (see `datapath_port.rs`).
        self.fifo_pop.next = self.fifo_pop_v.val();
        self.mults.next = bit_cast::<32, 3>(self.b_mults.q.val());
    }
}

crate::synth_test!(TableUnit::default());
