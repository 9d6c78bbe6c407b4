//! PyTorch naming: the layer(s) under a prefix of a checkpoint into a [`Model`], without
//! a description.

use std::path::Path;

use super::checkpoint::Checkpoint;
use super::{ckpt_err, linear_layer, recurrent_layer, InputSource, Kind, Model, QuantSettings};
use crate::error::{Error, Result};

impl Model {
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
}

fn display_prefix(prefix: &str) -> String {
    let p = prefix.trim_end_matches('.');
    if p.is_empty() {
        "layer".into()
    } else {
        p.into()
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
