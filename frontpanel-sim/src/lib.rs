//! A stand-in for Opal Kelly's FrontPanel 5 shared library (`libokFrontPanel.so`) whose
//! one device is the simulated XEM7010 (`crew_hw::board::sim_board::SimBoard`), so the board
//! path of crew-host (rust-hdl-ok-frontpanel-sys, `BoardTransport`, `crew-host flash`,
//! `infer --backend board`, tests/hil.rs) runs without a board. See docs/frontpanel.md,
//! "The frontpanel-sim stand-in".
//!
//! - It is never found by the normal library search (its file is
//!   `libfrontpanel_sim.so`); it loads only when `OK_FRONTPANEL_LIB` names it.
//! - It says what it is: one device, model XEM7010-A50, serial [`SERIAL`], device id
//!   [`DEVICE_ID`], and it exports two calls FrontPanel lacks, the device clock
//!   (`okFrontPanelSim_GetDeviceTimeNs`, `okFrontPanelSim_WaitNs`).
//! - `okFrontPanel_ConfigureFPGA` checks the bitstream's manifest (board model, sha256,
//!   design) and instantiates the simulated design; the configuration outlives the process
//!   in the file [`STATE_ENV`] names, DRAM contents do not.
//! - Faults come from [`FAULTS_ENV`], a comma-separated list in the simulated board's one
//!   fault vocabulary (`crew_hw::board::sim_board::faults`, the same keys as crew-host's
//!   `--sim-fault`).
//! - Every call costs what FrontPanel over USB 2.0 costs, on the device clock
//!   (`crew_hw::board::sim_board::usb_timing`).

mod configure;
mod device;
mod exports;
mod state;
mod worker;

/// Serial number of the simulated board.
pub const SERIAL: &str = "SIM00001";
/// Device ID string (`okFrontPanel_GetDeviceID`).
pub const DEVICE_ID: &str = "frontpanel-sim";
/// Environment variable naming the file that keeps the configuration between processes;
/// unset, every process starts with an unconfigured board.
pub const STATE_ENV: &str = "FRONTPANEL_SIM_STATE";
/// Environment variable with the faults to inject (`crew_hw::board::sim_board::faults`).
pub const FAULTS_ENV: &str = "FRONTPANEL_SIM_FAULTS";
