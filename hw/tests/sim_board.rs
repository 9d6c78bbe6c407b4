//! The simulated board end to end at endpoint level: DRAM writes and reads through the
//! block pipes, length and address errors, identity wires, cut-short transfers.

use crew_hw::sim_board::{Fault, SimBoard, SimBoardConfig};
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

fn set_u32(b: &mut SimBoard, lo: u8, hi: u8, v: u32) {
    b.set_wire_in(lo, v as u16).unwrap();
    b.set_wire_in(hi, (v >> 16) as u16).unwrap();
}

fn arm(b: &mut SimBoard, trigger: u8, addr: u32, words: u32) {
    set_u32(
        b,
        regmap::WIRE_IN_XFER_ADDR_LO,
        regmap::WIRE_IN_XFER_ADDR_HI,
        addr,
    );
    set_u32(
        b,
        regmap::WIRE_IN_XFER_WORDS_LO,
        regmap::WIRE_IN_XFER_WORDS_HI,
        words,
    );
    b.update_wire_ins().unwrap();
    b.update_trigger_outs().unwrap();
    b.activate_trigger_in(regmap::TRIGGER_IN_COMMAND, trigger)
        .unwrap();
}

fn error_code(b: &mut SimBoard) -> ErrorCode {
    b.update_wire_outs().unwrap();
    ErrorCode::from_u16(b.get_wire_out(regmap::WIRE_OUT_ERROR_CODE).unwrap()).unwrap()
}

/// Block size that divides `len` (the driver's choice: whole 512-byte blocks, else the
/// largest power of two dividing the length).
fn block_for(len: usize) -> usize {
    let mut bs = BLOCK;
    while len % bs != 0 {
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
        b.config().engine.kind
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
#[ignore = "benchmark: cargo test -p crew-hw --release --test sim_board -- --ignored --nocapture"]
fn simulation_speed() {
    let mut b = board();
    let t = std::time::Instant::now();
    b.run_cycles(200_000).unwrap();
    let idle = 200_000.0 / t.elapsed().as_secs_f64();
    let data = vec![0x5Au8; 256 * 1024];
    let t = std::time::Instant::now();
    write_dram(&mut b, 0, &data);
    let secs = t.elapsed().as_secs_f64();
    let t2 = std::time::Instant::now();
    let back = read_dram(&mut b, 0, data.len() / 16);
    let secs_read = t2.elapsed().as_secs_f64();
    assert_eq!(back, data);
    println!(
        "idle: {idle:.0} UI cycles/s; 256 KiB write {secs:.2} s ({:.2} MB/s), read {secs_read:.2} s ({:.2} MB/s); board time {:.2} ms",
        data.len() as f64 / secs / 1e6,
        data.len() as f64 / secs_read / 1e6,
        b.time_ps() as f64 / 1e9
    );
}
