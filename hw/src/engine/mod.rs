//! The accelerator engines and what they share.

pub mod port;

use crate::mig_port::MigMaster;
use port::EngineRunPort;
use rust_hdl::prelude::*;

/// What boards and testbenches need of an engine: its clock, the run port and the DRAM
/// port.
pub trait Engine: Block + Default {
    fn clock(&mut self) -> &mut Signal<In, Clock>;
    fn run_port(&self) -> &EngineRunPort;
    fn run_port_mut(&mut self) -> &mut EngineRunPort;
    fn dram(&mut self) -> &mut MigMaster;
}
