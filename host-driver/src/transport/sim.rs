//! The simulated XEM7010 as a transport: `crew_hw::board::sim_board::device::SimDevice`,
//! the facade the frontpanel-sim stand-in drives too (the board, host bridge and engine
//! and DDR3 model simulated cycle by cycle; the USB cost model's device clock, so
//! deadlines, cycle counts and device time mean what they would on a board on USB 2.0;
//! the one fault vocabulary).
//!
//! [`SimFault`]s exercise the driver's error paths with the real simulated design: cut a
//! pipe transfer short, stall the DRAM port when a run starts, make the identity
//! wire-outs report another bitstream, time out or fail a FrontPanel call, unplug the
//! device. Call failures come back as the [`FrontPanelError`]s a real board gives.

use std::time::Duration;

pub use crew_hw::board::engine::BoardEngine;
use crew_hw::board::sim_board::device::{DeviceError, SimDevice};
use crew_hw::board::sim_board::faults::PendingFaults;
pub use crew_hw::board::sim_board::faults::SimFault;
use crew_hw::board::sim_board::SimBoard;
pub use crew_hw::board::sim_board::{SimBoardConfig, Simulator};
use rust_hdl_ok_frontpanel_sys::{ErrorName, FrontPanelError, OkError};

use super::{Simulation, Transport, TransportError};

/// UI cycles the simulated DRAM gets to calibrate before the board is handed out.
const CALIBRATION_UI_CYCLES: u64 = 100_000;

/// The FrontPanel function names the facade reports, with the library's prefix.
fn frontpanel_name(call: &'static str) -> &'static str {
    match call {
        "UpdateWireIns" => "okFrontPanel_UpdateWireIns",
        "UpdateWireOuts" => "okFrontPanel_UpdateWireOuts",
        "ActivateTriggerIn" => "okFrontPanel_ActivateTriggerIn",
        "UpdateTriggerOuts" => "okFrontPanel_UpdateTriggerOuts",
        "WriteToBlockPipeIn" => "okFrontPanel_WriteToBlockPipeIn",
        "ReadFromBlockPipeOut" => "okFrontPanel_ReadFromBlockPipeOut",
        other => other,
    }
}

impl From<DeviceError> for TransportError {
    fn from(e: DeviceError) -> TransportError {
        let call_failed = |call: &'static str, name: ErrorName| {
            TransportError::FrontPanel(FrontPanelError::Call {
                call: frontpanel_name(call),
                error: OkError { code: name.code() },
            })
        };
        match e {
            DeviceError::Board(e) => TransportError::Sim(e),
            DeviceError::Timeout { call } => call_failed(call, ErrorName::Timeout),
            DeviceError::Failed { call } => call_failed(call, ErrorName::Failed),
            DeviceError::Unplugged { call } => call_failed(call, ErrorName::DeviceNotOpen),
        }
    }
}

/// The simulated board behind the [`Transport`] trait.
pub struct SimTransport {
    device: SimDevice,
    faults: PendingFaults,
}

impl SimTransport {
    /// A freshly powered simulated board with calibrated DRAM: the CREW engine on the
    /// default simulator.
    pub fn new(faults: &[SimFault]) -> Result<SimTransport, TransportError> {
        SimTransport::with_board(faults, SimBoardConfig::default())
    }

    /// [`SimTransport::new`] with the board `config` (engine, simulator, VCD waveform of
    /// the whole session).
    pub fn with_board(
        faults: &[SimFault],
        config: SimBoardConfig,
    ) -> Result<SimTransport, TransportError> {
        let mut board = SimBoard::new(config)?;
        board.wait_calibrated(CALIBRATION_UI_CYCLES)?;
        Ok(SimTransport {
            device: SimDevice::new(board),
            faults: PendingFaults::new(faults),
        })
    }

    /// How the board was set up, when the user should know (a Verilator build just ran,
    /// or Verilator is missing and the board fell back to rust-hdl).
    pub fn notice(&self) -> Option<&str> {
        self.device.board().notice()
    }

    pub fn board(&self) -> &SimBoard {
        self.device.board()
    }

    pub fn board_mut(&mut self) -> &mut SimBoard {
        self.device.board_mut()
    }
}

impl Transport for SimTransport {
    fn describe(&self) -> String {
        format!(
            "simulated XEM7010 ({} engine, {})",
            self.board().config().engine,
            self.board().simulator()
        )
    }
    fn set_wire_in(&mut self, addr: u8, value: u16) -> Result<(), TransportError> {
        Ok(self.device.set_wire_in(addr, value)?)
    }
    fn update_wire_ins(&mut self) -> Result<(), TransportError> {
        Ok(self.device.update_wire_ins(&mut self.faults)?)
    }
    fn update_wire_outs(&mut self) -> Result<(), TransportError> {
        Ok(self.device.update_wire_outs(&mut self.faults)?)
    }
    fn get_wire_out(&mut self, addr: u8) -> Result<u16, TransportError> {
        Ok(self.device.get_wire_out(&self.faults, addr)?)
    }
    fn activate_trigger_in(&mut self, addr: u8, bit: u8) -> Result<(), TransportError> {
        Ok(self
            .device
            .activate_trigger_in(&mut self.faults, addr, bit)?)
    }
    fn update_trigger_outs(&mut self) -> Result<(), TransportError> {
        Ok(self.device.update_trigger_outs(&mut self.faults)?)
    }
    fn is_triggered(&mut self, addr: u8, mask: u16) -> Result<bool, TransportError> {
        Ok(self.device.is_triggered(addr, mask)?)
    }
    fn write_to_block_pipe_in(
        &mut self,
        addr: u8,
        block_size: usize,
        data: &[u8],
    ) -> Result<usize, TransportError> {
        Ok(self
            .device
            .write_to_block_pipe_in(&mut self.faults, addr, block_size, data)?)
    }
    fn read_from_block_pipe_out(
        &mut self,
        addr: u8,
        block_size: usize,
        buf: &mut [u8],
    ) -> Result<usize, TransportError> {
        Ok(self
            .device
            .read_from_block_pipe_out(&mut self.faults, addr, block_size, buf)?)
    }
    fn device_time(&self) -> Duration {
        Duration::from_nanos(self.device.now_ps() / 1000)
    }
    fn pause(&mut self, d: Duration) -> Result<(), TransportError> {
        Ok(self.device.pass(d.as_nanos() as u64 * 1000)?)
    }
    fn simulation(&self) -> Option<Simulation> {
        Some(Simulation {
            ui_cycles: self.board().ui_cycles(),
            slow: self.board().simulator() == Simulator::RustHdl,
        })
    }
}
