//! The engine configurations a board design can hold. Two are the XEM7010 build's: the
//! CREW engine (the default) and the dense int8 baseline, each 16 lanes of 64 accumulators
//! (accumulator depth 1024). Three are the benchmark's (`crew-host bench`), with the 8,192
//! accumulators its largest layers need: CREW with 16 gather lanes, dense with 4 MAC lanes
//! (CREW's DSP budget) and dense with 16 (one 128-bit weight word per cycle, CREW's DRAM
//! rate). Every configuration runs on the simulated board and generates a board top; the
//! driver reads which one it talks to from the identity wires.
//!
//! What each configuration is (kind, lanes, accumulators, limits, identity) is declared
//! once, in the engine contract `crew_spec::engine`; [`BoardEngine::config`] names the
//! declaration of each, its accelerator (`crate::board::accelerator`) builds the engine
//! from it, and [`BoardEngine::visit`] is the one place a configuration becomes that type.

use crate::board::accelerator::{
    AcceleratorVisitor, Crew16x512Accelerator, CrewAccelerator, Dense16x512Accelerator,
    Dense4x2048Accelerator, DenseAccelerator,
};
use crate::bridge::EngineInfo;
use crew_spec::engine::{self as contract, EngineConfig};

/// Which engine configuration a board design holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BoardEngine {
    /// The XEM7010 build's CREW engine: 16 gather lanes of 64 accumulators.
    #[default]
    Crew,
    /// The XEM7010 build's dense baseline: 16 MAC lanes of 64 accumulators.
    Dense,
    /// The benchmark's CREW engine: 16 gather lanes of 512 accumulators.
    Crew16x512,
    /// The benchmark's dense baseline with CREW's DSP budget (the table unit's 4
    /// multipliers): 4 MAC lanes of 2,048 accumulators.
    Dense4x2048,
    /// The benchmark's dense baseline with CREW's DRAM rate: 16 MAC lanes of 512
    /// accumulators.
    Dense16x512,
}

impl BoardEngine {
    pub const ALL: [BoardEngine; 5] = [
        BoardEngine::Crew,
        BoardEngine::Dense,
        BoardEngine::Crew16x512,
        BoardEngine::Dense4x2048,
        BoardEngine::Dense16x512,
    ];

    /// Calls `visitor` with the accelerator type holding this configuration.
    pub fn visit<V: AcceleratorVisitor>(self, visitor: V) -> V::Output {
        match self {
            BoardEngine::Crew => visitor.visit::<CrewAccelerator>(),
            BoardEngine::Dense => visitor.visit::<DenseAccelerator>(),
            BoardEngine::Crew16x512 => visitor.visit::<Crew16x512Accelerator>(),
            BoardEngine::Dense4x2048 => visitor.visit::<Dense4x2048Accelerator>(),
            BoardEngine::Dense16x512 => visitor.visit::<Dense16x512Accelerator>(),
        }
    }

    /// The configuration's declaration in the engine contract.
    pub const fn config(self) -> &'static EngineConfig {
        match self {
            BoardEngine::Crew => &contract::CREW,
            BoardEngine::Dense => &contract::DENSE,
            BoardEngine::Crew16x512 => &contract::CREW_16X512,
            BoardEngine::Dense4x2048 => &contract::DENSE_4X2048,
            BoardEngine::Dense16x512 => &contract::DENSE_16X512,
        }
    }

    /// `regmap::ENGINE_KIND_*`: which image the driver loads.
    pub fn kind_code(self) -> u16 {
        self.config().kind.code()
    }

    /// The configuration whose identity wires report `info`, if a board design holds it.
    pub fn from_info(info: EngineInfo) -> Option<BoardEngine> {
        BoardEngine::ALL.into_iter().find(|e| e.info() == info)
    }

    /// Command-line and manifest name (the contract's).
    pub fn name(self) -> &'static str {
        self.config().name
    }

    /// Lanes of the engine.
    pub fn lanes(self) -> usize {
        self.config().lanes
    }

    /// What the identity wires and the manifest report about this configuration.
    pub fn info(self) -> EngineInfo {
        self.config().info()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::accelerator::BoardAccelerator;

    #[test]
    fn names_and_identities_are_distinct() {
        for (i, a) in BoardEngine::ALL.iter().enumerate() {
            for b in &BoardEngine::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
                assert_ne!(a.info(), b.info(), "{a} and {b} report the same identity");
            }
            assert_eq!(a.name().parse::<BoardEngine>(), Ok(*a));
            assert_eq!(BoardEngine::from_info(a.info()), Some(*a));
        }
    }

    #[test]
    fn each_configuration_visits_the_accelerator_holding_it() {
        struct Holds;
        impl AcceleratorVisitor for Holds {
            type Output = BoardEngine;
            fn visit<A: BoardAccelerator>(self) -> BoardEngine {
                A::ENGINE
            }
        }
        for e in BoardEngine::ALL {
            assert_eq!(e.visit(Holds), e);
        }
    }

    #[test]
    fn geometry_is_the_engine_types() {
        assert_eq!(BoardEngine::Crew.info().acc_depth, 1024);
        assert_eq!(BoardEngine::Dense4x2048.info().lanes, 4);
        assert_eq!(BoardEngine::Dense4x2048.info().acc_depth, 8192);
        assert_eq!(BoardEngine::Crew16x512.info().acc_depth, 8192);
        // The accelerator types are built from the contract's geometry.
        struct Geometry;
        impl AcceleratorVisitor for Geometry {
            type Output = (usize, usize);
            fn visit<A: BoardAccelerator>(self) -> (usize, usize) {
                (A::LANES, A::ACC_BITS)
            }
        }
        for e in BoardEngine::ALL {
            assert_eq!(e.visit(Geometry), (e.config().lanes, e.config().acc_bits));
        }
    }

    #[test]
    fn every_contract_configuration_has_a_board_engine() {
        let names: Vec<&str> = BoardEngine::ALL.iter().map(|e| e.name()).collect();
        let declared: Vec<&str> = contract::CONFIGURATIONS.iter().map(|c| c.name).collect();
        assert_eq!(names, declared);
    }
}
