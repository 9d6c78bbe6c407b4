//! The benchmark's reports: Markdown table, CSV and an SVG bar chart.

use super::synth::SYNTH_SCRIPT;
use super::*;

/// The paper's averages vs the TPU-like baseline (arXiv 2107.09408).
pub const PAPER_SPEEDUP: f64 = 2.61;
pub const PAPER_ENERGY_RATIO: f64 = 2.42;

fn exactness(r: &WorkloadResult) -> &'static str {
    if r.crew.bit_exact && r.dense_eq_dsp.bit_exact && r.dense_eq_bw.bit_exact {
        "yes"
    } else {
        "NO"
    }
}

/// Markdown report: per workload table, resources, paper comparison.
pub fn markdown(rep: &BenchReport) -> String {
    let mut s = String::new();
    s += "| workload | shape | u mean | simulated | CREW cycles/step | dense-4 cycles | dense-16 cycles | speedup vs dense-4 | speedup vs dense-16 | CREW DRAM KB | dense DRAM KB | CREW mults | dense mults | CREW adds | CREW eff. | dense-4 eff. | dense-16 eff. | energy ratio (dense-4 / CREW) | bit-exact |\n";
    s += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for r in &rep.results {
        let w = &r.workload;
        let sim = match &r.method {
            Method::FullStep => "full step".to_string(),
            Method::FcPasses { why } => format!(
                "all {} cols, as {} FC passes ({why})",
                w.columns(),
                w.kind.passes()
            ),
        };
        s += &format!(
            "| {} | {:?} {}x{} | {:.0} | {} | {:.0} | {:.0} | {:.0} | {:.2}x | {:.2}x | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0}% | {:.0}% | {:.0}% | {:.2}x | {} |\n",
            w.name, w.kind, w.n_in, w.hidden, r.mean_unique, sim,
            r.crew.cycles, r.dense_eq_dsp.cycles, r.dense_eq_bw.cycles,
            r.dense_eq_dsp.cycles / r.crew.cycles, r.dense_eq_bw.cycles / r.crew.cycles,
            r.crew.dram_bytes / 1024.0, r.dense_eq_bw.dram_bytes / 1024.0,
            r.crew.mults, r.dense_eq_bw.mults, r.crew.adds,
            100.0 * r.crew.efficiency(), 100.0 * r.dense_eq_dsp.efficiency(), 100.0 * r.dense_eq_bw.efficiency(),
            r.dense_eq_dsp.energy_uj / r.crew.energy_uj, exactness(r)
        );
    }
    let geo = |f: &dyn Fn(&WorkloadResult) -> f64| {
        (rep.results.iter().map(|r| f(r).ln()).sum::<f64>() / rep.results.len().max(1) as f64).exp()
    };
    s += &format!(
        "\nGeometric means: speedup vs dense-4 (equal DSP) {:.2}x, vs dense-16 (equal DRAM rate) {:.2}x; energy ratio dense-4 / CREW {:.2}x, dense-16 / CREW {:.2}x. Paper (CREW vs TPU-like): {PAPER_SPEEDUP}x speedup, {PAPER_ENERGY_RATIO}x energy.\n",
        geo(&|r| r.dense_eq_dsp.cycles / r.crew.cycles),
        geo(&|r| r.dense_eq_bw.cycles / r.crew.cycles),
        geo(&|r| r.dense_eq_dsp.energy_uj / r.crew.energy_uj),
        geo(&|r| r.dense_eq_bw.energy_uj / r.crew.energy_uj),
    );
    if !rep.programs.is_empty() {
        s += "\n| g2p_en sequence program | words in one start | device time per word | engine | USB | words per second | bit-exact |\n|---|---|---|---|---|---|---|\n";
        for p in &rep.programs {
            s += &format!(
                "| {} | {} | {:.0} us | {:.0} us | {:.0} us | {:.1} | {} |\n",
                p.engine,
                p.words,
                p.device_us_per_word,
                p.engine_us_per_word,
                p.usb_us_per_word,
                p.words_per_second,
                if p.bit_exact { "yes" } else { "NO" }
            );
        }
        s += "\n(The XEM7010 build's board engines through the driver, device time on the USB 2.0 cost model of docs/usb.md; every step of every word compared with the integer reference.)\n";
    }
    if !rep.resources.is_empty() {
        s += &resource_table(rep);
    }
    s
}

/// `1234567` as "1,234,567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut s = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
    s
}

/// The resource table: each engine's counts with their share of the XC7A50T, and the
/// device's totals.
fn resource_table(rep: &BenchReport) -> String {
    let d = XC7A50T;
    let share =
        |n: u64, total: u64| format!("{} ({:.1}%)", thousands(n), 100.0 * n as f64 / total as f64);
    let mut s = String::from("\n| engine | LUT as logic | LUT as memory | LUT total | FF | DSP48E1 | RAMB18 | RAMB36 | BRAM36 equiv. | yosys time |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for e in &rep.resources {
        let r = &e.resources;
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} ({:.1}%) | {} |\n",
            e.engine.label,
            share(r.lut_logic, d.lut_logic),
            share(r.lut_memory, d.lut_memory),
            share(r.luts(), d.lut_logic),
            share(r.ff, d.ff),
            share(r.dsp, d.dsp),
            share(r.ramb18, d.ramb18),
            share(r.ramb36, d.ramb36),
            r.bram36(),
            100.0 * r.bram36() / d.ramb36 as f64,
            match e.synth_seconds {
                Some(t) => format!("{t:.0} s"),
                None => "cached".into(),
            }
        );
    }
    s += &format!(
        "| XC7A50T | {} | {} | {} | {} | {} | {} | {} | {} | |\n",
        thousands(d.lut_logic),
        thousands(d.lut_memory),
        thousands(d.lut_logic),
        thousands(d.ff),
        d.dsp,
        d.ramb18,
        d.ramb36,
        // The 75 sites: the device's RAMB18 and RAMB36 counts are two views of them.
        d.ramb36
    );
    s += &format!(
        "\n({}, `{SYNTH_SCRIPT}` cell counts of each engine's Verilog, before Vivado's optimization and packing. LUT as memory counts the LUTs of the LUT RAM and shift register cells (RAM32M / RAM64M 4 each); INV cells count as LUTs; MUXF7 / MUXF8 / CARRY4 are not LUTs. Logic and memory LUTs share the 32,600 LUTs (of which 9,600 can be memory); RAMB18 and RAMB36 share the 75 block RAM sites, BRAM36 equiv. = RAMB36 + RAMB18 / 2.)\n",
        rep.yosys_version.as_deref().unwrap_or("yosys")
    );
    s
}

/// The report's figures as `name=value` lines, one per line: each engine's resources
/// (`crew_lut_logic=...`) when synthesis ran.
pub fn name_values(rep: &BenchReport) -> String {
    let mut s = String::new();
    for e in &rep.resources {
        let (k, r) = (e.engine.key, &e.resources);
        for (name, value) in [
            ("lut_logic", r.lut_logic.to_string()),
            ("lut_memory", r.lut_memory.to_string()),
            ("lut", r.luts().to_string()),
            ("ff", r.ff.to_string()),
            ("dsp", r.dsp.to_string()),
            ("ramb18", r.ramb18.to_string()),
            ("ramb36", r.ramb36.to_string()),
            ("bram36", r.bram36().to_string()),
        ] {
            s += &format!("{k}_{name}={value}\n");
        }
        if let Some(t) = e.synth_seconds {
            s += &format!("{k}_synth_seconds={t:.1}\n");
        }
    }
    for p in &rep.programs {
        let k = format!(
            "{}_g2p_program_{}",
            p.engine,
            if p.words == 1 {
                "batch1".to_string()
            } else {
                format!("queue{}", p.words)
            }
        );
        s += &format!("{k}_words_per_second={:.1}\n", p.words_per_second);
        s += &format!("{k}_device_us_per_word={:.1}\n", p.device_us_per_word);
        s += &format!("{k}_engine_us_per_word={:.1}\n", p.engine_us_per_word);
        s += &format!("{k}_usb_us_per_word={:.1}\n", p.usb_us_per_word);
        s += &format!("{k}_bit_exact={}\n", p.bit_exact);
    }
    s
}

/// CSV: one line per workload and engine.
pub fn csv(rep: &BenchReport) -> String {
    let mut s = String::from("workload,kind,n_in,hidden,engine,cycles_per_step,dram_bytes,mults,adds,roofline_cycles,efficiency,energy_uj,bit_exact,method\n");
    for r in &rep.results {
        for (engine, e) in ENGINES
            .iter()
            .zip([&r.crew, &r.dense_eq_dsp, &r.dense_eq_bw])
        {
            s += &format!(
                "{},{:?},{},{},{},{:.1},{:.0},{:.0},{:.0},{:.1},{:.4},{:.4},{},{}\n",
                r.workload.name,
                r.workload.kind,
                r.workload.n_in,
                r.workload.hidden,
                engine.label,
                e.cycles,
                e.dram_bytes,
                e.mults,
                e.adds,
                e.roofline_cycles,
                e.efficiency(),
                e.energy_uj,
                e.bit_exact,
                match r.method {
                    Method::FullStep => "full step",
                    Method::FcPasses { .. } => "FC passes",
                }
            );
        }
    }
    s
}

/// A bar chart (hand-written SVG): speedup of CREW over both dense engines and DRAM bytes
/// per step (CREW / dense) per workload.
pub fn svg(rep: &BenchReport) -> String {
    let n = rep.results.len().max(1);
    let (w, h, left, top, group) = (140 * n + 120, 420, 60.0, 40.0, 140.0);
    let max_speed = rep
        .results
        .iter()
        .map(|r| r.dense_eq_dsp.cycles / r.crew.cycles)
        .fold(1.0f64, f64::max)
        .ceil();
    let plot_h = 260.0;
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">\n");
    s += "<text x=\"10\" y=\"20\" font-size=\"14\">CREW vs dense int8: speedup (bars, left axis) and DRAM bytes CREW/dense (dots, right axis, 0-1)</text>\n";
    let y = |v: f64| top + plot_h - v / max_speed * plot_h;
    for k in 0..=max_speed as usize {
        s += &format!("<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"30\" y=\"{:.1}\">{k}x</text>\n", w as f64 - 40.0, y(k as f64), y(k as f64), y(k as f64) + 4.0);
    }
    for (i, r) in rep.results.iter().enumerate() {
        let x0 = left + 10.0 + i as f64 * group;
        for (j, (v, color)) in [
            (r.dense_eq_dsp.cycles / r.crew.cycles, "#3b6ea5"),
            (r.dense_eq_bw.cycles / r.crew.cycles, "#9cc3e6"),
        ]
        .iter()
        .enumerate()
        {
            let x = x0 + j as f64 * 40.0;
            s += &format!("<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"36\" height=\"{:.1}\" fill=\"{color}\"/><text x=\"{x:.1}\" y=\"{:.1}\">{v:.2}</text>\n", y(*v), top + plot_h - y(*v), y(*v) - 3.0);
        }
        let ratio = r.crew.dram_bytes / r.dense_eq_bw.dram_bytes;
        s += &format!("<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"#d9534f\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#d9534f\">{ratio:.2}</text>\n", x0 + 100.0, top + plot_h - ratio * plot_h, x0 + 88.0, top + plot_h - ratio * plot_h - 8.0);
        s += &format!(
            "<text x=\"{x0:.1}\" y=\"{:.1}\">{}</text>\n",
            top + plot_h + 18.0,
            r.workload.name
        );
    }
    s += &format!("<rect x=\"{left}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"#3b6ea5\"/><text x=\"{}\" y=\"{}\">vs dense, 4 MACs (equal DSP)</text>\n", h - 50, left + 16.0, h - 40);
    s += &format!("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"#9cc3e6\"/><text x=\"{}\" y=\"{}\">vs dense, 16 MACs (equal DRAM rate)</text>\n", left + 220.0, h - 50, left + 236.0, h - 40);
    s += &format!("<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"#d9534f\"/><text x=\"{}\" y=\"{}\">DRAM bytes CREW / dense</text>\n", left + 466.0, h - 44, left + 476.0, h - 40);
    s += "</svg>\n";
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_with(resources: Resources) -> BenchReport {
        BenchReport {
            results: vec![],
            resources: vec![EngineResources {
                engine: ENGINES[0],
                resources,
                synth_seconds: Some(99.6),
            }],
            yosys_version: Some("Yosys 0.23".into()),
            simulated_cycles: 0,
            programs: vec![],
        }
    }

    #[test]
    fn resource_rows_give_counts_shares_and_the_device_totals() {
        let rep = report_with(Resources {
            lut_logic: 16_300,
            lut_memory: 960,
            ff: 3_559,
            dsp: 12,
            ramb18: 42,
            ramb36: 4,
        });
        let md = markdown(&rep);
        assert!(md.contains("| CREW (16 lanes) | 16,300 (50.0%) | 960 (10.0%) | 17,260 (52.9%) | 3,559 (5.5%) | 12 (10.0%) | 42 (28.0%) | 4 (5.3%) | 25 (33.3%) | 100 s |"), "{md}");
        assert!(
            md.contains("| XC7A50T | 32,600 | 9,600 | 32,600 | 65,200 | 120 | 150 | 75 | 75 | |"),
            "{md}"
        );
        let lines = name_values(&rep);
        for line in [
            "crew_lut_logic=16300",
            "crew_lut_memory=960",
            "crew_lut=17260",
            "crew_ff=3559",
            "crew_dsp=12",
            "crew_ramb18=42",
            "crew_ramb36=4",
            "crew_bram36=25",
            "crew_synth_seconds=99.6",
        ] {
            assert!(lines.lines().any(|l| l == line), "{line} in {lines}");
        }
    }
}
