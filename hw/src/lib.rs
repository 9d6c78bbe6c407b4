//! Board-independent RTL of the CREW accelerator (rust-hdl) and its simulation models.

pub mod ddr3_model;
pub mod mig_port;
pub mod sim_harness;
