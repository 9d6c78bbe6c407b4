//! Simulation top for one engine alone: the engine with its MIG port joined to the DDR3
//! model, driven by `SimHarness`, plus a host-side API to load images, run layers and
//! read results and counters. Used by tests and `crew-hw-bench` for either engine; the
//! simulated board (host bridge + engine + DDR model) is built elsewhere.

use crate::engine::crew::CrewEngine;
use crate::engine::dense::DenseEngine;
use crate::engine::port::EngineRunPort;
use crate::engine::Engine;
use crate::mig_port::MigMaster;
use crate::sim::ddr3_model::{Ddr3Model, Ddr3Timing};
use crate::sim::harness::{Clocked, SimHarness, SimHarnessError};
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct EngineTestbench<E: Engine = CrewEngine> {
    /// UI clock of engine and DDR model.
    pub clock: Signal<In, Clock>,
    pub engine: E,
    pub ddr: Ddr3Model,
}

// Written out instead of `#[hdl_gen]` (which needs concrete fields): the testbench is
// only simulated, never turned into Verilog.
impl<E: Engine> Logic for EngineTestbench<E> {
    fn update(&mut self) {
        self.engine.clock().next = self.clock.val();
        self.ddr.clock.next = self.clock.val();
        MigMaster::join(self.engine.dram(), &mut self.ddr.mig);
    }
}

impl<E: Engine> Clocked for EngineTestbench<E> {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

pub use crate::sim::engine::{RunReport, RunRequest};
use crew_spec::engine::Counters;

/// An engine + DDR3 model simulation that runs layers.
pub trait LayerSim {
    /// The DDR3 model's storage (load images and vectors, read results).
    fn ddr(&mut self) -> &mut Ddr3Model;
    /// Starts a run and ticks until `done` (at most `max_cycles`).
    fn run(&mut self, req: RunRequest, max_cycles: u64) -> Result<RunReport, SimHarnessError>;
}

/// One engine + DDR3 model under one-thread simulation.
pub struct EngineDdrSim<E: Engine> {
    pub harness: SimHarness<EngineTestbench<E>>,
}

/// The CREW engine + DDR3 model.
pub type EngineSim<const L: usize = 16, const ACC_BITS: usize = 6> =
    EngineDdrSim<CrewEngine<L, ACC_BITS>>;
/// The dense baseline engine + DDR3 model.
pub type DenseSim<const L: usize = 16, const ACC_BITS: usize = 6> =
    EngineDdrSim<DenseEngine<L, ACC_BITS>>;

impl<E: Engine> EngineDdrSim<E> {
    pub fn new(timing: Ddr3Timing) -> Result<Self, SimHarnessError> {
        let top = EngineTestbench {
            clock: Default::default(),
            engine: E::default(),
            ddr: Ddr3Model::new(timing),
        };
        let mut harness = SimHarness::new(top)?;
        harness.run_until(10_000, |t| t.ddr.mig.calib_done.val())?;
        Ok(EngineDdrSim { harness })
    }

    pub fn ddr(&mut self) -> &mut Ddr3Model {
        &mut self.harness.uut.ddr
    }

    /// The engine's run port (read status and counters).
    pub fn run_port(&self) -> &EngineRunPort {
        self.harness.uut.engine.run_port()
    }

    /// Gives the start pulse of a run (one cycle) and returns without waiting for `done`.
    pub fn start(&mut self, req: RunRequest) -> Result<(), SimHarnessError> {
        self.start_as(req, false)
    }

    /// The start pulse of a plain run or (`program`) of a sequence program, whose fields
    /// `req` carries as the run port does (`crew_spec::program`).
    fn start_as(&mut self, req: RunRequest, program: bool) -> Result<(), SimHarnessError> {
        let p = self.harness.uut.engine.run_port_mut();
        p.program.next = program;
        p.desc_addr.next = req.desc_addr.to_bits();
        p.in_addr.next = req.in_addr.to_bits();
        p.out_addr.next = req.out_addr.to_bits();
        p.state_addr.next = req.state_addr.to_bits();
        p.steps.next = (req.steps as u32).to_bits();
        p.start.next = true;
        self.harness.settle_inputs()?;
        self.harness.tick()?;
        self.harness.uut.engine.run_port_mut().start.next = false;
        Ok(())
    }

    /// Starts a run and ticks until `done` (at most `max_cycles`).
    pub fn run(&mut self, req: RunRequest, max_cycles: u64) -> Result<RunReport, SimHarnessError> {
        self.run_as(req, false, max_cycles)
    }

    /// Runs a sequence program (desc_addr = the program, in_addr = the source stream,
    /// out_addr = the trace, steps = the inputs) until `done`; returns the report and the
    /// inputs finished.
    pub fn run_program(
        &mut self,
        req: RunRequest,
        max_cycles: u64,
    ) -> Result<(RunReport, u16), SimHarnessError> {
        let rep = self.run_as(req, true, max_cycles)?;
        Ok((rep, self.run_port().words_done.val().index() as u16))
    }

    fn run_as(
        &mut self,
        req: RunRequest,
        program: bool,
        max_cycles: u64,
    ) -> Result<RunReport, SimHarnessError> {
        self.start_as(req, program)?;
        let mut wall = 1;
        if !self.run_port().done.val() {
            wall += self
                .harness
                .run_until(max_cycles, |t| t.engine.run_port().done.val())?;
        }
        // Let the DDR model retire the writes the engine handed over before `done`.
        self.harness.run_until(10_000, |t| t.ddr.is_idle())?;
        let p = self.run_port();
        Ok(RunReport {
            error: p.error.val().index() as u8,
            counters: Counters {
                cycles: p.cycles.val().index() as u32,
                busy_cycles: p.busy_cycles.val().index() as u32,
                stall_cycles: p.stall_cycles.val().index() as u32,
                dram_words: p.dram_words.val().index() as u32,
                mults: p.mults.val().index() as u32,
                adds: p.adds.val().index() as u32,
            },
            wall_cycles: wall,
        })
    }

    /// Pulses `abort` for one cycle.
    pub fn abort(&mut self) -> Result<(), SimHarnessError> {
        self.harness.uut.engine.run_port_mut().abort.next = true;
        self.harness.settle_inputs()?;
        self.harness.tick()?;
        self.harness.uut.engine.run_port_mut().abort.next = false;
        Ok(())
    }
}

impl<E: Engine> LayerSim for EngineDdrSim<E> {
    fn ddr(&mut self) -> &mut Ddr3Model {
        EngineDdrSim::ddr(self)
    }
    fn run(&mut self, req: RunRequest, max_cycles: u64) -> Result<RunReport, SimHarnessError> {
        EngineDdrSim::run(self, req, max_cycles)
    }
}
