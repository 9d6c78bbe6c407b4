//! One multiply-accumulate lane of the dense int8 baseline engine (`datapath.rs`): an
//! int8 x int8 multiplier (`MagnitudeProduct`, one DSP48 after synthesis) and the accumulators of the outputs
//! this lane owns (o mod M == lane), the same 32-bit wrapping accumulators as the CREW
//! gather lanes. Two-stage pipeline: S0 multiplies and presents the accumulator read
//! address; S1 adds the registered product into the accumulator and writes it back. A
//! write in S1 to the slot S0 reads is forwarded, so back-to-back updates of one slot
//! (layers with at most M outputs) need no stall.

use crate::engine::common::magnitude::MagnitudeProduct;
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
    /// Accumulator read data (one cycle after the read address).
    pub acc_out: Signal<Out, Bits<32>>,
    acc: RAM<Bits<32>, ACC_BITS>,
    mul: MagnitudeProduct,
    s1_valid: DFF<Bit>,
    s1_slot: DFF<Bits<ACC_BITS>>,
    s1_product: DFF<Bits<32>>,
    fwd: DFF<Bit>,
    fwd_value: DFF<Bits<32>>,
    base: Signal<Local, Bits<32>>,
    sum: Signal<Local, Bits<32>>,
}

impl<const ACC_BITS: usize> Logic for MacLane<ACC_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, s1_valid, s1_slot, s1_product, fwd, fwd_value);
        self.acc.read_clock.next = self.clock.val();
        self.acc.write_clock.next = self.clock.val();
        // S0: signed 8 x 8 product (w sign-extended to 16 bits).
        self.mul.x.next = self.s0_x.val();
        self.mul.w.next = bit_cast::<16, 8>(self.s0_w.val());
        if self.s0_w.val().get_bit(7) {
            self.mul.w.next = bit_cast::<16, 8>(self.s0_w.val()) | 0xFF00;
        }
        self.s1_valid.d.next = self.s0_valid.val();
        self.s1_slot.d.next = self.s0_slot.val();
        self.s1_product.d.next = self.mul.p.val();
        self.acc.read_address.next = self.s0_slot.val();
        if self.epi_rd.val() {
            self.acc.read_address.next = self.epi_addr.val();
        }
        // S1: accumulate (forwarding the previous S1 write to the same slot).
        self.base.next = self.acc.read_data.val();
        if self.fwd.q.val() {
            self.base.next = self.fwd_value.q.val();
        }
        self.sum.next = self.base.val() + self.s1_product.q.val();
        self.fwd.d.next = self.s1_valid.q.val()
            & self.s0_valid.val()
            & (self.s1_slot.q.val() == self.s0_slot.val());
        self.fwd_value.d.next = self.sum.val();
        self.acc_out.next = self.acc.read_data.val();
        self.acc.write_address.next = self.s1_slot.q.val();
        self.acc.write_data.next = self.sum.val();
        self.acc.write_enable.next = self.s1_valid.q.val();
        if self.acc_clear.val() {
            self.acc.write_address.next = self.clear_addr.val();
            self.acc.write_data.next = 0.into();
            self.acc.write_enable.next = true;
        }
    }
}
