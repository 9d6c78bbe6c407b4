//! `okFrontPanel_ConfigureFPGA` on the stand-in: the bitstream's manifest beside it
//! (bitstreams/README.md) must be for this board, match the file's sha256 and name a
//! design the simulated board implements (the CREW or the dense engine, as
//! `crew-firmware generate --engine` builds it); then that design is what the board runs.

use std::path::Path;

use crew_firmware::bitstream::{read_manifest, EngineParameters};
use crew_hw::board::engine::BoardEngine;
use crew_spec::regmap;
use rust_hdl_ok_frontpanel_sys::ErrorName;
use sha2::{Digest, Sha256};

/// Why a configuration was refused, as the FrontPanel error code it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The bitstream file cannot be read (`ok_FileError`; the FPGA keeps its design).
    Unreadable,
    /// No or an unreadable manifest, another board model, or a sha256 mismatch
    /// (`ok_InvalidBitstream`).
    Invalid,
    /// A design the simulated board does not implement (`ok_UnsupportedFeature`).
    UnsupportedDesign,
}

impl Refused {
    pub fn code(self) -> i32 {
        match self {
            Refused::Unreadable => ErrorName::FileError.code(),
            Refused::Invalid => ErrorName::InvalidBitstream.code(),
            Refused::UnsupportedDesign => ErrorName::UnsupportedFeature.code(),
        }
    }
}

/// A bitstream accepted for the simulated board.
pub struct Accepted {
    /// The engine the manifest names.
    pub engine: BoardEngine,
    pub bitstream_sha256: String,
    pub bitstream_bytes: usize,
}

pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks `bit` and its manifest (`<bit without extension>.json`).
pub fn check(bit: &Path) -> Result<Accepted, Refused> {
    let bytes = std::fs::read(bit).map_err(|_| Refused::Unreadable)?;
    let manifest = read_manifest(&bit.with_extension("json")).map_err(|_| Refused::Invalid)?;
    let sha = sha256_hex(&bytes);
    let listed = manifest.bitstream_sha256.as_deref().unwrap_or("");
    if !sha.eq_ignore_ascii_case(listed) || manifest.board_model != regmap::BOARD_MODEL {
        return Err(Refused::Invalid);
    }
    let engine = BoardEngine::ALL
        .into_iter()
        .find(|e| EngineParameters::from(e.info()) == manifest.engine);
    let Some(engine) = engine else {
        return Err(Refused::UnsupportedDesign);
    };
    if manifest.design_id != regmap::DESIGN_ID
        || manifest.protocol_version != regmap::PROTOCOL_VERSION
    {
        return Err(Refused::UnsupportedDesign);
    }
    Ok(Accepted {
        engine,
        bitstream_sha256: sha,
        bitstream_bytes: bytes.len(),
    })
}
