//! `StatusWires`: the run counters, the transfer's word count and status | error << 16
//! from the UI clock domain to the wire-outs (ti_clk, 16-bit halves). Each 32-bit value
//! crosses coherently through its own `VectorSynchronizer`, re-sent whenever the last
//! crossing is done.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct StatusWires {
    pub ui_clk: Signal<In, Clock>,
    pub ti_clk: Signal<In, Clock>,
    /// UI: the values to report.
    pub cycles: Signal<In, Bits<32>>,
    pub busy_cycles: Signal<In, Bits<32>>,
    pub stall_cycles: Signal<In, Bits<32>>,
    pub dram_words: Signal<In, Bits<32>>,
    pub mults: Signal<In, Bits<32>>,
    pub adds: Signal<In, Bits<32>>,
    pub done_words: Signal<In, Bits<32>>,
    pub status: Signal<In, Bits<16>>,
    pub error: Signal<In, Bits<8>>,
    /// A program run's finished inputs.
    pub words_done: Signal<In, Bits<16>>,
    /// A program run's trace end.
    pub trace_end: Signal<In, Bits<32>>,
    /// ti_clk: the wire-out values.
    pub cycles_lo: Signal<Out, Bits<16>>,
    pub cycles_hi: Signal<Out, Bits<16>>,
    pub busy_cycles_lo: Signal<Out, Bits<16>>,
    pub busy_cycles_hi: Signal<Out, Bits<16>>,
    pub stall_cycles_lo: Signal<Out, Bits<16>>,
    pub stall_cycles_hi: Signal<Out, Bits<16>>,
    pub dram_words_lo: Signal<Out, Bits<16>>,
    pub dram_words_hi: Signal<Out, Bits<16>>,
    pub mults_lo: Signal<Out, Bits<16>>,
    pub mults_hi: Signal<Out, Bits<16>>,
    pub adds_lo: Signal<Out, Bits<16>>,
    pub adds_hi: Signal<Out, Bits<16>>,
    pub done_words_lo: Signal<Out, Bits<16>>,
    pub done_words_hi: Signal<Out, Bits<16>>,
    pub status_wire: Signal<Out, Bits<16>>,
    pub error_code: Signal<Out, Bits<16>>,
    pub words_done_wire: Signal<Out, Bits<16>>,
    pub trace_end_lo: Signal<Out, Bits<16>>,
    pub trace_end_hi: Signal<Out, Bits<16>>,
    /// cycles, busy, stall, dram words, mults, adds, transfer words, status | error << 16,
    /// words done, trace end.
    snapshots: [VectorSynchronizer<Bits<32>>; 10],
}

impl Logic for StatusWires {
    #[hdl_gen]
    fn update(&mut self) {
        for i in 0..10 {
            self.snapshots[i].clock_in.next = self.ui_clk.val();
            self.snapshots[i].clock_out.next = self.ti_clk.val();
            self.snapshots[i].send.next = !self.snapshots[i].busy.val();
        }
        self.snapshots[0].sig_in.next = self.cycles.val();
        self.snapshots[1].sig_in.next = self.busy_cycles.val();
        self.snapshots[2].sig_in.next = self.stall_cycles.val();
        self.snapshots[3].sig_in.next = self.dram_words.val();
        self.snapshots[4].sig_in.next = self.mults.val();
        self.snapshots[5].sig_in.next = self.adds.val();
        self.snapshots[6].sig_in.next = self.done_words.val();
        self.snapshots[7].sig_in.next =
            bit_cast::<32, 16>(self.status.val()) | (bit_cast::<32, 8>(self.error.val()) << 16);
        self.snapshots[8].sig_in.next = bit_cast::<32, 16>(self.words_done.val());
        self.words_done_wire.next = self.snapshots[8].sig_out.val().get_bits::<16>(0);
        self.snapshots[9].sig_in.next = self.trace_end.val();
        self.trace_end_lo.next = self.snapshots[9].sig_out.val().get_bits::<16>(0);
        self.trace_end_hi.next = self.snapshots[9].sig_out.val().get_bits::<16>(16);
        self.cycles_lo.next = self.snapshots[0].sig_out.val().get_bits::<16>(0);
        self.cycles_hi.next = self.snapshots[0].sig_out.val().get_bits::<16>(16);
        self.busy_cycles_lo.next = self.snapshots[1].sig_out.val().get_bits::<16>(0);
        self.busy_cycles_hi.next = self.snapshots[1].sig_out.val().get_bits::<16>(16);
        self.stall_cycles_lo.next = self.snapshots[2].sig_out.val().get_bits::<16>(0);
        self.stall_cycles_hi.next = self.snapshots[2].sig_out.val().get_bits::<16>(16);
        self.dram_words_lo.next = self.snapshots[3].sig_out.val().get_bits::<16>(0);
        self.dram_words_hi.next = self.snapshots[3].sig_out.val().get_bits::<16>(16);
        self.mults_lo.next = self.snapshots[4].sig_out.val().get_bits::<16>(0);
        self.mults_hi.next = self.snapshots[4].sig_out.val().get_bits::<16>(16);
        self.adds_lo.next = self.snapshots[5].sig_out.val().get_bits::<16>(0);
        self.adds_hi.next = self.snapshots[5].sig_out.val().get_bits::<16>(16);
        self.done_words_lo.next = self.snapshots[6].sig_out.val().get_bits::<16>(0);
        self.done_words_hi.next = self.snapshots[6].sig_out.val().get_bits::<16>(16);
        self.status_wire.next = self.snapshots[7].sig_out.val().get_bits::<16>(0);
        self.error_code.next = bit_cast::<16, 8>(self.snapshots[7].sig_out.val().get_bits::<8>(16));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_reaches_its_wire_out_halves() {
        let mut w = StatusWires::default();
        w.connect_all();
        w.cycles.next = 0x0102_0304u32.to_bits();
        w.busy_cycles.next = 0x1112_1314u32.to_bits();
        w.stall_cycles.next = 0x2122_2324u32.to_bits();
        w.dram_words.next = 0x3132_3334u32.to_bits();
        w.mults.next = 0x4142_4344u32.to_bits();
        w.adds.next = 0x5152_5354u32.to_bits();
        w.done_words.next = 0x6162_6364u32.to_bits();
        w.status.next = 0x0017u32.to_bits();
        w.error.next = 0x09u32.to_bits();
        w.words_done.next = 0x7172u32.to_bits();
        w.trace_end.next = 0x8182_8384u32.to_bits();
        // Both clocks at the same rate, ti_clk a quarter period behind.
        for phase in 0..400 {
            w.ui_clk.next = Clock { clk: phase % 4 < 2 };
            w.ti_clk.next = Clock {
                clk: (phase + 3) % 4 < 2,
            };
            assert!(simulate(&mut w, 100), "settles");
        }
        let got = [
            &w.cycles_lo,
            &w.cycles_hi,
            &w.busy_cycles_lo,
            &w.busy_cycles_hi,
            &w.stall_cycles_lo,
            &w.stall_cycles_hi,
            &w.dram_words_lo,
            &w.dram_words_hi,
            &w.mults_lo,
            &w.mults_hi,
            &w.adds_lo,
            &w.adds_hi,
            &w.done_words_lo,
            &w.done_words_hi,
            &w.status_wire,
            &w.error_code,
            &w.words_done_wire,
            &w.trace_end_lo,
            &w.trace_end_hi,
        ]
        .map(|s| s.val().index() as u16);
        assert_eq!(
            got,
            [
                0x0304, 0x0102, 0x1314, 0x1112, 0x2324, 0x2122, 0x3334, 0x3132, 0x4344, 0x4142,
                0x5354, 0x5152, 0x6364, 0x6162, 0x0017, 0x0009, 0x7172, 0x8384, 0x8182,
            ]
        );
    }
}

crate::synth_test!(StatusWires::default());
