//! The bitstream manifest (bitstreams/README.md): what a build folder and a bitstream in
//! bitstreams/ are. The firmware writes it (`crew-firmware generate`, then the Vivado run
//! adds the bitstream's sha256 and file name); `crew-host flash` reads it and checks it
//! against this crate's constants before configuring a board, then the identity wires.

use serde::{Deserialize, Serialize};

/// The engine a bitstream contains, as its identity wire-outs report it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineParameters {
    /// Manifest name of the kind ([`crate::regmap::engine_kind_name`]): `crew` or `dense`.
    pub kind: String,
    /// `regmap::WIRE_OUT_ENGINE_KIND`.
    pub kind_code: u16,
    /// `regmap::WIRE_OUT_LANES`.
    pub lanes: u16,
    /// `regmap::WIRE_OUT_ACC_DEPTH`.
    pub acc_depth: u16,
}

impl EngineParameters {
    pub fn new(kind_code: u16, lanes: u16, acc_depth: u16) -> EngineParameters {
        EngineParameters {
            kind: crate::regmap::engine_kind_name(kind_code)
                .unwrap_or("unknown")
                .into(),
            kind_code,
            lanes,
            acc_depth,
        }
    }
}

/// The engine a bitstream manifest names.
impl From<&EngineParameters> for crate::engine::EngineInfo {
    fn from(e: &EngineParameters) -> crate::engine::EngineInfo {
        crate::engine::EngineInfo {
            kind: e.kind_code,
            lanes: e.lanes,
            acc_depth: e.acc_depth,
        }
    }
}

/// How a bitstream manifest names the engine.
impl From<crate::engine::EngineInfo> for EngineParameters {
    fn from(e: crate::engine::EngineInfo) -> EngineParameters {
        EngineParameters::new(e.kind, e.lanes, e.acc_depth)
    }
}

/// A bitstream manifest (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// sha256 over the generated files (in the firmware's `GENERATED_FILES` order), hex.
    pub design_hash: String,
    /// `regmap::DESIGN_ID` of the design.
    pub design_id: u16,
    /// `regmap::PROTOCOL_VERSION` of the design.
    pub protocol_version: u16,
    /// `image::IMAGE_FORMAT_VERSION` of the design.
    pub image_format_version: u16,
    /// FrontPanel board model string, e.g. "XEM7010-A50".
    pub board_model: String,
    pub fpga_part: String,
    pub engine: EngineParameters,
    /// sha256 of each generated file, in hash order.
    #[serde(default)]
    pub files: Vec<(String, String)>,
    /// sha256 of the .bit file, hex, once Vivado has built it.
    #[serde(default)]
    pub bitstream_sha256: Option<String>,
    /// File name of the .bit in the bitstreams folder, once copied there.
    #[serde(default)]
    pub bitstream_file: Option<String>,
}
