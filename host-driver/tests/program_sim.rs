//! Sequence programs through the driver on the simulated board (`crew_spec::program`): the
//! bundled g2p_en model decodes a queue of words in one start, on the CREW and the dense
//! engine, and every step of every word (encoder h, decoder h, projection outputs, token,
//! final state) equals the same program run as a host loop on the integer reference and
//! as a host loop on the same device; bad queues are typed errors before anything runs.

mod common;

use std::path::PathBuf;

use crew_host::backend::lockstep::first_difference;
use crew_host::backend::program::{run_by_steps, ProgramSpec};
use crew_host::backend::reference::Reference;
use crew_host::compiler::{compile, CompileOptions};
use crew_host::device::{Device, DeviceConfig};
use crew_host::error::{ErrorClass, RunError};
use crew_host::model::Model;
use crew_host::runner::{decode_integer, decode_program};
use crew_host::transport::sim::{BoardEngine, SimBoardConfig, SimTransport};
use crew_host::{Accelerator, Package};

fn g2p() -> Package {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/g2p_en");
    let model = Model::from_description(&dir).unwrap();
    compile(&model, &CompileOptions::default(), &mut |_| {}).unwrap()
}

fn sim(engine: BoardEngine) -> Device<SimTransport> {
    let board = SimBoardConfig {
        engine,
        ..SimBoardConfig::default()
    };
    let config = DeviceConfig {
        engine: Some(engine.info()),
        ..DeviceConfig::sim()
    };
    Device::open(SimTransport::with_board(&[], board).unwrap(), "sim", config).unwrap()
}

/// Runs `queue` on `device` in one start and checks its traces against the program as a
/// host loop on the reference.
fn assert_queue_matches_the_reference(
    device: &mut Device<SimTransport>,
    package: &Package,
    spec: &ProgramSpec,
    queue: &[Vec<u16>],
) {
    let out = device.run_program(spec, queue).unwrap().unwrap();
    let mut reference = Reference::new();
    reference.load(package).unwrap();
    let want = run_by_steps(&mut reference, spec, queue).unwrap();
    assert_eq!(out.traces, want.traces);
}

const WORDS: [&str; 3] = ["hello", "world", "queue"];

fn on_chip_equals_both_host_loops(engine: BoardEngine) {
    let package = g2p();
    let spec = ProgramSpec::of(&package)
        .unwrap()
        .expect("g2p has a program");
    let mut device = sim(engine);
    device.load(&package).unwrap();
    let mut reference = Reference::new();
    reference.load(&package).unwrap();
    let d = match &package.info.decoding {
        Some(crew_host::model::Decoding::Seq2seq(d)) => d.clone(),
        None => unreachable!(),
    };
    let sources: Vec<Vec<u16>> = WORDS
        .iter()
        .map(|w| {
            let mut s: Vec<u16> = w
                .chars()
                .map(|c| {
                    d.source_vocab
                        .iter()
                        .position(|v| *v == c.to_string())
                        .unwrap() as u16
                })
                .collect();
            s.push(d.source_end as u16);
            s
        })
        .collect();
    let on_chip = device
        .run_program(&spec, &sources)
        .unwrap()
        .expect("devices run programs on chip");
    let by_reference = run_by_steps(&mut reference, &spec, &sources).unwrap();
    let by_device_steps = run_by_steps(&mut device, &spec, &sources).unwrap();
    for (k, word) in WORDS.iter().enumerate() {
        for (what, other) in [
            ("reference", &by_reference.traces[k]),
            ("device host loop", &by_device_steps.traces[k]),
        ] {
            assert_eq!(
                first_difference(&on_chip.traces[k], other),
                None,
                "word {word} against the {what}"
            );
            assert_eq!(&on_chip.traces[k], other);
        }
        assert_eq!(
            on_chip.traces[k].encoder_h.len(),
            word.len() + 1,
            "one encoder step per character and the end token"
        );
    }
    // The whole queue is one program: its counters cover every layer run of every word.
    let c = on_chip.counters.unwrap();
    let host = by_device_steps.counters.unwrap();
    assert_eq!((c.mults, c.adds), (host.mults, host.adds));
    // DRAM words: the host loop runs each word's encoder steps as one run; the program runs
    // them one by one (descriptor and state read, state written per step), reads its own
    // 4 words once and writes one token word per decoder step.
    let enc_steps: usize = sources.iter().map(Vec::len).sum();
    let dec_steps: usize = on_chip.traces.iter().map(|t| t.decoder.len()).sum();
    let per_step = 4 + 2 * spec.header.state_words as usize;
    assert_eq!(
        c.dram_words as usize,
        host.dram_words as usize
            + per_step * (enc_steps - sources.len())
            + crew_spec::program::PROGRAM_WORDS
            + dec_steps
    );
    assert!(c.cycles >= host.cycles / 2 && c.cycles <= host.cycles * 2);

    // The phonemes: the queued path and the per-word host loop on the reference agree.
    let (phonemes, _) = decode_program(&mut device, &package, &WORDS)
        .unwrap()
        .unwrap();
    for (w, got) in WORDS.iter().zip(&phonemes) {
        assert_eq!(
            got,
            &decode_integer(&mut reference, &package, w).unwrap(),
            "{w}"
        );
    }
}

#[test]
fn a_queue_on_the_crew_engine_equals_the_host_loops_at_every_step() {
    on_chip_equals_both_host_loops(BoardEngine::Crew);
}

#[test]
fn a_queue_on_the_dense_engine_equals_the_host_loops_at_every_step() {
    on_chip_equals_both_host_loops(BoardEngine::Dense);
}

#[test]
fn bad_queues_are_refused_before_anything_runs_and_the_device_still_works() {
    let package = g2p();
    let spec = ProgramSpec::of(&package).unwrap().unwrap();
    let mut device = sim(BoardEngine::Crew);
    device.load(&package).unwrap();
    let end = spec.header.src_end;
    let long = vec![5u16; spec.header.max_src as usize];
    for (sources, says) in [
        (vec![], "0 inputs"),
        (vec![vec![5, 6]], "must end with the source end token"),
        (
            vec![vec![5, end, 6, end]],
            "must end with the source end token",
        ),
        (vec![[long.clone(), vec![end]].concat()], "max_src"),
        (vec![vec![500, end]], "input 0"),
    ] {
        let e = device.run_program(&spec, &sources).unwrap_err();
        assert!(matches!(e, RunError::BadProgramInput { .. }), "{e}");
        assert!(e.to_string().contains(says), "{e}");
        assert_eq!(crew_host::Error::from(e).class(), ErrorClass::Model);
    }
    let ok = vec![vec![10u16, end]];
    assert_queue_matches_the_reference(&mut device, &package, &spec, &ok);
}

/// A stack of two LSTM layers over 6 steps in one start (a run list) on both board engines:
/// every layer's outputs and final state equal the reference's (lockstep), the result
/// equals the reference's layer-by-layer sequence and the device's own one start per
/// layer (`--host-loop`).
#[test]
fn a_layer_stack_runs_in_one_start_bit_exact_on_both_engines() {
    use common::{recurrent, rng, write_safetensors};
    use crew_host::backend::lockstep::Lockstep;
    use crew_host::model::checkpoint::Tensor;
    use crew_host::model::QuantSettings;
    use crew_host::runner::{sequence_integer, sequence_integer_by_layers};
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("lstm.safetensors");
    let mut t = recurrent(&mut rng(9), "lstm", "_l0", 4, 24, 16);
    t.extend(recurrent(&mut rng(10), "lstm", "_l1", 4, 16, 16));
    write_safetensors(&ckpt, &t);
    let model = Model::from_checkpoint(&ckpt, "lstm", QuantSettings::default()).unwrap();
    assert_eq!(model.layers.len(), 2);
    let package = compile(&model, &CompileOptions::default(), &mut |_| {}).unwrap();
    let x = Tensor::new(
        vec![6, 24],
        (0..144)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 60.0)
            .collect(),
    );
    let mut reference = Reference::new();
    reference.load(&package).unwrap();
    let want = sequence_integer(&mut reference, &package, &x).unwrap();
    for engine in [BoardEngine::Crew, BoardEngine::Dense] {
        let mut lockstep = Lockstep::new(sim(engine));
        lockstep.load(&package).unwrap();
        let got = sequence_integer(&mut lockstep, &package, &x).unwrap();
        let stats = lockstep.take_stats();
        assert_eq!(stats.runs, 2, "one comparison per layer of the one start");
        assert!(stats.bit_exact(), "{:?}", stats.first_mismatch);
        assert_eq!(got, want, "{engine:?}");
        let by_layers = sequence_integer_by_layers(&mut lockstep, &package, &x).unwrap();
        assert_eq!(by_layers, want, "{engine:?} one start per layer");
        assert!(lockstep.take_stats().bit_exact());
    }
}

/// A DRAM stall in the middle of a queue: the program misses its deadline, the driver
/// aborts it and reports the typed timeout, a runtime error (exit 1), and no word; the
/// next queue on the same board, without reloading, decodes bit-exactly once the stall is
/// over (its transfer waits for the DRAM).
#[test]
fn a_stalled_queue_times_out_with_the_typed_error_and_the_next_queue_works() {
    use crew_host::transport::sim::SimFault;
    use std::time::Duration;
    let package = g2p();
    let spec = ProgramSpec::of(&package).unwrap().unwrap();
    let board = SimBoardConfig {
        engine: BoardEngine::Crew,
        ..SimBoardConfig::default()
    };
    // 30 ms of stall against a 15 ms deadline (the queue takes about 3 ms); the next
    // transfer may wait out the rest of the stall.
    let fault: SimFault = "stall-dram-at-run=3000000".parse().unwrap();
    let config = DeviceConfig {
        engine: Some(BoardEngine::Crew.info()),
        run_timeout: Some(Duration::from_millis(15)),
        transfer_timeout: Duration::from_millis(50),
        ..DeviceConfig::sim()
    };
    let mut device = Device::open(
        SimTransport::with_board(&[fault], board).unwrap(),
        "sim",
        config,
    )
    .unwrap();
    device.load(&package).unwrap();
    let end = spec.header.src_end;
    let queue = vec![vec![10u16, 11, end], vec![12, end]];
    let e = device.run_program(&spec, &queue).unwrap_err();
    assert!(matches!(e, RunError::Timeout { .. }), "{e}");
    assert_eq!(crew_host::Error::from(e).class(), ErrorClass::Runtime);
    assert_queue_matches_the_reference(&mut device, &package, &spec, &queue);
}

/// A queue's input transfer cut short: the typed truncated-transfer error, no word
/// reported, and the next queue on the same board, without reloading, decodes bit-exactly.
#[test]
fn a_cut_transfer_in_a_queue_is_typed_and_the_next_queue_works() {
    use crew_hw::board::sim_board::Fault;
    let package = g2p();
    let spec = ProgramSpec::of(&package).unwrap().unwrap();
    let mut device = sim(BoardEngine::Crew);
    device.load(&package).unwrap();
    let end = spec.header.src_end;
    let queue = vec![vec![10u16, 11, 12, end], vec![13, end]];
    // The source stream (6 words, 96 bytes) cut after 32 bytes.
    device
        .transport_mut()
        .board_mut()
        .inject(Fault::CutPipeTransfer { after_bytes: 32 });
    let e = device.run_program(&spec, &queue).unwrap_err();
    assert!(matches!(e, RunError::TruncatedTransfer { .. }), "{e}");
    assert_eq!(crew_host::Error::from(e).class(), ErrorClass::Runtime);
    assert_queue_matches_the_reference(&mut device, &package, &spec, &queue);
}
