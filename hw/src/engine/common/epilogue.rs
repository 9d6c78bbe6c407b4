//! `Epilogue`: turns accumulators into results, one row per taken epilogue word (bias,
//! multiplier, shift). Stage 1 adds the bias to the row's accumulator and clears it; for
//! FC layers it packs four int32 results per word for the write queue, for GRU/LSTM
//! layers stages 2-3 requantize (`numerics::requantize`: |acc + b| * M, round half up,
//! shift, saturate to 24 bits, sign) into the cell unit's gate buffers.

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
    e2_valid: DFF<Bit>,
    e2_mag: DFF<Bits<32>>,
    e2_neg: DFF<Bit>,
    e2_mult: DFF<Bits<32>>,
    e2_shift: DFF<Bits<6>>,
    e2_gate: DFF<Bits<2>>,
    e2_unit: DFF<Bits<10>>,
    e3_valid: DFF<Bit>,
    e3_p: DFF<Bits<64>>,
    e3_neg: DFF<Bit>,
    e3_shift: DFF<Bits<6>>,
    e3_gate: DFF<Bits<2>>,
    e3_unit: DFF<Bits<10>>,
    fc_pack: DFF<Bits<128>>,
    fc_ptr: DFF<Bits<32>>,
    e_sum: Signal<Local, Bits<32>>,
    e_pack: Signal<Local, Bits<128>>,
    e_round: Signal<Local, Bits<64>>,
    e_q: Signal<Local, Bits<64>>,
    fc_push_v: Signal<Local, Bit>,
    gate_value_v: Signal<Local, Bits<32>>,
}

impl Default for Epilogue {
    fn default() -> Self {
        Epilogue {
            clock: Default::default(),
            run_start: Default::default(),
            out_addr: Default::default(),
            rnn: Default::default(),
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
            e2_mag: Default::default(),
            e2_neg: Default::default(),
            e2_mult: Default::default(),
            e2_shift: Default::default(),
            e2_gate: Default::default(),
            e2_unit: Default::default(),
            e3_valid: Default::default(),
            e3_p: Default::default(),
            e3_neg: Default::default(),
            e3_shift: Default::default(),
            e3_gate: Default::default(),
            e3_unit: Default::default(),
            fc_pack: Default::default(),
            fc_ptr: Default::default(),
            e_sum: Signal::default(),
            e_pack: Signal::default(),
            e_round: Signal::default(),
            e_q: Signal::default(),
            fc_push_v: Default::default(),
            gate_value_v: Default::default(),
        }
    }
}

impl Logic for Epilogue {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, e1_valid, e1_bias, e1_mult, e1_shift, e1_lane, e1_slot, e1_gate, e1_unit,
            e1_last, e1_row, e2_valid, e2_mag, e2_neg, e2_mult, e2_shift, e2_gate, e2_unit,
            e3_valid, e3_p, e3_neg, e3_shift, e3_gate, e3_unit, fc_pack, fc_ptr
        );
        self.e1_valid.d.next = false;
        self.e2_valid.d.next = false;
        self.e3_valid.d.next = false;
        if self.run_start.val() {
            self.fc_ptr.d.next = self.out_addr.val();
        }
        if self.take.val() {
            self.e1_valid.d.next = true;
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
        self.busy.next = self.e1_valid.q.val() | self.e2_valid.q.val() | self.e3_valid.q.val();
        self.clear.next = self.e1_valid.q.val();
        self.clear_lane.next = self.e1_lane.q.val();
        self.clear_slot.next = self.e1_slot.q.val();

        // Stage 1: acc + bias; FC packs it, GRU/LSTM takes its magnitude.
        self.e_sum.next = self.acc.val() + self.e1_bias.q.val();
        self.e_pack.next = 0.into();
        if self.e1_valid.q.val() {
            self.e_pack.next = self.fc_pack.q.val()
                | (bit_cast::<128, 32>(self.e_sum.val())
                    << (bit_cast::<7, 2>(self.e1_row.q.val()) << 5));
            if self.e1_row.q.val() == 0 {
                self.e_pack.next = bit_cast::<128, 32>(self.e_sum.val());
            }
        }
        self.fc_push_v.next = false;
        self.fc_word.next = self.e_pack.val();
        self.fc_addr.next = self.fc_ptr.q.val();
        if self.e1_valid.q.val() {
            if self.rnn.val() {
                self.e2_valid.d.next = true;
                self.e2_neg.d.next = self.e_sum.val().get_bit(31);
                self.e2_mag.d.next = self.e_sum.val();
                if self.e_sum.val().get_bit(31) {
                    self.e2_mag.d.next = 0 - self.e_sum.val();
                }
                self.e2_mult.d.next = self.e1_mult.q.val();
                self.e2_shift.d.next = self.e1_shift.q.val();
                self.e2_gate.d.next = self.e1_gate.q.val();
                self.e2_unit.d.next = self.e1_unit.q.val();
            } else {
                self.fc_pack.d.next = self.e_pack.val();
                if (self.e1_row.q.val() == 3) | self.e1_last.q.val() {
                    self.fc_push_v.next = true;
                    self.fc_ptr.d.next = self.fc_ptr.q.val() + 1;
                }
            }
        }
        // Stage 2: |acc| * M as four 16x16 products.
        if self.e2_valid.q.val() {
            self.e3_valid.d.next = true;
            self.e3_p.d.next = bit_cast::<64, 32>(
                self.e2_mag.q.val().get_bits::<16>(0) * self.e2_mult.q.val().get_bits::<16>(0),
            ) + (bit_cast::<64, 32>(
                self.e2_mag.q.val().get_bits::<16>(0) * self.e2_mult.q.val().get_bits::<16>(16),
            ) << 16)
                + (bit_cast::<64, 32>(
                    self.e2_mag.q.val().get_bits::<16>(16) * self.e2_mult.q.val().get_bits::<16>(0),
                ) << 16)
                + (bit_cast::<64, 32>(
                    self.e2_mag.q.val().get_bits::<16>(16)
                        * self.e2_mult.q.val().get_bits::<16>(16),
                ) << 32);
            self.e3_neg.d.next = self.e2_neg.q.val();
            self.e3_shift.d.next = self.e2_shift.q.val();
            self.e3_gate.d.next = self.e2_gate.q.val();
            self.e3_unit.d.next = self.e2_unit.q.val();
        }
        // Stage 3: round half up, shift, saturate to 24 bits, restore the sign.
        self.e_round.next = 0.into();
        self.e_q.next = 0.into();
        self.gate_value_v.next = 0.into();
        if self.e3_valid.q.val() {
            self.e_round.next =
                self.e3_p.q.val() + (self.k_one64.val() << (self.e3_shift.q.val() - 1));
            if self.e3_neg.q.val() {
                self.e_round.next =
                    self.e3_p.q.val() + (self.k_one64.val() << (self.e3_shift.q.val() - 1)) - 1;
            }
            self.e_q.next = self.e_round.val() >> self.e3_shift.q.val();
            if self.e3_neg.q.val() {
                self.gate_value_v.next = 0 - bit_cast::<32, 24>(self.e_q.val().get_bits::<24>(0));
                if (self.e_q.val().get_bits::<40>(24) != 0)
                    | (self.e_q.val().get_bit(23) & (self.e_q.val().get_bits::<23>(0) != 0))
                {
                    self.gate_value_v.next = 0xFF80_0000_u64.into();
                }
            } else {
                self.gate_value_v.next = bit_cast::<32, 23>(self.e_q.val().get_bits::<23>(0));
                if self.e_q.val().get_bits::<41>(23) != 0 {
                    self.gate_value_v.next = 0x007F_FFFF.into();
                }
            }
        }
        self.gate_write.next = self.e3_valid.q.val();
        self.gate_gate.next = self.e3_gate.q.val();
        self.gate_unit.next = self.e3_unit.q.val();
        // Outputs once (see `datapath_port.rs`).
        self.fc_push.next = self.fc_push_v.val();
        self.gate_value.next = self.gate_value_v.val();
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
        for _ in 0..4 {
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
}

crate::synth_test!(Epilogue::default());
