//! The float model the compiler starts from: layers with their float weights, embeddings
//! and decoding, built from a TOML model description or from PyTorch tensor names.
//!
//! # Model description (TOML)
//! ```toml
//! name = "g2p_en"
//! checkpoint = "checkpoint20.npz"          # relative to the description file
//! [quantization]                           # all optional
//! granularity = "per-row"                  # per-tensor (default) | per-row
//! index_width = "per-column"               # per-column (default) | per-layer
//! max_unique = 0                           # K > 0: non-uniform int16 tables of <= K entries
//! [[embeddings]]
//! name = "enc_emb"                         # tensor name unless `tensor` is given
//! [[layers]]
//! name = "encoder"
//! kind = "gru"                             # gru | lstm | linear
//! weight_ih = "enc_w_ih"                   # linear: weight = "...", bias = "..."
//! weight_hh = "enc_w_hh"
//! bias_ih = "enc_b_ih"                     # biases optional (zero)
//! bias_hh = "enc_b_hh"
//! input = { embedding = "enc_emb" }        # or { layer = "decoder" } | { scale = 0.02 }
//! granularity = "per-row"                  # optional per-layer override
//! [decoding]                               # optional; without it layers run in sequence
//! kind = "seq2seq"
//! ...
//! ```

pub mod checkpoint;
pub mod float;

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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DescEmbedding {
    name: String,
    tensor: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DescLayer {
    name: String,
    kind: Kind,
    weight: Option<String>,
    bias: Option<String>,
    weight_ih: Option<String>,
    weight_hh: Option<String>,
    bias_ih: Option<String>,
    bias_hh: Option<String>,
    input: Option<InputSource>,
    granularity: Option<Granularity>,
    index_width: Option<IndexWidth>,
    max_unique: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Description {
    name: String,
    checkpoint: PathBuf,
    #[serde(default)]
    quantization: QuantSettings,
    #[serde(default)]
    embeddings: Vec<DescEmbedding>,
    layers: Vec<DescLayer>,
    decoding: Option<Decoding>,
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

fn desc_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Description {
        path: path.into(),
        message: message.into(),
    }
}

impl Model {
    /// Loads a model description (a `.toml` file, or a directory holding `model.toml`).
    pub fn from_description(path: &Path) -> Result<Model> {
        let path = if path.is_dir() {
            path.join("model.toml")
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let desc: Description =
            toml::from_str(&text).map_err(|e| desc_err(&path, e.to_string()))?;
        let ckpt_path = path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&desc.checkpoint);
        let ckpt = Checkpoint::load(&ckpt_path)?;
        let mut embeddings = Vec::new();
        for e in &desc.embeddings {
            let tensor = e.tensor.as_deref().unwrap_or(&e.name);
            embeddings.push(Embedding {
                name: e.name.clone(),
                table: ckpt.matrix(tensor, None, None)?.clone(),
            });
        }
        let mut layers = Vec::new();
        for l in &desc.layers {
            let need = |field: &Option<String>, what: &str| {
                field.clone().ok_or_else(|| {
                    desc_err(
                        &path,
                        format!("layer {}: {:?} layers need `{what}`", l.name, l.kind),
                    )
                })
            };
            let quant = QuantSettings {
                granularity: l.granularity.unwrap_or(desc.quantization.granularity),
                index_width: l.index_width.unwrap_or(desc.quantization.index_width),
                max_unique: l.max_unique.unwrap_or(desc.quantization.max_unique),
            };
            let layer = match l.kind {
                Kind::Linear => linear_layer(
                    &ckpt,
                    &l.name,
                    &need(&l.weight, "weight")?,
                    l.bias.as_deref(),
                    quant,
                )?,
                Kind::Gru | Kind::Lstm => recurrent_layer(
                    &ckpt,
                    &l.name,
                    l.kind,
                    [
                        &need(&l.weight_ih, "weight_ih")?,
                        &need(&l.weight_hh, "weight_hh")?,
                    ],
                    [l.bias_ih.as_deref(), l.bias_hh.as_deref()],
                    quant,
                )?,
            };
            layers.push(Layer {
                input: l.input.clone(),
                ..layer
            });
        }
        let model = Model {
            name: desc.name,
            source: path.clone(),
            layers,
            embeddings,
            decoding: desc.decoding,
        };
        model.check().map_err(|m| desc_err(&path, m))?;
        Ok(model)
    }

    /// Builds a model from the PyTorch-named layer(s) under `prefix` in a checkpoint:
    /// nn.GRU / nn.LSTM (`weight_ih_l0` ..., stacked layers l0, l1, ... run in sequence),
    /// GRUCell / LSTMCell (`weight_ih` ...) or nn.Linear (`weight`, `bias`).
    pub fn from_checkpoint(path: &Path, prefix: &str, quant: QuantSettings) -> Result<Model> {
        let ckpt = Checkpoint::load(path)?;
        let name = |suffix: &str| {
            if prefix.is_empty() {
                suffix.to_string()
            } else {
                format!("{}.{suffix}", prefix.trim_end_matches('.'))
            }
        };
        let opt = |n: String| ckpt.contains(&n).then_some(n);
        let mut layers = Vec::new();
        if ckpt.contains(&name("weight_ih_l0")) {
            if ckpt.contains(&name("weight_ih_l0_reverse")) {
                return Err(ckpt_err(
                    path,
                    format!("{prefix}: bidirectional RNNs are not supported"),
                ));
            }
            let mut k = 0;
            while ckpt.contains(&name(&format!("weight_ih_l{k}"))) {
                let (w_ih, w_hh) = (
                    name(&format!("weight_ih_l{k}")),
                    name(&format!("weight_hh_l{k}")),
                );
                let kind = recurrent_kind(&ckpt, &w_ih, &w_hh)?;
                layers.push(recurrent_layer(
                    &ckpt,
                    &format!("{}_l{k}", display_prefix(prefix)),
                    kind,
                    [&w_ih, &w_hh],
                    [
                        opt(name(&format!("bias_ih_l{k}"))).as_deref(),
                        opt(name(&format!("bias_hh_l{k}"))).as_deref(),
                    ],
                    quant,
                )?);
                k += 1;
            }
        } else if ckpt.contains(&name("weight_ih")) {
            let (w_ih, w_hh) = (name("weight_ih"), name("weight_hh"));
            let kind = recurrent_kind(&ckpt, &w_ih, &w_hh)?;
            layers.push(recurrent_layer(
                &ckpt,
                &display_prefix(prefix),
                kind,
                [&w_ih, &w_hh],
                [
                    opt(name("bias_ih")).as_deref(),
                    opt(name("bias_hh")).as_deref(),
                ],
                quant,
            )?);
        } else if ckpt.contains(&name("weight")) {
            layers.push(linear_layer(
                &ckpt,
                &display_prefix(prefix),
                &name("weight"),
                opt(name("bias")).as_deref(),
                quant,
            )?);
        } else {
            return Err(Error::MissingTensor {
                path: path.into(),
                name: format!(
                    "{} (or {}, {})",
                    name("weight_ih_l0"),
                    name("weight_ih"),
                    name("weight")
                ),
                available: ckpt.tensors.keys().cloned().collect(),
            });
        }
        for k in 1..layers.len() {
            layers[k].input = Some(InputSource::Layer(layers[k - 1].name.clone()));
        }
        let model = Model {
            name: display_prefix(prefix),
            source: path.into(),
            layers,
            embeddings: Vec::new(),
            decoding: None,
        };
        model.check().map_err(|m| ckpt_err(path, m))?;
        Ok(model)
    }

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

fn display_prefix(prefix: &str) -> String {
    let p = prefix.trim_end_matches('.');
    if p.is_empty() {
        "layer".into()
    } else {
        p.into()
    }
}

fn ckpt_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.into(),
        message: message.into(),
    }
}

/// GRU (3H rows) or LSTM (4H rows), from the shapes of weight_ih and weight_hh.
fn recurrent_kind(ckpt: &Checkpoint, w_ih: &str, w_hh: &str) -> Result<Kind> {
    let hh = ckpt.matrix(w_hh, None, None)?;
    let h = hh.cols();
    match hh.rows() {
        r if r == 3 * h => Ok(Kind::Gru),
        r if r == 4 * h => Ok(Kind::Lstm),
        _ => Err(Error::TensorShape {
            path: ckpt.path.clone(),
            name: w_hh.into(),
            found: hh.shape.clone(),
            expected: format!("[3*H or 4*H, H] (input weights {w_ih})"),
        }),
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
