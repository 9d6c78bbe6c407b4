//! Packing then unpacking CREW records rebuilds the quantized matrix exactly.

use crew_host::compiler::crew::{Column, CrewMatrix};
use crew_host::model::IndexWidth;
use crew_spec::image::{encode_record, index_bits};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random int8 matrix whose column i has exactly `uniques[i]` distinct values.
fn matrix_with_uniques(n_out: usize, uniques: &[usize], seed: u64) -> Vec<i8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n_in = uniques.len();
    let mut q = vec![0i8; n_out * n_in];
    for (i, &u) in uniques.iter().enumerate() {
        let mut all: Vec<i8> = (-128..=127).collect();
        all.shuffle(&mut rng);
        let values = &all[..u];
        let mut rows: Vec<usize> = (0..n_out).collect();
        rows.shuffle(&mut rng);
        for (k, &o) in rows.iter().enumerate() {
            q[o * n_in + i] = if k < u {
                values[k]
            } else {
                values[rng.gen_range(0..u)]
            };
        }
    }
    q
}

/// Column unique counts: 1, 256 (when n_out allows) and random ones.
fn shape() -> impl Strategy<Value = (usize, Vec<usize>, u64)> {
    (1usize..700, 1usize..12, any::<u64>()).prop_flat_map(|(n_out, n_in, seed)| {
        let max_u = n_out.min(256);
        let u = prop_oneof![Just(1usize), Just(max_u), 1..=max_u];
        (Just(n_out), proptest::collection::vec(u, n_in), Just(seed))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn int8_records_round_trip((n_out, uniques, seed) in shape(), per_layer in any::<bool>()) {
        let q = matrix_with_uniques(n_out, &uniques, seed);
        let width = if per_layer { IndexWidth::PerLayer } else { IndexWidth::PerColumn };
        let m = CrewMatrix::from_int8(&q, n_out, uniques.len(), width);
        let widest = uniques.iter().map(|&u| index_bits(u)).max().unwrap();
        for (c, &u) in m.columns.iter().zip(&uniques) {
            prop_assert_eq!(c.table.len(), u);
            prop_assert!(c.table.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(c.bits, if per_layer { widest } else { index_bits(u) });
        }
        let words = m.records();
        prop_assert_eq!(words.len(), m.records_words());
        // The records are exactly what crew_spec::image::encode_record writes.
        let spec: Vec<u128> = m
            .columns
            .iter()
            .flat_map(|c| {
                let idx: Vec<u16> = c.indices.iter().map(|&v| v as u16).collect();
                encode_record(&c.table, false, c.bits, &idx)
            })
            .collect();
        prop_assert_eq!(&words, &spec);
        let (back, used) = CrewMatrix::decode(&words, false, uniques.len(), n_out).unwrap();
        prop_assert_eq!(used, words.len());
        let dense: Vec<i16> = q.iter().map(|&v| v as i16).collect();
        prop_assert_eq!(back.dense(), dense);
        prop_assert_eq!(back, m);
    }

    #[test]
    fn int16_records_round_trip(n_out in 1usize..300, n_in in 1usize..6, seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let columns = (0..n_in)
            .map(|_| {
                let u = rng.gen_range(1..=256usize.min(n_out));
                let mut table: Vec<i16> = (0..u).map(|_| rng.gen()).collect();
                table.sort();
                table.dedup();
                let indices = (0..n_out).map(|_| rng.gen_range(0..table.len()) as u8).collect();
                Column { bits: index_bits(table.len()), table, indices }
            })
            .collect();
        let m = CrewMatrix { n_out, n_in, wide: true, columns };
        let words = m.records();
        let spec: Vec<u128> = m
            .columns
            .iter()
            .flat_map(|c| {
                let idx: Vec<u16> = c.indices.iter().map(|&v| v as u16).collect();
                encode_record(&c.table, true, c.bits, &idx)
            })
            .collect();
        prop_assert_eq!(&words, &spec);
        let (back, _) = CrewMatrix::decode(&words, true, n_in, n_out).unwrap();
        prop_assert_eq!(back, m);
    }
}
