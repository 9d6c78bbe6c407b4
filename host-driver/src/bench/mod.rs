//! CREW vs dense int8 (TPU-like) baseline: both engines' RTL (their generated Verilog under
//! Verilator) simulated on the same DDR3 model (1.6 GB/s), one whole step per workload:
//! cycles, DRAM bytes, multiplications, additions, efficiency vs the roofline, an energy
//! estimate and yosys resource estimates. Decisions (workload shapes, how layers the
//! engine cannot run as one layer are simulated, energy table, engine sizes) are in
//! docs/dense-baseline.md.

mod report;
mod resources;
mod step;
mod synth;
mod workloads;

pub use report::{csv, markdown, name_values, svg, PAPER_ENERGY_RATIO, PAPER_SPEEDUP};
pub use resources::{parse_stat, Resources, XC7A50T};
pub use synth::{synth_cached, yosys_version};
pub use workloads::{standard_workloads, tiny_workloads};

use step::workload_step;

use std::path::{Path, PathBuf};
use std::process::Command;

use crew_hw::engine::common::cell_unit::MAX_HIDDEN;
use crew_hw::engine::common::core::MAX_INPUTS;
use crew_hw::engine::crew::CrewEngine;
use crew_hw::engine::dense::DenseEngine;
use crew_hw::sim::ddr3_model::Ddr3Timing;
use crew_hw::sim::engine::VerilatedEngine;
use crew_hw::testbench::engine::{RunReport, RunRequest};
use crew_spec::image::{bytes_to_words, words_to_bytes, LayerKind, WORD_BYTES};
use crew_spec::layout::RunLayout;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_hdl::prelude::*;

use crate::backend::reference::Reference;
use crate::backend::{Accelerator, LayerState, StepOutputs};
use crate::compiler::crew::CrewMatrix;
use crate::compiler::dense::dense_image;
use crate::compiler::package::Package;
use crate::compiler::{compile, CompileOptions, DEFAULT_INPUT_SCALE};
use crate::error::{BenchError, Error, Result};
use crate::model::checkpoint::Tensor;
use crate::model::{IndexWidth, InputSource, Kind, Layer, Model, QuantSettings};

/// CREW engine of the benchmark: 16 gather lanes, 512 accumulators per lane (8192 rows).
pub type BenchCrew = CrewEngine<16, 9>;
/// Dense baseline with the CREW engine's DSP budget: 4 MAC lanes (the CREW table unit has
/// 4 multipliers; epilogue and cell unit are the same in both).
pub type BenchDenseEqDsp = DenseEngine<4, 11>;
/// Dense baseline that matches the DRAM rate: 16 MAC lanes (one weight word per cycle).
pub type BenchDenseEqBw = DenseEngine<16, 9>;
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
/// Run-time vectors ([`RunLayout`]) start here, far above every benchmark image.
const RUN_BASE: u64 = 0x100_0000;
/// Longest run (engine cycles) before the benchmark gives up on an engine.
const MAX_RUN_CYCLES: u64 = 50_000_000;

/// Where a workload's weights come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A layer of the bundled g2p_en model (compiled by crew-host).
    G2p { layer: &'static str },
    /// A float layer of this shape with Laplacian weights, compiled by crew-host.
    Synthetic,
}

/// How a workload's step is simulated: always every column of the step.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// One step of the layer as the engine runs it (all passes and the cell unit).
    FullStep,
    /// Each pass of the step as an FC layer (all its columns; no cell unit, int32 rows
    /// written to DRAM), because the engine cannot run the layer itself: `why`.
    FcPasses { why: String },
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

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub workloads: Vec<Workload>,
    /// Run yosys for resource estimates (cached in `cache_dir`, see [`synth_cached`]).
    pub synth: bool,
    pub cache_dir: PathBuf,
    pub seed: u64,
}

/// One engine on one workload (one step).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineStep {
    pub cycles: f64,
    pub dram_bytes: f64,
    pub mults: f64,
    pub adds: f64,
    pub roofline_cycles: f64,
    pub energy_uj: f64,
    /// Outputs equal the integer reference.
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
    pub method: Method,
    pub mean_unique: f64,
    pub crew: EngineStep,
    pub dense_eq_dsp: EngineStep,
    pub dense_eq_bw: EngineStep,
}

/// One engine's yosys `synth_xilinx -family xc7` resources.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineResources {
    pub engine: EngineName,
    pub resources: Resources,
    /// Seconds yosys took, None when the report came from the cache.
    pub synth_seconds: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct BenchReport {
    pub results: Vec<WorkloadResult>,
    /// Per engine, in [`ENGINES`] order (empty without synthesis).
    pub resources: Vec<EngineResources>,
    /// `yosys -V` of the synthesis (None without synthesis).
    pub yosys_version: Option<String>,
    pub simulated_cycles: u64,
}

/// Progress events.
#[derive(Debug, Clone)]
pub enum BenchProgress {
    Workload {
        index: usize,
        total: usize,
        name: String,
    },
    /// Verilator compiled an engine (not in the build cache yet).
    VerilatorBuild { engine: String, seconds: f64 },
    /// yosys synthesized an engine (`seconds`), or its report came from the cache (None).
    Synth {
        engine: String,
        seconds: Option<f64>,
    },
}

/// An engine's name in the reports and in the printed `name=value` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineName {
    pub label: &'static str,
    pub key: &'static str,
}

/// The three engines, in the order of [`WorkloadResult`]'s fields.
pub const ENGINES: [EngineName; 3] = [
    EngineName {
        label: "CREW (16 lanes)",
        key: "crew",
    },
    EngineName {
        label: "dense, 4 MACs (equal DSP)",
        key: "dense4",
    },
    EngineName {
        label: "dense, 16 MACs (equal DRAM rate)",
        key: "dense16",
    },
];

/// The three engines, each its Verilog under Verilator with its own DDR3 model.
struct Engines {
    crew: VerilatedEngine<BenchCrew>,
    dense_eq_dsp: VerilatedEngine<BenchDenseEqDsp>,
    dense_eq_bw: VerilatedEngine<BenchDenseEqBw>,
}

/// Runs the benchmark.
pub fn run_bench(
    opts: &BenchOptions,
    progress: &mut dyn FnMut(BenchProgress),
) -> Result<BenchReport> {
    let mut engines = Engines {
        crew: VerilatedEngine::new(Ddr3Timing::default())?,
        dense_eq_dsp: VerilatedEngine::new(Ddr3Timing::default())?,
        dense_eq_bw: VerilatedEngine::new(Ddr3Timing::default())?,
    };
    for (name, seconds) in ENGINES.iter().zip([
        engines.crew.build_seconds(),
        engines.dense_eq_dsp.build_seconds(),
        engines.dense_eq_bw.build_seconds(),
    ]) {
        if let Some(seconds) = seconds {
            progress(BenchProgress::VerilatorBuild {
                engine: name.label.to_string(),
                seconds,
            });
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut results = vec![];
    let mut simulated_cycles = 0u64;
    let mut g2p = None;
    for (index, w) in opts.workloads.iter().enumerate() {
        progress(BenchProgress::Workload {
            index,
            total: opts.workloads.len(),
            name: w.name.into(),
        });
        results.push(workload_step(
            w,
            &mut g2p,
            &mut rng,
            &mut engines,
            &mut simulated_cycles,
        )?);
    }
    let mut resources = vec![];
    let mut yosys = None;
    if opts.synth {
        yosys = Some(yosys_version()?);
        let verilogs = [
            generate_verilog_of(BenchCrew::new()),
            generate_verilog_of(BenchDenseEqDsp::new()),
            generate_verilog_of(BenchDenseEqBw::new()),
        ];
        for (engine, v) in ENGINES.into_iter().zip(verilogs) {
            let (res, seconds) = synth_cached(&v, &opts.cache_dir)?;
            progress(BenchProgress::Synth {
                engine: engine.label.to_string(),
                seconds,
            });
            resources.push(EngineResources {
                engine,
                resources: res,
                synth_seconds: seconds,
            });
        }
    }
    Ok(BenchReport {
        results,
        resources,
        yosys_version: yosys,
        simulated_cycles,
    })
}

fn generate_verilog_of<T: Block>(mut uut: T) -> String {
    uut.connect_all();
    generate_verilog(&uut)
}
