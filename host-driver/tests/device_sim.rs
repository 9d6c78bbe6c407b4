//! The driver against the simulated board: identity checks, image load and verification
//! through the pipes, error paths with faults injected into the simulated design, and
//! layer runs compared bit for bit with the integer reference.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::{random, recurrent, rng, write_safetensors, Tensors};
use crew_host::backend::lockstep::Lockstep;
use crew_host::compiler::{compile, CompileOptions};
use crew_host::device::{Device, DeviceConfig, LoadProgress};
use crew_host::error::ErrorClass;
use crew_host::model::{Model, QuantSettings};
use crew_host::transport::sim::{BoardEngine, SimFault, SimTransport};
use crew_host::{Accelerator, LayerState, Package, RunError};
use crew_spec::regmap;
use rand::Rng;

fn package_of(tensors: &Tensors, prefix: &str) -> Package {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    write_safetensors(&path, tensors);
    let model = Model::from_checkpoint(&path, prefix, QuantSettings::default()).unwrap();
    compile(&model, &CompileOptions::default(), &mut |_| {}).unwrap()
}

/// A small GRU layer (the package image spans several pipe blocks with a ragged tail).
fn gru_package() -> Package {
    package_of(&recurrent(&mut rng(11), "gru", "_l0", 3, 24, 16), "gru")
}

fn sim(faults: &[SimFault]) -> Device<SimTransport> {
    Device::open(
        SimTransport::new(faults).unwrap(),
        "sim",
        DeviceConfig::sim(),
    )
    .unwrap()
}

fn inputs(seed: u64, steps: usize, n_in: usize) -> Vec<Vec<i8>> {
    let mut r = rng(seed);
    (0..steps)
        .map(|_| (0..n_in).map(|_| r.gen()).collect())
        .collect()
}

#[test]
fn identity_is_checked_and_the_image_lands_in_dram_verified() {
    let package = gru_package();
    let mut device = sim(&[]);
    assert_eq!(device.identity().design_id, regmap::DESIGN_ID);
    let events = Rc::new(RefCell::new(Vec::new()));
    let seen = events.clone();
    device.set_progress(Box::new(move |p| seen.borrow_mut().push(p)));
    device.load_package(&package).unwrap();
    let c = &package.container;
    // The DRAM model holds the image at its load address (read beside the design).
    let words = c.image.len() / 16;
    assert_eq!(
        device
            .transport()
            .board()
            .dram_read_bytes(c.load_addr as u64, words),
        c.image
    );
    let events = events.borrow();
    let total = c.image.len();
    assert_eq!(
        events.first(),
        Some(&LoadProgress::Write {
            done: total.min(64 * 1024),
            total
        })
    );
    assert_eq!(
        events.last(),
        Some(&LoadProgress::Verify { done: total, total })
    );
    // Reading through the pipe gives the same bytes, also for an unaligned length.
    let back = device
        .read_dram(c.load_addr as u64 + 1, words - 1, "test read")
        .unwrap();
    assert_eq!(back, c.image[16..]);
}

#[test]
fn another_design_or_protocol_version_is_refused() {
    for (fault, what) in [
        ("design-id=0x1234", "0x1234"),
        ("protocol-version=1", "protocol version 1"),
        ("engine-kind=2", "engine kind 2 (dense int8)"),
    ] {
        let fault: SimFault = fault.parse().unwrap();
        let err = Device::open(
            SimTransport::new(&[fault]).unwrap(),
            "sim",
            DeviceConfig::sim(),
        )
        .err()
        .expect("mismatch refused");
        assert_eq!(err.class(), ErrorClass::Bitstream, "{err}");
        let msg = err.to_string();
        assert!(msg.contains(what) && msg.contains("flash"), "{msg}");
    }
}

#[test]
fn an_engine_of_the_expected_kind_but_another_geometry_is_refused() {
    // The board holds the XEM7010 build's CREW engine (16 lanes, depth 1024); the host
    // expects the benchmark's (depth 8192).
    let err = Device::open(
        SimTransport::new(&[]).unwrap(),
        "sim",
        DeviceConfig {
            engine: Some(BoardEngine::Crew16x512.info()),
            ..DeviceConfig::sim()
        },
    )
    .err()
    .expect("mismatch refused");
    assert_eq!(err.class(), ErrorClass::Bitstream, "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(
            "runs engine kind 1 (CREW) with 16 lanes and accumulator depth 1024 (crew), \
             expected engine kind 1 (CREW) with 16 lanes and accumulator depth 8192 \
             (crew-16x512); flash the matching bitstream"
        ),
        "{msg}"
    );
}

#[test]
fn a_truncated_transfer_fails_the_load_and_the_board_recovers() {
    let package = gru_package();
    let mut device = sim(&[SimFault::CutPipeTransfer { after_bytes: 1024 }]);
    let err = device.load_package(&package).unwrap_err();
    assert!(
        matches!(err, RunError::TruncatedTransfer { moved: 1024, .. }),
        "{err}"
    );
    // Not loaded: runs are refused.
    let mut state = LayerState::zeros(crew_spec::image::LayerKind::Gru, 16);
    assert!(matches!(
        device.run(0, &inputs(1, 1, 24), &mut state),
        Err(RunError::NotLoaded { .. })
    ));
    // The abort left the bridge idle: the next load succeeds and verifies.
    device.load_package(&package).unwrap();
}

#[test]
fn a_run_that_never_finishes_times_out_in_device_time() {
    with_big_stack(run_times_out);
}

fn run_times_out() {
    let package = gru_package();
    let config = DeviceConfig {
        run_timeout: Some(Duration::from_micros(200)),
        ..DeviceConfig::sim()
    };
    let mut device = Device::open(
        SimTransport::new(&[SimFault::StallDramAtRun {
            ui_cycles: 10_000_000,
        }])
        .unwrap(),
        "sim",
        config,
    )
    .unwrap();
    device.load_package(&package).unwrap();
    let start = device.transport().board().ui_cycles();
    let mut state = LayerState::zeros(crew_spec::image::LayerKind::Gru, 16);
    let err = device.run(0, &inputs(2, 3, 24), &mut state).unwrap_err();
    assert!(matches!(err, RunError::Timeout { .. }), "{err}");
    // 200 us, but the start trigger, a poll and the abort each take their USB 2.0 time
    // (about 1 ms, simulated while the stalled engine is busy): far fewer cycles than
    // the stall.
    let waited = device.transport().board().ui_cycles() - start;
    assert!(waited < 1_000_000, "{waited} cycles");
}

/// Whether the simulated board has an engine attached (the identity wires report lanes).
fn engine_attached(device: &Device<SimTransport>) -> bool {
    device.identity().engine.lanes > 0
}

/// The simulated design with the engine recurses deeply when it settles: run it on a
/// thread with the main thread's stack size rather than the test harness's 2 MiB.
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn layer_runs_on_the_simulated_board_equal_the_integer_reference() {
    with_big_stack(layer_runs);
}

fn layer_runs() {
    let mut r = rng(31);
    let mut fc = Tensors::new();
    fc.insert("head.weight".into(), random(&mut r, &[37, 24], 0.3));
    fc.insert("head.bias".into(), random(&mut r, &[37], 0.3));
    let cases = [
        ("gru", gru_package(), 24, 16),
        (
            "lstm",
            package_of(&recurrent(&mut rng(12), "lstm", "_l0", 4, 20, 12), "lstm"),
            20,
            12,
        ),
        ("fc", package_of(&fc, "head"), 24, 37),
    ];
    let device = sim(&[]);
    if !engine_attached(&device) {
        eprintln!(
            "skipped: the simulated board reports no engine lanes (crew_hw::board::sim_board has \
             no CrewEngine attached in this build), so layer runs cannot execute"
        );
        return;
    }
    let mut lockstep = Lockstep::new(device);
    for (name, package, n_in, h) in cases {
        lockstep.load(&package).unwrap();
        let kind = package.container.layers[0].kind;
        let mut state = LayerState::zeros(kind, h);
        let out = lockstep.run(0, &inputs(5, 4, n_in), &mut state).unwrap();
        lockstep.run(0, &inputs(6, 2, n_in), &mut state).unwrap();
        let stats = lockstep.take_stats();
        assert!(stats.bit_exact(), "{name}: {:?}", stats.first_mismatch);
        assert_eq!(stats.runs, 2);
        assert!(out.counters.unwrap().cycles > 0, "{name}: cycles counted");
    }
}

/// The stand-in's USB-level faults mean the same on the sim transport (one vocabulary, one
/// facade): the load fails with the FrontPanel error a board would give, naming the call,
/// and the package is not reported loaded.
#[test]
fn usb_faults_fail_like_a_board_with_the_frontpanel_error() {
    let package = gru_package();
    for (fault, expect) in [
        (
            "timeout=WriteToBlockPipeIn",
            "okFrontPanel_WriteToBlockPipeIn failed: Timeout",
        ),
        (
            "disappear-after-bytes=2048",
            "okFrontPanel_WriteToBlockPipeIn failed: DeviceNotOpen",
        ),
    ] {
        let faults = crew_hw::board::sim_board::faults::parse_list(fault).unwrap();
        let mut device = sim(&faults);
        let err = device.load_package(&package).unwrap_err();
        assert_eq!(err.class(), ErrorClass::Runtime, "{fault}: {err}");
        assert!(err.to_string().contains(expect), "{fault}: {err}");
        let mut state = LayerState::zeros(crew_spec::image::LayerKind::Gru, 16);
        assert!(
            device.run(0, &inputs(1, 1, 24), &mut state).is_err(),
            "{fault}: a run after a failed load"
        );
    }
}
