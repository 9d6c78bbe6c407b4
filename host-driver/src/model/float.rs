//! Float model over the original weights (PyTorch semantics, f32 weights, f64 sums): the
//! accuracy yardstick for the integer reference.

use crate::model::{Kind, Layer};

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// y = W x + b for pass `p` of a layer.
fn affine(layer: &Layer, p: usize, x: &[f32]) -> Vec<f64> {
    let w = &layer.weights[p];
    (0..w.rows())
        .map(|o| {
            w.row(o)
                .iter()
                .zip(x)
                .map(|(&a, &b)| a as f64 * b as f64)
                .sum::<f64>()
                + layer.biases[p][o] as f64
        })
        .collect()
}

/// Float recurrent state.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatState {
    pub h: Vec<f32>,
    pub c: Vec<f32>,
}

impl FloatState {
    pub fn zeros(hidden: usize) -> FloatState {
        FloatState {
            h: vec![0.0; hidden],
            c: vec![0.0; hidden],
        }
    }
}

/// One recurrent step (GRU or LSTM) in place; returns the new h.
pub fn step(layer: &Layer, x: &[f32], state: &mut FloatState) -> Vec<f32> {
    let hs = layer.n_hidden;
    let gx = affine(layer, 0, x);
    let gh = affine(layer, 1, &state.h);
    for j in 0..hs {
        match layer.kind {
            Kind::Gru => {
                let r = sigmoid(gx[j] + gh[j]);
                let z = sigmoid(gx[hs + j] + gh[hs + j]);
                let n = (gx[2 * hs + j] + r * gh[2 * hs + j]).tanh();
                state.h[j] = ((1.0 - z) * n + z * state.h[j] as f64) as f32;
            }
            Kind::Lstm => {
                let g = |k: usize| gx[k * hs + j] + gh[k * hs + j];
                let (i, f, gg, o) = (sigmoid(g(0)), sigmoid(g(1)), g(2).tanh(), sigmoid(g(3)));
                let c = f * state.c[j] as f64 + i * gg;
                state.c[j] = c as f32;
                state.h[j] = (o * c.tanh()) as f32;
            }
            Kind::Linear => unreachable!("step() takes recurrent layers"),
        }
    }
    state.h.clone()
}

/// A linear layer's outputs.
pub fn linear(layer: &Layer, x: &[f32]) -> Vec<f32> {
    affine(layer, 0, x).into_iter().map(|v| v as f32).collect()
}
