//! `crew-host flash` and `infer --backend board|auto` as processes against the
//! frontpanel-sim stand-in library (OK_FRONTPANEL_LIB): flashing a simulation bitstream,
//! running on the flashed board in the next process (the CREW and the dense design),
//! refusals, every injected fault with its exit code and message, and the library search
//! that never looks in the working directory; and the stand-in's own identity and ConfigureFPGA codes, called directly.

mod common;

use common::{assert_exit, p, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::stand_in;
use crew_firmware::top::BoardEngine;
use rust_hdl_ok_frontpanel_sys::{LIBRARY_ENV, LIBRARY_FILE_NAME};

/// A crew-host process on the stand-in whose configuration lives in `state`.
fn crew_host(state: &Path, faults: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crew-host"))
        .args(args)
        .env(LIBRARY_ENV, stand_in::library())
        .env(frontpanel_sim::STATE_ENV, state)
        .env(frontpanel_sim::FAULTS_ENV, faults)
        .env_remove("CREW_SERIAL")
        .output()
        .unwrap()
}

/// The simulation bitstream, generated once per test process.
fn bitstream() -> &'static Path {
    static BIT: OnceLock<PathBuf> = OnceLock::new();
    BIT.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("stand-in-cli");
        stand_in::simulation_bitstream(&dir)
    })
}

/// A stand-in flashed with the simulation bitstream; its state file.
fn flashed(dir: &Path) -> PathBuf {
    let state = dir.join("stand-in.json");
    let out = crew_host(&state, "", &["flash", p(bitstream())]);
    assert_exit(
        &out,
        0,
        "serial SIM00001 (frontpanel-sim stand-in): configured with",
    );
    state
}

#[test]
fn flash_then_infer_in_the_next_process_is_bit_exact_with_device_and_engine_time() {
    let dir = tempfile::tempdir().unwrap();
    let state = flashed(dir.path());
    let pkg = common::tiny_g2p_package(dir.path());
    let out = crew_host(
        &state,
        "",
        &["infer", p(&pkg), "--backend", "board", "--words", "ab,c"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("(frontpanel-sim stand-in): loaded and verified"),
        "{all}"
    );
    assert!(all.contains("board: 2/2 words bit-exact"), "{all}");
    assert!(all.contains("us per word on the device"), "{all}");

    let out = crew_host(
        &state,
        "",
        &[
            "infer",
            p(&pkg),
            "--backend",
            "board",
            "--json",
            "--words",
            "ab",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let word = &v["words"][0];
    assert_eq!(word["bit_exact"], true, "{v}");
    let device_us = word["device_time_us"].as_f64().unwrap();
    let engine_us = word["design_time_us"].as_f64().unwrap();
    // The word's runs cross USB (inputs, start, polls, outputs): the device takes longer
    // than the engine alone, by at least one USB call per run.
    assert!(engine_us > 0.0, "{v}");
    assert!(device_us > engine_us + 1000.0, "{v}");
    eprintln!("stand-in: {device_us:.1} us per word on the device, engine {engine_us:.1} us");

    // The sim backend reports under the same cost model.
    let out = crew_host(
        &state,
        "",
        &[
            "infer",
            p(&pkg),
            "--backend",
            "sim",
            "--json",
            "--words",
            "ab",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sim_device_us = v["words"][0]["device_time_us"].as_f64().unwrap();
    assert!(sim_device_us > engine_us + 1000.0, "{v}");
    eprintln!("sim backend: {sim_device_us:.1} us per word on the device");
}

#[test]
fn flash_then_infer_hello_world_gives_the_reference_phonemes() {
    let dir = tempfile::tempdir().unwrap();
    let state = flashed(dir.path());
    let words = ["infer", "--words", "hello,world", "--json", "--backend"];
    let run = |backend: &str| {
        let mut args = words.to_vec();
        args.push(backend);
        let out = crew_host(&state, "", &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v
    };
    let reference = run("reference");
    let board = run("board");
    // Both words went to the board as one queue (the sequence program), not a host loop.
    let summary = &board["summary"];
    assert!(summary["words_per_second"].is_number(), "{summary}");
    eprintln!(
        "stand-in queue: words_per_second={}, {} us per word on the device (engine {} us, \
         USB {} us)",
        summary["words_per_second"],
        summary["mean_device_time_per_word_us"],
        summary["engine_us_per_word"],
        summary["usb_us_per_word"]
    );
    for (k, word) in ["hello", "world"].iter().enumerate() {
        assert_eq!(board["words"][k]["word"], *word);
        assert_eq!(board["words"][k]["bit_exact"], true, "{board}");
        assert_eq!(
            board["words"][k]["phonemes"], reference[k]["phonemes"],
            "{board}\n{reference}"
        );
        eprintln!(
            "{word}: {} ({} us on the device, engine {} us)",
            board["words"][k]["phonemes"],
            board["words"][k]["device_time_us"],
            board["words"][k]["design_time_us"]
        );
    }
}

/// Flashes the simulation bitstream of `engine` (flash says `flashed`), runs infer in the
/// next process without `--engine` (the driver runs whichever engine the board reports,
/// the stand-in configures the design again from its state file), then asks for the
/// XEM7010 build's CREW engine, which is refused with `refused`.
fn flash_then_infer_then_ask_for_crew(engine: BoardEngine, flashed: &str, refused: &str) {
    let dir = tempfile::tempdir().unwrap();
    let bit = stand_in::engine_simulation_bitstream(&dir.path().join("build"), engine);
    let state = dir.path().join("stand-in.json");
    let out = crew_host(&state, "", &["flash", p(&bit)]);
    assert_exit(&out, 0, flashed);
    let pkg = common::tiny_g2p_package(dir.path());
    let out = crew_host(
        &state,
        "",
        &["infer", p(&pkg), "--backend", "board", "--words", "ab,c"],
    );
    assert_exit(&out, 0, "board: 2/2 words bit-exact");
    let out = crew_host(
        &state,
        "",
        &[
            "infer",
            p(&pkg),
            "--backend",
            "board",
            "--engine",
            "crew",
            "--words",
            "ab",
        ],
    );
    assert_exit(&out, 2, refused);
}

#[test]
fn a_dense_bitstream_runs_the_dense_design_and_infer_takes_the_engine_from_the_board() {
    flash_then_infer_then_ask_for_crew(
        BoardEngine::Dense,
        "engine kind 2 (dense int8), 16 lanes, accumulator depth 1024",
        "engine kind 2 (dense int8), expected 1 (CREW)",
    );
}

#[test]
fn a_benchmark_configuration_keeps_its_geometry_from_flash_to_the_next_process() {
    // The XEM7010 build's CREW engine is another configuration of the same kind.
    flash_then_infer_then_ask_for_crew(
        BoardEngine::Crew16x512,
        "engine kind 1 (CREW), 16 lanes, accumulator depth 8192",
        "engine kind 1 (CREW) with 16 lanes and accumulator depth 8192 (crew-16x512), \
         expected engine kind 1 (CREW) with 16 lanes and accumulator depth 1024 (crew)",
    );
}

#[test]
fn an_unconfigured_stand_in_answers_as_an_unconfigured_board() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = common::tiny_g2p_package(dir.path());
    let state = dir.path().join("never-flashed.json");
    let out = crew_host(
        &state,
        "",
        &["infer", p(&pkg), "--backend", "board", "--words", "a"],
    );
    assert_exit(&out, 2, "does not run a CREW bitstream: design id 0x0000");
}

#[test]
fn a_bitstream_for_another_board_model_is_refused_before_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let state = flashed(dir.path());
    let configured = std::fs::read(&state).unwrap();
    let other = dir.path().join("other-board.bit");
    std::fs::copy(bitstream(), &other).unwrap();
    let manifest = std::fs::read_to_string(bitstream().with_extension("json")).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    m["board_model"] = "XEM6310-LX45".into();
    std::fs::write(other.with_extension("json"), m.to_string()).unwrap();
    let out = crew_host(&state, "", &["flash", p(&other)]);
    assert_exit(
        &out,
        2,
        "is built for XEM6310-LX45, the board is a XEM7010-A50",
    );
    // The board still runs the earlier configuration.
    assert_eq!(std::fs::read(&state).unwrap(), configured);
}

#[test]
fn each_injected_fault_ends_in_its_exit_code_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let state = flashed(dir.path());
    let pkg = common::tiny_g2p_package(dir.path());
    for (fault, message) in [
        (
            "disappear-after-bytes=1024",
            "okFrontPanel_WriteToBlockPipeIn failed: DeviceNotOpen (-8)",
        ),
        ("short-pipe=512", "the pipe moved 512 of"),
        (
            "timeout=ReadFromBlockPipeOut",
            "okFrontPanel_ReadFromBlockPipeOut failed: Timeout (-2)",
        ),
        (
            "fail-update-wire-outs=2",
            "okFrontPanel_UpdateWireOuts failed: Failed (-1)",
        ),
    ] {
        let out = crew_host(
            &state,
            fault,
            &["infer", p(&pkg), "--backend", "board", "--words", "a"],
        );
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{fault}: {all}");
        assert!(all.contains(message), "{fault}: {all}");
        assert!(!all.contains("loaded and verified"), "{fault}: {all}");
        eprintln!(
            "{fault}: {}",
            all.lines().find(|l| l.starts_with("error")).unwrap_or("")
        );
    }
    // A fault list the stand-in cannot read: no handle, and the stand-in says why.
    let out = crew_host(
        &state,
        "melt=1",
        &["infer", p(&pkg), "--backend", "board", "--words", "a"],
    );
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("unknown fault \"melt\""),
        "{}",
        text(&out)
    );
}

#[test]
fn a_library_planted_in_the_working_directory_is_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = common::tiny_g2p_package(dir.path());
    let planted = dir.path().join(LIBRARY_FILE_NAME);
    std::fs::copy(stand_in::library(), &planted).unwrap();
    let state = dir.path().join("planted.json");
    for args in [
        vec!["infer", p(&pkg), "--backend", "board", "--words", "a"],
        vec!["devices"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_crew-host"))
            .args(&args)
            .current_dir(dir.path())
            .env_remove(LIBRARY_ENV)
            .env_remove("FP_PATH")
            .env(frontpanel_sim::STATE_ENV, &state)
            .output()
            .unwrap();
        let all = text(&out);
        assert!(!all.contains(frontpanel_sim::SERIAL), "{args:?}: {all}");
        assert!(!all.contains(p(&planted)), "{args:?}: {all}");
    }
}

#[test]
fn auto_names_the_places_it_looked_in_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = common::tiny_g2p_package(dir.path());
    let missing = dir.path().join("no").join(LIBRARY_FILE_NAME);
    let out = Command::new(env!("CARGO_BIN_EXE_crew-host"))
        .args(["infer", p(&pkg), "--backend", "auto", "--words", "a"])
        .env(LIBRARY_ENV, &missing)
        .output()
        .unwrap();
    let all = text(&out);
    let line = all
        .lines()
        .find(|l| l.starts_with("auto: no board answered"))
        .unwrap_or_else(|| panic!("{all}"));
    assert!(
        line.contains(&format!("looked in: {}", missing.display())),
        "{line}"
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
}

#[test]
fn the_stand_in_identifies_itself_and_configure_fpga_refuses_with_frontpanel_codes() {
    use rust_hdl_ok_frontpanel_sys::{ErrorName, FrontPanelLibrary, OkHandle};
    use std::sync::Arc;
    // In this process the stand-in has no state file: nothing persists.
    let library = Arc::new(FrontPanelLibrary::load_from(&stand_in::library()).unwrap());
    assert!(library.is_simulated());
    assert_eq!(library.api_version(), (5, 0, 0));
    let handle = OkHandle::try_with_library(library).unwrap();
    assert_eq!(handle.device_serials().unwrap(), [frontpanel_sim::SERIAL]);
    assert!(handle.try_open_with_serial("SIM00002").is_err());
    handle.try_open_with_serial(frontpanel_sim::SERIAL).unwrap();
    assert_eq!(handle.try_board_model().unwrap(), "XEM7010-A50");
    assert_eq!(handle.try_serial_number().unwrap(), frontpanel_sim::SERIAL);
    assert_eq!(handle.try_device_id().unwrap(), frontpanel_sim::DEVICE_ID);

    let design_id = || {
        handle.try_update_wire_outs().unwrap();
        handle
            .try_get_wire_out(crew_spec::regmap::WIRE_OUT_DESIGN_ID as i32)
            .unwrap()
    };
    let refused = |bit: &Path| {
        handle
            .try_configure_fpga(bit)
            .unwrap_err()
            .code()
            .and_then(ErrorName::from_code)
    };
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.bit");
    std::fs::copy(bitstream(), &good).unwrap();
    let manifest_text = std::fs::read_to_string(bitstream().with_extension("json")).unwrap();
    std::fs::write(good.with_extension("json"), &manifest_text).unwrap();
    assert_eq!(design_id(), 0, "unconfigured");
    handle.try_configure_fpga(&good).unwrap();
    assert_eq!(design_id(), crew_spec::regmap::DESIGN_ID);

    // An unreadable file: the FPGA keeps its design.
    assert_eq!(
        refused(&dir.path().join("absent.bit")),
        Some(ErrorName::FileError)
    );
    assert_eq!(design_id(), crew_spec::regmap::DESIGN_ID);

    let variant = |name: &str, contents: &[u8], edit: &dyn Fn(&mut serde_json::Value)| {
        let bit = dir.path().join(format!("{name}.bit"));
        std::fs::write(&bit, contents).unwrap();
        let mut m: serde_json::Value = serde_json::from_str(&manifest_text).unwrap();
        edit(&mut m);
        std::fs::write(bit.with_extension("json"), m.to_string()).unwrap();
        bit
    };
    let contents = std::fs::read(bitstream()).unwrap();
    let other_board = variant("other-board", &contents, &|m| {
        m["board_model"] = "XEM6310-LX45".into()
    });
    let changed = variant("changed", b"another file", &|_| {});
    let other_engine = variant("other-engine", &contents, &|m| {
        m["engine"]["lanes"] = 8.into()
    });
    let no_manifest = dir.path().join("no-manifest.bit");
    std::fs::write(&no_manifest, &contents).unwrap();
    for (bit, code) in [
        (&other_board, ErrorName::InvalidBitstream),
        (&changed, ErrorName::InvalidBitstream),
        (&no_manifest, ErrorName::InvalidBitstream),
        (&other_engine, ErrorName::UnsupportedFeature),
    ] {
        handle.try_configure_fpga(&good).unwrap();
        assert_eq!(refused(bit), Some(code), "{}", bit.display());
        // A failed download leaves the FPGA unconfigured.
        assert_eq!(design_id(), 0, "{}", bit.display());
    }
}
