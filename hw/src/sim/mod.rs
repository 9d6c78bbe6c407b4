//! Simulation of the board: compiled simulators of the generated Verilog and the port
//! plumbing they share.

pub mod circuit;
pub mod engine;
pub mod mig;
pub mod ports;
pub mod schedule;
mod shim;
pub mod verilator;
