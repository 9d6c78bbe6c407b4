//! Simulation-only model of the XEM7010's DDR3 behind the MIG 7-series user interface
//! (DDR3-800 x16, 128-bit words at the ~100 MHz UI clock). Storage lives on the host side
//! (a sparse word map) so tests and the simulated board load images and read results
//! directly. Timing: at most one 128-bit word per UI cycle on the data bus (1.6 GB/s),
//! a fixed read latency, row-miss and read/write turnaround penalties and periodic refresh.
//! The model has no Verilog (it stands for the MIG + DDR3 device on the board).

use crate::mig_port::{MigSlave, MIG_CMD_READ, MIG_CMD_WRITE};
use crew_spec::image::{MIG_ADDR_SHIFT, WORD_BYTES};
use rust_hdl::prelude::*;
use std::collections::VecDeque;

/// Timing parameters of the model, in UI clock cycles (10 ns at 100 MHz).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ddr3Timing {
    /// Cycles from a read command leaving the queue to its data at the UI.
    pub read_latency: u64,
    /// Extra bus cycles when the addressed bank has another row open (tRP + tRCD).
    pub row_miss_penalty: u64,
    /// Extra bus cycles when the bus direction changes (tWTR / tRTW, rounded up).
    pub turnaround_penalty: u64,
    /// Refresh interval (tREFI = 7.8 us).
    pub refresh_interval: u64,
    /// Cycles the bus is blocked by one refresh (tRFC = 260 ns for a 4 Gb die).
    pub refresh_cycles: u64,
    /// Commands the controller queues before `ready` drops.
    pub command_queue: usize,
    /// Write data beats the write FIFO holds before `write_fifo_not_full` drops.
    pub write_fifo: usize,
    /// Cycles after reset until `calib_done` rises.
    pub calibration_cycles: u64,
}

impl Default for Ddr3Timing {
    fn default() -> Self {
        Ddr3Timing {
            read_latency: 20,
            row_miss_penalty: 3,
            turnaround_penalty: 2,
            refresh_interval: 780,
            refresh_cycles: 26,
            command_queue: 16,
            write_fifo: 16,
            calibration_cycles: 32,
        }
    }
}

/// Counters the model keeps about the traffic it served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ddr3Stats {
    pub cycles: u64,
    pub reads: u64,
    pub writes: u64,
    pub row_misses: u64,
    pub refreshes: u64,
    /// Cycles in which the data bus moved a word.
    pub busy_bus_cycles: u64,
}

#[derive(Clone, Copy, Debug)]
struct Command {
    word: u64,
    read: bool,
}

/// Words per DRAM row (2 KiB page of the x16 part = 128 words), banks per device.
const ROW_WORDS_LOG2: u32 = 7;
const BANKS: usize = 8;

/// What a MIG master drives at the user interface in one UI cycle (the sampled inputs of
/// the model's clock edge).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MigRequest {
    /// MIG app_addr (word address << `MIG_ADDR_SHIFT`).
    pub address: u32,
    pub command: u8,
    pub enable: bool,
    pub write_data: u128,
    pub write_data_end: bool,
    /// Bit k set = byte k is NOT written.
    pub write_data_mask: u16,
    pub write_enable: bool,
}

/// What the MIG drives back, registered at the model's clock edge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MigResponse {
    pub read_data: u128,
    pub read_data_end: bool,
    pub read_data_valid: bool,
    pub ready: bool,
    pub write_fifo_not_full: bool,
    pub calib_done: bool,
}

/// log2 of the words in a [`Memory`] page (64 KiB).
const PAGE_BITS: u32 = 12;

/// The DRAM's contents in pages allocated on first write: a word access is two index
/// operations instead of a hash, and the model reads or writes a word most UI cycles.
/// Word addresses wrap at the DRAM's size, as the address bits above it do not exist.
#[derive(Default)]
struct Memory {
    pages: Vec<Option<Box<[u128]>>>,
}

impl Memory {
    fn split(word: u64) -> (usize, usize) {
        let word = word & (crew_spec::image::DRAM_WORDS - 1);
        (
            (word >> PAGE_BITS) as usize,
            (word & ((1 << PAGE_BITS) - 1)) as usize,
        )
    }

    fn get(&self, word: u64) -> u128 {
        let (page, offset) = Memory::split(word);
        match self.pages.get(page) {
            Some(Some(p)) => p[offset],
            _ => 0,
        }
    }

    fn set(&mut self, word: u64, value: u128) {
        let (page, offset) = Memory::split(word);
        if page >= self.pages.len() {
            if value == 0 {
                return;
            }
            self.pages.resize_with(page + 1, || None);
        }
        match &mut self.pages[page] {
            Some(p) => p[offset] = value,
            None if value == 0 => {}
            slot => {
                let mut p = vec![0u128; 1 << PAGE_BITS].into_boxed_slice();
                p[offset] = value;
                *slot = Some(p);
            }
        }
    }

    fn clear(&mut self) {
        self.pages.clear();
    }
}

/// The DDR3 + MIG model as a plain clocked Rust model: [`Ddr3::clock_edge`] is one rising
/// UI clock edge with the master's request as sampled before it, [`Ddr3::response`] the
/// registered outputs after it. Shared by both simulated-board backends and by
/// [`Ddr3Model`], the rust-hdl block around it.
pub struct Ddr3 {
    timing: Ddr3Timing,
    memory: Memory,
    commands: VecDeque<Command>,
    write_data: VecDeque<(u128, u16)>,
    returns: VecDeque<(u64, u128)>,
    open_rows: [Option<u64>; BANKS],
    bus_free_at: u64,
    last_was_read: bool,
    next_refresh: u64,
    stats: Ddr3Stats,
    response: MigResponse,
}

impl Default for Ddr3 {
    fn default() -> Self {
        Ddr3::new(Ddr3Timing::default())
    }
}

impl Ddr3 {
    pub fn new(timing: Ddr3Timing) -> Ddr3 {
        Ddr3 {
            timing,
            memory: Memory::default(),
            commands: VecDeque::new(),
            write_data: VecDeque::new(),
            returns: VecDeque::new(),
            open_rows: [None; BANKS],
            bus_free_at: 0,
            last_was_read: true,
            next_refresh: timing.refresh_interval,
            stats: Ddr3Stats::default(),
            response: MigResponse::default(),
        }
    }

    pub fn timing(&self) -> Ddr3Timing {
        self.timing
    }

    pub fn stats(&self) -> Ddr3Stats {
        self.stats
    }

    /// The outputs registered at the last clock edge.
    pub fn response(&self) -> MigResponse {
        self.response
    }

    /// Host-side store of 128-bit words starting at word address `addr`.
    pub fn load_words(&mut self, addr: u64, words: &[u128]) {
        for (k, &w) in words.iter().enumerate() {
            self.write_word(addr + k as u64, w);
        }
    }

    /// Host-side store of image bytes (length a multiple of 16) at word address `addr`.
    pub fn load_bytes(&mut self, addr: u64, bytes: &[u8]) {
        assert!(
            bytes.len().is_multiple_of(WORD_BYTES),
            "images are whole words"
        );
        for (k, c) in bytes.chunks(WORD_BYTES).enumerate() {
            self.write_word(addr + k as u64, u128::from_le_bytes(c.try_into().unwrap()));
        }
    }

    /// Host-side read of `n` words from word address `addr` (never-written words read 0).
    pub fn read_words(&self, addr: u64, n: usize) -> Vec<u128> {
        (0..n as u64).map(|k| self.word(addr + k)).collect()
    }

    /// Host-side read of `n` words as little-endian bytes.
    pub fn read_bytes(&self, addr: u64, n_words: usize) -> Vec<u8> {
        self.read_words(addr, n_words)
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect()
    }

    pub fn word(&self, addr: u64) -> u128 {
        self.memory.get(addr)
    }

    pub fn write_word(&mut self, addr: u64, w: u128) {
        self.memory.set(addr, w);
    }

    /// No command, write beat or read data is pending: host-side reads see every write.
    pub fn is_idle(&self) -> bool {
        self.commands.is_empty() && self.write_data.is_empty() && self.returns.is_empty()
    }

    /// Forgets every stored word.
    pub fn clear(&mut self) {
        self.memory.clear();
    }

    /// Bus cycles the command costs before it may use the bus; updates the open rows.
    fn penalty(&mut self, cmd: Command) -> u64 {
        let bank = (cmd.word >> ROW_WORDS_LOG2) as usize % BANKS;
        let row = cmd.word >> (ROW_WORDS_LOG2 + BANKS.trailing_zeros());
        let mut p = 0;
        if self.open_rows[bank] != Some(row) {
            self.open_rows[bank] = Some(row);
            self.stats.row_misses += 1;
            p += self.timing.row_miss_penalty;
        }
        if cmd.read != self.last_was_read {
            p += self.timing.turnaround_penalty;
        }
        p
    }

    /// One rising UI clock edge; `port` is the master's request as settled before it.
    pub fn clock_edge(&mut self, port: &MigRequest) {
        let now = self.stats.cycles;
        let calibrated = now >= self.timing.calibration_cycles;
        if calibrated && port.enable && self.response.ready {
            let cmd = port.command;
            if cmd == MIG_CMD_READ || cmd == MIG_CMD_WRITE {
                self.commands.push_back(Command {
                    word: port.address as u64 >> MIG_ADDR_SHIFT,
                    read: cmd == MIG_CMD_READ,
                });
            }
        }
        if calibrated && port.write_enable && self.response.write_fifo_not_full {
            self.write_data
                .push_back((port.write_data, port.write_data_mask));
        }
        if now >= self.next_refresh && self.bus_free_at <= now {
            self.next_refresh += self.timing.refresh_interval;
            self.bus_free_at = now + self.timing.refresh_cycles;
            self.open_rows = [None; BANKS];
            self.stats.refreshes += 1;
        }
        if self.bus_free_at <= now {
            if let Some(&cmd) = self.commands.front() {
                if cmd.read || !self.write_data.is_empty() {
                    self.commands.pop_front();
                    let start = now + self.penalty(cmd);
                    self.last_was_read = cmd.read;
                    self.bus_free_at = start + 1;
                    self.stats.busy_bus_cycles += 1;
                    let word = cmd.word & (crew_spec::image::DRAM_WORDS - 1);
                    if cmd.read {
                        self.stats.reads += 1;
                        let data = self.memory.get(word);
                        self.returns
                            .push_back((start + self.timing.read_latency, data));
                    } else {
                        self.stats.writes += 1;
                        let (data, mask) = self.write_data.pop_front().unwrap();
                        let old = self.memory.get(word);
                        let mut keep = 0u128;
                        for k in 0..WORD_BYTES {
                            if mask >> k & 1 == 1 {
                                keep |= 0xFFu128 << (8 * k);
                            }
                        }
                        let new = (old & keep) | (data & !keep);
                        self.memory.set(word, new);
                    }
                }
            }
        }
        self.stats.cycles += 1;
        let now = self.stats.cycles;
        let (read_data, read_valid) = match self.returns.front() {
            Some(&(at, data)) if at <= now => {
                self.returns.pop_front();
                (data, true)
            }
            _ => (self.response.read_data, false),
        };
        let calibrated = now >= self.timing.calibration_cycles;
        self.response = MigResponse {
            read_data,
            read_data_end: read_valid,
            read_data_valid: read_valid,
            ready: calibrated && self.commands.len() < self.timing.command_queue,
            write_fifo_not_full: calibrated && self.write_data.len() < self.timing.write_fifo,
            calib_done: calibrated,
        };
    }
}

/// [`Ddr3`] as a rust-hdl block with the MIG user-interface slave port (UI clock domain),
/// for testbenches that simulate a master in rust-hdl.
#[derive(LogicBlock)]
pub struct Ddr3Model {
    /// UI clock (~100 MHz); every port below is in this domain.
    pub clock: Signal<In, Clock>,
    /// MIG user interface, slave side (UI clock domain).
    pub mig: MigSlave,
    _state: Box<Ddr3>,
}

impl Default for Ddr3Model {
    fn default() -> Self {
        Ddr3Model::new(Ddr3Timing::default())
    }
}

impl std::ops::Deref for Ddr3Model {
    type Target = Ddr3;
    fn deref(&self) -> &Ddr3 {
        &self._state
    }
}

impl std::ops::DerefMut for Ddr3Model {
    fn deref_mut(&mut self) -> &mut Ddr3 {
        &mut self._state
    }
}

impl Ddr3Model {
    pub fn new(timing: Ddr3Timing) -> Ddr3Model {
        Ddr3Model {
            clock: Default::default(),
            mig: Default::default(),
            _state: Box::new(Ddr3::new(timing)),
        }
    }

    /// The model's timing (an inherent method: `Block::timing` would shadow the deref).
    pub fn timing(&self) -> Ddr3Timing {
        self._state.timing()
    }
}

impl Logic for Ddr3Model {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let m = &self.mig;
            let request = MigRequest {
                address: m.address.val().index() as u32,
                command: m.command.val().index() as u8,
                enable: m.enable.val(),
                write_data: m.write_data_in.val().to_u128(),
                write_data_end: m.write_data_end.val(),
                write_data_mask: m.write_data_mask.val().index() as u16,
                write_enable: m.write_enable.val(),
            };
            self._state.clock_edge(&request);
            let r = self._state.response();
            let m = &mut self.mig;
            m.read_data_out.next = r.read_data.to_bits();
            m.read_data_valid.next = r.read_data_valid;
            m.read_data_end.next = r.read_data_end;
            m.calib_done.next = r.calib_done;
            m.ready.next = r.ready;
            m.write_fifo_not_full.next = r.write_fifo_not_full;
        }
    }

    fn connect(&mut self) {
        self.mig.read_data_out.connect();
        self.mig.read_data_end.connect();
        self.mig.read_data_valid.connect();
        self.mig.ready.connect();
        self.mig.write_fifo_not_full.connect();
        self.mig.calib_done.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Empty
    }
}

impl crate::sim::harness::Clocked for Ddr3Model {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::harness::SimHarness;

    fn calibrated(t: Ddr3Timing) -> SimHarness<Ddr3Model> {
        let mut h = SimHarness::new(Ddr3Model::new(t)).unwrap();
        h.run_until(1000, |m| m.mig.calib_done.val()).unwrap();
        h
    }

    /// Streams `n` reads from `addr` as fast as `ready` allows; returns (data, cycles).
    fn stream_reads(h: &mut SimHarness<Ddr3Model>, addr: u64, n: usize) -> (Vec<u128>, u64) {
        let start = h.cycles();
        let mut issued = 0;
        let mut data = vec![];
        while data.len() < n {
            let port = &mut h.uut.mig;
            let issue = issued < n && port.ready.val();
            port.enable.next = issued < n;
            port.command.next = (MIG_CMD_READ as u32).to_bits();
            port.address.next = (((addr + issued as u64) << MIG_ADDR_SHIFT) as u32).to_bits();
            h.tick().unwrap();
            if issue {
                issued += 1;
            }
            if h.uut.mig.read_data_valid.val() {
                data.push(h.uut.mig.read_data_out.val().to_u128());
            }
            assert!(
                h.cycles() - start < 100 * n as u64 + 1000,
                "read stream hangs"
            );
        }
        h.uut.mig.enable.next = false;
        (data, h.cycles() - start)
    }

    #[test]
    fn reads_return_host_loaded_words_in_order_near_one_word_per_cycle() {
        let mut h = calibrated(Ddr3Timing::default());
        let words: Vec<u128> = (0..2000u128)
            .map(|k| k * 0x1_0000_0001 + (k << 100))
            .collect();
        h.uut.load_words(5000, &words);
        let (data, cycles) = stream_reads(&mut h, 5000, words.len());
        assert_eq!(data, words);
        // One word per cycle at best, refresh and row misses cost a few percent.
        let t = h.uut.timing();
        assert!(cycles > words.len() as u64 + t.read_latency);
        assert!(
            (cycles as f64) < words.len() as f64 * 1.10 + 60.0,
            "{cycles} cycles for {} words",
            words.len()
        );
        assert!(h.uut.stats().refreshes >= 2);
    }

    #[test]
    fn writes_honour_the_byte_mask_and_are_visible_to_host_reads() {
        let mut h = calibrated(Ddr3Timing::default());
        h.uut.load_words(77, &[u128::MAX]);
        let port = &mut h.uut.mig;
        port.enable.next = true;
        port.command.next = (MIG_CMD_WRITE as u32).to_bits();
        port.address.next = ((77u32) << MIG_ADDR_SHIFT).to_bits();
        port.write_enable.next = true;
        port.write_data_end.next = true;
        port.write_data_in.next = 0x0123_4567_89AB_CDEF_0011_2233_4455_6677u128.to_bits();
        port.write_data_mask.next = 0x00FFu32.to_bits(); // keep the low 8 bytes
        h.tick().unwrap();
        let port = &mut h.uut.mig;
        port.enable.next = false;
        port.write_enable.next = false;
        h.run(5).unwrap();
        assert_eq!(
            h.uut.word(77),
            0x0123_4567_89AB_CDEF_FFFF_FFFF_FFFF_FFFFu128
        );
        let (data, _) = stream_reads(&mut h, 77, 1);
        assert_eq!(data, vec![h.uut.word(77)]);
        assert_eq!(h.uut.stats().writes, 1);
    }

    #[test]
    fn scattered_reads_pay_row_misses() {
        let mut seq = calibrated(Ddr3Timing::default());
        let (_, seq_cycles) = stream_reads(&mut seq, 0, 256);
        let mut h = calibrated(Ddr3Timing::default());
        let start = h.cycles();
        // Same bank (stride 8 rows of 128 words), a new row every read.
        for k in 0..256u64 {
            let port = &mut h.uut.mig;
            port.enable.next = true;
            port.command.next = (MIG_CMD_READ as u32).to_bits();
            port.address.next = (((k * 1024) << MIG_ADDR_SHIFT) as u32).to_bits();
            h.run_until(100, |m| m.mig.ready.val()).unwrap();
            h.tick().unwrap();
        }
        h.uut.mig.enable.next = false;
        h.run(100).unwrap();
        assert_eq!(h.uut.stats().reads, 256);
        assert!(h.uut.stats().row_misses >= 256);
        assert!(h.cycles() - start > seq_cycles + 256 * 2);
    }
}
