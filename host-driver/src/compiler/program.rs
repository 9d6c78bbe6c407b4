//! The sequence program of a sequence-to-sequence model (`crew_spec::program`): placed in
//! the image after the layers when the engine can run the whole greedy decode, that is
//! when the encoder and decoder are recurrent layers of one H whose inputs were folded into
//! token inputs and the projection is FC with at most `MAX_ARGMAX_OUTPUTS` outputs.
//! Otherwise (for example `--no-fold-tokens`) the package has no program and decoding runs
//! as a host loop.

use crew_spec::image::{vector_words_i32, vector_words_i8, LayerKind};
use crew_spec::layout::{DoesNotFit, ImageBuilder};
use crew_spec::package::LayerEntry;
use crew_spec::program::{ProgramHeader, MAX_ARGMAX_OUTPUTS};

use crate::model::Seq2Seq;

/// Source steps per input (the word's characters and the end token) when not given: words
/// of up to 47 characters. Every input's trace slot holds this many encoder steps, so the
/// bound is also what a queue reads back per word; a longer word is refused by the driver
/// before anything runs (the host loop, `--host-loop`, has no such bound).
pub const DEFAULT_MAX_SOURCE_STEPS: u16 = 48;

/// The program for decoding `d` over the layers of `entries` (in model order), placed in
/// `image`; `None` when the layers cannot run it on the engine.
pub fn emit(
    image: &mut ImageBuilder,
    d: &Seq2Seq,
    entries: &[LayerEntry],
    names: &[String],
    max_source_steps: Option<u16>,
) -> Result<Option<u32>, DoesNotFit> {
    let find = |name: &str| names.iter().position(|n| n == name).map(|k| entries[k]);
    let (Some(enc), Some(dec), Some(proj)) =
        (find(&d.encoder), find(&d.decoder), find(&d.projection))
    else {
        return Ok(None);
    };
    let runnable = enc.kind != LayerKind::Fc
        && enc.kind == dec.kind
        && enc.token_input
        && dec.token_input
        && enc.n_hidden == dec.n_hidden
        && proj.kind == LayerKind::Fc
        && proj.n_in == dec.n_hidden
        && (proj.n_hidden as usize) <= MAX_ARGMAX_OUTPUTS
        && d.max_steps >= 1
        && d.max_steps <= u16::MAX as usize;
    if !runnable {
        return Ok(None);
    }
    let h = enc.n_hidden as usize;
    let state_words = match enc.kind {
        LayerKind::Lstm => vector_words_i8(h) + vector_words_i32(h),
        _ => vector_words_i8(h),
    };
    let program = ProgramHeader {
        src_end: d.source_end as u16,
        tgt_end: d.target_end as u16,
        tgt_start: d.target_start as u16,
        max_steps: d.max_steps as u16,
        max_src: max_source_steps.unwrap_or(DEFAULT_MAX_SOURCE_STEPS).max(1),
        encoder_addr: enc.desc_addr,
        decoder_addr: dec.desc_addr,
        projection_addr: proj.desc_addr,
        zero_addr: 0,
        h_words: vector_words_i8(h) as u16,
        state_words: state_words as u16,
        logit_words: vector_words_i32(proj.n_hidden as usize) as u16,
    };
    image.push_program(program).map(Some)
}
