//! The engine's generated Verilog (DDR model excluded) passes yosys:
//! read_verilog, hierarchy -check -top top, proc, check -assert.

use crew_hw::crew_engine::CrewEngine;
use rust_hdl::prelude::*;
use std::process::Command;

#[test]
fn engine_verilog_passes_yosys_checks() {
    let mut uut: CrewEngine = CrewEngine::new();
    uut.connect_all();
    let verilog = generate_verilog(&uut);
    assert!(verilog.contains("module top"));
    let dir = std::env::temp_dir().join(format!("crew_engine_yosys_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("top.v");
    std::fs::write(&path, &verilog).unwrap();
    let out = Command::new("yosys")
        .arg("-q")
        .arg("-p")
        .arg(format!(
            "read_verilog {}; hierarchy -check -top top; proc; check -assert",
            path.display()
        ))
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("yosys not runnable ({e}); install it: run scripts/test.sh"),
    };
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "yosys failed:\n{log}");
    assert!(!log.contains("ERROR"), "{log}");
    std::fs::remove_dir_all(&dir).ok();
}
