//! The dense int8 baseline on the simulated board through the driver: `crew-host infer
//! --backend sim --engine dense` bit-exact with the integer reference (every run compared
//! in lockstep, and the phonemes against the reference backend's), the dense image in the
//! simulated DRAM, and the driver's engine-kind checks: a mismatch between the engine
//! asked for and the one the identity wires report, and a kind it does not know.

mod common;

use common::{assert_exit, p, text};
use std::process::{Command, Output};

use crew_host::device::{Device, DeviceConfig};
use crew_host::error::{ErrorClass, RunError};
use crew_host::transport::sim::{BoardEngine, SimBoardConfig, SimTransport};
use crew_host::Package;
use crew_spec::image::words_to_bytes;
use crew_spec::regmap;

fn crew_host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crew-host"))
        .args(args)
        .env_remove("CREW_SERIAL")
        .env_remove("CREW_SIMULATOR")
        .output()
        .unwrap()
}

fn dense_sim(config: DeviceConfig) -> Result<Device<SimTransport>, RunError> {
    let board = SimBoardConfig {
        engine: BoardEngine::Dense,
        ..SimBoardConfig::default()
    };
    Device::open(SimTransport::with_board(&[], board).unwrap(), "sim", config)
}

#[test]
fn infer_on_the_dense_sim_board_is_bit_exact_with_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = common::tiny_g2p_package(dir.path());
    let words = "hello,world,abc";
    let dense = crew_host(&[
        "infer",
        p(&pkg),
        "--backend",
        "sim",
        "--engine",
        "dense",
        "--words",
        words,
        "--json",
    ]);
    assert_eq!(dense.status.code(), Some(0), "{}", text(&dense));
    let reference = crew_host(&["infer", p(&pkg), "--words", words, "--json"]);
    assert_eq!(reference.status.code(), Some(0), "{}", text(&reference));
    let dense: serde_json::Value = serde_json::from_slice(&dense.stdout).unwrap();
    let reference: serde_json::Value = serde_json::from_slice(&reference.stdout).unwrap();
    let reference = reference.as_array().unwrap();
    let summary = &dense["summary"];
    assert_eq!(summary["backend"], "sim");
    assert_eq!(summary["bit_exact_words"], 3, "{summary}");
    assert!(summary["total_cycles"].as_u64().unwrap() > 0, "{summary}");
    for (d, r) in dense["words"].as_array().unwrap().iter().zip(reference) {
        assert_eq!(d["word"], r["word"]);
        assert_eq!(d["phonemes"], r["phonemes"], "{d} vs the reference {r}");
        assert_eq!(d["bit_exact"], true, "{d}");
    }
}

#[test]
fn the_driver_loads_the_dense_image_when_the_board_reports_the_dense_engine() {
    let dir = tempfile::tempdir().unwrap();
    let package = Package::read(&common::tiny_g2p_package(dir.path())).unwrap();
    // Whichever engine the bitstream holds.
    let mut device = dense_sim(DeviceConfig {
        engine: None,
        ..DeviceConfig::sim()
    })
    .unwrap();
    assert_eq!(device.identity().engine.kind, regmap::ENGINE_KIND_DENSE);
    device.load_package(&package).unwrap();
    let c = &package.container;
    let dense = crew_host::compiler::dense::dense_image(&package, c.load_addr).unwrap();
    let bytes = words_to_bytes(&dense.words);
    assert_ne!(
        bytes, c.image,
        "the dense image differs from the CREW image"
    );
    assert_eq!(device.loaded_image_bytes(), Some(bytes.len()));
    assert_eq!(
        device
            .transport()
            .board()
            .dram_read_bytes(c.load_addr as u64, dense.words.len()),
        bytes
    );
}

#[test]
fn the_driver_refuses_another_engine_than_asked_for_naming_both() {
    // The driver asks for CREW, the board holds the dense engine.
    let err = dense_sim(DeviceConfig::sim())
        .err()
        .expect("mismatch refused");
    assert_eq!(err.class(), ErrorClass::Bitstream, "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("engine kind 2 (dense int8), expected 1 (CREW)"),
        "{msg}"
    );
    // Through the CLI: exit code 2, both engines named.
    let out = crew_host(&[
        "infer",
        "--backend",
        "sim",
        "--engine",
        "crew",
        "--sim-fault",
        "engine-kind=2",
        "--words",
        "ab",
    ]);
    assert_exit(&out, 2, "engine kind 2 (dense int8), expected 1 (CREW)");
}

#[test]
fn an_engine_kind_the_driver_does_not_know_is_refused() {
    let out = crew_host(&[
        "infer",
        "--backend",
        "sim",
        "--sim-fault",
        "engine-kind=9",
        "--words",
        "ab",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(
            "runs engine kind 9, which this crew-host does not know (it knows 1 (CREW), 2 \
             (dense int8))"
        ),
        "{}",
        text(&out)
    );
    // The reference backend has no engine to choose.
    let out = crew_host(&["infer", "--engine", "dense", "--words", "ab"]);
    assert_exit(&out, 2, "--engine dense needs a device backend");
    let out = crew_host(&[
        "infer",
        "--backend",
        "sim",
        "--engine",
        "tpu",
        "--words",
        "ab",
    ]);
    assert_exit(
        &out,
        2,
        "unknown engine `tpu` (expected one of: crew, dense, crew-16x512, dense-4x2048, \
         dense-16x512)",
    );
}
