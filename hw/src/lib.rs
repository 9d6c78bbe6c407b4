//! Board-independent RTL of the CREW accelerator (rust-hdl) and its simulation models.

pub mod accelerator;
pub mod board_engine;
pub mod bridge;
pub mod cosim;
pub mod ddr3_model;
pub mod engine;
pub mod engine_testbench;
pub mod layer_image;
pub mod mig_port;
pub mod sim;
pub mod sim_board;
pub mod sim_harness;
pub mod synth_check;
pub mod usb_timing;
