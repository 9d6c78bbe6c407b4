//! One gather-add lane of the CREW engine: a double-buffered replica of the current
//! column's product table (two banks so the table unit writes two RAM words per cycle)
//! and the accumulators of the outputs this lane owns (o mod L == lane). Three-stage
//! pipeline: S0 presents the product-table read address; S1 registers the selected bank
//! word (the RAMB18 read stays apart from the add) while the accumulator read address
//! (the S1 slot) is presented; S2 sign-extends the selected half, adds the product into
//! the accumulator and writes it back (accumulator read and write are one cycle apart, as
//! before the S2 stage was added).
//!
//! Product-table layout (per buffer of 256 RAM words, buffer = address bit 8):
//! - narrow (int8) entries: slot s = index + 2 (the byte position of the entry in the
//!   record), bank = s[1], word address = s >> 2, 16-bit product in half s[0];
//! - wide (int16) entries: slot s = index + 1, bank = s[0], word address = s >> 1,
//!   32-bit product.

use rust_hdl::prelude::*;

/// Bits of a product-table RAM address: buffer bit + 8 bits of word address.
pub const PTAB_ADDR_BITS: usize = 9;

#[derive(LogicBlock, Default)]
pub struct GatherLane<const ACC_BITS: usize> {
    /// UI clock; all ports are in this domain.
    pub clock: Signal<In, Clock>,
    /// Product-table write (broadcast to every lane): word address, enable, bank data.
    pub pt_wr_addr: Signal<In, Bits<PTAB_ADDR_BITS>>,
    pub pt_wr_en: Signal<In, Bit>,
    pub pt_wr_bank0: Signal<In, Bits<32>>,
    pub pt_wr_bank1: Signal<In, Bits<32>>,
    /// Entries are int16 (layer flag), else int8.
    pub wide: Signal<In, Bit>,
    /// S0: this lane adds a product this cycle, its table index, the table buffer.
    pub s0_valid: Signal<In, Bit>,
    pub s0_index: Signal<In, Bits<8>>,
    pub s0_buf: Signal<In, Bit>,
    /// Accumulator read address (S1 slot, or the epilogue's row slot).
    pub acc_rd_addr: Signal<In, Bits<ACC_BITS>>,
    /// Accumulator write address (the S2 slot, or the epilogue's slot being cleared).
    pub acc_wr_addr: Signal<In, Bits<ACC_BITS>>,
    /// Epilogue: write 0 at `acc_wr_addr` (the row was read out).
    pub acc_clear: Signal<In, Bit>,
    /// Accumulator read data (one cycle after `acc_rd_addr`).
    pub acc_out: Signal<Out, Bits<32>>,
    bank0: RAM<Bits<32>, PTAB_ADDR_BITS>,
    bank1: RAM<Bits<32>, PTAB_ADDR_BITS>,
    acc: RAM<Bits<32>, ACC_BITS>,
    /// S1 state: bit 0 valid, bit 1 bank, bit 2 half.
    s1: DFF<Bits<3>>,
    /// S2 state: valid, half; the product-table word read in S0 (bank selected).
    s2_valid: DFF<Bit>,
    s2_half: DFF<Bit>,
    s2_raw: DFF<Bits<32>>,
    slot: Signal<Local, Bits<9>>,
    word_addr: Signal<Local, Bits<9>>,
    sel: Signal<Local, Bits<3>>,
    raw: Signal<Local, Bits<32>>,
    half: Signal<Local, Bits<16>>,
    product: Signal<Local, Bits<32>>,
}

impl<const ACC_BITS: usize> Logic for GatherLane<ACC_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, s1, s2_valid, s2_half, s2_raw);
        self.bank0.read_clock.next = self.clock.val();
        self.bank0.write_clock.next = self.clock.val();
        self.bank1.read_clock.next = self.clock.val();
        self.bank1.write_clock.next = self.clock.val();
        self.acc.read_clock.next = self.clock.val();
        self.acc.write_clock.next = self.clock.val();
        // Table writes.
        self.bank0.write_address.next = self.pt_wr_addr.val();
        self.bank1.write_address.next = self.pt_wr_addr.val();
        self.bank0.write_data.next = self.pt_wr_bank0.val();
        self.bank1.write_data.next = self.pt_wr_bank1.val();
        self.bank0.write_enable.next = self.pt_wr_en.val();
        self.bank1.write_enable.next = self.pt_wr_en.val();
        self.slot.next = 0.into();
        self.word_addr.next = 0.into();
        self.sel.next = 0.into();
        if self.s0_valid.val() {
            // S0: table slot of the index, both banks read the same word address.
            if self.wide.val() {
                self.slot.next = bit_cast::<9, 8>(self.s0_index.val()) + 1;
                self.word_addr.next = bit_cast::<9, 8>(self.slot.val().get_bits::<8>(1));
                self.sel.next = bit_cast::<3, 1>(bit_cast::<1, 9>(self.slot.val())) << 1;
            } else {
                self.slot.next = bit_cast::<9, 8>(self.s0_index.val()) + 2;
                self.word_addr.next = bit_cast::<9, 7>(self.slot.val().get_bits::<7>(2));
                self.sel.next = (bit_cast::<3, 1>(self.slot.val().get_bits::<1>(1)) << 1)
                    | (bit_cast::<3, 1>(bit_cast::<1, 9>(self.slot.val())) << 2);
            }
        }
        self.bank0.read_address.next = self.word_addr.val();
        if self.s0_buf.val() {
            self.bank0.read_address.next = self.word_addr.val() | 256;
        }
        self.bank1.read_address.next = self.bank0.read_address.val();
        self.s1.d.next = self.sel.val();
        if self.s0_valid.val() {
            self.s1.d.next = self.sel.val() | 1;
        }
        self.acc.read_address.next = self.acc_rd_addr.val();
        // S1: select the bank word into the S2 register.
        self.raw.next = self.bank0.read_data.val();
        if self.s1.q.val().get_bit(1) {
            self.raw.next = self.bank1.read_data.val();
        }
        self.s2_raw.d.next = self.raw.val();
        self.s2_valid.d.next = self.s1.q.val().get_bit(0);
        self.s2_half.d.next = self.s1.q.val().get_bit(2);
        // S2: select the half, sign-extend narrow products, accumulate.
        self.half.next = 0.into();
        self.product.next = 0.into();
        if self.s2_valid.q.val() {
            self.half.next = bit_cast::<16, 32>(self.s2_raw.q.val());
            if self.s2_half.q.val() {
                self.half.next = self.s2_raw.q.val().get_bits::<16>(16);
            }
            self.product.next = self.s2_raw.q.val();
            if !self.wide.val() {
                self.product.next = bit_cast::<32, 16>(self.half.val());
                if self.half.val().get_bit(15) {
                    self.product.next = bit_cast::<32, 16>(self.half.val()) | 0xFFFF_0000_u64;
                }
            }
        }
        self.acc_out.next = self.acc.read_data.val();
        self.acc.write_address.next = self.acc_wr_addr.val();
        self.acc.write_data.next = self.acc.read_data.val() + self.product.val();
        self.acc.write_enable.next = self.s2_valid.q.val();
        if self.acc_clear.val() {
            self.acc.write_data.next = 0.into();
            self.acc.write_enable.next = true;
        }
    }
}
