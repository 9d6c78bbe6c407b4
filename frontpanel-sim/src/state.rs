//! The configuration that outlives a process, like an FPGA's between two programs: which
//! bitstream the board was configured with. DRAM contents are not kept.

use std::path::{Path, PathBuf};

use crew_hw::board::engine::BoardEngine;
use serde::{Deserialize, Serialize};

/// What the state file holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistedState {
    /// The bitstream of the last successful configuration; `None`: unconfigured.
    pub configured_with: Option<ConfiguredWith>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfiguredWith {
    pub bitstream: PathBuf,
    pub bitstream_sha256: String,
    /// `regmap::ENGINE_KIND_*` of the design (CREW in state files written before the
    /// dense design existed).
    #[serde(default = "crew_engine_kind")]
    pub engine_kind: u16,
    /// Lanes and accumulator depth of the design (the XEM7010 build's 16 and 1024 in
    /// state files written before other configurations existed).
    #[serde(default = "xem7010_lanes")]
    pub lanes: u16,
    #[serde(default = "xem7010_acc_depth")]
    pub acc_depth: u16,
}

fn crew_engine_kind() -> u16 {
    crew_spec::regmap::ENGINE_KIND_CREW
}

fn xem7010_lanes() -> u16 {
    BoardEngine::Crew.info().lanes
}

fn xem7010_acc_depth() -> u16 {
    BoardEngine::Crew.info().acc_depth
}

/// Reads the state; a missing file is an unconfigured board.
pub fn read(path: &Path) -> Result<PersistedState, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(PersistedState {
            configured_with: None,
        }),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

pub fn write(path: &Path, state: &PersistedState) -> Result<(), String> {
    let text = serde_json::to_string_pretty(state).map_err(|e| e.to_string())?;
    crew_spec::file::write_whole(path, (text + "\n").as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}
