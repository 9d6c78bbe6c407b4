//! The yosys synthesizability check of generated Verilog, shared by every block's test:
//! `read_verilog; hierarchy -check -top top; proc; check -assert` must pass without
//! errors or problems.

use rust_hdl::prelude::*;
use std::path::Path;
use std::process::Command;

/// Runs the check on `files` in `dir` (top module `top`), with `libs` read as black-box
/// libraries (`read_verilog -lib`); returns yosys's log, or why the check failed.
pub fn yosys_check_in(dir: &Path, files: &[&str], libs: &[&str]) -> Result<String, String> {
    let mut script = String::new();
    for lib in libs {
        script += &format!("read_verilog -lib {lib}; ");
    }
    for file in files {
        script += &format!("read_verilog {file}; ");
    }
    script += "hierarchy -check -top top; proc; check -assert";
    let out = Command::new("yosys")
        .current_dir(dir)
        .arg("-p")
        .arg(&script)
        .output()
        .map_err(|e| {
            format!("cannot run yosys ({e}): install it (scripts/test.sh does, or apt-get install yosys)")
        })?;
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() || log.contains("ERROR") {
        return Err(format!("yosys rejected the design:\n{log}"));
    }
    if !log.contains("Found and reported 0 problems") {
        return Err(format!("yosys found problems:\n{log}"));
    }
    Ok(log)
}

/// Runs the check on one Verilog text whose top module is `top`.
pub fn yosys_check(verilog: &str) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!(
        "crew_yosys_{}_{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let path = dir.join("top.v");
    let result = std::fs::write(&path, verilog)
        .map_err(|e| format!("writing {}: {e}", path.display()))
        .and_then(|()| yosys_check_in(&dir, &["top.v"], &[]));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Connects `block`, generates its Verilog and panics with yosys's log unless it passes
/// [`yosys_check`].
pub fn assert_synthesizable<B: Block>(mut block: B) {
    block.connect_all();
    if let Err(e) = yosys_check(&generate_verilog(&block)) {
        panic!("{e}");
    }
}

/// Declares the test `synthesizable::verilog_passes_yosys`, which checks the block `$block` (an
/// expression in the module's scope) with [`assert_synthesizable`].
#[macro_export]
macro_rules! synth_test {
    ($block:expr) => {
        #[cfg(test)]
        mod synthesizable {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn verilog_passes_yosys() {
                $crate::testbench::synth_check::assert_synthesizable($block);
            }
        }
    };
}
