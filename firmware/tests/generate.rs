//! The bitstream flow's generated files: the top-level Verilog passes yosys with the
//! vendor modules as black boxes, the XDC places every top-level port, and generation is
//! deterministic.

use crew_firmware::bitstream::{generate, read_manifest, GENERATED_FILES, MANIFEST_FILE};
use crew_firmware::top::BoardEngine;
use crew_hw::testbench::synth_check::yosys_check_in;
use crew_spec::regmap;
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn top_verilog_passes_yosys_checks() {
    let dir = tempfile::tempdir().unwrap();
    generate(BoardEngine::Crew.info(), dir.path()).unwrap();
    let top = std::fs::read_to_string(dir.path().join("top.v")).unwrap();
    // Every endpoint of the register map is instantiated at its address.
    for regmap::Endpoint { name, addr, .. } in regmap::ENDPOINTS {
        assert!(
            top.contains(&format!(".ep_addr(8'h{addr:x})")),
            "endpoint {name} at {addr:#04x} missing"
        );
    }
    let log = yosys_check_in(dir.path(), &["top.v"], &["vendor_stubs.v"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(log.contains("Found and reported 0 problems"), "{log}");
    for module in [
        "okHost",
        "okWireIn",
        "okWireOut",
        "okTriggerIn",
        "okTriggerOut",
    ] {
        assert!(log.contains(module), "{module} not instantiated");
    }
}

/// Top-level port bits declared in `module top`, e.g. `leds[3]`, `sys_clock_p`.
fn top_port_bits(verilog: &str) -> BTreeSet<String> {
    let body = &verilog[verilog.find("module top(").unwrap()..];
    let body = &body[..body.find("// Stub signals").unwrap()];
    let mut bits = BTreeSet::new();
    for line in body.lines().map(str::trim) {
        let Some(first) = line.split_whitespace().next() else {
            continue;
        };
        if !["input", "output", "inout"].contains(&first) {
            continue;
        }
        let decl = line.trim_end_matches(';');
        let name = decl.split_whitespace().last().unwrap().to_string();
        match decl.find('[') {
            Some(open) => {
                let range = &decl[open + 1..decl.find(']').unwrap()];
                let (hi, lo) = range.split_once(':').unwrap();
                for k in lo.parse::<u32>().unwrap()..=hi.parse::<u32>().unwrap() {
                    bits.insert(format!("{name}[{k}]"));
                }
            }
            None => {
                bits.insert(name);
            }
        }
    }
    bits
}

#[test]
fn xdc_places_every_top_level_port() {
    let dir = tempfile::tempdir().unwrap();
    generate(BoardEngine::Crew.info(), dir.path()).unwrap();
    let top = std::fs::read_to_string(dir.path().join("top.v")).unwrap();
    let xdc = std::fs::read_to_string(dir.path().join("top.xdc")).unwrap();
    let ports = top_port_bits(&top);
    assert!(ports.len() > 80, "only {} port bits found", ports.len());
    let mut placed = BTreeSet::new();
    for line in xdc.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() >= 7 && words[0] == "set_property" && words[1] == "PACKAGE_PIN" {
            assert_eq!(words[3], "[get_ports", "{line}");
            let pin = words[2];
            assert!(
                pin.chars().all(|c| c.is_ascii_alphanumeric()),
                "bad pin {pin}"
            );
            placed.insert(words[5].to_string());
        }
    }
    let missing: Vec<_> = ports.difference(&placed).collect();
    assert!(missing.is_empty(), "ports without a location: {missing:?}");
    let unknown: Vec<_> = placed.difference(&ports).collect();
    assert!(
        unknown.is_empty(),
        "locations for unknown ports: {unknown:?}"
    );
}

#[test]
fn generation_is_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ma = generate(BoardEngine::Crew.info(), a.path()).unwrap();
    let mb = generate(BoardEngine::Crew.info(), b.path()).unwrap();
    assert_eq!(ma.design_hash, mb.design_hash);
    for name in GENERATED_FILES.iter().chain([&MANIFEST_FILE]) {
        let fa = std::fs::read(a.path().join(name)).unwrap();
        let fb = std::fs::read(b.path().join(name)).unwrap();
        assert!(fa == fb, "{name} differs between two generations");
    }
    let m = read_manifest(&a.path().join(MANIFEST_FILE)).unwrap();
    assert_eq!(m, ma);
    assert_eq!(m.design_id, regmap::DESIGN_ID);
    assert_eq!(m.protocol_version, regmap::PROTOCOL_VERSION);
    assert_eq!(m.board_model, regmap::BOARD_MODEL);
    assert_eq!(m.engine.lanes, BoardEngine::Crew.info().lanes);
    assert_eq!(m.design_hash.len(), 64);
    // The hash covers the files: another engine configuration changes it.
    let c = tempfile::tempdir().unwrap();
    assert_ne!(
        generate(BoardEngine::Crew16x512.info(), c.path())
            .unwrap()
            .design_hash,
        ma.design_hash
    );
}

/// A stand-in Vivado (shell script) and FrontPanel folder, to check the flow around Vivado.
#[cfg(unix)]
fn fake_tools(dir: &Path, script: &str) -> crew_firmware::bitstream::VivadoSetup {
    use std::os::unix::fs::PermissionsExt;
    let fp = dir
        .join("fp")
        .join(crew_firmware::bitstream::FRONTPANEL_HDL_SUBDIR);
    std::fs::create_dir_all(&fp).unwrap();
    for name in crew_firmware::bitstream::FRONTPANEL_HDL {
        std::fs::write(fp.join(name), "// FrontPanel HDL stand-in\n").unwrap();
    }
    let bin = dir.join("vivado").join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = bin.join("vivado");
    std::fs::write(&exe, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    crew_firmware::bitstream::VivadoSetup {
        vivado_path: dir.join("vivado"),
        frontpanel_path: dir.join("fp"),
    }
}

#[cfg(unix)]
#[test]
fn vivado_failure_reports_the_log() {
    let tools = tempfile::tempdir().unwrap();
    let setup = fake_tools(
        tools.path(),
        "echo 'ERROR: synthesis failed' > vivado.log; exit 1",
    );
    let build = tempfile::tempdir().unwrap();
    generate(BoardEngine::Crew.info(), build.path()).unwrap();
    let bits = tempfile::tempdir().unwrap();
    let err = crew_firmware::bitstream::run_vivado(build.path(), &setup, bits.path()).unwrap_err();
    match err {
        crew_firmware::bitstream::FirmwareError::VivadoFailed { log, .. } => {
            assert_eq!(log, build.path().join("vivado.log"))
        }
        other => panic!("unexpected error {other}"),
    }
    assert_eq!(std::fs::read_dir(bits.path()).unwrap().count(), 0);
}

#[cfg(unix)]
#[test]
fn vivado_success_copies_bitstream_with_manifest() {
    let tools = tempfile::tempdir().unwrap();
    let setup = fake_tools(
        tools.path(),
        "test -f okBTPipeOut.v || exit 1; mkdir -p top.runs/impl_1; \
         printf 'BITSTREAM' > top.runs/impl_1/top.bit; \
         printf 'wns_ns=0.125\\nwhs_ns=0.040\\nslice_luts=25000\\nslice_registers=12000\\n\
block_ram_tiles=27.5\\ndsps=12\\n' > vivado_results.txt; \
         echo 'CREW Vivado run complete' > vivado.log",
    );
    let build = tempfile::tempdir().unwrap();
    let m = generate(BoardEngine::Crew.info(), build.path()).unwrap();
    let bits = tempfile::tempdir().unwrap();
    let bit = crew_firmware::bitstream::run_vivado(build.path(), &setup, bits.path()).unwrap();
    let stem = format!("crew-xem7010-{}", &m.design_hash[..16]);
    assert_eq!(bit, bits.path().join(format!("{stem}.bit")));
    assert_eq!(std::fs::read(&bit).unwrap(), b"BITSTREAM");
    let copied = read_manifest(&bits.path().join(format!("{stem}.json"))).unwrap();
    assert_eq!(copied.design_hash, m.design_hash);
    assert_eq!(
        copied.bitstream_file.as_deref(),
        Some(&*format!("{stem}.bit"))
    );
    assert_eq!(copied.bitstream_sha256.as_ref().map(String::len), Some(64));
    let vivado = copied
        .vivado
        .expect("the manifest records Vivado's results");
    assert_eq!(
        (vivado.wns_ps, vivado.slice_luts, vivado.bram18),
        (125, 25000, 55)
    );
    assert_eq!(
        vivado.timing_report,
        crew_firmware::bitstream::TIMING_REPORT
    );
}

#[cfg(unix)]
#[test]
fn a_routed_design_that_misses_timing_names_the_report_and_copies_nothing() {
    let tools = tempfile::tempdir().unwrap();
    // What the generated TCL does on negative slack: results written, exit 2, no bitstream.
    let setup = fake_tools(
        tools.path(),
        "printf 'wns_ns=-0.412\\nwhs_ns=0.031\\n' > vivado_results.txt; \
         echo 'CREW timing failed' > vivado.log; exit 2",
    );
    let build = tempfile::tempdir().unwrap();
    generate(BoardEngine::Crew.info(), build.path()).unwrap();
    let bits = tempfile::tempdir().unwrap();
    let err = crew_firmware::bitstream::run_vivado(build.path(), &setup, bits.path()).unwrap_err();
    let text = err.to_string();
    match err {
        crew_firmware::bitstream::FirmwareError::TimingFailed { report, .. } => {
            assert_eq!(
                report,
                build.path().join(crew_firmware::bitstream::TIMING_REPORT)
            )
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(text.contains("wns_ns=-0.412"), "{text}");
    assert_eq!(std::fs::read_dir(bits.path()).unwrap().count(), 0);
}

#[test]
fn the_tcl_reports_timing_and_stops_before_the_bitstream_on_negative_slack() {
    let dir = tempfile::tempdir().unwrap();
    generate(BoardEngine::Crew.info(), dir.path()).unwrap();
    let tcl = std::fs::read_to_string(dir.path().join("top.tcl")).unwrap();
    let at = |needle: &str| {
        tcl.find(needle)
            .unwrap_or_else(|| panic!("top.tcl lacks {needle:?}:\n{tcl}"))
    };
    let routed = at("-to_step route_design");
    let summary = at("report_timing_summary");
    let util = at("report_utilization -file");
    let check = at("$wns < 0");
    let bitstream = at("-next_step");
    assert!(routed < summary && summary < check && util < check && check < bitstream);
    assert!(tcl[check..bitstream].contains("exit 2"));
}

#[test]
fn xdc_constrains_the_crossings_without_clock_groups_or_false_paths() {
    let dir = tempfile::tempdir().unwrap();
    generate(BoardEngine::Crew.info(), dir.path()).unwrap();
    let xdc = std::fs::read_to_string(dir.path().join("top.xdc")).unwrap();
    let top = std::fs::read_to_string(dir.path().join("top.v")).unwrap();
    for blanket in ["set_clock_groups", "set_false_path"] {
        assert!(!xdc.contains(blanket), "top.xdc has {blanket}");
    }
    for (from, to) in [("okHostClk", "SystemClk"), ("SystemClk", "okHostClk")] {
        let line = xdc
            .lines()
            .find(|l| {
                l.starts_with("set_max_delay -datapath_only")
                    && l.find(from) < l.find(to)
                    && l.contains(from)
            })
            .unwrap_or_else(|| panic!("no datapath-only max delay from {from} to {to}"));
        let ns: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(ns > 0.0 && ns <= 10.0, "{line}");
    }
    assert!(xdc.contains("set_property ASYNC_REG TRUE"));
    // The ASYNC_REG filter names synchronizer stages dff0/dff1 under the bridge: every such
    // instance must be a BitSynchronizer stage (a plain register named so would be marked
    // too), and there must be some.
    let stages: Vec<&str> = top
        .lines()
        .filter_map(|l| l.strip_prefix("module top$accelerator$bridge$"))
        .filter_map(|l| l.split('(').next())
        .filter(|m| m.ends_with("$dff0") || m.ends_with("$dff1"))
        .collect();
    assert!(stages.len() >= 20, "{stages:?}");
    for m in &stages {
        let parent = &m[..m.len() - 5];
        assert!(
            parent.ends_with("_to_ui") || parent.ends_with("_to_ti") || parent.ends_with("$sync"),
            "{m} is not a synchronizer stage"
        );
    }
}

#[test]
fn the_vendor_figures_count_the_frontpanel_modules_of_the_design() {
    let dir = tempfile::tempdir().unwrap();
    generate(BoardEngine::Crew.info(), dir.path()).unwrap();
    let top = std::fs::read_to_string(dir.path().join("top.v")).unwrap();
    for m in crew_firmware::vendor_figures::FRONTPANEL_MODULES {
        let n = top
            .lines()
            .filter(|l| l.trim_start().starts_with(&format!("{} ", m.module)))
            .count() as u64;
        assert_eq!(n, m.instances, "instances of {}", m.module);
    }
}

#[test]
fn the_dense_design_has_its_own_manifest_and_its_verilog_passes_yosys() {
    let crew = tempfile::tempdir().unwrap();
    let dense = tempfile::tempdir().unwrap();
    let mc = generate(BoardEngine::Crew.info(), crew.path()).unwrap();
    let md = generate(BoardEngine::Dense.info(), dense.path()).unwrap();
    assert_eq!(
        md.engine,
        crew_firmware::bitstream::EngineParameters::new(regmap::ENGINE_KIND_DENSE, 16, 1024)
    );
    assert_eq!(md.engine.kind, "dense");
    assert_eq!(mc.engine.kind, "crew");
    assert_ne!(md.design_hash, mc.design_hash);
    let read = |dir: &Path| std::fs::read_to_string(dir.join("top.v")).unwrap();
    let (crew_v, dense_v) = (read(crew.path()), read(dense.path()));
    // The dense top holds the MAC-lane datapath (its weight-word sequencer `m_obase`) and
    // no table unit; the CREW top the other way round.
    assert!(dense_v.contains("m_obase") && !dense_v.contains("table_unit"));
    assert!(crew_v.contains("table_unit") && !crew_v.contains("m_obase"));
    let log = yosys_check_in(dense.path(), &["top.v"], &["vendor_stubs.v"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(log.contains("Found and reported 0 problems"), "{log}");
}

#[test]
fn an_engine_without_a_board_design_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut info = BoardEngine::Crew.info();
    info.kind = 7;
    let err = generate(info, dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("engine kind 7 with 16 lanes and accumulator depth 1024 is no board engine")
            && err.contains("crew (kind 1, 16 lanes, depth 1024), dense (kind 2, 16 lanes"),
        "{err}"
    );
    // A known kind whose geometry no configuration has: the identity wires would lie.
    let mut info = BoardEngine::Crew.info();
    info.acc_depth += 1;
    let err = generate(info, dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("accumulator depth 1025 is no board engine"),
        "{err}"
    );
}
