//! A small seq2seq model for the sequence-program tests (engine and co-simulation):
//! token-input GRU encoder and decoder, an FC projection, the program over them, and the
//! independent reference of a program run (embedding rows, dense matrices, `requantize`,
//! a first-index argmax written here).

use super::*;
use crew_hw::testbench::layer_image::{pack_i8_vectors, unpack_i32, unpack_i8, PassMatrix};
use crew_spec::image::{token_input, vector_words_i32, vector_words_i8, LayerKind};
use crew_spec::numerics::requantize;
use crew_spec::program::ProgramHeader;

pub const H: usize = 16;
pub const V_SRC: usize = 6;
pub const V_TGT: usize = 7;
pub const SRC_END: u16 = 1;
pub const TGT_START: u16 = 2;
pub const TGT_END: u16 = 3;
pub const PROGRAM_ADDR: u32 = 0x3_0000;
pub const SOURCE_ADDR: u32 = 0x40_0000;
pub const TRACE_ADDR: u32 = 0x50_0000;

/// A small seq2seq model: token-input GRU encoder and decoder, FC projection.
pub struct Model {
    pub src_emb: Vec<Vec<i8>>,
    pub tgt_emb: Vec<Vec<i8>>,
    pub enc: Vec<PassMatrix>,
    pub dec: Vec<PassMatrix>,
    pub proj: PassMatrix,
}

pub fn model<T: EngineUnderTest>(seed: u64) -> Model {
    let mut r = rng(seed);
    let (enc, _) = rnn_layer_on::<T>(&mut r, LayerKind::Gru, 12, H, |c| 1 + (c * 7) % 40);
    let (dec, _) = rnn_layer_on::<T>(&mut r, LayerKind::Gru, 10, H, |c| 1 + (c * 5) % 30);
    let (proj, _) = fc_layer_on::<T>(&mut r, H, V_TGT, false, |c| 2 + c % 9);
    Model {
        src_emb: (0..V_SRC).map(|_| random_vector(&mut r, 12)).collect(),
        tgt_emb: (0..V_TGT).map(|_| random_vector(&mut r, 10)).collect(),
        enc,
        dec,
        proj,
    }
}

/// The program and the three layers for engine `T`: the header and the (address, words)
/// blocks to load.
pub fn model_images<T: EngineUnderTest>(
    m: &Model,
    max_src: u16,
    max_steps: u16,
) -> (ProgramHeader, Vec<(u32, Vec<u128>)>) {
    let enc = T::build_token_layer(LayerKind::Gru, &m.src_emb, H, &m.enc, 0x1000);
    let dec = T::build_token_layer(LayerKind::Gru, &m.tgt_emb, H, &m.dec, 0x2000);
    let proj = T::build_layer(
        LayerKind::Fc,
        false,
        H,
        V_TGT,
        std::slice::from_ref(&m.proj),
        0x2800,
    );
    assert!(enc.words.len() <= 0x1000 && dec.words.len() <= 0x800);
    assert!(0x2800 + proj.words.len() <= PROGRAM_ADDR as usize);
    let p = ProgramHeader {
        src_end: SRC_END,
        tgt_end: TGT_END,
        tgt_start: TGT_START,
        max_steps,
        max_src,
        encoder_addr: enc.desc_addr,
        decoder_addr: dec.desc_addr,
        projection_addr: proj.desc_addr,
        zero_addr: PROGRAM_ADDR + 4,
        h_words: vector_words_i8(H) as u16,
        state_words: vector_words_i8(H) as u16,
        logit_words: vector_words_i32(V_TGT) as u16,
    };
    let blocks = vec![
        (enc.base, enc.words),
        (dec.base, dec.words),
        (proj.base, proj.words),
        (PROGRAM_ADDR, p.to_words().to_vec()),
        (p.zero_addr, vec![0u128; p.state_words as usize]),
    ];
    (p, blocks)
}

/// What one input's trace slot must hold: (final h, encoder h's, per decoder step: h,
/// logits, token).
#[derive(Debug, PartialEq)]
pub struct Trace {
    pub state: Vec<i8>,
    pub enc: Vec<Vec<i8>>,
    pub dec: Vec<(Vec<i8>, Vec<i32>, u16)>,
}

/// First index of the largest value.
pub fn argmax(v: &[i32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

pub fn reference(m: &Model, src: &[u16], max_steps: u16) -> Trace {
    let step = |passes: &[PassMatrix], x: &[i8], h: &[i8]| {
        rnn_reference(LayerKind::Gru, passes, &[x.to_vec()], h, &[])
            .0
            .remove(0)
    };
    let mut h = vec![0i8; H];
    let mut enc = vec![];
    for &t in src {
        h = step(&m.enc, &m.src_emb[t as usize], &h);
        enc.push(h.clone());
    }
    let mut token = TGT_START;
    let mut dec = vec![];
    for _ in 0..max_steps {
        h = step(&m.dec, &m.tgt_emb[token as usize], &h);
        let logits = dense(&m.proj, &h);
        let q: Vec<i32> = logits
            .iter()
            .zip(&m.proj.epilogue)
            .map(|(&a, e)| requantize(a, e.multiplier, e.shift))
            .collect();
        token = argmax(&q) as u16;
        dec.push((h.clone(), logits, token));
        if token == TGT_END {
            break;
        }
    }
    Trace { state: h, enc, dec }
}

/// Decodes one trace slot (`words`), `n_src` encoder steps and `n_dec` decoder steps.
pub fn read_trace(p: &ProgramHeader, words: &[u128], n_src: usize, n_dec: usize) -> Trace {
    let hw = p.h_words as usize;
    let state = unpack_i8(&words[..hw], H);
    let mut at = p.state_words as usize;
    let enc = (0..n_src)
        .map(|s| unpack_i8(&words[at + s * hw..][..hw], H))
        .collect();
    at += n_src * hw;
    let dec = (0..n_dec)
        .map(|s| {
            let e = &words[at + s * p.decoder_step_words()..];
            let lw = p.logit_words as usize;
            (
                unpack_i8(&e[..hw], H),
                unpack_i32(&e[hw..hw + lw], V_TGT),
                e[hw + lw] as u16,
            )
        })
        .collect();
    Trace { state, enc, dec }
}

pub fn source_stream(inputs: &[Vec<u16>]) -> Vec<u128> {
    let tokens: Vec<Vec<i8>> = inputs.iter().flatten().map(|&t| token_input(t)).collect();
    pack_i8_vectors(&tokens)
}
