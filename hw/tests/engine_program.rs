//! Sequence programs (`crew_spec::program`): a queue of inputs decoded greedily on the
//! engine (encoder over the source tokens, decoder step, projection, argmax, until the end
//! token or max_steps) in one start. Every word of every input's trace slot is checked
//! against the independent integer reference of the unfolded layers (embedding rows,
//! dense matrices, `requantize` and a first-index argmax written here), on both engines;
//! and bad programs and sources end in their typed errors, after which plain runs work.

mod common;
use common::*;

on_both_engines!(
    a_queue_of_inputs_decodes_like_the_reference_at_every_step,
    a_bad_program_or_a_source_without_its_end_token_is_a_typed_error,
);

use crew_hw::testbench::engine::{EngineDdrSim, RunRequest};
use crew_hw::testbench::layer_image::{pack_i8_vectors, unpack_i32, unpack_i8, PassMatrix};
use crew_spec::image::{token_input, vector_words_i32, vector_words_i8, LayerKind};
use crew_spec::numerics::requantize;
use crew_spec::program::ProgramHeader;
use crew_spec::regmap::ErrorCode;

const H: usize = 16;
const V_SRC: usize = 6;
const V_TGT: usize = 7;
const SRC_END: u16 = 1;
const TGT_START: u16 = 2;
const TGT_END: u16 = 3;
const PROGRAM_ADDR: u32 = 0x3_0000;
const SOURCE_ADDR: u32 = 0x40_0000;
const TRACE_ADDR: u32 = 0x50_0000;

/// A small seq2seq model: token-input GRU encoder and decoder, FC projection.
struct Model {
    src_emb: Vec<Vec<i8>>,
    tgt_emb: Vec<Vec<i8>>,
    enc: Vec<PassMatrix>,
    dec: Vec<PassMatrix>,
    proj: PassMatrix,
}

fn model<T: EngineUnderTest>(seed: u64) -> Model {
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

/// The program and the three layers in DRAM; returns the program header.
fn load_model<T: EngineUnderTest>(
    sim: &mut EngineDdrSim<T::Engine>,
    m: &Model,
    max_src: u16,
    max_steps: u16,
) -> ProgramHeader {
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
    for img in [&enc, &dec, &proj] {
        load(sim, img);
    }
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
    sim.ddr().load_words(PROGRAM_ADDR as u64, &p.to_words());
    sim.ddr()
        .load_words(p.zero_addr as u64, &vec![0u128; p.state_words as usize]);
    p
}

/// What one input's trace slot must hold: (final h, encoder h's, per decoder step: h,
/// logits, token).
#[derive(Debug, PartialEq)]
struct Trace {
    state: Vec<i8>,
    enc: Vec<Vec<i8>>,
    dec: Vec<(Vec<i8>, Vec<i32>, u16)>,
}

/// First index of the largest value.
fn argmax(v: &[i32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

fn reference(m: &Model, src: &[u16], max_steps: u16) -> Trace {
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

/// Reads input k's trace slot, `n_src` encoder steps and `n_dec` decoder steps.
fn read_trace<E: crew_hw::engine::Engine>(
    sim: &mut EngineDdrSim<E>,
    p: &ProgramHeader,
    k: usize,
    n_src: usize,
    n_dec: usize,
) -> Trace {
    let hw = p.h_words as usize;
    let base = TRACE_ADDR as u64 + (k * p.slot_words()) as u64;
    let words = sim.ddr().read_words(base, p.slot_words());
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

fn source_stream(inputs: &[Vec<u16>]) -> Vec<u128> {
    let tokens: Vec<Vec<i8>> = inputs.iter().flatten().map(|&t| token_input(t)).collect();
    pack_i8_vectors(&tokens)
}

fn program_request(n: usize) -> RunRequest {
    RunRequest {
        desc_addr: PROGRAM_ADDR,
        in_addr: SOURCE_ADDR,
        out_addr: TRACE_ADDR,
        state_addr: 0,
        steps: n as u16,
    }
}

fn a_queue_of_inputs_decodes_like_the_reference_at_every_step<T: EngineUnderTest>() {
    let m = model::<T>(41);
    let mut sim = new_sim_on::<T>();
    let max_steps = 5;
    let p = load_model::<T>(&mut sim, &m, 8, max_steps);
    let inputs: Vec<Vec<u16>> = vec![
        vec![4, 5, 0, SRC_END],
        vec![SRC_END],
        vec![3, 2, 2, 5, 4, 0, SRC_END],
    ];
    sim.ddr()
        .load_words(SOURCE_ADDR as u64, &source_stream(&inputs));
    let (rep, done) = sim
        .run_program(program_request(inputs.len()), 50_000_000)
        .expect("program completes");
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(done as usize, inputs.len());
    let mut ended = 0;
    for (k, src) in inputs.iter().enumerate() {
        let want = reference(&m, src, max_steps);
        ended += (want.dec.last().unwrap().2 == TGT_END) as usize;
        let got = read_trace(&mut sim, &p, k, src.len(), want.dec.len());
        assert_eq!(got, want, "input {k}");
    }
    // The counters cover the whole program: every weight of W_hh once per step (encoder and
    // decoder), every projection weight once per decoder step.
    let enc_steps: usize = inputs.iter().map(Vec::len).sum();
    let dec_steps: usize = inputs
        .iter()
        .map(|s| reference(&m, s, max_steps).dec.len())
        .sum();
    assert_eq!(
        rep.counters.adds as usize,
        (enc_steps + dec_steps) * 3 * H * H + dec_steps * H * V_TGT
    );
    eprintln!("{ended} of {} inputs ended on the end token", inputs.len());

    // max_steps = 1: every input stops after one decoder step, end token or not.
    let p = load_model::<T>(&mut sim, &m, 8, 1);
    let (rep, done) = sim
        .run_program(program_request(inputs.len()), 50_000_000)
        .expect("program completes");
    assert!(
        rep.ok() && done as usize == inputs.len(),
        "error {}",
        rep.error
    );
    for (k, src) in inputs.iter().enumerate() {
        let want = reference(&m, src, 1);
        assert_eq!(want.dec.len(), 1);
        assert_eq!(read_trace(&mut sim, &p, k, src.len(), 1), want, "input {k}");
    }
}

fn a_bad_program_or_a_source_without_its_end_token_is_a_typed_error<T: EngineUnderTest>() {
    let m = model::<T>(42);
    let mut sim = new_sim_on::<T>();
    let p = load_model::<T>(&mut sim, &m, 4, 3);
    // The second input has no end token within max_src = 4 steps: the first is finished,
    // the second is not.
    let inputs = vec![vec![4, SRC_END], vec![0, 0, 0, 0, 0, SRC_END]];
    sim.ddr()
        .load_words(SOURCE_ADDR as u64, &source_stream(&inputs));
    let (rep, done) = sim.run_program(program_request(2), 50_000_000).unwrap();
    assert_eq!(rep.error, ErrorCode::SourceTooLong as u8);
    assert_eq!(done, 1);

    // A program whose encoder is the FC projection: the core refuses the layer.
    let wrong = ProgramHeader {
        encoder_addr: p.projection_addr,
        ..p
    };
    sim.ddr().load_words(PROGRAM_ADDR as u64, &wrong.to_words());
    let (rep, done) = sim.run_program(program_request(1), 5_000_000).unwrap();
    assert_eq!(rep.error, ErrorCode::BadProgram as u8);
    assert_eq!(done, 0);

    // A program word with another kind byte.
    let mut words = p.to_words();
    words[0] &= !0xFF;
    sim.ddr().load_words(PROGRAM_ADDR as u64, &words);
    let (rep, _) = sim.run_program(program_request(1), 5_000_000).unwrap();
    assert_eq!(rep.error, ErrorCode::BadProgram as u8);

    // The good program runs after all that.
    sim.ddr().load_words(PROGRAM_ADDR as u64, &p.to_words());
    let (rep, done) = sim.run_program(program_request(1), 50_000_000).unwrap();
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(done, 1);
    let want = reference(&m, &inputs[0], 3);
    assert_eq!(read_trace(&mut sim, &p, 0, 2, want.dec.len()), want);
}
