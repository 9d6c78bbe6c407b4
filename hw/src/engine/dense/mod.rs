//! The dense int8 baseline engine: the shared core with a MAC-lane datapath.

pub mod datapath;
pub mod mac_lane;
mod top;

pub use top::DenseEngine;
