//! Host-side loops over an [`Accelerator`]: sequence-to-sequence decoding (g2p: embedding
//! lookup and argmax on the host) and plain tensor sequences; and the same loops over the
//! float model for comparison.

use crew_spec::numerics::requantize;

use crate::backend::program::{run_by_steps, trace_tokens, ProgramOutput, ProgramSpec};
use crate::backend::{Accelerator, LayerState};
use crate::compiler::package::Package;
use crate::compiler::quant::{self, H_SCALE};
use crate::error::{Error, Result};
use crate::model::checkpoint::Tensor;
use crate::model::float::{self, FloatState};
use crate::model::{Decoding, Kind, Model, Seq2Seq};

fn seq2seq<'a>(decoding: &'a Option<Decoding>, what: &str) -> Result<&'a Seq2Seq> {
    match decoding {
        Some(Decoding::Seq2seq(d)) => Ok(d),
        None => Err(Error::Usage(format!(
            "{what} has no sequence-to-sequence decoding section; use --input/--output"
        ))),
    }
}

fn package_seq2seq(package: &Package) -> Result<&Seq2Seq> {
    let what = package
        .path
        .as_ref()
        .map_or("the package".to_string(), |p| p.display().to_string());
    seq2seq(&package.info.decoding, &what)
}

fn normalized(d: &Seq2Seq, word: &str) -> String {
    if d.lowercase {
        word.to_lowercase()
    } else {
        word.to_string()
    }
}

fn source_token(d: &Seq2Seq, ch: char) -> Option<usize> {
    let s = ch.to_string();
    d.source_vocab.iter().position(|v| *v == s)
}

/// Source token indices of a word: its characters (outside the vocabulary: the unknown
/// token), then the end token. An empty word is refused: it would decode the end token
/// alone into phonemes.
fn source_tokens(d: &Seq2Seq, word: &str) -> Result<Vec<usize>> {
    if word.is_empty() {
        return Err(Error::Usage("an empty word cannot be decoded".into()));
    }
    let mut t: Vec<usize> = normalized(d, word)
        .chars()
        .map(|ch| source_token(d, ch).unwrap_or(d.source_unk))
        .collect();
    t.push(d.source_end);
    Ok(t)
}

/// The characters of `words` outside the package's source vocabulary (each once, in
/// order of appearance) and the unknown token they become.
pub fn unknown_characters(package: &Package, words: &[&str]) -> Result<(Vec<char>, String)> {
    let d = package_seq2seq(package)?;
    let mut unknown = Vec::new();
    for w in words {
        for ch in normalized(d, w).chars() {
            if source_token(d, ch).is_none() && !unknown.contains(&ch) {
                unknown.push(ch);
            }
        }
    }
    Ok((unknown, d.source_vocab[d.source_unk].clone()))
}

/// First index of the largest value.
fn argmax<T: PartialOrd + Copy>(v: &[T]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Decodes one word on an accelerator that has `package` loaded. Returns output tokens.
pub fn decode_integer(
    accel: &mut dyn Accelerator,
    package: &Package,
    word: &str,
) -> Result<Vec<String>> {
    let d = package_seq2seq(package)?;
    let (enc, dec, proj) = (
        package.layer_index(&d.encoder)?,
        package.layer_index(&d.decoder)?,
        package.layer_index(&d.projection)?,
    );
    let src = package.embedding(&d.source_embedding)?;
    let tgt = package.embedding(&d.target_embedding)?;
    let enc_info = &package.info.layers[enc];
    // A layer compiled with its x pass folded takes the token itself (`image::token_input`),
    // else the token's embedding row.
    let input = |layer: usize, table: &crate::compiler::package::EmbeddingInfo, t: usize| {
        if package.container.layers[layer].token_input {
            crew_spec::image::token_input(t as u16)
        } else {
            table.row(t).to_vec()
        }
    };
    let inputs: Vec<Vec<i8>> = source_tokens(d, word)?
        .iter()
        .map(|&t| input(enc, src, t))
        .collect();
    let mut state = LayerState::zeros(enc_info.kind.spec(), enc_info.n_hidden);
    accel.run(enc, &inputs, &mut state)?;
    // Logits compared in the Q.12 domain of the projection's epilogue rows, so per-row
    // weight scales compare correctly with integers only.
    let epilogue = package.epilogue(proj, 0)?;
    let mut token = d.target_start;
    let mut out = Vec::new();
    for _ in 0..d.max_steps {
        let run = accel.run(dec, &[input(dec, tgt, token)], &mut state)?;
        let h = run
            .hidden()
            .and_then(|h| h.last())
            .cloned()
            .ok_or_else(|| Error::Usage(format!("decoder layer {} is not recurrent", d.decoder)))?;
        let mut none = LayerState::default();
        let run = accel.run(proj, &[h], &mut none)?;
        let acc = run
            .accumulators()
            .and_then(|a| a.first())
            .ok_or_else(|| Error::Usage(format!("projection {} is not FC", d.projection)))?;
        let logits: Vec<i32> = acc
            .iter()
            .zip(&epilogue)
            .map(|(&a, r)| requantize(a, r.multiplier, r.shift))
            .collect();
        token = argmax(&logits);
        if token == d.target_end {
            break;
        }
        out.push(d.target_vocab[token].clone());
    }
    Ok(out)
}

/// The source tokens of `word` (its characters, then the end token) as a sequence
/// program takes them.
pub fn source_token_ids(package: &Package, word: &str) -> Result<Vec<u16>> {
    let d = package_seq2seq(package)?;
    Ok(source_tokens(d, word)?.iter().map(|&t| t as u16).collect())
}

/// Decodes a queue of words with the package's sequence program (`crew_spec::program`):
/// on a device, in one start for all of them (`Accelerator::run_program`); elsewhere as the
/// same program's host loop. Returns each word's output tokens and the program's traces,
/// or `None` when the package has no program (decode word by word with
/// [`decode_integer`]).
pub fn decode_program(
    accel: &mut dyn Accelerator,
    package: &Package,
    words: &[&str],
) -> Result<Option<(Vec<Vec<String>>, ProgramOutput)>> {
    let d = package_seq2seq(package)?;
    let Some(spec) = ProgramSpec::of(package)? else {
        return Ok(None);
    };
    let sources: Vec<Vec<u16>> = words
        .iter()
        .map(|w| source_token_ids(package, w))
        .collect::<Result<_>>()?;
    let out = match accel.run_program(&spec, &sources)? {
        Some(out) => out,
        None => run_by_steps(accel, &spec, &sources)?,
    };
    let tokens = out
        .traces
        .iter()
        .map(|t| {
            trace_tokens(t, spec.header.tgt_end)
                .iter()
                .map(|&k| d.target_vocab[k as usize].clone())
                .collect()
        })
        .collect();
    Ok(Some((tokens, out)))
}

/// Decodes one word with the float model.
pub fn decode_float(model: &Model, word: &str) -> Result<Vec<String>> {
    Ok(decode_float_logits(model, word)?.0)
}

/// Decodes one word with the float model: the output tokens and the projection's logits of
/// every decoder step (the last step's argmax is the end token unless `max_steps` ran out).
/// What an external float implementation (crew-finetune's PyTorch model) is checked
/// against.
pub fn decode_float_logits(model: &Model, word: &str) -> Result<(Vec<String>, Vec<Vec<f32>>)> {
    let d = seq2seq(&model.decoding, &model.source.display().to_string())?;
    let layer = |name: &str| &model.layers[model.layer_index(name).expect("checked at load")];
    let (enc, dec, proj) = (layer(&d.encoder), layer(&d.decoder), layer(&d.projection));
    let src = &model.embedding(&d.source_embedding).expect("checked").table;
    let tgt = &model.embedding(&d.target_embedding).expect("checked").table;
    let mut state = FloatState::zeros(enc.n_hidden);
    for t in source_tokens(d, word)? {
        float::step(enc, src.row(t), &mut state);
    }
    let mut token = d.target_start;
    let mut out = Vec::new();
    let mut logits = Vec::new();
    for _ in 0..d.max_steps {
        let h = float::step(dec, tgt.row(token), &mut state);
        let step_logits = float::linear(proj, &h);
        token = argmax(&step_logits);
        logits.push(step_logits);
        if token == d.target_end {
            break;
        }
        out.push(d.target_vocab[token].clone());
    }
    Ok((out, logits))
}

/// Runs all layers in order over a (steps x n_in) float tensor on an accelerator that has
/// `package` loaded: x is quantized with the first layer's input scale, each later layer
/// takes the previous layer's int8 h. Returns the last layer's outputs dequantized
/// (h / 128 for recurrent layers, acc * s_w * s_x for FC). A device runs the whole stack in
/// one start ([`Accelerator::run_stack`]); elsewhere the layers run one by one
/// ([`sequence_integer_by_layers`]).
pub fn sequence_integer(
    accel: &mut dyn Accelerator,
    package: &Package,
    x: &Tensor,
) -> Result<Tensor> {
    let inputs = sequence_inputs(package, x)?;
    match accel.run_stack(&inputs)? {
        Some(stack) => {
            let last = stack.runs.last().expect("a package has layers");
            Ok(sequence_output(package, &last.0))
        }
        None => sequence_layer_by_layer(accel, package, inputs),
    }
}

/// [`sequence_integer`] with one start per layer (the host loop, `--host-loop`).
pub fn sequence_integer_by_layers(
    accel: &mut dyn Accelerator,
    package: &Package,
    x: &Tensor,
) -> Result<Tensor> {
    let inputs = sequence_inputs(package, x)?;
    sequence_layer_by_layer(accel, package, inputs)
}

/// The first layer's int8 inputs; checks that only the last layer may be FC.
fn sequence_inputs(package: &Package, x: &Tensor) -> Result<Vec<Vec<i8>>> {
    let layers = &package.info.layers;
    check_sequence_input(x, layers.first().map(|l| l.n_in))?;
    if let Some(l) = layers[..layers.len() - 1]
        .iter()
        .find(|l| l.kind.spec() == crew_spec::image::LayerKind::Fc)
    {
        return Err(Error::Usage(format!(
            "layer {} is FC: only the last layer of a sequence may be FC",
            l.name
        )));
    }
    let first = &layers[0];
    Ok(x.data
        .chunks(first.n_in)
        .map(|r| {
            r.iter()
                .map(|&v| quant::quantize_activation(v, first.input_scale))
                .collect()
        })
        .collect())
}

fn sequence_layer_by_layer(
    accel: &mut dyn Accelerator,
    package: &Package,
    mut inputs: Vec<Vec<i8>>,
) -> Result<Tensor> {
    let layers = &package.info.layers;
    let mut last = None;
    for (k, l) in layers.iter().enumerate() {
        let mut state = LayerState::zeros(l.kind.spec(), l.n_hidden);
        let run = accel.run(k, &inputs, &mut state)?;
        if let Some(h) = run.hidden() {
            inputs = h.to_vec();
        }
        last = Some(run);
    }
    Ok(sequence_output(
        package,
        &last.expect("a package has layers"),
    ))
}

/// The last layer's outputs of a sequence, dequantized.
fn sequence_output(package: &Package, run: &crate::backend::RunOutput) -> Tensor {
    let l = package.info.layers.last().expect("a package has layers");
    if let Some(acc) = run.accumulators() {
        let data = acc
            .iter()
            .flat_map(|a| {
                a.iter()
                    .zip(&l.weight_scales[0])
                    .map(|(&v, &s)| (v as f64 * s * l.input_scale) as f32)
            })
            .collect();
        return Tensor::new(vec![acc.len(), l.n_hidden], data);
    }
    let h = run.hidden().expect("recurrent output");
    let data = h
        .iter()
        .flatten()
        .map(|&v| (v as f64 * H_SCALE) as f32)
        .collect();
    Tensor::new(vec![h.len(), l.n_hidden], data)
}

/// The float counterpart of [`sequence_integer`].
pub fn sequence_float(model: &Model, x: &Tensor) -> Result<Tensor> {
    check_sequence_input(x, model.layers.first().map(|l| l.n_in))?;
    let steps = x.shape[0];
    let mut rows: Vec<Vec<f32>> = x.data.chunks(x.shape[1]).map(|r| r.to_vec()).collect();
    for l in &model.layers {
        rows = match l.kind {
            Kind::Linear => rows.iter().map(|r| float::linear(l, r)).collect(),
            _ => {
                let mut state = FloatState::zeros(l.n_hidden);
                rows.iter().map(|r| float::step(l, r, &mut state)).collect()
            }
        };
    }
    let n = model.layers.last().unwrap().n_hidden;
    Ok(Tensor::new(vec![steps, n], rows.concat()))
}

fn check_sequence_input(x: &Tensor, n_in: Option<usize>) -> Result<()> {
    let n_in = n_in.ok_or_else(|| Error::Usage("the model has no layers".into()))?;
    if x.shape.len() != 2 || x.shape[1] != n_in || x.shape[0] == 0 {
        return Err(Error::RunInput(format!(
            "input tensor has shape {:?}, expected [steps >= 1, {n_in}]",
            x.shape
        )));
    }
    Ok(())
}
