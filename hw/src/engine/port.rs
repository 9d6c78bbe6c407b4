//! The engine's run port: the run command the host bridge gives an engine and the status
//! and performance counters the engine reports back (UI clock domain). The bridge drives
//! [`EngineControl`]; an engine (`CrewEngine`, `DenseEngine`) sits on the
//! [`EngineRunPort`] side. Join the two with `EngineControl::join(&mut bridge.engine,
//! &mut engine.run)`.
//!
//! Protocol: `start` is a one-cycle pulse that starts a run with the word addresses and
//! step count on the other outputs (sampled at that cycle); `abort` stops a run (error
//! `Aborted`). `busy` is high from start to done, and the engine owns the DRAM port while
//! it is; `done` pulses for one cycle at the end of a run (also after an error); `error`
//! is the `crew_spec::regmap::ErrorCode` of the last run. The counters are those of the
//! last run (cleared at start), see docs/engine.md. With `program` high at `start`, the run
//! is a sequence program (`crew_spec::program`): desc_addr is the program, in_addr the
//! source stream, out_addr the trace, steps the number of inputs; `words_done` counts the
//! inputs finished.
//!
//! Inside an engine the program runner (`common::program`) drives the core through the
//! wider [`CoreControl`] / [`CoreRunPort`]: one layer run at a time, with the extra run
//! options a program needs and the values it reads back.

use rust_hdl::prelude::*;

/// Bridge side of the engine run port.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "EngineRunPort"]
pub struct EngineControl {
    pub start: Signal<Out, Bit>,
    pub program: Signal<Out, Bit>,
    pub abort: Signal<Out, Bit>,
    pub desc_addr: Signal<Out, Bits<32>>,
    pub in_addr: Signal<Out, Bits<32>>,
    pub out_addr: Signal<Out, Bits<32>>,
    pub state_addr: Signal<Out, Bits<32>>,
    pub steps: Signal<Out, Bits<16>>,
    pub busy: Signal<In, Bit>,
    pub done: Signal<In, Bit>,
    pub error: Signal<In, Bits<8>>,
    pub cycles: Signal<In, Bits<32>>,
    pub busy_cycles: Signal<In, Bits<32>>,
    pub stall_cycles: Signal<In, Bits<32>>,
    pub dram_words: Signal<In, Bits<32>>,
    pub mults: Signal<In, Bits<32>>,
    pub adds: Signal<In, Bits<32>>,
    pub words_done: Signal<In, Bits<16>>,
    pub trace_end: Signal<In, Bits<32>>,
}

/// Engine side of the engine run port.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "EngineControl"]
pub struct EngineRunPort {
    pub start: Signal<In, Bit>,
    pub program: Signal<In, Bit>,
    pub abort: Signal<In, Bit>,
    pub desc_addr: Signal<In, Bits<32>>,
    pub in_addr: Signal<In, Bits<32>>,
    pub out_addr: Signal<In, Bits<32>>,
    pub state_addr: Signal<In, Bits<32>>,
    pub steps: Signal<In, Bits<16>>,
    pub busy: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    pub error: Signal<Out, Bits<8>>,
    pub cycles: Signal<Out, Bits<32>>,
    pub busy_cycles: Signal<Out, Bits<32>>,
    pub stall_cycles: Signal<Out, Bits<32>>,
    pub dram_words: Signal<Out, Bits<32>>,
    pub mults: Signal<Out, Bits<32>>,
    pub adds: Signal<Out, Bits<32>>,
    pub words_done: Signal<Out, Bits<16>>,
    pub trace_end: Signal<Out, Bits<32>>,
}

/// Program-runner side of the core's run port: the run command plus the options of a
/// program's layer runs, the values a program reads back.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "CoreRunPort"]
pub struct CoreControl {
    pub start: Signal<Out, Bit>,
    pub abort: Signal<Out, Bit>,
    pub desc_addr: Signal<Out, Bits<32>>,
    pub in_addr: Signal<Out, Bits<32>>,
    pub out_addr: Signal<Out, Bits<32>>,
    /// Where the state is written back (and, for plain runs, read from).
    pub state_addr: Signal<Out, Bits<32>>,
    /// Where the state is read from at the run's start.
    pub state_in_addr: Signal<Out, Bits<32>>,
    pub steps: Signal<Out, Bits<16>>,
    /// Read the 4 words at desc_addr into `fetched*` and stop (a program's header).
    pub fetch: Signal<Out, Bit>,
    /// FC run: requantize the outputs, pick the argmax and write it as a token word after
    /// the outputs; the layer must be FC (else `BadProgram`).
    pub argmax: Signal<Out, Bit>,
    /// The layer must have token input (else `BadProgram`).
    pub need_token: Signal<Out, Bit>,
    /// Do not clear the counters at start, and count cycles between runs.
    pub keep_counters: Signal<Out, Bit>,
    pub busy: Signal<In, Bit>,
    pub done: Signal<In, Bit>,
    pub error: Signal<In, Bits<8>>,
    pub cycles: Signal<In, Bits<32>>,
    pub busy_cycles: Signal<In, Bits<32>>,
    pub stall_cycles: Signal<In, Bits<32>>,
    pub dram_words: Signal<In, Bits<32>>,
    pub mults: Signal<In, Bits<32>>,
    pub adds: Signal<In, Bits<32>>,
    /// The argmax of the last argmax run.
    pub token: Signal<In, Bits<16>>,
    /// The input token of the last step of a token-input run.
    pub in_token: Signal<In, Bits<16>>,
    /// The words a fetch read: word 0 bits 63:0, whether its magic is `LAYER_MAGIC`, words
    /// 1 and 2.
    pub fetched0: Signal<In, Bits<64>>,
    pub fetched_magic: Signal<In, Bit>,
    pub fetched1: Signal<In, Bits<128>>,
    pub fetched2: Signal<In, Bits<128>>,
}

/// Core side of [`CoreControl`].
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "CoreControl"]
pub struct CoreRunPort {
    pub start: Signal<In, Bit>,
    pub abort: Signal<In, Bit>,
    pub desc_addr: Signal<In, Bits<32>>,
    pub in_addr: Signal<In, Bits<32>>,
    pub out_addr: Signal<In, Bits<32>>,
    pub state_addr: Signal<In, Bits<32>>,
    pub state_in_addr: Signal<In, Bits<32>>,
    pub steps: Signal<In, Bits<16>>,
    pub fetch: Signal<In, Bit>,
    pub argmax: Signal<In, Bit>,
    pub need_token: Signal<In, Bit>,
    pub keep_counters: Signal<In, Bit>,
    pub busy: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    pub error: Signal<Out, Bits<8>>,
    pub cycles: Signal<Out, Bits<32>>,
    pub busy_cycles: Signal<Out, Bits<32>>,
    pub stall_cycles: Signal<Out, Bits<32>>,
    pub dram_words: Signal<Out, Bits<32>>,
    pub mults: Signal<Out, Bits<32>>,
    pub adds: Signal<Out, Bits<32>>,
    pub token: Signal<Out, Bits<16>>,
    pub in_token: Signal<Out, Bits<16>>,
    pub fetched0: Signal<Out, Bits<64>>,
    pub fetched_magic: Signal<Out, Bit>,
    pub fetched1: Signal<Out, Bits<128>>,
    pub fetched2: Signal<Out, Bits<128>>,
}
