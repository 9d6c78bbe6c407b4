//! An engine alone (`CrewEngine` or `DenseEngine`: the same `clock`, `run` and `dram`
//! ports) as its generated Verilog under Verilator, with the plain-Rust DDR3 model at its
//! MIG port: the compiled counterpart of the rust-hdl testbenches
//! (`testbench::engine::EngineSim`, `testbench::engine::DenseSim`), with the same host API
//! (load and read DRAM words, run a [`RunRequest`] to done, read the counters). It
//! reproduces their cycle counts exactly (`crew-hw-bench` asserts it).

use crate::sim::ddr3_model::{Ddr3, Ddr3Timing};
use crate::sim::mig::VerilatedMigMaster;
use crate::sim::verilator::{
    BuildOptions, PortIndex, VerilatedLibrary, VerilatedModel, VerilatorError,
};
use crew_spec::engine::{Counters, COUNTER_WIRES};
use crew_spec::regmap::ErrorCode;
use rust_hdl::prelude::*;
use std::marker::PhantomData;

/// UI cycles the DDR model may take to calibrate, and to retire the writes an engine
/// handed over before `done`.
const DDR_SETTLE_CYCLES: u64 = 10_000;

/// Addresses and length of one run (word addresses, see docs/engine.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RunRequest {
    pub desc_addr: u32,
    pub in_addr: u32,
    pub out_addr: u32,
    pub state_addr: u32,
    pub steps: u16,
}

/// The engine's outputs after a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunReport {
    pub error: u8,
    /// The run port's performance counters (the engine contract's).
    pub counters: Counters<u32>,
    /// Harness cycles from the start pulse to the done pulse.
    pub wall_cycles: u64,
}

impl RunReport {
    pub fn ok(&self) -> bool {
        self.error == ErrorCode::None as u8
    }
}

/// Errors of a Verilated engine.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerilatedEngineError {
    #[error(transparent)]
    Verilator(#[from] VerilatorError),
    #[error("{what} not reached within {max_cycles} cycles (at cycle {cycle})")]
    Timeout {
        what: &'static str,
        max_cycles: u64,
        cycle: u64,
    },
}

/// The run port's inputs, in the order [`VerilatedEngine::run`] sets them.
const RUN_INPUTS: [&str; 7] = [
    "run$start",
    "run$abort",
    "run$desc_addr",
    "run$in_addr",
    "run$out_addr",
    "run$state_addr",
    "run$steps",
];
/// The run port's counter signal of each counter of the engine contract, in its order.
fn run_counter_ports() -> Vec<String> {
    COUNTER_WIRES
        .iter()
        .map(|(name, _, _)| format!("run${name}"))
        .collect()
}
/// Engine block `E` under Verilator + the DDR3 model, one UI clock cycle per [`tick`].
///
/// [`tick`]: VerilatedEngine::tick
pub struct VerilatedEngine<E> {
    model: VerilatedModel,
    ddr: Ddr3,
    clock: PortIndex,
    run_inputs: [PortIndex; 7],
    done: PortIndex,
    error: PortIndex,
    counters: [PortIndex; 6],
    dram: VerilatedMigMaster,
    cycle: u64,
    build_seconds: Option<f64>,
    _engine: PhantomData<E>,
}

impl<E: Block + Default> VerilatedEngine<E> {
    /// Builds `E`'s Verilog (or takes it from the build cache), instantiates it and ticks
    /// until the DDR model is calibrated.
    pub fn new(timing: Ddr3Timing) -> Result<Self, VerilatedEngineError> {
        let mut engine = E::default();
        engine.connect_all();
        let lib = VerilatedLibrary::for_block(&engine, BuildOptions::default(), None)?;
        let p = |name: &str| lib.port(name);
        let ports = |names: &[&str]| names.iter().map(|n| p(n)).collect::<Result<Vec<_>, _>>();
        let mut e = VerilatedEngine {
            model: lib.instantiate(),
            ddr: Ddr3::new(timing),
            clock: p("clock")?,
            run_inputs: ports(&RUN_INPUTS)?.try_into().unwrap(),
            done: p("run$done")?,
            error: p("run$error")?,
            counters: run_counter_ports()
                .iter()
                .map(|n| p(n))
                .collect::<Result<Vec<_>, _>>()?
                .try_into()
                .unwrap(),
            dram: VerilatedMigMaster::look_up(&lib, "dram")?,
            cycle: 0,
            build_seconds: lib.build_seconds(),
            _engine: PhantomData,
        };
        e.model.eval();
        e.tick_until("DDR calibration", DDR_SETTLE_CYCLES, |e| {
            e.ddr.response().calib_done
        })?;
        Ok(e)
    }
}

impl<E> VerilatedEngine<E> {
    /// Seconds Verilator took to build the model, or None when it came from the cache.
    pub fn build_seconds(&self) -> Option<f64> {
        self.build_seconds
    }

    /// The DDR3 model's storage (load images and vectors, read results).
    pub fn ddr(&mut self) -> &mut Ddr3 {
        &mut self.ddr
    }

    /// UI cycles simulated so far.
    pub fn cycles(&self) -> u64 {
        self.cycle
    }

    /// One UI clock cycle: the MIG request as settled before the rising edge goes to the
    /// DDR model's edge, its registered response is seen from the falling edge on.
    pub fn tick(&mut self) {
        let m = &mut self.model;
        let request = self.dram.request(m);
        m.set(self.clock, 1);
        m.eval();
        self.ddr.clock_edge(&request);
        self.dram.respond(m, &self.ddr.response());
        m.set(self.clock, 0);
        m.eval();
        self.cycle += 1;
    }

    /// Ticks until `reached` holds (checked before each cycle); returns the cycles taken.
    fn tick_until(
        &mut self,
        what: &'static str,
        max_cycles: u64,
        mut reached: impl FnMut(&Self) -> bool,
    ) -> Result<u64, VerilatedEngineError> {
        let start = self.cycle;
        while !reached(self) {
            if self.cycle - start >= max_cycles {
                return Err(VerilatedEngineError::Timeout {
                    what,
                    max_cycles,
                    cycle: self.cycle,
                });
            }
            self.tick();
        }
        Ok(self.cycle - start)
    }

    /// Starts a run, ticks until `done` (at most `max_cycles`), then until the DDR model
    /// has retired the engine's writes, as `EngineSim::run` does.
    pub fn run(
        &mut self,
        req: RunRequest,
        max_cycles: u64,
    ) -> Result<RunReport, VerilatedEngineError> {
        let values = [
            1,
            0,
            req.desc_addr as u128,
            req.in_addr as u128,
            req.out_addr as u128,
            req.state_addr as u128,
            req.steps as u128,
        ];
        for (port, value) in self.run_inputs.iter().zip(values) {
            self.model.set(*port, value);
        }
        // The inputs settle before the edge (as `EngineSim::start` settles them).
        self.model.eval();
        self.tick();
        self.model.set(self.run_inputs[0], 0);
        let done = self.done;
        let wall_cycles =
            1 + self.tick_until("run done", max_cycles, |e| e.model.get(done) != 0)?;
        self.tick_until("DDR idle", DDR_SETTLE_CYCLES, |e| e.ddr.is_idle())?;
        let c = self.counters.map(|p| self.model.get(p) as u32);
        Ok(RunReport {
            error: self.model.get(self.error) as u8,
            counters: Counters::from_array(c),
            wall_cycles,
        })
    }
}
