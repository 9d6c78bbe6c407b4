//! Co-simulation of the CREW engine: the rust-hdl simulation of `CrewEngine` next to the
//! DDR3 model is recorded at the engine's ports every cycle (run command, MIG responses,
//! every output), then the engine's generated Verilog runs in Icarus Verilog on the
//! recorded inputs and must produce the same outputs at every cycle (hence the same cycle
//! count). An FC layer, a GRU step and an LSTM step; and a planted RTL bug that must be
//! caught.

mod common;
use common::cosim::{record_calibration, record_run};
use common::*;

use crew_hw::engine::crew::CrewEngine;
use crew_hw::sim::ddr3_model::{Ddr3Model, Ddr3Timing};
use crew_hw::sim::harness::SimHarness;
use crew_hw::testbench::cosim::{self, CosimError, PortTrace};
use crew_hw::testbench::engine::EngineTestbench;
use crew_hw::testbench::layer_image::{
    pack_i32, pack_i8_vectors, unpack_i32, unpack_i8, LayerImage,
};
use crew_spec::image::{vector_words_i32, vector_words_i8, LayerKind};
use rust_hdl::prelude::*;
use std::path::PathBuf;

/// A recorded engine run: the port trace, the engine's Verilog, and what the rust-hdl run
/// left in DRAM at `OUT_ADDR` (output vectors) and `STATE_ADDR`.
struct Recorded {
    trace: PortTrace,
    verilog: String,
    out_words: Vec<u128>,
    state_words: Vec<u128>,
    done_cycle: usize,
}

/// Loads `img`, inputs and state, runs the engine from power-up (calibration included)
/// and records every cycle until a few cycles past `done`.
fn record(img: &LayerImage, xs: &[Vec<i8>], state: &[u128], out_words: usize) -> Recorded {
    let top = EngineTestbench {
        clock: Default::default(),
        engine: CrewEngine::new(),
        ddr: Ddr3Model::new(Ddr3Timing::default()),
    };
    let mut h = SimHarness::new(top).expect("simulation starts");
    let verilog = cosim::verilog_of(&h.uut.engine);
    h.uut.ddr.load_words(img.base as u64, &img.words);
    h.uut.ddr.load_words(IN_ADDR as u64, &pack_i8_vectors(xs));
    h.uut.ddr.load_words(STATE_ADDR as u64, state);
    let mut trace = PortTrace::new(&h.uut.engine, &["clock"]);
    record_calibration(&mut h, &mut trace);
    let e = &mut h.uut.engine;
    e.run.desc_addr.next = img.desc_addr.to_bits();
    e.run.in_addr.next = IN_ADDR.to_bits();
    e.run.out_addr.next = OUT_ADDR.to_bits();
    e.run.state_addr.next = STATE_ADDR.to_bits();
    e.run.steps.next = (xs.len() as u32).to_bits();
    let done_cycle = record_run(&mut h, &mut trace, 200_000);
    assert_eq!(h.uut.engine.run.error.val().index(), 0, "engine error");
    // `done` means the engine has handed its last writes to the MIG port, not that the
    // DDR model has stored them (the last one or two c words are still queued a few
    // cycles after `done`). Reading DRAM before they retire saw the old last c word.
    // These cycles are past the recorded trace, so the co-simulation is unchanged.
    h.run_until(10_000, |t| t.ddr.is_idle())
        .expect("DDR model retires the engine's writes");
    Recorded {
        trace,
        verilog,
        out_words: h.uut.ddr.read_words(OUT_ADDR as u64, out_words),
        state_words: h.uut.ddr.read_words(STATE_ADDR as u64, state.len()),
        done_cycle,
    }
}

fn work_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cosim")
        .join(name)
}

/// Replays the trace on the Verilog and checks the outputs; also checks that `done` rises
/// at the same cycle (the cycle count) in both.
fn check_cosim(rec: &Recorded, name: &str) {
    let outs = cosim::run_iverilog(&rec.verilog, &rec.trace, &work_dir(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let (lo, hi) = port_range(&rec.trace, "run$done");
    let verilog_done = outs.iter().position(|o| &o[lo..hi] == "1");
    assert_eq!(verilog_done, Some(rec.done_cycle), "{name}: done cycle");
    rec.trace
        .compare(&outs)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
}

fn port_range(trace: &PortTrace, name: &str) -> (usize, usize) {
    let mut lo = 0;
    for p in &trace.outputs {
        if p.name == name {
            return (lo, lo + p.width);
        }
        lo += p.width;
    }
    panic!("no port {name}");
}

fn fc_recording() -> (Recorded, Vec<Vec<i32>>) {
    let mut r = rng(81);
    let (n_in, n_out) = (24, 20);
    let (p, img) = fc_layer(&mut r, n_in, n_out, false, |c| [1, 2, 5, 17, 40][c % 5]);
    let xs: Vec<Vec<i8>> = (0..2).map(|_| random_vector(&mut r, n_in)).collect();
    let vw = vector_words_i32(n_out);
    let rec = record(&img, &xs, &[], vw * xs.len());
    let outs: Vec<Vec<i32>> = (0..xs.len())
        .map(|t| unpack_i32(&rec.out_words[t * vw..(t + 1) * vw], n_out))
        .collect();
    for (t, x) in xs.iter().enumerate() {
        assert_eq!(outs[t], dense(&p, x), "rust-hdl FC step {t} vs reference");
    }
    (rec, outs)
}

#[test]
fn fc_layer_verilog_matches_rust_hdl_cycle_by_cycle() {
    let (rec, _) = fc_recording();
    check_cosim(&rec, "fc");
}

fn rnn_check(kind: LayerKind, seed: u64, name: &str, hid: usize) {
    let mut r = rng(seed);
    let n_in = 24;
    let (passes, img) = rnn_layer(&mut r, kind, n_in, hid, |c| [3, 9, 30, 70][c % 4]);
    let xs = vec![random_vector(&mut r, n_in)];
    let h0 = random_vector(&mut r, hid);
    let c0: Vec<i32> = (0..hid).map(|j| (j as i32 - 9) * 300).collect();
    let lstm = kind == LayerKind::Lstm;
    let mut state = pack_i8_vectors(std::slice::from_ref(&h0));
    if lstm {
        state.extend(pack_i32(&c0));
    }
    let vw = vector_words_i8(hid);
    let rec = record(&img, &xs, &state, vw * xs.len());
    let (hs, c_ref) = rnn_reference(kind, &passes, &xs, &h0, &c0);
    assert_eq!(
        unpack_i8(&rec.out_words, hid),
        hs[0],
        "rust-hdl {name} h vs reference"
    );
    assert_eq!(
        unpack_i8(&rec.state_words[..vw], hid),
        hs[0],
        "{name} state h"
    );
    if lstm {
        let c = unpack_i32(&rec.state_words[vw..], hid);
        assert_eq!(c, c_ref, "{name} state c");
        assert_ne!(c, c0, "{name} state c changed");
    }
    check_cosim(&rec, name);
}

#[test]
fn gru_step_verilog_matches_rust_hdl_cycle_by_cycle() {
    rnn_check(LayerKind::Gru, 82, "gru", 20);
}

#[test]
fn lstm_step_verilog_matches_rust_hdl_cycle_by_cycle() {
    rnn_check(LayerKind::Lstm, 83, "lstm", 20);
}

/// The comparison must be able to fail: plant a bug in the generated Verilog (one
/// operator of the engine's datapath changed) and expect a reported mismatch.
#[test]
fn a_planted_rtl_bug_is_detected() {
    let (rec, _) = fc_recording();
    let (from, to, occurrence) = PLANTED_BUG;
    let bad = cosim::mutate(&rec.verilog, from, to, occurrence)
        .unwrap_or_else(|| panic!("`{from}` not found in the engine's Verilog"));
    match cosim::cosimulate(&bad, &rec.trace, &work_dir("planted_bug")) {
        Err(CosimError::Mismatch { port, snapshot, .. }) => {
            // The wrong sums first show where the FC results go out to DRAM.
            assert_eq!(
                port, "dram$write_data_in",
                "mismatch at snapshot {snapshot}"
            );
            assert!(snapshot < rec.done_cycle, "caught at {snapshot}");
        }
        other => panic!("planted bug not detected: {other:?}"),
    }
}

/// The planted bug: (text, replacement, occurrence) in the engine's generated Verilog: the
/// first gather lane subtracts its looked-up product instead of adding it.
const PLANTED_BUG: (&str, &str, usize) = (
    "acc$write_data = acc$read_data + product;",
    "acc$write_data = acc$read_data - product;",
    0,
);
