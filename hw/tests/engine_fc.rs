//! FC layers on the engine vs the dense integer reference.

mod common;
use common::*;

#[test]
fn fc_small_mixed_widths_matches_reference() {
    let mut r = rng(1);
    let (n_in, n_out) = (21, 37);
    let (p, img) = fc_layer(&mut r, n_in, n_out, false, |c| {
        [1, 2, 3, 5, 17, 100, 256][c % 7]
    });
    let xs: Vec<Vec<i8>> = (0..2).map(|_| random_vector(&mut r, n_in)).collect();
    let mut sim = new_sim();
    let (rep, outs) = run_fc(&mut sim, &img, n_out, &xs);
    assert!(rep.ok(), "error {}", rep.error);
    for (t, x) in xs.iter().enumerate() {
        assert_eq!(outs[t], dense(&p, x), "step {t}");
    }
}
