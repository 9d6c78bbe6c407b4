//! GRU and LSTM steps on the engine vs the integer reference (dense matrices,
//! numerics::requantize and Luts::gru_cell / lstm_cell), state carried across steps; on
//! both engines (`on_both_engines!`).

mod common;
use common::*;

on_both_engines!(
    gru_several_steps_match_reference,
    lstm_several_steps_match_reference,
    gru_saturating_gates_and_single_unit,
    gru_g2p_shaped_step_matches_reference,
    lstm_second_run_continues_from_written_state,
    gru_second_run_continues_from_written_state,
);
use crew_spec::image::LayerKind;
use rand::Rng;

fn gru_several_steps_match_reference<T: EngineUnderTest>() {
    let mut r = rng(11);
    let (n_in, hid, steps) = (24, 20, 3);
    let (passes, img) = rnn_layer_on::<T>(&mut r, LayerKind::Gru, n_in, hid, |c| 1 + (c * 13) % 90);
    let xs: Vec<Vec<i8>> = (0..steps).map(|_| random_vector(&mut r, n_in)).collect();
    let h0 = random_vector(&mut r, hid);
    let (hs_ref, _) = rnn_reference(LayerKind::Gru, &passes, &xs, &h0, &[]);
    let mut sim = new_sim_on::<T>();
    let (rep, hs, h_state, _) = run_rnn(&mut sim, &img, false, &xs, &h0, &[]);
    assert!(rep.ok(), "error {}", rep.error);
    for t in 0..steps {
        assert_eq!(hs[t], hs_ref[t], "h at step {t}");
    }
    assert_eq!(h_state, hs_ref[steps - 1]);
    // The reference exercises the activations: h changes and is not saturated everywhere.
    assert_ne!(hs_ref[0], h0);
    assert!(hs_ref[0].iter().any(|&v| v.abs() < 100));
}

fn lstm_several_steps_match_reference<T: EngineUnderTest>() {
    let mut r = rng(12);
    let (n_in, hid, steps) = (19, 18, 3);
    let (passes, img) =
        rnn_layer_on::<T>(&mut r, LayerKind::Lstm, n_in, hid, |c| 2 + (c * 29) % 120);
    let xs: Vec<Vec<i8>> = (0..steps).map(|_| random_vector(&mut r, n_in)).collect();
    let h0 = random_vector(&mut r, hid);
    let c0: Vec<i32> = (0..hid).map(|_| r.gen_range(-70_000..70_000)).collect();
    let (hs_ref, c_ref) = rnn_reference(LayerKind::Lstm, &passes, &xs, &h0, &c0);
    let mut sim = new_sim_on::<T>();
    let (rep, hs, h_state, c_state) = run_rnn(&mut sim, &img, true, &xs, &h0, &c0);
    assert!(rep.ok(), "error {}", rep.error);
    for t in 0..steps {
        assert_eq!(hs[t], hs_ref[t], "h at step {t}");
    }
    assert_eq!(h_state, hs_ref[steps - 1]);
    assert_eq!(c_state, c_ref);
    assert_ne!(c_ref, c0);
}

fn gru_saturating_gates_and_single_unit<T: EngineUnderTest>() {
    let mut r = rng(13);
    // H = 1 (3 rows, fewer than the lanes) and large multipliers that saturate.
    let (n_in, hid, steps) = (5, 1, 2);
    let (mut passes, _) = rnn_layer_on::<T>(&mut r, LayerKind::Gru, n_in, hid, |_| 4);
    for p in passes.iter_mut() {
        for e in p.epilogue.iter_mut() {
            e.multiplier = 0x7FFF_FFFF;
            e.shift = 9;
        }
    }
    let img = T::build_layer(LayerKind::Gru, false, n_in, hid, &passes, IMAGE_BASE);
    let xs: Vec<Vec<i8>> = (0..steps).map(|_| random_vector(&mut r, n_in)).collect();
    let h0 = vec![-77i8];
    let (hs_ref, _) = rnn_reference(LayerKind::Gru, &passes, &xs, &h0, &[]);
    let mut sim = new_sim_on::<T>();
    let (rep, hs, _, _) = run_rnn(&mut sim, &img, false, &xs, &h0, &[]);
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(hs, hs_ref);
}

/// g2p_en-shaped GRU: 256 inputs, H = 256, 768 rows per pass, u_i ~ 100-130.
fn gru_g2p_shaped_step_matches_reference<T: EngineUnderTest>() {
    let mut r = rng(14);
    let (n_in, hid, steps) = (256, 256, 2);
    let (passes, img) =
        rnn_layer_on::<T>(&mut r, LayerKind::Gru, n_in, hid, |c| 100 + (c * 7) % 31);
    let xs: Vec<Vec<i8>> = (0..steps).map(|_| random_vector(&mut r, n_in)).collect();
    let h0 = random_vector(&mut r, hid);
    let (hs_ref, _) = rnn_reference(LayerKind::Gru, &passes, &xs, &h0, &[]);
    let mut sim = new_sim_on::<T>();
    let (rep, hs, h_state, _) = run_rnn(&mut sim, &img, false, &xs, &h0, &[]);
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(hs, hs_ref);
    assert_eq!(h_state, hs_ref[steps - 1]);
    assert_eq!(rep.counters.adds as usize, steps * 2 * 256 * 768);
}

/// Two runs on one simulation; the second starts from the state the first wrote back to
/// DRAM (h and, for LSTM, every c word), so a missing or wrong write-back word changes
/// the second run's h. H is not a multiple of 16 (33: nor of 4), so the last h and c
/// words are partial.
fn second_run_continues_from_written_state<T: EngineUnderTest>(
    kind: LayerKind,
    hid: usize,
    seed: u64,
) {
    let mut r = rng(seed);
    let n_in = 21;
    let lstm = kind == LayerKind::Lstm;
    let (passes, img) = rnn_layer_on::<T>(&mut r, kind, n_in, hid, |c| 2 + (c * 23) % 100);
    let xs1: Vec<Vec<i8>> = (0..1).map(|_| random_vector(&mut r, n_in)).collect();
    let xs2: Vec<Vec<i8>> = (0..2).map(|_| random_vector(&mut r, n_in)).collect();
    let h0 = random_vector(&mut r, hid);
    let c0: Vec<i32> = if lstm {
        (0..hid).map(|_| r.gen_range(-70_000..70_000)).collect()
    } else {
        vec![]
    };
    let (hs1_ref, c1_ref) = rnn_reference(kind, &passes, &xs1, &h0, &c0);
    let h1_ref = hs1_ref[xs1.len() - 1].clone();
    let (hs2_ref, c2_ref) = rnn_reference(kind, &passes, &xs2, &h1_ref, &c1_ref);

    let mut sim = new_sim_on::<T>();
    let (rep, hs1, h1, c1) = run_rnn(&mut sim, &img, lstm, &xs1, &h0, &c0);
    assert!(rep.ok(), "run 1 error {}", rep.error);
    assert_eq!(hs1, hs1_ref, "H={hid}: run 1 h outputs");
    assert_eq!(h1, h1_ref, "H={hid}: run 1 state h");
    assert_eq!(c1, c1_ref, "H={hid}: run 1 state c (all {hid} values)");
    let (rep, hs2, h2, c2) = run_rnn_from_dram_state(&mut sim, &img, lstm, &xs2, hid);
    assert!(rep.ok(), "run 2 error {}", rep.error);
    assert_eq!(hs2, hs2_ref, "H={hid}: run 2 h outputs");
    assert_eq!(h2, hs2_ref[xs2.len() - 1], "H={hid}: run 2 state h");
    assert_eq!(c2, c2_ref, "H={hid}: run 2 state c");

    // The check is sensitive to the last state word: had it kept its value from before
    // run 1, the reference result of run 2 (h outputs, final c) would differ.
    let (last_h, last_c) = ((hid - 1) / 16 * 16, (hid - 1) / 4 * 4);
    let stale = if lstm {
        let mut c_stale = c1_ref.clone();
        c_stale[last_c..].copy_from_slice(&c0[last_c..]);
        rnn_reference(kind, &passes, &xs2, &h1_ref, &c_stale)
    } else {
        let mut h_stale = h1_ref.clone();
        h_stale[last_h..].copy_from_slice(&h0[last_h..]);
        rnn_reference(kind, &passes, &xs2, &h_stale, &c1_ref)
    };
    assert_ne!(
        stale,
        (hs2_ref, c2_ref),
        "H={hid}: a stale last state word must change the result"
    );
}

fn lstm_second_run_continues_from_written_state<T: EngineUnderTest>() {
    for (k, hid) in [18, 20, 33].into_iter().enumerate() {
        second_run_continues_from_written_state::<T>(LayerKind::Lstm, hid, 40 + k as u64);
    }
}

fn gru_second_run_continues_from_written_state<T: EngineUnderTest>() {
    for (k, hid) in [18, 33].into_iter().enumerate() {
        second_run_continues_from_written_state::<T>(LayerKind::Gru, hid, 60 + k as u64);
    }
}
