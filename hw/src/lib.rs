//! Board-independent RTL of the CREW accelerator (rust-hdl) and its simulation models.

pub mod bridge_pipe_in;
pub mod bridge_pipe_out;
pub mod ddr3_model;
pub mod host_bridge;
pub mod mig_port;
pub mod sim_board;
pub mod sim_harness;
