//! The `devices`, `flash` and `infer --backend sim|board|auto` subcommands as processes:
//! outputs, exit codes and error paths (faults injected into the simulated board).

mod common;

use common::{assert_exit, p, text};
use std::path::Path;
use std::process::{Command, Output};

use common::{recurrent, rng, write_safetensors};
use rust_hdl_ok_frontpanel_sys::FrontPanelLibrary;

fn crew_host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crew-host"))
        .args(args)
        .env_remove("CREW_SERIAL")
        .output()
        .unwrap()
}

/// A small GRU package (fast to load into the simulated board).
fn small_package(dir: &Path) -> std::path::PathBuf {
    let ckpt = dir.join("gru.safetensors");
    write_safetensors(&ckpt, &recurrent(&mut rng(3), "gru", "_l0", 3, 24, 16));
    let pkg = dir.join("gru.crew");
    let out = crew_host(&["compile", p(&ckpt), "--layer", "gru", "-o", p(&pkg), "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    pkg
}

fn frontpanel_missing() -> bool {
    FrontPanelLibrary::load().is_err()
}

#[test]
fn devices_lists_boards_or_says_why_there_are_none() {
    let out = crew_host(&["devices"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("no boards found") || stdout.contains("serial"),
        "{}",
        text(&out)
    );
    if !Path::new("/dev/bus/usb").exists() {
        assert!(stdout.contains("USB is not available"), "{}", text(&out));
    }
    if frontpanel_missing() {
        assert!(
            stdout.contains("FrontPanel library: not found"),
            "{}",
            text(&out)
        );
        assert!(stdout.contains("OK_FRONTPANEL_LIB"), "{}", text(&out));
    }
    let out = crew_host(&["devices", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["boards"].is_array());
}

#[test]
fn flash_checks_the_manifest_before_touching_a_board() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let bit = dir.path().join("crew-xem7010-0123456789abcdef.bit");
    let contents = b"not really a bitstream";
    std::fs::write(&bit, contents).unwrap();
    // No manifest: a bitstream problem (2).
    let out = crew_host(&["flash", p(&bit)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("has no manifest"), "{}", text(&out));
    let sha: String = Sha256::digest(contents)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let manifest = dir.path().join("crew-xem7010-0123456789abcdef.json");
    let write = |protocol: u16, sha: &str| {
        let m = serde_json::json!({
            "design_hash": "0123456789abcdef",
            "design_id": crew_spec::regmap::DESIGN_ID,
            "protocol_version": protocol,
            "image_format_version": crew_spec::image::IMAGE_FORMAT_VERSION,
            "board_model": "XEM7010-A50",
            "fpga_part": "xc7a50tfgg484-1",
            "engine": {"kind": "crew", "kind_code": 1, "lanes": 16, "acc_depth": 1024},
            "bitstream_sha256": sha,
            "bitstream_file": "crew-xem7010-0123456789abcdef.bit",
        });
        std::fs::write(&manifest, m.to_string()).unwrap()
    };
    // The file does not match the manifest's checksum (2).
    write(crew_spec::regmap::PROTOCOL_VERSION, &"0".repeat(64));
    let out = crew_host(&["flash", p(&bit)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("sha256"), "{}", text(&out));
    // A manifest for another register map version: refused (2) before opening a board.
    write(crew_spec::regmap::PROTOCOL_VERSION + 1, &sha);
    let out = crew_host(&["flash", p(&bit)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("protocol version"), "{}", text(&out));
    // A matching manifest: the next step needs FrontPanel and a board.
    write(crew_spec::regmap::PROTOCOL_VERSION, &sha);
    let out = crew_host(&["flash", p(&bit)]);
    if frontpanel_missing() {
        assert_exit(&out, 3, "hint: install Opal Kelly FrontPanel");
    } else {
        assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    }
    // A missing bitstream file is an environment problem (3).
    let out = crew_host(&["flash", p(&dir.path().join("absent.bit"))]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

#[test]
fn board_backend_without_frontpanel_is_an_environment_problem() {
    if !frontpanel_missing() {
        eprintln!("skipped: the FrontPanel library loads on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pkg = small_package(dir.path());
    let out = crew_host(&["infer", p(&pkg), "--backend", "board", "--words", "a"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("OK_FRONTPANEL_LIB"), "{}", text(&out));
}

#[test]
fn sim_backend_refuses_another_bitstream_and_auto_says_it_fell_back() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = small_package(dir.path());
    let out = crew_host(&[
        "infer",
        p(&pkg),
        "--backend",
        "sim",
        "--sim-fault",
        "protocol-version=7",
        "--words",
        "a",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("protocol version 7"), "{}", text(&out));

    let out = crew_host(&[
        "infer",
        p(&pkg),
        "--backend",
        "auto",
        "--sim-fault",
        "design-id=0xbeef",
        "--words",
        "a",
    ]);
    if frontpanel_missing() {
        assert!(
            text(&out).contains("using the simulated board"),
            "{}",
            text(&out)
        );
    }
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("0xbeef"), "{}", text(&out));
}

#[test]
fn sim_backend_reports_truncated_transfers_timeouts_and_corrupt_packages() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = small_package(dir.path());
    let x = dir.path().join("x.npy");
    crew_host::model::checkpoint::write_npy(
        &x,
        &crew_host::model::checkpoint::Tensor::new(vec![3, 24], vec![0.25; 72]),
    )
    .unwrap();
    let y = dir.path().join("y.npy");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "infer",
            p(&pkg),
            "--backend",
            "sim",
            "--input",
            p(&x),
            "--output",
            p(&y),
        ];
        args.extend_from_slice(extra);
        crew_host(&args)
    };
    let out = run(&["--sim-fault", "cut-transfer=512"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("moved 512 of"), "{}", text(&out));

    let out = run(&[
        "--sim-fault",
        "stall-dram-at-run=50000000",
        "--run-timeout-ms",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("timed out"), "{}", text(&out));
    assert!(!y.exists(), "no output written after a failed run");

    // A package with a flipped image byte fails its checksum: a package problem (2).
    let mut bytes = std::fs::read(&pkg).unwrap();
    let n = bytes.len();
    bytes[n - 40] ^= 0x55;
    let bad = dir.path().join("corrupt.crew");
    std::fs::write(&bad, bytes).unwrap();
    let out = crew_host(&["infer", p(&bad), "--backend", "sim", "--words", "a"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("corrupt.crew"), "{}", text(&out));
}

/// `infer --json` on the tiny g2p package with extra arguments and environment.
fn infer_tiny(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let pkg = common::tiny_g2p_package(dir);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crew-host"));
    cmd.args([
        "infer",
        p(&pkg),
        "--backend",
        "sim",
        "--json",
        "--words",
        "ab",
    ])
    .args(extra)
    .env_remove("CREW_SIMULATOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn bit_exact_words(out: &Output) -> u64 {
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)));
    v["summary"]["bit_exact_words"].as_u64().unwrap()
}

#[test]
fn both_simulators_run_infer_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    for simulator in ["verilator", "rust-hdl"] {
        let out = infer_tiny(dir.path(), &["--simulator", simulator], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert_eq!(bit_exact_words(&out), 1, "{simulator}: {}", text(&out));
    }
    let out = infer_tiny(dir.path(), &[], &[("CREW_SIMULATOR", "icarus")]);
    assert_exit(&out, 2, "unknown simulator `icarus`");
}

#[test]
fn without_verilator_the_sim_backend_says_so_and_falls_back_to_rust_hdl() {
    let dir = tempfile::tempdir().unwrap();
    // A PATH without verilator, g++ and make.
    let empty = tempfile::tempdir().unwrap();
    let out = infer_tiny(dir.path(), &[], &[("PATH", p(empty.path()))]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("falls back to rust-hdl").count(),
        1,
        "said once: {stderr}"
    );
    assert!(stderr.contains("apt-get install verilator"), "{stderr}");
    // Progress lines on rust-hdl although stderr is a pipe, not a terminal: the load and
    // each word with the UI cycles simulated so far.
    assert!(
        stderr.contains("sim (rust-hdl): loading") && stderr.contains("a progress line every"),
        "{stderr}"
    );
    let word_line = stderr
        .lines()
        .find(|l| l.starts_with("sim (rust-hdl): word 1/1 (ab) done after"))
        .unwrap_or_else(|| panic!("a line for the word: {stderr}"));
    let cycles: u64 = word_line
        .split(", ")
        .find_map(|part| part.strip_suffix(" UI cycles simulated"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("simulated cycles in {word_line:?}"));
    // The UI clock ran at least the engine cycles the counters report for the word.
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let engine_cycles = v["words"][0]["cycles"].as_u64().unwrap();
    assert!(
        cycles > engine_cycles,
        "{word_line}: engine {engine_cycles}"
    );
    assert!(word_line.ends_with("all words done"), "{word_line}");
    assert_eq!(bit_exact_words(&out), 1);
}

#[test]
fn vcd_writes_a_waveform_of_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let vcd = dir.path().join("run.vcd");
    let out = infer_tiny(dir.path(), &["--vcd", p(&vcd)], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let wave = std::fs::read_to_string(&vcd).unwrap();
    assert!(wave.contains("$enddefinitions"), "a VCD header");
    assert!(
        wave.contains("ui_clk") && wave.contains("engine"),
        "the design's signals"
    );
    assert!(
        wave.lines().filter(|l| l.starts_with('#')).count() > 1000,
        "many time steps"
    );
}
