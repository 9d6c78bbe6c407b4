//! Board-independent RTL of the CREW accelerator (rust-hdl) and its simulation models.

pub mod board;
pub mod bridge_pipe_in;
pub mod bridge_pipe_out;
pub mod cosim;
pub mod ddr3_model;
pub mod engine;
pub mod engine_testbench;
pub mod host_bridge;
pub mod host_endpoints;
pub mod layer_image;
pub mod mig_port;
pub mod sim;
pub mod sim_harness;
pub mod synth_check;
pub mod usb_timing;
