//! The resource columns: what each cell of a yosys `synth_xilinx -family xc7` netlist
//! uses of an Artix-7, read from yosys's `stat -json` report, and the XC7A50T's totals.

use crate::error::StatError;

/// Resources of a netlist, or of a device ([`XC7A50T`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resources {
    /// LUT1..LUT6 cells, and INV cells (yosys's inverters between modules, which Vivado
    /// maps to a LUT1 or absorbs: counted as LUTs, an upper bound).
    pub lut_logic: u64,
    /// LUTs holding distributed RAM or shift registers, each cell counted by the LUTs it
    /// occupies (UG474: RAM32M / RAM64M 4, RAM32X1D / RAM64X1D 2, SRL16E / SRLC32E 1).
    pub lut_memory: u64,
    /// Flip-flops (FDRE, FDSE, FDCE, FDPE) and latches (LDCE, LDPE): slice registers.
    pub ff: u64,
    pub dsp: u64,
    pub ramb18: u64,
    pub ramb36: u64,
}

impl Resources {
    /// LUTs as logic and as memory.
    pub fn luts(&self) -> u64 {
        self.lut_logic + self.lut_memory
    }

    /// Block RAM sites used: a RAMB18E1 is half of one.
    pub fn bram36(&self) -> f64 {
        self.ramb36 as f64 + self.ramb18 as f64 / 2.0
    }
}

/// The XC7A50T (7 Series FPGAs Data Sheet: Overview, DS180): 8,150 slices of 4 LUTs
/// and 8 flip-flops; 600 Kb of distributed RAM, i.e. 9,600 SLICEM LUTs of 64 bits; 120
/// DSP48E1; 75 block RAMs of 36 Kb, each usable as two RAMB18. Logic and memory LUTs
/// share the 32,600 LUTs, and RAMB18 and RAMB36 share the 75 block RAM sites.
pub const XC7A50T: Resources = Resources {
    lut_logic: 32_600,
    lut_memory: 9_600,
    ff: 65_200,
    dsp: 120,
    ramb18: 150,
    ramb36: 75,
};

/// What one cell of yosys's xc7 library uses.
enum CellUse {
    LutLogic,
    LutMemory {
        luts: u64,
    },
    Register,
    Dsp,
    Ramb18,
    Ramb36,
    /// Slice multiplexers and carry chains (not LUTs), IO and clock buffers, constants.
    Uncounted,
}

fn cell_use(cell: &str) -> Option<CellUse> {
    Some(match cell {
        "LUT1" | "LUT2" | "LUT3" | "LUT4" | "LUT5" | "LUT6" | "INV" => CellUse::LutLogic,
        "RAM32X1S" | "RAM64X1S" | "SRL16E" | "SRLC32E" => CellUse::LutMemory { luts: 1 },
        "RAM32X1D" | "RAM64X1D" | "RAM128X1S" => CellUse::LutMemory { luts: 2 },
        "RAM32M" | "RAM64M" | "RAM128X1D" | "RAM256X1S" => CellUse::LutMemory { luts: 4 },
        "FDRE" | "FDSE" | "FDCE" | "FDPE" | "FDRE_1" | "FDSE_1" | "FDCE_1" | "FDPE_1" | "LDCE"
        | "LDPE" => CellUse::Register,
        "DSP48E1" => CellUse::Dsp,
        "RAMB18E1" => CellUse::Ramb18,
        "RAMB36E1" => CellUse::Ramb36,
        "MUXF7" | "MUXF8" | "CARRY4" | "IBUF" | "OBUF" | "OBUFT" | "IOBUF" | "BUFG" | "GND"
        | "VCC" => CellUse::Uncounted,
        _ => return None,
    })
}

/// The resources of a yosys `stat -json` report: its whole-design cell counts
/// (`design.num_cells_by_type`). A cell type this file does not classify is an error,
/// so that no resource is silently left out.
pub fn parse_stat(stat_json: &str) -> Result<Resources, StatError> {
    let stat: serde_json::Value = serde_json::from_str(stat_json)?;
    let cells = stat
        .get("design")
        .and_then(|design| design.get("num_cells_by_type"))
        .and_then(|cells| cells.as_object())
        .ok_or(StatError::NoCellCounts)?;
    let mut r = Resources::default();
    for (cell, count) in cells {
        let n = count.as_u64().ok_or_else(|| StatError::BadCount {
            cell: cell.clone(),
            value: count.to_string(),
        })?;
        match cell_use(cell).ok_or_else(|| StatError::UnknownCell(cell.clone()))? {
            CellUse::LutLogic => r.lut_logic += n,
            CellUse::LutMemory { luts } => r.lut_memory += luts * n,
            CellUse::Register => r.ff += n,
            CellUse::Dsp => r.dsp += n,
            CellUse::Ramb18 => r.ramb18 += n,
            CellUse::Ramb36 => r.ramb36 += n,
            CellUse::Uncounted => {}
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// yosys 0.23's real report of tests/data/yosys/xc7_cells.v (the file says how it was
    /// made).
    const CELLS_STAT: &str = include_str!("../../tests/data/yosys/xc7_cells.stat.json");

    #[test]
    fn real_yosys_stat_counts_each_cell_class() {
        // The report's design.num_cells_by_type: LUT2 14, LUT4 10, LUT5 1, LUT6 15;
        // RAM32M 1, RAM64M 3 (4 LUTs each), SRL16E 1, SRLC32E 1; FDCE 2, FDPE 2, FDRE 7,
        // FDSE 1; DSP48E1 1; RAMB18E1 1; RAMB36E1 1; and uncounted BUFG, CARRY4, IBUF,
        // MUXF7, OBUF.
        let r = parse_stat(CELLS_STAT).expect("the real report parses");
        assert_eq!(
            r,
            Resources {
                lut_logic: 14 + 10 + 1 + 15,
                lut_memory: 4 + 3 * 4 + 1 + 1,
                ff: 2 + 2 + 7 + 1,
                dsp: 1,
                ramb18: 1,
                ramb36: 1,
            }
        );
        assert_eq!(r.luts(), 58);
        assert_eq!(r.bram36(), 1.5);
    }

    #[test]
    fn unclassified_cell_type_is_an_error_naming_it() {
        let stat = CELLS_STAT.replace("\"CARRY4\"", "\"CARRY8\"");
        match parse_stat(&stat) {
            Err(StatError::UnknownCell(cell)) => assert_eq!(cell, "CARRY8"),
            other => panic!("expected an unknown-cell error, got {other:?}"),
        }
    }

    #[test]
    fn report_without_design_totals_is_an_error() {
        assert!(matches!(
            parse_stat(r#"{"modules": {}}"#),
            Err(StatError::NoCellCounts)
        ));
        assert!(matches!(parse_stat("=== top ==="), Err(StatError::Json(_))));
    }
}
