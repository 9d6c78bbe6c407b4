//! A `.crew` package on the host: the container of `crew_spec::package` plus the decoded
//! model section (JSON [`ModelInfo`]: names, scales, int8 embeddings, decoding).

use std::path::{Path, PathBuf};

use bytes::Buf;
use serde::{Deserialize, Serialize};

use crew_spec::image::{vector_words_i32, EpilogueRow, LayerDescriptor};
use crew_spec::package as spec;
use crew_spec::program::{ProgramHeader, PROGRAM_WORDS};

use crate::error::{Error, Result};
use crate::model::{Decoding, InputSource, Kind, QuantSettings};

/// Host-side description of one layer (same order as the layer table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerInfo {
    pub name: String,
    pub kind: Kind,
    pub n_in: usize,
    pub n_hidden: usize,
    /// Scale of the int8 inputs x (x ~ q * input_scale).
    pub input_scale: f64,
    pub input: Option<InputSource>,
    pub quant: QuantSettings,
    /// Weight scale s_w per output row, per pass.
    pub weight_scales: Vec<Vec<f64>>,
}

/// An embedding table quantized to the scale of the layer it feeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingInfo {
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    pub scale: f64,
    /// Row-major int8 values.
    pub data: Vec<i8>,
}

impl EmbeddingInfo {
    pub fn row(&self, r: usize) -> &[i8] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
}

/// The model section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub layers: Vec<LayerInfo>,
    pub embeddings: Vec<EmbeddingInfo>,
    pub decoding: Option<Decoding>,
    /// Word address of the sequence program (`crew_spec::program`) the compiler placed in
    /// the image for a sequence-to-sequence model whose encoder and decoder inputs are
    /// folded; `None`: decoding runs as a host loop only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_addr: Option<u32>,
}

/// A compiled package.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    pub info: ModelInfo,
    pub container: spec::Package,
    /// The file it was read from, for messages.
    pub path: Option<PathBuf>,
}

impl Package {
    fn where_(&self) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| PathBuf::from("<memory>"))
    }

    /// Parses and validates package bytes; `path` names them in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Package> {
        let container = spec::Package::from_bytes(bytes).map_err(|error| Error::Package {
            path: path.into(),
            error,
        })?;
        let model_err = |message: String| Error::PackageModel {
            path: path.into(),
            message,
        };
        let info: ModelInfo =
            serde_json::from_str(&container.model).map_err(|e| model_err(e.to_string()))?;
        if info.layers.len() != container.layers.len() {
            return Err(model_err(format!(
                "{} layers described, the layer table has {}",
                info.layers.len(),
                container.layers.len()
            )));
        }
        for (k, (l, e)) in info.layers.iter().zip(&container.layers).enumerate() {
            // A token-input layer's table n_in is its embedding's row count (V).
            let table_n_in = if e.token_input {
                let table = match &l.input {
                    Some(InputSource::Embedding(name)) => {
                        info.embeddings.iter().find(|t| &t.name == name)
                    }
                    _ => None,
                };
                match table {
                    Some(t) if t.cols == l.n_in => t.rows,
                    _ => {
                        return Err(model_err(format!(
                            "layer {k} ({}): token input without an embedding of {} columns",
                            l.name, l.n_in
                        )))
                    }
                }
            } else {
                l.n_in
            };
            if l.kind.spec() != e.kind
                || table_n_in != e.n_in as usize
                || l.n_hidden != e.n_hidden as usize
            {
                return Err(model_err(format!(
                    "layer {k} ({}): {:?} {}x{} disagrees with the layer table ({:?} {}x{})",
                    l.name, l.kind, l.n_in, l.n_hidden, e.kind, e.n_in, e.n_hidden
                )));
            }
            if l.weight_scales.len() != e.kind.passes()
                || l.weight_scales.iter().any(|s| s.len() != e.pass_rows())
                || !(l.input_scale.is_finite() && l.input_scale > 0.0)
            {
                return Err(model_err(format!(
                    "layer {k} ({}): scales are malformed",
                    l.name
                )));
            }
        }
        for e in &info.embeddings {
            if e.data.len() != e.rows * e.cols {
                return Err(model_err(format!("embedding {}: data length", e.name)));
            }
        }
        let package = Package {
            info,
            container,
            path: Some(path.into()),
        };
        package.program().map_err(|e| match e {
            Error::PackageModel { message, .. } => model_err(message),
            other => other,
        })?;
        Ok(package)
    }

    /// The sequence program in the image, checked against the layer table and the
    /// decoding section; `None` when the package has none.
    pub fn program(&self) -> Result<Option<ProgramHeader>> {
        let Some(addr) = self.info.program_addr else {
            return Ok(None);
        };
        let bad = |message: String| Error::PackageModel {
            path: self.where_(),
            message: format!("program_addr {addr}: {message}"),
        };
        let words = self.container.image_words();
        let at = addr
            .checked_sub(self.container.load_addr)
            .map(|a| a as usize)
            .filter(|&a| a + PROGRAM_WORDS <= words.len())
            .ok_or_else(|| bad("outside the image".into()))?;
        let p = ProgramHeader::from_words(&words[at..at + PROGRAM_WORDS])
            .map_err(|e| bad(e.to_string()))?;
        let Some(Decoding::Seq2seq(d)) = &self.info.decoding else {
            return Err(bad("a program without a decoding section".into()));
        };
        let layer = |name: &str| -> Result<(usize, &spec::LayerEntry)> {
            let k = self.layer_index(name)?;
            Ok((k, &self.container.layers[k]))
        };
        let (enc, dec, proj) = (
            layer(&d.encoder)?,
            layer(&d.decoder)?,
            layer(&d.projection)?,
        );
        if [enc.1.desc_addr, dec.1.desc_addr, proj.1.desc_addr]
            != [p.encoder_addr, p.decoder_addr, p.projection_addr]
        {
            return Err(bad(format!(
                "its layers are at {}, {}, {}; the decoding's {}, {}, {} at {}, {}, {}",
                p.encoder_addr,
                p.decoder_addr,
                p.projection_addr,
                d.encoder,
                d.decoder,
                d.projection,
                enc.1.desc_addr,
                dec.1.desc_addr,
                proj.1.desc_addr
            )));
        }
        if (
            p.src_end as usize,
            p.tgt_end as usize,
            p.tgt_start as usize,
            p.max_steps as usize,
        ) != (d.source_end, d.target_end, d.target_start, d.max_steps)
        {
            return Err(bad(
                "its tokens or max_steps disagree with the decoding section".into(),
            ));
        }
        let e = |(_, l): (usize, &spec::LayerEntry)| (l.kind, l.token_input, l.n_hidden as usize);
        p.check_layers(e(enc), e(dec), (proj.1.kind, proj.1.n_hidden as usize))
            .map_err(|e| bad(e.to_string()))?;
        let state = match enc.1.kind {
            crew_spec::image::LayerKind::Lstm => {
                p.h_words as usize + vector_words_i32(enc.1.n_hidden as usize)
            }
            _ => p.h_words as usize,
        };
        if p.state_words as usize != state
            || p.logit_words as usize != vector_words_i32(proj.1.n_hidden as usize)
        {
            return Err(bad(
                "state_words or logit_words disagree with the layers".into()
            ));
        }
        let zero = (p.zero_addr as usize)
            .checked_sub(self.container.load_addr as usize)
            .filter(|&z| z + state <= words.len())
            .ok_or_else(|| bad("zero_addr outside the image".into()))?;
        if words[zero..zero + state].iter().any(|&w| w != 0) {
            return Err(bad("the zero state block is not zero".into()));
        }
        Ok(Some(p))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.container.to_bytes()
    }

    pub fn read(path: &Path) -> Result<Package> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Package::from_bytes(&bytes, path)
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        crew_spec::file::write_whole(path, &self.to_bytes()).map_err(|e| Error::io(path, e))
    }

    pub fn layer_index(&self, name: &str) -> Result<usize> {
        self.info
            .layers
            .iter()
            .position(|l| l.name == name)
            .ok_or_else(|| Error::PackageModel {
                path: self.where_(),
                message: format!("no layer named {name}"),
            })
    }

    pub fn embedding(&self, name: &str) -> Result<&EmbeddingInfo> {
        self.info
            .embeddings
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| Error::PackageModel {
                path: self.where_(),
                message: format!("no embedding named {name}"),
            })
    }

    /// Decodes the descriptor of layer `index` from the image.
    pub fn descriptor(&self, index: usize) -> Result<LayerDescriptor> {
        self.container
            .descriptor(index)
            .map_err(|error| Error::Package {
                path: self.where_(),
                error,
            })
    }

    /// The epilogue rows of one pass, read from the image.
    pub fn epilogue(&self, layer: usize, pass: usize) -> Result<Vec<EpilogueRow>> {
        let d = self.descriptor(layer)?;
        let p = d.passes[pass];
        let start = (p.epilogue_addr - self.container.load_addr) as usize * 16;
        let mut rows = &self.container.image[start..start + p.n_out as usize * 16];
        Ok((0..p.n_out)
            .map(|_| EpilogueRow::from_word(rows.get_u128_le()))
            .collect())
    }
}
