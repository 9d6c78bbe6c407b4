//! Hardware-in-the-loop: the board path of the driver (rust-hdl-ok-frontpanel-sys loading
//! a FrontPanel library, `BoardTransport`, `Device`) with one test body for two targets:
//! - a real XEM7010 configured with a CREW bitstream, when CREW_HIL_SERIAL names one
//!   (`scripts/hil.sh`);
//! - otherwise the frontpanel-sim stand-in library, configured here with a simulation
//!   bitstream (in the normal suite).
//!
//! Every test prints which target it ran on. The tests share the one device of the
//! process, one at a time.

mod common;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use common::{recurrent, rng, stand_in, write_safetensors};
use crew_host::compiler::{compile, CompileOptions};
use crew_host::device::{Device, DeviceConfig};
use crew_host::lockstep::Lockstep;
use crew_host::model::{Model, QuantSettings};
use crew_host::runner::{decode_float, decode_integer, sequence_integer};
use crew_host::transport::board::{attached_serials, BoardTransport};
use crew_host::transport::Transport;
use crew_host::Accelerator;
use crew_spec::regmap;
use rust_hdl_ok_frontpanel_sys::LIBRARY_ENV;

/// The device the tests run on.
enum Target {
    Board { serial: String },
    StandIn,
}

impl Target {
    fn serial(&self) -> Option<&str> {
        match self {
            Target::Board { serial } => Some(serial),
            Target::StandIn => None,
        }
    }
}

/// A real board when CREW_HIL_SERIAL names an attached one (a named board that is not
/// attached fails the tests); else the stand-in, configured with a simulation bitstream.
fn setup() -> Target {
    if let Ok(serial) = std::env::var("CREW_HIL_SERIAL") {
        let attached = attached_serials().expect("FrontPanel lists the boards");
        assert!(
            attached.contains(&serial),
            "CREW_HIL_SERIAL={serial} is not attached (attached: {attached:?})"
        );
        return Target::Board { serial };
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hil-stand-in");
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);
    // Set before the first FrontPanel call of the process, which reads them.
    std::env::set_var(LIBRARY_ENV, stand_in::library());
    std::env::set_var(frontpanel_sim::STATE_ENV, &state);
    std::env::remove_var(frontpanel_sim::FAULTS_ENV);
    let bit = stand_in::simulation_bitstream(&dir);
    let mut board = BoardTransport::open(None).expect("open the stand-in");
    board.configure(&bit).expect("configure the stand-in");
    Target::StandIn
}

/// The device, for one test at a time.
fn open(test: &str) -> (MutexGuard<'static, ()>, Device<BoardTransport>) {
    static TARGET: OnceLock<Target> = OnceLock::new();
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let guard = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let target = TARGET.get_or_init(setup);
    let transport = BoardTransport::open(target.serial()).expect("open the board");
    eprintln!(
        "{test}: hardware-in-the-loop on {}",
        match target {
            Target::Board { .. } => format!("the real board {}", transport.describe()),
            Target::StandIn => format!("the stand-in {}", transport.describe()),
        }
    );
    let device = Device::open(transport, "board", DeviceConfig::board()).expect("CREW bitstream");
    (guard, device)
}

#[test]
fn hil_identity_and_dram_round_trip() {
    let (_one, mut device) = open("hil_identity_and_dram_round_trip");
    let id = device.identity();
    assert_eq!(id.design_id, regmap::DESIGN_ID);
    assert_eq!(id.protocol_version, regmap::PROTOCOL_VERSION);
    // Two 512-byte blocks and a 48-byte tail.
    let data: Vec<u8> = (0..1024 + 48).map(|i| (i * 7 + 3) as u8).collect();
    device.write_dram(4096, &data, "HIL write").unwrap();
    assert_eq!(
        device.read_dram(4096, data.len() / 16, "HIL read").unwrap(),
        data
    );
}

#[test]
fn hil_small_gru_runs_are_bit_exact_with_the_reference() {
    let (_one, device) = open("hil_small_gru_runs_are_bit_exact_with_the_reference");
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("gru.safetensors");
    write_safetensors(&ckpt, &recurrent(&mut rng(5), "gru", "_l0", 3, 24, 16));
    let model = Model::from_checkpoint(&ckpt, "gru", QuantSettings::default()).unwrap();
    let package = compile(&model, &CompileOptions::default(), &mut |_| {}).unwrap();
    let mut lockstep = Lockstep::new(device);
    lockstep.load(&package).unwrap();
    let x = crew_host::model::checkpoint::Tensor::new(vec![3, 24], vec![0.25; 72]);
    sequence_integer(&mut lockstep, &package, &x).unwrap();
    let stats = lockstep.take_stats();
    assert!(stats.runs > 0);
    assert!(stats.bit_exact(), "{:?}", stats.first_mismatch);
    eprintln!(
        "{} runs bit-exact, {} cycles",
        stats.runs, stats.counters.cycles
    );
}

#[test]
fn hil_g2p_words_are_bit_exact_with_the_reference() {
    let (_one, device) = open("hil_g2p_words_are_bit_exact_with_the_reference");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/g2p_en");
    let model = Model::from_description(&dir).unwrap();
    let package = compile(&model, &CompileOptions::default(), &mut |_| {}).unwrap();
    let mut lockstep = Lockstep::new(device);
    lockstep.load(&package).unwrap();
    for word in ["hello", "world", "accelerator"] {
        let phonemes = decode_integer(&mut lockstep, &package, word).unwrap();
        let stats = lockstep.take_stats();
        assert!(stats.bit_exact(), "{word}: {:?}", stats.first_mismatch);
        eprintln!(
            "{word}: {} ({} cycles; float: {})",
            phonemes.join(" "),
            stats.counters.cycles,
            decode_float(&model, word).unwrap().join(" ")
        );
    }
}
