//! One-thread simulation driver for rust-hdl designs: toggles a clock, calls
//! `simulate()` after each edge, counts cycles, optionally writes a VCD trace.
//! Much faster than rust-hdl's threaded `Simulation` for these designs.

use rust_hdl::prelude::*;
use std::io::Write;

/// Iterations `simulate()` may take to settle after an edge before the design is declared
/// oscillating.
pub const MAX_SETTLE_ITERS: usize = 200;

/// Errors of a directly driven simulation.
#[derive(Debug, thiserror::Error)]
pub enum SimHarnessError {
    #[error("the design did not settle within {MAX_SETTLE_ITERS} iterations at cycle {cycle}")]
    NoConvergence { cycle: u64 },
    #[error("condition not reached within {max_cycles} cycles (at cycle {cycle})")]
    Timeout { max_cycles: u64, cycle: u64 },
    #[error("writing the VCD trace: {0}")]
    Vcd(#[from] std::io::Error),
}

/// A design whose clock the harness drives.
pub trait Clocked: Block {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock>;
}

/// Drives a [`Clocked`] design one clock cycle at a time.
///
/// Inputs set (`.next`) between two calls of [`SimHarness::tick`] are seen by the design's
/// registers at the rising edge of that next tick; outputs read after `tick` are the values
/// after the rising and falling edges of that cycle.
pub struct SimHarness<B: Clocked> {
    pub uut: B,
    cycle: u64,
    vcd: Option<VcdProbe>,
}

type VcdProbe = rust_hdl::core::vcd_probe::VCDProbe<Box<dyn Write>>;

/// Half a clock period in VCD time units (ps): 10 ns period = 100 MHz.
const HALF_PERIOD_PS: u64 = 5_000;

impl<B: Clocked> SimHarness<B> {
    /// Connects the design and settles its initial state.
    pub fn new(mut uut: B) -> Result<Self, SimHarnessError> {
        uut.connect_all();
        if !simulate(&mut uut, MAX_SETTLE_ITERS) {
            return Err(SimHarnessError::NoConvergence { cycle: 0 });
        }
        Ok(SimHarness {
            uut,
            cycle: 0,
            vcd: None,
        })
    }

    /// Starts a VCD trace of every signal into `writer` (large: use for short runs).
    pub fn trace_vcd(&mut self, writer: Box<dyn Write>) -> Result<(), SimHarnessError> {
        let mut vcd = rust_hdl::core::vcd_probe::write_vcd_header(writer, &self.uut);
        vcd.timestamp(self.cycle * 2 * HALF_PERIOD_PS)?;
        self.vcd = Some(rust_hdl::core::vcd_probe::write_vcd_dump(vcd, &self.uut));
        Ok(())
    }

    /// Cycles simulated so far.
    pub fn cycles(&self) -> u64 {
        self.cycle
    }

    /// Settles inputs set with `.next` before the next edge, so that every register sees
    /// them at that edge however deep the combinational path (without it, rust-hdl's
    /// iteration order decides whether a register behind a long path sees the new value at
    /// the edge that comes in the same settle).
    pub fn settle_inputs(&mut self) -> Result<(), SimHarnessError> {
        self.settle()
    }

    fn settle(&mut self) -> Result<(), SimHarnessError> {
        if simulate(&mut self.uut, MAX_SETTLE_ITERS) {
            Ok(())
        } else {
            Err(SimHarnessError::NoConvergence { cycle: self.cycle })
        }
    }

    fn dump(&mut self, time: u64) -> Result<(), SimHarnessError> {
        if let Some(mut vcd) = self.vcd.take() {
            vcd.timestamp(time)?;
            self.vcd = Some(rust_hdl::core::vcd_probe::write_vcd_change(vcd, &self.uut));
        }
        Ok(())
    }

    /// One clock cycle: rising edge, settle, falling edge, settle.
    pub fn tick(&mut self) -> Result<(), SimHarnessError> {
        self.uut.clock_signal().next = Clock { clk: true };
        self.settle()?;
        self.dump(self.cycle * 2 * HALF_PERIOD_PS + HALF_PERIOD_PS)?;
        self.uut.clock_signal().next = Clock { clk: false };
        self.settle()?;
        self.cycle += 1;
        self.dump(self.cycle * 2 * HALF_PERIOD_PS)?;
        Ok(())
    }

    /// Runs `n` cycles.
    pub fn run(&mut self, n: u64) -> Result<(), SimHarnessError> {
        for _ in 0..n {
            self.tick()?;
        }
        Ok(())
    }

    /// Ticks until `done(&uut)` holds (checked after each cycle); returns the cycles taken.
    pub fn run_until<F: FnMut(&B) -> bool>(
        &mut self,
        max_cycles: u64,
        mut done: F,
    ) -> Result<u64, SimHarnessError> {
        let start = self.cycle;
        while !done(&self.uut) {
            if self.cycle - start >= max_cycles {
                return Err(SimHarnessError::Timeout {
                    max_cycles,
                    cycle: self.cycle,
                });
            }
            self.tick()?;
        }
        Ok(self.cycle - start)
    }
}
