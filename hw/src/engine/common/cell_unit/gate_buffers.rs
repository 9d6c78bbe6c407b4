//! `GateBuffers`: the requantized gate values of one step, one RAM per pass (x, h) and
//! gate (up to 4), written by the epilogue and read at the cell unit's current unit (the
//! registered read shows them one edge after `unit` changes).

use super::GATE_ADDR_BITS;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct GateBuffers {
    pub clock: Signal<In, Clock>,
    /// Gate value write: pass (0 = x, 1 = h), gate, unit, Q.12 value.
    pub write: Signal<In, Bit>,
    pub pass: Signal<In, Bit>,
    pub gate: Signal<In, Bits<2>>,
    pub unit: Signal<In, Bits<GATE_ADDR_BITS>>,
    pub value: Signal<In, Bits<32>>,
    /// The unit read; x pass gates 0..3 and h pass gates 0..3 of it.
    pub read_unit: Signal<In, Bits<GATE_ADDR_BITS>>,
    pub x0: Signal<Out, Bits<32>>,
    pub x1: Signal<Out, Bits<32>>,
    pub x2: Signal<Out, Bits<32>>,
    pub x3: Signal<Out, Bits<32>>,
    pub h0: Signal<Out, Bits<32>>,
    pub h1: Signal<Out, Bits<32>>,
    pub h2: Signal<Out, Bits<32>>,
    pub h3: Signal<Out, Bits<32>>,
    gx0: RAM<Bits<32>, GATE_ADDR_BITS>,
    gx1: RAM<Bits<32>, GATE_ADDR_BITS>,
    gx2: RAM<Bits<32>, GATE_ADDR_BITS>,
    gx3: RAM<Bits<32>, GATE_ADDR_BITS>,
    gh0: RAM<Bits<32>, GATE_ADDR_BITS>,
    gh1: RAM<Bits<32>, GATE_ADDR_BITS>,
    gh2: RAM<Bits<32>, GATE_ADDR_BITS>,
    gh3: RAM<Bits<32>, GATE_ADDR_BITS>,
}

impl Logic for GateBuffers {
    #[hdl_gen]
    fn update(&mut self) {
        self.gx0.read_clock.next = self.clock.val();
        self.gx0.write_clock.next = self.clock.val();
        self.gx1.read_clock.next = self.clock.val();
        self.gx1.write_clock.next = self.clock.val();
        self.gx2.read_clock.next = self.clock.val();
        self.gx2.write_clock.next = self.clock.val();
        self.gx3.read_clock.next = self.clock.val();
        self.gx3.write_clock.next = self.clock.val();
        self.gh0.read_clock.next = self.clock.val();
        self.gh0.write_clock.next = self.clock.val();
        self.gh1.read_clock.next = self.clock.val();
        self.gh1.write_clock.next = self.clock.val();
        self.gh2.read_clock.next = self.clock.val();
        self.gh2.write_clock.next = self.clock.val();
        self.gh3.read_clock.next = self.clock.val();
        self.gh3.write_clock.next = self.clock.val();
        self.gx0.write_address.next = self.unit.val();
        self.gx1.write_address.next = self.unit.val();
        self.gx2.write_address.next = self.unit.val();
        self.gx3.write_address.next = self.unit.val();
        self.gh0.write_address.next = self.unit.val();
        self.gh1.write_address.next = self.unit.val();
        self.gh2.write_address.next = self.unit.val();
        self.gh3.write_address.next = self.unit.val();
        self.gx0.write_data.next = self.value.val();
        self.gx1.write_data.next = self.value.val();
        self.gx2.write_data.next = self.value.val();
        self.gx3.write_data.next = self.value.val();
        self.gh0.write_data.next = self.value.val();
        self.gh1.write_data.next = self.value.val();
        self.gh2.write_data.next = self.value.val();
        self.gh3.write_data.next = self.value.val();
        self.gx0.write_enable.next = self.write.val() & !self.pass.val() & (self.gate.val() == 0);
        self.gx1.write_enable.next = self.write.val() & !self.pass.val() & (self.gate.val() == 1);
        self.gx2.write_enable.next = self.write.val() & !self.pass.val() & (self.gate.val() == 2);
        self.gx3.write_enable.next = self.write.val() & !self.pass.val() & (self.gate.val() == 3);
        self.gh0.write_enable.next = self.write.val() & self.pass.val() & (self.gate.val() == 0);
        self.gh1.write_enable.next = self.write.val() & self.pass.val() & (self.gate.val() == 1);
        self.gh2.write_enable.next = self.write.val() & self.pass.val() & (self.gate.val() == 2);
        self.gh3.write_enable.next = self.write.val() & self.pass.val() & (self.gate.val() == 3);
        self.gx0.read_address.next = self.read_unit.val();
        self.gx1.read_address.next = self.read_unit.val();
        self.gx2.read_address.next = self.read_unit.val();
        self.gx3.read_address.next = self.read_unit.val();
        self.gh0.read_address.next = self.read_unit.val();
        self.gh1.read_address.next = self.read_unit.val();
        self.gh2.read_address.next = self.read_unit.val();
        self.gh3.read_address.next = self.read_unit.val();
        self.x0.next = self.gx0.read_data.val();
        self.x1.next = self.gx1.read_data.val();
        self.x2.next = self.gx2.read_data.val();
        self.x3.next = self.gx3.read_data.val();
        self.h0.next = self.gh0.read_data.val();
        self.h1.next = self.gh1.read_data.val();
        self.h2.next = self.gh2.read_data.val();
        self.h3.next = self.gh3.read_data.val();
    }
}

impl crate::sim::harness::Clocked for GateBuffers {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::super::MAX_HIDDEN;
    use super::*;
    use crate::sim::harness::SimHarness;

    fn value(pass: usize, gate: usize, unit: usize) -> u32 {
        (pass * 0x4000_0000 + gate * 0x0100_0000 + unit * 7 + 1) as u32
    }

    #[test]
    fn each_pass_and_gate_reads_back_what_was_written_at_its_unit() {
        let mut sim = SimHarness::new(GateBuffers::default()).unwrap();
        let units = [0usize, 1, 2, 300, MAX_HIDDEN - 1];
        for pass in 0..2 {
            for gate in 0..4 {
                for &unit in &units {
                    let b = &mut sim.uut;
                    b.write.next = true;
                    b.pass.next = pass == 1;
                    b.gate.next = (gate as u32).to_bits();
                    b.unit.next = (unit as u32).to_bits();
                    b.value.next = value(pass, gate, unit).to_bits();
                    sim.tick().unwrap();
                }
            }
        }
        sim.uut.write.next = false;
        for &unit in &units {
            sim.uut.read_unit.next = (unit as u32).to_bits();
            sim.tick().unwrap();
            let b = &sim.uut;
            let read = [&b.x0, &b.x1, &b.x2, &b.x3, &b.h0, &b.h1, &b.h2, &b.h3]
                .map(|s| s.val().index() as u32);
            let expect: Vec<u32> = (0..8).map(|k| value(k / 4, k % 4, unit)).collect();
            assert_eq!(read.to_vec(), expect, "unit {unit}");
        }
    }
}

crate::synth_test!(GateBuffers::default());
