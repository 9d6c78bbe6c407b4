//! The CREW driver over any [`Transport`]: checks that the board runs a CREW bitstream this
//! host speaks, with an engine it knows (here), loads a package's DRAM image for that
//! engine through the pipe and verifies it by reading it back (`dram.rs`: the CREW image,
//! or for the dense engine the dense image built from the package), and runs layers (`run.rs`: inputs in, start, wait for done,
//! error code, outputs and performance counters out). Every wait has a deadline on the
//! device clock.
//!
//! DRAM layout: the package image at its load address; run-time vectors of one run above
//! the image, from the first 256-word boundary past it, in `crew_spec::layout::RunLayout`
//! (`[inputs | state | outputs]`): one pipe write carries inputs and state, one pipe read
//! brings back state and outputs.

pub mod bitstream;
mod dram;
mod program;
mod run;

use std::time::Duration;

use crew_hw::board::engine::BoardEngine;
use crew_spec::engine::{EngineConfig, EngineInfo, EngineKind};
use crew_spec::package::LayerEntry;
use crew_spec::regmap::{self, ErrorCode};

use crate::backend::program::{ProgramOutput, ProgramSpec};
use crate::backend::{Accelerator, LayerState, RunOutput, StackOutput};
use crate::compiler::package::Package;
use crate::error::RunError;
use crate::transport::{Transport, TransportError};

/// What the identity wire-outs say about the configured bitstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    pub design_id: u16,
    pub protocol_version: u16,
    /// The engine configuration (kind, lanes, accumulator depth), as the engine contract
    /// declares what the wires report.
    pub engine: EngineInfo,
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
    /// The engine the host expects (kind, lanes and accumulator depth, as a
    /// [`BoardEngine`] reports them); None: whichever engine the bitstream holds.
    pub engine: Option<EngineInfo>,
}

impl DeviceConfig {
    /// For a board on USB (polls cost a USB round trip anyway), running whichever engine
    /// its bitstream holds.
    pub fn board() -> DeviceConfig {
        DeviceConfig {
            transfer_timeout: Duration::from_secs(2),
            calibration_timeout: Duration::from_secs(2),
            run_timeout_min: Duration::from_millis(500),
            run_timeout: None,
            poll: Duration::from_micros(200),
            engine: None,
        }
    }

    /// For the simulated board with the CREW engine (simulated time is costly: short
    /// deadlines, fine polls).
    pub fn sim() -> DeviceConfig {
        DeviceConfig {
            transfer_timeout: Duration::from_millis(10),
            calibration_timeout: Duration::from_millis(10),
            run_timeout_min: Duration::from_millis(5),
            run_timeout: None,
            poll: Duration::from_micros(10),
            engine: Some(BoardEngine::Crew.info()),
        }
    }
}

struct Loaded {
    /// Bytes of the image loaded (the CREW image, or the dense one).
    image_bytes: usize,
    layers: Vec<LayerEntry>,
    /// The sequence program in the loaded image (`crew_spec::program`).
    program_addr: Option<u32>,
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

impl Identity {
    /// The engine part: kind, lanes, accumulator depth.
    pub fn engine(&self) -> EngineInfo {
        self.engine
    }
}

impl<T: Transport> Device<T> {
    /// Checks the identity wires (design id, protocol version, engine kind) and DRAM
    /// calibration; refuses a board that runs another bitstream, an engine this host does
    /// not know, or another engine than `config.engine`. `name` is the backend name
    /// in messages ("board", "sim").
    pub fn open(transport: T, name: &str, config: DeviceConfig) -> Result<Device<T>, RunError> {
        let mut d = Device {
            transport,
            name: name.into(),
            config,
            identity: Identity {
                design_id: 0,
                protocol_version: 0,
                engine: EngineInfo {
                    kind: 0,
                    lanes: 0,
                    acc_depth: 0,
                },
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
        let found = d.identity.engine.kind;
        if regmap::engine_kind_name(found).is_none() {
            return Err(RunError::UnknownEngine { on, found });
        }
        if let Some(expected) = config.engine.filter(|&e| e != d.identity.engine()) {
            return Err(RunError::WrongEngine {
                on,
                found: d.identity.engine(),
                expected,
            });
        }
        d.wait_calibrated()?;
        Ok(d)
    }

    pub fn identity(&self) -> Identity {
        self.identity
    }

    /// The engine configuration the identity wires report, from the engine contract; an
    /// undeclared geometry of a known kind gets the contract's shared input and hidden
    /// limits with the accumulators it reports.
    pub fn engine_config(&self) -> EngineConfig {
        let info = self.identity.engine;
        if let Some(config) = EngineConfig::by_info(info) {
            return *config;
        }
        let lanes = (info.lanes as usize).max(1);
        EngineConfig {
            name: "reported",
            kind: EngineKind::from_code(info.kind).unwrap_or(EngineKind::Crew),
            lanes,
            acc_bits: (info.acc_depth as usize / lanes).max(1).ilog2() as usize,
            max_inputs: crew_spec::engine::MAX_INPUTS,
            max_hidden: crew_spec::engine::MAX_HIDDEN,
            summary: "a configuration the engine contract does not declare",
        }
    }

    /// Bytes of the image the last successful load put in DRAM (None before one).
    pub fn loaded_image_bytes(&self) -> Option<usize> {
        self.loaded.as_ref().map(|l| l.image_bytes)
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
            engine: EngineInfo {
                kind: self.wire_out(regmap::WIRE_OUT_ENGINE_KIND)?,
                lanes: self.wire_out(regmap::WIRE_OUT_LANES)?,
                acc_depth: self.wire_out(regmap::WIRE_OUT_ACC_DEPTH)?,
            },
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

    fn run_program(
        &mut self,
        spec: &ProgramSpec,
        sources: &[Vec<u16>],
    ) -> Result<Option<ProgramOutput>, RunError> {
        self.run_sequence_program(spec, sources).map(Some)
    }

    fn run_stack(&mut self, inputs: &[Vec<i8>]) -> Result<Option<StackOutput>, RunError> {
        self.run_layer_stack(inputs).map(Some)
    }
}
