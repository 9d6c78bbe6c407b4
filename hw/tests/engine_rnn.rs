//! GRU and LSTM steps on the engine vs the integer reference (dense matrices,
//! numerics::requantize and Luts::gru_cell / lstm_cell), state carried across steps.

mod common;
use common::*;
use crew_spec::image::LayerKind;
use rand::Rng;

#[test]
fn gru_several_steps_match_reference() {
    let mut r = rng(11);
    let (n_in, hid, steps) = (24, 20, 3);
    let (passes, img) = rnn_layer(&mut r, LayerKind::Gru, n_in, hid, |c| 1 + (c * 13) % 90);
    let xs: Vec<Vec<i8>> = (0..steps).map(|_| random_vector(&mut r, n_in)).collect();
    let h0 = random_vector(&mut r, hid);
    let (hs_ref, _) = rnn_reference(LayerKind::Gru, &passes, &xs, &h0, &[]);
    let mut sim = new_sim();
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

#[test]
fn lstm_several_steps_match_reference() {
    let mut r = rng(12);
    let (n_in, hid, steps) = (19, 18, 3);
    let (passes, img) = rnn_layer(&mut r, LayerKind::Lstm, n_in, hid, |c| 2 + (c * 29) % 120);
    let xs: Vec<Vec<i8>> = (0..steps).map(|_| random_vector(&mut r, n_in)).collect();
    let h0 = random_vector(&mut r, hid);
    let c0: Vec<i32> = (0..hid).map(|_| r.gen_range(-70_000..70_000)).collect();
    let (hs_ref, c_ref) = rnn_reference(LayerKind::Lstm, &passes, &xs, &h0, &c0);
    let mut sim = new_sim();
    let (rep, hs, h_state, c_state) = run_rnn(&mut sim, &img, true, &xs, &h0, &c0);
    assert!(rep.ok(), "error {}", rep.error);
    for t in 0..steps {
        assert_eq!(hs[t], hs_ref[t], "h at step {t}");
    }
    assert_eq!(h_state, hs_ref[steps - 1]);
    assert_eq!(c_state, c_ref);
    assert_ne!(c_ref, c0);
}

#[test]
fn gru_saturating_gates_and_single_unit() {
    let mut r = rng(13);
    // H = 1 (3 rows, fewer than the lanes) and large multipliers that saturate.
    let (n_in, hid, steps) = (5, 1, 2);
    let (mut passes, _) = rnn_layer(&mut r, LayerKind::Gru, n_in, hid, |_| 4);
    for p in passes.iter_mut() {
        for e in p.epilogue.iter_mut() {
            e.multiplier = 0x7FFF_FFFF;
            e.shift = 9;
        }
    }
    let img =
        crew_hw::layer_image::build_layer(LayerKind::Gru, false, n_in, hid, &passes, IMAGE_BASE);
    let xs: Vec<Vec<i8>> = (0..steps).map(|_| random_vector(&mut r, n_in)).collect();
    let h0 = vec![-77i8];
    let (hs_ref, _) = rnn_reference(LayerKind::Gru, &passes, &xs, &h0, &[]);
    let mut sim = new_sim();
    let (rep, hs, _, _) = run_rnn(&mut sim, &img, false, &xs, &h0, &[]);
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(hs, hs_ref);
}

/// g2p_en-shaped GRU: 256 inputs, H = 256, 768 rows per pass, u_i ~ 100-130.
#[test]
fn gru_g2p_shaped_step_matches_reference() {
    let mut r = rng(14);
    let (n_in, hid, steps) = (256, 256, 2);
    let (passes, img) = rnn_layer(&mut r, LayerKind::Gru, n_in, hid, |c| 100 + (c * 7) % 31);
    let xs: Vec<Vec<i8>> = (0..steps).map(|_| random_vector(&mut r, n_in)).collect();
    let h0 = random_vector(&mut r, hid);
    let (hs_ref, _) = rnn_reference(LayerKind::Gru, &passes, &xs, &h0, &[]);
    let mut sim = new_sim();
    let (rep, hs, h_state, _) = run_rnn(&mut sim, &img, false, &xs, &h0, &[]);
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(hs, hs_ref);
    assert_eq!(h_state, hs_ref[steps - 1]);
    assert_eq!(rep.adds as usize, steps * 2 * 256 * 768);
}
