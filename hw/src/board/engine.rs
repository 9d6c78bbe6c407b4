//! The engine configurations the XEM7010 build and the simulated board share: the CREW
//! engine (the default) or the dense int8 baseline, each with 16 lanes of 64
//! accumulators (accumulator depth 1024). Sixteen MAC lanes take one 128-bit weight word
//! per cycle: the benchmark's dense-16 configuration, equal to CREW in DRAM rate.

use crate::bridge::EngineInfo;
use crate::engine::crew::CrewEngine;
use crate::engine::dense::DenseEngine;
use crew_spec::regmap;

/// Lanes of either board engine.
pub const BOARD_LANES: usize = 16;
/// log2 of the accumulators per lane.
pub const BOARD_ACC_BITS: usize = 6;

/// The CREW engine of the board.
pub type CrewBoardEngine = CrewEngine<BOARD_LANES, BOARD_ACC_BITS>;
/// The dense baseline engine of the board.
pub type DenseBoardEngine = DenseEngine<BOARD_LANES, BOARD_ACC_BITS>;

/// Which engine a board design holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BoardEngine {
    /// [`CrewBoardEngine`].
    #[default]
    Crew,
    /// [`DenseBoardEngine`].
    Dense,
}

impl BoardEngine {
    pub const ALL: [BoardEngine; 2] = [BoardEngine::Crew, BoardEngine::Dense];

    /// `regmap::ENGINE_KIND_*`.
    pub fn kind_code(self) -> u16 {
        match self {
            BoardEngine::Crew => regmap::ENGINE_KIND_CREW,
            BoardEngine::Dense => regmap::ENGINE_KIND_DENSE,
        }
    }

    /// The engine reporting `code` on the identity wires, if a board design holds it.
    pub fn from_kind_code(code: u16) -> Option<BoardEngine> {
        BoardEngine::ALL.into_iter().find(|e| e.kind_code() == code)
    }

    /// Manifest and command-line name (`regmap::engine_kind_name`).
    pub fn name(self) -> &'static str {
        regmap::engine_kind_name(self.kind_code()).expect("a listed engine kind")
    }

    /// What the identity wires and the manifest report about this engine.
    pub fn info(self) -> EngineInfo {
        EngineInfo {
            kind: self.kind_code(),
            lanes: BOARD_LANES as u16,
            acc_depth: (BOARD_LANES << BOARD_ACC_BITS) as u16,
        }
    }
}

impl std::fmt::Display for BoardEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for BoardEngine {
    type Err = String;
    fn from_str(s: &str) -> Result<BoardEngine, String> {
        BoardEngine::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = BoardEngine::ALL.iter().map(|e| e.name()).collect();
                format!(
                    "unknown engine `{s}` (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}
