//! The CREW driver over any [`Transport`]: checks that the board runs a CREW bitstream this
//! host speaks, loads a package's DRAM image through the pipe and verifies it by reading
//! it back, and runs layers (inputs in, start, wait for done, error code, outputs and
//! performance counters out). Every wait has a deadline on the device clock.
//!
//! DRAM layout: the package image at its load address; run-time vectors of one run above
//! the image, from the first 256-word boundary past it, in `crew_spec::layout::RunLayout`
//! (`[inputs | state | outputs]`): one pipe write carries inputs and state, one pipe read
//! brings back state and outputs.

pub mod bitstream;

use std::time::Duration;

use bytes::Buf;

use crew_spec::image::{LayerKind, DRAM_WORDS, WORD_BYTES};
use crew_spec::layout::RunLayout;
use crew_spec::package::LayerEntry;
use crew_spec::regmap::{self, ErrorCode};

use crate::backend::{check_run, Accelerator, LayerState, PerfCounters, RunOutput, StepOutputs};
use crate::compiler::package::Package;
use crate::error::RunError;
use crate::transport::{Transport, TransportError};

const BLOCK: usize = regmap::PIPE_BLOCK_BYTES;
/// Bytes per armed pipe transfer while loading: the unit of progress reports.
const LOAD_CHUNK_BYTES: usize = 64 * 1024;
const SCRATCH_ALIGN_WORDS: u64 = 256;

/// What the identity wire-outs say about the configured bitstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    pub design_id: u16,
    pub protocol_version: u16,
    pub engine_kind: u16,
    pub lanes: u16,
    pub acc_depth: u16,
}

/// Load progress events (for a progress bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadProgress {
    /// Bytes of the image written so far.
    Write { done: usize, total: usize },
    /// Bytes read back and compared so far.
    Verify { done: usize, total: usize },
}

/// Deadlines and polling, in device time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceConfig {
    /// Wait for a transfer's done event after the pipe call returned.
    pub transfer_timeout: Duration,
    /// Wait for DRAM calibration when opening.
    pub calibration_timeout: Duration,
    /// Smallest deadline of a run; longer runs get a deadline from their work estimate.
    pub run_timeout_min: Duration,
    /// Overrides the run deadline when set.
    pub run_timeout: Option<Duration>,
    /// Device time between two polls of the trigger-outs.
    pub poll: Duration,
    /// The engine the host expects.
    pub engine_kind: u16,
}

impl DeviceConfig {
    /// For a board on USB (polls cost a USB round trip anyway).
    pub fn board() -> DeviceConfig {
        DeviceConfig {
            transfer_timeout: Duration::from_secs(2),
            calibration_timeout: Duration::from_secs(2),
            run_timeout_min: Duration::from_millis(500),
            run_timeout: None,
            poll: Duration::from_micros(200),
            engine_kind: regmap::ENGINE_KIND_CREW,
        }
    }

    /// For the simulated board (simulated time is costly: short deadlines, fine polls).
    pub fn sim() -> DeviceConfig {
        DeviceConfig {
            transfer_timeout: Duration::from_millis(10),
            calibration_timeout: Duration::from_millis(10),
            run_timeout_min: Duration::from_millis(5),
            run_timeout: None,
            poll: Duration::from_micros(10),
            engine_kind: regmap::ENGINE_KIND_CREW,
        }
    }
}

struct Loaded {
    layers: Vec<LayerEntry>,
    /// Words of DRAM one step of each layer streams (records + epilogues), for deadlines.
    step_words: Vec<u64>,
    scratch_addr: u64,
}

/// A CREW device (board or simulator) behind a transport.
pub struct Device<T: Transport> {
    transport: T,
    name: String,
    config: DeviceConfig,
    identity: Identity,
    loaded: Option<Loaded>,
    progress: Option<Box<dyn FnMut(LoadProgress)>>,
}

impl<T: Transport> Device<T> {
    /// Checks the identity wires (design id, protocol version, engine kind) and DRAM
    /// calibration; refuses a board that runs another bitstream. `name` is the backend
    /// name in messages ("board", "sim").
    pub fn open(transport: T, name: &str, config: DeviceConfig) -> Result<Device<T>, RunError> {
        let mut d = Device {
            transport,
            name: name.into(),
            config,
            identity: Identity {
                design_id: 0,
                protocol_version: 0,
                engine_kind: 0,
                lanes: 0,
                acc_depth: 0,
            },
            loaded: None,
            progress: None,
        };
        d.identity = d.read_identity()?;
        let on = d.on();
        if d.identity.design_id != regmap::DESIGN_ID {
            return Err(RunError::WrongDesign {
                on,
                found: d.identity.design_id,
            });
        }
        if d.identity.protocol_version != regmap::PROTOCOL_VERSION {
            return Err(RunError::WrongProtocol {
                on,
                found: d.identity.protocol_version,
            });
        }
        if d.identity.engine_kind != config.engine_kind {
            return Err(RunError::WrongEngine {
                on,
                found: d.identity.engine_kind,
                expected: config.engine_kind,
            });
        }
        d.wait_calibrated()?;
        Ok(d)
    }

    pub fn identity(&self) -> Identity {
        self.identity
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Receives load progress events from now on.
    pub fn set_progress(&mut self, progress: Box<dyn FnMut(LoadProgress)>) {
        self.progress = Some(progress);
    }

    fn on(&self) -> String {
        self.transport.describe()
    }

    fn tr<V>(&self, r: Result<V, TransportError>) -> Result<V, RunError> {
        r.map_err(|error| RunError::Transport {
            on: self.on(),
            error,
        })
    }

    /// Reads the identity wire-outs.
    pub fn read_identity(&mut self) -> Result<Identity, RunError> {
        let r = self.transport.update_wire_outs();
        self.tr(r)?;
        Ok(Identity {
            design_id: self.wire_out(regmap::WIRE_OUT_DESIGN_ID)?,
            protocol_version: self.wire_out(regmap::WIRE_OUT_PROTOCOL_VERSION)?,
            engine_kind: self.wire_out(regmap::WIRE_OUT_ENGINE_KIND)?,
            lanes: self.wire_out(regmap::WIRE_OUT_LANES)?,
            acc_depth: self.wire_out(regmap::WIRE_OUT_ACC_DEPTH)?,
        })
    }

    fn wire_out(&mut self, addr: u8) -> Result<u16, RunError> {
        let r = self.transport.get_wire_out(addr);
        self.tr(r)
    }

    fn wire_out_u32(&mut self, lo: u8, hi: u8) -> Result<u32, RunError> {
        Ok(self.wire_out(lo)? as u32 | (self.wire_out(hi)? as u32) << 16)
    }

    fn set_u32(&mut self, lo: u8, hi: u8, v: u32) -> Result<(), RunError> {
        let r = self.transport.set_wire_in(lo, v as u16);
        self.tr(r)?;
        let r = self.transport.set_wire_in(hi, (v >> 16) as u16);
        self.tr(r)
    }

    fn wait_calibrated(&mut self) -> Result<(), RunError> {
        let start = self.transport.device_time();
        loop {
            let r = self.transport.update_wire_outs();
            self.tr(r)?;
            if self.wire_out(regmap::WIRE_OUT_STATUS)? & regmap::STATUS_CALIB_DONE != 0 {
                return Ok(());
            }
            if self.transport.device_time() - start > self.config.calibration_timeout {
                return Err(RunError::CalibrationPending {
                    on: self.on(),
                    after: self.config.calibration_timeout,
                });
            }
            let r = self.transport.pause(self.config.poll);
            self.tr(r)?;
        }
    }

    /// Polls the event trigger-out until a bit of `mask` fires; returns the bits that fired.
    fn wait_events(&mut self, mask: u16, timeout: Duration, what: &str) -> Result<u16, RunError> {
        let start = self.transport.device_time();
        loop {
            let r = self.transport.update_trigger_outs();
            self.tr(r)?;
            let mut fired = 0;
            for bit in 0..16 {
                if mask & 1 << bit != 0 {
                    let r = self
                        .transport
                        .is_triggered(regmap::TRIGGER_OUT_EVENTS, 1 << bit);
                    if self.tr(r)? {
                        fired |= 1 << bit;
                    }
                }
            }
            if fired != 0 {
                return Ok(fired);
            }
            if self.transport.device_time() - start > timeout {
                // Leave the bridge idle for the next command.
                let r = self
                    .transport
                    .activate_trigger_in(regmap::TRIGGER_IN_COMMAND, regmap::TRIG_ABORT);
                self.tr(r)?;
                return Err(RunError::Timeout {
                    on: self.on(),
                    what: what.into(),
                    after: timeout,
                });
            }
            let r = self.transport.pause(self.config.poll);
            self.tr(r)?;
        }
    }

    /// Reads the error code; `Ok` when it is `None`.
    fn check_error(&mut self, what: &str) -> Result<(), RunError> {
        let r = self.transport.update_wire_outs();
        self.tr(r)?;
        let code = self.wire_out(regmap::WIRE_OUT_ERROR_CODE)?;
        match ErrorCode::from_u16(code) {
            Some(ErrorCode::None) => Ok(()),
            Some(code) => Err(RunError::Engine {
                on: self.on(),
                what: what.into(),
                code,
            }),
            None => Err(RunError::UnknownErrorCode {
                on: self.on(),
                what: what.into(),
                code,
            }),
        }
    }

    fn arm(&mut self, trigger: u8, addr: u64, words: usize) -> Result<(), RunError> {
        let end = addr + words as u64;
        if end > DRAM_WORDS {
            return Err(RunError::OutOfDram {
                on: self.on(),
                what: format!("a transfer of {words} words at {addr}"),
                end,
            });
        }
        self.set_u32(
            regmap::WIRE_IN_XFER_ADDR_LO,
            regmap::WIRE_IN_XFER_ADDR_HI,
            addr as u32,
        )?;
        self.set_u32(
            regmap::WIRE_IN_XFER_WORDS_LO,
            regmap::WIRE_IN_XFER_WORDS_HI,
            words as u32,
        )?;
        let r = self.transport.update_wire_ins();
        self.tr(r)?;
        // Drop events of earlier commands.
        let r = self.transport.update_trigger_outs();
        self.tr(r)?;
        let r = self
            .transport
            .activate_trigger_in(regmap::TRIGGER_IN_COMMAND, trigger);
        self.tr(r)
    }

    /// Ends a cut-short transfer so the bridge returns to idle, then reports it.
    fn truncated(&mut self, what: &str, moved: usize, expected: usize) -> RunError {
        let _ = self
            .transport
            .activate_trigger_in(regmap::TRIGGER_IN_COMMAND, regmap::TRIG_ABORT);
        let _ = self.transport.pause(self.config.poll);
        RunError::TruncatedTransfer {
            on: self.on(),
            what: what.into(),
            moved,
            expected,
        }
    }

    fn xfer_done_mask() -> u16 {
        1 << regmap::TRIG_OUT_XFER_DONE | 1 << regmap::TRIG_OUT_ERROR
    }

    /// Writes whole words to DRAM at word address `addr` in one armed transfer.
    pub fn write_dram(&mut self, addr: u64, data: &[u8], what: &str) -> Result<(), RunError> {
        assert!(data.len() % WORD_BYTES == 0 && !data.is_empty());
        self.arm(regmap::TRIG_START_DRAM_WRITE, addr, data.len() / WORD_BYTES)?;
        // Whole 512-byte blocks, then the tail (whole 16-byte words) in the largest
        // power-of-two block that divides it: the bridge takes exactly XFER_WORDS words.
        let bulk = data.len() / BLOCK * BLOCK;
        let mut moved = 0;
        for (part, block) in [
            (&data[..bulk], BLOCK),
            (&data[bulk..], tail_block(data.len() - bulk)),
        ] {
            if part.is_empty() {
                continue;
            }
            let r = self
                .transport
                .write_to_block_pipe_in(regmap::PIPE_IN_DRAM, block, part);
            let n = self.tr(r)?;
            moved += n;
            if n < part.len() {
                return Err(self.truncated(what, moved, data.len()));
            }
        }
        let timeout = self.config.transfer_timeout;
        self.wait_events(Self::xfer_done_mask(), timeout, what)?;
        self.check_error(what)
    }

    /// Reads `words` words of DRAM from word address `addr`.
    pub fn read_dram(&mut self, addr: u64, words: usize, what: &str) -> Result<Vec<u8>, RunError> {
        assert!(words > 0);
        self.arm(regmap::TRIG_START_DRAM_READ, addr, words)?;
        // The bridge pads reads to whole blocks.
        let mut buf = vec![0u8; (words * WORD_BYTES).div_ceil(BLOCK) * BLOCK];
        let r = self
            .transport
            .read_from_block_pipe_out(regmap::PIPE_OUT_DRAM, BLOCK, &mut buf);
        let n = self.tr(r)?;
        if n < buf.len() {
            return Err(self.truncated(what, n, buf.len()));
        }
        let timeout = self.config.transfer_timeout;
        self.wait_events(Self::xfer_done_mask(), timeout, what)?;
        self.check_error(what)?;
        buf.truncate(words * WORD_BYTES);
        Ok(buf)
    }

    fn report(&mut self, p: LoadProgress) {
        if let Some(f) = self.progress.as_mut() {
            f(p);
        }
    }

    /// Writes the package image and reads it back; the package counts as loaded only when
    /// every word matches.
    pub fn load_package(&mut self, package: &Package) -> Result<(), RunError> {
        self.loaded = None;
        let c = &package.container;
        let end = c.end_addr();
        if end > DRAM_WORDS {
            return Err(RunError::OutOfDram {
                on: self.on(),
                what: "the package image".into(),
                end,
            });
        }
        let mut step_words = Vec::new();
        for k in 0..c.layers.len() {
            let d = c.descriptor(k).map_err(|e| RunError::BadImage {
                on: self.on(),
                message: format!("package layer {k}: {e}"),
            })?;
            let mut words = 0u64;
            for p in &d.passes {
                if self.identity.acc_depth != 0 && p.n_out > self.identity.acc_depth {
                    return Err(RunError::ShapeTooLarge {
                        on: self.on(),
                        layer: k,
                        n_out: p.n_out as usize,
                        acc_depth: self.identity.acc_depth,
                    });
                }
                words += p.records_words as u64 + p.n_out as u64 + p.n_in as u64;
            }
            step_words.push(words);
        }
        let total = c.image.len();
        let load = c.load_addr as u64;
        for (i, chunk) in c.image.chunks(LOAD_CHUNK_BYTES).enumerate() {
            let addr = load + (i * LOAD_CHUNK_BYTES / WORD_BYTES) as u64;
            self.write_dram(addr, chunk, "writing the package image")?;
            let done = (i * LOAD_CHUNK_BYTES + chunk.len()).min(total);
            self.report(LoadProgress::Write { done, total });
        }
        let mut mismatched = 0;
        let mut first = None;
        for (i, chunk) in c.image.chunks(LOAD_CHUNK_BYTES).enumerate() {
            let addr = load + (i * LOAD_CHUNK_BYTES / WORD_BYTES) as u64;
            let back = self.read_dram(addr, chunk.len() / WORD_BYTES, "reading the image back")?;
            for (w, (a, b)) in chunk
                .chunks_exact(WORD_BYTES)
                .zip(back.chunks_exact(WORD_BYTES))
                .enumerate()
            {
                if a != b {
                    mismatched += 1;
                    if first.is_none() {
                        first = Some((
                            addr + w as u64,
                            (&a[..]).get_u128_le(),
                            (&b[..]).get_u128_le(),
                        ));
                    }
                }
            }
            let done = (i * LOAD_CHUNK_BYTES + chunk.len()).min(total);
            self.report(LoadProgress::Verify { done, total });
        }
        if let Some((first_addr, expected, found)) = first {
            return Err(RunError::VerifyFailed {
                on: self.on(),
                words: total / WORD_BYTES,
                mismatched_words: mismatched,
                first_addr,
                expected,
                found,
            });
        }
        self.loaded = Some(Loaded {
            layers: c.layers.clone(),
            step_words,
            scratch_addr: end.div_ceil(SCRATCH_ALIGN_WORDS) * SCRATCH_ALIGN_WORDS,
        });
        Ok(())
    }

    fn run_deadline(&self, step_words: u64, steps: usize) -> Duration {
        if let Some(t) = self.config.run_timeout {
            return t;
        }
        // Generous: 8 UI cycles per streamed DRAM word and step, plus a fixed allowance.
        let cycles = 8 * step_words * steps as u64 + 100_000;
        let estimate = Duration::from_nanos(cycles * 10);
        estimate.max(self.config.run_timeout_min)
    }

    /// Runs one layer (see [`Accelerator::run`], whose checks it makes); returns outputs and
    /// counters.
    pub fn run_layer(
        &mut self,
        layer: usize,
        inputs: &[Vec<i8>],
        state: &mut LayerState,
    ) -> Result<RunOutput, RunError> {
        let Some(loaded) = self.loaded.as_ref() else {
            return Err(RunError::NotLoaded { on: self.on() });
        };
        let Some(&entry) = loaded.layers.get(layer) else {
            return Err(RunError::NoSuchLayer {
                on: self.on(),
                layer,
                layers: loaded.layers.len(),
            });
        };
        let step_words = loaded.step_words[layer];
        let scratch = loaded.scratch_addr;
        check_run(
            &self.name,
            layer,
            entry.kind,
            entry.n_in as usize,
            entry.n_hidden as usize,
            inputs,
            state,
        )?;
        let steps = inputs.len();
        let run = RunLayout::new(
            entry.kind,
            entry.n_in as usize,
            entry.n_hidden as usize,
            steps,
            scratch,
        );
        if run.end > DRAM_WORDS {
            return Err(RunError::OutOfDram {
                on: self.on(),
                what: format!("run-time vectors of layer {layer}"),
                end: run.end,
            });
        }
        // Inputs and state in one transfer.
        let bytes = run.pack_inputs(inputs, &state.h, &state.c);
        self.write_dram(run.in_addr, &bytes, "writing run inputs")?;

        self.set_u32(
            regmap::WIRE_IN_DESC_ADDR_LO,
            regmap::WIRE_IN_DESC_ADDR_HI,
            entry.desc_addr,
        )?;
        self.set_u32(
            regmap::WIRE_IN_IN_ADDR_LO,
            regmap::WIRE_IN_IN_ADDR_HI,
            run.in_addr as u32,
        )?;
        self.set_u32(
            regmap::WIRE_IN_OUT_ADDR_LO,
            regmap::WIRE_IN_OUT_ADDR_HI,
            run.out_addr as u32,
        )?;
        self.set_u32(
            regmap::WIRE_IN_STATE_ADDR_LO,
            regmap::WIRE_IN_STATE_ADDR_HI,
            run.state_addr as u32,
        )?;
        let r = self
            .transport
            .set_wire_in(regmap::WIRE_IN_STEPS, steps as u16);
        self.tr(r)?;
        let r = self.transport.update_wire_ins();
        self.tr(r)?;
        let r = self.transport.update_trigger_outs();
        self.tr(r)?;
        let r = self
            .transport
            .activate_trigger_in(regmap::TRIGGER_IN_COMMAND, regmap::TRIG_START_RUN);
        self.tr(r)?;
        let what = format!("layer {layer} run of {steps} steps");
        let deadline = self.run_deadline(step_words, steps);
        self.wait_events(
            1 << regmap::TRIG_OUT_RUN_DONE | 1 << regmap::TRIG_OUT_ERROR,
            deadline,
            &what,
        )?;
        self.check_error(&what)?;
        let counters = self.counters()?;

        let back = self.read_dram(
            run.state_addr,
            run.back_bytes() / WORD_BYTES,
            "reading run outputs",
        )?;
        let (h, c) = run.read_state(&back);
        if entry.kind != LayerKind::Fc {
            (state.h, state.c) = (h, c);
        }
        let outputs = match entry.kind {
            LayerKind::Fc => StepOutputs::Accumulators(
                (0..steps)
                    .map(|t| run.read_accumulators(&back, t))
                    .collect(),
            ),
            _ => StepOutputs::Hidden((0..steps).map(|t| run.read_hidden(&back, t)).collect()),
        };
        Ok(RunOutput {
            outputs,
            counters: Some(counters),
        })
    }

    /// The performance counters of the last run.
    pub fn counters(&mut self) -> Result<PerfCounters, RunError> {
        use regmap::*;
        Ok(PerfCounters {
            cycles: self.wire_out_u32(WIRE_OUT_CYCLES_LO, WIRE_OUT_CYCLES_HI)?,
            busy_cycles: self.wire_out_u32(WIRE_OUT_BUSY_CYCLES_LO, WIRE_OUT_BUSY_CYCLES_HI)?,
            stall_cycles: self.wire_out_u32(WIRE_OUT_STALL_CYCLES_LO, WIRE_OUT_STALL_CYCLES_HI)?,
            dram_words: self.wire_out_u32(WIRE_OUT_DRAM_WORDS_LO, WIRE_OUT_DRAM_WORDS_HI)?,
            mults: self.wire_out_u32(WIRE_OUT_MULTS_LO, WIRE_OUT_MULTS_HI)?,
            adds: self.wire_out_u32(WIRE_OUT_ADDS_LO, WIRE_OUT_ADDS_HI)?,
        })
    }
}

/// Largest power-of-two block (at most [`BLOCK`]) dividing `len` (a multiple of 16).
fn tail_block(len: usize) -> usize {
    let mut b = BLOCK;
    while b > WORD_BYTES && len % b != 0 {
        b /= 2;
    }
    b
}

impl<T: Transport> Accelerator for Device<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn load(&mut self, package: &Package) -> Result<(), RunError> {
        self.load_package(package)
    }

    fn run(
        &mut self,
        layer: usize,
        inputs: &[Vec<i8>],
        state: &mut LayerState,
    ) -> Result<RunOutput, RunError> {
        self.run_layer(layer, inputs, state)
    }
}
