//! `MagnitudeProduct`: the signed product x * w of an int8 x and an int16 w, formed as
//! |x| * |w| (one unsigned 16 x 16 multiply, a DSP48 after synthesis) with the sign
//! restored. The magnitudes are taken at 16 bits: `0 - v` on an 8-bit value wraps at 8
//! bits in rust-hdl but at 32 in the generated Verilog (found by co-simulation).

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct MagnitudeProduct {
    pub x: Signal<In, Bits<8>>,
    pub w: Signal<In, Bits<16>>,
    pub p: Signal<Out, Bits<32>>,
    x_mag: Signal<Local, Bits<16>>,
    w_mag: Signal<Local, Bits<16>>,
    p_v: Signal<Local, Bits<32>>,
}

impl Logic for MagnitudeProduct {
    #[hdl_gen]
    fn update(&mut self) {
        self.x_mag.next = bit_cast::<16, 8>(self.x.val());
        if self.x.val().get_bit(7) {
            self.x_mag.next = 256 - bit_cast::<16, 8>(self.x.val());
        }
        self.w_mag.next = self.w.val();
        if self.w.val().get_bit(15) {
            self.w_mag.next = 0 - self.w.val();
        }
        self.p_v.next = self.x_mag.val() * self.w_mag.val();
        if self.x.val().get_bit(7) ^ self.w.val().get_bit(15) {
            self.p_v.next = 0 - (self.x_mag.val() * self.w_mag.val());
        }
        // Outputs once (see `datapath_port.rs`).
        self.p.next = self.p_v.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_match_integer_multiplication_at_the_extremes() {
        let mut m = MagnitudeProduct::default();
        m.connect_all();
        for x in [-128i32, -127, -1, 0, 1, 5, 127] {
            for w in [-32768i32, -32767, -300, -128, -1, 0, 1, 127, 32767] {
                m.x.next = (x as u8 as u64).to_bits();
                m.w.next = (w as u16 as u64).to_bits();
                assert!(simulate(&mut m, 10), "settles");
                assert_eq!(m.p.val().index() as u32 as i32, x * w, "{x} * {w}");
            }
        }
    }
}

crate::synth_test!(MagnitudeProduct::default());
