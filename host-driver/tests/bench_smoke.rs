//! Smoke test of the CREW-vs-dense benchmark on two tiny layers (no yosys): the three
//! engines, each on its simulated board through the driver, agree with the integer
//! reference, counters follow the layer shapes, and the Markdown / CSV / SVG outputs hold
//! every workload. Without Verilator the bench stops with an environment error.

use crew_host::bench::{csv, markdown, run_bench, svg, tiny_workloads, BenchOptions};

#[test]
fn tiny_bench_runs_bit_exact_with_consistent_counters() {
    let workloads = tiny_workloads();
    let opts = BenchOptions {
        workloads: workloads.clone(),
        synth: false,
        cache_dir: std::env::temp_dir(),
        seed: 5,
    };
    let rep = run_bench(&opts, &mut |_| {}).expect("bench runs");
    assert_eq!(rep.results.len(), workloads.len());
    for r in &rep.results {
        let w = &r.workload;
        assert!(
            r.crew.bit_exact && r.dense_eq_dsp.bit_exact && r.dense_eq_bw.bit_exact,
            "{}",
            w.name
        );
        // Dense: one MAC per weight of the step.
        let rows = w.kind.gates() * w.hidden;
        let cols = w.n_in + if w.kind.passes() == 2 { w.hidden } else { 0 };
        assert!(
            (r.dense_eq_bw.mults - (rows * cols) as f64).abs() < 0.5,
            "{}",
            w.name
        );
        assert!(
            (r.crew.adds - (rows * cols) as f64).abs() < 0.5,
            "{}",
            w.name
        );
        // Fewer MAC lanes never run faster; CREW multiplies less than dense.
        assert!(r.dense_eq_dsp.cycles >= r.dense_eq_bw.cycles);
        assert!(r.crew.mults < r.dense_eq_bw.mults);
        assert!(r.crew.efficiency() > 0.0 && r.crew.efficiency() <= 1.05);
    }
    let md = markdown(&rep);
    let c = csv(&rep);
    let s = svg(&rep);
    for w in &workloads {
        assert!(md.contains(w.name) && c.contains(w.name) && s.contains(w.name));
    }
    assert_eq!(c.lines().count(), 1 + 3 * workloads.len());
    assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
}

#[test]
fn without_verilator_the_bench_stops_with_an_environment_error() {
    let dir = tempfile::tempdir().unwrap();
    // An empty PATH: no verilator, g++ or make.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_crew-host"))
        .args(["bench", "--quick", "--no-synth", "--out"])
        .arg(dir.path())
        .env("PATH", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the benchmark runs the simulated boards on Verilator: `verilator` was not found on PATH"),
        "{stderr}"
    );
    assert!(!dir.path().join("bench.md").exists(), "no report written");
}
