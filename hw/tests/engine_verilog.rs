//! The engine's generated Verilog (DDR model excluded) passes yosys:
//! read_verilog, hierarchy -check -top top, proc, check -assert.

use crew_hw::engine::crew::CrewEngine;
use crew_hw::testbench::synth_check::yosys_check;
use rust_hdl::prelude::*;

#[test]
fn engine_verilog_passes_yosys_checks() {
    let mut uut: CrewEngine = CrewEngine::new();
    uut.connect_all();
    let verilog = generate_verilog(&uut);
    assert!(verilog.contains("module top"));
    let log = yosys_check(&verilog).unwrap_or_else(|e| panic!("{e}"));
    assert!(!log.contains("ERROR"), "{log}");
}
