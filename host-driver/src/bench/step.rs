//! One workload on the three engines: its images (CREW records and dense columns, placed
//! by `crew_spec::layout::ImageBuilder`), one run each on the simulated engines, the
//! outputs compared with the integer arithmetic, and the per-step figures (extrapolated
//! from two column counts for synthetic layers).

use super::*;

fn laplacian(r: &mut ChaCha8Rng, b: f64) -> f32 {
    let u: f64 = r.gen_range(-0.5..0.5);
    (-b * u.signum() * (1.0 - 2.0 * u.abs()).ln()) as f32
}

/// Trained-like int8 weights: Laplacian floats (scale 1/sqrt(n_in)) quantized per tensor.
fn laplacian_int8(r: &mut ChaCha8Rng, rows: usize, cols: usize, fan_in: usize) -> Vec<i8> {
    let b = 1.0 / (fan_in as f64).sqrt();
    let t = crate::model::checkpoint::Tensor::new(
        vec![rows, cols],
        (0..rows * cols).map(|_| laplacian(r, b)).collect(),
    );
    let scales = quant::weight_scales(&t, crate::model::Granularity::PerTensor);
    quant::quantize_weights(&t, &scales)
}

/// Mean size of the per-column tables of a row-major int8 matrix.
fn mean_unique(weights: &[i8], rows: usize, cols: usize) -> f64 {
    let m = CrewMatrix::from_int8(weights, rows, cols, IndexWidth::PerColumn);
    m.columns.iter().map(|c| c.table.len()).sum::<usize>() as f64 / cols as f64
}

/// One FC pass as a CREW image and as a dense image, both at [`IMAGE_BASE`]; returns the
/// two images' words and descriptor addresses.
fn fc_images(
    weights: &[i8],
    rows: usize,
    cols: usize,
    epilogue: &[EpilogueRow],
) -> [(Vec<u128>, u32); 2] {
    let epilogue: Vec<u128> = epilogue.iter().map(|r| r.to_word()).collect();
    let crew = CrewMatrix::from_int8(weights, rows, cols, IndexWidth::PerColumn).records();
    let dense = (0..cols)
        .flat_map(|i| {
            let column: Vec<i8> = (0..rows).map(|o| weights[o * cols + i]).collect();
            encode_dense_column(&column)
        })
        .collect();
    [(crew, false), (dense, true)].map(|(records, dense)| {
        let mut image = ImageBuilder::new(IMAGE_BASE);
        let header = LayerHeader {
            kind: LayerKind::Fc,
            wide_entries: false,
            dense,
            n_in: cols as u16,
            n_hidden: rows as u16,
        };
        let pass = PassWords {
            n_in: cols as u16,
            n_out: rows as u16,
            records,
            epilogue: epilogue.clone(),
        };
        let desc = image
            .push_layer(header, &[pass])
            .expect("benchmark layers fit in DRAM");
        (image.into_words(), desc)
    })
}

/// One run on a simulated engine: image and [inputs | state] written to its DDR model,
/// the run, then state and outputs read back (bytes from `run.state_addr`).
#[allow(clippy::too_many_arguments)]
fn run_once(
    sim: &mut dyn LayerSim,
    engine: &'static str,
    w: &Workload,
    image: &[u128],
    desc_addr: u32,
    run: &RunLayout,
    inputs: &[Vec<i8>],
    h: &[i8],
) -> Result<(RunReport, Vec<u8>)> {
    sim.ddr().load_words(IMAGE_BASE as u64, image);
    sim.ddr().load_words(
        run.in_addr,
        &bytes_to_words(&run.pack_inputs(inputs, h, &[])),
    );
    let rep = sim.run(
        RunRequest {
            desc_addr,
            in_addr: run.in_addr as u32,
            out_addr: run.out_addr as u32,
            state_addr: run.state_addr as u32,
            steps: run.steps as u16,
        },
        50_000_000,
    )?;
    if !rep.ok() {
        return Err(Error::Bench(BenchError::Engine {
            engine,
            workload: w.name.into(),
            code: rep.error,
        }));
    }
    let back = sim
        .ddr()
        .read_words(run.state_addr, run.back_bytes() / WORD_BYTES);
    Ok((rep, words_to_bytes(&back)))
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
pub(super) fn synthetic_step(
    w: &Workload,
    cols: (usize, usize),
    rng: &mut ChaCha8Rng,
    crew: &mut BenchCrew,
    eq_dsp: &mut BenchDenseEqDsp,
    eq_bw: &mut BenchDenseEqBw,
    simulated: &mut u64,
) -> Result<WorkloadResult> {
    let rows = w.rows();
    let mut reps: Vec<[RunReport; 3]> = vec![];
    let mut exact = true;
    let mut unique = 0.0;
    for (k, &c) in [cols.0, cols.1].iter().enumerate() {
        let c = c.min(w.columns());
        let fan_in = w.columns();
        let weights = laplacian_int8(rng, rows, c, fan_in);
        let epilogue: Vec<EpilogueRow> = (0..rows)
            .map(|_| EpilogueRow {
                bias: rng.gen_range(-1000..1000),
                multiplier: 0,
                shift: 1,
            })
            .collect();
        if k == 1 {
            unique = mean_unique(&weights, rows, c);
        }
        let x: Vec<i8> = (0..c).map(|_| rng.gen()).collect();
        let want: Vec<i32> = (0..rows)
            .map(|o| {
                (0..c).fold(epilogue[o].bias, |a, i| {
                    a.wrapping_add(weights[o * c + i] as i32 * x[i] as i32)
                })
            })
            .collect();
        let [(crew_img, crew_desc), (dense_img, dense_desc)] =
            fc_images(&weights, rows, c, &epilogue);
        let run = RunLayout::new(LayerKind::Fc, c, rows, 1, RUN_BASE);
        let inputs = [x];
        let (a, out_a) = run_once(crew, "CREW", w, &crew_img, crew_desc, &run, &inputs, &[])?;
        let (b, out_b) = run_once(
            eq_dsp,
            "dense-4",
            w,
            &dense_img,
            dense_desc,
            &run,
            &inputs,
            &[],
        )?;
        let (d, out_d) = run_once(
            eq_bw,
            "dense-16",
            w,
            &dense_img,
            dense_desc,
            &run,
            &inputs,
            &[],
        )?;
        exact &= [out_a, out_b, out_d]
            .iter()
            .all(|back| run.read_accumulators(back, 0) == want);
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
pub(super) fn g2p_step(
    package: &crate::compiler::package::Package,
    w: &Workload,
    layer: &str,
    crew: &mut BenchCrew,
    eq_dsp: &mut BenchDenseEqDsp,
    eq_bw: &mut BenchDenseEqBw,
    simulated: &mut u64,
) -> Result<WorkloadResult> {
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
        let (_, passes) = crate::compiler::dense::decode_layer(package, index)?;
        let p = &passes[0];
        mean_unique(&p.weights, p.n_out, p.n_in)
    };
    let run = RunLayout::new(w.kind, w.n_in, hid, 1, RUN_BASE);
    let inputs = [x];
    let mut one = |sim: &mut dyn LayerSim,
                   engine: &'static str,
                   words: &[u128],
                   desc: u32|
     -> Result<(RunReport, bool)> {
        let (rep, back) = run_once(sim, engine, w, words, desc, &run, &inputs, &h0)?;
        *simulated += rep.wall_cycles;
        Ok((rep, run.read_hidden(&back, 0) == want))
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
