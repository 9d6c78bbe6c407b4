//! The simulated board end to end through its endpoints, and the cross-check between its
//! two simulators: one host-call script
//! (calibration, a pipe write and read-back, a GRU step, an LSTM step, an FC run, an
//! engine error) runs on rust-hdl's simulation and on the Verilator build of the same
//! accelerator, and every observation after every call must agree: the call's result
//! (bytes moved, errors), all wire-outs, the trigger-outs, the simulated cycle counts and
//! the DRAM contents. The results are also checked against the independent integer
//! reference, and a deliberately planted RTL change in the Verilog must make the
//! comparison fail. The script runs on the board with either engine (the dense engine
//! gets the same layers in the dense image layout).

mod common;

use common::*;
use crew_hw::board::engine::BoardEngine;
use crew_hw::board::sim_board::{SimBoard, SimBoardConfig, Simulator};
use crew_hw::testbench::cosim;
use crew_hw::testbench::layer_image::{pack_i8_vectors, unpack_i32, unpack_i8, LayerImage};
use crew_spec::image::{vector_words_i32, vector_words_i8, LayerKind, WORD_BYTES};
use crew_spec::regmap::{self, ErrorCode};
use std::sync::OnceLock;

/// Where the script puts things in DRAM (word addresses).
const GRU_BASE: u32 = 0x100;
const LSTM_BASE: u32 = 0x1000;
const FC_BASE: u32 = 0x2000;
const IN: u32 = 0x4000;
const OUT: u32 = 0x5000;
const STATE: u32 = 0x6000;
const EMPTY: u32 = 0x7000;
const MAX_WAIT: u64 = 2_000_000;

/// The layers the script runs, with what the integer reference says they produce.
struct Workload {
    gru: LayerImage,
    lstm: LayerImage,
    fc: LayerImage,
    x: Vec<i8>,
    gru_h: Vec<i8>,
    lstm_h: Vec<i8>,
    lstm_c: Vec<i32>,
    fc_out: Vec<i32>,
    hid: usize,
    fc_out_len: usize,
}

fn workload(engine: BoardEngine) -> Workload {
    let relayout =
        |kind, n_in, n_out, passes: &[_], base| relayout(engine, kind, n_in, n_out, passes, base);
    let mut r = rng(0x5EED_CAFE);
    let (n_in, hid) = (20, 18);
    let x = random_vector(&mut r, n_in);
    let h0 = vec![0i8; hid];
    let c0 = vec![0i32; hid];
    // The random layers come built at IMAGE_BASE; descriptors hold absolute addresses,
    // so each is laid out again at its own base.
    let (gru_passes, _) = rnn_layer(&mut r, LayerKind::Gru, n_in, hid, |c| 3 + c % 9);
    let (lstm_passes, _) = rnn_layer(&mut r, LayerKind::Lstm, n_in, hid, |c| 2 + c % 7);
    let (fc_pass, _) = fc_layer(&mut r, n_in, 40, false, |c| 1 + c % 13);
    let (gru_hs, _) = rnn_reference(
        LayerKind::Gru,
        &gru_passes,
        std::slice::from_ref(&x),
        &h0,
        &c0,
    );
    let (lstm_hs, lstm_c) = rnn_reference(
        LayerKind::Lstm,
        &lstm_passes,
        std::slice::from_ref(&x),
        &h0,
        &c0,
    );
    Workload {
        gru: relayout(LayerKind::Gru, n_in, hid, &gru_passes, GRU_BASE),
        lstm: relayout(LayerKind::Lstm, n_in, hid, &lstm_passes, LSTM_BASE),
        fc: relayout(
            LayerKind::Fc,
            n_in,
            40,
            std::slice::from_ref(&fc_pass),
            FC_BASE,
        ),
        gru_h: gru_hs[0].clone(),
        lstm_h: lstm_hs[0].clone(),
        lstm_c,
        fc_out: dense(&fc_pass, &x),
        x,
        hid,
        fc_out_len: 40,
    }
}

fn relayout(
    engine: BoardEngine,
    kind: LayerKind,
    n_in: usize,
    n_out: usize,
    passes: &[crew_hw::testbench::layer_image::PassMatrix],
    base: u32,
) -> LayerImage {
    if engine.kind_code() == regmap::ENGINE_KIND_CREW {
        crew_hw::testbench::layer_image::build_layer(kind, false, n_in, n_out, passes, base)
    } else {
        crew_hw::testbench::layer_image::build_dense_layer(kind, n_in, n_out, passes, base)
    }
}

/// What one host call left behind.
#[derive(Debug, PartialEq, Eq)]
struct Observation {
    call: String,
    result: String,
    wire_outs: Vec<u16>,
    triggers: u16,
    ui_cycles: u64,
    ti_cycles: u64,
    dram: Vec<u128>,
}

struct Script<'a> {
    board: SimBoard,
    log: Vec<Observation>,
    dram_regions: &'a [(u32, usize)],
}

impl Script<'_> {
    fn observe(&mut self, call: &str, result: String) {
        let b = &mut self.board;
        b.update_wire_outs().unwrap();
        let wire_outs = (0x20..0x40).map(|a| b.get_wire_out(a).unwrap()).collect();
        b.update_trigger_outs().unwrap();
        let triggers = (0..16)
            .filter(|&bit| {
                b.is_triggered(regmap::TRIGGER_OUT_EVENTS, 1 << bit)
                    .unwrap()
            })
            .fold(0u16, |acc, bit| acc | 1 << bit);
        let dram = self
            .dram_regions
            .iter()
            .flat_map(|&(addr, n)| b.dram_read_words(addr as u64, n))
            .collect();
        self.log.push(Observation {
            call: call.to_string(),
            result,
            wire_outs,
            triggers,
            ui_cycles: b.ui_cycles(),
            ti_cycles: b.ti_cycles(),
            dram,
        });
    }

    fn set_u32(&mut self, lo: u8, hi: u8, v: u32) {
        self.board.set_wire_in(lo, v as u16).unwrap();
        self.board.set_wire_in(hi, (v >> 16) as u16).unwrap();
    }

    fn arm(&mut self, trigger: u8, addr: u32, words: u32) {
        use regmap::*;
        self.set_u32(WIRE_IN_XFER_ADDR_LO, WIRE_IN_XFER_ADDR_HI, addr);
        self.set_u32(WIRE_IN_XFER_WORDS_LO, WIRE_IN_XFER_WORDS_HI, words);
        self.board.update_wire_ins().unwrap();
        self.board
            .activate_trigger_in(TRIGGER_IN_COMMAND, trigger)
            .unwrap();
    }

    fn wait(&mut self, event: u8) -> String {
        format!(
            "{:?}",
            self.board
                .wait_trigger_out(regmap::TRIGGER_OUT_EVENTS, 1 << event, MAX_WAIT)
        )
    }

    fn write(&mut self, call: &str, addr: u32, bytes: &[u8]) {
        self.arm(
            regmap::TRIG_START_DRAM_WRITE,
            addr,
            (bytes.len() / WORD_BYTES) as u32,
        );
        let moved = self
            .board
            .write_to_block_pipe_in(regmap::PIPE_IN_DRAM, 512, &padded(bytes));
        let waited = self.wait(regmap::TRIG_OUT_XFER_DONE);
        self.observe(call, format!("{moved:?} {waited}"));
    }

    fn read(&mut self, call: &str, addr: u32, words: usize) -> Vec<u8> {
        self.arm(regmap::TRIG_START_DRAM_READ, addr, words as u32);
        let mut buf = padded(&vec![0; words * WORD_BYTES]);
        let moved = self
            .board
            .read_from_block_pipe_out(regmap::PIPE_OUT_DRAM, 512, &mut buf);
        let waited = self.wait(regmap::TRIG_OUT_XFER_DONE);
        buf.truncate(words * WORD_BYTES);
        self.observe(call, format!("{moved:?} {waited} {}", hex(&buf)));
        buf
    }

    fn run(&mut self, call: &str, desc_addr: u32) {
        self.run_steps(call, desc_addr, 1)
    }

    fn run_steps(&mut self, call: &str, desc_addr: u32, steps: u16) {
        use regmap::*;
        self.set_u32(WIRE_IN_DESC_ADDR_LO, WIRE_IN_DESC_ADDR_HI, desc_addr);
        self.set_u32(WIRE_IN_IN_ADDR_LO, WIRE_IN_IN_ADDR_HI, IN);
        self.set_u32(WIRE_IN_OUT_ADDR_LO, WIRE_IN_OUT_ADDR_HI, OUT);
        self.set_u32(WIRE_IN_STATE_ADDR_LO, WIRE_IN_STATE_ADDR_HI, STATE);
        self.board.set_wire_in(WIRE_IN_STEPS, steps).unwrap();
        self.board.update_wire_ins().unwrap();
        self.board.update_trigger_outs().unwrap();
        self.board
            .activate_trigger_in(TRIGGER_IN_COMMAND, TRIG_START_RUN)
            .unwrap();
        let waited = self.wait(TRIG_OUT_RUN_DONE);
        self.observe(call, waited);
    }
}

/// Pipe transfers are whole 512-byte blocks; the bridge stops after the armed words.
fn padded(bytes: &[u8]) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v.resize(bytes.len().div_ceil(512) * 512, 0);
    v
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn words_to_bytes(words: &[u128]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Runs the script on a board and returns its log (and the board, for result checks).
fn run_script(board: SimBoard, w: &Workload) -> (Vec<Observation>, SimBoard) {
    let state_words = vector_words_i8(w.hid) + vector_words_i32(w.hid);
    let regions = [
        (GRU_BASE, w.gru.words.len()),
        (LSTM_BASE, w.lstm.words.len()),
        (FC_BASE, w.fc.words.len()),
        (IN, 2),
        (OUT, 8),
        (STATE, state_words),
    ];
    let mut s = Script {
        board,
        log: vec![],
        dram_regions: &regions,
    };
    let calibrated = s.board.wait_calibrated(10_000);
    s.observe("calibrate", format!("{calibrated:?}"));
    for (name, img) in [("gru", &w.gru), ("lstm", &w.lstm), ("fc", &w.fc)] {
        s.write(
            &format!("write {name} image"),
            img.base,
            &words_to_bytes(&img.words),
        );
    }
    let back = s.read("read back the gru image", w.gru.base, w.gru.words.len());
    assert_eq!(back, words_to_bytes(&w.gru.words), "pipe read-back");
    s.write(
        "write inputs",
        IN,
        &words_to_bytes(&pack_i8_vectors(std::slice::from_ref(&w.x))),
    );
    let zero_state: Vec<u128> = vec![0; state_words];
    s.write("clear the state", STATE, &words_to_bytes(&zero_state));
    s.run("gru step", w.gru.desc_addr);
    s.write("clear the state", STATE, &words_to_bytes(&zero_state));
    s.run("lstm step", w.lstm.desc_addr);
    s.run("fc run", w.fc.desc_addr);
    s.run("run on an empty descriptor (engine error)", EMPTY);
    (s.log, s.board)
}

fn board(simulator: Simulator) -> SimBoard {
    engine_board(BoardEngine::Crew, simulator)
}

fn engine_board(engine: BoardEngine, simulator: Simulator) -> SimBoard {
    SimBoard::new(SimBoardConfig {
        engine,
        simulator,
        ..SimBoardConfig::default()
    })
    .unwrap()
}

/// The script on rust-hdl on the CREW board, run once for both tests.
fn rust_hdl_log() -> &'static Vec<Observation> {
    static LOG: OnceLock<Vec<Observation>> = OnceLock::new();
    LOG.get_or_init(|| run_script(board(Simulator::RustHdl), &workload(BoardEngine::Crew)).0)
}

/// The first call after which the two logs differ, described.
fn first_difference(a: &[Observation], b: &[Observation]) -> Option<String> {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            let field = if x.result != y.result {
                format!("result {} vs {}", x.result, y.result)
            } else if x.wire_outs != y.wire_outs {
                format!("wire-outs {:04x?} vs {:04x?}", x.wire_outs, y.wire_outs)
            } else if x.triggers != y.triggers {
                format!("trigger-outs {:#x} vs {:#x}", x.triggers, y.triggers)
            } else if (x.ui_cycles, x.ti_cycles) != (y.ui_cycles, y.ti_cycles) {
                format!(
                    "cycles {}/{} vs {}/{}",
                    x.ui_cycles, x.ti_cycles, y.ui_cycles, y.ti_cycles
                )
            } else {
                "DRAM contents".to_string()
            };
            return Some(format!("after `{}`: {field}", x.call));
        }
    }
    (a.len() != b.len()).then(|| format!("{} vs {} calls", a.len(), b.len()))
}

#[test]
fn verilator_and_rust_hdl_agree_after_every_host_call() {
    agree_and_match_the_reference(BoardEngine::Crew, rust_hdl_log());
}

#[test]
fn the_dense_board_verilator_and_rust_hdl_agree_and_match_the_reference() {
    let w = workload(BoardEngine::Dense);
    let (rust_hdl, _) = run_script(engine_board(BoardEngine::Dense, Simulator::RustHdl), &w);
    agree_and_match_the_reference(BoardEngine::Dense, &rust_hdl);
}

/// The script on Verilator against `rust_hdl_log` (the script on rust-hdl), both on the
/// board holding `engine`, and its results against the integer reference.
fn agree_and_match_the_reference(engine: BoardEngine, rust_hdl_log: &[Observation]) {
    let w = workload(engine);
    let (verilator_log, mut board) = run_script(engine_board(engine, Simulator::Verilator), &w);
    assert_eq!(board.simulator(), Simulator::Verilator);
    if let Some(diff) = first_difference(rust_hdl_log, &verilator_log) {
        panic!("rust-hdl and Verilator differ {diff}");
    }
    // The identity wires name the engine.
    assert_eq!(
        verilator_log[0].wire_outs[(regmap::WIRE_OUT_ENGINE_KIND - 0x20) as usize],
        engine.kind_code()
    );
    // Both are right, too: the results match the integer reference.
    let vw = vector_words_i8(w.hid);
    let last = verilator_log.last().unwrap();
    assert_eq!(
        last.wire_outs[(regmap::WIRE_OUT_ERROR_CODE - 0x20) as usize],
        ErrorCode::BadDescriptor as u16
    );
    let fc = unpack_i32(
        &board.dram_read_words(OUT as u64, vector_words_i32(w.fc_out_len)),
        w.fc_out_len,
    );
    assert_eq!(fc, w.fc_out, "FC outputs vs the integer reference");
    let h = unpack_i8(&board.dram_read_words(STATE as u64, vw), w.hid);
    let c = unpack_i32(
        &board.dram_read_words(STATE as u64 + vw as u64, vector_words_i32(w.hid)),
        w.hid,
    );
    assert_eq!((h, c), (w.lstm_h.clone(), w.lstm_c.clone()), "LSTM state");
    // The GRU output as DRAM held it right after its step (OUT follows the three images
    // and the inputs in the observed regions).
    let gru_step = verilator_log.iter().find(|o| o.call == "gru step").unwrap();
    let out_at = w.gru.words.len() + w.lstm.words.len() + w.fc.words.len() + 2;
    let gru_out = unpack_i8(&gru_step.dram[out_at..out_at + vw], w.hid);
    assert_eq!(gru_out, w.gru_h, "GRU outputs vs the integer reference");
    assert!(board.leds().unwrap() & 1 == 1, "calibrated LED");
}

#[test]
fn a_planted_rtl_change_makes_the_simulators_disagree() {
    // The same planted bug as the iverilog co-simulation: a gather lane subtracts.
    let planted = |verilog: String| {
        cosim::mutate(
            &verilog,
            "acc$write_data = acc$read_data + product;",
            "acc$write_data = acc$read_data - product;",
            3,
        )
        .expect("the gather lane's accumulate is in the accelerator's Verilog")
    };
    let board = SimBoard::with_verilog_edit(
        SimBoardConfig {
            simulator: Simulator::Verilator,
            ..SimBoardConfig::default()
        },
        Some(&planted),
    )
    .unwrap();
    let (log, _) = run_script(board, &workload(BoardEngine::Crew));
    let diff = first_difference(rust_hdl_log(), &log).expect("the planted change is caught");
    assert!(
        diff.contains("gru step") || diff.contains("lstm step") || diff.contains("fc run"),
        "caught where a layer runs: {diff}"
    );
}

#[test]
fn a_128x128_lstm_runs_40_steps_on_the_simulated_board_bit_exact() {
    let mut r = rng(0x1571_4040);
    let (n_in, hid, steps) = (128, 128, 40);
    let (passes, _) = rnn_layer(&mut r, LayerKind::Lstm, n_in, hid, |c| 8 + c % 40);
    let img = relayout(
        BoardEngine::Crew,
        LayerKind::Lstm,
        n_in,
        hid,
        &passes,
        LSTM_BASE,
    );
    let xs: Vec<Vec<i8>> = (0..steps).map(|_| random_vector(&mut r, n_in)).collect();
    let (hs, c) = rnn_reference(LayerKind::Lstm, &passes, &xs, &vec![0; hid], &vec![0; hid]);
    let mut s = Script {
        board: board(Simulator::Verilator),
        log: vec![],
        dram_regions: &[],
    };
    assert_eq!(s.board.simulator(), Simulator::Verilator);
    s.board.wait_calibrated(10_000).unwrap();
    s.write(
        "write the lstm image",
        img.base,
        &words_to_bytes(&img.words),
    );
    s.write(
        "write the inputs",
        IN,
        &words_to_bytes(&pack_i8_vectors(&xs)),
    );
    let state = vec![0u128; vector_words_i8(hid) + vector_words_i32(hid)];
    s.write("clear the state", STATE, &words_to_bytes(&state));
    s.run_steps("40 lstm steps", img.desc_addr, steps as u16);
    let last = s.log.last().unwrap();
    assert_eq!(
        last.wire_outs[(regmap::WIRE_OUT_ERROR_CODE - 0x20) as usize],
        0
    );
    let vw = vector_words_i8(hid);
    for (t, expected) in hs.iter().enumerate() {
        let got = unpack_i8(
            &s.board.dram_read_words(OUT as u64 + (t * vw) as u64, vw),
            hid,
        );
        assert_eq!(&got, expected, "h at step {t}");
    }
    let c_got = unpack_i32(
        &s.board
            .dram_read_words(STATE as u64 + vw as u64, vector_words_i32(hid)),
        hid,
    );
    assert_eq!(c_got, c, "c after step {steps}");
    let cycles = last.wire_outs[(regmap::WIRE_OUT_CYCLES_LO - 0x20) as usize] as u32
        | (last.wire_outs[(regmap::WIRE_OUT_CYCLES_HI - 0x20) as usize] as u32) << 16;
    eprintln!(
        "lstm 128x128, {steps} steps: {cycles} engine cycles, {} image words",
        img.words.len()
    );
}

#[test]
fn under_ci_the_simulated_board_runs_on_verilator() {
    let board = board(Simulator::Verilator);
    if std::env::var_os("CI").is_some() {
        assert_eq!(
            board.simulator(),
            Simulator::Verilator,
            "CI must have the Verilator backend (scripts/test.sh installs it): {:?}",
            board.notice()
        );
    } else if board.simulator() != Simulator::Verilator {
        eprintln!("note: {}", board.notice().unwrap_or_default());
    }
}
