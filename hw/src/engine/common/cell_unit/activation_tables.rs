//! `ActivationTables`: the sigmoid and tanh lookup tables (ROM contents from
//! `crew_spec::numerics`), each read at a 10-bit index (`numerics::lut_index`) with the
//! value one edge later: sigmoid as Q.15 in 0..2^15, tanh sign-extended to 32 bits.

use crew_spec::numerics::{sigmoid_lut, tanh_lut};
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct ActivationTables {
    pub clock: Signal<In, Clock>,
    pub sigmoid_index: Signal<In, Bits<10>>,
    pub tanh_index: Signal<In, Bits<10>>,
    pub sigmoid: Signal<Out, Bits<16>>,
    pub tanh: Signal<Out, Bits<32>>,
    sig: RAM<Bits<16>, 10>,
    tanh_rom: RAM<Bits<16>, 10>,
    tanh_v: Signal<Local, Bits<32>>,
}

impl Default for ActivationTables {
    fn default() -> Self {
        let sig: Vec<Bits<16>> = sigmoid_lut()
            .into_iter()
            .map(|v| (v as u16 as u32).to_bits())
            .collect();
        let tanh: Vec<Bits<16>> = tanh_lut()
            .into_iter()
            .map(|v| (v as i16 as u16 as u32).to_bits())
            .collect();
        ActivationTables {
            clock: Default::default(),
            sigmoid_index: Default::default(),
            tanh_index: Default::default(),
            sigmoid: Default::default(),
            tanh: Default::default(),
            sig: sig.into_iter().into(),
            tanh_rom: tanh.into_iter().into(),
            tanh_v: Default::default(),
        }
    }
}

impl Logic for ActivationTables {
    #[hdl_gen]
    fn update(&mut self) {
        self.sig.read_clock.next = self.clock.val();
        self.sig.write_clock.next = self.clock.val();
        self.tanh_rom.read_clock.next = self.clock.val();
        self.tanh_rom.write_clock.next = self.clock.val();
        self.sig.write_enable.next = false;
        self.tanh_rom.write_enable.next = false;
        self.sig.write_address.next = 0.into();
        self.tanh_rom.write_address.next = 0.into();
        self.sig.write_data.next = 0.into();
        self.tanh_rom.write_data.next = 0.into();
        self.sig.read_address.next = self.sigmoid_index.val();
        self.tanh_rom.read_address.next = self.tanh_index.val();
        self.tanh_v.next = bit_cast::<32, 16>(self.tanh_rom.read_data.val());
        if self.tanh_rom.read_data.val().get_bit(15) {
            self.tanh_v.next = bit_cast::<32, 16>(self.tanh_rom.read_data.val()) | 0xFFFF_0000_u64;
        }
        // Outputs once (see `datapath_port.rs`).
        self.sigmoid.next = self.sig.read_data.val();
        self.tanh.next = self.tanh_v.val();
    }
}

impl crate::sim::harness::Clocked for ActivationTables {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::harness::SimHarness;

    #[test]
    fn each_index_reads_the_numerics_tables_one_edge_later() {
        let (sig, tanh) = (sigmoid_lut(), tanh_lut());
        let mut sim = SimHarness::new(ActivationTables::default()).unwrap();
        for k in [0usize, 1, 300, 511, 512, 513, 900, 1023] {
            sim.uut.sigmoid_index.next = (k as u32).to_bits();
            sim.uut.tanh_index.next = ((1023 - k) as u32).to_bits();
            sim.tick().unwrap();
            assert_eq!(sim.uut.sigmoid.val().index() as i32, sig[k], "sigmoid {k}");
            assert_eq!(
                sim.uut.tanh.val().index() as u32 as i32,
                tanh[1023 - k],
                "tanh {k}"
            );
        }
    }
}

crate::synth_test!(ActivationTables::default());
