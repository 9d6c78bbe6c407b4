//! Token-input layers (`crew_spec::image` "Token-input layers"): the x pass folded into
//! one block of epilogue rows per token. Each run is checked against the independent
//! integer reference of the *unfolded* layer fed the embedding rows of the same tokens,
//! so the folding (test image builder) and the engine's token path (read the token, check
//! it, load its block, skip the x pass's records) are checked together; on both engines.

mod common;
use common::*;

on_both_engines!(
    gru_token_steps_match_the_unfolded_reference,
    lstm_token_steps_match_the_unfolded_reference,
    fc_token_steps_match_the_unfolded_reference,
    a_token_outside_the_table_is_bad_token_and_the_next_run_works,
);
use crew_spec::image::{token_input, LayerKind};
use crew_spec::regmap::ErrorCode;
use rand::Rng;

fn embedding(r: &mut rand_chacha::ChaCha8Rng, v: usize, n_in: usize) -> Vec<Vec<i8>> {
    (0..v).map(|_| random_vector(r, n_in)).collect()
}

fn token_inputs(tokens: &[u16]) -> Vec<Vec<i8>> {
    tokens.iter().map(|&t| token_input(t)).collect()
}

fn rows_of(emb: &[Vec<i8>], tokens: &[u16]) -> Vec<Vec<i8>> {
    tokens.iter().map(|&t| emb[t as usize].clone()).collect()
}

fn rnn_token_steps<T: EngineUnderTest>(kind: LayerKind, seed: u64) {
    let mut r = rng(seed);
    let (n_in, hid, v) = (24, 20, 9);
    let (passes, _) = rnn_layer_on::<T>(&mut r, kind, n_in, hid, |c| 1 + (c * 13) % 90);
    let emb = embedding(&mut r, v, n_in);
    let tokens: Vec<u16> = vec![3, 0, 8, 3, 5];
    let h0 = random_vector(&mut r, hid);
    let c0: Vec<i32> = match kind {
        LayerKind::Lstm => (0..hid).map(|_| r.gen_range(-70_000..70_000)).collect(),
        _ => vec![],
    };
    let (hs_ref, c_ref) = rnn_reference(kind, &passes, &rows_of(&emb, &tokens), &h0, &c0);
    let img = T::build_token_layer(kind, &emb, hid, &passes, IMAGE_BASE);
    let mut sim = new_sim_on::<T>();
    let lstm = kind == LayerKind::Lstm;
    let (rep, hs, h_state, c_state) =
        run_rnn(&mut sim, &img, lstm, &token_inputs(&tokens), &h0, &c0);
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(hs, hs_ref);
    assert_eq!(h_state, hs_ref[tokens.len() - 1]);
    assert_eq!(c_state, c_ref);
    // Only the h pass streams records: one add per weight of W_hh per step.
    assert_eq!(
        rep.counters.adds as usize,
        tokens.len() * kind.gates() * hid * hid
    );
}

fn gru_token_steps_match_the_unfolded_reference<T: EngineUnderTest>() {
    rnn_token_steps::<T>(LayerKind::Gru, 31);
}

fn lstm_token_steps_match_the_unfolded_reference<T: EngineUnderTest>() {
    rnn_token_steps::<T>(LayerKind::Lstm, 32);
}

fn fc_token_steps_match_the_unfolded_reference<T: EngineUnderTest>() {
    let mut r = rng(33);
    let (n_in, n_out, v) = (40, 37, 12);
    let (p, _) = fc_layer_on::<T>(&mut r, n_in, n_out, false, |c| 2 + c % 50);
    let emb = embedding(&mut r, v, n_in);
    let tokens: Vec<u16> = vec![11, 0, 4];
    let img = T::build_token_layer(
        LayerKind::Fc,
        &emb,
        n_out,
        std::slice::from_ref(&p),
        IMAGE_BASE,
    );
    let mut sim = new_sim_on::<T>();
    let (rep, outs) = run_fc(&mut sim, &img, n_out, &token_inputs(&tokens));
    assert!(rep.ok(), "error {}", rep.error);
    for (t, &tok) in tokens.iter().enumerate() {
        assert_eq!(
            outs[t],
            dense(&p, &emb[tok as usize]),
            "step {t}, token {tok}"
        );
    }
    assert_eq!(rep.counters.adds, 0, "no records streamed");
}

fn a_token_outside_the_table_is_bad_token_and_the_next_run_works<T: EngineUnderTest>() {
    let mut r = rng(34);
    let (n_in, hid, v) = (16, 8, 5);
    let (passes, _) = rnn_layer_on::<T>(&mut r, LayerKind::Gru, n_in, hid, |c| 1 + c % 20);
    let emb = embedding(&mut r, v, n_in);
    let img = T::build_token_layer(LayerKind::Gru, &emb, hid, &passes, IMAGE_BASE);
    let h0 = random_vector(&mut r, hid);
    let mut sim = new_sim_on::<T>();
    let (rep, _, _, _) = run_rnn(&mut sim, &img, false, &token_inputs(&[1, 5]), &h0, &[]);
    assert_eq!(rep.error, ErrorCode::BadToken as u8);
    let tokens = [4u16, 2];
    let (hs_ref, _) = rnn_reference(LayerKind::Gru, &passes, &rows_of(&emb, &tokens), &h0, &[]);
    let (rep, hs, _, _) = run_rnn(&mut sim, &img, false, &token_inputs(&tokens), &h0, &[]);
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(hs, hs_ref);
}
