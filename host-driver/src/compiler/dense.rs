//! Dense int8 image for the baseline engine (`crew_hw::engine::dense`): the same quantized
//! model as a compiled CREW package, laid out in the dense column format of
//! `crew_spec::image` (layer flag `FLAG_DENSE`). Built from the package itself, so both
//! engines see exactly the same int8 weights and epilogue rows; the CREW path is untouched.

use crew_spec::image::{self, encode_dense_column, LayerDescriptor, LAYER_DESC_WORDS};
use crew_spec::layout::{ImageBuilder, LayerHeader, PassWords};

use crate::compiler::package::Package;
use crate::error::{Error, Result};

/// One pass decoded from a CREW image: W (row-major, n_out x n_in, int8) and the epilogue
/// rows as words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DensePass {
    pub n_out: usize,
    pub n_in: usize,
    pub weights: Vec<i8>,
    pub epilogue: Vec<u128>,
}

/// A dense image: words placed at `load_addr`, one descriptor address per package layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenseImage {
    pub load_addr: u32,
    pub words: Vec<u128>,
    pub desc_addrs: Vec<u32>,
    /// The package's sequence program over the dense layers, when it has one.
    pub program_addr: Option<u32>,
}

impl DenseImage {
    /// The descriptor of package layer `index`, decoded from the image.
    pub fn descriptor(&self, index: usize) -> Result<LayerDescriptor> {
        let at = (self.desc_addrs[index] - self.load_addr) as usize;
        LayerDescriptor::from_words(&self.words[at..at + LAYER_DESC_WORDS])
            .map_err(|e| bad(format!("layer {index}: descriptor: {e}")))
    }
}

fn bad(message: String) -> Error {
    Error::Compile {
        layer: "dense image".into(),
        message,
    }
}

/// Decodes the int8 weights and epilogue rows of every pass of layer `index`.
pub fn decode_layer(package: &Package, index: usize) -> Result<(LayerDescriptor, Vec<DensePass>)> {
    let c = &package.container;
    let words = c.image_words();
    let d = package.descriptor(index)?;
    if d.wide_entries {
        return Err(bad(format!(
            "layer {index} has int16 (non-uniform) table entries; the dense engine is int8"
        )));
    }
    let mut passes = vec![];
    for (k, p) in d.passes.iter().enumerate() {
        // A folded x pass (token input) has no columns and one row block per token.
        let blocks = if k == 0 && d.token_input {
            d.n_in as usize
        } else {
            1
        };
        let (n_in, n_out) = (p.n_in as usize, p.n_out as usize);
        let mut weights = vec![0i8; n_in * n_out];
        let mut at = (p.records_addr - c.load_addr) as usize;
        for i in 0..n_in {
            let (table, _, indices, used) = image::decode_record(&words[at..], false, n_out)
                .map_err(|e| bad(format!("layer {index} column {i}: {e}")))?;
            for (o, &k) in indices.iter().enumerate() {
                let v = *table
                    .get(k as usize)
                    .ok_or_else(|| bad(format!("layer {index} column {i}: index {k}")))?;
                weights[o * n_in + i] = v as i8;
            }
            at += used;
        }
        let e = (p.epilogue_addr - c.load_addr) as usize;
        passes.push(DensePass {
            n_out,
            n_in,
            weights,
            epilogue: words[e..e + n_out * blocks].to_vec(),
        });
    }
    Ok((d, passes))
}

/// Lays out a dense image of the whole package from `load_addr`
/// (`crew_spec::layout::ImageBuilder`): the same layers with the descriptor flag dense and
/// each pass's int8 columns in place of its CREW records.
pub fn dense_image(package: &Package, load_addr: u32) -> Result<DenseImage> {
    let mut image = ImageBuilder::new(load_addr);
    let mut desc_addrs = vec![];
    for index in 0..package.container.layers.len() {
        let (d, passes) = decode_layer(package, index)?;
        let passes: Vec<PassWords> = passes
            .iter()
            .map(|p| PassWords {
                n_in: p.n_in as u16,
                n_out: p.n_out as u16,
                records: (0..p.n_in)
                    .flat_map(|i| {
                        let column: Vec<i8> =
                            (0..p.n_out).map(|o| p.weights[o * p.n_in + i]).collect();
                        encode_dense_column(&column)
                    })
                    .collect(),
                epilogue: p.epilogue.clone(),
            })
            .collect();
        let header = LayerHeader {
            kind: d.kind,
            wide_entries: false,
            dense: true,
            token_input: d.token_input,
            n_in: d.n_in,
            n_hidden: d.n_hidden,
        };
        let desc_addr = image
            .push_layer(header, &passes)
            .map_err(|e| bad(format!("the dense image does not fit in DRAM ({e})")))?;
        desc_addrs.push(desc_addr);
    }
    // The package's program, naming the dense layers.
    let program_addr = match package.program()? {
        Some(p) => {
            let addr_of = |old: u32| {
                let k = package
                    .container
                    .layers
                    .iter()
                    .position(|l| l.desc_addr == old);
                desc_addrs[k.expect("checked against the layer table")]
            };
            let p = crew_spec::program::ProgramHeader {
                encoder_addr: addr_of(p.encoder_addr),
                decoder_addr: addr_of(p.decoder_addr),
                projection_addr: addr_of(p.projection_addr),
                ..p
            };
            Some(
                image
                    .push_program(p)
                    .map_err(|e| bad(format!("the dense image does not fit in DRAM ({e})")))?,
            )
        }
        None => None,
    };
    Ok(DenseImage {
        load_addr,
        words: image.into_words(),
        desc_addrs,
        program_addr,
    })
}
