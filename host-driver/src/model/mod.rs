//! The float model the compiler starts from: layers with their float weights, embeddings
//! and decoding. Built from a TOML model description (`description.rs`) or from PyTorch
//! tensor names in a checkpoint (`pytorch.rs`); tensors come from [`checkpoint`]; the
//! float forward pass is [`float`].

pub mod checkpoint;
mod description;
pub mod float;
mod pytorch;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::checkpoint::{Checkpoint, Tensor};

/// Layer type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Linear,
    Gru,
    Lstm,
}

impl Kind {
    pub fn spec(self) -> crew_spec::image::LayerKind {
        match self {
            Kind::Linear => crew_spec::image::LayerKind::Fc,
            Kind::Gru => crew_spec::image::LayerKind::Gru,
            Kind::Lstm => crew_spec::image::LayerKind::Lstm,
        }
    }
    pub fn gates(self) -> usize {
        self.spec().gates()
    }
}

/// Weight scale granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Granularity {
    #[default]
    PerTensor,
    PerRow,
}

/// How index widths are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum IndexWidth {
    /// b_i = ceil(log2 u_i) per column.
    #[default]
    PerColumn,
    /// One width per pass: the largest b_i of the pass.
    PerLayer,
}

/// Where a layer's input scale comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputSource {
    /// Inputs are rows of this embedding: calibrate on the whole table.
    Embedding(String),
    /// Inputs are another recurrent layer's h (int8, scale 1/128).
    Layer(String),
    /// A fixed scale.
    Scale(f64),
}

/// Quantization settings (model-wide, per-layer overridable).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct QuantSettings {
    #[serde(default)]
    pub granularity: Granularity,
    #[serde(default)]
    pub index_width: IndexWidth,
    /// 0 = off; K > 0 = non-uniform int16 tables with at most K entries per column.
    #[serde(default)]
    pub max_unique: usize,
}

/// Sequence-to-sequence decoding (the g2p scheme of models/g2p_en/ORIGIN.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seq2Seq {
    pub encoder: String,
    pub decoder: String,
    pub projection: String,
    pub source_embedding: String,
    pub target_embedding: String,
    pub source_vocab: Vec<String>,
    pub target_vocab: Vec<String>,
    pub source_unk: usize,
    pub source_end: usize,
    pub target_start: usize,
    pub target_end: usize,
    pub max_steps: usize,
    #[serde(default)]
    pub lowercase: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decoding {
    Seq2seq(Seq2Seq),
}

/// One layer with float weights. `weights[p]` / `biases[p]` for pass p (0 = x, 1 = h).
#[derive(Debug, Clone)]
pub struct Layer {
    pub name: String,
    pub kind: Kind,
    pub n_in: usize,
    /// H for GRU/LSTM, N_out for Linear.
    pub n_hidden: usize,
    pub weights: Vec<Tensor>,
    pub biases: Vec<Vec<f32>>,
    pub input: Option<InputSource>,
    pub quant: QuantSettings,
}

#[derive(Debug, Clone)]
pub struct Embedding {
    pub name: String,
    pub table: Tensor,
}

/// A float model ready for compilation and float inference.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    /// Where it came from (description or checkpoint).
    pub source: PathBuf,
    pub layers: Vec<Layer>,
    pub embeddings: Vec<Embedding>,
    pub decoding: Option<Decoding>,
}

impl Model {
    pub fn layer_index(&self, name: &str) -> Option<usize> {
        self.layers.iter().position(|l| l.name == name)
    }

    pub fn embedding(&self, name: &str) -> Option<&Embedding> {
        self.embeddings.iter().find(|e| e.name == name)
    }

    /// Cross-checks names and shapes between layers, embeddings and decoding.
    fn check(&self) -> Result<(), String> {
        for l in &self.layers {
            if l.n_in > u16::MAX as usize || l.kind.gates() * l.n_hidden > u16::MAX as usize {
                return Err(format!(
                    "layer {}: shape too large for the image format",
                    l.name
                ));
            }
            match &l.input {
                Some(InputSource::Embedding(e)) => {
                    let emb = self
                        .embedding(e)
                        .ok_or(format!("layer {}: unknown embedding {e}", l.name))?;
                    if emb.table.cols() != l.n_in {
                        return Err(format!(
                            "layer {}: embedding {e} has {} columns, the layer takes {} inputs",
                            l.name,
                            emb.table.cols(),
                            l.n_in
                        ));
                    }
                }
                Some(InputSource::Layer(src)) => {
                    let s = self
                        .layer_index(src)
                        .map(|i| &self.layers[i])
                        .ok_or(format!("layer {}: unknown input layer {src}", l.name))?;
                    if s.kind == Kind::Linear || s.n_hidden != l.n_in {
                        return Err(format!(
                            "layer {}: input layer {src} must be recurrent with {} hidden units",
                            l.name, l.n_in
                        ));
                    }
                }
                Some(InputSource::Scale(s)) if !(s.is_finite() && *s > 0.0) => {
                    return Err(format!(
                        "layer {}: input scale {s} must be positive",
                        l.name
                    ));
                }
                _ => {}
            }
            if l.quant.max_unique > crew_spec::image::MAX_UNIQUE {
                return Err(format!(
                    "layer {}: max_unique {} exceeds {}",
                    l.name,
                    l.quant.max_unique,
                    crew_spec::image::MAX_UNIQUE
                ));
            }
        }
        if let Some(Decoding::Seq2seq(d)) = &self.decoding {
            for name in [&d.encoder, &d.decoder, &d.projection] {
                self.layer_index(name)
                    .ok_or(format!("decoding: unknown layer {name}"))?;
            }
            for (name, vocab) in [
                (&d.source_embedding, &d.source_vocab),
                (&d.target_embedding, &d.target_vocab),
            ] {
                let e = self
                    .embedding(name)
                    .ok_or(format!("decoding: unknown embedding {name}"))?;
                if e.table.rows() != vocab.len() {
                    return Err(format!(
                        "decoding: embedding {name} has {} rows, its vocabulary {} entries",
                        e.table.rows(),
                        vocab.len()
                    ));
                }
            }
            let proj = &self.layers[self.layer_index(&d.projection).unwrap()];
            if proj.n_hidden != d.target_vocab.len() {
                return Err(format!(
                    "decoding: projection {} has {} outputs, the target vocabulary {} entries",
                    d.projection,
                    proj.n_hidden,
                    d.target_vocab.len()
                ));
            }
            let dec = &self.layers[self.layer_index(&d.decoder).unwrap()];
            let enc = &self.layers[self.layer_index(&d.encoder).unwrap()];
            if enc.n_hidden != dec.n_hidden || proj.n_in != dec.n_hidden {
                return Err("decoding: encoder, decoder and projection sizes disagree".into());
            }
            if d.source_unk >= d.source_vocab.len()
                || d.source_end >= d.source_vocab.len()
                || d.target_start >= d.target_vocab.len()
                || d.target_end >= d.target_vocab.len()
            {
                return Err("decoding: a special token index lies outside its vocabulary".into());
            }
        }
        Ok(())
    }
}

fn ckpt_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.into(),
        message: message.into(),
    }
}

fn linear_layer(
    ckpt: &Checkpoint,
    name: &str,
    weight: &str,
    bias: Option<&str>,
    quant: QuantSettings,
) -> Result<Layer> {
    let w = ckpt.matrix(weight, None, None)?.clone();
    let b = match bias {
        Some(b) => ckpt.vector(b, w.rows())?.data.clone(),
        None => vec![0.0; w.rows()],
    };
    Ok(Layer {
        name: name.into(),
        kind: Kind::Linear,
        n_in: w.cols(),
        n_hidden: w.rows(),
        weights: vec![w],
        biases: vec![b],
        input: None,
        quant,
    })
}

fn recurrent_layer(
    ckpt: &Checkpoint,
    name: &str,
    kind: Kind,
    weights: [&str; 2],
    biases: [Option<&str>; 2],
    quant: QuantSettings,
) -> Result<Layer> {
    let hh = ckpt.matrix(weights[1], None, None)?;
    let h = hh.cols();
    let rows = kind.gates() * h;
    let hh = ckpt.matrix(weights[1], Some(rows), Some(h))?.clone();
    let ih = ckpt.matrix(weights[0], Some(rows), None)?.clone();
    let mut bs = Vec::new();
    for b in biases {
        bs.push(match b {
            Some(b) => ckpt.vector(b, rows)?.data.clone(),
            None => vec![0.0; rows],
        });
    }
    Ok(Layer {
        name: name.into(),
        kind,
        n_in: ih.cols(),
        n_hidden: h,
        weights: vec![ih, hh],
        biases: bs,
        input: None,
        quant,
    })
}
