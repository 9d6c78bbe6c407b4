//! CREW vs dense int8 (TPU-like) baseline: both engines' RTL simulated on the same DDR3
//! model (1.6 GB/s), per workload: cycles per step, DRAM bytes, multiplications,
//! additions, efficiency vs the roofline, an energy estimate and yosys resource estimates.
//! Decisions (workload shapes, extrapolation, energy table, engine sizes) are in
//! docs/dense-baseline.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crew_hw::ddr3_model::Ddr3Timing;
use crew_hw::engine::crew::CrewEngine;
use crew_hw::engine::dense::DenseEngine;
use crew_hw::engine_testbench::{DenseSim, LayerSim};
use crew_hw::engine_testbench::{EngineSim, RunReport, RunRequest};
use crew_hw::layer_image::{
    build_dense_layer, build_layer, pack_i8_vectors, unpack_i32, unpack_i8, LayerImage, PassMatrix,
};
use crew_spec::image::{vector_words_i32, vector_words_i8, EpilogueRow, LayerKind, WORD_BYTES};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_hdl::prelude::*;

use crate::accel::{Accelerator, LayerState};
use crate::compiler::{compile, CompileOptions};
use crate::dense::dense_image;
use crate::model::Model;
use crate::quant;
use crate::reference::Reference;

/// CREW engine of the benchmark: 16 gather lanes, 512 accumulators per lane (8192 rows).
pub type BenchCrew = EngineSim<16, 9>;
/// Dense baseline with the CREW engine's DSP budget: 4 MAC lanes (the CREW table unit has
/// 4 multipliers; epilogue and cell unit are the same in both).
pub type BenchDenseEqDsp = DenseSim<4, 11>;
/// Dense baseline that matches the DRAM rate: 16 MAC lanes (one weight word per cycle).
pub type BenchDenseEqBw = DenseSim<16, 9>;
/// Lanes of the engines above, for the roofline.
pub const CREW_LANES: usize = 16;
pub const DENSE_EQ_DSP_LANES: usize = 4;
pub const DENSE_EQ_BW_LANES: usize = 16;
/// UI clock (Hz): one 16-byte DDR3 word per cycle = 1.6 GB/s.
pub const CLOCK_HZ: f64 = 100e6;

/// Per-operation energies (pJ), 45 nm, Horowitz ISSCC 2014 ("Computing's energy
/// problem"), as tabulated by Han et al. (EIE, ISCA 2016): DRAM 640 pJ per 32-bit access,
/// 32-bit SRAM (32 KB) read 5 pJ, 8-bit int multiply 0.2 pJ, 32-bit int add 0.1 pJ.
pub const PJ_DRAM_BYTE: f64 = 640.0 / 4.0;
pub const PJ_SRAM_BYTE: f64 = 5.0 / 4.0;
pub const PJ_MULT8: f64 = 0.2;
pub const PJ_ADD32: f64 = 0.1;

const IMAGE_BASE: u32 = 0x100;
const IN_ADDR: u32 = 0x100_0000;
const OUT_ADDR: u32 = 0x110_0000;
const STATE_ADDR: u32 = 0x120_0000;

/// Where a workload's weights come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A layer of the bundled g2p_en model (compiled by crew-host), one full step.
    G2p { layer: &'static str },
    /// Synthetic Laplacian weights with this layer shape, simulated as FC passes over a
    /// fraction of the columns and extrapolated.
    Synthetic,
}

/// One benchmark workload: one step of one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub name: &'static str,
    pub kind: LayerKind,
    pub n_in: usize,
    /// H for GRU/LSTM, N_out for FC.
    pub hidden: usize,
    pub source: Source,
    /// Where the shape comes from.
    pub origin: &'static str,
}

impl Workload {
    fn rows(&self) -> usize {
        self.kind.gates() * self.hidden
    }
    /// Columns of one step over all passes (x, plus h for GRU/LSTM).
    fn columns(&self) -> usize {
        self.n_in
            + if self.kind == LayerKind::Fc {
                0
            } else {
                self.hidden
            }
    }
}

/// The benchmark's workloads: g2p_en's two GRUs and one layer of each network of the CREW
/// paper's evaluation (shapes: docs/dense-baseline.md).
pub fn standard_workloads() -> Vec<Workload> {
    use LayerKind::*;
    let syn = |name, kind, n_in, hidden, origin| Workload {
        name,
        kind,
        n_in,
        hidden,
        source: Source::Synthetic,
        origin,
    };
    vec![
        Workload {
            name: "g2p_en encoder",
            kind: Gru,
            n_in: 256,
            hidden: 256,
            source: Source::G2p { layer: "encoder" },
            origin: "models/g2p_en",
        },
        Workload {
            name: "g2p_en decoder",
            kind: Gru,
            n_in: 256,
            hidden: 256,
            source: Source::G2p { layer: "decoder" },
            origin: "models/g2p_en",
        },
        syn(
            "DeepSpeech2 GRU",
            Gru,
            800,
            800,
            "DS2 (deepspeech.pytorch), 800-unit GRU",
        ),
        syn("GNMT LSTM", Lstm, 1024, 1024, "GNMT, 1024-unit LSTM"),
        syn(
            "Transformer FC",
            Fc,
            512,
            2048,
            "Transformer base, FFN 512->2048",
        ),
        syn(
            "Kaldi FC",
            Fc,
            1024,
            1024,
            "Kaldi nnet DNN, 1024-wide affine",
        ),
        syn(
            "PTBLM LSTM",
            Lstm,
            1500,
            1500,
            "PTB LM (Zaremba large), 1500-unit LSTM",
        ),
    ]
}

/// Tiny workloads for a smoke test.
pub fn tiny_workloads() -> Vec<Workload> {
    vec![
        Workload {
            name: "tiny FC",
            kind: LayerKind::Fc,
            n_in: 24,
            hidden: 40,
            source: Source::Synthetic,
            origin: "smoke test",
        },
        Workload {
            name: "tiny GRU",
            kind: LayerKind::Gru,
            n_in: 16,
            hidden: 20,
            source: Source::Synthetic,
            origin: "smoke test",
        },
    ]
}

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub workloads: Vec<Workload>,
    /// Columns simulated for synthetic workloads (two sizes, fitted linearly).
    pub sim_columns: (usize, usize),
    /// Run yosys for resource estimates (cached by Verilog hash in `cache_dir`).
    pub synth: bool,
    pub cache_dir: PathBuf,
    pub seed: u64,
}

/// One engine on one workload (per step; extrapolated for synthetic workloads).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineStep {
    pub cycles: f64,
    pub dram_bytes: f64,
    pub mults: f64,
    pub adds: f64,
    pub roofline_cycles: f64,
    pub energy_uj: f64,
    /// Outputs equal the integer reference (on the simulated columns).
    pub bit_exact: bool,
}

impl EngineStep {
    pub fn efficiency(&self) -> f64 {
        self.roofline_cycles / self.cycles
    }
}

#[derive(Debug, Clone)]
pub struct WorkloadResult {
    pub workload: Workload,
    /// Columns simulated (None: the full step).
    pub simulated_columns: Option<(usize, usize)>,
    pub mean_unique: f64,
    pub crew: EngineStep,
    pub dense_eq_dsp: EngineStep,
    pub dense_eq_bw: EngineStep,
}

/// yosys `synth_xilinx -family xc7` cell counts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Resources {
    pub lut: u64,
    pub ff: u64,
    pub dsp: u64,
    /// RAMB36 equivalents (RAMB18 count as 0.5).
    pub bram36: f64,
}

#[derive(Debug, Clone)]
pub struct BenchReport {
    pub results: Vec<WorkloadResult>,
    /// Per engine name: resources (when synthesis ran).
    pub resources: BTreeMap<String, Resources>,
    pub simulated_cycles: u64,
}

/// Benchmark failures.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("simulation: {0:?}")]
    Sim(crew_hw::sim_harness::SimHarnessError),
    #[error("{engine} stopped with error code {code} on {workload}")]
    Engine {
        engine: &'static str,
        workload: String,
        code: u8,
    },
    #[error("compiling g2p_en: {0}")]
    Compile(#[from] crate::error::Error),
    #[error("reference: {0}")]
    Reference(#[from] crate::accel::AccelError),
    #[error("yosys: {0}")]
    Synth(String),
}

impl From<crew_hw::sim_harness::SimHarnessError> for BenchError {
    fn from(e: crew_hw::sim_harness::SimHarnessError) -> Self {
        BenchError::Sim(e)
    }
}

/// Progress events.
#[derive(Debug, Clone)]
pub enum BenchProgress {
    Workload {
        index: usize,
        total: usize,
        name: String,
    },
    Synth {
        engine: String,
        cached: bool,
    },
}

const ENGINES: [&str; 3] = [
    "CREW (16 lanes)",
    "dense, 4 MACs (equal DSP)",
    "dense, 16 MACs (equal DRAM rate)",
];

/// Runs the benchmark.
pub fn run_bench(
    opts: &BenchOptions,
    progress: &mut dyn FnMut(BenchProgress),
) -> Result<BenchReport, BenchError> {
    let mut crew = BenchCrew::new(Ddr3Timing::default())?;
    let mut eq_dsp = BenchDenseEqDsp::new(Ddr3Timing::default())?;
    let mut eq_bw = BenchDenseEqBw::new(Ddr3Timing::default())?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut results = vec![];
    let mut simulated_cycles = 0u64;
    let mut g2p: Option<crate::package::Package> = None;
    for (index, w) in opts.workloads.iter().enumerate() {
        progress(BenchProgress::Workload {
            index,
            total: opts.workloads.len(),
            name: w.name.into(),
        });
        let r = match &w.source {
            Source::G2p { layer } => {
                if g2p.is_none() {
                    let model = Model::from_description(
                        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/g2p_en/model.toml"),
                    )?;
                    g2p = Some(compile(
                        &model,
                        &CompileOptions {
                            load_addr: IMAGE_BASE,
                            ..Default::default()
                        },
                        &mut |_| {},
                    )?);
                }
                g2p_step(
                    g2p.as_ref().unwrap(),
                    w,
                    layer,
                    &mut crew,
                    &mut eq_dsp,
                    &mut eq_bw,
                    &mut simulated_cycles,
                )?
            }
            Source::Synthetic => synthetic_step(
                w,
                opts.sim_columns,
                &mut rng,
                &mut crew,
                &mut eq_dsp,
                &mut eq_bw,
                &mut simulated_cycles,
            )?,
        };
        results.push(r);
    }
    let mut resources = BTreeMap::new();
    if opts.synth {
        let verilogs = [
            generate_verilog_of(CrewEngine::<16, 9>::new()),
            generate_verilog_of(DenseEngine::<4, 11>::new()),
            generate_verilog_of(DenseEngine::<16, 9>::new()),
        ];
        for (name, v) in ENGINES.iter().zip(verilogs) {
            let (res, cached) = synth_cached(&v, &opts.cache_dir)?;
            progress(BenchProgress::Synth {
                engine: name.to_string(),
                cached,
            });
            resources.insert(name.to_string(), res);
        }
    }
    Ok(BenchReport {
        results,
        resources,
        simulated_cycles,
    })
}

fn generate_verilog_of<T: Block>(mut uut: T) -> String {
    uut.connect_all();
    generate_verilog(&uut)
}

fn laplacian(r: &mut ChaCha8Rng, b: f64) -> f32 {
    let u: f64 = r.gen_range(-0.5..0.5);
    (-b * u.signum() * (1.0 - 2.0 * u.abs()).ln()) as f32
}

/// Trained-like int8 weights: Laplacian floats (scale 1/sqrt(n_in)) quantized per tensor.
fn laplacian_int8(r: &mut ChaCha8Rng, rows: usize, cols: usize, fan_in: usize) -> Vec<i16> {
    let b = 1.0 / (fan_in as f64).sqrt();
    let t = crate::checkpoint::Tensor::new(
        vec![rows, cols],
        (0..rows * cols).map(|_| laplacian(r, b)).collect(),
    );
    let scales = quant::weight_scales(&t, crate::model::Granularity::PerTensor);
    quant::quantize_weights(&t, &scales)
        .into_iter()
        .map(i16::from)
        .collect()
}

fn mean_unique(p: &PassMatrix) -> f64 {
    let mut total = 0usize;
    for c in 0..p.cols {
        let mut v: Vec<i16> = (0..p.rows).map(|o| p.weight(o, c)).collect();
        v.sort_unstable();
        v.dedup();
        total += v.len();
    }
    total as f64 / p.cols as f64
}

fn run_fc(
    sim: &mut dyn LayerSim,
    engine: &'static str,
    w: &Workload,
    img: &LayerImage,
    x: &[i8],
    rows: usize,
) -> Result<(RunReport, Vec<i32>), BenchError> {
    sim.ddr().load_words(img.base as u64, &img.words);
    sim.ddr()
        .load_words(IN_ADDR as u64, &pack_i8_vectors(&[x.to_vec()]));
    let rep = sim.run(
        RunRequest {
            desc_addr: img.desc_addr,
            in_addr: IN_ADDR,
            out_addr: OUT_ADDR,
            state_addr: STATE_ADDR,
            steps: 1,
        },
        50_000_000,
    )?;
    if !rep.ok() {
        return Err(BenchError::Engine {
            engine,
            workload: w.name.into(),
            code: rep.error,
        });
    }
    let vw = vector_words_i32(rows);
    Ok((
        rep,
        unpack_i32(&sim.ddr().read_words(OUT_ADDR as u64, vw), rows),
    ))
}

fn step_from(
    reps: (&RunReport, &RunReport),
    cols: (usize, usize),
    w: &Workload,
    lanes: usize,
    crew: bool,
    bit_exact: bool,
) -> EngineStep {
    let passes = w.kind.passes() as f64;
    let total = w.columns() as f64;
    let fit = |a: f64, b: f64| {
        let per_col = (b - a) / (cols.1 - cols.0) as f64;
        let fixed = a - per_col * cols.0 as f64;
        fixed * passes + per_col * total
    };
    let cycles = fit(reps.0.cycles as f64, reps.1.cycles as f64);
    let words = fit(reps.0.dram_words as f64, reps.1.dram_words as f64);
    let mults = fit(reps.0.mults as f64, reps.1.mults as f64);
    let adds = fit(reps.0.adds as f64, reps.1.adds as f64);
    finish_step(cycles, words, mults, adds, lanes, crew, bit_exact)
}

fn finish_step(
    cycles: f64,
    words: f64,
    mults: f64,
    adds: f64,
    lanes: usize,
    crew: bool,
    bit_exact: bool,
) -> EngineStep {
    let dram_bytes = words * WORD_BYTES as f64;
    let ops = if crew { adds } else { mults };
    let roofline_cycles = words.max(ops / lanes as f64);
    // On-chip buffer bytes: CREW reads a 16-bit product and reads and writes a 32-bit
    // accumulator per addition and writes each 16-bit product into all lane tables; the
    // dense engine reads and writes a 32-bit accumulator per MAC (weights come from DRAM).
    let sram_bytes = if crew {
        adds * 10.0 + mults * 2.0 * lanes as f64
    } else {
        mults * 8.0
    };
    let energy_pj =
        dram_bytes * PJ_DRAM_BYTE + sram_bytes * PJ_SRAM_BYTE + mults * PJ_MULT8 + adds * PJ_ADD32;
    EngineStep {
        cycles,
        dram_bytes,
        mults,
        adds,
        roofline_cycles,
        energy_uj: energy_pj * 1e-6,
        bit_exact,
    }
}

#[allow(clippy::too_many_arguments)]
fn synthetic_step(
    w: &Workload,
    cols: (usize, usize),
    rng: &mut ChaCha8Rng,
    crew: &mut BenchCrew,
    eq_dsp: &mut BenchDenseEqDsp,
    eq_bw: &mut BenchDenseEqBw,
    simulated: &mut u64,
) -> Result<WorkloadResult, BenchError> {
    let rows = w.rows();
    let mut reps: Vec<[RunReport; 3]> = vec![];
    let mut exact = true;
    let mut unique = 0.0;
    for (k, &c) in [cols.0, cols.1].iter().enumerate() {
        let c = c.min(w.columns());
        let fan_in = w.columns();
        let p = PassMatrix {
            rows,
            cols: c,
            weights: laplacian_int8(rng, rows, c, fan_in),
            epilogue: (0..rows)
                .map(|_| EpilogueRow {
                    bias: rng.gen_range(-1000..1000),
                    multiplier: 0,
                    shift: 1,
                })
                .collect(),
        };
        if k == 1 {
            unique = mean_unique(&p);
        }
        let x: Vec<i8> = (0..c).map(|_| rng.gen()).collect();
        let want: Vec<i32> = (0..rows)
            .map(|o| {
                (0..c).fold(p.epilogue[o].bias, |a, i| {
                    a.wrapping_add(p.weight(o, i) as i32 * x[i] as i32)
                })
            })
            .collect();
        let crew_img = build_layer(LayerKind::Fc, false, c, rows, &[p.clone()], IMAGE_BASE);
        let dense_img = build_dense_layer(LayerKind::Fc, c, rows, &[p], IMAGE_BASE);
        let (a, out_a) = run_fc(crew, "CREW", w, &crew_img, &x, rows)?;
        let (b, out_b) = run_fc(eq_dsp, "dense-4", w, &dense_img, &x, rows)?;
        let (d, out_d) = run_fc(eq_bw, "dense-16", w, &dense_img, &x, rows)?;
        exact &= out_a == want && out_b == want && out_d == want;
        *simulated += (a.wall_cycles + b.wall_cycles + d.wall_cycles) as u64;
        reps.push([a, b, d]);
    }
    let c = (cols.0.min(w.columns()), cols.1.min(w.columns()));
    let full = c.1 == w.columns() && c.0 == c.1;
    let step = |i: usize, lanes: usize, is_crew: bool| {
        if full {
            let r = &reps[1][i];
            finish_step(
                r.cycles as f64,
                r.dram_words as f64,
                r.mults as f64,
                r.adds as f64,
                lanes,
                is_crew,
                exact,
            )
        } else {
            step_from((&reps[0][i], &reps[1][i]), c, w, lanes, is_crew, exact)
        }
    };
    Ok(WorkloadResult {
        workload: w.clone(),
        simulated_columns: if full { None } else { Some(c) },
        mean_unique: unique,
        crew: step(0, CREW_LANES, true),
        dense_eq_dsp: step(1, DENSE_EQ_DSP_LANES, false),
        dense_eq_bw: step(2, DENSE_EQ_BW_LANES, false),
    })
}

#[allow(clippy::too_many_arguments)]
fn g2p_step(
    package: &crate::package::Package,
    w: &Workload,
    layer: &str,
    crew: &mut BenchCrew,
    eq_dsp: &mut BenchDenseEqDsp,
    eq_bw: &mut BenchDenseEqBw,
    simulated: &mut u64,
) -> Result<WorkloadResult, BenchError> {
    let index = package.layer_index(layer)?;
    let hid = w.hidden;
    // Input: the embedding of the first grapheme/phoneme; h0 from a previous reference step.
    let emb = if layer == "encoder" {
        "enc_emb"
    } else {
        "dec_emb"
    };
    let x = package.embedding(emb)?.row(3).to_vec();
    let mut reference = Reference::new();
    reference.load(package)?;
    let mut state = LayerState::zeros(w.kind, hid);
    reference.run(index, &[x.clone()], &mut state)?;
    let h0 = state.h.clone();
    let out = reference.run(index, &[x.clone()], &mut state)?;
    let want = out.hidden().expect("GRU outputs h")[0].clone();
    let dense = dense_image(package, IMAGE_BASE)?;
    let crew_words = package.container.image_words();
    let unique = {
        let (_, passes) = crate::dense::decode_layer(package, index)?;
        let p = &passes[0];
        let m = PassMatrix {
            rows: p.n_out,
            cols: p.n_in,
            weights: p.weights.iter().map(|&v| v as i16).collect(),
            epilogue: vec![],
        };
        mean_unique(&m)
    };
    let mut one = |sim: &mut dyn LayerSim,
                   engine: &'static str,
                   words: &[u128],
                   desc: u32|
     -> Result<(RunReport, bool), BenchError> {
        sim.ddr().load_words(IMAGE_BASE as u64, words);
        sim.ddr()
            .load_words(IN_ADDR as u64, &pack_i8_vectors(&[x.clone()]));
        sim.ddr()
            .load_words(STATE_ADDR as u64, &pack_i8_vectors(&[h0.clone()]));
        let rep = sim.run(
            RunRequest {
                desc_addr: desc,
                in_addr: IN_ADDR,
                out_addr: OUT_ADDR,
                state_addr: STATE_ADDR,
                steps: 1,
            },
            50_000_000,
        )?;
        if !rep.ok() {
            return Err(BenchError::Engine {
                engine,
                workload: w.name.into(),
                code: rep.error,
            });
        }
        *simulated += rep.wall_cycles;
        let h = unpack_i8(
            &sim.ddr().read_words(OUT_ADDR as u64, vector_words_i8(hid)),
            hid,
        );
        Ok((rep, h == want))
    };
    let crew_desc = package.container.layers[index].desc_addr;
    let (a, ea) = one(crew, "CREW", &crew_words, crew_desc)?;
    let (b, eb) = one(eq_dsp, "dense-4", &dense.words, dense.desc_addrs[index])?;
    let (d, ed) = one(eq_bw, "dense-16", &dense.words, dense.desc_addrs[index])?;
    let f = |r: &RunReport, lanes, is_crew, exact| {
        finish_step(
            r.cycles as f64,
            r.dram_words as f64,
            r.mults as f64,
            r.adds as f64,
            lanes,
            is_crew,
            exact,
        )
    };
    Ok(WorkloadResult {
        workload: w.clone(),
        simulated_columns: None,
        mean_unique: unique,
        crew: f(&a, CREW_LANES, true, ea),
        dense_eq_dsp: f(&b, DENSE_EQ_DSP_LANES, false, eb),
        dense_eq_bw: f(&d, DENSE_EQ_BW_LANES, false, ed),
    })
}

/// FNV-1a 64 of the Verilog text: the synthesis cache key.
fn content_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// yosys synth_xilinx on `verilog`, cached in `cache_dir` by content hash.
pub fn synth_cached(verilog: &str, cache_dir: &Path) -> Result<(Resources, bool), BenchError> {
    let key = format!("{:016x}", content_hash(verilog));
    let cache = cache_dir.join(format!("{key}.txt"));
    if let Ok(s) = std::fs::read_to_string(&cache) {
        if let Some(r) = parse_cache(&s) {
            return Ok((r, true));
        }
    }
    std::fs::create_dir_all(cache_dir)
        .map_err(|e| BenchError::Synth(format!("{}: {e}", cache_dir.display())))?;
    let v = cache_dir.join(format!("{key}.v"));
    std::fs::write(&v, verilog).map_err(|e| BenchError::Synth(e.to_string()))?;
    let out = Command::new("yosys")
        .arg("-q")
        .arg("-p")
        .arg(format!(
            "read_verilog {}; synth_xilinx -family xc7 -top top; tee -o {}.stat stat",
            v.display(),
            v.display()
        ))
        .output()
        .map_err(|e| {
            BenchError::Synth(format!(
                "cannot run yosys ({e}); install it (scripts/test.sh)"
            ))
        })?;
    if !out.status.success() {
        return Err(BenchError::Synth(
            String::from_utf8_lossy(&out.stderr)
                .chars()
                .take(2000)
                .collect(),
        ));
    }
    let stat = std::fs::read_to_string(format!("{}.stat", v.display()))
        .map_err(|e| BenchError::Synth(e.to_string()))?;
    let r = parse_stat(&stat);
    std::fs::write(
        &cache,
        format!(
            "lut={}\nff={}\ndsp={}\nbram36={}\n",
            r.lut, r.ff, r.dsp, r.bram36
        ),
    )
    .map_err(|e| BenchError::Synth(e.to_string()))?;
    std::fs::remove_file(&v).ok();
    Ok((r, false))
}

fn parse_cache(s: &str) -> Option<Resources> {
    let get = |k: &str| {
        s.lines().find_map(|l| {
            l.strip_prefix(k)?
                .strip_prefix('=')?
                .trim()
                .parse::<f64>()
                .ok()
        })
    };
    Some(Resources {
        lut: get("lut")? as u64,
        ff: get("ff")? as u64,
        dsp: get("dsp")? as u64,
        bram36: get("bram36")?,
    })
}

/// Cell counts of a yosys `stat` report: LUTs (LUT RAM cells counted by the LUTs they
/// occupy), flip-flops, DSP48E1, RAMB36E1 + RAMB18E1 / 2.
pub fn parse_stat(stat: &str) -> Resources {
    let mut r = Resources::default();
    for line in stat.lines() {
        let mut it = line.split_whitespace();
        let (Some(cell), Some(n)) = (it.next(), it.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        match cell {
            "LUT1" | "LUT2" | "LUT3" | "LUT4" | "LUT5" | "LUT6" => r.lut += n,
            "RAM32M" | "RAM64M" | "RAM32M16" | "RAM64M8" => r.lut += 4 * n,
            "RAM32X1D" | "RAM64X1D" | "RAM128X1S" => r.lut += 2 * n,
            "RAM128X1D" | "RAM256X1S" => r.lut += 4 * n,
            "RAM32X1S" | "RAM64X1S" | "SRL16E" | "SRLC32E" => r.lut += n,
            "FDRE" | "FDSE" | "FDCE" | "FDPE" => r.ff += n,
            "DSP48E1" => r.dsp += n,
            "RAMB36E1" => r.bram36 += n as f64,
            "RAMB18E1" => r.bram36 += n as f64 / 2.0,
            _ => {}
        }
    }
    r
}

/// The paper's averages vs the TPU-like baseline (arXiv 2107.09408).
pub const PAPER_SPEEDUP: f64 = 2.61;
pub const PAPER_ENERGY_RATIO: f64 = 2.42;

fn exactness(r: &WorkloadResult) -> &'static str {
    if r.crew.bit_exact && r.dense_eq_dsp.bit_exact && r.dense_eq_bw.bit_exact {
        "yes"
    } else {
        "NO"
    }
}

/// Markdown report: per workload table, resources, paper comparison.
pub fn markdown(rep: &BenchReport) -> String {
    let mut s = String::new();
    s += "| workload | shape | u mean | simulated | CREW cycles/step | dense-4 cycles | dense-16 cycles | speedup vs dense-4 | speedup vs dense-16 | CREW DRAM KB | dense DRAM KB | CREW mults | dense mults | CREW adds | CREW eff. | dense-4 eff. | dense-16 eff. | energy ratio (dense-4 / CREW) | bit-exact |\n";
    s += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for r in &rep.results {
        let w = &r.workload;
        let sim = match r.simulated_columns {
            None => "full step".to_string(),
            Some((a, b)) => format!("{a}+{b} of {} cols, extrapolated", w.columns()),
        };
        s += &format!(
            "| {} | {:?} {}x{} | {:.0} | {} | {:.0} | {:.0} | {:.0} | {:.2}x | {:.2}x | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0}% | {:.0}% | {:.0}% | {:.2}x | {} |\n",
            w.name, w.kind, w.n_in, w.hidden, r.mean_unique, sim,
            r.crew.cycles, r.dense_eq_dsp.cycles, r.dense_eq_bw.cycles,
            r.dense_eq_dsp.cycles / r.crew.cycles, r.dense_eq_bw.cycles / r.crew.cycles,
            r.crew.dram_bytes / 1024.0, r.dense_eq_bw.dram_bytes / 1024.0,
            r.crew.mults, r.dense_eq_bw.mults, r.crew.adds,
            100.0 * r.crew.efficiency(), 100.0 * r.dense_eq_dsp.efficiency(), 100.0 * r.dense_eq_bw.efficiency(),
            r.dense_eq_dsp.energy_uj / r.crew.energy_uj, exactness(r)
        );
    }
    let geo = |f: &dyn Fn(&WorkloadResult) -> f64| {
        (rep.results.iter().map(|r| f(r).ln()).sum::<f64>() / rep.results.len().max(1) as f64).exp()
    };
    s += &format!(
        "\nGeometric means: speedup vs dense-4 (equal DSP) {:.2}x, vs dense-16 (equal DRAM rate) {:.2}x; energy ratio dense-4 / CREW {:.2}x, dense-16 / CREW {:.2}x. Paper (CREW vs TPU-like): {PAPER_SPEEDUP}x speedup, {PAPER_ENERGY_RATIO}x energy.\n",
        geo(&|r| r.dense_eq_dsp.cycles / r.crew.cycles),
        geo(&|r| r.dense_eq_bw.cycles / r.crew.cycles),
        geo(&|r| r.dense_eq_dsp.energy_uj / r.crew.energy_uj),
        geo(&|r| r.dense_eq_bw.energy_uj / r.crew.energy_uj),
    );
    if !rep.resources.is_empty() {
        s += "\n| engine | LUT | FF | DSP48E1 | BRAM36 |\n|---|---|---|---|---|\n";
        for (name, r) in &rep.resources {
            s += &format!(
                "| {name} | {} | {} | {} | {} |\n",
                r.lut, r.ff, r.dsp, r.bram36
            );
        }
        s += "\n(yosys synth_xilinx -family xc7 estimates, XC7A50T: 32,600 LUT, 65,200 FF, 120 DSP48E1, 75 BRAM36.)\n";
    }
    s
}

/// CSV: one line per workload and engine.
pub fn csv(rep: &BenchReport) -> String {
    let mut s = String::from("workload,kind,n_in,hidden,engine,cycles_per_step,dram_bytes,mults,adds,roofline_cycles,efficiency,energy_uj,bit_exact,extrapolated\n");
    for r in &rep.results {
        for (name, e) in ENGINES
            .iter()
            .zip([&r.crew, &r.dense_eq_dsp, &r.dense_eq_bw])
        {
            s += &format!(
                "{},{:?},{},{},{},{:.1},{:.0},{:.0},{:.0},{:.1},{:.4},{:.4},{},{}\n",
                r.workload.name,
                r.workload.kind,
                r.workload.n_in,
                r.workload.hidden,
                name,
                e.cycles,
                e.dram_bytes,
                e.mults,
                e.adds,
                e.roofline_cycles,
                e.efficiency(),
                e.energy_uj,
                e.bit_exact,
                r.simulated_columns.is_some()
            );
        }
    }
    s
}

/// A bar chart (hand-written SVG): speedup of CREW over both dense engines and DRAM bytes
/// per step (CREW / dense) per workload.
pub fn svg(rep: &BenchReport) -> String {
    let n = rep.results.len().max(1);
    let (w, h, left, top, group) = (140 * n + 120, 420, 60.0, 40.0, 140.0);
    let max_speed = rep
        .results
        .iter()
        .map(|r| r.dense_eq_dsp.cycles / r.crew.cycles)
        .fold(1.0f64, f64::max)
        .ceil();
    let plot_h = 260.0;
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">\n");
    s += "<text x=\"10\" y=\"20\" font-size=\"14\">CREW vs dense int8: speedup (bars, left axis) and DRAM bytes CREW/dense (dots, right axis, 0-1)</text>\n";
    let y = |v: f64| top + plot_h - v / max_speed * plot_h;
    for k in 0..=max_speed as usize {
        s += &format!("<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"30\" y=\"{:.1}\">{k}x</text>\n", w as f64 - 40.0, y(k as f64), y(k as f64), y(k as f64) + 4.0);
    }
    for (i, r) in rep.results.iter().enumerate() {
        let x0 = left + 10.0 + i as f64 * group;
        for (j, (v, color)) in [
            (r.dense_eq_dsp.cycles / r.crew.cycles, "#3b6ea5"),
            (r.dense_eq_bw.cycles / r.crew.cycles, "#9cc3e6"),
        ]
        .iter()
        .enumerate()
        {
            let x = x0 + j as f64 * 40.0;
            s += &format!("<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"36\" height=\"{:.1}\" fill=\"{color}\"/><text x=\"{x:.1}\" y=\"{:.1}\">{v:.2}</text>\n", y(*v), top + plot_h - y(*v), y(*v) - 3.0);
        }
        let ratio = r.crew.dram_bytes / r.dense_eq_bw.dram_bytes;
        s += &format!("<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"#d9534f\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#d9534f\">{ratio:.2}</text>\n", x0 + 100.0, top + plot_h - ratio * plot_h, x0 + 88.0, top + plot_h - ratio * plot_h - 8.0);
        s += &format!(
            "<text x=\"{x0:.1}\" y=\"{:.1}\">{}</text>\n",
            top + plot_h + 18.0,
            r.workload.name
        );
    }
    s += &format!("<rect x=\"{left}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"#3b6ea5\"/><text x=\"{}\" y=\"{}\">vs dense, 4 MACs (equal DSP)</text>\n", h - 50, left + 16.0, h - 40);
    s += &format!("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"#9cc3e6\"/><text x=\"{}\" y=\"{}\">vs dense, 16 MACs (equal DRAM rate)</text>\n", left + 220.0, h - 50, left + 236.0, h - 40);
    s += &format!("<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"#d9534f\"/><text x=\"{}\" y=\"{}\">DRAM bytes CREW / dense</text>\n", left + 466.0, h - 44, left + 476.0, h - 40);
    s += "</svg>\n";
    s
}
