//! Simulation top for the dense baseline engine alone: `DenseEngine` with its MIG port
//! joined to the DDR3 model, driven by `SimHarness` (the counterpart of
//! `engine_testbench.rs` for `CrewEngine`). `LayerSim` is the host-side API both
//! simulations share (load DRAM, run a layer, read counters), so tests and the benchmark
//! drive either engine through one code path.

use crate::ddr3_model::{Ddr3Model, Ddr3Timing};
use crate::dense_engine::DenseEngine;
use crate::engine_testbench::{EngineSim, RunReport, RunRequest};
use crate::mig_port::MigMaster;
use crate::sim_harness::{Clocked, SimHarness, SimHarnessError};
use rust_hdl::prelude::*;

/// An engine + DDR3 model simulation that runs layers.
pub trait LayerSim {
    /// The DDR3 model's storage (load images and vectors, read results).
    fn ddr(&mut self) -> &mut Ddr3Model;
    /// Starts a run and ticks until `done` (at most `max_cycles`).
    fn run(&mut self, req: RunRequest, max_cycles: u64) -> Result<RunReport, SimHarnessError>;
}

impl<const L: usize, const ACC_BITS: usize> LayerSim for EngineSim<L, ACC_BITS> {
    fn ddr(&mut self) -> &mut Ddr3Model {
        EngineSim::ddr(self)
    }
    fn run(&mut self, req: RunRequest, max_cycles: u64) -> Result<RunReport, SimHarnessError> {
        EngineSim::run(self, req, max_cycles)
    }
}

#[derive(LogicBlock)]
pub struct DenseTestbench<const L: usize = 16, const ACC_BITS: usize = 6> {
    /// UI clock of engine and DDR model.
    pub clock: Signal<In, Clock>,
    pub engine: DenseEngine<L, ACC_BITS>,
    pub ddr: Ddr3Model,
}

impl<const L: usize, const ACC_BITS: usize> Logic for DenseTestbench<L, ACC_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        self.engine.clock.next = self.clock.val();
        self.ddr.clock.next = self.clock.val();
        MigMaster::join(&mut self.engine.dram, &mut self.ddr.mig);
    }
}

impl<const L: usize, const ACC_BITS: usize> Clocked for DenseTestbench<L, ACC_BITS> {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

/// Dense engine + DDR3 model under one-thread simulation.
pub struct DenseSim<const L: usize = 16, const ACC_BITS: usize = 6> {
    pub harness: SimHarness<DenseTestbench<L, ACC_BITS>>,
}

impl<const L: usize, const ACC_BITS: usize> DenseSim<L, ACC_BITS> {
    pub fn new(timing: Ddr3Timing) -> Result<Self, SimHarnessError> {
        let top = DenseTestbench {
            clock: Default::default(),
            engine: DenseEngine::new(),
            ddr: Ddr3Model::new(timing),
        };
        let mut harness = SimHarness::new(top)?;
        harness.run_until(10_000, |t| t.ddr.mig.calib_done.val())?;
        Ok(DenseSim { harness })
    }
}

impl<const L: usize, const ACC_BITS: usize> LayerSim for DenseSim<L, ACC_BITS> {
    fn ddr(&mut self) -> &mut Ddr3Model {
        &mut self.harness.uut.ddr
    }

    fn run(&mut self, req: RunRequest, max_cycles: u64) -> Result<RunReport, SimHarnessError> {
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
}
