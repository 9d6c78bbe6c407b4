//! Quantization: float weights, biases and input scales to the integer domains of
//! `crew_spec::numerics`. The only place floats meet integers on the way to an image.
//!
//! - Weights: int8 symmetric, q = clamp(round(w / s_w), -127, 127) (round half away from
//!   zero); -128 is never used, so negation stays exact. s_w = max|w| / 127 per tensor or
//!   per output row. A row (or tensor) of zeros gets s_w = 1/127.
//! - Non-uniform tables (`max_unique` = K > 0): per column, 1-D k-means (quantile start,
//!   Lloyd iterations) on the float weights, at most K centroids, entries int16 with one
//!   scale per matrix chosen so that |entry| * 128 * n_in + |bias| cannot overflow int32.
//! - Biases: int32 in accumulator scale, round(b / (s_w[o] * s_in)).
//! - Epilogue: (M, shift) = quantize_multiplier(s_w[o] * s_in * 2^12), i.e. accumulator to
//!   the Q.12 gate domain. FC layers carry the same rows (the engine ignores M and shift for
//!   FC); the host uses them to compare FC outputs across rows (argmax) in integers.
//! - Activations x: int8, s_x = max|x| / 127 over calibration data, q = clamp(round(x/s_x),
//!   -128, 127). h: fixed s_h = 1/128 (numerics.rs).

use crew_spec::image::EpilogueRow;
use crew_spec::numerics::{quantize_multiplier, GATE_FRAC_BITS, H_FRAC_BITS};

use crate::compiler::crew::{Column, CrewMatrix};
use crate::model::checkpoint::Tensor;
use crate::model::{Granularity, IndexWidth, QuantSettings};

/// Largest int8 weight magnitude (symmetric range).
pub const WEIGHT_QMAX: f64 = 127.0;
/// Scale of h (1/128).
pub const H_SCALE: f64 = 1.0 / (1u32 << H_FRAC_BITS) as f64;

/// One quantized pass: the CREW matrix, per-row weight scales and the epilogue rows.
#[derive(Debug, Clone)]
pub struct QuantizedPass {
    pub matrix: CrewMatrix,
    /// s_w per output row (equal for all rows with per-tensor scales).
    pub row_scales: Vec<f64>,
    pub epilogue: Vec<EpilogueRow>,
}

/// Input scale from calibration values: max|x| / 127 (1/127 when all are zero).
pub fn calibrate_scale(values: impl Iterator<Item = f32>) -> f64 {
    let max = values.fold(0f64, |m, v| m.max((v as f64).abs()));
    if max > 0.0 {
        max / WEIGHT_QMAX
    } else {
        1.0 / WEIGHT_QMAX
    }
}

/// Float to int8 activation.
pub fn quantize_activation(v: f32, scale: f64) -> i8 {
    (v as f64 / scale).round().clamp(-128.0, 127.0) as i8
}

/// Per-row weight scales.
pub fn weight_scales(w: &Tensor, granularity: Granularity) -> Vec<f64> {
    let scale = |m: f64| {
        if m > 0.0 {
            m / WEIGHT_QMAX
        } else {
            1.0 / WEIGHT_QMAX
        }
    };
    let row_max = |r: usize| w.row(r).iter().fold(0f64, |m, v| m.max((*v as f64).abs()));
    match granularity {
        Granularity::PerTensor => {
            let m = (0..w.rows()).map(row_max).fold(0f64, f64::max);
            vec![scale(m); w.rows()]
        }
        Granularity::PerRow => (0..w.rows()).map(|r| scale(row_max(r))).collect(),
    }
}

/// Row-major int8 weights for the given per-row scales (rows split across cores when large).
pub fn quantize_weights(w: &Tensor, scales: &[f64]) -> Vec<i8> {
    let cols = w.cols();
    let mut q = vec![0i8; w.data.len()];
    let quantize_rows = |first_row: usize, out: &mut [i8]| {
        for (k, row_out) in out.chunks_mut(cols.max(1)).enumerate() {
            let r = first_row + k;
            let inv = 1.0 / scales[r];
            for (d, &v) in row_out.iter_mut().zip(w.row(r)) {
                *d = (v as f64 * inv).round().clamp(-WEIGHT_QMAX, WEIGHT_QMAX) as i8;
            }
        }
    };
    let threads = if q.len() >= 1 << 20 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        1
    };
    let rows_per_thread = w.rows().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (t, chunk) in q.chunks_mut(rows_per_thread * cols.max(1)).enumerate() {
            let quantize_rows = &quantize_rows;
            scope.spawn(move || quantize_rows(t * rows_per_thread, chunk));
        }
    });
    q
}

/// Quantizes one pass (W: n_out x n_in, bias: n_out) for inputs of scale `s_in`.
pub fn quantize_pass(
    w: &Tensor,
    bias: &[f32],
    s_in: f64,
    settings: &QuantSettings,
) -> Result<QuantizedPass, String> {
    let (matrix, row_scales) = if settings.max_unique > 0 {
        nonuniform(w, settings.max_unique)?
    } else {
        let scales = weight_scales(w, settings.granularity);
        let q = quantize_weights(w, &scales);
        (
            CrewMatrix::from_int8(&q, w.rows(), w.cols(), IndexWidth::PerColumn),
            scales,
        )
    };
    let mut matrix = matrix;
    matrix.apply_width(settings.index_width);
    let epilogue = epilogue_rows(bias, &row_scales, s_in)?;
    Ok(QuantizedPass {
        matrix,
        row_scales,
        epilogue,
    })
}

/// Bias and requantization rows.
pub fn epilogue_rows(
    bias: &[f32],
    row_scales: &[f64],
    s_in: f64,
) -> Result<Vec<EpilogueRow>, String> {
    bias.iter()
        .zip(row_scales)
        .enumerate()
        .map(|(o, (&b, &s_w))| {
            let acc_scale = s_w * s_in;
            let q = (b as f64 / acc_scale).round();
            if q.abs() > (i32::MAX / 2) as f64 {
                return Err(format!(
                    "row {o}: bias {b} is {q:.3e} in accumulator scale {acc_scale:.3e}, beyond \
                     the int32 accumulator headroom"
                ));
            }
            let (multiplier, shift) =
                quantize_multiplier(acc_scale * (1u64 << GATE_FRAC_BITS) as f64);
            Ok(EpilogueRow {
                bias: q as i32,
                multiplier,
                shift,
            })
        })
        .collect()
}

/// Non-uniform per-column tables (K-means on the float weights), int16 entries.
fn nonuniform(w: &Tensor, k: usize) -> Result<(CrewMatrix, Vec<f64>), String> {
    let (n_out, n_in) = (w.rows(), w.cols());
    let mut centroids = Vec::with_capacity(n_in);
    let mut assignments = Vec::with_capacity(n_in);
    let mut col = vec![0f32; n_out];
    for i in 0..n_in {
        for (o, c) in col.iter_mut().enumerate() {
            *c = w.data[o * n_in + i];
        }
        let (cent, assign) = kmeans_1d(&col, k);
        centroids.push(cent);
        assignments.push(assign);
    }
    let max_c = centroids
        .iter()
        .flatten()
        .fold(0f64, |m, &c| m.max(c.abs()));
    // Entry bound: 128 * n_in * |entry| plus the largest bias must fit in int31.
    let max_entry = ((i32::MAX as f64 / 2.0) / (128.0 * n_in.max(1) as f64))
        .min(32767.0)
        .floor();
    if max_entry < 1.0 {
        return Err(format!(
            "{n_in} inputs leave no room for int16 table entries"
        ));
    }
    let s = if max_c > 0.0 {
        max_c / max_entry
    } else {
        1.0 / max_entry
    };
    let mut columns = Vec::with_capacity(n_in);
    for (cent, assign) in centroids.iter().zip(&assignments) {
        // Rounding may merge neighbouring centroids: deduplicate the table.
        let rounded: Vec<i16> = cent.iter().map(|&c| (c / s).round() as i16).collect();
        let mut table = rounded.clone();
        table.dedup();
        let remap: Vec<u8> = rounded
            .iter()
            .map(|v| table.binary_search(v).unwrap() as u8)
            .collect();
        columns.push(Column {
            bits: crew_spec::image::index_bits(table.len()),
            table,
            indices: assign.iter().map(|&a| remap[a as usize]).collect(),
        });
    }
    Ok((
        CrewMatrix {
            n_out,
            n_in,
            wide: true,
            columns,
        },
        vec![s; n_out],
    ))
}

/// 1-D k-means: at most `k` ascending centroids and each value's centroid index.
fn kmeans_1d(values: &[f32], k: usize) -> (Vec<f64>, Vec<u8>) {
    let mut sorted: Vec<f64> = values.iter().map(|&v| v as f64).collect();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut distinct = sorted.clone();
    distinct.dedup();
    let mut cent: Vec<f64> = if distinct.len() <= k {
        distinct
    } else {
        // Quantile start, then Lloyd iterations on the sorted values.
        let n = sorted.len();
        let mut c: Vec<f64> = (0..k)
            .map(|j| sorted[((2 * j + 1) * n) / (2 * k)])
            .collect();
        c.dedup();
        for _ in 0..20 {
            let mut sum = vec![0f64; c.len()];
            let mut cnt = vec![0usize; c.len()];
            for &v in &sorted {
                let j = nearest(&c, v);
                sum[j] += v;
                cnt[j] += 1;
            }
            let next: Vec<f64> = (0..c.len())
                .filter(|&j| cnt[j] > 0)
                .map(|j| sum[j] / cnt[j] as f64)
                .collect();
            if next == c {
                break;
            }
            c = next;
        }
        c
    };
    cent.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let assign = values
        .iter()
        .map(|&v| nearest(&cent, v as f64) as u8)
        .collect();
    (cent, assign)
}

/// Index of the centroid nearest to v (centroids ascending).
fn nearest(c: &[f64], v: f64) -> usize {
    let p = c.partition_point(|&x| x < v);
    if p == 0 {
        0
    } else if p == c.len() || v - c[p - 1] <= c[p] - v {
        p - 1
    } else {
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_weights_never_use_minus_128() {
        let w = Tensor::new(vec![1, 3], vec![-1.0, 0.5, 1.0]);
        let s = weight_scales(&w, Granularity::PerTensor);
        assert_eq!(quantize_weights(&w, &s), vec![-127, 64, 127]);
    }

    #[test]
    fn kmeans_keeps_few_values_exact_and_limits_many() {
        let (c, a) = kmeans_1d(&[1.0, -1.0, 1.0, 0.5], 4);
        assert_eq!(c, vec![-1.0, 0.5, 1.0]);
        assert_eq!(a, vec![2, 0, 2, 1]);
        let many: Vec<f32> = (0..1000).map(|v| (v as f32 * 0.37).sin()).collect();
        let (c, a) = kmeans_1d(&many, 16);
        assert!(c.len() <= 16);
        let err = many
            .iter()
            .zip(&a)
            .map(|(&v, &j)| (v as f64 - c[j as usize]).abs())
            .fold(0f64, f64::max);
        assert!(err < 0.15, "{err}");
    }
}
