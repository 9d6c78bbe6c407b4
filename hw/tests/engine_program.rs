//! Sequence programs (`crew_spec::program`): a queue of inputs decoded greedily on the
//! engine (encoder over the source tokens, decoder step, projection, argmax, until the end
//! token or max_steps) in one start. Every word of every input's trace slot is checked
//! against the independent integer reference of the unfolded layers (embedding rows,
//! dense matrices, `requantize` and a first-index argmax written here), on both engines;
//! and bad programs and sources end in their typed errors, after which plain runs work.

mod common;
use common::*;

on_both_engines!(
    a_queue_of_inputs_decodes_like_the_reference_at_every_step,
    a_bad_program_or_a_source_without_its_end_token_is_a_typed_error,
);

use common::program::*;
use crew_hw::testbench::engine::{EngineDdrSim, RunRequest};
use crew_spec::program::ProgramHeader;
use crew_spec::regmap::ErrorCode;

/// Loads the model's layers and program (`model_images`) into the simulation's DRAM.
fn load_model<T: EngineUnderTest>(
    sim: &mut EngineDdrSim<T::Engine>,
    m: &Model,
    max_src: u16,
    max_steps: u16,
) -> ProgramHeader {
    let (p, blocks) = model_images::<T>(m, max_src, max_steps);
    for (addr, words) in blocks {
        sim.ddr().load_words(addr as u64, &words);
    }
    p
}

/// The trace slots of inputs of `(source steps, decoder steps)` (packed back to back from
/// TRACE_ADDR), read from the simulation's DRAM; checks that the engine's trace end is
/// right past the last.
fn read_slots<E: crew_hw::engine::Engine>(
    sim: &mut EngineDdrSim<E>,
    p: &ProgramHeader,
    lens: &[(usize, usize)],
) -> Vec<Trace> {
    let mut at = TRACE_ADDR as u64;
    let mut traces = vec![];
    for &(n_src, n_dec) in lens {
        let len = p.slot_len(n_src, n_dec);
        let words = sim.ddr().read_words(at, len);
        traces.push(read_trace(p, &words, n_src, n_dec));
        at += len as u64;
    }
    assert_eq!(
        sim.run_port().trace_end.val().index() as u64,
        at,
        "trace end"
    );
    traces
}

fn program_request(n: usize) -> RunRequest {
    RunRequest {
        desc_addr: PROGRAM_ADDR,
        in_addr: SOURCE_ADDR,
        out_addr: TRACE_ADDR,
        state_addr: 0,
        steps: n as u16,
    }
}

fn a_queue_of_inputs_decodes_like_the_reference_at_every_step<T: EngineUnderTest>() {
    let m = model::<T>(41);
    let mut sim = new_sim_on::<T>();
    let max_steps = 5;
    let p = load_model::<T>(&mut sim, &m, 8, max_steps);
    let inputs: Vec<Vec<u16>> = vec![
        vec![4, 5, 0, SRC_END],
        vec![SRC_END],
        vec![3, 2, 2, 5, 4, 0, SRC_END],
    ];
    sim.ddr()
        .load_words(SOURCE_ADDR as u64, &source_stream(&inputs));
    let (rep, done) = sim
        .run_program(program_request(inputs.len()), 50_000_000)
        .expect("program completes");
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(done as usize, inputs.len());
    let wants: Vec<Trace> = inputs.iter().map(|s| reference(&m, s, max_steps)).collect();
    let lens: Vec<(usize, usize)> = inputs
        .iter()
        .zip(&wants)
        .map(|(s, w)| (s.len(), w.dec.len()))
        .collect();
    let ended = wants
        .iter()
        .filter(|w| w.dec.last().unwrap().2 == TGT_END)
        .count();
    for (k, (got, want)) in read_slots(&mut sim, &p, &lens)
        .iter()
        .zip(&wants)
        .enumerate()
    {
        assert_eq!(got, want, "input {k}");
    }
    // The counters cover the whole program: every weight of W_hh once per step (encoder and
    // decoder), every projection weight once per decoder step.
    let enc_steps: usize = inputs.iter().map(Vec::len).sum();
    let dec_steps: usize = inputs
        .iter()
        .map(|s| reference(&m, s, max_steps).dec.len())
        .sum();
    assert_eq!(
        rep.counters.adds as usize,
        (enc_steps + dec_steps) * 3 * H * H + dec_steps * H * V_TGT
    );
    eprintln!("{ended} of {} inputs ended on the end token", inputs.len());

    // max_steps = 1: every input stops after one decoder step, end token or not.
    let p = load_model::<T>(&mut sim, &m, 8, 1);
    let (rep, done) = sim
        .run_program(program_request(inputs.len()), 50_000_000)
        .expect("program completes");
    assert!(
        rep.ok() && done as usize == inputs.len(),
        "error {}",
        rep.error
    );
    let lens: Vec<(usize, usize)> = inputs.iter().map(|s| (s.len(), 1)).collect();
    for (k, (src, got)) in inputs
        .iter()
        .zip(read_slots(&mut sim, &p, &lens))
        .enumerate()
    {
        let want = reference(&m, src, 1);
        assert_eq!(want.dec.len(), 1);
        assert_eq!(got, want, "input {k}");
    }
}

fn a_bad_program_or_a_source_without_its_end_token_is_a_typed_error<T: EngineUnderTest>() {
    let m = model::<T>(42);
    let mut sim = new_sim_on::<T>();
    let p = load_model::<T>(&mut sim, &m, 4, 3);
    // The second input has no end token within max_src = 4 steps: the first is finished,
    // the second is not.
    let inputs = vec![vec![4, SRC_END], vec![0, 0, 0, 0, 0, SRC_END]];
    sim.ddr()
        .load_words(SOURCE_ADDR as u64, &source_stream(&inputs));
    let (rep, done) = sim.run_program(program_request(2), 50_000_000).unwrap();
    assert_eq!(rep.error, ErrorCode::SourceTooLong as u8);
    assert_eq!(done, 1);

    // A program whose encoder is the FC projection: the core refuses the layer.
    let wrong = ProgramHeader {
        encoder_addr: p.projection_addr,
        ..p
    };
    sim.ddr().load_words(PROGRAM_ADDR as u64, &wrong.to_words());
    let (rep, done) = sim.run_program(program_request(1), 5_000_000).unwrap();
    assert_eq!(rep.error, ErrorCode::BadProgram as u8);
    assert_eq!(done, 0);

    // A program word with another kind byte.
    let mut words = p.to_words();
    words[0] &= !0xFF;
    sim.ddr().load_words(PROGRAM_ADDR as u64, &words);
    let (rep, _) = sim.run_program(program_request(1), 5_000_000).unwrap();
    assert_eq!(rep.error, ErrorCode::BadProgram as u8);

    // The good program runs after all that.
    sim.ddr().load_words(PROGRAM_ADDR as u64, &p.to_words());
    let (rep, done) = sim.run_program(program_request(1), 50_000_000).unwrap();
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(done, 1);
    let want = reference(&m, &inputs[0], 3);
    assert_eq!(read_slots(&mut sim, &p, &[(2, want.dec.len())]), vec![want]);
}

on_both_engines!(a_run_list_runs_a_stack_over_all_steps_in_one_start);

/// A run list (`crew_spec::program` "Run lists"): an LSTM over 5 steps, then an FC layer
/// on its h of every step, in one start; checked against the reference of each layer;
/// then an entry of the wrong kind stops the list with `BadProgram` after the entries
/// before it.
fn a_run_list_runs_a_stack_over_all_steps_in_one_start<T: EngineUnderTest>() {
    use crew_hw::testbench::layer_image::{pack_i8_vectors, unpack_i32, unpack_i8};
    use crew_spec::image::{vector_words_i32, vector_words_i8, LayerKind};
    use crew_spec::program::{run_list_words, RunEntry};
    let mut r = rng(44);
    let (n_in, hid, n_out, steps) = (12, 16, 9, 5);
    let (lstm, _) = rnn_layer_on::<T>(&mut r, LayerKind::Lstm, n_in, hid, |c| 1 + c % 30);
    let (fc, _) = fc_layer_on::<T>(&mut r, hid, n_out, false, |c| 2 + c % 7);
    let lstm_img = T::build_layer(LayerKind::Lstm, false, n_in, hid, &lstm, 0x1000);
    let fc_img = T::build_layer(
        LayerKind::Fc,
        false,
        hid,
        n_out,
        std::slice::from_ref(&fc),
        0x2800,
    );
    let xs: Vec<Vec<i8>> = (0..steps).map(|_| random_vector(&mut r, n_in)).collect();
    let mut sim = new_sim_on::<T>();
    load(&mut sim, &lstm_img);
    load(&mut sim, &fc_img);
    let (x_addr, h_addr, y_addr, state_addr, list_addr) = (
        0x40_0000u32,
        0x41_0000u32,
        0x42_0000u32,
        0x43_0000u32,
        0x44_0000u32,
    );
    sim.ddr().load_words(x_addr as u64, &pack_i8_vectors(&xs));
    // The LSTM's state (h, then c) starts at zero.
    sim.ddr().load_words(
        state_addr as u64,
        &vec![0u128; vector_words_i8(hid) + vector_words_i32(hid)],
    );
    let entries = [
        RunEntry {
            desc_addr: lstm_img.desc_addr,
            in_addr: x_addr,
            out_addr: h_addr,
            state_addr,
            steps: steps as u16,
        },
        RunEntry {
            desc_addr: fc_img.desc_addr,
            in_addr: h_addr,
            out_addr: y_addr,
            state_addr: 0,
            steps: steps as u16,
        },
    ];
    sim.ddr()
        .load_words(list_addr as u64, &run_list_words(&entries));
    let req = RunRequest {
        desc_addr: list_addr,
        in_addr: 0,
        out_addr: 0,
        state_addr: 0,
        steps: 1,
    };
    let (rep, done) = sim.run_program(req, 50_000_000).unwrap();
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(done, 2);
    let (hs, _) = rnn_reference(LayerKind::Lstm, &lstm, &xs, &vec![0; hid], &vec![0; hid]);
    let (vh, vy) = (vector_words_i8(hid), vector_words_i32(n_out));
    for (t, want_h) in hs.iter().enumerate() {
        let h = unpack_i8(
            &sim.ddr().read_words((h_addr as usize + t * vh) as u64, vh),
            hid,
        );
        assert_eq!(&h, want_h, "LSTM step {t}");
        let y = unpack_i32(
            &sim.ddr().read_words((y_addr as usize + t * vy) as u64, vy),
            n_out,
        );
        assert_eq!(y, dense(&fc, want_h), "FC step {t}");
    }
    // Every weight of both layers once per step.
    assert_eq!(
        rep.counters.adds as usize,
        steps * (4 * hid * (n_in + hid) + n_out * hid)
    );

    // The second entry of another kind: the first runs, then BadProgram.
    let mut words = run_list_words(&entries);
    words[8] &= !0xFF;
    sim.ddr().load_words(list_addr as u64, &words);
    let (rep, done) = sim.run_program(req, 50_000_000).unwrap();
    assert_eq!(rep.error, ErrorCode::BadProgram as u8);
    assert_eq!(done, 1);
}
