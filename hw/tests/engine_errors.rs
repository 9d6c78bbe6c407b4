//! Bad descriptors, shapes too large, bad records, addresses past DRAM and abort end a run
//! with the right `ErrorCode` and `done`, and the engine runs correctly afterwards; on both
//! engines (`on_both_engines!`).

mod common;
use common::*;
use crew_hw::engine::Engine;
use crew_hw::testbench::engine::RunRequest;
use crew_hw::testbench::layer_image::LayerImage;
use crew_spec::image::{LayerDescriptor, LayerKind, LAYER_DESC_WORDS};
use crew_spec::regmap::ErrorCode;

on_both_engines!(
    bad_magic_and_kind_are_bad_descriptors,
    too_many_outputs_or_hidden_units_are_shape_errors,
    corrupt_records_and_wrong_record_sizes_are_bad_records,
    addresses_past_dram_are_rejected,
    abort_stops_a_run_and_the_next_run_is_correct,
);

fn patched_descriptor<T: EngineUnderTest>(
    f: impl Fn(&mut LayerDescriptor, &mut [u128; LAYER_DESC_WORDS]),
) -> (LayerImage, u32) {
    let mut r = rng(21);
    let (_, mut img) = fc_layer_on::<T>(&mut r, 8, 20, false, |_| 5);
    let mut d = LayerDescriptor::from_words(&img.words[..LAYER_DESC_WORDS]).unwrap();
    let mut words = d.to_words();
    f(&mut d, &mut words);
    img.words[..LAYER_DESC_WORDS].copy_from_slice(&words);
    let desc = img.desc_addr;
    (img, desc)
}

fn run_error<T: EngineUnderTest>(img: &LayerImage, req: RunRequest) -> u8 {
    let mut sim = new_sim_on::<T>();
    load(&mut sim, img);
    let rep = sim.run(req, 1_000_000).expect("run ends");
    rep.error
}

fn bad_magic_and_kind_are_bad_descriptors<T: EngineUnderTest>() {
    let (img, desc) = patched_descriptor::<T>(|_, w| w[0] ^= 1 << 100);
    assert_eq!(
        run_error::<T>(&img, request(desc, 1)),
        ErrorCode::BadDescriptor as u8
    );
    let (img, desc) = patched_descriptor::<T>(|_, w| w[0] = (w[0] & !0xFF) | 7);
    assert_eq!(
        run_error::<T>(&img, request(desc, 1)),
        ErrorCode::BadDescriptor as u8
    );
    // Pass shape disagreeing with the header.
    let (img, desc) = patched_descriptor::<T>(|d, w| {
        d.passes[0].n_out += 1;
        w[1] = d.passes[0].to_word();
    });
    assert_eq!(
        run_error::<T>(&img, request(desc, 1)),
        ErrorCode::BadDescriptor as u8
    );
}

fn too_many_outputs_or_hidden_units_are_shape_errors<T: EngineUnderTest>() {
    // 16 lanes x 64 accumulators = 1024 outputs per pass.
    let (img, desc) = patched_descriptor::<T>(|d, w| {
        d.n_hidden = 1025;
        d.passes[0].n_out = 1025;
        *w = d.to_words();
    });
    assert_eq!(
        run_error::<T>(&img, request(desc, 1)),
        ErrorCode::ShapeTooLarge as u8
    );
    let mut r = rng(22);
    let (passes, img) = rnn_layer_on::<T>(&mut r, LayerKind::Lstm, 4, 2, |_| 3);
    let mut d = LayerDescriptor::from_words(&img.words[..LAYER_DESC_WORDS]).unwrap();
    d.n_hidden = 300; // 4 * 300 rows > 1024
    d.passes[0].n_out = 1200;
    d.passes[1].n_in = 300;
    d.passes[1].n_out = 1200;
    let mut img2 = img.clone();
    img2.words[..LAYER_DESC_WORDS].copy_from_slice(&d.to_words());
    assert_eq!(passes.len(), 2);
    assert_eq!(
        run_error::<T>(&img2, request(img.desc_addr, 1)),
        ErrorCode::ShapeTooLarge as u8
    );
}

fn corrupt_records_and_wrong_record_sizes_are_bad_records<T: EngineUnderTest>() {
    let mut r = rng(23);
    let (_, mut img) = fc_layer_on::<T>(&mut r, 6, 40, false, |_| 9);
    if T::RECORD_HEADERS {
        // b_i = 9 in the first record header.
        let first = LAYER_DESC_WORDS;
        img.words[first] = (img.words[first] & !0xFF00) | (9 << 8);
        assert_eq!(
            run_error::<T>(&img, request(img.desc_addr, 1)),
            ErrorCode::BadRecord as u8
        );
    }
    // records_words one larger than the records.
    let (_, img) = fc_layer_on::<T>(&mut r, 6, 40, false, |_| 9);
    let mut d = LayerDescriptor::from_words(&img.words[..LAYER_DESC_WORDS]).unwrap();
    d.passes[0].records_words += 1;
    let mut img2 = img.clone();
    img2.words[..LAYER_DESC_WORDS].copy_from_slice(&d.to_words());
    assert_eq!(
        run_error::<T>(&img2, request(img.desc_addr, 1)),
        ErrorCode::BadRecord as u8
    );
    // records_words one smaller: the last record overruns its pass (the CREW router's
    // record-length check, one cycle behind the header).
    d.passes[0].records_words -= 2;
    let mut img3 = img.clone();
    img3.words[..LAYER_DESC_WORDS].copy_from_slice(&d.to_words());
    assert_eq!(
        run_error::<T>(&img3, request(img.desc_addr, 1)),
        ErrorCode::BadRecord as u8
    );
}

fn addresses_past_dram_are_rejected<T: EngineUnderTest>() {
    let mut r = rng(24);
    let (_, img) = fc_layer_on::<T>(&mut r, 6, 40, false, |_| 9);
    let mut req = request(img.desc_addr, 1);
    req.in_addr = crew_spec::image::DRAM_WORDS as u32;
    assert_eq!(
        run_error::<T>(&img, req),
        ErrorCode::AddressOutOfRange as u8
    );
    let req = request(u32::MAX - 2, 1);
    assert_eq!(
        run_error::<T>(&img, req),
        ErrorCode::AddressOutOfRange as u8
    );
}

fn abort_stops_a_run_and_the_next_run_is_correct<T: EngineUnderTest>() {
    let mut r = rng(25);
    let (p, img) = fc_layer_on::<T>(&mut r, 64, 200, false, |_| 50);
    let xs = vec![random_vector(&mut r, 64)];
    let mut sim = new_sim_on::<T>();
    load(&mut sim, &img);
    sim.ddr().load_words(
        IN_ADDR as u64,
        &crew_hw::testbench::layer_image::pack_i8_vectors(&xs),
    );
    sim.start(request(img.desc_addr, 1)).unwrap();
    sim.harness.run(300).unwrap();
    assert!(sim.run_port().busy.val());
    sim.abort().unwrap();
    sim.harness
        .run_until(1000, |t| !t.engine.run_port().busy.val())
        .unwrap();
    assert_eq!(
        sim.run_port().error.val().index() as u8,
        ErrorCode::Aborted as u8
    );
    let (rep, outs) = run_fc(&mut sim, &img, 200, &xs);
    assert!(rep.ok(), "error {}", rep.error);
    assert_eq!(outs[0], dense(&p, &xs[0]));
    // A zero-step run finishes at once without error.
    let rep = sim.run(request(img.desc_addr, 0), 10).unwrap();
    assert!(rep.ok());
}
