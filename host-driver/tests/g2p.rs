//! g2p_en end to end: float model vs the tsv, integer reference vs float, inspect vs the
//! model's known CREW statistics.

use std::path::PathBuf;

use crew_host::backend::reference::Reference;
use crew_host::compiler::{compile, CompileOptions};
use crew_host::model::{Granularity, Model};
use crew_host::runner::{decode_float, decode_integer};
use crew_host::Accelerator;

fn model_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/g2p_en")
}

fn words() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/g2p_dev_words.tsv"),
    )
    .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (w, p) = l.split_once('\t').unwrap();
            (
                w.to_string(),
                p.split_whitespace().map(String::from).collect(),
            )
        })
        .collect()
}

#[test]
fn float_model_reproduces_the_word_list_and_integer_reference_tracks_it() {
    let model = Model::from_description(&model_dir()).unwrap();
    let words = words();
    assert_eq!(words.len(), 64);
    for (w, expect) in &words {
        assert_eq!(
            &decode_float(&model, w).unwrap(),
            expect,
            "float model on {w}"
        );
    }
    // The description's default (per-tensor weight scales), then per-row scales.
    for granularity in [None, Some(Granularity::PerRow)] {
        let options = CompileOptions {
            granularity,
            ..CompileOptions::default()
        };
        let package = compile(&model, &options, &mut |_| {}).unwrap();
        let mut reference = Reference::new();
        reference.load(&package).unwrap();
        let mut same = 0;
        for (w, expect) in &words {
            let got = decode_integer(&mut reference, &package, w).unwrap();
            if &got == expect {
                same += 1;
            } else {
                eprintln!("{granularity:?} {w}: integer {got:?}, float {expect:?}");
            }
        }
        eprintln!(
            "granularity {granularity:?} (None = model.toml): integer reference keeps the \
             float phonemes on {same} of 64 words"
        );
        assert!(same >= 60, "only {same} of 64 words match");
    }
}

#[test]
fn inspect_matches_the_model_cards_crew_table() {
    // The model's CREW statistics with per-tensor int8 weights, as first measured:
    // (matrix, mean unique, max unique, bits).
    let table = [
        ("encoder", 0, 110.0, 134, 7..=8),
        ("encoder", 1, 102.0, 125, 7..=7),
        ("decoder", 0, 107.0, 126, 7..=7),
        ("decoder", 1, 84.0, 122, 7..=7),
        ("fc", 0, 50.0, 61, 6..=6),
    ];
    let model = Model::from_description(&model_dir()).unwrap();
    let options = CompileOptions {
        granularity: Some(Granularity::PerTensor),
        ..CompileOptions::default()
    };
    let package = compile(&model, &options, &mut |_| {}).unwrap();
    let stats = crew_host::compiler::inspect::inspect(&package).unwrap();
    assert_eq!(stats.len(), table.len());
    for ((layer, pass, mean, max, bits), s) in table.into_iter().zip(&stats) {
        eprintln!(
            "{layer} pass {pass}: unique mean {:.1} max {} bits {}..{}",
            s.unique_mean, s.unique_max, s.bits_min, s.bits_max
        );
        assert_eq!((s.layer.as_str(), s.pass), (layer, pass));
        assert!(
            (s.unique_mean - mean).abs() < 1.0,
            "{layer}/{pass}: {}",
            s.unique_mean
        );
        assert_eq!(s.unique_max, max, "{layer}/{pass}");
        assert!(
            bits.contains(&s.bits_max),
            "{layer}/{pass}: {} bits",
            s.bits_max
        );
        if layer != "fc" {
            // "Multiplications per input drop 7-9x on the GRU matrices".
            let drop = s.dense_mults as f64 / s.crew_mults as f64;
            assert!((6.9..9.5).contains(&drop), "{layer}/{pass}: {drop}");
        }
    }
}
