//! FC layers on the engine vs the dense integer reference; every test but the int16 one
//! runs on both engines (`on_both_engines!`).

mod common;
use common::*;

on_both_engines!(
    fc_small_mixed_widths_matches_reference,
    fc_all_unique_256_and_all_single_value_columns,
    fc_outputs_not_multiple_of_lanes_few_outputs_and_zero_inputs,
    fc_counters_count_work,
    back_to_back_runs_in_one_simulation,
);

fn fc_small_mixed_widths_matches_reference<T: EngineUnderTest>() {
    let mut r = rng(1);
    let (n_in, n_out) = (21, 37);
    let (p, img) = fc_layer_on::<T>(&mut r, n_in, n_out, false, |c| {
        [1, 2, 3, 5, 17, 100, 256][c % 7]
    });
    let xs: Vec<Vec<i8>> = (0..2).map(|_| random_vector(&mut r, n_in)).collect();
    let mut sim = new_sim_on::<T>();
    let (rep, outs) = run_fc(&mut sim, &img, n_out, &xs);
    assert!(rep.ok(), "error {}", rep.error);
    for (t, x) in xs.iter().enumerate() {
        assert_eq!(outs[t], dense(&p, x), "step {t}");
    }
}

fn fc_all_unique_256_and_all_single_value_columns<T: EngineUnderTest>() {
    let mut r = rng(2);
    let (n_in, n_out) = (9, 300);
    // Columns alternate u = 256 (8-bit indices) and u = 1 (no index part).
    let (p, img) = fc_layer_on::<T>(
        &mut r,
        n_in,
        n_out,
        false,
        |c| if c % 2 == 0 { 256 } else { 1 },
    );
    assert!(img.unique[0].contains(&256));
    let xs = vec![random_vector(&mut r, n_in)];
    let mut sim = new_sim_on::<T>();
    let (rep, outs) = run_fc(&mut sim, &img, n_out, &xs);
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(outs[0], dense(&p, &xs[0]));
    // Each output adds one product per column.
    assert_eq!(rep.counters.adds as usize, n_in * n_out);
}

fn fc_outputs_not_multiple_of_lanes_few_outputs_and_zero_inputs<T: EngineUnderTest>() {
    let mut r = rng(3);
    for (n_in, n_out) in [(5, 1), (7, 16), (12, 17), (33, 45)] {
        let (p, img) = fc_layer_on::<T>(&mut r, n_in, n_out, false, |c| 1 + (c * 37) % 60);
        let mut xs = vec![vec![0i8; n_in], random_vector(&mut r, n_in)];
        xs[1][0] = -128;
        xs.push(
            (0..n_in)
                .map(|i| if i % 2 == 0 { 0 } else { 127 })
                .collect(),
        );
        let mut sim = new_sim_on::<T>();
        let (rep, outs) = run_fc(&mut sim, &img, n_out, &xs);
        assert!(rep.ok(), "{n_in}x{n_out}: error {}", rep.error);
        for (t, x) in xs.iter().enumerate() {
            assert_eq!(outs[t], dense(&p, x), "{n_in}x{n_out} step {t}");
        }
        // Zero input: outputs are the biases.
        let bias: Vec<i32> = p.epilogue.iter().map(|e| e.bias).collect();
        assert_eq!(outs[0], bias);
    }
}

/// CREW only: the dense layout has int8 weights.
#[test]
fn fc_wide_int16_entries() {
    let mut r = rng(4);
    let (n_in, n_out) = (10, 70);
    let (p, img) = fc_layer(&mut r, n_in, n_out, true, |c| [1, 7, 64, 70, 3][c % 5]);
    let xs = vec![random_vector(&mut r, n_in), random_vector(&mut r, n_in)];
    let mut sim = new_sim();
    let (rep, outs) = run_fc(&mut sim, &img, n_out, &xs);
    assert!(rep.ok(), "error {}", rep.error);
    for (t, x) in xs.iter().enumerate() {
        assert_eq!(outs[t], dense(&p, x), "step {t}");
    }
}

fn fc_counters_count_work<T: EngineUnderTest>() {
    let mut r = rng(5);
    let (n_in, n_out) = (16, 64);
    let (p, img) = fc_layer_on::<T>(&mut r, n_in, n_out, false, |_| 20);
    let xs = vec![random_vector(&mut r, n_in)];
    let mut sim = new_sim_on::<T>();
    let (rep, outs) = run_fc(&mut sim, &img, n_out, &xs);
    assert!(rep.ok());
    assert_eq!(outs[0], dense(&p, &xs[0]));
    assert_eq!(rep.counters.mults as usize, T::fc_mults(&img, n_in, n_out));
    assert_eq!(rep.counters.adds as usize, n_in * n_out);
    assert_eq!(rep.counters.busy_cycles as usize, n_in * n_out / 16);
    // Descriptor + x + records + epilogue read, outputs written.
    let expected_words = 4 + 1 + img.record_words() + n_out + n_out / 4;
    assert_eq!(rep.counters.dram_words as usize, expected_words);
    assert!(rep.counters.cycles as u64 <= rep.wall_cycles && rep.counters.cycles > 0);
}

fn back_to_back_runs_in_one_simulation<T: EngineUnderTest>() {
    let mut r = rng(6);
    let (p, img) = fc_layer_on::<T>(&mut r, 20, 50, false, |_| 30);
    let mut sim = new_sim_on::<T>();
    for _ in 0..2 {
        let xs = vec![random_vector(&mut r, 20)];
        let (rep, outs) = run_fc(&mut sim, &img, 50, &xs);
        assert!(rep.ok());
        assert_eq!(outs[0], dense(&p, &xs[0]));
    }
}
