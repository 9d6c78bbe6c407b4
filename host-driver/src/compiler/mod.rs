//! Compiler: float [`Model`] to a [`Package`] (quantization, CREW transform, DRAM image).
//!
//! Image layout, per layer in model order, from the load address up: the layer descriptor
//! (4 words), then for each pass its column records followed by its epilogue rows.

pub mod crew;
pub mod dense;
pub mod inspect;
pub mod package;
pub mod quant;

use crew_spec::image::{self, LayerDescriptor, PassDescriptor, LAYER_DESC_WORDS};
use crew_spec::package as spec;

use crate::compiler::package::{EmbeddingInfo, LayerInfo, ModelInfo, Package};
use crate::error::{Error, Result};
use crate::model::checkpoint::Tensor;
use crate::model::{Granularity, IndexWidth, InputSource, Model};
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
    let mut words: Vec<u128> = Vec::new();
    let mut infos = Vec::new();
    let mut entries = Vec::new();
    let addr = |words: &Vec<u128>| -> Result<u32> {
        u32::try_from(options.load_addr as u64 + words.len() as u64)
            .ok()
            .filter(|a| (*a as u64) < image::DRAM_WORDS)
            .ok_or_else(|| Error::Compile {
                layer: model.name.clone(),
                message: "the image does not fit in DRAM".into(),
            })
    };
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
        let desc_addr = addr(&words)?;
        words.resize(words.len() + LAYER_DESC_WORDS, 0);
        let mut passes = Vec::new();
        let mut weight_scales = Vec::new();
        let mut wide = false;
        for (p, (w, b)) in layer.weights.iter().zip(&layer.biases).enumerate() {
            let s_in = if p == 0 { input_scale } else { H_SCALE };
            let q = quant::quantize_pass(w, b, s_in, &settings)
                .map_err(|m| compile_err(format!("pass {p}: {m}")))?;
            wide = q.matrix.wide;
            let records_addr = addr(&words)?;
            let records = q.matrix.records();
            let records_words = u32::try_from(records.len())
                .map_err(|_| compile_err("records exceed 2^32 words".into()))?;
            words.extend(records);
            let epilogue_addr = addr(&words)?;
            words.extend(q.epilogue.iter().map(|r| r.to_word()));
            passes.push(PassDescriptor {
                records_addr,
                epilogue_addr,
                n_in: w.cols() as u16,
                n_out: w.rows() as u16,
                records_words,
            });
            weight_scales.push(q.row_scales);
        }
        addr(&words)?;
        let desc = LayerDescriptor {
            kind: layer.kind.spec(),
            wide_entries: wide,
            dense: false,
            n_in: layer.n_in as u16,
            n_hidden: layer.n_hidden as u16,
            passes,
        };
        let at = (desc_addr - options.load_addr) as usize;
        words[at..at + LAYER_DESC_WORDS].copy_from_slice(&desc.to_words());
        entries.push(spec::LayerEntry {
            desc_addr,
            kind: desc.kind,
            wide_entries: wide,
            n_in: desc.n_in,
            n_hidden: desc.n_hidden,
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
    let info = ModelInfo {
        name: model.name.clone(),
        layers: infos,
        embeddings,
        decoding: model.decoding.clone(),
    };
    let container = spec::Package {
        load_addr: options.load_addr,
        model: serde_json::to_string(&info).expect("model info serializes"),
        layers: entries,
        image: image::words_to_bytes(&words),
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
