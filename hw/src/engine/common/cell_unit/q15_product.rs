//! `Q15Product`: `rshift_round(a * b, 15)` of an activation a in 0..2^15 (Q.15) and a
//! signed 32-bit b, on magnitudes with two 16 x 16 unsigned multiplies:
//! (P + r) >> 15 = ((a * b_lo + r) >> 15) + 2 * a * b_hi, r = 2^14 for b >= 0 and
//! 2^14 - 1 for b < 0 (the round-half-up of -P).

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct Q15Product {
    pub a: Signal<In, Bits<16>>,
    pub b: Signal<In, Bits<32>>,
    pub product: Signal<Out, Bits<32>>,
    mag: Signal<Local, Bits<32>>,
    lo: Signal<Local, Bits<32>>,
    hi: Signal<Local, Bits<32>>,
    res: Signal<Local, Bits<32>>,
    out: Signal<Local, Bits<32>>,
}

impl Logic for Q15Product {
    #[hdl_gen]
    fn update(&mut self) {
        self.mag.next = self.b.val();
        if self.b.val().get_bit(31) {
            self.mag.next = 0 - self.b.val();
        }
        self.lo.next = self.a.val() * self.mag.val().get_bits::<16>(0);
        self.hi.next = self.a.val() * self.mag.val().get_bits::<16>(16);
        if self.b.val().get_bit(31) {
            self.res.next = ((self.lo.val() + 0x3FFF) >> 15) + (self.hi.val() << 1);
            self.out.next = 0 - self.res.val();
        } else {
            self.res.next = ((self.lo.val() + 0x4000) >> 15) + (self.hi.val() << 1);
            self.out.next = self.res.val();
        }
        // Outputs once (see `datapath_port.rs`).
        self.product.next = self.out.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crew_spec::numerics::{rshift_round, ACT_FRAC_BITS};

    #[test]
    fn products_match_rshift_round() {
        let mut m = Q15Product::default();
        m.connect_all();
        for a in [0i64, 1, 2, 16_383, 16_384, 32_767] {
            for b in [
                i32::MIN as i64 / 2,
                -16_777_216,
                -65_537,
                -65_536,
                -32_768,
                -3,
                -1,
                0,
                1,
                3,
                32_767,
                65_535,
                65_536,
                16_777_215,
            ] {
                m.a.next = (a as u32).to_bits();
                m.b.next = (b as i32 as u32).to_bits();
                assert!(simulate(&mut m, 10), "settles");
                let expect = rshift_round(a * b, ACT_FRAC_BITS) as i32;
                assert_eq!(m.product.val().index() as u32 as i32, expect, "{a} * {b}");
            }
        }
    }
}

crate::synth_test!(Q15Product::default());
