//! Synchronous first-word-fall-through FIFO on one RAM (2^A entries of `D`), with a
//! synchronous clear. `data_out` shows the oldest entry whenever `empty` is low; `pop`
//! removes it at the rising edge. A pushed word becomes visible two edges after its push
//! (the RAM's registered read), which keeps the read path a plain RAM read.

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct WordFifo<D: Synth, const A: usize, const AP1: usize> {
    /// UI clock; all ports are in this domain.
    pub clock: Signal<In, Clock>,
    /// Empties the FIFO at the next edge (push and pop are ignored in that cycle).
    pub clear: Signal<In, Bit>,
    pub push: Signal<In, Bit>,
    pub data_in: Signal<In, D>,
    pub pop: Signal<In, Bit>,
    pub data_out: Signal<Out, D>,
    pub empty: Signal<Out, Bit>,
    /// Entries pushed and not popped (includes the ones not yet visible).
    pub count: Signal<Out, Bits<AP1>>,
    ram: RAM<D, A>,
    wr_ptr: DFF<Bits<AP1>>,
    rd_ptr: DFF<Bits<AP1>>,
    /// `wr_ptr` one edge late: entries below it are readable.
    wr_seen: DFF<Bits<AP1>>,
    rd_next: Signal<Local, Bits<AP1>>,
}

impl<D: Synth, const A: usize, const AP1: usize> Default for WordFifo<D, A, AP1> {
    fn default() -> Self {
        assert_eq!(A + 1, AP1);
        WordFifo {
            clock: Default::default(),
            clear: Default::default(),
            push: Default::default(),
            data_in: Default::default(),
            pop: Default::default(),
            data_out: Default::default(),
            empty: Default::default(),
            count: Default::default(),
            ram: Default::default(),
            wr_ptr: Default::default(),
            rd_ptr: Default::default(),
            wr_seen: Default::default(),
            rd_next: Default::default(),
        }
    }
}

impl<D: Synth, const A: usize, const AP1: usize> Logic for WordFifo<D, A, AP1> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wr_ptr, rd_ptr, wr_seen);
        self.ram.read_clock.next = self.clock.val();
        self.ram.write_clock.next = self.clock.val();
        self.rd_next.next = self.rd_ptr.q.val();
        if self.pop.val() {
            self.rd_next.next = self.rd_ptr.q.val() + 1;
        }
        self.rd_ptr.d.next = self.rd_next.val();
        self.ram.read_address.next = bit_cast::<A, AP1>(self.rd_next.val());
        self.ram.write_address.next = bit_cast::<A, AP1>(self.wr_ptr.q.val());
        self.ram.write_data.next = self.data_in.val();
        self.ram.write_enable.next = self.push.val();
        if self.push.val() {
            self.wr_ptr.d.next = self.wr_ptr.q.val() + 1;
        }
        self.wr_seen.d.next = self.wr_ptr.q.val();
        if self.clear.val() {
            self.wr_ptr.d.next = 0.into();
            self.rd_ptr.d.next = 0.into();
            self.wr_seen.d.next = 0.into();
            self.ram.write_enable.next = false;
        }
        self.data_out.next = self.ram.read_data.val();
        self.empty.next = self.rd_ptr.q.val() == self.wr_seen.q.val();
        self.count.next = self.wr_ptr.q.val() - self.rd_ptr.q.val();
    }
}
