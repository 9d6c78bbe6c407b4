//! Helpers shared by the integration tests: random tensors and safetensors files.
#![allow(dead_code)]

pub mod stand_in;

use std::collections::BTreeMap;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use safetensors::tensor::TensorView;
use safetensors::Dtype;

pub type Tensors = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

pub fn random(rng: &mut ChaCha8Rng, shape: &[usize], scale: f32) -> (Vec<usize>, Vec<f32>) {
    let n = shape.iter().product();
    (
        shape.to_vec(),
        (0..n).map(|_| rng.gen_range(-scale..scale)).collect(),
    )
}

pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// PyTorch-named tensors of one recurrent layer (nn.GRU/nn.LSTM when `suffix` = "_l0",
/// cells when "").
pub fn recurrent(
    rng: &mut ChaCha8Rng,
    prefix: &str,
    suffix: &str,
    gates: usize,
    n_in: usize,
    h: usize,
) -> Tensors {
    let mut t = Tensors::new();
    let s = 1.0 / (h as f32).sqrt();
    t.insert(
        format!("{prefix}.weight_ih{suffix}"),
        random(rng, &[gates * h, n_in], s),
    );
    t.insert(
        format!("{prefix}.weight_hh{suffix}"),
        random(rng, &[gates * h, h], s),
    );
    t.insert(
        format!("{prefix}.bias_ih{suffix}"),
        random(rng, &[gates * h], s),
    );
    t.insert(
        format!("{prefix}.bias_hh{suffix}"),
        random(rng, &[gates * h], s),
    );
    t
}

pub fn write_safetensors(path: &Path, tensors: &Tensors) {
    let bytes: BTreeMap<&String, Vec<u8>> = tensors
        .iter()
        .map(|(k, (_, d))| (k, d.iter().flat_map(|v| v.to_le_bytes()).collect()))
        .collect();
    let views: Vec<(&String, TensorView)> = tensors
        .iter()
        .map(|(k, (shape, _))| {
            (
                k,
                TensorView::new(Dtype::F32, shape.clone(), &bytes[k]).unwrap(),
            )
        })
        .collect();
    std::fs::write(path, safetensors::serialize(views, &None).unwrap()).unwrap();
}
