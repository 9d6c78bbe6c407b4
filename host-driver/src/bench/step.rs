//! One workload on the three engines: the workload as a compiled package (g2p_en's, or a
//! float model of Laplacian weights compiled by crew-host), loaded by the driver on each
//! engine's simulated board (the CREW image, or the dense image the driver builds from
//! it), the runs of one whole step, their outputs and state compared with the integer
//! reference, and the per-step figures from the engine's counters.

use super::*;

fn laplacian(r: &mut ChaCha8Rng, b: f64) -> f32 {
    let u: f64 = r.gen_range(-0.5..0.5);
    (-b * u.signum() * (1.0 - 2.0 * u.abs()).ln()) as f32
}

/// Trained-like float weights: Laplacian, scale 1/sqrt(fan-in).
fn laplacian_tensor(r: &mut ChaCha8Rng, rows: usize, cols: usize, fan_in: usize) -> Tensor {
    let b = 1.0 / (fan_in as f64).sqrt();
    Tensor::new(
        vec![rows, cols],
        (0..rows * cols).map(|_| laplacian(r, b)).collect(),
    )
}

fn random_bias(r: &mut ChaCha8Rng, rows: usize) -> Vec<f32> {
    (0..rows).map(|_| r.gen_range(-0.1..0.1)).collect()
}

fn random_i8(r: &mut ChaCha8Rng, n: usize) -> Vec<i8> {
    (0..n).map(|_| r.gen()).collect()
}

/// Mean size of the per-column tables of a row-major int8 matrix, and its column count.
fn unique_sum(weights: &[i8], rows: usize, cols: usize) -> (usize, usize) {
    let m = CrewMatrix::from_int8(weights, rows, cols, IndexWidth::PerColumn);
    (m.columns.iter().map(|c| c.table.len()).sum(), cols)
}

/// One engine run of a step: layer, its input vector and its state before the run.
struct StepRun {
    layer: usize,
    x: Vec<i8>,
    state: LayerState,
}

/// A workload compiled: its package, how its step is simulated and the runs that make
/// the step.
struct CompiledStep {
    package: Package,
    method: Method,
    runs: Vec<StepRun>,
}

/// Why the engine cannot run a recurrent layer of this shape as one layer, if it cannot.
fn recurrent_misfit(w: &Workload) -> Option<String> {
    if w.hidden > MAX_HIDDEN {
        Some(format!("H {} > the cell unit's {MAX_HIDDEN}", w.hidden))
    } else if w.n_in > MAX_INPUTS {
        Some(format!("n_in {} > the x buffer's {MAX_INPUTS}", w.n_in))
    } else {
        None
    }
}

fn compiled(model: &Model) -> Result<Package> {
    compile(
        model,
        &CompileOptions {
            load_addr: IMAGE_BASE,
            ..Default::default()
        },
        &mut |_| {},
    )
}

/// A synthetic workload as a float model, compiled: the layer itself, or (when the
/// engine cannot run it as one layer) one FC layer per pass with that pass's weights.
fn synthetic(w: &Workload, rng: &mut ChaCha8Rng) -> Result<CompiledStep> {
    let rows = w.rows();
    let fan_in = w.columns();
    let quant = QuantSettings::default();
    let input = Some(InputSource::Scale(DEFAULT_INPUT_SCALE));
    let x = random_i8(rng, w.n_in);
    let passes: Vec<(Tensor, Vec<f32>)> = (0..w.kind.passes())
        .map(|p| {
            let cols = if p == 0 { w.n_in } else { w.hidden };
            (
                laplacian_tensor(rng, rows, cols, fan_in),
                random_bias(rng, rows),
            )
        })
        .collect();
    let misfit = match w.kind {
        LayerKind::Fc => None,
        _ => recurrent_misfit(w),
    };
    let (layers, method, runs) = match misfit {
        None => {
            let kind = match w.kind {
                LayerKind::Fc => Kind::Linear,
                LayerKind::Gru => Kind::Gru,
                LayerKind::Lstm => Kind::Lstm,
            };
            let mut state = LayerState::zeros(w.kind, w.hidden);
            state.h = random_i8(rng, state.h.len());
            let (weights, biases) = passes.into_iter().unzip();
            let layer = Layer {
                name: w.name.into(),
                kind,
                n_in: w.n_in,
                n_hidden: w.hidden,
                weights,
                biases,
                input,
                quant,
            };
            let run = StepRun { layer: 0, x, state };
            (vec![layer], Method::FullStep, vec![run])
        }
        Some(why) => {
            let h = random_i8(rng, w.hidden);
            let layers = passes
                .into_iter()
                .enumerate()
                .map(|(p, (weight, bias))| Layer {
                    name: format!("{} pass {p}", w.name),
                    kind: Kind::Linear,
                    n_in: weight.cols(),
                    n_hidden: rows,
                    weights: vec![weight],
                    biases: vec![bias],
                    input: input.clone(),
                    quant,
                })
                .collect();
            let runs = [x, h]
                .into_iter()
                .enumerate()
                .map(|(layer, x)| StepRun {
                    layer,
                    x,
                    state: LayerState::default(),
                })
                .collect();
            (layers, Method::FcPasses { why }, runs)
        }
    };
    let model = Model {
        name: w.name.into(),
        source: PathBuf::from("synthetic"),
        layers,
        embeddings: vec![],
        decoding: None,
    };
    Ok(CompiledStep {
        package: compiled(&model)?,
        method,
        runs,
    })
}

/// A g2p_en layer's step: one grapheme/phoneme (token 3) as x (the token itself, the
/// layer's x pass being folded, or its embedding row), h from a previous reference step.
fn g2p(package: &Package, layer: &str) -> Result<CompiledStep> {
    let index = package.layer_index(layer)?;
    let info = &package.info.layers[index];
    let emb = if layer == "encoder" {
        "enc_emb"
    } else {
        "dec_emb"
    };
    let x = if package.container.layers[index].token_input {
        crew_spec::image::token_input(3)
    } else {
        package.embedding(emb)?.row(3).to_vec()
    };
    let mut reference = Reference::new();
    reference.load(package)?;
    let mut state = LayerState::zeros(info.kind.spec(), info.n_hidden);
    reference.run(index, std::slice::from_ref(&x), &mut state)?;
    Ok(CompiledStep {
        package: package.clone(),
        method: Method::FullStep,
        runs: vec![StepRun {
            layer: index,
            x,
            state,
        }],
    })
}

fn finish_step(totals: &Totals, board: BoardEngine, bit_exact: bool) -> EngineStep {
    let lanes = board.lanes();
    let crew = board.kind_code() == regmap::ENGINE_KIND_CREW;
    let [cycles, words, mults, adds] = totals.0.map(|v| v as f64);
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

/// Sums of cycles, DRAM words, multiplications and additions over a step's runs.
#[derive(Default)]
struct Totals([u64; 4]);

impl Totals {
    fn add(&mut self, c: &PerfCounters) {
        let v = [c.cycles, c.dram_words, c.mults, c.adds];
        for (t, v) in self.0.iter_mut().zip(v) {
            *t += v as u64;
        }
    }
}

/// The step on one engine: the package loaded by the driver, each run of the step, its
/// outputs and state compared with the reference's. Totals and whether all were equal.
fn step_on(
    bench: &mut BenchDevice,
    w: &Workload,
    step: &CompiledStep,
    want: &[(RunOutput, LayerState)],
) -> Result<(Totals, bool)> {
    let failed = |doing: &str, error| BenchError::Device {
        engine: bench.engine.label,
        doing: format!("{doing} {}", w.name),
        error,
    };
    bench
        .device
        .load_package(&step.package)
        .map_err(|e| failed("loading", e))?;
    let mut totals = Totals::default();
    let mut exact = true;
    for (run, (want, want_state)) in step.runs.iter().zip(want) {
        let mut state = run.state.clone();
        let out = bench
            .device
            .run_layer(run.layer, std::slice::from_ref(&run.x), &mut state)
            .map_err(|e| failed("running", e))?;
        totals.add(
            &out.counters
                .expect("the driver reads the counters of every run"),
        );
        exact &= out.outputs == want.outputs && state == *want_state;
    }
    Ok((totals, exact))
}

/// A workload ready to run: compiled, with the reference's outputs and state after each
/// run of its step.
pub(super) struct PreparedStep {
    workload: Workload,
    step: CompiledStep,
    want: Vec<(RunOutput, LayerState)>,
    mean_unique: f64,
}

/// Compiles `w` and runs its step on the integer reference.
pub(super) fn prepare(
    w: &Workload,
    g2p_package: &mut Option<Package>,
    rng: &mut ChaCha8Rng,
) -> Result<PreparedStep> {
    let step = match &w.source {
        Source::G2p { layer } => {
            if g2p_package.is_none() {
                let model = Model::from_description(
                    &Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/g2p_en/model.toml"),
                )?;
                *g2p_package = Some(compiled(&model)?);
            }
            g2p(g2p_package.as_ref().unwrap(), layer)?
        }
        Source::Synthetic => synthetic(w, rng)?,
    };
    let package = &step.package;
    let mut reference = Reference::new();
    reference.load(package)?;
    let mut want = vec![];
    let (mut unique, mut columns) = (0, 0);
    for run in &step.runs {
        let mut state = run.state.clone();
        let out = reference.run(run.layer, std::slice::from_ref(&run.x), &mut state)?;
        want.push((out, state));
        let (_, passes) = crate::compiler::dense::decode_layer(package, run.layer)?;
        for p in &passes {
            let (u, c) = unique_sum(&p.weights, p.n_out, p.n_in);
            unique += u;
            columns += c;
        }
    }
    Ok(PreparedStep {
        workload: w.clone(),
        step,
        want,
        mean_unique: unique as f64 / columns.max(1) as f64,
    })
}

/// Every workload's step on one engine's simulated board, with the UI cycles the board
/// simulated for them (loads included).
pub(super) fn engine_steps(
    engine: EngineName,
    prepared: &[PreparedStep],
    progress: &mut dyn FnMut(BenchProgress),
) -> Result<(Vec<EngineStep>, u64)> {
    let mut bench = BenchDevice::open(engine, progress)?;
    let start = bench.ui_cycles();
    let mut steps = vec![];
    for (index, p) in prepared.iter().enumerate() {
        progress(BenchProgress::Workload {
            engine: engine.label,
            index,
            total: prepared.len(),
            name: p.workload.name.into(),
        });
        let (totals, exact) = step_on(&mut bench, &p.workload, &p.step, &p.want)?;
        steps.push(finish_step(&totals, engine.board, exact));
    }
    Ok((steps, bench.ui_cycles() - start))
}

/// A workload's result from its preparation and its step on each engine of [`ENGINES`].
pub(super) fn workload_result(p: PreparedStep, steps: [EngineStep; 3]) -> WorkloadResult {
    let [crew, dense_eq_dsp, dense_eq_bw] = steps;
    WorkloadResult {
        workload: p.workload,
        method: p.step.method,
        mean_unique: p.mean_unique,
        crew,
        dense_eq_dsp,
        dense_eq_bw,
    }
}
