//! Recording an engine run for the co-simulations (`cosim_engine.rs`, `cosim_program.rs`):
//! every cycle's port values from power-up until a few cycles past `done`.

use crew_hw::sim::harness::{SimHarness, MAX_SETTLE_ITERS};
use crew_hw::testbench::cosim::PortTrace;
use crew_hw::testbench::engine::EngineTestbench;
use rust_hdl::prelude::*;

/// One cycle: inputs set with `.next` settle (clock low) before the snapshot, so the
/// snapshot holds exactly what the registers see at the coming edge; then the edge.
pub fn settle_and_snapshot(h: &mut SimHarness<EngineTestbench>, trace: &mut PortTrace) {
    assert!(simulate(&mut h.uut, MAX_SETTLE_ITERS), "settles");
    trace.snapshot(&h.uut.engine, &[true]);
    h.tick().expect("tick");
}

/// Records until DRAM calibration is done (and one cycle more, for the run command).
pub fn record_calibration(h: &mut SimHarness<EngineTestbench>, trace: &mut PortTrace) {
    while !h.uut.ddr.mig.calib_done.val() {
        settle_and_snapshot(h, trace);
    }
    settle_and_snapshot(h, trace);
}

/// Records the start pulse (the run command already set on the run port), then every cycle
/// until four past `done`; returns the snapshot at which `done` rose.
pub fn record_run(
    h: &mut SimHarness<EngineTestbench>,
    trace: &mut PortTrace,
    max_snapshots: usize,
) -> usize {
    h.uut.engine.run.start.next = true;
    settle_and_snapshot(h, trace);
    h.uut.engine.run.start.next = false;
    let mut done_cycle = None;
    let mut extra = 0;
    while extra < 4 {
        if h.uut.engine.run.done.val() {
            done_cycle.get_or_insert(trace.len());
        }
        if done_cycle.is_some() {
            extra += 1;
        }
        assert!(trace.len() < max_snapshots, "the run does not finish");
        settle_and_snapshot(h, trace);
    }
    done_cycle.unwrap()
}
