//! `RunCounters`: the performance counters of a run (docs/engine.md), cleared at its
//! start: cycles busy, datapath-busy cycles, stall cycles (a router state waits for read
//! data), DRAM words moved, multiplies and additions.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct RunCounters {
    /// UI clock; all ports are in this domain.
    pub clock: Signal<In, Clock>,
    /// Clears every counter (a run starts); wins over the increments.
    pub clear: Signal<In, Bit>,
    /// Counts a cycle of the run.
    pub active: Signal<In, Bit>,
    pub stall: Signal<In, Bit>,
    pub dram_word: Signal<In, Bit>,
    /// One datapath-busy cycle with `adds` additions.
    pub busy: Signal<In, Bit>,
    pub adds: Signal<In, Bits<32>>,
    pub mults: Signal<In, Bits<32>>,
    pub cycles: Signal<Out, Bits<32>>,
    pub busy_cycles: Signal<Out, Bits<32>>,
    pub stall_cycles: Signal<Out, Bits<32>>,
    pub dram_words: Signal<Out, Bits<32>>,
    pub mult_count: Signal<Out, Bits<32>>,
    pub add_count: Signal<Out, Bits<32>>,
    c_cycles: DFF<Bits<32>>,
    c_busy: DFF<Bits<32>>,
    c_stall: DFF<Bits<32>>,
    c_dram: DFF<Bits<32>>,
    c_mults: DFF<Bits<32>>,
    c_adds: DFF<Bits<32>>,
    /// The event inputs and their clear, registered: they come from the datapath's emit
    /// decision, which must not feed the 32-bit adders in the same cycle. Everything but
    /// the cycle count thus counts one cycle late, which no reader can see (counters are
    /// read after `done`, many cycles after the last event).
    r_clear: DFF<Bit>,
    r_stall: DFF<Bit>,
    r_dram: DFF<Bit>,
    r_busy: DFF<Bit>,
    r_adds: DFF<Bits<32>>,
    r_mults: DFF<Bits<32>>,
}

impl Logic for RunCounters {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, c_cycles, c_busy, c_stall, c_dram, c_mults, c_adds, r_clear, r_stall,
            r_dram, r_busy, r_adds, r_mults
        );
        self.r_clear.d.next = self.clear.val();
        self.r_stall.d.next = self.stall.val();
        self.r_dram.d.next = self.dram_word.val();
        self.r_busy.d.next = self.busy.val();
        self.r_adds.d.next = self.adds.val();
        self.r_mults.d.next = self.mults.val();
        if self.active.val() {
            self.c_cycles.d.next = self.c_cycles.q.val() + 1;
        }
        if self.clear.val() {
            self.c_cycles.d.next = 0.into();
        }
        if self.r_stall.q.val() {
            self.c_stall.d.next = self.c_stall.q.val() + 1;
        }
        if self.r_dram.q.val() {
            self.c_dram.d.next = self.c_dram.q.val() + 1;
        }
        if self.r_busy.q.val() {
            self.c_busy.d.next = self.c_busy.q.val() + 1;
            self.c_adds.d.next = self.c_adds.q.val() + self.r_adds.q.val();
        }
        self.c_mults.d.next = self.c_mults.q.val() + self.r_mults.q.val();
        if self.r_clear.q.val() {
            self.c_busy.d.next = 0.into();
            self.c_stall.d.next = 0.into();
            self.c_dram.d.next = 0.into();
            self.c_mults.d.next = 0.into();
            self.c_adds.d.next = 0.into();
        }
        self.cycles.next = self.c_cycles.q.val();
        self.busy_cycles.next = self.c_busy.q.val();
        self.stall_cycles.next = self.c_stall.q.val();
        self.dram_words.next = self.c_dram.q.val();
        self.mult_count.next = self.c_mults.q.val();
        self.add_count.next = self.c_adds.q.val();
    }
}

crate::synth_test!(RunCounters::default());
