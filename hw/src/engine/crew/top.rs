//! `CrewEngine`: the CREW accelerator (UI clock domain): the shared engine core
//! (`engine::common::core`: sequencer, issuer, MIG arbiter, router, vector buffers,
//! epilogue, cell unit) and the CREW datapath (`datapath.rs`: record router, table unit,
//! unpacker, gather lanes), joined by the datapath port. See docs/engine.md.

use crate::engine::common::core::LayoutFlags;
use crate::engine::common::datapath_port::DatapathControl;
use crate::engine::crew::datapath::CrewDatapath;
use crate::engine::engine_top;
use crate::engine::port::EngineRunPort;
use crate::mig_port::MigMaster;
use rust_hdl::prelude::*;

engine_top!(
    /// The CREW engine with L gather lanes of 2^ACC_BITS accumulators.
    CrewEngine,
    CrewDatapath
);

impl<const L: usize, const ACC_BITS: usize> CrewEngine<L, ACC_BITS> {
    /// An engine with L lanes (1..=16: one 128-bit word of 8-bit indices per cycle) and
    /// 2^ACC_BITS accumulators per lane.
    pub fn new() -> Self {
        assert!((1..=16).contains(&L), "1..=16 lanes");
        // Any layer flags: the datapath reads bit 8 (int16 table entries).
        Self::assemble(LayoutFlags { mask: 0, value: 0 })
    }
}
