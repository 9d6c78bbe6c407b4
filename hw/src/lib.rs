//! Board-independent RTL of the CREW accelerator (rust-hdl) and its simulation models.

pub mod board;
pub mod bridge;
pub mod engine;
pub mod mig_port;
pub mod sim;
pub mod testbench;
