//! The integer reference against (a) an independent dense integer implementation of the
//! numerics contract and (b) the float model; PyTorch-named safetensors import.

mod common;

use common::*;
use crew_host::backend::reference::Reference;
use crew_host::compiler::{compile, CompileOptions};
use crew_host::model::checkpoint::Tensor;
use crew_host::model::{Kind, Model, QuantSettings};
use crew_host::runner::{sequence_float, sequence_integer};
use crew_host::{Accelerator, LayerState};
use crew_spec::numerics::{quantize_multiplier, requantize, Luts};

/// Dense int8 weights, int32 biases, (M, shift), per tensor, computed here from the floats.
struct DensePass {
    q: Vec<i32>,
    bias: Vec<i32>,
    mult: (i32, u8),
    n_in: usize,
}

fn dense_pass(w: &Tensor, b: &[f32], s_in: f64) -> DensePass {
    let max = w.data.iter().fold(0f64, |m, v| m.max(v.abs() as f64));
    let s = max / 127.0;
    DensePass {
        q: w.data
            .iter()
            .map(|&v| (v as f64 / s).round().clamp(-127.0, 127.0) as i32)
            .collect(),
        bias: b
            .iter()
            .map(|&v| (v as f64 / (s * s_in)).round() as i32)
            .collect(),
        mult: quantize_multiplier(s * s_in * 4096.0),
        n_in: w.cols(),
    }
}

impl DensePass {
    fn acc(&self, x: &[i8]) -> Vec<i32> {
        self.bias
            .iter()
            .enumerate()
            .map(|(o, &b)| {
                b + (0..self.n_in)
                    .map(|i| self.q[o * self.n_in + i] * x[i] as i32)
                    .sum::<i32>()
            })
            .collect()
    }
    fn gates(&self, x: &[i8]) -> Vec<i32> {
        self.acc(x)
            .iter()
            .map(|&a| requantize(a, self.mult.0, self.mult.1))
            .collect()
    }
}

fn inputs(seed: u64, steps: usize, n_in: usize) -> Vec<Vec<i8>> {
    use rand::Rng;
    let mut r = rng(seed);
    (0..steps)
        .map(|_| (0..n_in).map(|_| r.gen()).collect())
        .collect()
}

#[test]
fn recurrent_layers_match_dense_integer_math_bit_exactly() {
    let luts = Luts::default();
    for (gates, prefix, suffix) in [
        (3, "gru", "_l0"),
        (4, "lstm", "_l0"),
        (3, "cell", ""),
        (4, "lcell", ""),
    ] {
        let (n_in, h) = (37, 20);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        write_safetensors(
            &path,
            &recurrent(&mut rng(gates as u64), prefix, suffix, gates, n_in, h),
        );
        let model = Model::from_checkpoint(&path, prefix, QuantSettings::default()).unwrap();
        let layer = &model.layers[0];
        assert_eq!(layer.kind, if gates == 3 { Kind::Gru } else { Kind::Lstm });
        let package = compile(&model, &CompileOptions::default(), &mut |_| {}).unwrap();
        let s_x = package.info.layers[0].input_scale;
        let px = dense_pass(&layer.weights[0], &layer.biases[0], s_x);
        let ph = dense_pass(&layer.weights[1], &layer.biases[1], 1.0 / 128.0);
        let xs = inputs(7, 9, n_in);
        let mut reference = Reference::new();
        reference.load(&package).unwrap();
        let mut state = LayerState::zeros(layer.kind.spec(), h);
        let out = reference.run(0, &xs, &mut state).unwrap();
        // Independent computation.
        let (mut hv, mut cv) = (vec![0i8; h], vec![0i32; h]);
        for (t, x) in xs.iter().enumerate() {
            let (gx, gh) = (px.gates(x), ph.gates(&hv));
            let mut next = vec![0i8; h];
            for j in 0..h {
                if gates == 3 {
                    let g = |v: &[i32]| [v[j], v[h + j], v[2 * h + j]];
                    next[j] = luts.gru_cell(g(&gx), g(&gh), hv[j]);
                } else {
                    let g = |v: &[i32]| [v[j], v[h + j], v[2 * h + j], v[3 * h + j]];
                    (next[j], cv[j]) = luts.lstm_cell(g(&gx), g(&gh), cv[j]);
                }
            }
            hv = next;
            assert_eq!(out.hidden().unwrap()[t], hv, "{prefix} step {t}");
        }
        assert_eq!(state.h, hv);
        if gates == 4 {
            assert_eq!(state.c, cv);
        }
        // Continuing from the returned state equals one longer run.
        let mut split = LayerState::zeros(layer.kind.spec(), h);
        reference.run(0, &xs[..4], &mut split).unwrap();
        reference.run(0, &xs[4..], &mut split).unwrap();
        assert_eq!(split, state, "{prefix}: state hand-over");
    }
}

#[test]
fn linear_layer_outputs_int32_accumulators() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fc.safetensors");
    let mut r = rng(3);
    let mut t = Tensors::new();
    t.insert("head.weight".into(), random(&mut r, &[53, 40], 0.3));
    t.insert("head.bias".into(), random(&mut r, &[53], 0.3));
    write_safetensors(&path, &t);
    let model = Model::from_checkpoint(&path, "head", QuantSettings::default()).unwrap();
    let package = compile(&model, &CompileOptions::default(), &mut |_| {}).unwrap();
    let l = &model.layers[0];
    let dense = dense_pass(
        &l.weights[0],
        &l.biases[0],
        package.info.layers[0].input_scale,
    );
    let xs = inputs(11, 5, 40);
    let mut reference = Reference::new();
    reference.load(&package).unwrap();
    let out = reference.run(0, &xs, &mut LayerState::default()).unwrap();
    for (x, acc) in xs.iter().zip(out.accumulators().unwrap()) {
        assert_eq!(acc, &dense.acc(x));
    }
}

#[test]
fn integer_sequences_track_the_float_model() {
    for (gates, prefix) in [(3, "gru"), (4, "lstm")] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let (n_in, h, steps) = (24, 32, 30);
        let mut tensors = recurrent(&mut rng(40 + gates as u64), prefix, "_l0", gates, n_in, h);
        // A second stacked layer (l1) takes the first layer's h.
        let l1 = recurrent(&mut rng(50 + gates as u64), prefix, "_l1", gates, h, h);
        tensors.extend(l1);
        write_safetensors(&path, &tensors);
        let model = Model::from_checkpoint(&path, prefix, QuantSettings::default()).unwrap();
        assert_eq!(model.layers.len(), 2);
        let x = {
            let (shape, data) = random(&mut rng(9), &[steps, n_in], 1.0);
            Tensor::new(shape, data)
        };
        let options = CompileOptions {
            calibration: Some(x.clone()),
            ..CompileOptions::default()
        };
        let package = compile(&model, &options, &mut |_| {}).unwrap();
        let mut reference = Reference::new();
        reference.load(&package).unwrap();
        let yi = sequence_integer(&mut reference, &package, &x).unwrap();
        let yf = sequence_float(&model, &x).unwrap();
        assert_eq!(yi.shape, vec![steps, h]);
        let diffs: Vec<f32> = yi
            .data
            .iter()
            .zip(&yf.data)
            .map(|(a, b)| (a - b).abs())
            .collect();
        let mean = diffs.iter().sum::<f32>() / diffs.len() as f32;
        let max = diffs.iter().copied().fold(0f32, f32::max);
        eprintln!("{prefix}: |h_int - h_float| mean {mean:.4} max {max:.4}");
        assert!(mean < 0.02 && max < 0.15, "{prefix}: mean {mean} max {max}");
    }
}

#[test]
fn nonuniform_tables_limit_uniques_and_stay_accurate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    write_safetensors(&path, &recurrent(&mut rng(77), "gru", "_l0", 3, 16, 48));
    let model = Model::from_checkpoint(&path, "gru", QuantSettings::default()).unwrap();
    let x = {
        let (shape, data) = random(&mut rng(5), &[20, 16], 1.0);
        Tensor::new(shape, data)
    };
    let options = CompileOptions {
        max_unique: Some(16),
        calibration: Some(x.clone()),
        ..CompileOptions::default()
    };
    let package = compile(&model, &options, &mut |_| {}).unwrap();
    assert!(package.container.layers[0].wide_entries);
    for s in crew_host::compiler::inspect::inspect(&package).unwrap() {
        assert!(s.unique_max <= 16 && s.wide_entries, "{s:?}");
    }
    let mut reference = Reference::new();
    reference.load(&package).unwrap();
    let yi = sequence_integer(&mut reference, &package, &x).unwrap();
    let yf = sequence_float(&model, &x).unwrap();
    let mean = yi
        .data
        .iter()
        .zip(&yf.data)
        .map(|(a, b)| (a - b).abs())
        .sum::<f32>()
        / yi.data.len() as f32;
    eprintln!("16 centroids per column: |h_int - h_float| mean {mean:.4}");
    assert!(mean < 0.05, "{mean}");
}
