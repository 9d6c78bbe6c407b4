//! The compiler and the driver check a model against the engine contract
//! (`crew_spec::engine`) before anything is streamed: a layer that does not fit is refused
//! with exit 2 naming the layer, the limit and the configurations that would hold it.
//! Also: `compile` without `--layer` on a checkpoint of several PyTorch modules lists them
//! and prints a description that joins them; a CREW form larger than int8 gets a note.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use crew_host::compiler::{compile, CompileOptions};
use crew_host::device::{Device, DeviceConfig};
use crew_host::error::ErrorClass;
use crew_host::model::{Model, QuantSettings};
use crew_host::transport::sim::SimTransport;
use crew_host::transport::Transport;
use crew_host::{Accelerator, Package, RunError};
use crew_spec::engine::{CREW, MAX_HIDDEN};

fn crew_host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crew-host"))
        .args(args)
        .env_remove("CREW_SIMULATOR")
        .output()
        .unwrap()
}

/// An nn.LSTM with H = 600 (16 inputs): more than the cell unit's 512 units, and its
/// 2,400 gate outputs per pass more than the XEM7010 engines' 1,024 accumulators.
fn large_lstm(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("lstm600.safetensors");
    write_safetensors(&path, &recurrent(&mut rng(3), "lstm", "_l0", 4, 16, 600));
    path
}

#[test]
fn an_lstm_with_600_hidden_units_is_refused_by_compile_and_infer_before_any_transfer() {
    const {
        assert!(
            600 > MAX_HIDDEN,
            "the test needs a layer past the contract's limit"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let ckpt = large_lstm(dir.path());
    let pkg = dir.path().join("lstm600.crew");
    for engine in [&["--engine", "crew"][..], &[]] {
        let mut args = vec!["compile", p(&ckpt), "--layer", "lstm", "-o", p(&pkg)];
        args.extend_from_slice(engine);
        let out = crew_host(&args);
        assert_exit(&out, 2, "layer lstm_l0 does not fit the crew engine");
        assert_exit(
            &out,
            2,
            "hidden size 600 exceeds the hidden-size limit of 512",
        );
        assert_exit(&out, 2, "no engine configuration holds it");
        assert!(!pkg.exists(), "nothing written: {}", text(&out));
    }

    // infer on the simulated board: refused before the board is built or anything moves.
    let x = dir.path().join("x.npy");
    let y = dir.path().join("y.npy");
    crew_host::model::checkpoint::write_npy(
        &x,
        &crew_host::model::checkpoint::Tensor::new(vec![2, 16], vec![0.25; 32]),
    )
    .unwrap();
    let out = crew_host(&[
        "infer",
        p(&ckpt),
        "--layer",
        "lstm",
        "--backend",
        "sim",
        "--input",
        p(&x),
        "--output",
        p(&y),
    ]);
    assert_exit(&out, 2, "hidden-size limit of 512");
    assert!(!text(&out).contains("loaded"), "{}", text(&out));
    assert!(!y.exists());
}

#[test]
fn the_driver_refuses_a_misfit_package_before_streaming_it() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = large_lstm(dir.path());
    let model = Model::from_checkpoint(&ckpt, "lstm", QuantSettings::default()).unwrap();
    let package: Package = compile(&model, &CompileOptions::default(), &mut |_| {}).unwrap();
    let mut device =
        Device::open(SimTransport::new(&[]).unwrap(), "sim", DeviceConfig::sim()).unwrap();
    assert_eq!(device.engine_config(), CREW);
    let before = device.transport().simulation().unwrap().ui_cycles;
    let e = device.load(&package).unwrap_err();
    assert!(matches!(e, RunError::DoesNotFit { .. }), "{e}");
    assert_eq!(e.class(), ErrorClass::Model, "exit 2: {e}");
    assert!(e.to_string().contains("hidden-size limit of 512"), "{e}");
    assert_eq!(
        device.transport().simulation().unwrap().ui_cycles,
        before,
        "not one cycle simulated: nothing was streamed"
    );
}

#[test]
fn a_wide_fc_layer_names_the_configurations_that_hold_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fc.safetensors");
    let mut t = Tensors::new();
    let mut r = rng(5);
    t.insert("head.weight".into(), random(&mut r, &[1500, 8], 0.5));
    t.insert("head.bias".into(), random(&mut r, &[1500], 0.5));
    write_safetensors(&path, &t);
    let pkg = dir.path().join("fc.crew");
    let out = crew_host(&[
        "compile",
        p(&path),
        "--layer",
        "head",
        "-o",
        p(&pkg),
        "--engine",
        "crew",
    ]);
    assert_exit(
        &out,
        2,
        "pass 0 has 1500 outputs, more than the 1024 accumulators",
    );
    assert_exit(
        &out,
        2,
        "configurations that hold it: crew-16x512, dense-4x2048, dense-16x512",
    );
    assert!(!pkg.exists());
    // The benchmark's CREW engine holds it; without --engine it compiles with a note.
    let out = crew_host(&[
        "compile",
        p(&path),
        "--layer",
        "head",
        "-o",
        p(&pkg),
        "--engine",
        "crew-16x512",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::fs::remove_file(&pkg).unwrap();
    let out = crew_host(&["compile", p(&path), "--layer", "head", "-o", p(&pkg)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("note: layer head does not fit the crew engine"),
        "{}",
        text(&out)
    );
    assert!(pkg.exists());
    // infer on the simulated board (crew by default) refuses it with exit 2.
    let out = crew_host(&["infer", p(&pkg), "--backend", "sim", "--words", "a"]);
    assert_exit(&out, 2, "does not fit the crew engine");
}

#[test]
fn compile_without_layer_lists_the_prefixes_and_a_description_that_joins_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tagger.safetensors");
    let mut r = rng(9);
    let mut t = Tensors::new();
    // nn.LSTM(12, 20, num_layers=2) then nn.Linear(20, 6), as a state dict names them.
    t.extend(recurrent(&mut r, "lstm", "_l0", 4, 12, 20));
    t.extend(recurrent(&mut r, "lstm", "_l1", 4, 20, 20));
    t.insert("fc.weight".into(), random(&mut r, &[6, 20], 0.5));
    t.insert("fc.bias".into(), random(&mut r, &[6], 0.5));
    write_safetensors(&path, &t);
    let pkg = dir.path().join("tagger.crew");
    let out = crew_host(&["compile", p(&path), "-o", p(&pkg)]);
    assert_exit(
        &out,
        2,
        "lstm (LSTM, 2 layers, 12 inputs, H 20), fc (Linear, 20 -> 6)",
    );
    assert_exit(&out, 2, "--layer PREFIX");
    // The description printed after the message, used as it is, compiles all three layers
    // in order, each fed by the one before.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let toml: String = stderr
        .lines()
        .skip_while(|l| !l.starts_with("name = "))
        .take_while(|l| !l.starts_with("hint:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(toml.contains("[[layers]]"), "{stderr}");
    let description = dir.path().join("tagger.toml");
    std::fs::write(&description, &toml).unwrap();
    let out = crew_host(&["compile", p(&description), "-o", p(&pkg), "-q"]);
    assert_eq!(out.status.code(), Some(0), "{toml}\n{}", text(&out));
    let package = Package::read(&pkg).unwrap();
    let layers: Vec<(&str, usize, usize)> = package
        .info
        .layers
        .iter()
        .map(|l| (l.name.as_str(), l.n_in, l.n_hidden))
        .collect();
    assert_eq!(
        layers,
        [("lstm_l0", 12, 20), ("lstm_l1", 20, 20), ("fc", 20, 6)]
    );
    // Each layer reads the previous one's outputs: the same as compiling the prefixes alone.
    let alone = Model::from_checkpoint(&path, "lstm", QuantSettings::default()).unwrap();
    assert_eq!(alone.layers[1].input, package.info.layers[1].input);
    assert!(package.info.layers[2].input.is_some());
}

#[test]
fn compile_and_inspect_say_when_the_crew_form_is_larger_than_int8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("untrained.safetensors");
    // Untrained weights: uniform noise, so few values repeat in a column.
    let mut t = Tensors::new();
    let mut r = rng(21);
    t.insert("fc.weight".into(), random(&mut r, &[256, 256], 0.5));
    t.insert("fc.bias".into(), random(&mut r, &[256], 0.5));
    write_safetensors(&path, &t);
    let pkg = dir.path().join("untrained.crew");
    let out = crew_host(&["compile", p(&path), "--layer", "fc", "-o", p(&pkg)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The size from inspect's own per-pass byte counts.
    let json = crew_host(&["inspect", p(&pkg), "--json"]);
    let stats: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let crew = stats[0]["crew_bytes"].as_u64().unwrap();
    let int8 = stats[0]["dense_bytes"].as_u64().unwrap();
    assert_eq!(int8, 256 * 256);
    assert!(
        crew > int8,
        "untrained weights make CREW larger: {crew} vs {int8}"
    );
    let says = format!(
        "layer fc: its CREW form is {:.2}x its int8 form ({crew} bytes against {int8}, {} bytes more)",
        crew as f64 / int8 as f64,
        crew - int8
    );
    assert!(text(&out).contains(&says), "{says}\n{}", text(&out));
    let inspect = crew_host(&["inspect", p(&pkg)]);
    assert!(text(&inspect).contains(&says), "{}", text(&inspect));
    // A layer whose columns repeat few values (four levels) is smaller in CREW form: no note.
    let levels = [-0.5f32, -0.25, 0.25, 0.5];
    let (shape, data) = random(&mut r, &[256, 256], 0.5);
    let data = data
        .iter()
        .map(|v| levels[((v + 0.5) * 3.99) as usize])
        .collect();
    t.insert("fc.weight".into(), (shape, data));
    write_safetensors(&path, &t);
    let out = crew_host(&["compile", p(&path), "--layer", "fc", "-o", p(&pkg)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("CREW form is"), "{}", text(&out));
    let inspect = crew_host(&["inspect", p(&pkg)]);
    assert!(
        !text(&inspect).contains("CREW form is"),
        "{}",
        text(&inspect)
    );
}
