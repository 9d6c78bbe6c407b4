//! Compiler: float [`Model`] to a [`Package`] (quantization, CREW transform, DRAM image).
//!
//! The image is laid out by `crew_spec::layout::ImageBuilder`, layers in model order.

pub mod crew;
pub mod dense;
pub mod fit;
pub mod inspect;
pub mod package;
pub mod program;
pub mod quant;

use crew_spec::image;
use crew_spec::layout::{ImageBuilder, LayerHeader, PassWords};
use crew_spec::package as spec;

use crate::compiler::package::{EmbeddingInfo, LayerInfo, ModelInfo, Package};
use crate::error::{Error, Result};
use crate::model::checkpoint::Tensor;
use crate::model::{Decoding, Granularity, IndexWidth, InputSource, Model};
use quant::H_SCALE;

/// Default input scale for layers without an input source or calibration data: inputs in
/// [-1, 1] (s_x = 1/127).
pub const DEFAULT_INPUT_SCALE: f64 = 1.0 / 127.0;

/// Options overriding the model's own settings.
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// DRAM word address of the image.
    pub load_addr: u32,
    pub granularity: Option<Granularity>,
    pub index_width: Option<IndexWidth>,
    /// Some(0) turns non-uniform tables off, Some(K) on.
    pub max_unique: Option<usize>,
    /// Calibration inputs for layers without an input source (rows = samples).
    pub calibration: Option<Tensor>,
    /// Keep the x pass of embedding-fed layers as column records instead of folding it
    /// into one block of int32 rows per token (`crew_spec::image` "Token-input layers");
    /// for comparison and debugging (`crew-host compile --no-fold-tokens`).
    pub no_token_folding: bool,
    /// Source steps per input of the sequence program (end token included); None:
    /// [`program::DEFAULT_MAX_SOURCE_STEPS`].
    pub max_source_steps: Option<u16>,
}

/// The folded x pass of an embedding-fed layer: for token v and row o, the accumulator
/// the x pass ends with on the embedding row v, `bias[o] + sum_i W[o, i] * x_v[i]`, with the
/// engine's wrapping int32 arithmetic, and row o's multiplier and shift. Block v is rows
/// `v * n_out ..`.
fn fold_x_pass(
    matrix: &crew::CrewMatrix,
    epilogue: &[image::EpilogueRow],
    embedding: &EmbeddingInfo,
) -> Vec<u128> {
    let weights = matrix.dense();
    let mut rows = Vec::with_capacity(embedding.rows * matrix.n_out);
    for v in 0..embedding.rows {
        let x = embedding.row(v);
        for (o, e) in epilogue.iter().enumerate() {
            let w = &weights[o * matrix.n_in..(o + 1) * matrix.n_in];
            let acc = w
                .iter()
                .zip(x)
                .fold(e.bias, |a, (&w, &x)| a.wrapping_add(w as i32 * x as i32));
            rows.push(image::EpilogueRow { bias: acc, ..*e }.to_word());
        }
    }
    rows
}

/// Progress events of a compilation.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Layer {
        index: usize,
        total: usize,
        name: String,
    },
    Done {
        image_bytes: usize,
    },
}

/// Compiles a model.
pub fn compile(
    model: &Model,
    options: &CompileOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Package> {
    // Embedding scales: calibrated on the whole table (every possible input).
    let embeddings: Vec<EmbeddingInfo> = model
        .embeddings
        .iter()
        .map(|e| {
            let scale = quant::calibrate_scale(e.table.data.iter().copied());
            EmbeddingInfo {
                name: e.name.clone(),
                rows: e.table.rows(),
                cols: e.table.cols(),
                scale,
                data: e
                    .table
                    .data
                    .iter()
                    .map(|&v| quant::quantize_activation(v, scale))
                    .collect(),
            }
        })
        .collect();
    let mut image = ImageBuilder::new(options.load_addr);
    let mut infos = Vec::new();
    let mut entries = Vec::new();
    for (index, layer) in model.layers.iter().enumerate() {
        progress(Progress::Layer {
            index,
            total: model.layers.len(),
            name: layer.name.clone(),
        });
        let compile_err = |message: String| Error::Compile {
            layer: layer.name.clone(),
            message,
        };
        let mut settings = layer.quant;
        if let Some(g) = options.granularity {
            settings.granularity = g;
        }
        if let Some(w) = options.index_width {
            settings.index_width = w;
        }
        if let Some(k) = options.max_unique {
            settings.max_unique = k;
        }
        if settings.max_unique > image::MAX_UNIQUE {
            return Err(compile_err(format!(
                "max_unique {} exceeds {}",
                settings.max_unique,
                image::MAX_UNIQUE
            )));
        }
        let input_scale = match &layer.input {
            Some(InputSource::Embedding(e)) => {
                embeddings
                    .iter()
                    .find(|x| &x.name == e)
                    .ok_or_else(|| compile_err(format!("unknown embedding {e}")))?
                    .scale
            }
            Some(InputSource::Layer(_)) => H_SCALE,
            Some(InputSource::Scale(s)) => *s,
            None => match &options.calibration {
                Some(t) => {
                    if t.shape.last() != Some(&layer.n_in) {
                        return Err(compile_err(format!(
                            "calibration data of shape {:?} does not end in the layer's {} inputs",
                            t.shape, layer.n_in
                        )));
                    }
                    if let Some(v) = t.data.iter().find(|v| !v.is_finite()) {
                        return Err(compile_err(format!("calibration data holds {v}")));
                    }
                    quant::calibrate_scale(t.data.iter().copied())
                }
                None => DEFAULT_INPUT_SCALE,
            },
        };
        // An embedding-fed layer sees only its table's rows: fold its x pass.
        let token_table = match &layer.input {
            Some(InputSource::Embedding(e)) if !options.no_token_folding => {
                embeddings.iter().find(|x| &x.name == e)
            }
            _ => None,
        };
        if let Some(t) = token_table {
            if t.cols != layer.n_in || t.rows == 0 || t.rows > u16::MAX as usize {
                return Err(compile_err(format!(
                    "embedding {} is {}x{}: it must have 1..=65535 rows of the layer's {} inputs",
                    t.name, t.rows, t.cols, layer.n_in
                )));
            }
        }
        let mut passes = Vec::new();
        let mut weight_scales = Vec::new();
        let mut wide = false;
        for (p, (w, b)) in layer.weights.iter().zip(&layer.biases).enumerate() {
            let s_in = if p == 0 { input_scale } else { H_SCALE };
            let q = quant::quantize_pass(w, b, s_in, &settings)
                .map_err(|m| compile_err(format!("pass {p}: {m}")))?;
            wide = q.matrix.wide;
            passes.push(match token_table {
                Some(t) if p == 0 => PassWords {
                    n_in: 0,
                    n_out: w.rows() as u16,
                    records: vec![],
                    epilogue: fold_x_pass(&q.matrix, &q.epilogue, t),
                },
                _ => PassWords {
                    n_in: w.cols() as u16,
                    n_out: w.rows() as u16,
                    records: q.matrix.records(),
                    epilogue: q.epilogue.iter().map(|r| r.to_word()).collect(),
                },
            });
            weight_scales.push(q.row_scales);
        }
        let header = LayerHeader {
            kind: layer.kind.spec(),
            wide_entries: wide,
            dense: false,
            token_input: token_table.is_some(),
            n_in: token_table.map_or(layer.n_in, |t| t.rows) as u16,
            n_hidden: layer.n_hidden as u16,
        };
        let desc_addr = image
            .push_layer(header, &passes)
            .map_err(|e| Error::Compile {
                layer: model.name.clone(),
                message: e.to_string(),
            })?;
        entries.push(spec::LayerEntry {
            desc_addr,
            kind: header.kind,
            wide_entries: wide,
            token_input: header.token_input,
            n_in: header.n_in,
            n_hidden: header.n_hidden,
        });
        infos.push(LayerInfo {
            name: layer.name.clone(),
            kind: layer.kind,
            n_in: layer.n_in,
            n_hidden: layer.n_hidden,
            input_scale,
            input: layer.input.clone(),
            quant: settings,
            weight_scales,
        });
    }
    let program_addr = match &model.decoding {
        Some(Decoding::Seq2seq(d)) => {
            let names: Vec<String> = infos.iter().map(|l: &LayerInfo| l.name.clone()).collect();
            program::emit(&mut image, d, &entries, &names, options.max_source_steps).map_err(
                |e| Error::Compile {
                    layer: model.name.clone(),
                    message: e.to_string(),
                },
            )?
        }
        None => None,
    };
    let info = ModelInfo {
        name: model.name.clone(),
        layers: infos,
        embeddings,
        decoding: model.decoding.clone(),
        program_addr,
    };
    let container = spec::Package {
        load_addr: options.load_addr,
        model: serde_json::to_string(&info).expect("model info serializes"),
        layers: entries,
        image: image::words_to_bytes(image.words()),
    };
    progress(Progress::Done {
        image_bytes: container.image.len(),
    });
    Ok(Package {
        info,
        container,
        path: None,
    })
}
