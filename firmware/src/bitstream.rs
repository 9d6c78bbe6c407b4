//! The bitstream flow: generate the top-level Verilog, vendor black-box stubs, XDC, MIG
//! project, Vivado TCL and a manifest into a build folder (deterministic: the same design
//! gives byte-identical files), and optionally run Vivado in batch mode and copy the
//! bitstream with its manifest into the bitstreams folder, named by design hash.

use crate::top::{
    BoardEngine, Crew16x512BoardTop, CrewBoardTop, Dense16x512BoardTop, Dense4x2048BoardTop,
    DenseBoardTop,
};
use crew_hw::bridge::EngineInfo;
use crew_spec::file::write_whole;
use crew_spec::manifest::VivadoResults;
use crew_spec::regmap;
use rust_hdl::prelude::*;
use rust_hdl_bsp_ok_xem7010::xem7010::synth::{add_mig_core_xem_7010, VivadoOptions};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// FPGA part of the XEM7010-A50.
pub const FPGA_PART: &str = "xc7a50tfgg484-1";
/// FrontPanel HDL files the design instantiates, relative to the FrontPanel install.
pub const FRONTPANEL_HDL: &[&str] = &[
    "okLibrary.v",
    "okCoreHarness.v",
    "okWireIn.v",
    "okWireOut.v",
    "okTriggerIn.v",
    "okTriggerOut.v",
    "okPipeIn.v",
    "okPipeOut.v",
    "okBTPipeIn.v",
    "okBTPipeOut.v",
];
/// Where the FrontPanel HDL of this board lives inside the FrontPanel install.
pub const FRONTPANEL_HDL_SUBDIR: &str = "XEM7010-A50/Vivado-2016";
/// Generated files, in the order the design hash covers them.
pub const GENERATED_FILES: &[&str] =
    &["top.v", "vendor_stubs.v", "top.xdc", "mig_a.prj", "top.tcl"];
/// Manifest file name in the build folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Printed by the TCL when the bitstream has been written.
const VIVADO_DONE_MARKER: &str = "CREW Vivado run complete";

#[derive(Debug, thiserror::Error)]
pub enum FirmwareError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Vivado not found at {0} (set VIVADO_PATH to the Vivado install directory)")]
    VivadoMissing(PathBuf),
    #[error("FrontPanel HDL file {0} not found (set FP_PATH to the FrontPanel install directory)")]
    FrontPanelHdlMissing(PathBuf),
    #[error("Vivado failed ({reason}); see the log {log}")]
    VivadoFailed { reason: String, log: PathBuf },
    #[error("the routed design misses timing ({results}); see {report}")]
    TimingFailed { results: String, report: PathBuf },
    #[error(
        "engine kind {} with {} lanes and accumulator depth {} is no board engine \
         configuration (expected one of: {})",
        .0.kind, .0.lanes, .0.acc_depth, engine_configurations()
    )]
    UnknownEngine(EngineInfo),
    #[error("cannot run {tool} ({reason}): install it (scripts/test.sh does, or apt-get install {tool})")]
    ToolMissing { tool: String, reason: String },
    #[error("{tool} failed ({reason}); see the log {log}")]
    ToolFailed {
        tool: String,
        reason: String,
        log: PathBuf,
    },
    #[error("manifest {path}: {source}")]
    Manifest {
        path: PathBuf,
        source: serde_json::Error,
    },
}

fn engine_configurations() -> String {
    let kinds: Vec<String> = BoardEngine::ALL
        .iter()
        .map(|e| {
            let info = e.info();
            format!(
                "{e} (kind {}, {} lanes, depth {})",
                info.kind, info.lanes, info.acc_depth
            )
        })
        .collect();
    kinds.join(", ")
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> FirmwareError + '_ {
    move |source| FirmwareError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub use crew_spec::manifest::{EngineParameters, Manifest};

/// The generated design in memory.
pub struct GeneratedDesign {
    /// (file name, contents) in [`GENERATED_FILES`] order.
    pub files: Vec<(String, String)>,
    pub manifest: Manifest,
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Splits rust-hdl's Verilog into the design (black-box stubs removed, for Vivado, which
/// gets the real FrontPanel and MIG sources) and the stubs, one per module name (for
/// yosys and other checkers).
fn split_blackboxes(verilog: &str) -> (String, String) {
    let design = filter_blackbox_directives(verilog);
    let mut stubs: Vec<(String, String)> = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in verilog.split('\n') {
        if line.starts_with("(* blackbox *)") {
            current = Some(Vec::new());
        }
        if let Some(lines) = current.as_mut() {
            lines.push(line);
            if line.starts_with("endmodule") {
                let text = lines.join("\n");
                let name = text
                    .split_whitespace()
                    .skip_while(|w| *w != "module")
                    .nth(1)
                    .unwrap_or("")
                    .trim_end_matches('(')
                    .to_string();
                if !stubs.iter().any(|(n, _)| *n == name) {
                    stubs.push((name, text));
                }
                current = None;
            }
        }
    }
    stubs.sort();
    let stubs = stubs
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join("\n\n");
    (design, stubs + "\n")
}

/// The Vivado TCL: project, sources (FrontPanel HDL copied beside it), MIG IP from
/// `mig_a.prj`, synthesis, implementation to the routed design, then the timing and
/// utilization reports ([`TIMING_REPORT`], [`UTILIZATION_REPORT`], and the figures the
/// manifest records in [`VIVADO_RESULTS`]); a negative worst slack (setup or hold) stops the
/// build before the bitstream, naming the report. Exits non-zero on every failure.
fn vivado_tcl(mig_tcl: &str) -> String {
    let fp_files = FRONTPANEL_HDL.join(" ");
    format!(
        r#"# Generated by crew-firmware; run in the build folder: vivado -mode batch -source top.tcl
create_project top . -part {FPGA_PART} -force
add_files {{top.v top.xdc {fp_files}}}
{mig_tcl}
update_compile_order
launch_runs synth_1 -jobs 2
wait_on_run synth_1
if {{[get_property STATUS [get_runs synth_1]] != "synth_design Complete!"}} {{
    puts "CREW synthesis failed"
    exit 1
}}
launch_runs impl_1 -to_step route_design -jobs 2
wait_on_run impl_1
if {{[get_property STATUS [get_runs impl_1]] != "route_design Complete!"}} {{
    puts "CREW implementation failed"
    exit 1
}}
open_run impl_1
report_timing_summary -max_paths 20 -report_unconstrained -file {TIMING_REPORT}
report_utilization -file {UTILIZATION_REPORT}
report_utilization -hierarchical -file utilization_hierarchical.rpt
report_cdc -file cdc.rpt
set wns [get_property SLACK [get_timing_paths -max_paths 1 -nworst 1 -setup]]
set whs [get_property SLACK [get_timing_paths -max_paths 1 -nworst 1 -hold]]
set util [report_utilization -return_string]
proc util_used {{text site}} {{
    if {{[regexp "\\|\\s*$site\\s*\\|\\s*(\[0-9.\]+)" $text -> used]}} {{ return $used }}
    return -1
}}
set results [open {VIVADO_RESULTS} w]
puts $results "wns_ns=$wns"
puts $results "whs_ns=$whs"
puts $results "slice_luts=[util_used $util {{Slice LUTs}}]"
puts $results "slice_registers=[util_used $util {{Slice Registers}}]"
puts $results "block_ram_tiles=[util_used $util {{Block RAM Tile}}]"
puts $results "dsps=[util_used $util {{DSPs}}]"
close $results
if {{$wns eq "" || $wns < 0 || $whs eq "" || $whs < 0}} {{
    puts "CREW timing failed: worst setup slack $wns ns, worst hold slack $whs ns; see {TIMING_REPORT}"
    exit 2
}}
launch_runs impl_1 -next_step -jobs 2
wait_on_run impl_1
if {{[get_property STATUS [get_runs impl_1]] != "write_bitstream Complete!"}} {{
    puts "CREW bitstream failed"
    exit 1
}}
puts "{VIVADO_DONE_MARKER}"
exit 0
"#
    )
}

/// Vivado's timing summary of the routed design, in the build folder.
pub const TIMING_REPORT: &str = "timing_summary.rpt";
/// Vivado's utilization of the routed design, in the build folder.
pub const UTILIZATION_REPORT: &str = "utilization.rpt";
/// `name=value` lines the TCL writes from the routed design: wns_ns, whs_ns, slice_luts,
/// slice_registers, block_ram_tiles, dsps (read into the manifest's `vivado` field).
pub const VIVADO_RESULTS: &str = "vivado_results.txt";

/// The clock-domain crossing constraints. rust-hdl's XDC (from the BSP's pin constraints)
/// declares okHostClk and SystemClk and puts them in asynchronous clock groups, which
/// would cut every path between the domains from timing, data buses included. Xilinx's
/// recommendation for synchronized crossings (UG903 "Constraining clock domain crossings",
/// UG949 "CDC constraints") is instead: ASYNC_REG on the synchronizer flip-flops (placed
/// together, MTBF-analysed) and `set_max_delay -datapath_only` on the crossing paths, at
/// most the faster clock's period, so the held data words of the handshake synchronizers
/// (the bridge's FIFO pointers, status snapshots and wire-ins) arrive before the flag that
/// qualifies them. Every bridge synchronizer stage is a rust-hdl `BitSynchronizer`, whose
/// flip-flops are instances `dff0` and `dff1` (the only instances of that name).
fn cdc_constraints() -> String {
    let ui_period_ns = crate::timing::UI_DOMAIN.period_ps as f64 / 1000.0;
    format!(
        "# Clock-domain crossings between okHost's ti_clk (from okHostClk) and the MIG's ui_clk
# (from SystemClk): synchronizer flip-flops marked ASYNC_REG, crossing data paths bounded
# by the UI clock period (no clock groups, no false paths).
set_property ASYNC_REG TRUE [get_cells -hierarchical -filter {{IS_SEQUENTIAL && (NAME =~ accelerator/bridge/*/dff0/* || NAME =~ accelerator/bridge/*/dff1/*)}}]
set_max_delay -datapath_only -from [get_clocks -include_generated_clocks okHostClk] -to [get_clocks -include_generated_clocks SystemClk] {ui_period_ns:.3}
set_max_delay -datapath_only -from [get_clocks -include_generated_clocks SystemClk] -to [get_clocks -include_generated_clocks okHostClk] {ui_period_ns:.3}
"
    )
}

/// The top's Verilog and XDC: rust-hdl's pin and clock constraints without its clock
/// groups, then [`cdc_constraints`].
fn top_sources<T: Block>(top: &T) -> (String, String) {
    let pins = rust_hdl::fpga::toolchains::vivado::generate_xdc(top);
    let mut xdc: String = pins
        .lines()
        .filter(|l| !l.trim_start().starts_with("set_clock_groups"))
        .map(|l| format!("{l}\n"))
        .collect();
    xdc += &cdc_constraints();
    (generate_verilog(top), xdc)
}

/// Generates the design of the board engine configuration `engine` describes (which the
/// identity wires then report). `scratch` receives the BSP's MIG project file on the way (the BSP
/// writes it to disk); nothing else touches the file system.
pub fn generate_design(
    engine: EngineInfo,
    scratch: &Path,
) -> Result<GeneratedDesign, FirmwareError> {
    let (verilog, xdc) = match BoardEngine::from_info(engine) {
        Some(BoardEngine::Crew) => top_sources(&CrewBoardTop::new(engine)),
        Some(BoardEngine::Dense) => top_sources(&DenseBoardTop::new(engine)),
        Some(BoardEngine::Crew16x512) => top_sources(&Crew16x512BoardTop::new(engine)),
        Some(BoardEngine::Dense4x2048) => top_sources(&Dense4x2048BoardTop::new(engine)),
        Some(BoardEngine::Dense16x512) => top_sources(&Dense16x512BoardTop::new(engine)),
        None => return Err(FirmwareError::UnknownEngine(engine)),
    };
    let (design_v, stubs_v) = split_blackboxes(&verilog);
    std::fs::create_dir_all(scratch).map_err(io_err(scratch))?;
    let scratch_str = scratch.to_string_lossy().to_string();
    let mig_tcl_abs = add_mig_core_xem_7010(&scratch_str, VivadoOptions::default());
    let prj_path = scratch.join("mig_a.prj");
    let prj = std::fs::read_to_string(&prj_path).map_err(io_err(&prj_path))?;
    // The BSP names the project by absolute path; the build folder is Vivado's working
    // directory, so a relative name keeps the TCL independent of where it is built.
    let abs = prj_path
        .canonicalize()
        .map_err(io_err(&prj_path))?
        .to_string_lossy()
        .to_string();
    let mig_tcl = mig_tcl_abs.replace(&format!("{{ {abs} }}"), "[file normalize mig_a.prj]");
    let tcl = vivado_tcl(&mig_tcl);
    let files: Vec<(String, String)> = vec![
        ("top.v".into(), design_v),
        ("vendor_stubs.v".into(), stubs_v),
        ("top.xdc".into(), xdc),
        ("mig_a.prj".into(), prj),
        ("top.tcl".into(), tcl),
    ];
    let mut hasher = Sha256::new();
    for (name, text) in &files {
        hasher.update(name.as_bytes());
        hasher.update([0u8]);
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    let design_hash: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let manifest = Manifest {
        design_hash,
        design_id: regmap::DESIGN_ID,
        protocol_version: regmap::PROTOCOL_VERSION,
        image_format_version: crew_spec::image::IMAGE_FORMAT_VERSION,
        board_model: regmap::BOARD_MODEL.into(),
        fpga_part: FPGA_PART.into(),
        engine: engine.into(),
        files: files
            .iter()
            .map(|(n, t)| (n.clone(), sha256_hex(t.as_bytes())))
            .collect(),
        bitstream_sha256: None,
        bitstream_file: None,
        vivado: None,
    };
    Ok(GeneratedDesign { files, manifest })
}

fn write_manifest(path: &Path, manifest: &Manifest) -> Result<(), FirmwareError> {
    let text =
        serde_json::to_string_pretty(manifest).map_err(|source| FirmwareError::Manifest {
            path: path.to_path_buf(),
            source,
        })?;
    write_whole(path, (text + "\n").as_bytes()).map_err(io_err(path))
}

/// Reads a manifest (build folder or bitstreams folder).
pub fn read_manifest(path: &Path) -> Result<Manifest, FirmwareError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    serde_json::from_str(&text).map_err(|source| FirmwareError::Manifest {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes the generated files and the manifest into `out` (created if needed).
pub fn generate(engine: EngineInfo, out: &Path) -> Result<Manifest, FirmwareError> {
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let design = generate_design(engine, out)?;
    for (name, text) in &design.files {
        let path = out.join(name);
        write_whole(&path, text.as_bytes()).map_err(io_err(&path))?;
    }
    write_manifest(&out.join(MANIFEST_FILE), &design.manifest)?;
    Ok(design.manifest)
}

/// First line of a simulation bitstream: says what the file is.
pub const SIMULATION_BITSTREAM_HEADER: &str =
    "CREW simulation bitstream: configures the simulated XEM7010 of the frontpanel-sim \
     stand-in library, not an FPGA";

/// Writes a simulation bitstream of the generated design `manifest` describes into `out`:
/// `crew-xem7010-<hash>-sim.bit` (a text file naming the design) and its manifest
/// `crew-xem7010-<hash>-sim.json` with the file's sha256, as a Vivado build has them;
/// returns the `.bit` path. `crew-host flash` takes it to the stand-in like a real one to
/// a board; a real board refuses it (it is no bitstream).
pub fn write_simulation_bitstream(
    out: &Path,
    manifest: &Manifest,
) -> Result<PathBuf, FirmwareError> {
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let stem = format!("crew-xem7010-{}-sim", &manifest.design_hash[..16]);
    let contents = format!(
        "{SIMULATION_BITSTREAM_HEADER}\ndesign_hash {}\nengine {} lanes {} acc_depth {}\n",
        manifest.design_hash,
        manifest.engine.kind,
        manifest.engine.lanes,
        manifest.engine.acc_depth
    );
    let bit = out.join(format!("{stem}.bit"));
    write_whole(&bit, contents.as_bytes()).map_err(io_err(&bit))?;
    let mut manifest = manifest.clone();
    manifest.bitstream_sha256 = Some(sha256_hex(contents.as_bytes()));
    manifest.bitstream_file = Some(format!("{stem}.bit"));
    write_manifest(&out.join(format!("{stem}.json")), &manifest)?;
    Ok(bit)
}

/// Where Vivado and the FrontPanel HDL are.
#[derive(Clone, Debug)]
pub struct VivadoSetup {
    /// Vivado install directory (containing bin/vivado) or the vivado executable.
    pub vivado_path: PathBuf,
    /// FrontPanel install directory.
    pub frontpanel_path: PathBuf,
}

impl VivadoSetup {
    /// From VIVADO_PATH / FP_PATH in the environment, else the defaults compiled in from
    /// .cargo/config.toml.
    pub fn from_env() -> VivadoSetup {
        let pick = |var: &str, default: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(default))
        };
        VivadoSetup {
            vivado_path: pick("VIVADO_PATH", env!("VIVADO_PATH")),
            frontpanel_path: pick("FP_PATH", env!("FP_PATH")),
        }
    }

    fn vivado_executable(&self) -> Option<PathBuf> {
        [
            self.vivado_path.join("bin").join("vivado"),
            self.vivado_path.join("vivado"),
            self.vivado_path.clone(),
        ]
        .into_iter()
        .find(|p| p.is_file())
    }
}

/// Runs Vivado on a generated build folder and copies the bitstream and its manifest into
/// `bitstreams` as `crew-xem7010-<hash>.bit` / `.json`; returns the path of the copied .bit.
pub fn run_vivado(
    build: &Path,
    setup: &VivadoSetup,
    bitstreams: &Path,
) -> Result<PathBuf, FirmwareError> {
    let vivado = setup
        .vivado_executable()
        .ok_or_else(|| FirmwareError::VivadoMissing(setup.vivado_path.clone()))?;
    let manifest_path = build.join(MANIFEST_FILE);
    let mut manifest = read_manifest(&manifest_path)?;
    let fp_dir = setup.frontpanel_path.join(FRONTPANEL_HDL_SUBDIR);
    for name in FRONTPANEL_HDL {
        let src = fp_dir.join(name);
        if !src.is_file() {
            return Err(FirmwareError::FrontPanelHdlMissing(src));
        }
        let dst = build.join(name);
        std::fs::copy(&src, &dst).map_err(io_err(&dst))?;
    }
    let log = build.join("vivado.log");
    let status = Command::new(&vivado)
        .current_dir(build)
        .args(["-mode", "batch", "-source", "top.tcl", "-log", "vivado.log"])
        .args(["-journal", "vivado.jou", "-notrace"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(io_err(&vivado))?;
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    // The TCL exits 2 when the routed design misses timing (before the bitstream).
    if status.code() == Some(2) {
        return Err(FirmwareError::TimingFailed {
            results: std::fs::read_to_string(build.join(VIVADO_RESULTS))
                .unwrap_or_default()
                .lines()
                .take(2)
                .collect::<Vec<_>>()
                .join(", "),
            report: build.join(TIMING_REPORT),
        });
    }
    if !status.success() || !log_text.contains(VIVADO_DONE_MARKER) {
        return Err(FirmwareError::VivadoFailed {
            reason: status.to_string(),
            log,
        });
    }
    let bit = build.join("top.runs").join("impl_1").join("top.bit");
    let bit_bytes = std::fs::read(&bit).map_err(|_| FirmwareError::VivadoFailed {
        reason: format!("no bitstream at {}", bit.display()),
        log: log.clone(),
    })?;
    std::fs::create_dir_all(bitstreams).map_err(io_err(bitstreams))?;
    let stem = format!("crew-xem7010-{}", &manifest.design_hash[..16]);
    let dest = bitstreams.join(format!("{stem}.bit"));
    write_whole(&dest, &bit_bytes).map_err(io_err(&dest))?;
    let results_path = build.join(VIVADO_RESULTS);
    let results_text = std::fs::read_to_string(&results_path).map_err(io_err(&results_path))?;
    let results = VivadoResults::parse(&results_text, TIMING_REPORT, UTILIZATION_REPORT).map_err(
        |reason| FirmwareError::VivadoFailed {
            reason: format!("{}: {reason}", results_path.display()),
            log: log.clone(),
        },
    )?;
    manifest.vivado = Some(results);
    manifest.bitstream_sha256 = Some(sha256_hex(&bit_bytes));
    manifest.bitstream_file = Some(format!("{stem}.bit"));
    write_manifest(&bitstreams.join(format!("{stem}.json")), &manifest)?;
    write_manifest(&manifest_path, &manifest)?;
    Ok(dest)
}
