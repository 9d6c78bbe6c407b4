//! A TOML model description into a [`Model`]: names the checkpoint's tensors, declares
//! embeddings, each layer's input source, quantization settings and the decoding.
//!
//! # Syntax
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

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::checkpoint::Checkpoint;
use super::{
    linear_layer, recurrent_layer, Decoding, Embedding, Granularity, IndexWidth, InputSource, Kind,
    Layer, Model, QuantSettings,
};
use crate::error::{Error, Result};

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
}
