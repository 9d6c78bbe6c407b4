//! Simulation top for the engine alone: `CrewEngine` with its MIG port joined to the
//! DDR3 model, driven by `SimHarness`, plus a host-side API to load images, run layers and
//! read results and counters. Used by tests and the benchmark; the simulated board
//! (host bridge + engine + DDR model) is built elsewhere.

use crate::crew_engine::CrewEngine;
use crate::ddr3_model::{Ddr3Model, Ddr3Timing};
use crate::mig_port::MigMaster;
use crate::sim_harness::{Clocked, SimHarness, SimHarnessError};
use crew_spec::regmap::ErrorCode;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct EngineTestbench<const L: usize = 16, const ACC_BITS: usize = 6> {
    /// UI clock of engine and DDR model.
    pub clock: Signal<In, Clock>,
    pub engine: CrewEngine<L, ACC_BITS>,
    pub ddr: Ddr3Model,
}

impl<const L: usize, const ACC_BITS: usize> Logic for EngineTestbench<L, ACC_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        self.engine.clock.next = self.clock.val();
        self.ddr.clock.next = self.clock.val();
        MigMaster::join(&mut self.engine.dram, &mut self.ddr.mig);
    }
}

impl<const L: usize, const ACC_BITS: usize> Clocked for EngineTestbench<L, ACC_BITS> {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

/// Addresses and length of one run (word addresses, see RULES.md run semantics).
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
    pub cycles: u32,
    pub busy_cycles: u32,
    pub stall_cycles: u32,
    pub dram_words: u32,
    pub mults: u32,
    pub adds: u32,
    /// Harness cycles from the start pulse to the done pulse.
    pub wall_cycles: u64,
}

impl RunReport {
    pub fn ok(&self) -> bool {
        self.error == ErrorCode::None as u8
    }
}

/// Engine + DDR3 model under one-thread simulation.
pub struct EngineSim<const L: usize = 16, const ACC_BITS: usize = 6> {
    pub harness: SimHarness<EngineTestbench<L, ACC_BITS>>,
}

impl<const L: usize, const ACC_BITS: usize> EngineSim<L, ACC_BITS> {
    pub fn new(timing: Ddr3Timing) -> Result<Self, SimHarnessError> {
        let top = EngineTestbench {
            clock: Default::default(),
            engine: CrewEngine::new(),
            ddr: Ddr3Model::new(timing),
        };
        let mut harness = SimHarness::new(top)?;
        harness.run_until(10_000, |t| t.ddr.mig.calib_done.val())?;
        Ok(EngineSim { harness })
    }

    pub fn ddr(&mut self) -> &mut Ddr3Model {
        &mut self.harness.uut.ddr
    }

    /// Starts a run and ticks until `done` (at most `max_cycles`).
    pub fn run(&mut self, req: RunRequest, max_cycles: u64) -> Result<RunReport, SimHarnessError> {
        let e = &mut self.harness.uut.engine;
        e.run.desc_addr.next = req.desc_addr.to_bits();
        e.run.in_addr.next = req.in_addr.to_bits();
        e.run.out_addr.next = req.out_addr.to_bits();
        e.run.state_addr.next = req.state_addr.to_bits();
        e.run.steps.next = (req.steps as u32).to_bits();
        e.run.start.next = true;
        self.harness.tick()?;
        self.harness.uut.engine.run.start.next = false;
        let mut wall = 1;
        if !self.harness.uut.engine.run.done.val() {
            wall += self
                .harness
                .run_until(max_cycles, |t| t.engine.run.done.val())?;
        }
        // Let the DDR model retire the writes the engine handed over before `done`.
        self.harness.run_until(10_000, |t| t.ddr.is_idle())?;
        let e = &self.harness.uut.engine;
        Ok(RunReport {
            error: e.run.error.val().index() as u8,
            cycles: e.run.cycles.val().index() as u32,
            busy_cycles: e.run.busy_cycles.val().index() as u32,
            stall_cycles: e.run.stall_cycles.val().index() as u32,
            dram_words: e.run.dram_words.val().index() as u32,
            mults: e.run.mults.val().index() as u32,
            adds: e.run.adds.val().index() as u32,
            wall_cycles: wall,
        })
    }

    /// Pulses `abort` for one cycle.
    pub fn abort(&mut self) -> Result<(), SimHarnessError> {
        self.harness.uut.engine.run.abort.next = true;
        self.harness.tick()?;
        self.harness.uut.engine.run.abort.next = false;
        Ok(())
    }
}
