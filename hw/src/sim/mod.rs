//! Simulation of the board: the one-thread rust-hdl driver (`harness`), the models of
//! what is outside the FPGA (the DDR3 behind the MIG, FrontPanel's USB cost), and the
//! compiled simulators of the generated Verilog with the port plumbing they share.

pub mod circuit;
pub mod ddr3_model;
pub mod engine;
pub mod harness;
pub mod mig;
pub mod ports;
pub mod schedule;
mod shim;
pub mod usb_timing;
pub mod verilator;
