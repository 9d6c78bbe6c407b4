//! Per-pass CREW statistics of a package, computed from its DRAM image.
//!
//! Counts per pass (one input vector):
//! - dense int8 (TPU-like): n_out * n_in multiplications and additions, n_out * n_in bytes.
//! - CREW: sum_i u_i multiplications, n_out * n_in additions, records_words * 16 bytes
//!   (tables, headers, indices and padding).
//! - UCNN-style factorisation (per output row, inputs sharing a weight value are summed
//!   first, then multiplied once): per row g_o multiplications (distinct non-zero values in
//!   the row) and nnz_o - 1 additions (nnz_o = non-zero weights in the row).
//! - A folded x pass (token input, `crew_spec::image` "Token-input layers") has no records
//!   and no arithmetic: `folded_tokens` = V, n_in = 0, every count 0; a step reads the
//!   token's block of n_out epilogue rows instead of the records.

use serde::Serialize;

use crate::compiler::crew::CrewMatrix;
use crate::compiler::package::Package;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PassStats {
    pub layer: String,
    pub kind: String,
    pub pass: usize,
    pub n_out: usize,
    pub n_in: usize,
    pub wide_entries: bool,
    pub unique_mean: f64,
    pub unique_min: usize,
    pub unique_max: usize,
    pub bits_mean: f64,
    pub bits_min: u8,
    pub bits_max: u8,
    pub crew_bytes: u64,
    pub dense_bytes: u64,
    pub crew_mults: u64,
    pub dense_mults: u64,
    pub crew_adds: u64,
    pub ucnn_mults: u64,
    pub ucnn_adds: u64,
    /// V for a folded x pass (token input), else 0.
    pub folded_tokens: usize,
}

/// Statistics of every pass of every layer.
pub fn inspect(package: &Package) -> Result<Vec<PassStats>> {
    let words = package.container.image_words();
    let load = package.container.load_addr;
    let mut out = Vec::new();
    for (index, info) in package.info.layers.iter().enumerate() {
        let d = package.descriptor(index)?;
        for (p, pass) in d.passes.iter().enumerate() {
            if p == 0 && d.token_input {
                out.push(PassStats {
                    folded_tokens: d.n_in as usize,
                    ..pass_stats(
                        &info.name,
                        &format!("{:?}", info.kind).to_lowercase(),
                        p,
                        &CrewMatrix {
                            n_out: pass.n_out as usize,
                            n_in: 0,
                            wide: d.wide_entries,
                            columns: vec![],
                        },
                        0,
                    )
                });
                continue;
            }
            let start = (pass.records_addr - load) as usize;
            let (m, _) = CrewMatrix::decode(
                &words[start..start + pass.records_words as usize],
                d.wide_entries,
                pass.n_in as usize,
                pass.n_out as usize,
            )
            .map_err(|e| Error::PackageModel {
                path: package.path.clone().unwrap_or_default(),
                message: format!("layer {}: {e}", info.name),
            })?;
            out.push(pass_stats(
                &info.name,
                &format!("{:?}", info.kind).to_lowercase(),
                p,
                &m,
                pass.records_words,
            ));
        }
    }
    Ok(out)
}

/// Statistics of one CREW matrix.
pub fn pass_stats(
    layer: &str,
    kind: &str,
    pass: usize,
    m: &CrewMatrix,
    records_words: u32,
) -> PassStats {
    let uniques: Vec<usize> = m.columns.iter().map(|c| c.table.len()).collect();
    let bits: Vec<u8> = m.columns.iter().map(|c| c.bits).collect();
    let n = m.n_in.max(1) as f64;
    let dense = (m.n_out * m.n_in) as u64;
    // UCNN: distinct non-zero values and non-zeros per row.
    let mut ucnn_mults = 0u64;
    let mut ucnn_adds = 0u64;
    let mut seen = std::collections::HashSet::new();
    let values = m.dense();
    for row in values.chunks(m.n_in.max(1)).take(m.n_out) {
        seen.clear();
        let mut nnz = 0u64;
        for &v in row.iter().filter(|&&v| v != 0) {
            nnz += 1;
            seen.insert(v);
        }
        ucnn_mults += seen.len() as u64;
        ucnn_adds += nnz.saturating_sub(1);
    }
    PassStats {
        layer: layer.into(),
        kind: kind.into(),
        pass,
        n_out: m.n_out,
        n_in: m.n_in,
        wide_entries: m.wide,
        unique_mean: uniques.iter().sum::<usize>() as f64 / n,
        unique_min: uniques.iter().copied().min().unwrap_or(0),
        unique_max: uniques.iter().copied().max().unwrap_or(0),
        // fold from +0.0: an empty f64 sum is -0.0, which JSON would print as such.
        bits_mean: bits.iter().fold(0.0, |a, &b| a + b as f64) / n,
        bits_min: bits.iter().copied().min().unwrap_or(0),
        bits_max: bits.iter().copied().max().unwrap_or(0),
        crew_bytes: records_words as u64 * 16,
        dense_bytes: dense,
        crew_mults: uniques.iter().sum::<usize>() as u64,
        dense_mults: dense,
        crew_adds: dense,
        ucnn_mults,
        ucnn_adds,
        folded_tokens: 0,
    }
}
