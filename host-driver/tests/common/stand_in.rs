//! The frontpanel-sim stand-in library (libfrontpanel_sim.so, built with the tests) and a
//! simulation bitstream for it (what `crew-firmware generate --simulation` writes).

use std::path::{Path, PathBuf};

use crew_firmware::bitstream::{generate, write_simulation_bitstream};
use crew_firmware::top::BoardEngine;

/// The stand-in library: cargo builds it as a dev-dependency (into the deps folder beside
/// the test executable) and as a workspace member (one folder up).
pub fn library() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let deps = exe.parent().expect("the deps folder");
    let name = format!(
        "{}frontpanel_sim{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    [deps.join(&name), deps.parent().unwrap().join(&name)]
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} not built next to {}", exe.display()))
}

/// Generates the CREW design into `dir` and writes its simulation bitstream there.
pub fn simulation_bitstream(dir: &Path) -> PathBuf {
    engine_simulation_bitstream(dir, BoardEngine::Crew)
}

/// Generates the design holding `engine` into `dir` and writes its simulation bitstream
/// there.
pub fn engine_simulation_bitstream(dir: &Path, engine: BoardEngine) -> PathBuf {
    let manifest = generate(engine.info(), dir).expect("generate the design");
    write_simulation_bitstream(dir, &manifest).expect("write the simulation bitstream")
}
