//! Fixed-point arithmetic of the engine: the normative definition that the integer
//! reference (crew-host) calls and the cell unit RTL (crew-hw) implements independently.
//!
//! Domains:
//! - Activations x: int8, scale `s_x` chosen by the compiler (calibrated), x ~ q * s_x.
//! - Hidden state h: int8 with fixed scale 1/128 ([`H_FRAC_BITS`] = 7): h ~ q / 128.
//! - Accumulators: int32, scale `s_w * s_in`, initialised with the bias (epilogue row).
//! - Gate domain: signed Q.12 ([`GATE_FRAC_BITS`]): value ~ v / 4096, produced per row by
//!   [`requantize`], saturated to 24 bits ([`GATE_MIN`]..=[`GATE_MAX`]).
//! - Activation outputs: sigmoid in Q.15 unsigned (0..=32767), tanh in Q.15 signed
//!   (-32767..=32767), by lookup tables of [`LUT_ENTRIES`] entries.
//! - LSTM cell state c: int32 Q.15, saturated to [`C_MIN`]..=[`C_MAX`] (|c| < 512).
//!
//! Rounding: every right shift is arithmetic (floor) after adding half an LSB, i.e. round
//! half up: `rshift_round(v, s) = (v + (1 << (s - 1))) >> s`.

/// Fraction bits of the gate domain.
pub const GATE_FRAC_BITS: u32 = 12;
/// Saturation bounds of requantized gate values (24-bit signed).
pub const GATE_MIN: i32 = -(1 << 23);
pub const GATE_MAX: i32 = (1 << 23) - 1;
/// Fraction bits of h (int8 h ~ q / 128).
pub const H_FRAC_BITS: u32 = 7;
/// Fraction bits of activation-function outputs and of the LSTM cell state.
pub const ACT_FRAC_BITS: u32 = 15;
/// Lookup-table size (10 index bits).
pub const LUT_BITS: u32 = 10;
pub const LUT_ENTRIES: usize = 1 << LUT_BITS;
/// LUT input: gate value clamped to [-8, 8) in Q.12 = [-32768, 32767], then
/// `index = (v + 32768) >> LUT_SHIFT`: resolution 2^-6 = 1/64.
pub const LUT_IN_MIN: i32 = -32768;
pub const LUT_IN_MAX: i32 = 32767;
pub const LUT_SHIFT: u32 = 6;
/// Bounds of the LSTM cell state (Q.15).
pub const C_MIN: i64 = -(1 << 24);
pub const C_MAX: i64 = (1 << 24) - 1;

/// Round-half-up arithmetic right shift (`s >= 1`).
pub fn rshift_round(v: i64, s: u32) -> i64 {
    (v + (1i64 << (s - 1))) >> s
}

/// Accumulator (bias included) to the gate domain: `sat24(rshift_round(acc * M, shift))`.
pub fn requantize(acc: i32, multiplier: i32, shift: u8) -> i32 {
    let v = rshift_round(acc as i64 * multiplier as i64, shift as u32);
    v.clamp(GATE_MIN as i64, GATE_MAX as i64) as i32
}

/// Table index of a gate-domain value.
pub fn lut_index(v: i32) -> usize {
    ((v.clamp(LUT_IN_MIN, LUT_IN_MAX) - LUT_IN_MIN) >> LUT_SHIFT) as usize
}

/// Input value (in real units) that table entry `k` represents: the centre of its bin.
fn lut_bin_centre(k: usize) -> f64 {
    let lo = LUT_IN_MIN as f64 + (k as f64) * (1 << LUT_SHIFT) as f64;
    (lo + (1 << (LUT_SHIFT - 1)) as f64) / (1 << GATE_FRAC_BITS) as f64
}

/// Sigmoid table: entry k = round(sigmoid(centre_k) * 2^15), at most 32767.
pub fn sigmoid_lut() -> Vec<i32> {
    (0..LUT_ENTRIES)
        .map(|k| {
            let y = 1.0 / (1.0 + (-lut_bin_centre(k)).exp());
            ((y * 32768.0).round() as i32).min(32767)
        })
        .collect()
}

/// Tanh table: entry k = round(tanh(centre_k) * 2^15), within +-32767.
pub fn tanh_lut() -> Vec<i32> {
    (0..LUT_ENTRIES)
        .map(|k| ((lut_bin_centre(k).tanh() * 32768.0).round() as i32).clamp(-32767, 32767))
        .collect()
}

/// Q.15 value to int8 h (scale 1/128): `clamp(rshift_round(v, 8), -128, 127)`.
pub fn q15_to_h(v: i64) -> i8 {
    rshift_round(v, ACT_FRAC_BITS - H_FRAC_BITS).clamp(-128, 127) as i8
}

/// The activation tables, built once.
pub struct Luts {
    pub sigmoid: Vec<i32>,
    pub tanh: Vec<i32>,
}

impl Default for Luts {
    fn default() -> Self {
        Luts {
            sigmoid: sigmoid_lut(),
            tanh: tanh_lut(),
        }
    }
}

impl Luts {
    pub fn sigmoid(&self, gate: i32) -> i32 {
        self.sigmoid[lut_index(gate)]
    }
    pub fn tanh(&self, gate: i32) -> i32 {
        self.tanh[lut_index(gate)]
    }

    /// One GRU unit. `gx` = (r, z, n) from the x pass, `gh` = (r, z, n) from the h pass,
    /// all requantized gate values (Q.12); `h` the previous int8 h. Returns the new h.
    /// ```text
    /// r  = SIG(gx_r + gh_r)                      Q.15
    /// z  = SIG(gx_z + gh_z)                      Q.15
    /// np = gx_n + rshift_round(r * gh_n, 15)     Q.12, saturated to 24 bits
    /// n  = TANH(np)                              Q.15
    /// hp = h << 8                                Q.15
    /// h' = q15_to_h(n + rshift_round(z * (hp - n), 15))
    /// ```
    pub fn gru_cell(&self, gx: [i32; 3], gh: [i32; 3], h: i8) -> i8 {
        let r = self.sigmoid(sat_gate(gx[0] as i64 + gh[0] as i64)) as i64;
        let z = self.sigmoid(sat_gate(gx[1] as i64 + gh[1] as i64)) as i64;
        let np = sat_gate(gx[2] as i64 + rshift_round(r * gh[2] as i64, ACT_FRAC_BITS));
        let n = self.tanh(np) as i64;
        let hp = (h as i64) << (ACT_FRAC_BITS - H_FRAC_BITS);
        q15_to_h(n + rshift_round(z * (hp - n), ACT_FRAC_BITS))
    }

    /// One LSTM unit. `gx`, `gh` = (i, f, g, o) requantized gate values; `c` the previous
    /// cell state (Q.15). Returns (new h, new c).
    /// ```text
    /// i = SIG(gx_i + gh_i); f = SIG(gx_f + gh_f); g = TANH(gx_g + gh_g); o = SIG(gx_o + gh_o)
    /// c' = clamp(rshift_round(f * c, 15) + rshift_round(i * g, 15), C_MIN, C_MAX)   Q.15
    /// t  = TANH(sat24(rshift_round(c', 3)))      (Q.15 -> Q.12)
    /// h' = q15_to_h(rshift_round(o * t, 15))
    /// ```
    pub fn lstm_cell(&self, gx: [i32; 4], gh: [i32; 4], c: i32) -> (i8, i32) {
        let g = |k: usize| sat_gate(gx[k] as i64 + gh[k] as i64);
        let i = self.sigmoid(g(0)) as i64;
        let f = self.sigmoid(g(1)) as i64;
        let gg = self.tanh(g(2)) as i64;
        let o = self.sigmoid(g(3)) as i64;
        let c_new = (rshift_round(f * c as i64, ACT_FRAC_BITS)
            + rshift_round(i * gg, ACT_FRAC_BITS))
        .clamp(C_MIN, C_MAX);
        let t = self.tanh(sat_gate(rshift_round(
            c_new,
            ACT_FRAC_BITS - GATE_FRAC_BITS,
        ))) as i64;
        (q15_to_h(rshift_round(o * t, ACT_FRAC_BITS)), c_new as i32)
    }
}

/// Saturates a sum of gate values to the 24-bit gate range.
pub fn sat_gate(v: i64) -> i32 {
    v.clamp(GATE_MIN as i64, GATE_MAX as i64) as i32
}

/// Chooses (multiplier, shift) with `acc * M >> shift ~ acc * scale`, M in [2^30, 2^31)
/// where possible. `scale` must be finite and positive.
pub fn quantize_multiplier(scale: f64) -> (i32, u8) {
    assert!(
        scale.is_finite() && scale > 0.0,
        "requantization scale {scale} must be positive"
    );
    let mut shift: i32 = 0;
    let mut m = scale;
    while m < (1u64 << 30) as f64 && shift < 63 {
        m *= 2.0;
        shift += 1;
    }
    while m >= (1u64 << 31) as f64 && shift > 1 {
        m /= 2.0;
        shift -= 1;
    }
    let mi = (m.round() as i64).min(i32::MAX as i64) as i32;
    (mi, shift.max(1) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_up() {
        assert_eq!(rshift_round(3, 1), 2);
        assert_eq!(rshift_round(-3, 1), -1);
        assert_eq!(rshift_round(-5, 2), -1);
    }

    #[test]
    fn luts_follow_the_float_functions() {
        let l = Luts::default();
        for v in [-40000, -20000, -4096, -1, 0, 1, 4096, 20000, 40000] {
            let x = v.clamp(LUT_IN_MIN, LUT_IN_MAX) as f64 / 4096.0;
            assert!((l.sigmoid(v) as f64 / 32768.0 - 1.0 / (1.0 + (-x).exp())).abs() < 0.005);
            assert!((l.tanh(v) as f64 / 32768.0 - x.tanh()).abs() < 0.01);
        }
    }

    #[test]
    fn gru_cell_tracks_float_math() {
        let l = Luts::default();
        let (xr, xz, xn, hr, hz, hn, h) = (0.3f64, -0.4, 0.8, -0.1, 0.2, -0.5, 0.25);
        let q = |v: f64| (v * 4096.0).round() as i32;
        let out = l.gru_cell(
            [q(xr), q(xz), q(xn)],
            [q(hr), q(hz), q(hn)],
            (h * 128.0) as i8,
        );
        let s = |v: f64| 1.0 / (1.0 + (-v).exp());
        let r = s(xr + hr);
        let z = s(xz + hz);
        let n = (xn + r * hn).tanh();
        let expect = (1.0 - z) * n + z * h;
        assert!(
            (out as f64 / 128.0 - expect).abs() < 0.02,
            "{out} vs {expect}"
        );
    }

    #[test]
    fn multiplier_represents_scale() {
        for scale in [1e-6, 0.0037, 0.5, 3.0, 200.0] {
            let (m, s) = quantize_multiplier(scale);
            let approx = m as f64 / (1u64 << s) as f64;
            assert!((approx / scale - 1.0).abs() < 1e-6, "{scale}: {m} >> {s}");
        }
    }
}
