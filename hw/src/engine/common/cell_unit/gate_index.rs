//! `GateIndex`: a sum of two gate values saturated to the 24-bit gate range
//! (`numerics::sat_gate`) and its activation-table index (`numerics::lut_index`).

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct GateIndex {
    /// Two's complement sum (Q.12), already added in 32 bits.
    pub sum: Signal<In, Bits<32>>,
    /// `lut_index(sat_gate(sum))`.
    pub index: Signal<Out, Bits<10>>,
    sat: Signal<Local, Bits<32>>,
    idx: Signal<Local, Bits<10>>,
}

impl Logic for GateIndex {
    #[hdl_gen]
    fn update(&mut self) {
        self.sat.next = self.sum.val();
        if (self.sum.val().get_bits::<9>(23) != 0) & (self.sum.val().get_bits::<9>(23) != 511) {
            if self.sum.val().get_bit(31) {
                self.sat.next = 0xFF80_0000_u64.into();
            } else {
                self.sat.next = 0x007F_FFFF.into();
            }
        }
        // Bits 15..6 of the Q.12 value with the sign bit flipped, clamped to 0..1023.
        self.idx.next = (bit_cast::<10, 9>(self.sat.val().get_bits::<9>(6))
            | (bit_cast::<10, 1>(self.sat.val().get_bits::<1>(15)) << 9))
            ^ 0x200;
        if (self.sat.val().get_bits::<17>(15) != 0)
            & (self.sat.val().get_bits::<17>(15) != 0x1_FFFF)
        {
            if self.sat.val().get_bit(31) {
                self.idx.next = 0.into();
            } else {
                self.idx.next = 1023.into();
            }
        }
        // Outputs once (see `datapath_port.rs`).
        self.index.next = self.idx.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crew_spec::numerics::{lut_index, sat_gate};

    #[test]
    fn saturation_and_index_match_numerics() {
        let mut g = GateIndex::default();
        g.connect_all();
        let edges = [
            -(1i64 << 31),
            -(1 << 23) - 1,
            -(1 << 23),
            -32769,
            -32768,
            -65,
            -64,
            -1,
        ];
        let values = edges
            .iter()
            .flat_map(|&v| [v, -v - 1, v + 1])
            .chain((-40..40).map(|k| k * 1031));
        for v in values {
            let v = v.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
            g.sum.next = (v as u32).to_bits();
            assert!(simulate(&mut g, 10), "settles");
            assert_eq!(g.index.val().index(), lut_index(sat_gate(v as i64)), "{v}");
        }
    }
}

crate::synth_test!(GateIndex::default());
