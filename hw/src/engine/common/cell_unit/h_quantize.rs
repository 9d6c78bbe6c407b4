//! `HQuantize`: a Q.15 value to the int8 h (`numerics::q15_to_h`):
//! `clamp(rshift_round(q, 8), -128, 127)`.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct HQuantize {
    pub q: Signal<In, Bits<32>>,
    pub h: Signal<Out, Bits<8>>,
    rounded: Signal<Local, Bits<32>>,
    shifted: Signal<Local, Bits<32>>,
    h_v: Signal<Local, Bits<8>>,
}

impl Logic for HQuantize {
    #[hdl_gen]
    fn update(&mut self) {
        self.rounded.next = self.q.val() + 128;
        self.shifted.next = self.rounded.val() >> 8;
        if self.rounded.val().get_bit(31) {
            self.shifted.next = (self.rounded.val() >> 8) | 0xFF00_0000_u64;
        }
        self.h_v.next = self.shifted.val().get_bits::<8>(0);
        if (self.shifted.val().get_bits::<25>(7) != 0)
            & (self.shifted.val().get_bits::<25>(7) != 0x1FF_FFFF)
        {
            if self.shifted.val().get_bit(31) {
                self.h_v.next = 0x80.into();
            } else {
                self.h_v.next = 0x7F.into();
            }
        }
        // Outputs once (see `datapath_port.rs`).
        self.h.next = self.h_v.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crew_spec::numerics::q15_to_h;

    #[test]
    fn quantized_h_matches_numerics() {
        let mut b = HQuantize::default();
        b.connect_all();
        let edges = [
            -(1i64 << 31) + 200,
            -32_897,
            -32_896,
            -32_895,
            -129,
            -128,
            -127,
            0,
        ];
        let values = edges
            .iter()
            .flat_map(|&v| [v, -v])
            .chain((-300..300).map(|k| k * 113));
        for v in values {
            b.q.next = (v as i32 as u32).to_bits();
            assert!(simulate(&mut b, 10), "settles");
            assert_eq!(b.h.val().index() as u8 as i8, q15_to_h(v), "{v}");
        }
    }
}

crate::synth_test!(HQuantize::default());
