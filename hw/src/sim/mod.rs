//! Simulation building blocks: the one-thread rust-hdl driver (`harness`), the model of
//! the DDR3 behind the MIG, the compiled simulators of the generated Verilog with the port
//! plumbing they share, and an engine alone under Verilator (`engine`, with the run
//! request and report the engine testbenches share). Nothing here knows the board: the
//! simulated XEM7010 (accelerator circuit, clocks, endpoints, USB cost) is
//! `crate::board::sim_board`, which builds on this module, as `crate::testbench` does.

pub mod ddr3_model;
pub mod engine;
pub mod harness;
pub mod mig;
pub mod ports;
pub mod schedule;
mod shim;
pub mod verilator;
