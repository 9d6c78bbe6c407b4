//! `Epilogue`: turns accumulators into results, one row per taken epilogue word (bias,
//! multiplier, shift), one row per cycle through a pipeline of registered stages:
//! - E1: acc + bias (the accumulator arrives from a RAM read), clears the accumulator;
//! - E2: FC layers pack four int32 results per word for the write queue; GRU/LSTM layers
//!   take |acc + b| and the rounding bit 2^(shift-1);
//! - E3: |acc + b| * M as four registered 16x16 products (DSP48E1-shaped);
//! - E4-E6: the 64-bit sum P + rounding constant: the middle products summed (E4, the
//!   only add right after the DSP outputs), low + middle and high + rounding constant
//!   side by side (E5), then their sum (E6);
//! - E7: the right shift; E8: saturation to 24 bits and the sign, registered (E9) for the
//!   cell unit's gate buffers.
//!
//! Together `numerics::requantize`: |acc + b| * M, round half up, shift, saturate, sign.
//! Every stage fits about one adder or a few LUT levels (5 ns budget); the extra stages
//! cost only latency, which the router's drain wait (`busy`) absorbs once per pass.

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct Epilogue {
    /// UI clock; all ports are in this domain.
    pub clock: Signal<In, Clock>,
    /// A run starts: FC outputs go to consecutive words from `out_addr`.
    pub run_start: Signal<In, Bit>,
    pub out_addr: Signal<In, Bits<32>>,
    /// GRU/LSTM layer (requantize into the gates) rather than FC (int32 outputs).
    pub rnn: Signal<In, Bit>,
    /// FC layer whose rows are also requantized (for the core's argmax): FC rows then
    /// leave through the gate outputs too.
    pub argmax: Signal<In, Bit>,
    /// An epilogue word is taken this cycle for row `row` of the pass (`last`: the pass's
    /// last row), whose accumulator is in lane `lane` at `slot`, gate `gate` of unit
    /// `unit`.
    pub take: Signal<In, Bit>,
    pub word: Signal<In, Bits<128>>,
    pub lane: Signal<In, Bits<5>>,
    pub slot: Signal<In, Bits<16>>,
    pub gate: Signal<In, Bits<2>>,
    pub unit: Signal<In, Bits<10>>,
    pub row: Signal<In, Bits<2>>,
    pub last: Signal<In, Bit>,
    /// The accumulator of `clear_lane` at `clear_slot`, read the cycle before.
    pub acc: Signal<In, Bits<32>>,
    /// Stage 1 holds a row: its accumulator (lane, slot) is cleared this cycle.
    pub clear: Signal<Out, Bit>,
    pub clear_lane: Signal<Out, Bits<5>>,
    pub clear_slot: Signal<Out, Bits<16>>,
    /// A row is in the pipeline.
    pub busy: Signal<Out, Bit>,
    /// FC: a packed output word for the write queue.
    pub fc_push: Signal<Out, Bit>,
    pub fc_word: Signal<Out, Bits<128>>,
    pub fc_addr: Signal<Out, Bits<32>>,
    /// GRU/LSTM: a gate value for the cell unit.
    pub gate_write: Signal<Out, Bit>,
    pub gate_gate: Signal<Out, Bits<2>>,
    pub gate_unit: Signal<Out, Bits<10>>,
    pub gate_value: Signal<Out, Bits<32>>,
    k_one64: Constant<Bits<64>>,
    // E1: the taken word; the accumulator arrives (from a RAM read) during E1.
    e1_valid: DFF<Bit>,
    e1_bias: DFF<Bits<32>>,
    e1_mult: DFF<Bits<32>>,
    e1_shift: DFF<Bits<6>>,
    e1_lane: DFF<Bits<5>>,
    e1_slot: DFF<Bits<16>>,
    e1_gate: DFF<Bits<2>>,
    e1_unit: DFF<Bits<10>>,
    e1_last: DFF<Bit>,
    e1_row: DFF<Bits<2>>,
    // E2: acc + bias registered (the add follows the accumulator RAM read).
    e2_valid: DFF<Bit>,
    e2_sum: DFF<Bits<32>>,
    e2_row: DFF<Bits<2>>,
    e2_last: DFF<Bit>,
    e2_mult: DFF<Bits<32>>,
    e2_shift: DFF<Bits<6>>,
    e2_gate: DFF<Bits<2>>,
    e2_unit: DFF<Bits<10>>,
    // E3 (RNN): |sum| and the rounding bit 2^(shift-1), multiplier operands from registers.
    e3_valid: DFF<Bit>,
    e3_mag: DFF<Bits<32>>,
    e3_neg: DFF<Bit>,
    e3_mult: DFF<Bits<32>>,
    e3_rc: DFF<Bits<64>>,
    e3_shift: DFF<Bits<6>>,
    e3_gate: DFF<Bits<2>>,
    e3_unit: DFF<Bits<10>>,
    // E4: the four 16x16 partial products of |sum| * M, each a registered DSP product;
    // the rounding bit 2^(shift-1).
    e4_valid: DFF<Bit>,
    e4_p00: DFF<Bits<32>>,
    e4_p01: DFF<Bits<32>>,
    e4_p10: DFF<Bits<32>>,
    e4_p11: DFF<Bits<32>>,
    e4_rc: DFF<Bits<64>>,
    e4_neg: DFF<Bit>,
    e4_shift: DFF<Bits<6>>,
    e4_gate: DFF<Bits<2>>,
    e4_unit: DFF<Bits<10>>,
    // E5: middle products summed; low and high products carried; the rounding constant
    // (2^(shift-1), minus 1 for negative sums: the round half up of -P).
    e5_valid: DFF<Bit>,
    e5_mid: DFF<Bits<64>>,
    e5_lo: DFF<Bits<32>>,
    e5_hi: DFF<Bits<32>>,
    e5_rc: DFF<Bits<64>>,
    e5_neg: DFF<Bit>,
    e5_shift: DFF<Bits<6>>,
    e5_gate: DFF<Bits<2>>,
    e5_unit: DFF<Bits<10>>,
    // E6: low + (mid << 16); (high << 32) + rounding constant.
    e6_valid: DFF<Bit>,
    e6_acc: DFF<Bits<64>>,
    e6_hirc: DFF<Bits<64>>,
    e6_neg: DFF<Bit>,
    e6_shift: DFF<Bits<6>>,
    e6_gate: DFF<Bits<2>>,
    e6_unit: DFF<Bits<10>>,
    // E7: the rounded 64-bit product P + rc.
    e7_valid: DFF<Bit>,
    e7_round: DFF<Bits<64>>,
    e7_neg: DFF<Bit>,
    e7_shift: DFF<Bits<6>>,
    e7_gate: DFF<Bits<2>>,
    e7_unit: DFF<Bits<10>>,
    // E8: shifted right (64-bit barrel shifter in its own stage).
    e8_valid: DFF<Bit>,
    e8_q: DFF<Bits<64>>,
    e8_neg: DFF<Bit>,
    e8_gate: DFF<Bits<2>>,
    e8_unit: DFF<Bits<10>>,
    // E9: saturated, signed gate value: registered output to the gate buffers.
    e9_valid: DFF<Bit>,
    e9_value: DFF<Bits<32>>,
    e9_gate: DFF<Bits<2>>,
    e9_unit: DFF<Bits<10>>,
    fc_pack: DFF<Bits<128>>,
    fc_ptr: DFF<Bits<32>>,
    e_sum: Signal<Local, Bits<32>>,
    e_pack: Signal<Local, Bits<128>>,
    e_mag_lo: Signal<Local, Bits<16>>,
    e_mag_hi: Signal<Local, Bits<16>>,
    e_mult_lo: Signal<Local, Bits<16>>,
    e_mult_hi: Signal<Local, Bits<16>>,
    e_sat: Signal<Local, Bits<32>>,
    fc_push_v: Signal<Local, Bit>,
}

impl Default for Epilogue {
    fn default() -> Self {
        Epilogue {
            clock: Default::default(),
            run_start: Default::default(),
            out_addr: Default::default(),
            rnn: Default::default(),
            argmax: Default::default(),
            take: Default::default(),
            word: Default::default(),
            lane: Default::default(),
            slot: Default::default(),
            gate: Default::default(),
            unit: Default::default(),
            row: Default::default(),
            last: Default::default(),
            acc: Default::default(),
            clear: Default::default(),
            clear_lane: Default::default(),
            clear_slot: Default::default(),
            busy: Default::default(),
            fc_push: Default::default(),
            fc_word: Default::default(),
            fc_addr: Default::default(),
            gate_write: Default::default(),
            gate_gate: Default::default(),
            gate_unit: Default::default(),
            gate_value: Default::default(),
            k_one64: Constant::new(1u64.to_bits()),
            e1_valid: Default::default(),
            e1_bias: Default::default(),
            e1_mult: Default::default(),
            e1_shift: Default::default(),
            e1_lane: Default::default(),
            e1_slot: Default::default(),
            e1_gate: Default::default(),
            e1_unit: Default::default(),
            e1_last: Default::default(),
            e1_row: Default::default(),
            e2_valid: Default::default(),
            e2_sum: Default::default(),
            e2_row: Default::default(),
            e2_last: Default::default(),
            e2_mult: Default::default(),
            e2_shift: Default::default(),
            e2_gate: Default::default(),
            e2_unit: Default::default(),
            e3_valid: Default::default(),
            e3_mag: Default::default(),
            e3_neg: Default::default(),
            e3_mult: Default::default(),
            e3_rc: Default::default(),
            e3_shift: Default::default(),
            e3_gate: Default::default(),
            e3_unit: Default::default(),
            e4_valid: Default::default(),
            e4_p00: Default::default(),
            e4_p01: Default::default(),
            e4_p10: Default::default(),
            e4_p11: Default::default(),
            e4_rc: Default::default(),
            e4_neg: Default::default(),
            e4_shift: Default::default(),
            e4_gate: Default::default(),
            e4_unit: Default::default(),
            e5_valid: Default::default(),
            e5_mid: Default::default(),
            e5_lo: Default::default(),
            e5_hi: Default::default(),
            e5_rc: Default::default(),
            e5_neg: Default::default(),
            e5_shift: Default::default(),
            e5_gate: Default::default(),
            e5_unit: Default::default(),
            e6_valid: Default::default(),
            e6_acc: Default::default(),
            e6_hirc: Default::default(),
            e6_neg: Default::default(),
            e6_shift: Default::default(),
            e6_gate: Default::default(),
            e6_unit: Default::default(),
            e7_valid: Default::default(),
            e7_round: Default::default(),
            e7_neg: Default::default(),
            e7_shift: Default::default(),
            e7_gate: Default::default(),
            e7_unit: Default::default(),
            e8_valid: Default::default(),
            e8_q: Default::default(),
            e8_neg: Default::default(),
            e8_gate: Default::default(),
            e8_unit: Default::default(),
            e9_valid: Default::default(),
            e9_value: Default::default(),
            e9_gate: Default::default(),
            e9_unit: Default::default(),
            fc_pack: Default::default(),
            fc_ptr: Default::default(),
            e_sum: Signal::default(),
            e_pack: Signal::default(),
            e_mag_lo: Signal::default(),
            e_mag_hi: Signal::default(),
            e_mult_lo: Signal::default(),
            e_mult_hi: Signal::default(),
            e_sat: Signal::default(),
            fc_push_v: Default::default(),
        }
    }
}

impl Logic for Epilogue {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, e1_valid, e1_bias, e1_mult, e1_shift, e1_lane, e1_slot, e1_gate, e1_unit,
            e1_last, e1_row, e2_valid, e2_sum, e2_row, e2_last, e2_mult, e2_shift, e2_gate,
            e2_unit, e3_valid, e3_mag, e3_neg, e3_mult, e3_rc, e3_shift, e3_gate, e3_unit,
            e4_valid, e4_p00, e4_p01, e4_p10, e4_p11, e4_rc, e4_neg, e4_shift, e4_gate, e4_unit,
            e5_valid, e5_mid, e5_lo, e5_hi, e5_rc, e5_neg, e5_shift, e5_gate, e5_unit, e6_valid,
            e6_acc, e6_hirc, e6_neg, e6_shift, e6_gate, e6_unit, e7_valid, e7_round, e7_neg,
            e7_shift, e7_gate, e7_unit, e8_valid, e8_q, e8_neg, e8_gate, e8_unit, e9_valid,
            e9_value, e9_gate, e9_unit, fc_pack, fc_ptr
        );
        if self.run_start.val() {
            self.fc_ptr.d.next = self.out_addr.val();
        }
        self.e1_valid.d.next = self.take.val();
        if self.take.val() {
            self.e1_bias.d.next = self.word.val().get_bits::<32>(0);
            self.e1_mult.d.next = self.word.val().get_bits::<32>(32);
            self.e1_shift.d.next = self.word.val().get_bits::<6>(64);
            self.e1_lane.d.next = self.lane.val();
            self.e1_slot.d.next = self.slot.val();
            self.e1_gate.d.next = self.gate.val();
            self.e1_unit.d.next = self.unit.val();
            self.e1_row.d.next = self.row.val();
            self.e1_last.d.next = self.last.val();
        }
        self.busy.next = self.e1_valid.q.val()
            | self.e2_valid.q.val()
            | self.e3_valid.q.val()
            | self.e4_valid.q.val()
            | self.e5_valid.q.val()
            | self.e6_valid.q.val()
            | self.e7_valid.q.val()
            | self.e8_valid.q.val()
            | self.e9_valid.q.val();
        self.clear.next = self.e1_valid.q.val();
        self.clear_lane.next = self.e1_lane.q.val();
        self.clear_slot.next = self.e1_slot.q.val();

        // E1: acc + bias, registered (the accumulator comes straight from a RAM read).
        self.e_sum.next = self.acc.val() + self.e1_bias.q.val();
        self.e2_valid.d.next = self.e1_valid.q.val();
        self.e2_sum.d.next = self.e_sum.val();
        self.e2_row.d.next = self.e1_row.q.val();
        self.e2_last.d.next = self.e1_last.q.val();
        self.e2_mult.d.next = self.e1_mult.q.val();
        self.e2_shift.d.next = self.e1_shift.q.val();
        self.e2_gate.d.next = self.e1_gate.q.val();
        self.e2_unit.d.next = self.e1_unit.q.val();

        // E2: FC packs the sum; GRU/LSTM takes its magnitude and the rounding bit.
        self.e_pack.next = 0.into();
        if self.e2_valid.q.val() {
            self.e_pack.next = self.fc_pack.q.val()
                | (bit_cast::<128, 32>(self.e2_sum.q.val())
                    << (bit_cast::<7, 2>(self.e2_row.q.val()) << 5));
            if self.e2_row.q.val() == 0 {
                self.e_pack.next = bit_cast::<128, 32>(self.e2_sum.q.val());
            }
        }
        self.fc_push_v.next = false;
        self.fc_word.next = self.e_pack.val();
        self.fc_addr.next = self.fc_ptr.q.val();
        self.e3_valid.d.next = self.e2_valid.q.val() & (self.rnn.val() | self.argmax.val());
        self.e3_neg.d.next = self.e2_sum.q.val().get_bit(31);
        self.e3_mag.d.next = self.e2_sum.q.val();
        if self.e2_sum.q.val().get_bit(31) {
            self.e3_mag.d.next = 0 - self.e2_sum.q.val();
        }
        self.e3_mult.d.next = self.e2_mult.q.val();
        self.e3_rc.d.next = self.k_one64.val() << (self.e2_shift.q.val() - 1);
        self.e3_shift.d.next = self.e2_shift.q.val();
        self.e3_gate.d.next = self.e2_gate.q.val();
        self.e3_unit.d.next = self.e2_unit.q.val();
        if self.e2_valid.q.val() & !self.rnn.val() {
            self.fc_pack.d.next = self.e_pack.val();
            if (self.e2_row.q.val() == 3) | self.e2_last.q.val() {
                self.fc_push_v.next = true;
                self.fc_ptr.d.next = self.fc_ptr.q.val() + 1;
            }
        }

        // E3: |sum| * M as four registered 16x16 products (operands straight from
        // registers, products straight into registers: DSP48E1 with input and output
        // registers).
        self.e_mag_lo.next = self.e3_mag.q.val().get_bits::<16>(0);
        self.e_mag_hi.next = self.e3_mag.q.val().get_bits::<16>(16);
        self.e_mult_lo.next = self.e3_mult.q.val().get_bits::<16>(0);
        self.e_mult_hi.next = self.e3_mult.q.val().get_bits::<16>(16);
        self.e4_valid.d.next = self.e3_valid.q.val();
        self.e4_p00.d.next = self.e_mag_lo.val() * self.e_mult_lo.val();
        self.e4_p01.d.next = self.e_mag_lo.val() * self.e_mult_hi.val();
        self.e4_p10.d.next = self.e_mag_hi.val() * self.e_mult_lo.val();
        self.e4_p11.d.next = self.e_mag_hi.val() * self.e_mult_hi.val();
        self.e4_rc.d.next = self.e3_rc.q.val();
        self.e4_neg.d.next = self.e3_neg.q.val();
        self.e4_shift.d.next = self.e3_shift.q.val();
        self.e4_gate.d.next = self.e3_gate.q.val();
        self.e4_unit.d.next = self.e3_unit.q.val();

        // E4: the middle products summed (a 33-bit add after the DSP clock-to-out).
        self.e5_valid.d.next = self.e4_valid.q.val();
        self.e5_mid.d.next =
            bit_cast::<64, 32>(self.e4_p01.q.val()) + bit_cast::<64, 32>(self.e4_p10.q.val());
        self.e5_lo.d.next = self.e4_p00.q.val();
        self.e5_hi.d.next = self.e4_p11.q.val();
        // rc - 1 for negative sums (here rather than in E3: a chain of plain copies
        // of rc would become an SRL16, whose 1.5 ns clock-to-out starts E6's add).
        self.e5_rc.d.next = self.e4_rc.q.val();
        if self.e4_neg.q.val() {
            self.e5_rc.d.next = self.e4_rc.q.val() - 1;
        }
        self.e5_neg.d.next = self.e4_neg.q.val();
        self.e5_shift.d.next = self.e4_shift.q.val();
        self.e5_gate.d.next = self.e4_gate.q.val();
        self.e5_unit.d.next = self.e4_unit.q.val();

        // E5: low + (mid << 16) and (hi << 32) + rounding constant, side by side.
        self.e6_valid.d.next = self.e5_valid.q.val();
        self.e6_acc.d.next = bit_cast::<64, 32>(self.e5_lo.q.val()) + (self.e5_mid.q.val() << 16);
        self.e6_hirc.d.next = (bit_cast::<64, 32>(self.e5_hi.q.val()) << 32) + self.e5_rc.q.val();
        self.e6_neg.d.next = self.e5_neg.q.val();
        self.e6_shift.d.next = self.e5_shift.q.val();
        self.e6_gate.d.next = self.e5_gate.q.val();
        self.e6_unit.d.next = self.e5_unit.q.val();

        // E6: the rounded product P + rc.
        self.e7_valid.d.next = self.e6_valid.q.val();
        self.e7_round.d.next = self.e6_acc.q.val() + self.e6_hirc.q.val();
        self.e7_neg.d.next = self.e6_neg.q.val();
        self.e7_shift.d.next = self.e6_shift.q.val();
        self.e7_gate.d.next = self.e6_gate.q.val();
        self.e7_unit.d.next = self.e6_unit.q.val();

        // E7: shift.
        self.e8_valid.d.next = self.e7_valid.q.val();
        self.e8_q.d.next = self.e7_round.q.val() >> self.e7_shift.q.val();
        self.e8_neg.d.next = self.e7_neg.q.val();
        self.e8_gate.d.next = self.e7_gate.q.val();
        self.e8_unit.d.next = self.e7_unit.q.val();

        // E8: saturate to 24 bits, restore the sign; registered towards the gate buffers.
        if self.e8_neg.q.val() {
            self.e_sat.next = 0 - bit_cast::<32, 24>(self.e8_q.q.val().get_bits::<24>(0));
            if (self.e8_q.q.val().get_bits::<40>(24) != 0)
                | (self.e8_q.q.val().get_bit(23) & (self.e8_q.q.val().get_bits::<23>(0) != 0))
            {
                self.e_sat.next = 0xFF80_0000_u64.into();
            }
        } else {
            self.e_sat.next = bit_cast::<32, 23>(self.e8_q.q.val().get_bits::<23>(0));
            if self.e8_q.q.val().get_bits::<41>(23) != 0 {
                self.e_sat.next = 0x007F_FFFF.into();
            }
        }
        self.e9_valid.d.next = self.e8_valid.q.val();
        self.e9_value.d.next = self.e_sat.val();
        self.e9_gate.d.next = self.e8_gate.q.val();
        self.e9_unit.d.next = self.e8_unit.q.val();

        self.gate_write.next = self.e9_valid.q.val();
        self.gate_gate.next = self.e9_gate.q.val();
        self.gate_unit.next = self.e9_unit.q.val();
        self.gate_value.next = self.e9_value.q.val();
        // Outputs once (see `datapath_port.rs`).
        self.fc_push.next = self.fc_push_v.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::harness::{Clocked, SimHarness};
    use crew_spec::image::EpilogueRow;
    use crew_spec::numerics::{quantize_multiplier, requantize};

    impl Clocked for Epilogue {
        fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
            &mut self.clock
        }
    }

    /// Feeds one row (accumulator `acc`) and returns (FC word, gate value) as they leave.
    fn row(rnn: bool, acc: i32, r: EpilogueRow) -> (u128, i32) {
        let mut sim = SimHarness::new(Epilogue::default()).unwrap();
        sim.uut.rnn.next = rnn;
        sim.uut.take.next = true;
        sim.uut.last.next = true;
        sim.uut.word.next = r.to_word().to_bits();
        sim.tick().unwrap();
        sim.uut.take.next = false;
        sim.uut.acc.next = (acc as u32).to_bits();
        let mut fc = None;
        let mut gate = None;
        for _ in 0..12 {
            simulate(&mut sim.uut, 20);
            if sim.uut.fc_push.val() {
                fc = Some(sim.uut.fc_word.val().to_u128());
            }
            if sim.uut.gate_write.val() {
                gate = Some(sim.uut.gate_value.val().index() as u32 as i32);
            }
            sim.tick().unwrap();
        }
        (fc.unwrap_or(0), gate.unwrap_or(i32::MIN))
    }

    #[test]
    fn fc_rows_add_the_bias_and_rnn_rows_requantize() {
        let (multiplier, shift) = quantize_multiplier(0.37);
        let r = EpilogueRow {
            bias: -1234,
            multiplier,
            shift,
        };
        assert_eq!(row(false, 50_000, r).0 as u32 as i32, 50_000 - 1234);
        for acc in [0, 1, -1, 99_999, -77_777, i32::MAX / 4] {
            let want = requantize(acc.wrapping_add(r.bias), multiplier, shift);
            assert_eq!(row(true, acc, r).1, want, "acc {acc}");
        }
    }

    /// Rows one per cycle (as the router feeds them): FC words and gate values in order.
    #[test]
    fn back_to_back_rows_leave_in_order() {
        let (multiplier, shift) = quantize_multiplier(0.0123);
        let n = 10usize;
        let accs: Vec<i32> = (0..n as i32).map(|k| k * 77_777 - 300_000).collect();
        let rows: Vec<EpilogueRow> = (0..n as i32)
            .map(|k| EpilogueRow {
                bias: k * 13 - 50,
                multiplier,
                shift,
            })
            .collect();
        for rnn in [false, true] {
            let mut sim = SimHarness::new(Epilogue::default()).unwrap();
            sim.uut.rnn.next = rnn;
            sim.uut.run_start.next = true;
            sim.tick().unwrap();
            sim.uut.run_start.next = false;
            let mut fc = vec![];
            let mut gates = vec![];
            for k in 0..n + 14 {
                let u = &mut sim.uut;
                u.take.next = k < n;
                if k < n {
                    u.word.next = rows[k].to_word().to_bits();
                    u.row.next = ((k % 4) as u32).to_bits();
                    u.unit.next = (k as u32).to_bits();
                    u.last.next = k + 1 == n;
                }
                if k >= 1 && k - 1 < n {
                    u.acc.next = (accs[k - 1] as u32).to_bits();
                }
                simulate(&mut sim.uut, 20);
                if sim.uut.fc_push.val() {
                    fc.push(sim.uut.fc_word.val().to_u128());
                }
                if sim.uut.gate_write.val() {
                    gates.push((
                        sim.uut.gate_unit.val().index(),
                        sim.uut.gate_value.val().index() as u32 as i32,
                    ));
                }
                sim.tick().unwrap();
            }
            if rnn {
                let want: Vec<(usize, i32)> = (0..n)
                    .map(|k| {
                        (
                            k,
                            requantize(accs[k].wrapping_add(rows[k].bias), multiplier, shift),
                        )
                    })
                    .collect();
                assert_eq!(gates, want);
            } else {
                let sums: Vec<u32> = (0..n)
                    .map(|k| accs[k].wrapping_add(rows[k].bias) as u32)
                    .collect();
                let want: Vec<u128> = sums
                    .chunks(4)
                    .map(|c| {
                        c.iter()
                            .enumerate()
                            .fold(0u128, |w, (i, &v)| w | (v as u128) << (32 * i))
                    })
                    .collect();
                assert_eq!(fc, want);
            }
        }
    }
}

crate::synth_test!(Epilogue::default());
