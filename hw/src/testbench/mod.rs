//! Test support: the engine-alone simulation top and its host API, the layer-image
//! builder the engine tests and the benchmark place layers with, the Icarus Verilog
//! co-simulation, and the yosys synthesizability check every block's test uses.

pub mod cosim;
pub mod engine;
pub mod layer_image;
pub mod synth_check;
