//! Timing estimate without Vivado (`crew-firmware timing`): yosys 0.23 synthesizes the
//! accelerator (host bridge and engine, the part of the design that is ours) flattened for
//! the XC7 family and times the netlist with `sta`, which adds the pin-to-pin delays of
//! yosys's Xilinx cell library (`+/xilinx/cells_sim.v`, taken from Project X-Ray's Artix-7
//! timing database) along every register-to-register path and reports the latest arrival.
//! There is no placement and no routing in it: the number is cell delay only, and the
//! project's budget (docs/timing.md) leaves half of each clock period to routing, setup and
//! clock uncertainty.
//!
//! Each clock domain is timed on its own: the netlist is timed once per domain, with
//! every cell clocked by the other domain's clock removed (a path that starts in the other
//! domain then starts at zero: the crossing's data path, which the XDC bounds with
//! `set_max_delay -datapath_only`). The runs are cached by the sha256 of everything that
//! decides their result (the Verilog, the yosys version, the script), so an unchanged design
//! is not synthesized again.

use crate::bitstream::{sha256_hex, FirmwareError, GeneratedDesign};
use crate::top::BoardEngine;
use crew_spec::file::write_whole;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A clock domain of the accelerator and its cell-delay budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockDomain {
    /// Short name used in reports (`ui`, `ti`).
    pub name: &'static str,
    /// The accelerator's clock input of the domain.
    pub port: &'static str,
    /// What drives it on the board.
    pub source: &'static str,
    /// Clock period, ps.
    pub period_ps: u32,
}

impl ClockDomain {
    /// The cell delay a path of this domain may take: [`CELL_DELAY_SHARE_PERCENT`] of the
    /// period.
    pub fn budget_ps(&self) -> u32 {
        self.period_ps * CELL_DELAY_SHARE_PERCENT / 100
    }

    /// The project's goal for the domain: [`CELL_DELAY_GOAL_PERCENT`] of the period.
    pub fn goal_ps(&self) -> u32 {
        self.period_ps * CELL_DELAY_GOAL_PERCENT / 100
    }
}

/// Share of the clock period that cell delay may take (docs/timing.md: on 7-series -1 parts
/// net delay is typically as large as logic delay on paths of a few logic levels, and
/// setup, clock uncertainty and skew take a few hundred ps more).
pub const CELL_DELAY_SHARE_PERCENT: u32 = 50;
/// The goal the RTL is written to, leaving room for high-fanout nets.
pub const CELL_DELAY_GOAL_PERCENT: u32 = 40;

/// The ceiling the suite holds a domain to (`firmware/tests/timing_budget.rs`): its budget.
/// (While the pipelining landed the UI domain had a ratchet above the budget; every path
/// fits now, so there is none.)
pub fn ceiling_ps(domain: &ClockDomain) -> u32 {
    domain.budget_ps()
}

/// The MIG user-interface clock (4:1 to the 400 MHz DDR3 clock): the engine and the bridge's
/// DRAM side.
pub const UI_DOMAIN: ClockDomain = ClockDomain {
    name: "ui",
    port: "ui_clk",
    source: "MIG 7-series ui_clk, 100 MHz",
    period_ps: 10_000,
};
/// FrontPanel's ti_clk (48 MHz from okHost): the endpoints and the bridge's host side.
pub const TI_DOMAIN: ClockDomain = ClockDomain {
    name: "ti",
    port: "ti_clk",
    source: "okHost ti_clk, 48 MHz",
    period_ps: 20_830,
};
/// Every clock domain of the accelerator.
pub const DOMAINS: [ClockDomain; 2] = [UI_DOMAIN, TI_DOMAIN];

/// The synthesized module: host bridge and engine (the MIG and okHost are vendor IP, timed by
/// Vivado only).
pub const TIMED_MODULE: &str = "top$accelerator";

/// One step of a timing path, as `sta` prints it (latest arrival first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathStep {
    /// Arrival time at the cell's output (or the end point's input), ps.
    pub arrival_ps: u32,
    /// Cell name in the flattened netlist.
    pub cell: String,
    /// Cell type and the timing arc, e.g. `LUT6.I0->O`, `FDRE.D`.
    pub arc: String,
    /// The net the step drives (flattened hierarchical name where the netlist keeps one).
    pub net: String,
}

/// The longest path of one domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainTiming {
    pub domain: ClockDomain,
    /// Latest arrival, ps of cell delay.
    pub worst_ps: u32,
    /// The path, start point first.
    pub path: Vec<PathStep>,
}

impl DomainTiming {
    /// The named nets along the path, start first, with consecutive repeats dropped.
    pub fn named_nets(&self) -> Vec<String> {
        let mut nets: Vec<String> = Vec::new();
        for step in &self.path {
            if let Some(name) = step.net.strip_prefix('\\') {
                let name = name.split_whitespace().next().unwrap_or(name).to_string();
                if nets.last() != Some(&name) {
                    nets.push(name);
                }
            }
        }
        nets
    }

    /// The blocks the path runs through, start first: the hierarchical prefix of each named
    /// net (`engine.core.cell_unit.product.mag` -> `engine.core.cell_unit.product`).
    pub fn blocks(&self) -> Vec<String> {
        let mut blocks: Vec<String> = Vec::new();
        for net in self.named_nets() {
            let block = match net.rfind('.') {
                Some(k) => net[..k].to_string(),
                None => "(accelerator)".to_string(),
            };
            // A register's clock net names the launching register, not a block on the path.
            if net.ends_with(".clock") || net == self.domain.port {
                continue;
            }
            if blocks.last() != Some(&block) {
                blocks.push(block);
            }
        }
        blocks
    }

    pub fn within_budget(&self) -> bool {
        self.worst_ps <= self.domain.budget_ps()
    }
}

/// Cell counts of the synthesized accelerator (yosys `stat -json`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CellCounts {
    /// LUT1..LUT6 and INV.
    pub lut_logic: u64,
    /// LUTs used as memory: RAM32M and RAM64M count 4, RAM32X1D/RAM64X1D 2, others 1.
    pub lut_memory: u64,
    /// FDRE, FDSE, FDCE, FDPE.
    pub ff: u64,
    pub dsp: u64,
    pub ramb18: u64,
    pub ramb36: u64,
    pub carry4: u64,
}

impl CellCounts {
    pub fn lut_total(&self) -> u64 {
        self.lut_logic + self.lut_memory
    }

    /// Block RAM in RAMB36 sites (a RAMB18 is half of one).
    pub fn bram36(&self) -> f64 {
        self.ramb36 as f64 + self.ramb18 as f64 / 2.0
    }

    /// Parses the `cells` of yosys's `stat -json` for [`TIMED_MODULE`] (or the design total).
    pub fn from_stat_json(text: &str) -> Result<CellCounts, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("stat -json: {e}"))?;
        let cells = v
            .get("design")
            .and_then(|d| d.get("num_cells_by_type"))
            .or_else(|| {
                v.get("modules")
                    .and_then(|m| m.get(format!("\\{TIMED_MODULE}")))
                    .and_then(|m| m.get("num_cells_by_type"))
            })
            .and_then(|c| c.as_object())
            .ok_or("stat -json: no num_cells_by_type")?;
        let mut counts = CellCounts::default();
        for (kind, n) in cells {
            let n = n.as_u64().unwrap_or(0);
            match kind.as_str() {
                "LUT1" | "LUT2" | "LUT3" | "LUT4" | "LUT5" | "LUT6" | "INV" => {
                    counts.lut_logic += n
                }
                "RAM32M" | "RAM64M" => counts.lut_memory += 4 * n,
                "RAM32X1D" | "RAM64X1D" | "RAM128X1D" => counts.lut_memory += 2 * n,
                "RAM32X1S" | "RAM64X1S" | "SRL16E" | "SRLC32E" => counts.lut_memory += n,
                "RAM128X1S" => counts.lut_memory += 2 * n,
                "RAM256X1S" | "RAM256X1D" => counts.lut_memory += 4 * n,
                "FDRE" | "FDSE" | "FDCE" | "FDPE" => counts.ff += n,
                "DSP48E1" => counts.dsp += n,
                "RAMB18E1" => counts.ramb18 += n,
                "RAMB36E1" => counts.ramb36 += n,
                "CARRY4" => counts.carry4 += n,
                _ => {}
            }
        }
        Ok(counts)
    }
}

/// The resources of the XC7A50T (DS180).
pub const XC7A50T_LUTS: u64 = 32_600;
pub const XC7A50T_FFS: u64 = 65_200;
pub const XC7A50T_DSPS: u64 = 120;
pub const XC7A50T_BRAM36: u64 = 75;
/// The whole design's LUTs must stay at or under this share of the part (issue 18).
pub const WHOLE_DESIGN_LUT_LIMIT_PERCENT: u64 = 80;

/// Resources of a vendor core of the board design, from published or measured figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorCore {
    pub name: &'static str,
    pub luts: u64,
    pub ffs: u64,
    pub bram36: u64,
    pub dsps: u64,
    /// Where the figures come from.
    pub source: &'static str,
}

/// The vendor cores around the accelerator (docs/timing.md gives the sources in full).
pub const VENDOR_CORES: [VendorCore; 2] = [
    VendorCore {
        name: "MIG 7-series DDR3 x16 controller",
        luts: crate::vendor_figures::MIG_LUTS,
        ffs: crate::vendor_figures::MIG_FFS,
        bram36: crate::vendor_figures::MIG_BRAM36,
        dsps: 0,
        source: crate::vendor_figures::MIG_SOURCE,
    },
    VendorCore {
        name: "FrontPanel okHost with the design's endpoints",
        luts: crate::vendor_figures::OKHOST_LUTS,
        ffs: crate::vendor_figures::OKHOST_FFS,
        bram36: crate::vendor_figures::OKHOST_BRAM36,
        dsps: 0,
        source: crate::vendor_figures::OKHOST_SOURCE,
    },
];

/// The timing estimate of one board engine configuration.
#[derive(Clone, Debug)]
pub struct TimingReport {
    pub engine: BoardEngine,
    pub design_hash: String,
    /// The cache folder holding yosys's log and reports of this design.
    pub folder: PathBuf,
    /// Whether the reports came from the cache (no yosys run).
    pub cached: bool,
    /// The longest path of each domain.
    pub domains: Vec<DomainTiming>,
    pub cells: CellCounts,
}

impl TimingReport {
    /// The longest path of any domain, ps.
    pub fn worst_ps(&self) -> u32 {
        self.domains.iter().map(|d| d.worst_ps).max().unwrap_or(0)
    }

    /// Every domain within its budget.
    pub fn within_budget(&self) -> bool {
        self.domains.iter().all(|d| d.within_budget())
    }

    pub fn whole_design_luts(&self) -> u64 {
        self.cells.lut_total() + VENDOR_CORES.iter().map(|c| c.luts).sum::<u64>()
    }

    pub fn whole_design_ffs(&self) -> u64 {
        self.cells.ff + VENDOR_CORES.iter().map(|c| c.ffs).sum::<u64>()
    }

    pub fn whole_design_bram36(&self) -> f64 {
        self.cells.bram36() + VENDOR_CORES.iter().map(|c| c.bram36 as f64).sum::<f64>()
    }

    /// `name=value` lines, prefixed with the engine configuration's name.
    pub fn name_value_lines(&self) -> String {
        let e = self.engine.to_string().replace('-', "_");
        let mut s = String::new();
        let _ = writeln!(s, "{e}_design_hash={}", self.design_hash);
        for d in &self.domains {
            let n = d.domain.name;
            let _ = writeln!(s, "{e}_{n}_period_ps={}", d.domain.period_ps);
            let _ = writeln!(s, "{e}_{n}_budget_ps={}", d.domain.budget_ps());
            let _ = writeln!(s, "{e}_{n}_worst_ps={}", d.worst_ps);
            let _ = writeln!(
                s,
                "{e}_{n}_slack_ps={}",
                d.domain.budget_ps() as i64 - d.worst_ps as i64
            );
            let _ = writeln!(s, "{e}_{n}_worst_path={}", d.blocks().join(" -> "));
        }
        let _ = writeln!(s, "{e}_worst_ps={}", self.worst_ps());
        let _ = writeln!(s, "{e}_within_budget={}", self.within_budget());
        let c = &self.cells;
        let _ = writeln!(s, "{e}_accel_lut={}", c.lut_total());
        let _ = writeln!(s, "{e}_accel_lut_memory={}", c.lut_memory);
        let _ = writeln!(s, "{e}_accel_ff={}", c.ff);
        let _ = writeln!(s, "{e}_accel_dsp={}", c.dsp);
        let _ = writeln!(s, "{e}_accel_bram36={}", c.bram36());
        let luts = self.whole_design_luts();
        let _ = writeln!(s, "{e}_whole_lut={luts}");
        let _ = writeln!(
            s,
            "{e}_whole_lut_percent={:.1}",
            100.0 * luts as f64 / XC7A50T_LUTS as f64
        );
        let _ = writeln!(s, "{e}_whole_ff={}", self.whole_design_ffs());
        let _ = writeln!(s, "{e}_whole_bram36={}", self.whole_design_bram36());
        s
    }

    /// A human-readable summary (the worst path of each domain, block by block).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} (design {}), {}: {}",
            self.engine,
            &self.design_hash[..16],
            if self.cached {
                "from the cache"
            } else {
                "synthesized"
            },
            self.folder.display()
        );
        for d in &self.domains {
            let _ = writeln!(
                s,
                "  {} ({}): longest path {} ps of cell delay, budget {} ps ({}), {}",
                d.domain.name,
                d.domain.source,
                d.worst_ps,
                d.domain.budget_ps(),
                if d.within_budget() {
                    "within"
                } else {
                    "OVER BUDGET"
                },
                if d.worst_ps <= d.domain.goal_ps() {
                    format!("goal {} ps met", d.domain.goal_ps())
                } else {
                    format!("goal {} ps not met", d.domain.goal_ps())
                }
            );
            let _ = writeln!(s, "    through {}", d.blocks().join(" -> "));
        }
        let luts = self.whole_design_luts();
        let _ = writeln!(
            s,
            "  whole design (accelerator {} + MIG and okHost {}): {} LUTs, {:.1}% of the XC7A50T (limit {}%)",
            self.cells.lut_total(),
            luts - self.cells.lut_total(),
            luts,
            100.0 * luts as f64 / XC7A50T_LUTS as f64,
            WHOLE_DESIGN_LUT_LIMIT_PERCENT
        );
        s
    }
}

/// Parses one `sta` report: the latest arrival and its path (start point first).
pub fn parse_sta(text: &str) -> Result<(u32, Vec<PathStep>), String> {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.contains("Latest arrival time in"));
    let head = lines.next().ok_or("no 'Latest arrival time' line")?;
    let worst: u32 = head
        .trim_end_matches(':')
        .rsplit(' ')
        .next()
        .and_then(|w| w.parse().ok())
        .ok_or_else(|| format!("cannot read the arrival time in {head:?}"))?;
    let mut path = Vec::new();
    let mut pending: Option<(u32, String, String)> = None;
    for line in lines {
        let t = line.trim();
        if t.is_empty() {
            break;
        }
        // sta warns inside the path when it ends in a cell it has no endpoint model for
        // (e.g. a carry chain's unused carry-out): the path goes on below the warning.
        if t.starts_with("Warning: Critical-path") {
            continue;
        }
        let mut words = t.split_whitespace();
        let first = words.next().unwrap_or("");
        if let Ok(arrival) = first.parse::<u32>() {
            if let Some((a, cell, arc)) = pending.take() {
                path.push(PathStep {
                    arrival_ps: a,
                    cell,
                    arc,
                    net: String::new(),
                });
            }
            let rest: Vec<&str> = words.collect();
            let (cell, arc) = match rest.split_last() {
                Some((arc, cell)) if arc.starts_with('(') => (
                    cell.join(" "),
                    arc.trim_matches(|c| c == '(' || c == ')').to_string(),
                ),
                _ => (rest.join(" "), String::new()),
            };
            pending = Some((arrival, cell, arc));
        } else if let Some((a, cell, arc)) = pending.take() {
            path.push(PathStep {
                arrival_ps: a,
                cell,
                arc,
                net: t.to_string(),
            });
        } else {
            // A line sta prints after the path (e.g. its summary): the path is over.
            break;
        }
    }
    if let Some((a, cell, arc)) = pending {
        path.push(PathStep {
            arrival_ps: a,
            cell,
            arc,
            net: String::new(),
        });
    }
    path.reverse();
    Ok((worst, path))
}

/// The yosys script: synthesis, cell counts, then `sta` of the whole netlist and of each
/// domain alone. `{top}` is replaced by [`TIMED_MODULE`].
fn yosys_script() -> String {
    let mut s = String::new();
    s += "read_verilog -lib vendor_stubs.v\n";
    s += "read_verilog top.v\n";
    // -noclkbuf: a BUFG delays launch and capture alike (clock insertion, not path delay);
    // without it every path would also carry the BUFG and start at the buffer's output net.
    s += &format!("synth_xilinx -family xc7 -flatten -noclkbuf -top {TIMED_MODULE}\n");
    s += "tee -q -o stat.json stat -json\n";
    s += "read_verilog -lib -specify +/xilinx/cells_sim.v\n";
    s += "design -save timed\n";
    for d in DOMAINS {
        s += "design -load timed\n";
        for other in DOMAINS.iter().filter(|o| o.name != d.name) {
            // Every cell clocked by the other domain: the clock port's input buffer, its
            // output net and the cells on that net (%co3), wires excluded. (-noiopad would
            // avoid the buffer, but yosys 0.23 then asserts in `design -load`.)
            s += &format!(
                "select -module {TIMED_MODULE} w:{p} %co3 w:* %d\ndelete\nselect -clear\n",
                p = other.port
            );
        }
        s += &format!("tee -q -o sta_{}.txt sta\n", d.name);
    }
    s
}

fn yosys_version() -> Result<String, FirmwareError> {
    let out = Command::new("yosys")
        .arg("-V")
        .output()
        .map_err(|e| FirmwareError::ToolMissing {
            tool: "yosys".into(),
            reason: e.to_string(),
        })?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The cache folder: `CREW_TIMING_CACHE`, else `$XDG_CACHE_HOME/crew-timing`, else
/// `~/.cache/crew-timing`, else the system temporary folder's `crew-timing`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("CREW_TIMING_CACHE") {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(p).join("crew-timing");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".cache").join("crew-timing");
    }
    std::env::temp_dir().join("crew-timing")
}

/// The files a complete cache entry holds: the cell counts and one `sta` report per domain.
fn reports() -> Vec<String> {
    std::iter::once("stat.json".to_string())
        .chain(DOMAINS.iter().map(|d| format!("sta_{}.txt", d.name)))
        .collect()
}

/// Times a generated design, from the cache when it holds the same design, yosys and
/// script; otherwise runs yosys (minutes) and fills the cache.
pub fn time_design(
    engine: BoardEngine,
    design: &GeneratedDesign,
    cache: &Path,
) -> Result<TimingReport, FirmwareError> {
    let file = |name: &str| -> &str {
        design
            .files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or("")
    };
    let script = yosys_script();
    let version = yosys_version()?;
    let mut key_text = String::new();
    for part in [file("top.v"), file("vendor_stubs.v"), &script, &version] {
        key_text += &sha256_hex(part.as_bytes());
    }
    let key = sha256_hex(key_text.as_bytes());
    let folder = cache.join(&key[..32]);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FirmwareError::Io { path, source }
    };
    let complete = reports().iter().all(|r| folder.join(r).is_file());
    let cached = complete;
    if !complete {
        // A run writes into its own scratch folder, renamed into place when complete, so a
        // cut-short run never leaves a cache entry that looks whole.
        std::fs::create_dir_all(cache).map_err(io(cache))?;
        let scratch = cache.join(format!(".{}-{}", &key[..32], std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(&scratch).map_err(io(&scratch))?;
        for name in ["top.v", "vendor_stubs.v"] {
            let p = scratch.join(name);
            write_whole(&p, file(name).as_bytes()).map_err(io(&p))?;
        }
        let ys = scratch.join("timing.ys");
        write_whole(&ys, script.as_bytes()).map_err(io(&ys))?;
        let log = scratch.join("yosys.log");
        let status = Command::new("yosys")
            .current_dir(&scratch)
            .args(["-q", "-l", "yosys.log", "-s", "timing.ys"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map_err(|e| FirmwareError::ToolMissing {
                tool: "yosys".into(),
                reason: e.to_string(),
            })?;
        let missing: Vec<String> = reports()
            .into_iter()
            .filter(|r| !scratch.join(r).is_file())
            .collect();
        if !status.success() || !missing.is_empty() {
            return Err(FirmwareError::ToolFailed {
                tool: "yosys".into(),
                reason: if status.success() {
                    format!("no {}", missing.join(", "))
                } else {
                    status.to_string()
                },
                log,
            });
        }
        // The design files are in the build folder already; keep only reports and log.
        let _ = std::fs::remove_file(scratch.join("top.v"));
        let _ = std::fs::remove_file(scratch.join("vendor_stubs.v"));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::rename(&scratch, &folder).map_err(io(&folder))?;
    }
    let read = |name: &str| -> Result<String, FirmwareError> {
        let p = folder.join(name);
        std::fs::read_to_string(&p).map_err(io(&p))
    };
    let bad = |name: &str, reason: String| FirmwareError::ToolFailed {
        tool: "yosys".into(),
        reason: format!("{name}: {reason}"),
        log: folder.join("yosys.log"),
    };
    let cells = CellCounts::from_stat_json(&read("stat.json")?).map_err(|e| bad("stat.json", e))?;
    let timed = |domain: ClockDomain, name: &str| -> Result<DomainTiming, FirmwareError> {
        let (worst_ps, path) = parse_sta(&read(name)?).map_err(|e| bad(name, e))?;
        Ok(DomainTiming {
            domain,
            worst_ps,
            path,
        })
    };
    let domains = DOMAINS
        .iter()
        .map(|d| timed(*d, &format!("sta_{}.txt", d.name)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TimingReport {
        engine,
        design_hash: design.manifest.design_hash.clone(),
        folder,
        cached,
        domains,
        cells,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STA: &str = "6. Executing STA pass (static timing analysis).
Latest arrival time in 'top$accelerator' is 2677:
    2677 $abc$1$lut (LUT2.I1->O)
           \\engine.core.cell_unit.sa_in [1]
    2550 tables.tanh_rom.mem.0.0 (RAMB18E1.CLKARDCLK->DOADO)
           \\engine.core.cell_unit.tables.tanh_rom$read_data [3]
       0 $auto$input
           \\ui_clk

End of script.
";

    #[test]
    fn sta_reports_parse_start_first_with_blocks() {
        let (worst, path) = parse_sta(STA).unwrap();
        assert_eq!(worst, 2677);
        assert_eq!(path.len(), 3);
        assert_eq!(path[0].arrival_ps, 0);
        assert_eq!(path[1].arc, "RAMB18E1.CLKARDCLK->DOADO");
        assert_eq!(path[2].cell, "$abc$1$lut");
        let d = DomainTiming {
            domain: UI_DOMAIN,
            worst_ps: worst,
            path,
        };
        assert_eq!(
            d.blocks(),
            vec![
                "engine.core.cell_unit.tables".to_string(),
                "engine.core.cell_unit".to_string()
            ]
        );
        assert!(d.within_budget());
    }

    #[test]
    fn a_path_without_a_recognised_endpoint_keeps_its_steps() {
        let sta = "Latest arrival time in 'top$accelerator' is 4741:
    4741 (<unknown>)
Warning: Critical-path does not terminate in a recognised endpoint.
           $flatten\\bridge.$lt$top.v:1447$334.CO [4]
    4741 $flatten\\bridge.$lt$top.v:1447$334.carry4 (CARRY4.CI->CO)
           \\bridge.last_fill.d [1]
     303 $auto$ff.cc:266:slice$56147 (FDRE.C->Q)
           \\bridge.pipe_out.fifo.hold.q [2]
       0 $iopadmap$top$accelerator.ui_clk (IBUF.I->O)
           \\ui_clk
Warning: Endpoint top$accelerator.\\leds [6] has no (* sta_arrival *) value.
";
        let (worst, path) = parse_sta(sta).unwrap();
        assert_eq!(worst, 4741);
        assert_eq!(path.len(), 4);
        assert_eq!(path[1].arc, "FDRE.C->Q");
        assert_eq!(path[3].arc, "<unknown>");
        let d = DomainTiming {
            domain: UI_DOMAIN,
            worst_ps: worst,
            path,
        };
        assert_eq!(
            d.blocks(),
            vec![
                "bridge.pipe_out.fifo.hold".to_string(),
                "bridge.last_fill".to_string()
            ]
        );
    }

    #[test]
    fn a_report_without_a_path_is_an_error() {
        assert!(parse_sta("ERROR: nothing here").is_err());
    }

    #[test]
    fn stat_json_counts_luts_memory_and_blocks() {
        let json = r#"{"design": {"num_cells_by_type": {"LUT6": 10, "INV": 2,
            "RAM64M": 3, "FDRE": 7, "DSP48E1": 1, "RAMB18E1": 3, "RAMB36E1": 1}}}"#;
        let c = CellCounts::from_stat_json(json).unwrap();
        assert_eq!(c.lut_logic, 12);
        assert_eq!(c.lut_memory, 12);
        assert_eq!(c.ff, 7);
        assert_eq!(c.bram36(), 2.5);
    }

    #[test]
    fn budgets_follow_the_rule() {
        assert_eq!(UI_DOMAIN.budget_ps(), 5_000);
        assert_eq!(UI_DOMAIN.goal_ps(), 4_000);
        assert_eq!(TI_DOMAIN.budget_ps(), 10_415);
    }
}
