//! The simulated XEM7010 as the host sees it over USB: the one facade that crew-host's sim
//! transport (`host-driver/src/transport/sim.rs`) and the frontpanel-sim stand-in
//! (`frontpanel-sim/src/device.rs`) both drive. It joins the board ([`SimBoard`]), the
//! device clock of the USB cost model ([`UsbDeviceClock`]: every call costs what it would
//! on USB 2.0, so device time is a board's) and the faults ([`super::faults`]), and names
//! its calls as FrontPanel does so a fault list means the same to both front ends. What a
//! front end adds is only its own API: typed errors for the transport, `ok_ErrorCode`s for
//! the stand-in.

use super::faults::PendingFaults;
use super::usb_timing::{UsbCall, UsbDeviceClock};
use super::{Fault, SimBoard, SimBoardError};
use crew_spec::regmap;

/// FrontPanel's default USB timeout until `SetTimeout`.
pub const DEFAULT_USB_TIMEOUT_MS: u64 = 10_000;
const PS_PER_MS: u64 = 1_000_000_000;

/// Why a call of the simulated device failed. `call` is the FrontPanel function's name
/// without its `okFrontPanel_` prefix.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// The board itself refused (bad endpoint, block size, no convergence, ...).
    #[error(transparent)]
    Board(#[from] SimBoardError),
    /// The call waited out the USB timeout (fault `timeout=CALL`).
    #[error("{call}: USB timeout")]
    Timeout { call: &'static str },
    /// The call failed (fault `fail-update-wire-outs=N`).
    #[error("{call} failed")]
    Failed { call: &'static str },
    /// The device is gone (fault `disappear-after-bytes=N`), this call and every later one.
    #[error("{call}: the device is no longer attached")]
    Unplugged { call: &'static str },
}

/// The simulated device (see the module documentation).
pub struct SimDevice {
    board: Box<SimBoard>,
    clock: UsbDeviceClock,
    timeout_ms: u64,
    unplugged: bool,
}

impl SimDevice {
    /// A device around a freshly powered board; its clock starts at 0.
    pub fn new(board: SimBoard) -> SimDevice {
        SimDevice {
            board: Box::new(board),
            clock: UsbDeviceClock::new(),
            timeout_ms: DEFAULT_USB_TIMEOUT_MS,
            unplugged: false,
        }
    }

    pub fn board(&self) -> &SimBoard {
        &self.board
    }

    pub fn board_mut(&mut self) -> &mut SimBoard {
        &mut self.board
    }

    /// Device time since power-up, ps (USB calls plus simulated board time).
    pub fn now_ps(&self) -> u64 {
        self.clock.now_ps(&self.board)
    }

    /// Lets `ps` of device time pass (the host waits).
    pub fn pass(&mut self, ps: u64) -> Result<(), DeviceError> {
        Ok(self.clock.pass(&mut self.board, ps)?)
    }

    /// `SetTimeout`: how long a timed-out call waits.
    pub fn set_timeout_ms(&mut self, ms: u64) {
        self.timeout_ms = ms;
    }

    pub fn unplugged(&self) -> bool {
        self.unplugged
    }

    /// Unplugged, or a timeout fault for `call` (which then waits out the timeout).
    fn before_call(
        &mut self,
        faults: &mut PendingFaults,
        call: &'static str,
    ) -> Result<(), DeviceError> {
        if self.unplugged {
            return Err(DeviceError::Unplugged { call });
        }
        if faults.take_timeout(call) {
            self.pass(self.timeout_ms.saturating_mul(PS_PER_MS))?;
            return Err(DeviceError::Timeout { call });
        }
        Ok(())
    }

    fn usb<R>(
        &mut self,
        faults: &mut PendingFaults,
        call: &'static str,
        usb: UsbCall,
        f: impl FnOnce(&mut SimBoard) -> Result<R, SimBoardError>,
    ) -> Result<R, DeviceError> {
        self.before_call(faults, call)?;
        Ok(self.clock.call(&mut self.board, usb, f)?)
    }

    /// Sets a wire-in in the host-side buffer (no USB traffic until `UpdateWireIns`).
    pub fn set_wire_in(&mut self, addr: u8, value: u16) -> Result<(), DeviceError> {
        Ok(self.board.set_wire_in(addr, value)?)
    }

    pub fn update_wire_ins(&mut self, faults: &mut PendingFaults) -> Result<(), DeviceError> {
        self.usb(
            faults,
            "UpdateWireIns",
            UsbCall::UpdateWireIns,
            SimBoard::update_wire_ins,
        )
    }

    pub fn update_wire_outs(&mut self, faults: &mut PendingFaults) -> Result<(), DeviceError> {
        let call = "UpdateWireOuts";
        if !self.unplugged && faults.count_update_wire_outs() {
            return Err(DeviceError::Failed { call });
        }
        self.usb(
            faults,
            call,
            UsbCall::UpdateWireOuts,
            SimBoard::update_wire_outs,
        )
    }

    /// A wire-out as of the last `UpdateWireOuts`, or the identity a fault makes it report.
    pub fn get_wire_out(&self, faults: &PendingFaults, addr: u8) -> Result<u16, DeviceError> {
        let value = self.board.get_wire_out(addr)?;
        Ok(faults.wire_out_override(addr).unwrap_or(value))
    }

    /// Starting a run (a layer run or a program) is when `stall-dram-at-run` stalls the DRAM
    /// port.
    pub fn activate_trigger_in(
        &mut self,
        faults: &mut PendingFaults,
        addr: u8,
        bit: u8,
    ) -> Result<(), DeviceError> {
        if !self.unplugged
            && addr == regmap::TRIGGER_IN_COMMAND
            && (bit == regmap::TRIG_START_RUN || bit == regmap::TRIG_START_PROGRAM)
        {
            if let Some(ui_cycles) = faults.take_stall_at_run() {
                self.board.inject(Fault::StallDram { ui_cycles });
            }
        }
        self.usb(
            faults,
            "ActivateTriggerIn",
            UsbCall::ActivateTriggerIn,
            |b| b.activate_trigger_in(addr, bit),
        )
    }

    pub fn update_trigger_outs(&mut self, faults: &mut PendingFaults) -> Result<(), DeviceError> {
        self.usb(
            faults,
            "UpdateTriggerOuts",
            UsbCall::UpdateTriggerOuts,
            SimBoard::update_trigger_outs,
        )
    }

    pub fn is_triggered(&self, addr: u8, mask: u16) -> Result<bool, DeviceError> {
        Ok(self.board.is_triggered(addr, mask)?)
    }

    pub fn write_to_block_pipe_in(
        &mut self,
        faults: &mut PendingFaults,
        addr: u8,
        block_size: usize,
        data: &[u8],
    ) -> Result<usize, DeviceError> {
        self.pipe(faults, "WriteToBlockPipeIn", data.len(), |b| {
            b.write_to_block_pipe_in(addr, block_size, data)
        })
    }

    pub fn read_from_block_pipe_out(
        &mut self,
        faults: &mut PendingFaults,
        addr: u8,
        block_size: usize,
        buf: &mut [u8],
    ) -> Result<usize, DeviceError> {
        let len = buf.len();
        self.pipe(faults, "ReadFromBlockPipeOut", len, |b| {
            b.read_from_block_pipe_out(addr, block_size, buf)
        })
    }

    /// A pipe transfer: cut short or unplugged by a fault, counted for
    /// `disappear-after-bytes`.
    fn pipe(
        &mut self,
        faults: &mut PendingFaults,
        call: &'static str,
        len: usize,
        transfer: impl FnOnce(&mut SimBoard) -> Result<usize, SimBoardError>,
    ) -> Result<usize, DeviceError> {
        self.before_call(faults, call)?;
        let cut = faults.pipe_cut(len);
        if let Some(cut) = cut {
            self.board.inject(Fault::CutPipeTransfer {
                after_bytes: cut.after_bytes,
            });
        }
        let moved = self
            .clock
            .call(&mut self.board, UsbCall::Pipe { bytes: len }, transfer)?;
        faults.count_pipe_bytes(moved);
        if cut.is_some_and(|c| c.unplug) {
            self.unplugged = true;
            return Err(DeviceError::Unplugged { call });
        }
        Ok(moved)
    }
}
