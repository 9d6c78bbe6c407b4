//! The port between the shared engine core (`EngineCore`: sequencer, issuer, router,
//! vector buffers, epilogue, cell unit) and an engine's datapath (CREW: table unit,
//! unpacker and gather lanes; dense: MAC lanes). The core drives [`DatapathControl`]; the
//! datapath sits on the [`DatapathPort`] side.
//!
//! Record phase: while `records` is high the datapath takes the pass's column records
//! from `word` (valid when `word_valid`, taken with `word_pop`), says when a column ends
//! (`col_end`) and reports the record words it has taken this pass up to the previous
//! cycle (`consumed`, from a register: the core checks it the cycle after the last
//! column); `fail` is a bad record. `col` counts the columns ended this pass. After
//! the last column the core waits (`epi_wait`) until the datapath has `drained` (all
//! products added). The x input of column `x_col` is read from the vector buffers;
//! `x_byte` is byte `x_sel` of the word read the cycle before.
//!
//! Epilogue: with `epi_read` the accumulators are read at `epi_slot`; the datapath answers
//! with `acc`, the accumulator of lane `clear_lane` read the cycle before. With `clear`
//! that lane's accumulator at `clear_slot` is set to 0; during `drain` (after an error or
//! abort) every lane's accumulator at `epi_slot` is. `flush` pulses where the core empties its
//! FIFOs (run start, end of a drain): the datapath empties its own.
//!
//! Each block assigns its output ports once per evaluation (into a local first when a
//! value has a default and overrides): a default-then-override glitch on a port between
//! two blocks makes event-driven Verilog simulators (iverilog) loop.

use rust_hdl::prelude::*;

/// Core side of the datapath port.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "DatapathPort"]
pub struct DatapathControl {
    pub running: Signal<Out, Bit>,
    pub records: Signal<Out, Bit>,
    pub epi_wait: Signal<Out, Bit>,
    pub pass_start: Signal<Out, Bit>,
    pub pass: Signal<Out, Bit>,
    pub wide: Signal<Out, Bit>,
    pub col: Signal<Out, Bits<16>>,
    pub n_in: Signal<Out, Bits<16>>,
    pub n_out: Signal<Out, Bits<16>>,
    pub pass_words: Signal<Out, Bits<32>>,
    pub word: Signal<Out, Bits<128>>,
    pub word_valid: Signal<Out, Bit>,
    pub x_byte: Signal<Out, Bits<8>>,
    pub epi_read: Signal<Out, Bit>,
    pub epi_slot: Signal<Out, Bits<16>>,
    pub clear: Signal<Out, Bit>,
    pub clear_slot: Signal<Out, Bits<16>>,
    pub clear_lane: Signal<Out, Bits<5>>,
    pub drain: Signal<Out, Bit>,
    pub flush: Signal<Out, Bit>,
    pub word_pop: Signal<In, Bit>,
    pub col_end: Signal<In, Bit>,
    pub fail: Signal<In, Bit>,
    pub consumed: Signal<In, Bits<32>>,
    pub wants_word: Signal<In, Bit>,
    pub drained: Signal<In, Bit>,
    pub x_col: Signal<In, Bits<16>>,
    pub x_sel: Signal<In, Bits<4>>,
    pub acc: Signal<In, Bits<32>>,
    /// Counter increments: one busy (datapath) cycle with `adds` additions; `mults`
    /// multiplies.
    pub busy_inc: Signal<In, Bit>,
    pub adds_inc: Signal<In, Bits<32>>,
    pub mults_inc: Signal<In, Bits<32>>,
}

/// Datapath side of the datapath port.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "DatapathControl"]
pub struct DatapathPort {
    pub running: Signal<In, Bit>,
    pub records: Signal<In, Bit>,
    pub epi_wait: Signal<In, Bit>,
    pub pass_start: Signal<In, Bit>,
    pub pass: Signal<In, Bit>,
    pub wide: Signal<In, Bit>,
    pub col: Signal<In, Bits<16>>,
    pub n_in: Signal<In, Bits<16>>,
    pub n_out: Signal<In, Bits<16>>,
    pub pass_words: Signal<In, Bits<32>>,
    pub word: Signal<In, Bits<128>>,
    pub word_valid: Signal<In, Bit>,
    pub x_byte: Signal<In, Bits<8>>,
    pub epi_read: Signal<In, Bit>,
    pub epi_slot: Signal<In, Bits<16>>,
    pub clear: Signal<In, Bit>,
    pub clear_slot: Signal<In, Bits<16>>,
    pub clear_lane: Signal<In, Bits<5>>,
    pub drain: Signal<In, Bit>,
    pub flush: Signal<In, Bit>,
    pub word_pop: Signal<Out, Bit>,
    pub col_end: Signal<Out, Bit>,
    pub fail: Signal<Out, Bit>,
    pub consumed: Signal<Out, Bits<32>>,
    pub wants_word: Signal<Out, Bit>,
    pub drained: Signal<Out, Bit>,
    pub x_col: Signal<Out, Bits<16>>,
    pub x_sel: Signal<Out, Bits<4>>,
    pub acc: Signal<Out, Bits<32>>,
    pub busy_inc: Signal<Out, Bit>,
    pub adds_inc: Signal<Out, Bits<32>>,
    pub mults_inc: Signal<Out, Bits<32>>,
}
