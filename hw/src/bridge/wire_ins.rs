//! `WireInSync`: the transfer and run-command wire-ins (ti_clk, 16-bit halves) as 32-bit
//! values in the UI clock domain. Wire-ins are quasi-static (the host sets them before it
//! triggers), so two register stages cross them.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct WireInSync {
    pub ui_clk: Signal<In, Clock>,
    /// ti_clk: the wire-in endpoints.
    pub xfer_addr_lo: Signal<In, Bits<16>>,
    pub xfer_addr_hi: Signal<In, Bits<16>>,
    pub xfer_words_lo: Signal<In, Bits<16>>,
    pub xfer_words_hi: Signal<In, Bits<16>>,
    pub desc_addr_lo: Signal<In, Bits<16>>,
    pub desc_addr_hi: Signal<In, Bits<16>>,
    pub in_addr_lo: Signal<In, Bits<16>>,
    pub in_addr_hi: Signal<In, Bits<16>>,
    pub out_addr_lo: Signal<In, Bits<16>>,
    pub out_addr_hi: Signal<In, Bits<16>>,
    pub state_addr_lo: Signal<In, Bits<16>>,
    pub state_addr_hi: Signal<In, Bits<16>>,
    pub steps_wire: Signal<In, Bits<16>>,
    /// UI: the same values, two UI edges later.
    pub xfer_addr: Signal<Out, Bits<32>>,
    pub xfer_words: Signal<Out, Bits<32>>,
    pub desc_addr: Signal<Out, Bits<32>>,
    pub in_addr: Signal<Out, Bits<32>>,
    pub out_addr: Signal<Out, Bits<32>>,
    pub state_addr: Signal<Out, Bits<32>>,
    pub steps: Signal<Out, Bits<16>>,
    xfer_addr_s: [DFF<Bits<32>>; 2],
    xfer_words_s: [DFF<Bits<32>>; 2],
    desc_addr_s: [DFF<Bits<32>>; 2],
    in_addr_s: [DFF<Bits<32>>; 2],
    out_addr_s: [DFF<Bits<32>>; 2],
    state_addr_s: [DFF<Bits<32>>; 2],
    steps_s: [DFF<Bits<16>>; 2],
}

impl Logic for WireInSync {
    #[hdl_gen]
    fn update(&mut self) {
        for i in 0..2 {
            self.xfer_addr_s[i].clock.next = self.ui_clk.val();
            self.xfer_words_s[i].clock.next = self.ui_clk.val();
            self.desc_addr_s[i].clock.next = self.ui_clk.val();
            self.in_addr_s[i].clock.next = self.ui_clk.val();
            self.out_addr_s[i].clock.next = self.ui_clk.val();
            self.state_addr_s[i].clock.next = self.ui_clk.val();
            self.steps_s[i].clock.next = self.ui_clk.val();
        }
        self.xfer_addr_s[0].d.next = bit_cast::<32, 16>(self.xfer_addr_lo.val())
            | (bit_cast::<32, 16>(self.xfer_addr_hi.val()) << 16);
        self.xfer_words_s[0].d.next = bit_cast::<32, 16>(self.xfer_words_lo.val())
            | (bit_cast::<32, 16>(self.xfer_words_hi.val()) << 16);
        self.desc_addr_s[0].d.next = bit_cast::<32, 16>(self.desc_addr_lo.val())
            | (bit_cast::<32, 16>(self.desc_addr_hi.val()) << 16);
        self.in_addr_s[0].d.next = bit_cast::<32, 16>(self.in_addr_lo.val())
            | (bit_cast::<32, 16>(self.in_addr_hi.val()) << 16);
        self.out_addr_s[0].d.next = bit_cast::<32, 16>(self.out_addr_lo.val())
            | (bit_cast::<32, 16>(self.out_addr_hi.val()) << 16);
        self.state_addr_s[0].d.next = bit_cast::<32, 16>(self.state_addr_lo.val())
            | (bit_cast::<32, 16>(self.state_addr_hi.val()) << 16);
        self.steps_s[0].d.next = self.steps_wire.val();
        self.xfer_addr_s[1].d.next = self.xfer_addr_s[0].q.val();
        self.xfer_words_s[1].d.next = self.xfer_words_s[0].q.val();
        self.desc_addr_s[1].d.next = self.desc_addr_s[0].q.val();
        self.in_addr_s[1].d.next = self.in_addr_s[0].q.val();
        self.out_addr_s[1].d.next = self.out_addr_s[0].q.val();
        self.state_addr_s[1].d.next = self.state_addr_s[0].q.val();
        self.steps_s[1].d.next = self.steps_s[0].q.val();
        self.xfer_addr.next = self.xfer_addr_s[1].q.val();
        self.xfer_words.next = self.xfer_words_s[1].q.val();
        self.desc_addr.next = self.desc_addr_s[1].q.val();
        self.in_addr.next = self.in_addr_s[1].q.val();
        self.out_addr.next = self.out_addr_s[1].q.val();
        self.state_addr.next = self.state_addr_s[1].q.val();
        self.steps.next = self.steps_s[1].q.val();
    }
}

impl crate::sim::harness::Clocked for WireInSync {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.ui_clk
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::harness::SimHarness;

    #[test]
    fn halves_join_and_arrive_two_edges_later() {
        let mut sim = SimHarness::new(WireInSync::default()).unwrap();
        let w = &mut sim.uut;
        w.xfer_addr_lo.next = 0x1111u32.to_bits();
        w.xfer_addr_hi.next = 0x2222u32.to_bits();
        w.xfer_words_lo.next = 0x3333u32.to_bits();
        w.xfer_words_hi.next = 0x4444u32.to_bits();
        w.desc_addr_lo.next = 0x5555u32.to_bits();
        w.desc_addr_hi.next = 0x6666u32.to_bits();
        w.in_addr_lo.next = 0x7777u32.to_bits();
        w.in_addr_hi.next = 0x8888u32.to_bits();
        w.out_addr_lo.next = 0x9999u32.to_bits();
        w.out_addr_hi.next = 0xAAAAu32.to_bits();
        w.state_addr_lo.next = 0xBBBBu32.to_bits();
        w.state_addr_hi.next = 0xCCCCu32.to_bits();
        w.steps_wire.next = 0xDDDDu32.to_bits();
        sim.tick().unwrap();
        assert_eq!(sim.uut.xfer_addr.val().index(), 0, "one edge is not enough");
        sim.tick().unwrap();
        let w = &sim.uut;
        let got = [
            &w.xfer_addr,
            &w.xfer_words,
            &w.desc_addr,
            &w.in_addr,
            &w.out_addr,
            &w.state_addr,
        ]
        .map(|s| s.val().index() as u32);
        assert_eq!(
            got,
            [
                0x2222_1111,
                0x4444_3333,
                0x6666_5555,
                0x8888_7777,
                0xAAAA_9999,
                0xCCCC_BBBB
            ]
        );
        assert_eq!(w.steps.val().index(), 0xDDDD);
    }
}

crate::synth_test!(WireInSync::default());
