//! Host-to-DRAM pipe path of the host bridge: packs the 16-bit words of the
//! block-throttled pipe-in (ti_clk domain) into 128-bit DRAM words, least significant
//! pipe word first (`crew_spec::regmap::PIPE_WORDS_PER_DRAM_WORD`), and carries them to
//! the UI clock domain through an asynchronous FIFO.
//!
//! The ti_clk side accepts pipe data only while a write transfer is armed, and only as
//! many DRAM words as `words` (the XFER_WORDS wires) held when the arm arrived; extra
//! words are dropped. `ready` (the endpoint's ep_ready) promises room for a whole block
//! of up to `PIPE_BLOCK_BYTES` bytes.

use rust_hdl::prelude::*;

/// DRAM words of FIFO room the pipe-in ready promises: one `PIPE_BLOCK_BYTES` block.
pub const PIPE_IN_BLOCK_WORDS: u32 = (crew_spec::regmap::PIPE_BLOCK_BYTES / 16) as u32;

#[derive(LogicBlock, Default)]
pub struct BridgePipeIn {
    /// FrontPanel host interface clock (ti_clk, 48 MHz).
    pub ti_clk: Signal<In, Clock>,
    /// ti_clk domain: BTPipeIn ep_write, one 16-bit word per cycle.
    pub pipe_write: Signal<In, Bit>,
    /// ti_clk domain: BTPipeIn ep_dataout.
    pub pipe_data: Signal<In, Bits<16>>,
    /// ti_clk domain: BTPipeIn ep_ready (room for a whole block, transfer armed).
    pub pipe_ready: Signal<Out, Bit>,
    /// ti_clk domain: the XFER_WORDS wire value, latched when an arm arrives.
    pub words: Signal<In, Bits<32>>,
    /// ti_clk domain: soft reset (CONTROL wire), disarms and drops a partial word.
    pub soft_reset: Signal<In, Bit>,
    /// MIG user-interface clock (~100 MHz).
    pub ui_clk: Signal<In, Clock>,
    /// UI domain: level, high while the bridge has a DRAM write transfer armed.
    pub arm: Signal<In, Bit>,
    /// UI domain: pop the head DRAM word.
    pub fifo_read: Signal<In, Bit>,
    /// UI domain: head DRAM word (first-word fall-through).
    pub fifo_data: Signal<Out, Bits<128>>,
    /// UI domain: no DRAM word waiting.
    pub fifo_empty: Signal<Out, Bit>,
    /// UI domain: the ti_clk side still accepts pipe data (synchronized).
    pub accepting: Signal<Out, Bit>,
    /// UI domain: the ti_clk side holds part of a DRAM word (synchronized); meaningful
    /// once the host has stopped writing.
    pub partial_word: Signal<Out, Bit>,
    fifo: AsynchronousFIFO<Bits<128>, 7, 8, PIPE_IN_BLOCK_WORDS>,
    arm_to_ti: BitSynchronizer,
    accepting_to_ui: BitSynchronizer,
    partial_to_ui: BitSynchronizer,
    arm_seen: DFF<Bit>,
    armed: DFF<Bit>,
    remaining: DFF<Bits<32>>,
    sub_word: DFF<Bits<3>>,
    pack: DFF<Bits<128>>,
    ready: DFF<Bit>,
    /// The pack register with the incoming pipe word shifted in (only while writing).
    packed: Signal<Local, Bits<128>>,
}

impl Logic for BridgePipeIn {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, ti_clk, arm_seen, armed, remaining, sub_word, pack, ready);
        self.fifo.write_clock.next = self.ti_clk.val();
        self.fifo.read_clock.next = self.ui_clk.val();
        // Level crossings.
        self.arm_to_ti.clock.next = self.ti_clk.val();
        self.arm_to_ti.sig_in.next = self.arm.val();
        self.accepting_to_ui.clock.next = self.ui_clk.val();
        self.accepting_to_ui.sig_in.next = self.armed.q.val();
        self.accepting.next = self.accepting_to_ui.sig_out.val();
        self.partial_to_ui.clock.next = self.ui_clk.val();
        self.partial_to_ui.sig_in.next = self.sub_word.q.val().any();
        self.partial_word.next = self.partial_to_ui.sig_out.val();
        // ti_clk side: arm on the rising edge of the synchronized level.
        self.arm_seen.d.next = self.arm_to_ti.sig_out.val();
        if self.arm_to_ti.sig_out.val() & !self.arm_seen.q.val() {
            self.armed.d.next = true;
            self.remaining.d.next = self.words.val();
            self.sub_word.d.next = 0.into();
        }
        if !self.arm_to_ti.sig_out.val() {
            self.armed.d.next = false;
        }
        // Little-endian packing: each new pipe word enters at the top and moves down.
        self.packed.next = self.pack.q.val();
        self.fifo.data_in.next = self.pack.q.val();
        self.fifo.write.next = false;
        if self.pipe_write.val() & self.armed.q.val() {
            self.packed.next =
                (self.pack.q.val() >> 16) | (bit_cast::<128, 16>(self.pipe_data.val()) << 112);
            self.fifo.data_in.next = self.packed.val();
            self.pack.d.next = self.packed.val();
            self.sub_word.d.next = self.sub_word.q.val() + 1;
            if self.sub_word.q.val().all() {
                self.fifo.write.next = true;
                self.remaining.d.next = self.remaining.q.val() - 1;
                if self.remaining.q.val() == 1 {
                    self.armed.d.next = false;
                }
            }
        }
        if self.soft_reset.val() {
            self.armed.d.next = false;
            self.sub_word.d.next = 0.into();
        }
        // Ready is held low during a block and one cycle after, so it never promises
        // room on a stale fill level.
        self.ready.d.next =
            self.armed.q.val() & !self.fifo.almost_full.val() & !self.pipe_write.val();
        self.pipe_ready.next = self.ready.q.val();
        // UI side.
        self.fifo.read.next = self.fifo_read.val();
        self.fifo_data.next = self.fifo.data_out.val();
        self.fifo_empty.next = self.fifo.empty.val();
    }
}
