//! The crew-host binary: subcommands, outputs and exit codes.

mod common;

use std::process::{Command, Output};

use common::*;
use crew_host::backend::reference::Reference;
use crew_host::compiler::{compile, CompileOptions};
use crew_host::model::checkpoint::{read_npy, write_npy, Tensor};
use crew_host::model::{Model, QuantSettings};
use crew_host::runner::sequence_integer;
use crew_host::{Accelerator, Package};

fn crew_host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crew-host"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn compile_inspect_and_infer_the_bundled_g2p_model() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("g2p.crew");
    let out = crew_host(&["compile", "-o", p(&pkg), "--quiet"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(Package::read(&pkg).is_ok());

    let out = crew_host(&["inspect", p(&pkg), "--json"]);
    assert!(out.status.success());
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats.as_array().unwrap().len(), 5);
    assert_eq!(stats[0]["layer"], "encoder");
    // The encoder's input is a grapheme embedding (29 rows): its x pass is folded into
    // one block of rows per grapheme, its h pass (256 inputs) stays CREW records.
    assert_eq!(stats[0]["folded_tokens"], 29);
    assert_eq!(stats[0]["bits_mean"].as_f64(), Some(0.0));
    assert_eq!(stats[1]["n_in"], 256);
    assert!(stats[1]["crew_bytes"].as_u64().unwrap() > 0);

    let out = crew_host(&["inspect", p(&pkg)]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("768x256") && text.contains("74x256"),
        "{text}"
    );

    let out = crew_host(&[
        "infer",
        p(&pkg),
        "--backend",
        "reference",
        "--words",
        "hello,world",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, "hello\tHH EH1 L OW0\nworld\tW ER1 L D\n");

    // Model instead of package (default model): float phonemes alongside, JSON.
    let out = crew_host(&["infer", "--words", "accelerator", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expect = "AH0 K S EH1 L ER0 EY2 T ER0";
    assert_eq!(
        v[0]["phonemes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" "),
        expect
    );
    assert_eq!(v[0]["float"], v[0]["phonemes"]);
}

#[test]
fn plain_tensor_inference_matches_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("lstm.safetensors");
    write_safetensors(&ckpt, &recurrent(&mut rng(21), "lstm_cell", "", 4, 12, 16));
    let x = {
        let (shape, data) = random(&mut rng(22), &[7, 12], 2.0);
        Tensor::new(shape, data)
    };
    let xp = dir.path().join("x.npy");
    write_npy(&xp, &x).unwrap();
    let pkg = dir.path().join("lstm.crew");
    let out = crew_host(&[
        "compile",
        p(&ckpt),
        "--layer",
        "lstm_cell",
        "--calibrate",
        p(&xp),
        "-o",
        p(&pkg),
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yp = dir.path().join("y.npy");
    let out = crew_host(&["infer", p(&pkg), "--input", p(&xp), "--output", p(&yp)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let y = read_npy(&yp).unwrap();

    let model = Model::from_checkpoint(&ckpt, "lstm_cell", QuantSettings::default()).unwrap();
    let options = CompileOptions {
        calibration: Some(x.clone()),
        ..CompileOptions::default()
    };
    let package = compile(&model, &options, &mut |_| {}).unwrap();
    let mut reference = Reference::new();
    reference.load(&package).unwrap();
    assert_eq!(y, sequence_integer(&mut reference, &package, &x).unwrap());
    assert_eq!(y.shape, vec![7, 16]);

    // A wrong input width is a model/input problem (exit 2, issue 12).
    let bad = dir.path().join("bad.npy");
    write_npy(&bad, &Tensor::new(vec![2, 5], vec![0.0; 10])).unwrap();
    let out = crew_host(&["infer", p(&pkg), "--input", p(&bad), "--output", p(&yp)]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn exit_codes_separate_model_and_environment_problems() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.crew");
    std::fs::write(&junk, b"CREWPKG\x1a\x02\x00 and then nonsense").unwrap();
    let out = crew_host(&["inspect", p(&junk)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("junk.crew") && err.contains("format_version"),
        "{err}"
    );

    let out = crew_host(&["inspect", p(&dir.path().join("absent.crew"))]);
    assert_eq!(out.status.code(), Some(3));

    let ckpt = dir.path().join("fc.safetensors");
    let mut t = Tensors::new();
    t.insert(
        "fc.weight".into(),
        (vec![2, 2], vec![1.0, f32::NAN, 0.0, 1.0]),
    );
    write_safetensors(&ckpt, &t);
    let out = crew_host(&[
        "compile",
        p(&ckpt),
        "--layer",
        "fc",
        "-o",
        p(&dir.path().join("o.crew")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fc.weight element 1 is NaN"));
}

#[test]
fn an_empty_word_is_an_error() {
    for words in ["hello,,world", "hello,world,"] {
        let out = crew_host(&["infer", "--words", words]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{words}: {err}");
        assert!(err.contains("is empty") && err.contains(words), "{err}");
        assert!(out.stdout.is_empty(), "{words}: no phonemes for any word");
    }
}

#[test]
fn characters_outside_the_vocabulary_are_named_once() {
    let out = crew_host(&["infer", "--words", "r2d2,c3po,ok"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let notes: Vec<&str> = err.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(notes.len(), 1, "{err}");
    assert!(
        notes[0].contains("'2', '3'") && notes[0].contains("<unk>"),
        "{}",
        notes[0]
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");

    let out = crew_host(&["infer", "--words", "hello"]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("note:"));
}

#[test]
fn float_backend_gives_the_float_models_logits_and_models_resolve_by_name() {
    // The float backend's logits are the library's float model's (argmax = the phonemes).
    let out = crew_host(&["infer", "--backend", "float", "--words", "hello", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let model = Model::from_description(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/g2p_en"),
    )
    .unwrap();
    let phonemes: Vec<String> = v[0]["phonemes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    assert_eq!(phonemes, ["HH", "EH1", "L", "OW0"]);
    assert_eq!(
        phonemes,
        crew_host::runner::decode_float(&model, "hello").unwrap()
    );
    let steps = v[0]["logits"].as_array().unwrap();
    assert_eq!(
        steps.len(),
        phonemes.len() + 1,
        "one step per phoneme and </s>"
    );
    assert_eq!(steps[0].as_array().unwrap().len(), 74);

    // A package holds no float model: a usage error (exit 2).
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("g2p.crew");
    assert!(crew_host(&["compile", "-o", p(&pkg), "--quiet"])
        .status
        .success());
    let out = crew_host(&["infer", p(&pkg), "--backend", "float", "--words", "hi"]);
    assert_eq!(out.status.code(), Some(2));

    // A bare name picks a folder of models/: the fine-tuned K = 16 model, 4-bit indices.
    let out = crew_host(&["inspect", "g2p_en_k16", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for s in stats.as_array().unwrap() {
        assert!(s["bits_max"].as_u64().unwrap() <= 4, "{s}");
    }
    let out = crew_host(&["infer", "g2p_en_k16", "--words", "hello"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
