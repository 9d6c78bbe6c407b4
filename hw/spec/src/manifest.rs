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
    /// Timing and utilization of the routed design, once Vivado has built it.
    #[serde(default)]
    pub vivado: Option<VivadoResults>,
}

/// What the Vivado run measured on the routed design (the build folder's
/// `vivado_results.txt`, written by the generated TCL beside the full reports).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VivadoResults {
    /// Worst negative slack of setup paths, ps (negative fails the build).
    pub wns_ps: i64,
    /// Worst hold slack, ps.
    pub whs_ps: i64,
    pub slice_luts: u64,
    pub slice_registers: u64,
    /// Block RAM in RAMB18 halves (Vivado reports RAMB36 tiles, in steps of 0.5).
    pub bram18: u64,
    pub dsps: u64,
    /// File names of the reports in the build folder.
    pub timing_report: String,
    pub utilization_report: String,
}

impl VivadoResults {
    /// Parses the `name=value` lines of `vivado_results.txt` (values as Vivado prints them,
    /// ns and counts); `None` names the first missing or unreadable field.
    pub fn parse(
        text: &str,
        timing_report: &str,
        utilization_report: &str,
    ) -> Result<VivadoResults, String> {
        let value = |name: &str| -> Result<f64, String> {
            let line = text
                .lines()
                .find_map(|l| l.trim().strip_prefix(name)?.strip_prefix('='))
                .ok_or_else(|| format!("no {name}= line"))?;
            let v: f64 = line
                .trim()
                .parse()
                .map_err(|_| format!("{name}={line} is not a number"))?;
            if v.is_nan() || (name != "wns_ns" && name != "whs_ns" && v < 0.0) {
                return Err(format!("{name}={line} was not found in the report"));
            }
            Ok(v)
        };
        Ok(VivadoResults {
            wns_ps: (value("wns_ns")? * 1000.0).round() as i64,
            whs_ps: (value("whs_ns")? * 1000.0).round() as i64,
            slice_luts: value("slice_luts")? as u64,
            slice_registers: value("slice_registers")? as u64,
            bram18: (value("block_ram_tiles")? * 2.0).round() as u64,
            dsps: value("dsps")? as u64,
            timing_report: timing_report.into(),
            utilization_report: utilization_report.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vivado_results_parse_and_name_what_is_missing() {
        let text = "wns_ns=0.214\nwhs_ns=0.051\nslice_luts=24112\nslice_registers=15031\n\
                    block_ram_tiles=50.5\ndsps=12\n";
        let r = VivadoResults::parse(text, "t.rpt", "u.rpt").unwrap();
        assert_eq!(
            (r.wns_ps, r.whs_ps, r.slice_luts, r.bram18),
            (214, 51, 24112, 101)
        );
        let e = VivadoResults::parse("wns_ns=-1.5\n", "t", "u").unwrap_err();
        assert!(e.contains("whs_ns"), "{e}");
        let e = VivadoResults::parse(&text.replace("dsps=12", "dsps=-1"), "t", "u").unwrap_err();
        assert!(e.contains("dsps"), "{e}");
    }
}
