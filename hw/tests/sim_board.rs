//! The simulated board end to end at endpoint level: DRAM writes and reads through the
//! block pipes, length and address errors, identity wires, cut-short transfers.

mod common;

use common::board::{arm, set_u32};
use common::{dense, fc_layer, random_vector, rng, IN_ADDR, OUT_ADDR, STATE_ADDR};
use crew_hw::board::sim_board::{Fault, SimBoard, SimBoardConfig};
use crew_hw::testbench::layer_image::{pack_i8_vectors, unpack_i32};
use crew_spec::image::vector_words_i32;
use crew_spec::regmap::{self, ErrorCode};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const BLOCK: usize = regmap::PIPE_BLOCK_BYTES;
const MAX_WAIT: u64 = 2_000_000;

fn board() -> SimBoard {
    let mut b = SimBoard::new(SimBoardConfig::default()).unwrap();
    b.wait_calibrated(10_000).unwrap();
    b
}

fn error_code(b: &mut SimBoard) -> ErrorCode {
    b.update_wire_outs().unwrap();
    ErrorCode::from_u16(b.get_wire_out(regmap::WIRE_OUT_ERROR_CODE).unwrap()).unwrap()
}

/// Block size that divides `len` (the driver's choice: whole 512-byte blocks, else the
/// largest power of two dividing the length).
fn block_for(len: usize) -> usize {
    let mut bs = BLOCK;
    while !len.is_multiple_of(bs) {
        bs /= 2;
    }
    bs
}

fn write_dram(b: &mut SimBoard, addr: u32, data: &[u8]) {
    arm(
        b,
        regmap::TRIG_START_DRAM_WRITE,
        addr,
        (data.len() / 16) as u32,
    );
    let moved = b
        .write_to_block_pipe_in(regmap::PIPE_IN_DRAM, block_for(data.len()), data)
        .unwrap();
    assert_eq!(moved, data.len());
    b.wait_trigger_out(
        regmap::TRIGGER_OUT_EVENTS,
        1 << regmap::TRIG_OUT_XFER_DONE,
        MAX_WAIT,
    )
    .unwrap();
    assert_eq!(error_code(b), ErrorCode::None);
}

fn read_dram(b: &mut SimBoard, addr: u32, words: usize) -> Vec<u8> {
    arm(b, regmap::TRIG_START_DRAM_READ, addr, words as u32);
    // Reads come back padded to whole blocks.
    let mut buf = vec![0u8; (words * 16).div_ceil(BLOCK) * BLOCK];
    let moved = b
        .read_from_block_pipe_out(regmap::PIPE_OUT_DRAM, BLOCK, &mut buf)
        .unwrap();
    assert_eq!(moved, buf.len());
    b.wait_trigger_out(
        regmap::TRIGGER_OUT_EVENTS,
        1 << regmap::TRIG_OUT_XFER_DONE,
        MAX_WAIT,
    )
    .unwrap();
    assert_eq!(error_code(b), ErrorCode::None);
    buf.truncate(words * 16);
    buf
}

#[test]
fn identity_wires_read_back() {
    let mut b = board();
    b.update_wire_outs().unwrap();
    assert_eq!(
        b.get_wire_out(regmap::WIRE_OUT_DESIGN_ID).unwrap(),
        regmap::DESIGN_ID
    );
    assert_eq!(
        b.get_wire_out(regmap::WIRE_OUT_PROTOCOL_VERSION).unwrap(),
        regmap::PROTOCOL_VERSION
    );
    assert_eq!(
        b.get_wire_out(regmap::WIRE_OUT_ENGINE_KIND).unwrap(),
        crew_hw::board::engine::BoardEngine::Crew.kind_code()
    );
    let status = b.get_wire_out(regmap::WIRE_OUT_STATUS).unwrap();
    assert_ne!(status & regmap::STATUS_CALIB_DONE, 0);
    assert_eq!(status & regmap::STATUS_XFER_BUSY, 0);
}

#[test]
fn random_data_round_trips_through_dram() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut b = board();
    for (addr, words) in [
        (0u32, 1usize),
        (100, 7),
        (4096, 32),
        (77, 33),
        (1 << 20, 200),
    ] {
        let data: Vec<u8> = (0..words * 16).map(|_| rng.gen()).collect();
        write_dram(&mut b, addr, &data);
        assert_eq!(
            b.dram_read_bytes(addr as u64, words),
            data,
            "DRAM at {addr}"
        );
        assert_eq!(read_dram(&mut b, addr, words), data, "read back at {addr}");
    }
    b.update_wire_outs().unwrap();
    assert_eq!(
        b.get_wire_out(regmap::WIRE_OUT_XFER_DONE_WORDS_LO).unwrap(),
        200
    );
}

#[test]
fn zero_and_out_of_range_lengths_are_rejected() {
    let mut b = board();
    arm(&mut b, regmap::TRIG_START_DRAM_WRITE, 0, 0);
    assert_eq!(error_code(&mut b), ErrorCode::BadTransferLength);
    arm(&mut b, regmap::TRIG_START_DRAM_READ, 0, 0);
    assert_eq!(error_code(&mut b), ErrorCode::BadTransferLength);
    let end = crew_spec::image::DRAM_WORDS as u32;
    arm(&mut b, regmap::TRIG_START_DRAM_WRITE, end - 4, 5);
    assert_eq!(error_code(&mut b), ErrorCode::AddressOutOfRange);
    b.update_trigger_outs().unwrap();
    // A rejected command leaves the bridge idle: the pipe is not ready.
    b.set_pipe_timeout(1_000);
    assert_eq!(
        b.write_to_block_pipe_in(regmap::PIPE_IN_DRAM, 16, &[0; 16]),
        Ok(0)
    );
}

#[test]
fn unaligned_pipe_write_is_rejected_after_abort() {
    let mut b = board();
    b.set_pipe_timeout(2_000);
    // Armed for 2 words (32 bytes), the host sends 24 bytes: half a word is left over.
    arm(&mut b, regmap::TRIG_START_DRAM_WRITE, 10, 2);
    let moved = b
        .write_to_block_pipe_in(regmap::PIPE_IN_DRAM, 8, &[0xAB; 24])
        .unwrap();
    assert_eq!(moved, 24);
    b.activate_trigger_in(regmap::TRIGGER_IN_COMMAND, regmap::TRIG_ABORT)
        .unwrap();
    b.run_cycles(1_000).unwrap();
    assert_eq!(error_code(&mut b), ErrorCode::BadTransferLength);
    // The first whole word reached DRAM, the partial one did not.
    assert_eq!(
        b.dram_read_words(10, 2),
        vec![u128::from_le_bytes([0xAB; 16]), 0]
    );
    // The bridge recovers: a following transfer works.
    let data: Vec<u8> = (0..64u8).collect();
    write_dram(&mut b, 10, &data);
    assert_eq!(read_dram(&mut b, 10, 4), data);
}

#[test]
fn cut_short_transfers_report_incomplete() {
    let mut b = board();
    b.set_pipe_timeout(2_000);
    arm(&mut b, regmap::TRIG_START_DRAM_WRITE, 0, 64);
    b.inject(Fault::CutPipeTransfer { after_bytes: 512 });
    let moved = b
        .write_to_block_pipe_in(regmap::PIPE_IN_DRAM, BLOCK, &[1; 1024])
        .unwrap();
    assert_eq!(moved, 512);
    b.activate_trigger_in(regmap::TRIGGER_IN_COMMAND, regmap::TRIG_ABORT)
        .unwrap();
    b.run_cycles(1_000).unwrap();
    assert_eq!(error_code(&mut b), ErrorCode::TransferIncomplete);
    b.update_wire_outs().unwrap();
    assert_eq!(
        b.get_wire_out(regmap::WIRE_OUT_XFER_DONE_WORDS_LO).unwrap(),
        32
    );
    // A read the host stops early is not silently completed either.
    arm(&mut b, regmap::TRIG_START_DRAM_READ, 0, 64);
    let mut buf = vec![0u8; 1024];
    b.inject(Fault::CutPipeTransfer { after_bytes: 512 });
    let moved = b
        .read_from_block_pipe_out(regmap::PIPE_OUT_DRAM, BLOCK, &mut buf)
        .unwrap();
    assert_eq!(moved, 512);
    assert!(buf[..512].iter().all(|&x| x == 1));
    b.activate_trigger_in(regmap::TRIGGER_IN_COMMAND, regmap::TRIG_ABORT)
        .unwrap();
    b.run_cycles(1_000).unwrap();
    assert_eq!(error_code(&mut b), ErrorCode::TransferIncomplete);
    let data: Vec<u8> = (0..32u8).collect();
    write_dram(&mut b, 3, &data);
    assert_eq!(read_dram(&mut b, 3, 2), data);
}

#[test]
#[ignore = "benchmark: cargo test -p crew-hw --test sim_board simulation_speed -- --ignored --nocapture"]
fn simulation_speed() {
    let mut b = board();
    let t = std::time::Instant::now();
    b.run_cycles(100_000).unwrap();
    let idle = 100_000.0 / t.elapsed().as_secs_f64();
    let data = vec![0x5Au8; 64 * 1024];
    let (t, ps) = (std::time::Instant::now(), b.time_ps());
    write_dram(&mut b, 0, &data);
    let (write_wall, write_board) = (t.elapsed().as_secs_f64(), (b.time_ps() - ps) as f64 * 1e-12);
    let (t, ps) = (std::time::Instant::now(), b.time_ps());
    let back = read_dram(&mut b, 0, data.len() / 16);
    let (read_wall, read_board) = (t.elapsed().as_secs_f64(), (b.time_ps() - ps) as f64 * 1e-12);
    assert_eq!(back, data);
    let kib = data.len() as f64 / 1024.0;
    println!(
        "idle: {idle:.0} UI cycles/s wall; 64 KiB write: {write_wall:.1} s wall ({:.1} KiB/s), \
         {:.1} MB/s board time; read: {read_wall:.1} s wall ({:.1} KiB/s), {:.1} MB/s board time",
        kib / write_wall,
        data.len() as f64 / write_board / 1e6,
        kib / read_wall,
        data.len() as f64 / read_board / 1e6,
    );
}

fn words_to_bytes(words: &[u128]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// A whole FC layer run driven only through the endpoints: image and inputs in through
/// the pipe, run command over wires and trigger, outputs back through the pipe, compared
/// with the dense integer reference.
#[test]
fn fc_run_through_the_endpoints_matches_reference() {
    let mut r = rng(11);
    let (n_in, n_out) = (12, 20);
    let (p, img) = fc_layer(&mut r, n_in, n_out, false, |c| [1, 3, 16, 200][c % 4]);
    let xs: Vec<Vec<i8>> = (0..2).map(|_| random_vector(&mut r, n_in)).collect();
    let mut b = board();
    write_dram(&mut b, img.base, &words_to_bytes(&img.words));
    write_dram(&mut b, IN_ADDR, &words_to_bytes(&pack_i8_vectors(&xs)));
    for (lo, hi, v) in [
        (
            regmap::WIRE_IN_DESC_ADDR_LO,
            regmap::WIRE_IN_DESC_ADDR_HI,
            img.desc_addr,
        ),
        (
            regmap::WIRE_IN_IN_ADDR_LO,
            regmap::WIRE_IN_IN_ADDR_HI,
            IN_ADDR,
        ),
        (
            regmap::WIRE_IN_OUT_ADDR_LO,
            regmap::WIRE_IN_OUT_ADDR_HI,
            OUT_ADDR,
        ),
        (
            regmap::WIRE_IN_STATE_ADDR_LO,
            regmap::WIRE_IN_STATE_ADDR_HI,
            STATE_ADDR,
        ),
    ] {
        set_u32(&mut b, lo, hi, v);
    }
    b.set_wire_in(regmap::WIRE_IN_STEPS, xs.len() as u16)
        .unwrap();
    b.update_wire_ins().unwrap();
    b.update_trigger_outs().unwrap();
    b.activate_trigger_in(regmap::TRIGGER_IN_COMMAND, regmap::TRIG_START_RUN)
        .unwrap();
    b.wait_trigger_out(
        regmap::TRIGGER_OUT_EVENTS,
        1 << regmap::TRIG_OUT_RUN_DONE,
        3_000_000,
    )
    .unwrap();
    assert_eq!(error_code(&mut b), ErrorCode::None);
    let status = b.get_wire_out(regmap::WIRE_OUT_STATUS).unwrap();
    assert_ne!(status & regmap::STATUS_RUN_DONE, 0);
    assert_eq!(status & regmap::STATUS_ENGINE_BUSY, 0);
    let adds = b.get_wire_out(regmap::WIRE_OUT_ADDS_LO).unwrap() as u32
        | (b.get_wire_out(regmap::WIRE_OUT_ADDS_HI).unwrap() as u32) << 16;
    assert!(adds > 0, "the adds counter crossed to the wire-outs");
    let vw = vector_words_i32(n_out);
    let out = read_dram(&mut b, OUT_ADDR, vw * xs.len());
    for (t, x) in xs.iter().enumerate() {
        let words: Vec<u128> = out[t * vw * 16..(t + 1) * vw * 16]
            .chunks(16)
            .map(|c| u128::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(unpack_i32(&words, n_out), dense(&p, x), "step {t}");
    }
}

#[test]
fn dram_stall_and_soft_reset_faults() {
    let mut b = board();
    // A stalled DRAM port only delays a write.
    let data: Vec<u8> = (0..=255u8).cycle().take(64 * 16).collect();
    arm(&mut b, regmap::TRIG_START_DRAM_WRITE, 500, 64);
    b.inject(Fault::StallDram { ui_cycles: 5_000 });
    let moved = b
        .write_to_block_pipe_in(regmap::PIPE_IN_DRAM, BLOCK, &data)
        .unwrap();
    assert_eq!(moved, data.len());
    b.wait_trigger_out(
        regmap::TRIGGER_OUT_EVENTS,
        1 << regmap::TRIG_OUT_XFER_DONE,
        MAX_WAIT,
    )
    .unwrap();
    assert_eq!(error_code(&mut b), ErrorCode::None);
    assert_eq!(b.dram_read_bytes(500, 64), data);
    // A soft reset in the middle of a read aborts it; the board then works again.
    arm(&mut b, regmap::TRIG_START_DRAM_READ, 500, 64);
    b.inject(Fault::SoftResetPulse {
        after_ui_cycles: 200,
        hold_ui_cycles: 100,
    });
    b.run_cycles(2_000).unwrap();
    assert_eq!(error_code(&mut b), ErrorCode::Aborted);
    b.update_wire_outs().unwrap();
    assert_eq!(
        b.get_wire_out(regmap::WIRE_OUT_STATUS).unwrap() & regmap::STATUS_XFER_BUSY,
        0
    );
    assert_eq!(read_dram(&mut b, 500, 64), data);
}
