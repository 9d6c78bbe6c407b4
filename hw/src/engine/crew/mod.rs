//! The CREW engine: the shared core with the CREW datapath (record router, table unit,
//! unpacker and gather lanes).

pub mod datapath;
pub mod gather_lane;
pub mod table_unit;
mod top;

pub use top::CrewEngine;
