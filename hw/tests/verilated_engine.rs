//! `sim::engine::VerilatedEngine` (an engine's generated Verilog under Verilator with the
//! DDR3 model) against rust-hdl's simulation of the same block: the same LSTM steps on
//! the CREW and the dense engine leave the same DRAM contents (h_t, final h and c) and
//! the same counters and cycle counts, and the outputs equal the integer reference.

mod common;
use common::*;
use crew_hw::engine::crew::CrewEngine;
use crew_hw::engine::dense::DenseEngine;
use crew_hw::sim::ddr3_model::Ddr3Timing;
use crew_hw::sim::engine::VerilatedEngine;
use crew_hw::testbench::engine::{DenseSim, LayerSim};
use crew_hw::testbench::engine::{EngineSim, RunReport, RunRequest};
use crew_hw::testbench::layer_image::{build_dense_layer, pack_i32, pack_i8_vectors, unpack_i8};
use crew_spec::image::{vector_words_i32, vector_words_i8, LayerKind};
use rand::Rng;

const MAX_CYCLES: u64 = 1_000_000;

struct Case {
    image: (Vec<u128>, u32),
    xs: Vec<Vec<i8>>,
    state: Vec<u128>,
    hid: usize,
}

impl Case {
    fn request(&self) -> RunRequest {
        request(self.image.1, self.xs.len() as u16)
    }
    fn loads(&self) -> [(u64, Vec<u128>); 3] {
        [
            (IMAGE_BASE as u64, self.image.0.clone()),
            (IN_ADDR as u64, pack_i8_vectors(&self.xs)),
            (STATE_ADDR as u64, self.state.clone()),
        ]
    }
    /// (h_t words of every step, final h and c words).
    fn regions(&self) -> [(u64, usize); 2] {
        let vw = vector_words_i8(self.hid);
        [
            (OUT_ADDR as u64, vw * self.xs.len()),
            (STATE_ADDR as u64, vw + vector_words_i32(self.hid)),
        ]
    }
}

fn on_rust_hdl(sim: &mut dyn LayerSim, case: &Case) -> (RunReport, Vec<Vec<u128>>) {
    for (addr, words) in case.loads() {
        sim.ddr().load_words(addr, &words);
    }
    let rep = sim.run(case.request(), MAX_CYCLES).expect("rust-hdl run");
    let back = case
        .regions()
        .map(|(addr, n)| sim.ddr().read_words(addr, n))
        .to_vec();
    (rep, back)
}

fn on_verilator<E>(sim: &mut VerilatedEngine<E>, case: &Case) -> (RunReport, Vec<Vec<u128>>) {
    for (addr, words) in case.loads() {
        sim.ddr().load_words(addr, &words);
    }
    let rep = sim.run(case.request(), MAX_CYCLES).expect("Verilator run");
    let back = case
        .regions()
        .map(|(addr, n)| sim.ddr().read_words(addr, n))
        .to_vec();
    (rep, back)
}

#[test]
fn verilated_engines_match_rust_hdl_and_reference_on_lstm_steps() {
    let mut r = rng(11);
    let (n_in, hid, steps) = (23, 19, 2);
    let kind = LayerKind::Lstm;
    let (passes, crew_img) = rnn_layer(&mut r, kind, n_in, hid, |c| 3 + (c * 31) % 120);
    let dense_img = build_dense_layer(kind, n_in, hid, &passes, IMAGE_BASE);
    let xs: Vec<Vec<i8>> = (0..steps).map(|_| random_vector(&mut r, n_in)).collect();
    let h0 = random_vector(&mut r, hid);
    let c0: Vec<i32> = (0..hid).map(|_| r.gen_range(-70_000..70_000)).collect();
    let (hs_ref, _) = rnn_reference(kind, &passes, &xs, &h0, &c0);
    let mut state = pack_i8_vectors(std::slice::from_ref(&h0));
    state.extend(pack_i32(&c0));
    let case = |img: &crew_hw::testbench::layer_image::LayerImage| Case {
        image: (img.words.clone(), img.desc_addr),
        xs: xs.clone(),
        state: state.clone(),
        hid,
    };
    let (crew, dense) = (case(&crew_img), case(&dense_img));
    let timing = Ddr3Timing::default();

    let want = on_rust_hdl(&mut EngineSim::<16, 6>::new(timing).unwrap(), &crew);
    let got = on_verilator(
        &mut VerilatedEngine::<CrewEngine<16, 6>>::new(timing).unwrap(),
        &crew,
    );
    assert!(got.0.ok(), "CREW error {}", got.0.error);
    assert_eq!(got, want, "CREW: Verilator vs rust-hdl");
    let vw = vector_words_i8(hid);
    for (t, h) in hs_ref.iter().enumerate() {
        assert_eq!(&unpack_i8(&got.1[0][t * vw..], hid), h, "CREW h_{t}");
    }

    let want = on_rust_hdl(&mut DenseSim::<16, 6>::new(timing).unwrap(), &dense);
    let got = on_verilator(
        &mut VerilatedEngine::<DenseEngine<16, 6>>::new(timing).unwrap(),
        &dense,
    );
    assert!(got.0.ok(), "dense error {}", got.0.error);
    assert_eq!(got, want, "dense: Verilator vs rust-hdl");
    for (t, h) in hs_ref.iter().enumerate() {
        assert_eq!(&unpack_i8(&got.1[0][t * vw..], hid), h, "dense h_{t}");
    }
}
