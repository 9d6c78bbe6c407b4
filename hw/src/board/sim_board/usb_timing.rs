//! What FrontPanel over USB 2.0 costs per call, and a simulated board's device clock under
//! that cost: the one cost model of crew-host's simulator transport and of the
//! frontpanel-sim stand-in library (docs/usb.md, "USB cost model").
//!
//! Figures, from Opal Kelly's FrontPanel SDK "Performance" page
//! (docs.opalkelly.com/fpsdk/performance/, USB 2.0 column, calls per second):
//! UpdateWireIns 1,000+, UpdateWireOuts 800+, ActivateTriggerIn over 1,000,
//! UpdateTriggerOuts "similar to reading all WireOuts". Pipes: 40 MB/s each way (the
//! usable USB 2.0 bulk rate docs/firmware.md uses). Calls that only touch the host-side
//! buffers (SetWireInValue, GetWireOutValue, IsTriggered) cross no USB and cost nothing.
//!
//! Accounting: a call takes at least its USB cost of device time. The simulated board
//! already simulates the cycles a call moves data in; the rest of the cost is simulated
//! while the design works on its own (engine running, DRAM calibrating, a transfer
//! moving words to or from DRAM), and once the design is quiescent it is added to the
//! clock without simulating the idle cycles, which would change nothing but cost minutes.

use crate::board::sim_board::{SimBoard, SimBoardError, UI_PERIOD_PS};
use crew_spec::regmap;

/// Picoseconds per second.
const PS_PER_S: u64 = 1_000_000_000_000;
/// One UpdateWireIns: 1,000 calls per second.
pub const UPDATE_WIRE_INS_PS: u64 = PS_PER_S / 1_000;
/// One UpdateWireOuts: 800 calls per second.
pub const UPDATE_WIRE_OUTS_PS: u64 = PS_PER_S / 800;
/// One ActivateTriggerIn: 1,000 calls per second.
pub const ACTIVATE_TRIGGER_IN_PS: u64 = PS_PER_S / 1_000;
/// One UpdateTriggerOuts: as UpdateWireOuts.
pub const UPDATE_TRIGGER_OUTS_PS: u64 = UPDATE_WIRE_OUTS_PS;
/// Block pipe bandwidth, both directions.
pub const PIPE_BYTES_PER_S: u64 = 40_000_000;
/// UI cycles simulated between two checks for quiescence.
const QUIESCENCE_CHECK_UI_CYCLES: u64 = 64;

/// A FrontPanel call that crosses USB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsbCall {
    UpdateWireIns,
    UpdateWireOuts,
    ActivateTriggerIn,
    UpdateTriggerOuts,
    /// A block pipe transfer (in or out) of this many bytes.
    Pipe {
        bytes: usize,
    },
}

impl UsbCall {
    /// Device time the call takes over USB 2.0, picoseconds.
    pub fn cost_ps(self) -> u64 {
        match self {
            UsbCall::UpdateWireIns => UPDATE_WIRE_INS_PS,
            UsbCall::UpdateWireOuts => UPDATE_WIRE_OUTS_PS,
            UsbCall::ActivateTriggerIn => ACTIVATE_TRIGGER_IN_PS,
            UsbCall::UpdateTriggerOuts => UPDATE_TRIGGER_OUTS_PS,
            UsbCall::Pipe { bytes } => bytes as u64 * (PS_PER_S / PIPE_BYTES_PER_S),
        }
    }
}

/// The device clock of a simulated board behind USB: simulated time plus the time the
/// design spent quiescent while the host waited on USB or paused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UsbDeviceClock {
    unsimulated_ps: u64,
}

impl UsbDeviceClock {
    pub fn new() -> UsbDeviceClock {
        UsbDeviceClock::default()
    }

    /// Device time in picoseconds.
    pub fn now_ps(&self, board: &SimBoard) -> u64 {
        board.time_ps() + self.unsimulated_ps
    }

    /// Runs `call` on the board, then lets the rest of its USB cost pass.
    pub fn call<R>(
        &mut self,
        board: &mut SimBoard,
        usb: UsbCall,
        call: impl FnOnce(&mut SimBoard) -> Result<R, SimBoardError>,
    ) -> Result<R, SimBoardError> {
        let start = board.time_ps();
        let result = call(board)?;
        let simulated = board.time_ps() - start;
        self.pass(board, usb.cost_ps().saturating_sub(simulated))?;
        Ok(result)
    }

    /// Lets `ps` of device time pass: simulated while the design works, then added to
    /// the clock without simulation.
    pub fn pass(&mut self, board: &mut SimBoard, ps: u64) -> Result<(), SimBoardError> {
        let start = board.time_ps();
        let end = start + ps;
        while board.time_ps() + QUIESCENCE_CHECK_UI_CYCLES * UI_PERIOD_PS <= end {
            let dram_before = board.dram_stats();
            let status = board.live_wire_out(regmap::WIRE_OUT_STATUS)?;
            let engine_or_calibration =
                status & regmap::STATUS_ENGINE_BUSY != 0 || status & regmap::STATUS_CALIB_DONE == 0;
            board.run_cycles(QUIESCENCE_CHECK_UI_CYCLES)?;
            let dram_after = board.dram_stats();
            let dram_moved =
                (dram_after.reads, dram_after.writes) != (dram_before.reads, dram_before.writes);
            // An injected DRAM stall (`stall-dram-at-run`) lasts simulated cycles: a design
            // waiting on it is not quiescent, or the stall would never end.
            if !engine_or_calibration && !dram_moved && !board.dram_stall {
                break;
            }
        }
        self.unsimulated_ps += end.saturating_sub(board.time_ps());
        Ok(())
    }
}
