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
//! last run (cleared at start), see docs/engine.md.

use rust_hdl::prelude::*;

/// Bridge side of the engine run port.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "EngineRunPort"]
pub struct EngineControl {
    pub start: Signal<Out, Bit>,
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
}

/// Engine side of the engine run port.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "EngineControl"]
pub struct EngineRunPort {
    pub start: Signal<In, Bit>,
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
}
