//! The timing check of issue 18: both board engines of the XEM7010 build (crew, dense),
//! synthesized by yosys and timed by `sta` with the Xilinx cell library
//! (crew_firmware::timing), must keep every path of each clock domain within the
//! project's ceiling, and the whole design (accelerator, MIG, okHost) within 80 % of the
//! XC7A50T's LUTs. The yosys runs are cached by design hash ($CREW_TIMING_CACHE, else
//! ~/.cache/crew-timing): about 2 minutes of CPU per engine when the RTL changed, a
//! second when it did not (docs/timing.md).

use crew_firmware::bitstream::generate_design;
use crew_firmware::timing::{
    default_cache_dir, time_design, TimingReport, DOMAINS, WHOLE_DESIGN_LUT_LIMIT_PERCENT,
    XC7A50T_LUTS,
};
use crew_firmware::top::BoardEngine;

fn report(engine: BoardEngine) -> TimingReport {
    let scratch = tempfile::tempdir().unwrap();
    let design = generate_design(engine.info(), scratch.path()).unwrap();
    match time_design(engine, &design, &default_cache_dir()) {
        Ok(r) => r,
        Err(e) => panic!("timing {engine}: {e} (scripts/test.sh installs yosys)"),
    }
}

#[test]
fn both_board_engines_keep_the_timing_ceiling_and_fit_the_part() {
    let engines = [BoardEngine::Crew, BoardEngine::Dense];
    // The two yosys runs are independent: one core each.
    let reports: Vec<TimingReport> = std::thread::scope(|s| {
        let handles: Vec<_> = engines
            .iter()
            .map(|&e| s.spawn(move || report(e)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut failures = Vec::new();
    for r in &reports {
        print!("{}", r.name_value_lines());
        eprint!("{}", r.summary());
        for d in &r.domains {
            let ceiling = crew_firmware::timing::ceiling_ps(&d.domain);
            if d.worst_ps > ceiling {
                failures.push(format!(
                    "{} {}: longest path {} ps of cell delay exceeds the ceiling {} ps, through {} \
                     (yosys log and reports in {})",
                    r.engine,
                    d.domain.name,
                    d.worst_ps,
                    ceiling,
                    d.blocks().join(" -> "),
                    r.folder.display()
                ));
            }
        }
        let limit = XC7A50T_LUTS * WHOLE_DESIGN_LUT_LIMIT_PERCENT / 100;
        if r.whole_design_luts() > limit {
            failures.push(format!(
                "{}: the whole design takes {} LUTs, over {} % of the XC7A50T ({limit})",
                r.engine,
                r.whole_design_luts(),
                WHOLE_DESIGN_LUT_LIMIT_PERCENT
            ));
        }
    }
    assert_eq!(
        reports.len() * DOMAINS.len(),
        reports.iter().map(|r| r.domains.len()).sum::<usize>()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
