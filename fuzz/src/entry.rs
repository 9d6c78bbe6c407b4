// Fuzz entry points for the package loader and the model importers.
//
// Each function takes arbitrary bytes and returns Ok(()) when the input was accepted or
// Err(message) when it was rejected with an error; a panic (or a hang, or unbounded
// memory) is a bug. Accepted inputs are pushed further down the pipeline (compile,
// serialize, reload, run the integer reference) so that inconsistent data that slips
// past validation shows up as a panic there. Shared by the cargo-fuzz targets (fuzz/) and
// the corpus replay test (host-driver/tests/fuzz_corpus.rs), which includes this file.

use std::path::{Path, PathBuf};

use crew_host::backend::reference::Reference;
use crew_host::backend::{Accelerator, LayerState};
use crew_host::compiler::package::Package;
use crew_host::compiler::{compile, CompileOptions};
use crew_host::model::checkpoint::Checkpoint;
use crew_host::model::Model;

/// Largest input worth looking at: bigger ones only slow the fuzzer down.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// Name of the checkpoint the description target writes beside the fuzzed `model.toml`.
pub const TINY_CHECKPOINT: &str = "tiny.safetensors";

/// A scratch directory per process and thread (the importers read files).
fn scratch_dir() -> PathBuf {
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    let dir = std::env::temp_dir().join(format!("crew-fuzz-{}-{thread}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn write_scratch(name: &str, data: &[u8]) -> PathBuf {
    let path = scratch_dir().join(name);
    std::fs::write(&path, data).expect("scratch file");
    path
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// `.crew` package bytes: the container parser, the host-side package, and for accepted
/// packages a byte-exact re-serialization, the descriptors and epilogues, and one step of
/// every layer on the integer reference.
pub fn package(data: &[u8]) -> Result<(), String> {
    if data.len() > MAX_INPUT_BYTES {
        return Err("too large".into());
    }
    let container = crew_spec::package::Package::from_bytes(data);
    let host = Package::from_bytes(data, Path::new("fuzz.crew"));
    let package = match (container, host) {
        (Err(e), Err(_)) => return Err(err(e)),
        (Ok(_), Err(e)) => return Err(err(e)),
        (Err(e), Ok(_)) => panic!("host accepts a package the container rejects: {e}"),
        (Ok(_), Ok(p)) => p,
    };
    exercise_package(&package);
    Ok(())
}

fn exercise_package(package: &Package) {
    let again = Package::from_bytes(&package.to_bytes(), Path::new("again.crew"))
        .expect("a serialized package loads again");
    assert_eq!(
        again.container, package.container,
        "serialization round trip"
    );
    let _ = package.container.image_words();
    for (k, entry) in package.container.layers.iter().enumerate() {
        let d = package.descriptor(k).expect("validated descriptor");
        for pass in 0..d.passes.len() {
            let rows = package.epilogue(k, pass).expect("validated epilogue");
            assert_eq!(rows.len(), d.passes[pass].n_out as usize);
        }
        let _ = entry.pass_rows();
    }
    let mut reference = Reference::new();
    if reference.load(package).is_err() {
        return;
    }
    for (k, l) in package.info.layers.iter().enumerate() {
        let d = package.descriptor(k).expect("validated descriptor");
        let mut state = LayerState::zeros(d.kind, l.n_hidden);
        let input = vec![vec![1i8; l.n_in], vec![-7i8; l.n_in]];
        let _ = reference.run(k, &input, &mut state);
    }
}

/// `.npz` checkpoint bytes, then every tensor as a matrix and as a vector.
pub fn npz(data: &[u8]) -> Result<(), String> {
    checkpoint(data, "fuzz.npz")
}

/// `.safetensors` checkpoint bytes, then every tensor as a matrix and as a vector.
pub fn safetensors(data: &[u8]) -> Result<(), String> {
    checkpoint(data, "fuzz.safetensors")
}

fn checkpoint(data: &[u8], name: &str) -> Result<(), String> {
    if data.len() > MAX_INPUT_BYTES {
        return Err("too large".into());
    }
    let path = write_scratch(name, data);
    let ckpt = Checkpoint::load(&path).map_err(err)?;
    for (name, t) in &ckpt.tensors {
        assert_eq!(t.shape.iter().product::<usize>(), t.data.len(), "{name}");
        if t.shape.len() == 2 {
            ckpt.matrix(name, Some(t.shape[0]), None).map_err(err)?;
        }
        if t.shape.len() == 1 {
            ckpt.vector(name, t.shape[0]).map_err(err)?;
        }
    }
    Ok(())
}

/// A TOML model description (UTF-8) beside a fixed tiny checkpoint
/// ([`TINY_CHECKPOINT`], [`tiny_safetensors`]); accepted models are compiled and the
/// package is pushed through [`package`]'s checks.
pub fn description(data: &[u8]) -> Result<(), String> {
    if data.len() > MAX_INPUT_BYTES {
        return Err("too large".into());
    }
    let text = std::str::from_utf8(data).map_err(err)?;
    let dir = scratch_dir();
    let ckpt = dir.join(TINY_CHECKPOINT);
    if !ckpt.exists() {
        std::fs::write(&ckpt, tiny_safetensors()).expect("tiny checkpoint");
    }
    let path = write_scratch("model.toml", text.as_bytes());
    let model = Model::from_description(&path).map_err(err)?;
    let package = compile(&model, &CompileOptions::default(), &mut |_| {}).map_err(err)?;
    let reloaded = Package::from_bytes(&package.to_bytes(), Path::new("compiled.crew"))
        .expect("a compiled package loads");
    exercise_package(&reloaded);
    Ok(())
}

/// The tensors of the tiny model used by the seeds: an embedding `emb` [6, 4], a GRU
/// `gru` (n_in 4, H 5), an LSTM `lstm` (n_in 5, H 3) and a linear `fc` [6, 3], in
/// name order, with deterministic pseudo-random values in [-0.5, 0.5).
pub fn tiny_tensors() -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let shapes: [(&str, &[usize]); 11] = [
        ("emb", &[6, 4]),
        ("fc_b", &[6]),
        ("fc_w", &[6, 3]),
        ("gru_b_hh", &[15]),
        ("gru_b_ih", &[15]),
        ("gru_w_hh", &[15, 5]),
        ("gru_w_ih", &[15, 4]),
        ("lstm_b_hh", &[12]),
        ("lstm_b_ih", &[12]),
        ("lstm_w_hh", &[12, 3]),
        ("lstm_w_ih", &[12, 5]),
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    };
    shapes
        .iter()
        .map(|(name, shape)| {
            let n = shape.iter().product();
            (
                name.to_string(),
                shape.to_vec(),
                (0..n).map(|_| next()).collect(),
            )
        })
        .collect()
}

/// [`tiny_tensors`] as a `.safetensors` file (the format written out by hand: an 8-byte
/// little-endian header length, a JSON header, then the little-endian f32 data).
pub fn tiny_safetensors() -> Vec<u8> {
    let tensors = tiny_tensors();
    let mut header = String::from("{");
    let mut data = Vec::new();
    for (k, (name, shape, values)) in tensors.iter().enumerate() {
        let start = data.len();
        data.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        let shape: Vec<String> = shape.iter().map(usize::to_string).collect();
        if k > 0 {
            header.push(',');
        }
        header.push_str(&format!(
            "\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{}],\"data_offsets\":[{start},{}]}}",
            shape.join(","),
            data.len()
        ));
    }
    header.push('}');
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    out
}

/// The model description of the tiny model (checkpoint `checkpoint`).
pub fn tiny_description(checkpoint: &str) -> String {
    format!(
        r#"name = "tiny"
checkpoint = "{checkpoint}"

[quantization]
granularity = "per-tensor"
index_width = "per-column"

[[embeddings]]
name = "emb"

[[layers]]
name = "gru"
kind = "gru"
weight_ih = "gru_w_ih"
weight_hh = "gru_w_hh"
bias_ih = "gru_b_ih"
bias_hh = "gru_b_hh"
input = {{ embedding = "emb" }}

[[layers]]
name = "lstm"
kind = "lstm"
weight_ih = "lstm_w_ih"
weight_hh = "lstm_w_hh"
bias_ih = "lstm_b_ih"
bias_hh = "lstm_b_hh"
input = {{ layer = "gru" }}
index_width = "per-layer"

[[layers]]
name = "fc"
kind = "linear"
weight = "fc_w"
bias = "fc_b"
input = {{ layer = "lstm" }}
granularity = "per-row"
"#
    )
}
