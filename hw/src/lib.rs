//! Board-independent RTL of the CREW accelerator (rust-hdl) and its simulation models.

pub mod cell_unit;
pub mod crew_engine;
pub mod ddr3_model;
pub mod dense_engine;
pub mod dense_testbench;
pub mod engine_testbench;
pub mod gather_lane;
pub mod layer_image;
pub mod mac_lane;
pub mod mig_port;
pub mod sim_harness;
pub mod word_fifo;
