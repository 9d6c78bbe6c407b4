//! Resource estimates: yosys `synth_xilinx -family xc7` on an engine's Verilog, cached by
//! the Verilog's hash.

use super::*;

fn synth_err(message: String) -> Error {
    Error::Bench(BenchError::Synth(message))
}

/// FNV-1a 64 of the Verilog text: the synthesis cache key.
fn content_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// yosys synth_xilinx on `verilog`, cached in `cache_dir` by content hash.
pub fn synth_cached(verilog: &str, cache_dir: &Path) -> Result<(Resources, bool)> {
    let key = format!("{:016x}", content_hash(verilog));
    let cache = cache_dir.join(format!("{key}.txt"));
    if let Ok(s) = std::fs::read_to_string(&cache) {
        if let Some(r) = parse_cache(&s) {
            return Ok((r, true));
        }
    }
    std::fs::create_dir_all(cache_dir)
        .map_err(|e| synth_err(format!("{}: {e}", cache_dir.display())))?;
    let v = cache_dir.join(format!("{key}.v"));
    std::fs::write(&v, verilog).map_err(|e| synth_err(e.to_string()))?;
    let out = Command::new("yosys")
        .arg("-q")
        .arg("-p")
        .arg(format!(
            "read_verilog {}; synth_xilinx -family xc7 -top top; tee -o {}.stat stat",
            v.display(),
            v.display()
        ))
        .output()
        .map_err(|e| {
            synth_err(format!(
                "cannot run yosys ({e}); install it (scripts/test.sh)"
            ))
        })?;
    if !out.status.success() {
        return Err(synth_err(
            String::from_utf8_lossy(&out.stderr)
                .chars()
                .take(2000)
                .collect(),
        ));
    }
    let stat = std::fs::read_to_string(format!("{}.stat", v.display()))
        .map_err(|e| synth_err(e.to_string()))?;
    let r = parse_stat(&stat);
    std::fs::write(
        &cache,
        format!(
            "lut={}\nff={}\ndsp={}\nbram36={}\n",
            r.lut, r.ff, r.dsp, r.bram36
        ),
    )
    .map_err(|e| synth_err(e.to_string()))?;
    std::fs::remove_file(&v).ok();
    Ok((r, false))
}

fn parse_cache(s: &str) -> Option<Resources> {
    let get = |k: &str| {
        s.lines().find_map(|l| {
            l.strip_prefix(k)?
                .strip_prefix('=')?
                .trim()
                .parse::<f64>()
                .ok()
        })
    };
    Some(Resources {
        lut: get("lut")? as u64,
        ff: get("ff")? as u64,
        dsp: get("dsp")? as u64,
        bram36: get("bram36")?,
    })
}

/// Cell counts of a yosys `stat` report: LUTs (LUT RAM cells counted by the LUTs they
/// occupy), flip-flops, DSP48E1, RAMB36E1 + RAMB18E1 / 2.
pub fn parse_stat(stat: &str) -> Resources {
    let mut r = Resources::default();
    for line in stat.lines() {
        let mut it = line.split_whitespace();
        let (Some(cell), Some(n)) = (it.next(), it.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        match cell {
            "LUT1" | "LUT2" | "LUT3" | "LUT4" | "LUT5" | "LUT6" => r.lut += n,
            "RAM32M" | "RAM64M" | "RAM32M16" | "RAM64M8" => r.lut += 4 * n,
            "RAM32X1D" | "RAM64X1D" | "RAM128X1S" => r.lut += 2 * n,
            "RAM128X1D" | "RAM256X1S" => r.lut += 4 * n,
            "RAM32X1S" | "RAM64X1S" | "SRL16E" | "SRLC32E" => r.lut += n,
            "FDRE" | "FDSE" | "FDCE" | "FDPE" => r.ff += n,
            "DSP48E1" => r.dsp += n,
            "RAMB36E1" => r.bram36 += n as f64,
            "RAMB18E1" => r.bram36 += n as f64 / 2.0,
            _ => {}
        }
    }
    r
}
