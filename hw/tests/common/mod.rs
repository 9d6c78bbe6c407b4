//! Shared helpers of the engine tests: random quantized layers and an independent
//! integer reference written from the dense matrices (not from the RTL), and the two
//! engines under test ([`Crew`], [`Dense`]) for test bodies that run on both.
#![allow(dead_code)]

pub mod board;
pub mod cosim;
pub mod program;

use crew_hw::engine::crew::CrewEngine;
use crew_hw::engine::dense::DenseEngine;
use crew_hw::engine::Engine;
use crew_hw::sim::ddr3_model::Ddr3Timing;
use crew_hw::testbench::engine::{EngineDdrSim, EngineSim, RunReport, RunRequest};
use crew_hw::testbench::layer_image::{
    build_dense_layer, build_layer, build_token_layer, pack_i32, pack_i8_vectors, unpack_i32,
    unpack_i8, LayerImage, PassMatrix,
};
use crew_spec::image::{vector_words_i32, vector_words_i8, EpilogueRow, LayerKind};
use crew_spec::numerics::{quantize_multiplier, requantize, Luts};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const IMAGE_BASE: u32 = 0x100;
pub const IN_ADDR: u32 = 0x40_0000;
pub const OUT_ADDR: u32 = 0x50_0000;
pub const STATE_ADDR: u32 = 0x60_0000;

pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A rows x cols matrix whose column c has (up to) `unique(c)` distinct values.
pub fn random_matrix(
    r: &mut ChaCha8Rng,
    rows: usize,
    cols: usize,
    wide: bool,
    unique: impl Fn(usize) -> usize,
) -> Vec<i16> {
    let mut w = vec![0i16; rows * cols];
    for c in 0..cols {
        let u = unique(c).max(1);
        let mut values: Vec<i16> = if wide {
            (0..u).map(|_| r.gen::<i16>()).collect()
        } else {
            let mut all: Vec<i16> = (-128..=127).collect();
            all.shuffle(r);
            all.truncate(u);
            all
        };
        values.dedup();
        for row in 0..rows {
            // Every value appears when rows allow it, the rest at random.
            let v = if row < values.len() {
                values[row]
            } else {
                values[r.gen_range(0..values.len())]
            };
            w[row * cols + c] = v;
        }
        // Shuffle the column so the unique values are not all at the top.
        for row in (1..rows).rev() {
            let k = r.gen_range(0..=row);
            w.swap(row * cols + c, k * cols + c);
        }
    }
    w
}

pub fn random_epilogue(r: &mut ChaCha8Rng, rows: usize, acc_scale: f64) -> Vec<EpilogueRow> {
    (0..rows)
        .map(|_| {
            // Map a typical accumulator to a few units in the gate domain (Q.12).
            let scale = 4096.0 * 3.0 / acc_scale * r.gen_range(0.3..3.0);
            let (multiplier, shift) = quantize_multiplier(scale);
            EpilogueRow {
                bias: r.gen_range(-(acc_scale as i32)..=(acc_scale as i32)),
                multiplier,
                shift,
            }
        })
        .collect()
}

pub fn random_vector(r: &mut ChaCha8Rng, n: usize) -> Vec<i8> {
    (0..n).map(|_| r.gen::<i8>()).collect()
}

/// Dense reference: bias + sum W[o][i] * x[i], i32 wrapping as in hardware.
pub fn dense(p: &PassMatrix, x: &[i8]) -> Vec<i32> {
    (0..p.rows)
        .map(|o| {
            (0..p.cols).fold(p.epilogue[o].bias, |acc, i| {
                acc.wrapping_add(p.weight(o, i) as i32 * x[i] as i32)
            })
        })
        .collect()
}

pub fn requantized(p: &PassMatrix, x: &[i8]) -> Vec<i32> {
    dense(p, x)
        .iter()
        .zip(&p.epilogue)
        .map(|(&acc, e)| requantize(acc, e.multiplier, e.shift))
        .collect()
}

/// Reference GRU/LSTM steps: returns (h per step, final c).
pub fn rnn_reference(
    kind: LayerKind,
    passes: &[PassMatrix],
    xs: &[Vec<i8>],
    h0: &[i8],
    c0: &[i32],
) -> (Vec<Vec<i8>>, Vec<i32>) {
    let luts = Luts::default();
    let hid = h0.len();
    let mut h = h0.to_vec();
    let mut c = c0.to_vec();
    let mut hs = vec![];
    for x in xs {
        let gx = requantized(&passes[0], x);
        let gh = requantized(&passes[1], &h);
        let mut h_new = vec![0i8; hid];
        for j in 0..hid {
            match kind {
                LayerKind::Gru => {
                    h_new[j] = luts.gru_cell(
                        [gx[j], gx[hid + j], gx[2 * hid + j]],
                        [gh[j], gh[hid + j], gh[2 * hid + j]],
                        h[j],
                    );
                }
                LayerKind::Lstm => {
                    let (hn, cn) = luts.lstm_cell(
                        [gx[j], gx[hid + j], gx[2 * hid + j], gx[3 * hid + j]],
                        [gh[j], gh[hid + j], gh[2 * hid + j], gh[3 * hid + j]],
                        c[j],
                    );
                    h_new[j] = hn;
                    c[j] = cn;
                }
                LayerKind::Fc => unreachable!(),
            }
        }
        h = h_new.clone();
        hs.push(h_new);
    }
    (hs, c)
}

/// An engine under test and the image layout it reads.
pub trait EngineUnderTest {
    type Engine: Engine;
    /// Whether column records start with a header (table size, index bits) the engine
    /// checks; the dense layout has none.
    const RECORD_HEADERS: bool;
    /// The layer's DRAM image in this engine's layout (`wide`: int16 weights, CREW only).
    fn build_layer(
        kind: LayerKind,
        wide: bool,
        n_in: usize,
        n_hidden: usize,
        passes: &[PassMatrix],
        base: u32,
    ) -> LayerImage;
    /// The `mults` counter after one step of the FC layer `img` (n_in x n_out).
    fn fc_mults(img: &LayerImage, n_in: usize, n_out: usize) -> usize;
    /// The token-input form of the layer fed by `embedding`, in this engine's layout.
    fn build_token_layer(
        kind: LayerKind,
        embedding: &[Vec<i8>],
        n_hidden: usize,
        passes: &[PassMatrix],
        base: u32,
    ) -> LayerImage;
}

/// The CREW engine (board configuration): one multiply per unique weight of a column.
pub struct Crew;
/// The dense baseline engine, 16 lanes: one multiply per weight.
pub struct Dense;

impl EngineUnderTest for Crew {
    type Engine = CrewEngine;
    const RECORD_HEADERS: bool = true;
    fn build_layer(
        kind: LayerKind,
        wide: bool,
        n_in: usize,
        n_hidden: usize,
        passes: &[PassMatrix],
        base: u32,
    ) -> LayerImage {
        build_layer(kind, wide, n_in, n_hidden, passes, base)
    }
    fn fc_mults(img: &LayerImage, _n_in: usize, _n_out: usize) -> usize {
        img.unique[0].iter().sum()
    }
    fn build_token_layer(
        kind: LayerKind,
        embedding: &[Vec<i8>],
        n_hidden: usize,
        passes: &[PassMatrix],
        base: u32,
    ) -> LayerImage {
        build_token_layer(kind, false, false, embedding, n_hidden, passes, base)
    }
}

impl EngineUnderTest for Dense {
    type Engine = DenseEngine;
    const RECORD_HEADERS: bool = false;
    fn build_layer(
        kind: LayerKind,
        wide: bool,
        n_in: usize,
        n_hidden: usize,
        passes: &[PassMatrix],
        base: u32,
    ) -> LayerImage {
        assert!(!wide, "the dense engine has int8 weights only");
        build_dense_layer(kind, n_in, n_hidden, passes, base)
    }
    fn fc_mults(_img: &LayerImage, n_in: usize, n_out: usize) -> usize {
        n_in * n_out
    }
    fn build_token_layer(
        kind: LayerKind,
        embedding: &[Vec<i8>],
        n_hidden: usize,
        passes: &[PassMatrix],
        base: u32,
    ) -> LayerImage {
        build_token_layer(kind, false, true, embedding, n_hidden, passes, base)
    }
}

/// Runs each generic test body `fn name<T: EngineUnderTest>()` on both engines, as the
/// tests `name::crew` and `name::dense`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn crew() {
                    super::$name::<$crate::common::Crew>();
                }
                #[test]
                fn dense() {
                    super::$name::<$crate::common::Dense>();
                }
            }
        )*
    };
}

pub fn new_sim() -> EngineSim {
    EngineSim::new(Ddr3Timing::default()).expect("simulation starts")
}

pub fn new_sim_on<T: EngineUnderTest>() -> EngineDdrSim<T::Engine> {
    EngineDdrSim::new(Ddr3Timing::default()).expect("simulation starts")
}

pub fn load<E: Engine>(sim: &mut EngineDdrSim<E>, img: &LayerImage) {
    sim.ddr().load_words(img.base as u64, &img.words);
}

/// A run of `steps` steps of the layer whose descriptor is at `desc_addr`, with the
/// inputs, outputs and state at the tests' addresses.
pub fn request(desc_addr: u32, steps: u16) -> RunRequest {
    RunRequest {
        desc_addr,
        in_addr: IN_ADDR,
        out_addr: OUT_ADDR,
        state_addr: STATE_ADDR,
        steps,
    }
}

/// Loads `img` and the inputs `xs`, then runs the layer over them (at most `max_cycles`).
fn load_and_run<E: Engine>(
    sim: &mut EngineDdrSim<E>,
    img: &LayerImage,
    xs: &[Vec<i8>],
    max_cycles: u64,
) -> RunReport {
    load(sim, img);
    sim.ddr().load_words(IN_ADDR as u64, &pack_i8_vectors(xs));
    sim.run(request(img.desc_addr, xs.len() as u16), max_cycles)
        .expect("run completes")
}

/// Runs an FC layer over `xs` and returns the int32 outputs per step.
pub fn run_fc<E: Engine>(
    sim: &mut EngineDdrSim<E>,
    img: &LayerImage,
    n_out: usize,
    xs: &[Vec<i8>],
) -> (RunReport, Vec<Vec<i32>>) {
    let rep = load_and_run(sim, img, xs, 5_000_000);
    let vw = vector_words_i32(n_out);
    let outs = (0..xs.len())
        .map(|t| {
            unpack_i32(
                &sim.ddr().read_words(OUT_ADDR as u64 + (t * vw) as u64, vw),
                n_out,
            )
        })
        .collect();
    (rep, outs)
}

/// Runs a GRU/LSTM layer; returns (report, h per step, final state h, final state c).
pub fn run_rnn<E: Engine>(
    sim: &mut EngineDdrSim<E>,
    img: &LayerImage,
    lstm: bool,
    xs: &[Vec<i8>],
    h0: &[i8],
    c0: &[i32],
) -> (RunReport, Vec<Vec<i8>>, Vec<i8>, Vec<i32>) {
    let mut state = pack_i8_vectors(&[h0.to_vec()]);
    if lstm {
        state.extend(pack_i32(c0));
    }
    sim.ddr().load_words(STATE_ADDR as u64, &state);
    run_rnn_from_dram_state(sim, img, lstm, xs, h0.len())
}

/// Like `run_rnn`, but starts from whatever state is at `STATE_ADDR` (e.g. the state a
/// previous run wrote back); same return values.
pub fn run_rnn_from_dram_state<E: Engine>(
    sim: &mut EngineDdrSim<E>,
    img: &LayerImage,
    lstm: bool,
    xs: &[Vec<i8>],
    hid: usize,
) -> (RunReport, Vec<Vec<i8>>, Vec<i8>, Vec<i32>) {
    let rep = load_and_run(sim, img, xs, 20_000_000);
    let vw = vector_words_i8(hid);
    let hs = (0..xs.len())
        .map(|t| {
            unpack_i8(
                &sim.ddr().read_words(OUT_ADDR as u64 + (t * vw) as u64, vw),
                hid,
            )
        })
        .collect();
    let h_state = unpack_i8(&sim.ddr().read_words(STATE_ADDR as u64, vw), hid);
    let c_state = if lstm {
        unpack_i32(
            &sim.ddr()
                .read_words(STATE_ADDR as u64 + vw as u64, vector_words_i32(hid)),
            hid,
        )
    } else {
        vec![]
    };
    (rep, hs, h_state, c_state)
}

/// A random FC layer and its CREW image.
pub fn fc_layer(
    r: &mut ChaCha8Rng,
    n_in: usize,
    n_out: usize,
    wide: bool,
    unique: impl Fn(usize) -> usize,
) -> (PassMatrix, LayerImage) {
    fc_layer_on::<Crew>(r, n_in, n_out, wide, unique)
}

/// A random FC layer and its image for engine `T` (the same draws for either engine).
pub fn fc_layer_on<T: EngineUnderTest>(
    r: &mut ChaCha8Rng,
    n_in: usize,
    n_out: usize,
    wide: bool,
    unique: impl Fn(usize) -> usize,
) -> (PassMatrix, LayerImage) {
    let p = PassMatrix {
        rows: n_out,
        cols: n_in,
        weights: random_matrix(r, n_out, n_in, wide, unique),
        epilogue: random_epilogue(r, n_out, 100_000.0),
    };
    let img = T::build_layer(
        LayerKind::Fc,
        wide,
        n_in,
        n_out,
        std::slice::from_ref(&p),
        IMAGE_BASE,
    );
    (p, img)
}

/// A random GRU/LSTM layer and its CREW image.
pub fn rnn_layer(
    r: &mut ChaCha8Rng,
    kind: LayerKind,
    n_in: usize,
    hid: usize,
    unique: impl Fn(usize) -> usize + Copy,
) -> (Vec<PassMatrix>, LayerImage) {
    rnn_layer_on::<Crew>(r, kind, n_in, hid, unique)
}

/// A random GRU/LSTM layer and its image for engine `T`.
pub fn rnn_layer_on<T: EngineUnderTest>(
    r: &mut ChaCha8Rng,
    kind: LayerKind,
    n_in: usize,
    hid: usize,
    unique: impl Fn(usize) -> usize + Copy,
) -> (Vec<PassMatrix>, LayerImage) {
    let rows = kind.gates() * hid;
    let acc_in = 40.0 * 60.0 * (n_in as f64).sqrt();
    let acc_h = 40.0 * 60.0 * (hid as f64).sqrt();
    let passes = vec![
        PassMatrix {
            rows,
            cols: n_in,
            weights: random_matrix(r, rows, n_in, false, unique),
            epilogue: random_epilogue(r, rows, acc_in),
        },
        PassMatrix {
            rows,
            cols: hid,
            weights: random_matrix(r, rows, hid, false, unique),
            epilogue: random_epilogue(r, rows, acc_h),
        },
    ];
    let img = T::build_layer(kind, false, n_in, hid, &passes, IMAGE_BASE);
    (passes, img)
}
