//! `DenseEngine`: the dense int8 (TPU-like) baseline for the CREW benchmark, UI clock
//! domain, with the same ports and run semantics as `CrewEngine`: the shared engine core
//! (`engine::common::core`) and the MAC array (`datapath.rs`), joined by the datapath
//! port. It reads the dense image layout (`crew_spec::image`, layer flag `FLAG_DENSE`);
//! see docs/dense-baseline.md.

use crate::engine::common::core::LayoutFlags;
use crate::engine::common::datapath_port::DatapathControl;
use crate::engine::dense::datapath::DenseDatapath;
use crate::engine::engine_top;
use crate::engine::port::EngineRunPort;
use crate::mig_port::MigMaster;
use crew_spec::image::{FLAG_DENSE, FLAG_TOKEN_INPUT};
use rust_hdl::prelude::*;

engine_top!(
    /// The dense engine with L MAC lanes of 2^ACC_BITS accumulators.
    DenseEngine,
    DenseDatapath
);

impl<const L: usize, const ACC_BITS: usize> DenseEngine<L, ACC_BITS> {
    /// An engine with L MAC lanes (1, 2, 4, 8 or 16: a 128-bit word holds 16 weights) and
    /// 2^ACC_BITS accumulators per lane.
    pub fn new() -> Self {
        assert!(matches!(L, 1 | 2 | 4 | 8 | 16), "L divides 16");
        Self::assemble(LayoutFlags {
            // Token input (the folded x pass) is layout-neutral: either engine runs it.
            mask: !FLAG_TOKEN_INPUT,
            value: FLAG_DENSE,
        })
    }
}
