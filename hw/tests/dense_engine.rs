//! The dense int8 baseline engine vs the integer reference (dense matrices,
//! numerics::requantize, Luts::gru_cell / lstm_cell) and vs the CREW engine on the same
//! random FC / GRU / LSTM layers; plus its Verilog through yosys.

mod common;
use common::*;
use crew_hw::engine::dense::DenseEngine;
use crew_hw::sim::ddr3_model::Ddr3Timing;
use crew_hw::testbench::engine::{DenseSim, LayerSim, RunReport};
use crew_hw::testbench::layer_image::{
    build_dense_layer, pack_i32, pack_i8_vectors, unpack_i32, unpack_i8, LayerImage,
};
use crew_hw::testbench::synth_check::yosys_check;
use crew_spec::image::{vector_words_i32, vector_words_i8, LayerKind};
use crew_spec::regmap::ErrorCode;
use rand::Rng;
use rust_hdl::prelude::*;

fn start(sim: &mut dyn LayerSim, img: &LayerImage, xs: &[Vec<i8>]) {
    sim.ddr().load_words(img.base as u64, &img.words);
    sim.ddr().load_words(IN_ADDR as u64, &pack_i8_vectors(xs));
}

fn go(sim: &mut dyn LayerSim, img: &LayerImage, steps: usize) -> RunReport {
    sim.run(request(img.desc_addr, steps as u16), 5_000_000)
        .expect("run completes")
}

fn fc_on(sim: &mut dyn LayerSim, img: &LayerImage, n_out: usize, xs: &[Vec<i8>]) -> Vec<Vec<i32>> {
    start(sim, img, xs);
    let rep = go(sim, img, xs.len());
    assert!(rep.ok(), "error {}", rep.error);
    let vw = vector_words_i32(n_out);
    (0..xs.len())
        .map(|t| {
            let w = sim.ddr().read_words(OUT_ADDR as u64 + (t * vw) as u64, vw);
            unpack_i32(&w, n_out)
        })
        .collect()
}

fn rnn_on(
    sim: &mut dyn LayerSim,
    img: &LayerImage,
    xs: &[Vec<i8>],
    h0: &[i8],
    c0: &[i32],
) -> (Vec<Vec<i8>>, Vec<i32>) {
    let hid = h0.len();
    start(sim, img, xs);
    let mut state = pack_i8_vectors(&[h0.to_vec()]);
    state.extend(pack_i32(c0));
    sim.ddr().load_words(STATE_ADDR as u64, &state);
    let rep = go(sim, img, xs.len());
    assert!(rep.ok(), "error {}", rep.error);
    let vw = vector_words_i8(hid);
    let hs = (0..xs.len())
        .map(|t| {
            unpack_i8(
                &sim.ddr().read_words(OUT_ADDR as u64 + (t * vw) as u64, vw),
                hid,
            )
        })
        .collect();
    let c = if c0.is_empty() {
        vec![]
    } else {
        unpack_i32(
            &sim.ddr()
                .read_words(STATE_ADDR as u64 + vw as u64, vector_words_i32(hid)),
            hid,
        )
    };
    (hs, c)
}

fn dense_sim<const L: usize, const A: usize>() -> DenseSim<L, A> {
    DenseSim::new(Ddr3Timing::default()).expect("simulation starts")
}

#[test]
fn fc_matches_reference_and_crew_for_several_lane_counts() {
    let mut r = rng(71);
    // 37 outputs: a partial last word; 3 steps.
    let (n_in, n_out) = (21, 37);
    let (p, crew_img) = fc_layer(&mut r, n_in, n_out, false, |c| 1 + (c * 11) % 40);
    let img = build_dense_layer(
        LayerKind::Fc,
        n_in,
        n_out,
        std::slice::from_ref(&p),
        IMAGE_BASE,
    );
    let xs: Vec<Vec<i8>> = (0..3).map(|_| random_vector(&mut r, n_in)).collect();
    let want: Vec<Vec<i32>> = xs.iter().map(|x| dense(&p, x)).collect();
    let mut crew = new_sim();
    assert_eq!(fc_on(&mut crew, &crew_img, n_out, &xs), want, "CREW");
    assert_eq!(
        fc_on(&mut dense_sim::<16, 6>(), &img, n_out, &xs),
        want,
        "16 lanes"
    );
    assert_eq!(
        fc_on(&mut dense_sim::<4, 8>(), &img, n_out, &xs),
        want,
        "4 lanes"
    );
}

#[test]
fn fc_small_outputs_back_to_back_and_counters() {
    let mut r = rng(72);
    // 5 outputs (< lanes): every column updates the same slot, forwarding needed.
    let (n_in, n_out) = (40, 5);
    let (p, _) = fc_layer(&mut r, n_in, n_out, false, |_| 5);
    let img = build_dense_layer(
        LayerKind::Fc,
        n_in,
        n_out,
        std::slice::from_ref(&p),
        IMAGE_BASE,
    );
    let xs = vec![random_vector(&mut r, n_in)];
    let mut sim = dense_sim::<16, 6>();
    start(&mut sim, &img, &xs);
    let rep = go(&mut sim, &img, 1);
    assert!(rep.ok());
    let out = unpack_i32(&sim.ddr().read_words(OUT_ADDR as u64, 2), n_out);
    assert_eq!(out, dense(&p, &xs[0]));
    assert_eq!(rep.counters.mults as usize, n_in * n_out);
    assert_eq!(rep.counters.adds as usize, n_in * n_out);
    assert_eq!(rep.counters.busy_cycles as usize, n_in);
}

#[test]
fn gru_and_lstm_match_reference_and_crew() {
    let mut r = rng(73);
    for kind in [LayerKind::Gru, LayerKind::Lstm] {
        let (n_in, hid, steps) = (23, 19, 2);
        let (passes, crew_img) = rnn_layer(&mut r, kind, n_in, hid, |c| 3 + (c * 31) % 120);
        let img = build_dense_layer(kind, n_in, hid, &passes, IMAGE_BASE);
        let xs: Vec<Vec<i8>> = (0..steps).map(|_| random_vector(&mut r, n_in)).collect();
        let h0 = random_vector(&mut r, hid);
        let c0: Vec<i32> = if kind == LayerKind::Lstm {
            (0..hid).map(|_| r.gen_range(-70_000..70_000)).collect()
        } else {
            vec![]
        };
        let (hs_ref, c_ref) = rnn_reference(kind, &passes, &xs, &h0, &c0);
        assert_ne!(hs_ref[0], h0);
        let dense_out = rnn_on(&mut dense_sim::<16, 6>(), &img, &xs, &h0, &c0);
        assert_eq!(dense_out, (hs_ref.clone(), c_ref.clone()), "{kind:?} dense");
        let crew_out = rnn_on(&mut new_sim(), &crew_img, &xs, &h0, &c0);
        assert_eq!(crew_out, dense_out, "{kind:?} CREW vs dense");
    }
}

#[test]
fn rejects_crew_layout_and_short_records() {
    let mut r = rng(74);
    let (p, crew_img) = fc_layer(&mut r, 8, 20, false, |_| 3);
    let xs = vec![random_vector(&mut r, 8)];
    let mut sim = dense_sim::<16, 6>();
    start(&mut sim, &crew_img, &xs);
    assert_eq!(
        go(&mut sim, &crew_img, 1).error,
        ErrorCode::BadDescriptor as u8
    );
    // records_words one short of n_in columns.
    let mut img = build_dense_layer(LayerKind::Fc, 8, 20, &[p], IMAGE_BASE);
    img.words[1] -= 1u128 << 96;
    start(&mut sim, &img, &xs);
    assert_eq!(go(&mut sim, &img, 1).error, ErrorCode::BadRecord as u8);
}

#[test]
fn dense_engine_verilog_passes_yosys_checks() {
    let mut uut: DenseEngine = DenseEngine::new();
    uut.connect_all();
    let verilog = generate_verilog(&uut);
    let log = yosys_check(&verilog).unwrap_or_else(|e| panic!("{e}"));
    assert!(!log.contains("ERROR"), "{log}");
}
