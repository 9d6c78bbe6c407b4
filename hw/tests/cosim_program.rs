//! Co-simulation of a sequence program on the CREW engine: the rust-hdl simulation runs a
//! program (the encoder over two source tokens, then two decoder steps with projection
//! and argmax) next to the DDR3 model, recorded at the engine's ports every cycle; the
//! engine's generated Verilog replays the recorded inputs in Icarus Verilog and must give
//! the same outputs at every cycle. The rust-hdl run is checked against the independent
//! reference first; and an argmax planted to pick the smallest row must be caught.

mod common;
use common::cosim::{record_calibration, record_run};
use common::program::*;
use common::*;

use crew_hw::engine::crew::CrewEngine;
use crew_hw::sim::ddr3_model::{Ddr3Model, Ddr3Timing};
use crew_hw::sim::harness::SimHarness;
use crew_hw::testbench::cosim::{self, CosimError, PortTrace};
use crew_hw::testbench::engine::EngineTestbench;
use rust_hdl::prelude::*;
use std::path::PathBuf;

struct Recorded {
    trace: PortTrace,
    verilog: String,
    done_cycle: usize,
}

const SOURCE: [u16; 2] = [4, SRC_END];
const MAX_STEPS: u16 = 2;

/// Records the program run from power-up; checks the rust-hdl run against the reference.
fn record() -> Recorded {
    let m = model::<Crew>(43);
    let (p, blocks) = model_images::<Crew>(&m, 4, MAX_STEPS);
    let top = EngineTestbench {
        clock: Default::default(),
        engine: CrewEngine::new(),
        ddr: Ddr3Model::new(Ddr3Timing::default()),
    };
    let mut h = SimHarness::new(top).expect("simulation starts");
    let verilog = cosim::verilog_of(&h.uut.engine);
    for (addr, words) in &blocks {
        h.uut.ddr.load_words(*addr as u64, words);
    }
    h.uut
        .ddr
        .load_words(SOURCE_ADDR as u64, &source_stream(&[SOURCE.to_vec()]));
    let mut trace = PortTrace::new(&h.uut.engine, &["clock"]);
    record_calibration(&mut h, &mut trace);
    let e = &mut h.uut.engine;
    e.run.desc_addr.next = PROGRAM_ADDR.to_bits();
    e.run.in_addr.next = SOURCE_ADDR.to_bits();
    e.run.out_addr.next = TRACE_ADDR.to_bits();
    e.run.steps.next = 1u32.to_bits();
    e.run.program.next = true;
    let done_cycle = record_run(&mut h, &mut trace, 400_000);
    assert_eq!(h.uut.engine.run.error.val().index(), 0, "engine error");
    assert_eq!(h.uut.engine.run.words_done.val().index(), 1);
    h.run_until(10_000, |t| t.ddr.is_idle())
        .expect("DDR model retires the engine's writes");
    let want = reference(&m, &SOURCE, MAX_STEPS);
    let words = h.uut.ddr.read_words(TRACE_ADDR as u64, p.slot_words());
    assert_eq!(
        read_trace(&p, &words, SOURCE.len(), want.dec.len()),
        want,
        "rust-hdl program run vs reference"
    );
    Recorded {
        trace,
        verilog,
        done_cycle,
    }
}

fn work_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cosim")
        .join(name)
}

#[test]
fn a_program_run_in_verilog_matches_rust_hdl_cycle_by_cycle() {
    let rec = record();
    let outs = cosim::run_iverilog(&rec.verilog, &rec.trace, &work_dir("program"))
        .unwrap_or_else(|e| panic!("program: {e}"));
    assert_eq!(outs.len(), rec.trace.len());
    rec.trace
        .compare(&outs)
        .unwrap_or_else(|e| panic!("program: {e}"));

    // The argmax planted to keep the smallest row instead of the largest: the token word
    // it writes differs, and with it the rest of the program.
    let (from, to) = PLANTED_ARGMAX_BUG;
    let bad = cosim::mutate(&rec.verilog, from, to, 0)
        .unwrap_or_else(|| panic!("`{from}` not found in the engine's Verilog"));
    match cosim::cosimulate(&bad, &rec.trace, &work_dir("program_planted_argmax")) {
        Err(CosimError::Mismatch { snapshot, .. }) => {
            assert!(snapshot <= rec.done_cycle, "caught at {snapshot}")
        }
        other => panic!("planted argmax bug not detected: {other:?}"),
    }
}

/// The argmax's compare in the core's generated Verilog, reversed.
const PLANTED_ARGMAX_BUG: (&str, &str) = (
    "((epilogue$gate_value ^ k_sign) > am_best$q)",
    "((epilogue$gate_value ^ k_sign) < am_best$q)",
);
