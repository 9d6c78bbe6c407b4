//! The simulated XEM7010 (`crew_hw::board::sim_board::SimBoard`: host bridge, the CREW or the
//! dense engine, and DDR3 model simulated cycle by cycle) as a transport. Its clock is simulated time, so
//! deadlines and cycle counts mean what they would on the board. Every call also takes
//! what it costs over USB 2.0 (`crew_hw::board::sim_board::usb_timing`, the model the frontpanel-sim
//! stand-in uses too), so device time is what a board on USB would take.
//!
//! [`SimFault`]s exercise the driver's error paths with the real simulated design: cut a
//! pipe transfer short, stall the DRAM port when a run starts, or make the identity
//! wire-outs report another bitstream (as a board configured with another design would).

use std::time::Duration;

pub use crew_hw::board::engine::BoardEngine;
use crew_hw::board::sim_board::usb_timing::{UsbCall, UsbDeviceClock};
use crew_hw::board::sim_board::{Fault, SimBoard};
pub use crew_hw::board::sim_board::{SimBoardConfig, Simulator};
use crew_spec::regmap;

use super::{Simulation, Transport, TransportError};

/// UI cycles the simulated DRAM gets to calibrate before the board is handed out.
const CALIBRATION_UI_CYCLES: u64 = 100_000;

/// A fault to apply to the simulated board (each applies once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimFault {
    /// The first pipe transfer stops after this many bytes.
    CutPipeTransfer { after_bytes: usize },
    /// When the first run starts, the DRAM port accepts nothing for this many UI cycles.
    StallDramAtRun { ui_cycles: u64 },
    /// The wire-out `addr` reads `value` (e.g. another design id or protocol version).
    WireOut { addr: u8, value: u16 },
}

impl std::str::FromStr for SimFault {
    type Err = String;
    /// `cut-transfer=BYTES`, `stall-dram-at-run=CYCLES`, `design-id=N`,
    /// `protocol-version=N`, `engine-kind=N` (numbers decimal or 0x hex).
    fn from_str(s: &str) -> Result<SimFault, String> {
        let (key, value) = s
            .split_once('=')
            .ok_or_else(|| format!("fault {s:?} is not KEY=VALUE"))?;
        let number = parse_number(value).ok_or_else(|| format!("{value:?} is not a number"))?;
        let wire = |addr: u8| -> Result<SimFault, String> {
            let value = u16::try_from(number).map_err(|_| format!("{number} exceeds 16 bits"))?;
            Ok(SimFault::WireOut { addr, value })
        };
        match key {
            "cut-transfer" => Ok(SimFault::CutPipeTransfer {
                after_bytes: number as usize,
            }),
            "stall-dram-at-run" => Ok(SimFault::StallDramAtRun { ui_cycles: number }),
            "design-id" => wire(regmap::WIRE_OUT_DESIGN_ID),
            "protocol-version" => wire(regmap::WIRE_OUT_PROTOCOL_VERSION),
            "engine-kind" => wire(regmap::WIRE_OUT_ENGINE_KIND),
            _ => Err(format!(
                "unknown fault {key:?} (cut-transfer, stall-dram-at-run, design-id, \
                 protocol-version, engine-kind)"
            )),
        }
    }
}

fn parse_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The simulated board behind the [`Transport`] trait.
pub struct SimTransport {
    board: SimBoard,
    clock: UsbDeviceClock,
    wire_overrides: Vec<(u8, u16)>,
    stall_at_run: Option<u64>,
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
        let mut t = SimTransport {
            board,
            clock: UsbDeviceClock::new(),
            wire_overrides: Vec::new(),
            stall_at_run: None,
        };
        for f in faults {
            match *f {
                SimFault::CutPipeTransfer { after_bytes } => {
                    t.board.inject(Fault::CutPipeTransfer { after_bytes })
                }
                SimFault::StallDramAtRun { ui_cycles } => t.stall_at_run = Some(ui_cycles),
                SimFault::WireOut { addr, value } => t.wire_overrides.push((addr, value)),
            }
        }
        Ok(t)
    }

    /// How the board was set up, when the user should know (a Verilator build just ran,
    /// or Verilator is missing and the board fell back to rust-hdl).
    pub fn notice(&self) -> Option<&str> {
        self.board.notice()
    }

    pub fn board(&self) -> &SimBoard {
        &self.board
    }

    pub fn board_mut(&mut self) -> &mut SimBoard {
        &mut self.board
    }
}

impl Transport for SimTransport {
    fn describe(&self) -> String {
        format!(
            "simulated XEM7010 ({} engine, {})",
            self.board.config().engine,
            self.board.simulator()
        )
    }
    fn set_wire_in(&mut self, addr: u8, value: u16) -> Result<(), TransportError> {
        Ok(self.board.set_wire_in(addr, value)?)
    }
    fn update_wire_ins(&mut self) -> Result<(), TransportError> {
        Ok(self.clock.call(
            &mut self.board,
            UsbCall::UpdateWireIns,
            SimBoard::update_wire_ins,
        )?)
    }
    fn update_wire_outs(&mut self) -> Result<(), TransportError> {
        Ok(self.clock.call(
            &mut self.board,
            UsbCall::UpdateWireOuts,
            SimBoard::update_wire_outs,
        )?)
    }
    fn get_wire_out(&mut self, addr: u8) -> Result<u16, TransportError> {
        let value = self.board.get_wire_out(addr)?;
        Ok(self
            .wire_overrides
            .iter()
            .find(|(a, _)| *a == addr)
            .map_or(value, |(_, v)| *v))
    }
    fn activate_trigger_in(&mut self, addr: u8, bit: u8) -> Result<(), TransportError> {
        if addr == regmap::TRIGGER_IN_COMMAND && bit == regmap::TRIG_START_RUN {
            if let Some(ui_cycles) = self.stall_at_run.take() {
                self.board.inject(Fault::StallDram { ui_cycles });
            }
        }
        Ok(self
            .clock
            .call(&mut self.board, UsbCall::ActivateTriggerIn, |b| {
                b.activate_trigger_in(addr, bit)
            })?)
    }
    fn update_trigger_outs(&mut self) -> Result<(), TransportError> {
        Ok(self.clock.call(
            &mut self.board,
            UsbCall::UpdateTriggerOuts,
            SimBoard::update_trigger_outs,
        )?)
    }
    fn is_triggered(&mut self, addr: u8, mask: u16) -> Result<bool, TransportError> {
        Ok(self.board.is_triggered(addr, mask)?)
    }
    fn write_to_block_pipe_in(
        &mut self,
        addr: u8,
        block_size: usize,
        data: &[u8],
    ) -> Result<usize, TransportError> {
        let usb = UsbCall::Pipe { bytes: data.len() };
        Ok(self.clock.call(&mut self.board, usb, |b| {
            b.write_to_block_pipe_in(addr, block_size, data)
        })?)
    }
    fn read_from_block_pipe_out(
        &mut self,
        addr: u8,
        block_size: usize,
        buf: &mut [u8],
    ) -> Result<usize, TransportError> {
        let usb = UsbCall::Pipe { bytes: buf.len() };
        Ok(self.clock.call(&mut self.board, usb, |b| {
            b.read_from_block_pipe_out(addr, block_size, buf)
        })?)
    }
    fn device_time(&self) -> Duration {
        Duration::from_nanos(self.clock.now_ps(&self.board) / 1000)
    }
    fn pause(&mut self, d: Duration) -> Result<(), TransportError> {
        Ok(self
            .clock
            .pass(&mut self.board, d.as_nanos() as u64 * 1000)?)
    }
    fn simulation(&self) -> Option<Simulation> {
        Some(Simulation {
            ui_cycles: self.board.ui_cycles(),
            slow: self.board.simulator() == Simulator::RustHdl,
        })
    }
}
