//! Helpers shared by the integration tests: random tensors and safetensors files.
#![allow(dead_code)]

pub mod stand_in;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// A tiny sequence-to-sequence model shaped like g2p (the bundled description with 8-wide
/// embeddings, 16 hidden units and 4 decoder steps, random weights), compiled: fast to
/// load into the simulated board, and it converts words.
pub fn tiny_g2p_package(dir: &Path) -> PathBuf {
    let g2p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/g2p_en/model.toml");
    let description = std::fs::read_to_string(g2p)
        .unwrap()
        .replace("checkpoint20.npz", "tiny.safetensors")
        .replace("max_steps = 20", "max_steps = 4");
    std::fs::write(dir.join("model.toml"), description).unwrap();
    let (source_vocab, target_vocab, embed, hidden) = (29, 74, 8, 16);
    let mut r = rng(7);
    let mut tensors = Tensors::new();
    for (name, shape) in [
        ("enc_emb", vec![source_vocab, embed]),
        ("dec_emb", vec![target_vocab, embed]),
        ("enc_w_ih", vec![3 * hidden, embed]),
        ("enc_w_hh", vec![3 * hidden, hidden]),
        ("enc_b_ih", vec![3 * hidden]),
        ("enc_b_hh", vec![3 * hidden]),
        ("dec_w_ih", vec![3 * hidden, embed]),
        ("dec_w_hh", vec![3 * hidden, hidden]),
        ("dec_b_ih", vec![3 * hidden]),
        ("dec_b_hh", vec![3 * hidden]),
        ("fc_w", vec![target_vocab, hidden]),
        ("fc_b", vec![target_vocab]),
    ] {
        tensors.insert(name.into(), random(&mut r, &shape, 0.5));
    }
    write_safetensors(&dir.join("tiny.safetensors"), &tensors);
    let pkg = dir.join("tiny.crew");
    let out = Command::new(env!("CARGO_BIN_EXE_crew-host"))
        .args([
            "compile",
            dir.join("model.toml").to_str().unwrap(),
            "-o",
            pkg.to_str().unwrap(),
            "-q",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    pkg
}

/// A finished process's exit status and output, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A path as a command-line argument.
pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Asserts that the process exited with `code` and said `says`.
pub fn assert_exit(out: &Output, code: i32, says: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", text(out));
    assert!(text(out).contains(says), "{}", text(out));
}
