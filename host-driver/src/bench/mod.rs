//! CREW vs dense int8 (TPU-like) baseline: each engine configuration on its own simulated
//! XEM7010 (the accelerator's generated Verilog under Verilator, the DDR3 model at 1.6
//! GB/s), driven by the driver exactly as `crew-host infer` drives a board: the package
//! loaded and verified through the pipe, one whole step per workload run with
//! `Device::run_layer`, the engine's counters read from the wire-outs. Reported: cycles,
//! DRAM bytes, multiplications, additions, efficiency vs the roofline, an energy estimate
//! and yosys resource estimates. Decisions (workload shapes, how layers the engine cannot
//! run as one layer are simulated, energy table, engine sizes) are in
//! docs/dense-baseline.md.

mod program;
mod report;
mod resources;
mod step;
mod synth;
mod workloads;

pub use report::{csv, markdown, name_values, svg, PAPER_ENERGY_RATIO, PAPER_SPEEDUP};
pub use resources::{parse_stat, Resources, XC7A50T};
pub use synth::{synth_cached, yosys_version};
pub use workloads::{standard_workloads, tiny_workloads};

use step::{engine_steps, prepare, workload_result};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;

use crew_hw::board::accelerator::{AcceleratorVisitor, BoardAccelerator};
use crew_hw::board::engine::BoardEngine;
use crew_spec::engine::{MAX_HIDDEN, MAX_INPUTS};
use crew_spec::image::{LayerKind, WORD_BYTES};
use crew_spec::regmap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_hdl::prelude::*;

use crate::backend::reference::Reference;
use crate::backend::{Accelerator, LayerState, PerfCounters, RunOutput};
use crate::compiler::crew::CrewMatrix;
use crate::compiler::package::Package;
use crate::compiler::{compile, CompileOptions, DEFAULT_INPUT_SCALE};
use crate::device::{Device, DeviceConfig};
use crate::error::{BenchError, Error, Result, RunError};
use crate::model::checkpoint::Tensor;
use crate::model::{IndexWidth, InputSource, Kind, Layer, Model, QuantSettings};
use crate::transport::sim::{SimBoardConfig, SimTransport, Simulator};

/// Per-operation energies (pJ), 45 nm, Horowitz ISSCC 2014 ("Computing's energy
/// problem"), as tabulated by Han et al. (EIE, ISCA 2016): DRAM 640 pJ per 32-bit access,
/// 32-bit SRAM (32 KB) read 5 pJ, 8-bit int multiply 0.2 pJ, 32-bit int add 0.1 pJ.
pub const PJ_DRAM_BYTE: f64 = 640.0 / 4.0;
pub const PJ_SRAM_BYTE: f64 = 5.0 / 4.0;
pub const PJ_MULT8: f64 = 0.2;
pub const PJ_ADD32: f64 = 0.1;

const IMAGE_BASE: u32 = 0x100;
/// Deadline of one run, in device time: 50 M UI cycles at 100 MHz.
const RUN_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

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
    /// UI cycles the three simulated boards ran, image loads included.
    pub simulated_cycles: u64,
    /// g2p_en's sequence program on the XEM7010 board engines (when a g2p workload ran).
    pub programs: Vec<program::ProgramRow>,
}

/// Progress events.
#[derive(Debug, Clone)]
pub enum BenchProgress {
    /// An engine starts a workload.
    Workload {
        engine: &'static str,
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

/// A benchmark engine: its names in the reports and the printed `name=value` lines, and
/// the board engine configuration it runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineName {
    pub label: &'static str,
    pub key: &'static str,
    pub board: BoardEngine,
}

/// The three engines, in the order of [`WorkloadResult`]'s fields. All have 8,192
/// accumulators, enough for the largest workload's passes (PTBLM: 6,000 rows).
pub const ENGINES: [EngineName; 3] = [
    EngineName {
        label: "CREW (16 lanes)",
        key: "crew",
        board: BoardEngine::Crew16x512,
    },
    EngineName {
        label: "dense, 4 MACs (equal DSP)",
        key: "dense4",
        board: BoardEngine::Dense4x2048,
    },
    EngineName {
        label: "dense, 16 MACs (equal DRAM rate)",
        key: "dense16",
        board: BoardEngine::Dense16x512,
    },
];

/// One benchmark engine on its simulated board, behind the driver.
struct BenchDevice {
    engine: EngineName,
    device: Device<SimTransport>,
}

impl BenchDevice {
    /// Powers up the simulated board of `engine` on Verilator and opens the driver on it.
    fn open(engine: EngineName, progress: &mut dyn FnMut(BenchProgress)) -> Result<BenchDevice> {
        let failed = |error| BenchError::Device {
            engine: engine.label,
            doing: "opening its simulated board".into(),
            error,
        };
        let config = SimBoardConfig {
            engine: engine.board,
            simulator: Simulator::Verilator,
            ..SimBoardConfig::default()
        };
        let transport = SimTransport::with_board(&[], config).map_err(|error| {
            failed(RunError::Transport {
                on: "simulated XEM7010".into(),
                error,
            })
        })?;
        if let Some(seconds) = transport.board().verilator_build_seconds() {
            progress(BenchProgress::VerilatorBuild {
                engine: engine.label.to_string(),
                seconds,
            });
        }
        let config = DeviceConfig {
            run_timeout: Some(RUN_TIMEOUT),
            engine: Some(engine.board.info()),
            ..DeviceConfig::sim()
        };
        let device = Device::open(transport, "sim", config).map_err(failed)?;
        Ok(BenchDevice { engine, device })
    }

    /// UI cycles its board has simulated.
    fn ui_cycles(&self) -> u64 {
        self.device.transport().board().ui_cycles()
    }
}

/// Runs the benchmark.
pub fn run_bench(
    opts: &BenchOptions,
    progress: &mut dyn FnMut(BenchProgress),
) -> Result<BenchReport> {
    // rust-hdl's simulation, the simulated board's fallback, would take hours.
    crew_hw::sim::verilator::tools_available()
        .map_err(|missing| BenchError::NoVerilator { missing })?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut g2p = None;
    let prepared = opts
        .workloads
        .iter()
        .map(|w| prepare(w, &mut g2p, &mut rng))
        .collect::<Result<Vec<_>>>()?;
    // The three boards are independent: one thread each, progress through a channel.
    let (events, received) = mpsc::channel();
    let per_engine: Vec<Result<(Vec<EngineStep>, u64)>> = std::thread::scope(|scope| {
        let threads: Vec<_> = ENGINES
            .into_iter()
            .map(|engine| {
                let events = events.clone();
                let prepared = &prepared;
                scope.spawn(move || {
                    engine_steps(engine, prepared, &mut |p| {
                        let _ = events.send(p);
                    })
                })
            })
            .collect();
        drop(events);
        for event in received {
            progress(event);
        }
        threads
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut simulated_cycles = 0;
    let mut columns = vec![];
    for result in per_engine {
        let (steps, cycles) = result?;
        simulated_cycles += cycles;
        columns.push(steps.into_iter());
    }
    let results = prepared
        .into_iter()
        .map(|p| {
            let steps = [0, 1, 2].map(|e| columns[e].next().expect("a step per workload"));
            workload_result(p, steps)
        })
        .collect();
    let programs = match &g2p {
        Some(package) => program::program_rows(package)?,
        None => vec![],
    };
    let mut resources = vec![];
    let mut yosys = None;
    if opts.synth {
        yosys = Some(yosys_version()?);
        for engine in ENGINES {
            let (res, seconds) = synth_cached(&engine.board.visit(EngineVerilog), &opts.cache_dir)?;
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
        programs,
    })
}

/// The Verilog of an accelerator's engine block alone (what the resource columns count).
struct EngineVerilog;

impl AcceleratorVisitor for EngineVerilog {
    type Output = String;
    fn visit<A: BoardAccelerator>(self) -> String {
        let mut engine = A::Engine::default();
        engine.connect_all();
        generate_verilog(&engine)
    }
}
