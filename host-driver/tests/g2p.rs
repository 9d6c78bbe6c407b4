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
    // The matrices as records: the x passes unfolded.
    let options = CompileOptions {
        granularity: Some(Granularity::PerTensor),
        no_token_folding: true,
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

/// The folded x passes (token input, the default) against the same model compiled with
/// them as records: the integer reference gives the same h at every encoder step, the same
/// decoder step, and the same phonemes on all 64 dev words; the folded package really has
/// token-input layers with no x-pass records.
#[test]
fn folded_token_inputs_equal_the_unfolded_layers_at_every_step() {
    use crew_host::backend::LayerState;
    use crew_spec::image::token_input;
    let model = Model::from_description(&model_dir()).unwrap();
    let folded = compile(&model, &CompileOptions::default(), &mut |_| {}).unwrap();
    let unfolded = compile(
        &model,
        &CompileOptions {
            no_token_folding: true,
            ..CompileOptions::default()
        },
        &mut |_| {},
    )
    .unwrap();
    let enc = folded.layer_index("encoder").unwrap();
    let dec = folded.layer_index("decoder").unwrap();
    for (layer, table) in [(enc, "enc_emb"), (dec, "dec_emb")] {
        let e = &folded.container.layers[layer];
        let d = folded.descriptor(layer).unwrap();
        assert!(e.token_input && d.token_input, "layer {layer} folded");
        assert_eq!(e.n_in as usize, folded.embedding(table).unwrap().rows);
        assert_eq!((d.passes[0].n_in, d.passes[0].records_words), (0, 0));
        assert!(!unfolded.container.layers[layer].token_input);
    }
    let mut rf = Reference::new();
    rf.load(&folded).unwrap();
    let mut ru = Reference::new();
    ru.load(&unfolded).unwrap();
    // Every token of each table through its layer, several steps from a non-zero state.
    for (layer, table) in [(enc, "enc_emb"), (dec, "dec_emb")] {
        let emb = unfolded.embedding(table).unwrap();
        let tokens: Vec<usize> = (0..emb.rows).collect();
        let info = &unfolded.info.layers[layer];
        let mut sf = LayerState::zeros(info.kind.spec(), info.n_hidden);
        sf.h.iter_mut()
            .enumerate()
            .for_each(|(j, h)| *h = (j as i8).wrapping_mul(37));
        let mut su = sf.clone();
        let xf: Vec<Vec<i8>> = tokens.iter().map(|&t| token_input(t as u16)).collect();
        let xu: Vec<Vec<i8>> = tokens.iter().map(|&t| emb.row(t).to_vec()).collect();
        let of = rf.run(layer, &xf, &mut sf).unwrap();
        let ou = ru.run(layer, &xu, &mut su).unwrap();
        assert_eq!(of.hidden(), ou.hidden(), "layer {layer}: h at every step");
        assert_eq!(sf.h, su.h);
        // A token past the table is refused.
        let bad = rf.run(layer, &[token_input(emb.rows as u16)], &mut sf);
        assert!(bad.is_err(), "token {} of {}", emb.rows, emb.rows);
    }
    for (w, _) in &words() {
        assert_eq!(
            decode_integer(&mut rf, &folded, w).unwrap(),
            decode_integer(&mut ru, &unfolded, w).unwrap(),
            "{w}"
        );
    }
}
