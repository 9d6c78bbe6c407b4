//! `MigArbiter`: the engine's side of the MIG port. Queued writes (the write queue of
//! results and state) go first; reads are issued while the read FIFO has room for their
//! answers (a credit per word requested and not yet taken), and the answers are queued in
//! the read FIFO in order. No writes during a drain (an aborted run's results are dropped).

use crate::engine::common::word_fifo::WordFifo;
use crate::mig_port::MigMaster;
use crew_spec::image::MIG_ADDR_SHIFT;
use rust_hdl::prelude::*;

/// Read-ahead credit: words requested and not yet taken from the read FIFO.
pub const READ_FIFO_WORDS: usize = 64;
/// Write queue depth (words).
pub const WRITE_QUEUE_WORDS: u32 = 16;

#[derive(LogicBlock)]
pub struct MigArbiter {
    /// UI clock; all ports are in this domain.
    pub clock: Signal<In, Clock>,
    /// MIG user interface, master side.
    pub dram: MigMaster,
    /// Empties both queues and forgets the credits (run start, end of a drain).
    pub flush: Signal<In, Bit>,
    /// A drain: queued writes are not issued.
    pub drain: Signal<In, Bit>,
    /// The issuer has a word to read at `read_addr`; `read` is high when it is issued.
    pub read_pending: Signal<In, Bit>,
    pub read_addr: Signal<In, Bits<32>>,
    pub read: Signal<Out, Bit>,
    /// The oldest word read (valid unless `empty`); `pop` takes it.
    pub word: Signal<Out, Bits<128>>,
    pub empty: Signal<Out, Bit>,
    pub pop: Signal<In, Bit>,
    /// Reads issued and not yet answered: none.
    pub reads_done: Signal<Out, Bit>,
    /// Write queue: `push` a word for address `write_addr`; `queued` words wait.
    pub push: Signal<In, Bit>,
    pub write_word: Signal<In, Bits<128>>,
    pub write_addr: Signal<In, Bits<32>>,
    pub queued: Signal<Out, Bits<5>>,
    /// A command (read or write) is issued this cycle.
    pub command: Signal<Out, Bit>,
    rd_fifo: WordFifo<Bits<128>, 6, 7>,
    wq_data: WordFifo<Bits<128>, 4, 5>,
    wq_addr: WordFifo<Bits<32>, 4, 5>,
    k_read_credit: Constant<Bits<8>>,
    k_mig_shift: Constant<Bits<32>>,
    credits: DFF<Bits<8>>,
    inflight: DFF<Bits<8>>,
    do_read: Signal<Local, Bit>,
    do_write: Signal<Local, Bit>,
}

impl Default for MigArbiter {
    fn default() -> Self {
        MigArbiter {
            clock: Default::default(),
            dram: Default::default(),
            flush: Default::default(),
            drain: Default::default(),
            read_pending: Default::default(),
            read_addr: Default::default(),
            read: Default::default(),
            word: Default::default(),
            empty: Default::default(),
            pop: Default::default(),
            reads_done: Default::default(),
            push: Default::default(),
            write_word: Default::default(),
            write_addr: Default::default(),
            queued: Default::default(),
            command: Default::default(),
            rd_fifo: Default::default(),
            wq_data: Default::default(),
            wq_addr: Default::default(),
            k_read_credit: Constant::new((READ_FIFO_WORDS as u32).to_bits()),
            k_mig_shift: Constant::new(MIG_ADDR_SHIFT.to_bits()),
            credits: Default::default(),
            inflight: Default::default(),
            do_read: Default::default(),
            do_write: Default::default(),
        }
    }
}

impl Logic for MigArbiter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, credits, inflight);
        clock!(self, clock, rd_fifo, wq_data, wq_addr);
        self.rd_fifo.clear.next = self.flush.val();
        self.wq_data.clear.next = self.flush.val();
        self.wq_addr.clear.next = self.flush.val();
        self.do_write.next = !self.wq_data.empty.val()
            & !self.drain.val()
            & self.dram.ready.val()
            & self.dram.write_fifo_not_full.val();
        self.do_read.next = self.wq_data.empty.val()
            & self.read_pending.val()
            & (self.credits.q.val() < self.k_read_credit.val())
            & self.dram.ready.val();
        self.read.next = self.do_read.val();
        self.command.next = self.do_write.val() | self.do_read.val();
        self.dram.enable.next = self.do_write.val() | self.do_read.val();
        self.dram.command.next = 1.into();
        self.dram.address.next = bit_cast::<29, 32>(self.read_addr.val() << self.k_mig_shift.val());
        if !self.wq_data.empty.val() {
            self.dram.command.next = 0.into();
            self.dram.address.next =
                bit_cast::<29, 32>(self.wq_addr.data_out.val() << self.k_mig_shift.val());
        }
        self.dram.write_enable.next = self.do_write.val();
        self.dram.write_data_end.next = self.do_write.val();
        self.dram.write_data_in.next = self.wq_data.data_out.val();
        self.dram.write_data_mask.next = 0.into();
        self.wq_data.pop.next = self.do_write.val();
        self.wq_addr.pop.next = self.do_write.val();
        self.wq_data.push.next = self.push.val();
        self.wq_data.data_in.next = self.write_word.val();
        self.wq_addr.push.next = self.push.val();
        self.wq_addr.data_in.next = self.write_addr.val();
        self.queued.next = self.wq_data.count.val();
        self.rd_fifo.push.next = self.dram.read_data_valid.val();
        self.rd_fifo.data_in.next = self.dram.read_data_out.val();
        self.rd_fifo.pop.next = self.pop.val();
        self.word.next = self.rd_fifo.data_out.val();
        self.empty.next = self.rd_fifo.empty.val();
        if self.do_read.val() & !self.dram.read_data_valid.val() {
            self.inflight.d.next = self.inflight.q.val() + 1;
        }
        if !self.do_read.val() & self.dram.read_data_valid.val() {
            self.inflight.d.next = self.inflight.q.val() - 1;
        }
        self.reads_done.next = self.inflight.q.val() == 0;
        if self.do_read.val() & !self.pop.val() {
            self.credits.d.next = self.credits.q.val() + 1;
        }
        if !self.do_read.val() & self.pop.val() {
            self.credits.d.next = self.credits.q.val() - 1;
        }
        if self.flush.val() {
            self.credits.d.next = 0.into();
            self.inflight.d.next = 0.into();
        }
    }
}

crate::synth_test!(MigArbiter::default());
