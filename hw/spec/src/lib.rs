//! The contracts shared by the RTL (crew-hw), the XEM7010 firmware (crew-firmware) and the
//! host driver (crew-host): the engine contract (configurations, limits, identity,
//! counters), the FrontPanel register map, the DRAM image format the engine
//! reads, the fixed-point arithmetic of the cell unit, the bitstream manifest, and how
//! files are written. Nothing here depends on rust-hdl, so the host side builds without
//! the HDL toolchain.
//!
//! Changing anything in this crate changes the protocol: bump [`regmap::PROTOCOL_VERSION`]
//! (register map) or [`image::IMAGE_FORMAT_VERSION`] (DRAM image) with it.

pub mod engine;
pub mod file;
pub mod image;
pub mod layout;
pub mod manifest;
pub mod numerics;
pub mod package;
pub mod program;
pub mod regmap;
