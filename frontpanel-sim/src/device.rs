//! The one simulated device of the stand-in: presence (faults can unplug it), the FPGA's
//! configuration (none, or the simulated board running the CREW or the dense design), the host-side
//! wire-in buffer, and the device clock under the USB cost model.

use std::path::{Path, PathBuf};

use crew_hw::board::engine::BoardEngine;
use crew_hw::board::sim_board::device::{DeviceError, SimDevice, DEFAULT_USB_TIMEOUT_MS};
use crew_hw::board::sim_board::faults::{parse_list, PendingFaults};
use crew_hw::board::sim_board::usb_timing::UsbCall;
use crew_hw::board::sim_board::{SimBoard, SimBoardConfig, SimBoardError};
use crew_hw::bridge::EngineInfo;
use rust_hdl_ok_frontpanel_sys::ErrorName;

use crate::configure::{self, Refused};
use crate::state::{self, ConfiguredWith, PersistedState};
use crate::{FAULTS_ENV, STATE_ENV};

const PS_PER_MS: u64 = 1_000_000_000;
const PS_PER_NS: u64 = 1_000;

/// An `ok_ErrorCode`.
pub type Code = i32;

fn ok() -> Code {
    ErrorName::NoError.code()
}

fn sim_code(error: SimBoardError) -> Code {
    match error {
        SimBoardError::InvalidEndpoint { .. } => ErrorName::InvalidEndpoint.code(),
        SimBoardError::InvalidBlockSize { .. } => ErrorName::InvalidBlockSize.code(),
        SimBoardError::InvalidTransferLength { .. } => ErrorName::InvalidParameter.code(),
        SimBoardError::Timeout { .. } => ErrorName::Timeout.code(),
        SimBoardError::NoConvergence { .. }
        | SimBoardError::Verilator(_)
        | SimBoardError::TraceNeedsVerilator(_)
        | SimBoardError::Trace { .. } => ErrorName::Failed.code(),
    }
}

fn device_code(error: DeviceError) -> Code {
    match error {
        DeviceError::Board(e) => sim_code(e),
        DeviceError::Timeout { .. } => ErrorName::Timeout.code(),
        DeviceError::Failed { .. } => ErrorName::Failed.code(),
        DeviceError::Unplugged { .. } => ErrorName::DeviceNotOpen.code(),
    }
}

pub struct Device {
    faults: PendingFaults,
    /// Why the environment could not be used (bad fault list, unreadable state file):
    /// Construct then returns no handle.
    environment_problem: Option<String>,
    state_file: Option<PathBuf>,
    /// The persisted configuration has been applied (on first open).
    restored: bool,
    present: bool,
    /// The configured FPGA: the simulated device (board and its clock since configuration).
    configured: Option<SimDevice>,
    /// Device time before the current configuration (and all of it while unconfigured).
    base_ps: u64,
    timeout_ms: u64,
    wire_ins: [u32; 32],
}

impl Device {
    pub fn from_env() -> Device {
        let mut environment_problem = None;
        let faults = match parse_list(&std::env::var(FAULTS_ENV).unwrap_or_default()) {
            Ok(f) => PendingFaults::new(&f),
            Err(e) => {
                environment_problem = Some(format!("{FAULTS_ENV}: {e}"));
                PendingFaults::default()
            }
        };
        Device {
            faults,
            environment_problem,
            state_file: std::env::var_os(STATE_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            restored: false,
            present: true,
            configured: None,
            base_ps: 0,
            timeout_ms: DEFAULT_USB_TIMEOUT_MS,
            wire_ins: [0; 32],
        }
    }

    pub fn environment_problem(&self) -> Option<&str> {
        self.environment_problem.as_deref()
    }

    pub fn present(&self) -> bool {
        self.present
    }

    /// Opening the device applies the persisted configuration, once per process.
    pub fn open(&mut self) -> Code {
        if !self.present {
            return ErrorName::DeviceNotOpen.code();
        }
        if !self.restored {
            self.restored = true;
            let persisted = match &self.state_file {
                Some(path) => state::read(path),
                None => Ok(PersistedState {
                    configured_with: None,
                }),
            };
            match persisted {
                Ok(PersistedState {
                    configured_with: Some(with),
                }) => {
                    let info = EngineInfo {
                        kind: with.engine_kind,
                        lanes: with.lanes,
                        acc_depth: with.acc_depth,
                    };
                    let Some(engine) = BoardEngine::from_info(info) else {
                        self.environment_problem = Some(format!(
                            "{STATE_ENV}: engine kind {} with {} lanes and accumulator depth \
                             {} is no design of the simulated board",
                            with.engine_kind, with.lanes, with.acc_depth
                        ));
                        return ErrorName::Failed.code();
                    };
                    if let Err(code) = self.power_up_design(engine) {
                        return code;
                    }
                }
                Ok(_) => {}
                Err(problem) => {
                    self.environment_problem = Some(format!("{STATE_ENV}: {problem}"));
                    return ErrorName::Failed.code();
                }
            }
        }
        ok()
    }

    pub fn set_timeout(&mut self, ms: u64) {
        self.timeout_ms = ms;
        if let Some(d) = self.configured.as_mut() {
            d.set_timeout_ms(ms);
        }
    }

    // ---- clock ----

    pub fn device_time_ps(&self) -> u64 {
        self.base_ps + self.configured.as_ref().map_or(0, SimDevice::now_ps)
    }

    /// Lets `ns` of device time pass (the host waits).
    pub fn wait_ns(&mut self, ns: u64) -> Code {
        let ps = ns.saturating_mul(PS_PER_NS);
        match self.configured.as_mut() {
            Some(d) => match d.pass(ps) {
                Ok(()) => ok(),
                Err(e) => device_code(e),
            },
            None => {
                self.base_ps += ps;
                ok()
            }
        }
    }

    /// The call waits out the USB timeout and fails (fault or unconfigured FPGA).
    fn time_out(&mut self) -> Code {
        let code = self.wait_ns(self.timeout_ms.saturating_mul(PS_PER_MS / PS_PER_NS));
        if code == ok() {
            ErrorName::Timeout.code()
        } else {
            code
        }
    }

    /// A call of the simulated device: an unplugged device answers DeviceNotOpen (and is
    /// gone from the device list); an unconfigured FPGA answers nothing, but the call still
    /// takes its time (and a timeout fault still fires).
    fn on_device<R>(
        &mut self,
        call: &str,
        usb: UsbCall,
        f: impl FnOnce(&mut SimDevice, &mut PendingFaults) -> Result<R, DeviceError>,
    ) -> Result<Option<R>, Code> {
        if !self.present {
            return Err(ErrorName::DeviceNotOpen.code());
        }
        let Some(device) = self.configured.as_mut() else {
            if self.faults.take_timeout(call) {
                return Err(self.time_out());
            }
            self.base_ps += usb.cost_ps();
            return Ok(None);
        };
        match f(device, &mut self.faults) {
            Ok(r) => Ok(Some(r)),
            Err(e) => {
                if matches!(e, DeviceError::Unplugged { .. }) {
                    self.present = false;
                }
                Err(device_code(e))
            }
        }
    }

    // ---- configuration ----

    fn power_up_design(&mut self, engine: BoardEngine) -> Result<(), Code> {
        self.base_ps = self.device_time_ps();
        self.configured = None;
        let board = SimBoard::new(SimBoardConfig {
            engine,
            ..SimBoardConfig::default()
        })
        .map_err(sim_code)?;
        let mut device = SimDevice::new(board);
        device.set_timeout_ms(self.timeout_ms);
        self.configured = Some(device);
        Ok(())
    }

    fn persist(&mut self, configured_with: Option<ConfiguredWith>) -> Code {
        let Some(path) = &self.state_file else {
            return ok();
        };
        match state::write(path, &PersistedState { configured_with }) {
            Ok(()) => ok(),
            Err(problem) => {
                self.environment_problem = Some(format!("{STATE_ENV}: {problem}"));
                ErrorName::Failed.code()
            }
        }
    }

    pub fn configure(&mut self, bit: &Path) -> Code {
        if !self.present {
            return ErrorName::DeviceNotOpen.code();
        }
        if self.faults.take_timeout("ConfigureFPGA") {
            return self.time_out();
        }
        match configure::check(bit) {
            Err(Refused::Unreadable) => Refused::Unreadable.code(),
            Err(refused) => {
                // The FPGA was cleared for the download that then failed.
                self.base_ps = self.device_time_ps();
                self.configured = None;
                let code = self.persist(None);
                if code == ok() {
                    refused.code()
                } else {
                    code
                }
            }
            Ok(accepted) => {
                let download = UsbCall::Pipe {
                    bytes: accepted.bitstream_bytes,
                };
                self.base_ps = self.device_time_ps() + download.cost_ps();
                self.configured = None;
                if let Err(code) = self.power_up_design(accepted.engine) {
                    return code;
                }
                let info = accepted.engine.info();
                self.persist(Some(ConfiguredWith {
                    bitstream: bit.to_path_buf(),
                    bitstream_sha256: accepted.bitstream_sha256,
                    engine_kind: info.kind,
                    lanes: info.lanes,
                    acc_depth: info.acc_depth,
                }))
            }
        }
    }

    // ---- endpoints ----

    pub fn set_wire_in(&mut self, addr: i32, value: u32, mask: u32) -> Code {
        match usize::try_from(addr).ok().filter(|&a| a < 0x20) {
            Some(a) => {
                self.wire_ins[a] = (self.wire_ins[a] & !mask) | (value & mask);
                ok()
            }
            None => ErrorName::InvalidEndpoint.code(),
        }
    }

    pub fn get_wire_in(&self, addr: i32) -> Result<u32, Code> {
        usize::try_from(addr)
            .ok()
            .filter(|&a| a < 0x20)
            .map(|a| self.wire_ins[a])
            .ok_or(ErrorName::InvalidEndpoint.code())
    }

    fn code<R>(result: Result<Option<R>, Code>) -> Code {
        result.err().unwrap_or_else(ok)
    }

    pub fn update_wire_ins(&mut self) -> Code {
        let values = self.wire_ins;
        Self::code(
            self.on_device("UpdateWireIns", UsbCall::UpdateWireIns, |d, faults| {
                for (addr, value) in values.iter().enumerate() {
                    d.set_wire_in(addr as u8, *value as u16)?;
                }
                d.update_wire_ins(faults)
            }),
        )
    }

    pub fn update_wire_outs(&mut self) -> Code {
        Self::code(self.on_device(
            "UpdateWireOuts",
            UsbCall::UpdateWireOuts,
            SimDevice::update_wire_outs,
        ))
    }

    /// The captured wire-out value; 0 for an unconfigured FPGA or an invalid address.
    pub fn get_wire_out(&self, addr: i32) -> u32 {
        match (&self.configured, u8::try_from(addr)) {
            (Some(d), Ok(a)) if self.present => {
                d.get_wire_out(&self.faults, a).map_or(0, u32::from)
            }
            _ => 0,
        }
    }

    pub fn activate_trigger_in(&mut self, addr: i32, bit: i32) -> Code {
        let (Ok(addr), Ok(bit)) = (u8::try_from(addr), u8::try_from(bit)) else {
            return ErrorName::InvalidEndpoint.code();
        };
        Self::code(self.on_device(
            "ActivateTriggerIn",
            UsbCall::ActivateTriggerIn,
            |d, faults| d.activate_trigger_in(faults, addr, bit),
        ))
    }

    pub fn update_trigger_outs(&mut self) -> Code {
        Self::code(self.on_device(
            "UpdateTriggerOuts",
            UsbCall::UpdateTriggerOuts,
            SimDevice::update_trigger_outs,
        ))
    }

    pub fn is_triggered(&self, addr: i32, mask: u32) -> bool {
        match (&self.configured, u8::try_from(addr)) {
            (Some(d), Ok(a)) if self.present => d.is_triggered(a, mask as u16) == Ok(true),
            _ => false,
        }
    }

    /// A block pipe transfer: the byte count moved, or a negative `ok_ErrorCode`. Without
    /// a configured FPGA no design drives the pipe's ready: the transfer times out.
    pub fn block_pipe(
        &mut self,
        name: &str,
        len: usize,
        transfer: impl FnOnce(&mut SimDevice, &mut PendingFaults) -> Result<usize, DeviceError>,
    ) -> i64 {
        if self.present && self.configured.is_none() {
            return self.time_out().into();
        }
        match self.on_device(name, UsbCall::Pipe { bytes: len }, transfer) {
            Ok(moved) => moved.unwrap_or(0) as i64,
            Err(code) => code.into(),
        }
    }
}
