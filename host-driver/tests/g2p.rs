//! g2p_en end to end: float model vs the tsv, integer reference vs float, inspect vs MODEL.md.

use std::path::PathBuf;

use crew_host::compiler::{compile, CompileOptions};
use crew_host::model::{Granularity, Model};
use crew_host::reference::Reference;
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
    // The description's default (per-row weight scales), then per-tensor scales.
    for granularity in [None, Some(Granularity::PerTensor)] {
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
