//! The bit-exact integer reference: executes a package's DRAM image with the engine's run
//! semantics. `load` decodes every layer from the image words themselves (descriptor,
//! column records, epilogue rows), so a run checks the image, not the compiler's inputs.
//! Per pass: acc[o] = bias[o]; per column i: P[k] = x_i * U_i[k], acc[o] += P[I[o, i]]
//! (int32, wrapping like the hardware accumulator); then `numerics::requantize` per row and
//! the `numerics::Luts` cell update. A token-input layer's folded x pass is one block of
//! rows per token (`crew_spec::image` "Token-input layers"): acc[o] = the token's row bias.

use crew_spec::image::{EpilogueRow, LayerKind};
use crew_spec::numerics::{requantize, Luts};

use crate::backend::{check_run, check_tokens, Accelerator, LayerState, RunOutput, StepOutputs};
use crate::compiler::crew::CrewMatrix;
use crate::compiler::package::Package;
use crate::error::RunError;

const NAME: &str = "reference";

/// A decoded pass.
#[derive(Debug, Clone)]
struct Pass {
    matrix: CrewMatrix,
    /// One block of n_out rows, or for a folded x pass one block per token.
    epilogue: Vec<EpilogueRow>,
    folded: bool,
}

impl Pass {
    /// The epilogue rows that apply to input `x`: the token's block for a folded pass.
    fn rows(&self, x: &[i8]) -> &[EpilogueRow] {
        if self.folded {
            let n = self.matrix.n_out;
            let t = token_of(x);
            &self.epilogue[t * n..(t + 1) * n]
        } else {
            &self.epilogue
        }
    }

    /// Integer accumulators for one input vector.
    fn accumulate(&self, x: &[i8]) -> Vec<i32> {
        let mut acc: Vec<i32> = self.rows(x).iter().map(|r| r.bias).collect();
        if self.folded {
            return acc;
        }
        let mut products = [0i32; 256];
        for (col, &xi) in self.matrix.columns.iter().zip(x) {
            for (p, &u) in products.iter_mut().zip(&col.table) {
                *p = xi as i32 * u as i32;
            }
            for (a, &k) in acc.iter_mut().zip(&col.indices) {
                *a = a.wrapping_add(products[k as usize]);
            }
        }
        acc
    }

    /// Accumulators requantized to the gate domain.
    fn gates(&self, x: &[i8]) -> Vec<i32> {
        self.accumulate(x)
            .iter()
            .zip(self.rows(x))
            .map(|(&a, r)| requantize(a, r.multiplier, r.shift))
            .collect()
    }
}

/// The token of a token-input layer's input vector (little-endian bytes).
fn token_of(x: &[i8]) -> usize {
    u16::from_le_bytes([x[0] as u8, x[1] as u8]) as usize
}

#[derive(Debug, Clone)]
struct Layer {
    kind: LayerKind,
    /// Elements of a step's input: n_in, or the token's bytes.
    input_len: usize,
    /// Tokens of a token-input layer (its n_in), else 0.
    tokens: usize,
    n_hidden: usize,
    passes: Vec<Pass>,
}

/// The integer reference backend.
pub struct Reference {
    luts: Luts,
    layers: Option<Vec<Layer>>,
}

impl Default for Reference {
    fn default() -> Self {
        Reference::new()
    }
}

impl Reference {
    pub fn new() -> Reference {
        Reference {
            luts: Luts::default(),
            layers: None,
        }
    }

    /// Kind and hidden size (FC: outputs) of loaded layer `layer`.
    pub fn layer_shape(&self, layer: usize) -> Result<(LayerKind, usize), RunError> {
        let l = self
            .layers
            .as_ref()
            .ok_or(RunError::NotLoaded { on: NAME.into() })?
            .get(layer)
            .ok_or_else(|| RunError::NoSuchLayer {
                on: NAME.into(),
                layer,
                layers: self.layers.as_ref().map_or(0, Vec::len),
            })?;
        Ok((l.kind, l.n_hidden))
    }

    /// Decodes one pass's records and epilogue rows from the image.
    fn decode_pass(
        words: &[u128],
        load_addr: u32,
        wide: bool,
        p: &crew_spec::image::PassDescriptor,
        tokens: usize,
    ) -> Result<Pass, RunError> {
        let bad = |message: String| RunError::BadImage {
            on: NAME.into(),
            message,
        };
        let local = |a: u32| {
            a.checked_sub(load_addr)
                .map(|v| v as usize)
                .filter(|&v| v <= words.len())
                .ok_or_else(|| bad(format!("address {a} outside the image")))
        };
        let r0 = local(p.records_addr)?;
        let r1 = r0 + p.records_words as usize;
        if r1 > words.len() {
            return Err(bad("records run past the image".into()));
        }
        let (matrix, used) =
            CrewMatrix::decode(&words[r0..r1], wide, p.n_in as usize, p.n_out as usize)
                .map_err(|e| bad(e.to_string()))?;
        if used != p.records_words as usize {
            return Err(bad(format!(
                "records take {used} words, the descriptor says {}",
                p.records_words
            )));
        }
        for (i, c) in matrix.columns.iter().enumerate() {
            if let Some(o) = c.indices.iter().position(|&k| k as usize >= c.table.len()) {
                return Err(bad(format!(
                    "column {i} row {o}: index {} past the {}-entry table",
                    c.indices[o],
                    c.table.len()
                )));
            }
        }
        let e0 = local(p.epilogue_addr)?;
        let e1 = e0 + p.n_out as usize * tokens.max(1);
        if e1 > words.len() {
            return Err(bad("epilogue rows run past the image".into()));
        }
        Ok(Pass {
            matrix,
            epilogue: words[e0..e1]
                .iter()
                .map(|&w| EpilogueRow::from_word(w))
                .collect(),
            folded: tokens > 0,
        })
    }
}

impl Accelerator for Reference {
    fn name(&self) -> &str {
        NAME
    }

    fn load(&mut self, package: &Package) -> Result<(), RunError> {
        let c = &package.container;
        let words = c.image_words();
        let mut layers = Vec::new();
        for (index, _) in c.layers.iter().enumerate() {
            let d = c.descriptor(index).map_err(|e| RunError::BadImage {
                on: NAME.into(),
                message: e.to_string(),
            })?;
            let tokens = if d.token_input { d.n_in as usize } else { 0 };
            let passes = d
                .passes
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    let folded = if k == 0 { tokens } else { 0 };
                    Self::decode_pass(&words, c.load_addr, d.wide_entries, p, folded)
                })
                .collect::<Result<Vec<_>, _>>()?;
            layers.push(Layer {
                kind: d.kind,
                input_len: c.layers[index].input_len(),
                tokens,
                n_hidden: d.n_hidden as usize,
                passes,
            });
        }
        self.layers = Some(layers);
        Ok(())
    }

    fn run(
        &mut self,
        layer: usize,
        inputs: &[Vec<i8>],
        state: &mut LayerState,
    ) -> Result<RunOutput, RunError> {
        let layers = self
            .layers
            .as_ref()
            .ok_or(RunError::NotLoaded { on: NAME.into() })?;
        let l = layers.get(layer).ok_or(RunError::NoSuchLayer {
            on: NAME.into(),
            layer,
            layers: layers.len(),
        })?;
        check_run(NAME, layer, l.kind, l.input_len, l.n_hidden, inputs, state)?;
        if l.tokens > 0 {
            check_tokens(NAME, layer, l.tokens, inputs)?;
        }
        let outputs = match l.kind {
            LayerKind::Fc => StepOutputs::Accumulators(
                inputs.iter().map(|x| l.passes[0].accumulate(x)).collect(),
            ),
            LayerKind::Gru | LayerKind::Lstm => {
                let hsz = l.n_hidden;
                let mut hs = Vec::with_capacity(inputs.len());
                for x in inputs {
                    let gx = l.passes[0].gates(x);
                    let gh = l.passes[1].gates(&state.h);
                    let mut h = vec![0i8; hsz];
                    for j in 0..hsz {
                        if l.kind == LayerKind::Gru {
                            let g = |v: &[i32]| [v[j], v[hsz + j], v[2 * hsz + j]];
                            h[j] = self.luts.gru_cell(g(&gx), g(&gh), state.h[j]);
                        } else {
                            let g = |v: &[i32]| [v[j], v[hsz + j], v[2 * hsz + j], v[3 * hsz + j]];
                            let (hj, cj) = self.luts.lstm_cell(g(&gx), g(&gh), state.c[j]);
                            h[j] = hj;
                            state.c[j] = cj;
                        }
                    }
                    state.h.clone_from(&h);
                    hs.push(h);
                }
                StepOutputs::Hidden(hs)
            }
        };
        Ok(RunOutput {
            outputs,
            counters: None,
        })
    }
}
