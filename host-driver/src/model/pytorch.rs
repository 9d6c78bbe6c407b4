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
        } else if prefix.is_empty() && !layer_prefixes(&ckpt).is_empty() {
            // No layer at the top level, but named ones below it: say which, and how a
            // description joins them.
            let found = layer_prefixes(&ckpt);
            return Err(Error::LayerPrefixes {
                path: path.into(),
                prefixes: found.iter().map(PrefixLayer::summary).collect(),
                description: joining_description(&ckpt, &found),
            });
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

/// A PyTorch module a checkpoint holds under a prefix, that `--layer PREFIX` compiles.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PrefixLayer {
    prefix: String,
    /// `gru`, `lstm` or `linear` (the description's kinds).
    kind: &'static str,
    /// nn.GRU / nn.LSTM: stacked layers l0, l1, ...; cells and Linear: None.
    stacked: Option<usize>,
    n_in: usize,
    n_out: usize,
}

impl PrefixLayer {
    fn summary(&self) -> String {
        match (self.kind, self.stacked) {
            ("linear", _) => format!("{} (Linear, {} -> {})", self.prefix, self.n_in, self.n_out),
            (kind, Some(k)) => format!(
                "{} ({}, {k} layer{}, {} inputs, H {})",
                self.prefix,
                kind.to_uppercase(),
                if k == 1 { "" } else { "s" },
                self.n_in,
                self.n_out
            ),
            (kind, None) => format!(
                "{} ({} cell, {} inputs, H {})",
                self.prefix,
                kind.to_uppercase(),
                self.n_in,
                self.n_out
            ),
        }
    }

    /// Description names of its layers, in order (as `--layer` names them).
    fn layer_names(&self) -> Vec<String> {
        let base = self.prefix.replace('.', "_");
        match self.stacked {
            Some(k) => (0..k).map(|l| format!("{base}_l{l}")).collect(),
            None => vec![base],
        }
    }
}

/// The prefixes of a checkpoint that name a PyTorch GRU/LSTM (stack or cell) or Linear
/// module, ordered so that each layer's inputs are the previous one's outputs where the
/// shapes allow.
fn layer_prefixes(ckpt: &Checkpoint) -> Vec<PrefixLayer> {
    let shape = |name: &str| ckpt.tensors.get(name).map(|t| t.shape.clone());
    let gates_kind = |w_hh: &str| -> Option<(&'static str, usize)> {
        let s = shape(w_hh)?;
        match s.as_slice() {
            [rows, h] if *rows == 3 * h => Some(("gru", *h)),
            [rows, h] if *rows == 4 * h => Some(("lstm", *h)),
            _ => None,
        }
    };
    let mut found = Vec::new();
    for name in ckpt.tensors.keys() {
        if let Some(prefix) = name.strip_suffix(".weight_ih_l0") {
            let Some((kind, h)) = gates_kind(&format!("{prefix}.weight_hh_l0")) else {
                continue;
            };
            let stacked = (0..)
                .take_while(|k| ckpt.contains(&format!("{prefix}.weight_ih_l{k}")))
                .count();
            let last_h =
                gates_kind(&format!("{prefix}.weight_hh_l{}", stacked - 1)).map_or(h, |(_, h)| h);
            found.push(PrefixLayer {
                prefix: prefix.into(),
                kind,
                stacked: Some(stacked),
                n_in: shape(name).map_or(0, |s| s.last().copied().unwrap_or(0)),
                n_out: last_h,
            });
        } else if let Some(prefix) = name.strip_suffix(".weight_ih") {
            let Some((kind, h)) = gates_kind(&format!("{prefix}.weight_hh")) else {
                continue;
            };
            found.push(PrefixLayer {
                prefix: prefix.into(),
                kind,
                stacked: None,
                n_in: shape(name).map_or(0, |s| s.last().copied().unwrap_or(0)),
                n_out: h,
            });
        } else if let Some(prefix) = name.strip_suffix(".weight") {
            if let Some([rows, cols]) = shape(name).as_deref().map(|s| s.to_vec()).as_deref() {
                found.push(PrefixLayer {
                    prefix: prefix.into(),
                    kind: "linear",
                    stacked: None,
                    n_in: *cols,
                    n_out: *rows,
                });
            }
        }
    }
    // Chain by shapes: start with a layer no other layer feeds, then follow the outputs.
    let mut ordered: Vec<PrefixLayer> = Vec::new();
    while !found.is_empty() {
        let next = ordered
            .last()
            .and_then(|prev| found.iter().position(|l| l.n_in == prev.n_out))
            .or_else(|| {
                found.iter().position(|l| {
                    !found
                        .iter()
                        .any(|other| other.prefix != l.prefix && other.n_out == l.n_in)
                })
            })
            .unwrap_or(0);
        ordered.push(found.remove(next));
    }
    ordered
}

/// A TOML description (`crew_host::model::description`) that joins `layers` in order,
/// each fed by the previous one.
fn joining_description(ckpt: &Checkpoint, layers: &[PrefixLayer]) -> String {
    let path = &ckpt.path;
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    let stem = path
        .file_stem()
        .map_or_else(|| "model".into(), |f| f.to_string_lossy().into_owned());
    let mut toml = format!("name = \"{stem}\"\ncheckpoint = \"{file}\"\n");
    let mut previous: Option<String> = None;
    for layer in layers {
        for (k, name) in layer.layer_names().into_iter().enumerate() {
            toml += &format!(
                "\n[[layers]]\nname = \"{name}\"\nkind = \"{}\"\n",
                layer.kind
            );
            let tensor = |t: &str| match layer.stacked {
                Some(_) => format!("{}.{t}_l{k}", layer.prefix),
                None => format!("{}.{t}", layer.prefix),
            };
            let fields: &[&str] = if layer.kind == "linear" {
                &["weight", "bias"]
            } else {
                &["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
            };
            // Biases are optional (zero when absent).
            for t in fields.iter().filter(|t| ckpt.contains(&tensor(t))) {
                toml += &format!("{t} = \"{}\"\n", tensor(t));
            }
            if let Some(p) = &previous {
                toml += &format!("input = {{ layer = \"{p}\" }}\n");
            }
            previous = Some(name);
        }
    }
    toml
}
