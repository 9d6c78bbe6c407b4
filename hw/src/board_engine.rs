//! The engine configuration the XEM7010 build and the simulated board share.

use crate::bridge::EngineInfo;
use crate::engine::crew::CrewEngine;
use crew_spec::regmap;

/// Gather-add lanes of the board engine.
pub const BOARD_LANES: usize = 16;
/// log2 of the accumulators per lane.
pub const BOARD_ACC_BITS: usize = 6;

/// The engine in the board build and in the simulated board.
pub type BoardEngine = CrewEngine<BOARD_LANES, BOARD_ACC_BITS>;

/// What the identity wires and the manifest report about [`BoardEngine`].
pub fn board_engine_info() -> EngineInfo {
    EngineInfo {
        kind: regmap::ENGINE_KIND_CREW,
        lanes: BOARD_LANES as u16,
        acc_depth: (BOARD_LANES << BOARD_ACC_BITS) as u16,
    }
}
