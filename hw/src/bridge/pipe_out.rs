//! DRAM-to-host pipe path of the host bridge: 128-bit DRAM words written in the UI clock
//! domain cross to ti_clk through an asynchronous FIFO and leave through the
//! block-throttled pipe-out as eight 16-bit words each, least significant first.
//!
//! FrontPanel pipe-out timing: the word read by ep_read in cycle t is sampled by the host
//! in cycle t+1, so the head word advances one cycle after each ep_read. `ready` (the
//! endpoint's ep_ready) promises a whole `PIPE_BLOCK_BYTES` block; the bridge pads reads
//! to whole blocks. `flush` (UI domain level) discards everything on the ti_clk side.

use rust_hdl::prelude::*;

/// DRAM words the pipe-out ready promises: one `PIPE_BLOCK_BYTES` block.
pub const PIPE_OUT_BLOCK_WORDS: u32 = (crew_spec::regmap::PIPE_BLOCK_BYTES / 16) as u32;
/// DRAM words the pipe-out FIFO holds.
pub const PIPE_OUT_FIFO_WORDS: u32 = 64;

#[derive(LogicBlock, Default)]
pub struct BridgePipeOut {
    /// MIG user-interface clock (~100 MHz).
    pub ui_clk: Signal<In, Clock>,
    /// UI domain: push a DRAM word.
    pub push: Signal<In, Bit>,
    /// UI domain: the DRAM word to push.
    pub push_data: Signal<In, Bits<128>>,
    /// UI domain: DRAM words in the FIFO as the write side sees them (never less than
    /// the true level).
    pub fill: Signal<Out, Bits<7>>,
    /// UI domain: level, discard all FIFO contents on the ti_clk side while high.
    pub flush: Signal<In, Bit>,
    /// FrontPanel host interface clock (ti_clk, 48 MHz).
    pub ti_clk: Signal<In, Clock>,
    /// ti_clk domain: BTPipeOut ep_read.
    pub pipe_read: Signal<In, Bit>,
    /// ti_clk domain: BTPipeOut ep_datain.
    pub pipe_data: Signal<Out, Bits<16>>,
    /// ti_clk domain: BTPipeOut ep_ready (a whole block is waiting).
    pub pipe_ready: Signal<Out, Bit>,
    /// ti_clk domain: soft reset (CONTROL wire), discards like `flush`.
    pub soft_reset: Signal<In, Bit>,
    fifo: AsynchronousFIFO<Bits<128>, 6, 7, PIPE_OUT_BLOCK_WORDS>,
    flush_to_ti: BitSynchronizer,
    read_delayed: DFF<Bit>,
    sub_word: DFF<Bits<3>>,
    ready: DFF<Bit>,
    discarding: Signal<Local, Bit>,
}

impl Logic for BridgePipeOut {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, ti_clk, read_delayed, sub_word, ready);
        self.fifo.write_clock.next = self.ui_clk.val();
        self.fifo.read_clock.next = self.ti_clk.val();
        // UI side.
        self.fifo.write.next = self.push.val();
        self.fifo.data_in.next = self.push_data.val();
        self.fill.next = self.fifo.write_fill.val();
        self.flush_to_ti.clock.next = self.ti_clk.val();
        self.flush_to_ti.sig_in.next = self.flush.val();
        // ti_clk side.
        self.discarding.next = self.flush_to_ti.sig_out.val() | self.soft_reset.val();
        self.pipe_data.next = self
            .fifo
            .data_out
            .val()
            .get_bits::<16>(self.sub_word.q.val().index() * 16);
        self.read_delayed.d.next = self.pipe_read.val();
        self.fifo.read.next = false;
        if self.read_delayed.q.val() {
            self.sub_word.d.next = self.sub_word.q.val() + 1;
            if self.sub_word.q.val().all() {
                self.fifo.read.next = true;
            }
        }
        if self.discarding.val() {
            self.fifo.read.next = true;
            self.sub_word.d.next = 0.into();
        }
        // Ready waits until the reads of a block have popped their words, so the fill
        // level it looks at is current.
        self.ready.d.next = !self.fifo.almost_empty.val()
            & !self.pipe_read.val()
            & !self.read_delayed.q.val()
            & !self.discarding.val();
        self.pipe_ready.next = self.ready.q.val();
    }
}
