//! Engine benchmark: simulates g2p_en-shaped GRU steps (256 inputs, H = 256, 768 rows per
//! pass, u_i ~ 100-130) and an FC layer on the 16-lane engine with the DDR3 model, and
//! prints cycles, counters and the ratio to the roofline max(DRAM words (16 bytes per
//! cycle = 1.6 GB/s at 100 MHz), additions / lanes). Simulation speed is measured three
//! ways on the same GRU steps: the engine's Verilog under Verilator
//! (`cycles_per_second`), the engine under rust-hdl (`rusthdl_cycles_per_second`), and
//! the whole simulated board (bridge + engine on Verilator, DDR3 model, both clocks;
//! `board_cycles_per_second`, UI cycles).

use crew_hw::board::accelerator::{BoardAccelerator, CrewAccelerator};
use crew_hw::board::sim_board::{SimBoard, SimBoardConfig};
use crew_hw::sim::ddr3_model::Ddr3Timing;
use crew_hw::sim::engine::VerilatedEngine;
use crew_hw::testbench::engine::{EngineSim, RunReport, RunRequest};
use crew_hw::testbench::layer_image::{
    build_layer, build_token_layer, pack_i8_vectors, PassMatrix,
};
use crew_spec::image::{token_input, EpilogueRow, LayerKind};
use crew_spec::numerics::quantize_multiplier;
use crew_spec::regmap;
use std::time::Instant;

const LANES: usize = 16;

/// Deterministic pseudo-random numbers (xorshift) so the benchmark needs no extra crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn matrix(rng: &mut Rng, rows: usize, cols: usize) -> Vec<i16> {
    let mut w = vec![0i16; rows * cols];
    for c in 0..cols {
        let u = 100 + rng.below(31) as usize;
        let start = rng.below(256 - u as u64) as i16 - 128;
        for r in 0..rows {
            let k = if r < u {
                r
            } else {
                rng.below(u as u64) as usize
            };
            w[r * cols + c] = start + k as i16;
        }
    }
    w
}

fn epilogue(rng: &mut Rng, rows: usize) -> Vec<EpilogueRow> {
    (0..rows)
        .map(|_| {
            let (multiplier, shift) = quantize_multiplier(0.02 + rng.below(100) as f64 * 1e-3);
            EpilogueRow {
                bias: rng.below(20_000) as i32 - 10_000,
                multiplier,
                shift,
            }
        })
        .collect()
}

struct Row {
    name: String,
    steps: usize,
    report: RunReport,
    seconds: f64,
}

impl Row {
    fn roofline(&self) -> f64 {
        (self.report.counters.dram_words as f64)
            .max(self.report.counters.adds as f64 / LANES as f64)
    }
    fn ratio(&self) -> f64 {
        self.report.counters.cycles as f64 / self.roofline()
    }
    fn speed(&self) -> f64 {
        self.report.wall_cycles as f64 / self.seconds
    }
}

fn run(
    sim: &mut EngineSim,
    name: &str,
    req: RunRequest,
) -> Result<Row, crew_hw::sim::harness::SimHarnessError> {
    let t0 = Instant::now();
    let report = sim.run(req, 50_000_000)?;
    let seconds = t0.elapsed().as_secs_f64();
    assert!(report.ok(), "{name}: engine error {}", report.error);
    Ok(Row {
        name: name.into(),
        steps: req.steps as usize,
        report,
        seconds,
    })
}

fn set_u32(
    board: &mut SimBoard,
    lo: u8,
    hi: u8,
    value: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    board.set_wire_in(lo, value as u16)?;
    board.set_wire_in(hi, (value >> 16) as u16)?;
    Ok(())
}

/// Runs `req` on the simulated board through its endpoints (wires, trigger, trigger-out
/// poll) as the driver does; returns the engine cycles from the wire-outs.
fn board_run(board: &mut SimBoard, req: RunRequest) -> Result<u32, Box<dyn std::error::Error>> {
    use regmap::*;
    set_u32(
        board,
        WIRE_IN_DESC_ADDR_LO,
        WIRE_IN_DESC_ADDR_HI,
        req.desc_addr,
    )?;
    set_u32(board, WIRE_IN_IN_ADDR_LO, WIRE_IN_IN_ADDR_HI, req.in_addr)?;
    set_u32(
        board,
        WIRE_IN_OUT_ADDR_LO,
        WIRE_IN_OUT_ADDR_HI,
        req.out_addr,
    )?;
    set_u32(
        board,
        WIRE_IN_STATE_ADDR_LO,
        WIRE_IN_STATE_ADDR_HI,
        req.state_addr,
    )?;
    board.set_wire_in(WIRE_IN_STEPS, req.steps)?;
    board.update_wire_ins()?;
    board.update_trigger_outs()?;
    board.activate_trigger_in(TRIGGER_IN_COMMAND, TRIG_START_RUN)?;
    board.wait_trigger_out(TRIGGER_OUT_EVENTS, 1 << TRIG_OUT_RUN_DONE, 100_000_000)?;
    board.update_wire_outs()?;
    let error = board.get_wire_out(WIRE_OUT_ERROR_CODE)?;
    assert_eq!(error, 0, "board run failed with error {error}");
    let lo = board.get_wire_out(WIRE_OUT_CYCLES_LO)? as u32;
    let hi = board.get_wire_out(WIRE_OUT_CYCLES_HI)? as u32;
    Ok(lo | hi << 16)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (n_in, hid) = (256, 256);
    let rows = 3 * hid;
    let passes = vec![
        PassMatrix {
            rows,
            cols: n_in,
            weights: matrix(&mut rng, rows, n_in),
            epilogue: epilogue(&mut rng, rows),
        },
        PassMatrix {
            rows,
            cols: hid,
            weights: matrix(&mut rng, rows, hid),
            epilogue: epilogue(&mut rng, rows),
        },
    ];
    let gru = build_layer(LayerKind::Gru, false, n_in, hid, &passes, 0x100);
    let fc_pass = PassMatrix {
        rows: 1024,
        cols: 256,
        weights: matrix(&mut rng, 1024, 256),
        epilogue: epilogue(&mut rng, 1024),
    };
    let fc = build_layer(LayerKind::Fc, false, 256, 1024, &[fc_pass], 0x10_0000);
    let xs: Vec<Vec<i8>> = (0..8)
        .map(|_| (0..n_in).map(|_| rng.below(256) as u8 as i8).collect())
        .collect();
    // The same GRU fed by a 30-token embedding, its x pass folded (token input).
    let embedding: Vec<Vec<i8>> = (0..30)
        .map(|_| (0..n_in).map(|_| rng.below(256) as u8 as i8).collect())
        .collect();
    let token_gru = build_token_layer(
        LayerKind::Gru,
        false,
        false,
        &embedding,
        hid,
        &passes,
        0x20_0000,
    );
    let tokens: Vec<Vec<i8>> = (0..8).map(|_| token_input(rng.below(30) as u16)).collect();

    let mut sim: EngineSim = EngineSim::new(Ddr3Timing::default())?;
    sim.ddr().load_words(gru.base as u64, &gru.words);
    sim.ddr().load_words(fc.base as u64, &fc.words);
    sim.ddr().load_words(0x40_0000, &pack_i8_vectors(&xs));
    sim.ddr()
        .load_words(token_gru.base as u64, &token_gru.words);
    sim.ddr().load_words(0x48_0000, &pack_i8_vectors(&tokens));
    sim.ddr()
        .load_words(0x60_0000, &pack_i8_vectors(&[vec![0i8; hid]]));
    let req = |desc: u32, steps: u16| RunRequest {
        desc_addr: desc,
        in_addr: 0x40_0000,
        out_addr: 0x50_0000,
        state_addr: 0x60_0000,
        steps,
    };
    let rows_out = vec![
        run(&mut sim, "gru g2p-shaped, 1 step", req(gru.desc_addr, 1))?,
        run(&mut sim, "gru g2p-shaped, 8 steps", req(gru.desc_addr, 8))?,
        run(&mut sim, "fc 256x1024, 4 steps", req(fc.desc_addr, 4))?,
        run(
            &mut sim,
            "gru token input, 1 step",
            RunRequest {
                in_addr: 0x48_0000,
                ..req(token_gru.desc_addr, 1)
            },
        )?,
        run(
            &mut sim,
            "gru token input, 8 steps",
            RunRequest {
                in_addr: 0x48_0000,
                ..req(token_gru.desc_addr, 8)
            },
        )?,
    ];
    println!(
        "{:<26} {:>5} {:>9} {:>9} {:>9} {:>8} {:>9} {:>7} {:>9} {:>6} {:>10}",
        "run",
        "steps",
        "cycles",
        "cyc/step",
        "roofline",
        "stalls",
        "dram_wds",
        "mults",
        "adds",
        "ratio",
        "sim cyc/s"
    );
    for r in &rows_out {
        println!(
            "{:<26} {:>5} {:>9} {:>9} {:>9.0} {:>8} {:>9} {:>7} {:>9} {:>6.3} {:>10.0}",
            r.name,
            r.steps,
            r.report.counters.cycles,
            r.report.counters.cycles as usize / r.steps,
            r.roofline(),
            r.report.counters.stall_cycles,
            r.report.counters.dram_words,
            r.report.counters.mults,
            r.report.counters.adds,
            r.ratio(),
            r.speed()
        );
    }
    let single = &rows_out[0];
    println!("single_step_roofline_ratio={:.3}", single.ratio());
    println!("roofline_ratio={:.3}", rows_out[1].ratio());
    println!(
        "token_gru_cycles_per_step={}",
        rows_out[4].report.counters.cycles as usize / rows_out[4].steps
    );
    println!(
        "token_gru_single_step_cycles={}",
        rows_out[3].report.counters.cycles
    );
    println!("token_roofline_ratio={:.3}", rows_out[4].ratio());
    // rust-hdl's speed on the GRU steps above.
    let rusthdl_cycles: u64 = rows_out[..2].iter().map(|r| r.report.wall_cycles).sum();
    let rusthdl_secs: f64 = rows_out[..2].iter().map(|r| r.seconds).sum();
    println!(
        "rusthdl_cycles_per_second={:.0}",
        rusthdl_cycles as f64 / rusthdl_secs
    );

    // The same GRU steps on the engine's Verilog under Verilator: same cycle counts.
    let mut verilated = VerilatedEngine::<<CrewAccelerator as BoardAccelerator>::Engine>::new(
        Ddr3Timing::default(),
    )?;
    if let Some(s) = verilated.build_seconds() {
        eprintln!("verilator: built the engine model in {s:.1} s");
    }
    for (addr, words) in [
        (gru.base as u64, &gru.words),
        (0x40_0000, &pack_i8_vectors(&xs)),
        (0x60_0000, &pack_i8_vectors(&[vec![0i8; hid]])),
    ] {
        verilated.ddr().load_words(addr, words);
    }
    let t0 = Instant::now();
    let mut verilator_wall = 0;
    for (steps, rust_hdl) in [(1, &rows_out[0]), (8, &rows_out[1])] {
        let report = verilated.run(req(gru.desc_addr, steps), 50_000_000)?;
        assert!(report.ok(), "Verilator: engine error {}", report.error);
        assert_eq!(
            report, rust_hdl.report,
            "Verilator and rust-hdl disagree on the engine counters of {}",
            rust_hdl.name
        );
        verilator_wall += report.wall_cycles;
    }
    println!(
        "cycles_per_second={:.0}",
        verilator_wall as f64 / t0.elapsed().as_secs_f64()
    );

    // The whole simulated board on the same GRU steps, started through the endpoints.
    let mut board = SimBoard::new(SimBoardConfig::default())?;
    if let Some(notice) = board.notice() {
        eprintln!("sim: {notice}");
    }
    board.wait_calibrated(100_000)?;
    board.dram_load_words(gru.base as u64, &gru.words);
    board.dram_load_words(0x40_0000, &pack_i8_vectors(&xs));
    board.dram_load_words(0x60_0000, &pack_i8_vectors(&[vec![0i8; hid]]));
    let (ui0, t0, cpu0) = (board.ui_cycles(), Instant::now(), thread_cpu_seconds());
    // Engine cycles differ from the runs above by a few: the host calls between runs
    // shift the DRAM refresh phase.
    for steps in [1, 8] {
        let cycles = board_run(&mut board, req(gru.desc_addr, steps))?;
        println!("board_gru_{steps}_step_engine_cycles={cycles}");
    }
    // Three more 8-step runs: the rate is measured over about a million UI cycles.
    for _ in 0..3 {
        board_run(&mut board, req(gru.desc_addr, 8))?;
    }
    println!(
        "board_cycles_per_second={:.0}",
        (board.ui_cycles() - ui0) as f64 / t0.elapsed().as_secs_f64()
    );
    println!(
        "board_cycles_per_cpu_second={:.0}",
        (board.ui_cycles() - ui0) as f64 / (thread_cpu_seconds() - cpu0)
    );
    println!("board_simulator={}", board.simulator());
    Ok(())
}

/// CPU time this thread has run (Linux schedstat, nanoseconds): on a shared machine the
/// simulator's speed per CPU second is steadier than per wall second.
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}
