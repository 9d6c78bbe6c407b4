//! One multiply-accumulate lane of the dense int8 baseline engine (`datapath.rs`): an
//! int8 x int8 multiplier (one DSP48 after synthesis) and the accumulators of the outputs
//! this lane owns (o mod M == lane), the same 32-bit wrapping accumulators as the CREW
//! gather lanes. Pipeline (one multiply-add per cycle):
//! - S0 (the datapath's issue cycle): x, w, slot -> `r1_*` registers (the operands leave
//!   the read-FIFO word and byte select before any arithmetic);
//! - M: the signed product as the low 16 bits of the unsigned 16 x 16 product of the
//!   sign-extended operands (x * w fits int16, and a product mod 2^16 does not depend on
//!   signedness), operands straight from registers into `r2_product` (DSP48E1 with
//!   A/B and P registers, no magnitude/negate logic); the accumulator read address (the
//!   M slot) is presented;
//! - A: acc + sign-extended product is written back. A write in A to the slot M reads is
//!   forwarded, so back-to-back updates of one slot (layers with at most M outputs) need
//!   no stall.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct MacLane<const ACC_BITS: usize> {
    /// UI clock; all ports are in this domain.
    pub clock: Signal<In, Clock>,
    /// S0: this lane multiplies this cycle: input x_i, weight W[o, i], accumulator slot.
    pub s0_valid: Signal<In, Bit>,
    pub s0_x: Signal<In, Bits<8>>,
    pub s0_w: Signal<In, Bits<8>>,
    pub s0_slot: Signal<In, Bits<ACC_BITS>>,
    /// Epilogue read: when `epi_rd` is high the accumulator read address is `epi_addr`.
    pub epi_rd: Signal<In, Bit>,
    pub epi_addr: Signal<In, Bits<ACC_BITS>>,
    /// Epilogue: write 0 at `clear_addr` (the row was read out).
    pub acc_clear: Signal<In, Bit>,
    pub clear_addr: Signal<In, Bits<ACC_BITS>>,
    /// Some multiply-add is still in this lane's pipeline (not yet written back).
    pub busy: Signal<Out, Bit>,
    /// Accumulator read data (one cycle after the read address).
    pub acc_out: Signal<Out, Bits<32>>,
    acc: RAM<Bits<32>, ACC_BITS>,
    // S0 -> M: operands.
    r1_valid: DFF<Bit>,
    r1_slot: DFF<Bits<ACC_BITS>>,
    r1_x: DFF<Bits<8>>,
    r1_w: DFF<Bits<8>>,
    // M -> A: product (low 16 bits are the signed product).
    r2_valid: DFF<Bit>,
    r2_slot: DFF<Bits<ACC_BITS>>,
    r2_product: DFF<Bits<32>>,
    fwd: DFF<Bit>,
    fwd_value: DFF<Bits<32>>,
    x16: Signal<Local, Bits<16>>,
    w16: Signal<Local, Bits<16>>,
    product: Signal<Local, Bits<32>>,
    base: Signal<Local, Bits<32>>,
    sum: Signal<Local, Bits<32>>,
}

impl<const ACC_BITS: usize> Logic for MacLane<ACC_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, r1_valid, r1_slot, r1_x, r1_w, r2_valid, r2_slot, r2_product, fwd,
            fwd_value
        );
        self.acc.read_clock.next = self.clock.val();
        self.acc.write_clock.next = self.clock.val();
        // S0: register the operands.
        self.r1_valid.d.next = self.s0_valid.val();
        self.r1_slot.d.next = self.s0_slot.val();
        self.r1_x.d.next = self.s0_x.val();
        self.r1_w.d.next = self.s0_w.val();
        // M: sign-extend (wiring) and multiply; the accumulator is read at the M slot.
        self.x16.next = bit_cast::<16, 8>(self.r1_x.q.val());
        if self.r1_x.q.val().get_bit(7) {
            self.x16.next = bit_cast::<16, 8>(self.r1_x.q.val()) | 0xFF00;
        }
        self.w16.next = bit_cast::<16, 8>(self.r1_w.q.val());
        if self.r1_w.q.val().get_bit(7) {
            self.w16.next = bit_cast::<16, 8>(self.r1_w.q.val()) | 0xFF00;
        }
        self.r2_product.d.next = self.x16.val() * self.w16.val();
        self.r2_valid.d.next = self.r1_valid.q.val();
        self.r2_slot.d.next = self.r1_slot.q.val();
        self.acc.read_address.next = self.r1_slot.q.val();
        if self.epi_rd.val() {
            self.acc.read_address.next = self.epi_addr.val();
        }
        // A: accumulate the sign-extended low half (forwarding the previous write to the
        // same slot).
        self.product.next = bit_cast::<32, 16>(bit_cast::<16, 32>(self.r2_product.q.val()));
        if self.r2_product.q.val().get_bit(15) {
            self.product.next =
                bit_cast::<32, 16>(bit_cast::<16, 32>(self.r2_product.q.val())) | 0xFFFF_0000_u64;
        }
        self.base.next = self.acc.read_data.val();
        if self.fwd.q.val() {
            self.base.next = self.fwd_value.q.val();
        }
        self.sum.next = self.base.val() + self.product.val();
        self.fwd.d.next = self.r2_valid.q.val()
            & self.r1_valid.q.val()
            & (self.r2_slot.q.val() == self.r1_slot.q.val());
        self.fwd_value.d.next = self.sum.val();
        self.acc_out.next = self.acc.read_data.val();
        self.acc.write_address.next = self.r2_slot.q.val();
        self.acc.write_data.next = self.sum.val();
        self.acc.write_enable.next = self.r2_valid.q.val();
        if self.acc_clear.val() {
            self.acc.write_address.next = self.clear_addr.val();
            self.acc.write_data.next = 0.into();
            self.acc.write_enable.next = true;
        }
        self.busy.next = self.r1_valid.q.val() | self.r2_valid.q.val();
    }
}
