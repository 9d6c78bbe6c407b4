//! Resource estimates: yosys `synth_xilinx -family xc7` on an engine's Verilog, cached.
//!
//! The cache key is the sha256 of the Verilog, the yosys version and the script (like the
//! Verilator build cache, `crew_hw::sim::verilator`). The cache keeps yosys's
//! `stat -json` report, `<key>.stat.json`, which is parsed on every read (so changing the
//! cell classification needs no new synthesis), and the run's whole log, `<key>.log`.

use std::process::Stdio;
use std::time::Instant;

use sha2::{Digest, Sha256};

use super::*;
use crate::error::BenchError;

/// The synthesis commands, after `read_verilog`. synth_xilinx keeps the hierarchy (each
/// rust-hdl block a module); `flatten` afterwards only inlines the mapped modules, so
/// that `stat -json` reports one module (yosys 0.23 writes a hierarchical design's
/// `stat -json` with a text hierarchy tree inside, not JSON).
pub(super) const SYNTH_SCRIPT: &str = "synth_xilinx -family xc7 -top top; flatten";
/// The report command, its output written with `tee -q -o`.
const STAT_COMMAND: &str = "stat -json";

fn cache_io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |error| {
        Error::Bench(BenchError::SynthCache {
            path: path.to_path_buf(),
            error,
        })
    }
}

/// `yosys -V`, e.g. "Yosys 0.23 (git sha1 7ce5011c24b)".
pub fn yosys_version() -> Result<String> {
    let out = Command::new("yosys")
        .arg("-V")
        .output()
        .map_err(|error| Error::Bench(BenchError::SynthTool { error }))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The cache key of `verilog` under this yosys and script.
fn cache_key(verilog: &str, yosys_version: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [verilog, yosys_version, SYNTH_SCRIPT, STAT_COMMAND] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The resources of `verilog` (top module `top`) and the seconds yosys took, None when
/// the report came from `cache_dir`.
pub fn synth_cached(verilog: &str, cache_dir: &Path) -> Result<(Resources, Option<f64>)> {
    let key = cache_key(verilog, &yosys_version()?);
    let stat = cache_dir.join(format!("{key}.stat.json"));
    let seconds = if stat.is_file() {
        None
    } else {
        let t0 = Instant::now();
        run_yosys(verilog, cache_dir, &key, &stat)?;
        Some(t0.elapsed().as_secs_f64())
    };
    let text = std::fs::read_to_string(&stat).map_err(cache_io(&stat))?;
    let resources = parse_stat(&text).map_err(|error| {
        Error::Bench(BenchError::SynthStat {
            path: stat.clone(),
            error,
        })
    })?;
    Ok((resources, seconds))
}

/// Synthesizes `verilog` and moves its report to `stat` once complete, so that the cache
/// never holds a partial report.
fn run_yosys(verilog: &str, cache_dir: &Path, key: &str, stat: &Path) -> Result<()> {
    std::fs::create_dir_all(cache_dir).map_err(cache_io(cache_dir))?;
    // Per process, so that two benches synthesizing the same design do not share files.
    let pid = std::process::id();
    let source_name = format!("{key}.{pid}.v");
    let partial_name = format!("{key}.{pid}.stat.json.partial");
    let log_name = format!("{key}.log");
    let source = cache_dir.join(&source_name);
    std::fs::write(&source, verilog).map_err(cache_io(&source))?;
    // yosys runs in the cache directory on these plain names: its `tee -o` takes a quoted
    // path literally, quotes included.
    let status = Command::new("yosys")
        .current_dir(cache_dir)
        .arg("-q")
        .arg("-l")
        .arg(&log_name)
        .arg("-p")
        .arg(format!(
            "read_verilog {source_name}; {SYNTH_SCRIPT}; tee -q -o {partial_name} {STAT_COMMAND}"
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|error| Error::Bench(BenchError::SynthTool { error }))?;
    if !status.success() {
        // The Verilog stays beside the log for reproducing the failure.
        return Err(Error::Bench(BenchError::SynthFailed {
            status: status.to_string(),
            verilog: source,
            log: cache_dir.join(log_name),
        }));
    }
    std::fs::rename(cache_dir.join(partial_name), stat).map_err(cache_io(stat))?;
    std::fs::remove_file(&source).map_err(cache_io(&source))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report already in the cache under the key of this Verilog and this yosys is read,
    /// not synthesized again (yosys only reports its version).
    #[test]
    fn cached_report_is_read_without_synthesis() {
        let dir = tempfile::tempdir().unwrap();
        let verilog = include_str!("../../tests/data/yosys/xc7_cells.v");
        let version = yosys_version().expect("yosys on PATH");
        let key = cache_key(verilog, &version);
        std::fs::write(
            dir.path().join(format!("{key}.stat.json")),
            include_str!("../../tests/data/yosys/xc7_cells.stat.json"),
        )
        .unwrap();
        let (resources, seconds) = synth_cached(verilog, dir.path()).expect("cache hit");
        assert_eq!(seconds, None);
        assert_eq!((resources.lut_logic, resources.dsp), (40, 1));
        // Another Verilog or another yosys has another key.
        assert_ne!(cache_key(&format!("{verilog}\n"), &version), key);
        assert_ne!(cache_key(verilog, "Yosys 0.0"), key);
    }
}
