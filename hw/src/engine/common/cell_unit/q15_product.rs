//! `Q15Product`: `rshift_round(a * b, 15)` of an activation a in 0..2^15 (Q.15) and a
//! signed 32-bit b, on magnitudes with two 16 x 16 unsigned multiplies:
//! (P + r) >> 15 = ((a * b_lo + r) >> 15) + 2 * a * b_hi, r = 2^14 for b >= 0 and
//! 2^14 - 1 for b < 0 (the round-half-up of -P).
//!
//! Pipelined in four registered stages (5 ns budget each), a new operand pair per cycle:
//! - Q1: `q1_a`, `q1_mag` = |b|, `q1_neg`: multiplier operands from registers;
//! - Q2: `q2_lo`, `q2_hi`: the two products straight into registers (DSP48E1 with
//!   input and product registers, nothing in between);
//! - Q3: `q3_lo_r` = (lo + r) >> 15 and `q3_hi2` = 2 * hi (one add after the DSP's
//!   clock-to-out);
//! - Q4: `q4_res` = their sum, the rounded magnitude.
//!
//! `res` / `neg` are valid four edges after `a` / `b`; the signed result is
//! `neg ? -res : res`, applied by the user together with its next add.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct Q15Product {
    pub clock: Signal<In, Clock>,
    pub a: Signal<In, Bits<16>>,
    pub b: Signal<In, Bits<32>>,
    /// |rshift_round(a * b, 15)| and the sign of b, four edges after a, b.
    pub res: Signal<Out, Bits<32>>,
    pub neg: Signal<Out, Bit>,
    q1_a: DFF<Bits<16>>,
    q1_mag: DFF<Bits<32>>,
    q1_neg: DFF<Bit>,
    q2_lo: DFF<Bits<32>>,
    q2_hi: DFF<Bits<32>>,
    q2_neg: DFF<Bit>,
    q3_lo_r: DFF<Bits<32>>,
    q3_hi2: DFF<Bits<32>>,
    q3_neg: DFF<Bit>,
    q4_res: DFF<Bits<32>>,
    q4_neg: DFF<Bit>,
    mag_lo: Signal<Local, Bits<16>>,
    mag_hi: Signal<Local, Bits<16>>,
}

impl Logic for Q15Product {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, q1_a, q1_mag, q1_neg, q2_lo, q2_hi, q2_neg, q3_lo_r, q3_hi2, q3_neg,
            q4_res, q4_neg
        );
        // Q1: operands and |b|.
        self.q1_a.d.next = self.a.val();
        self.q1_neg.d.next = self.b.val().get_bit(31);
        self.q1_mag.d.next = self.b.val();
        if self.b.val().get_bit(31) {
            self.q1_mag.d.next = 0 - self.b.val();
        }
        // Q2: registered 16 x 16 products.
        self.mag_lo.next = self.q1_mag.q.val().get_bits::<16>(0);
        self.mag_hi.next = self.q1_mag.q.val().get_bits::<16>(16);
        self.q2_lo.d.next = self.q1_a.q.val() * self.mag_lo.val();
        self.q2_hi.d.next = self.q1_a.q.val() * self.mag_hi.val();
        self.q2_neg.d.next = self.q1_neg.q.val();
        // Q3: round the low product; Q4: combine.
        if self.q2_neg.q.val() {
            self.q3_lo_r.d.next = (self.q2_lo.q.val() + 0x3FFF) >> 15;
        } else {
            self.q3_lo_r.d.next = (self.q2_lo.q.val() + 0x4000) >> 15;
        }
        self.q3_hi2.d.next = self.q2_hi.q.val() << 1;
        self.q3_neg.d.next = self.q2_neg.q.val();
        self.q4_res.d.next = self.q3_lo_r.q.val() + self.q3_hi2.q.val();
        self.q4_neg.d.next = self.q3_neg.q.val();
        self.res.next = self.q4_res.q.val();
        self.neg.next = self.q4_neg.q.val();
    }
}

impl crate::sim::harness::Clocked for Q15Product {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::harness::SimHarness;
    use crew_spec::numerics::{rshift_round, ACT_FRAC_BITS};

    #[test]
    fn products_match_rshift_round() {
        let mut sim = SimHarness::new(Q15Product::default()).unwrap();
        let mut pairs = vec![];
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
                pairs.push((a, b));
            }
        }
        // One pair per cycle: each result leaves four edges after its operands.
        for k in 0..pairs.len() + 4 {
            if k < pairs.len() {
                sim.uut.a.next = (pairs[k].0 as u32).to_bits();
                sim.uut.b.next = (pairs[k].1 as i32 as u32).to_bits();
            }
            sim.tick().unwrap();
            if k >= 3 && k - 3 < pairs.len() {
                let (a, b) = pairs[k - 3];
                let res = sim.uut.res.val().index() as u32 as i32;
                let got = if sim.uut.neg.val() { -res } else { res };
                let expect = rshift_round(a * b, ACT_FRAC_BITS) as i32;
                assert_eq!(got, expect, "{a} * {b}");
            }
        }
    }
}

crate::synth_test!(Q15Product::default());
