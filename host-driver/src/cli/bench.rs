//! `crew-host bench --out DIR`: CREW vs dense int8 baseline in simulation (each engine on
//! its own simulated board, through the driver); writes bench.md, bench.csv and bench.svg
//! into DIR.

use std::path::PathBuf;
use std::time::Instant;

use crew_host::bench::{
    csv, markdown, name_values, run_bench, standard_workloads, svg, tiny_workloads, BenchOptions,
    BenchProgress,
};
use crew_host::error::{Error, Result};

#[derive(clap::Args)]
pub struct Args {
    /// Folder for bench.md, bench.csv and bench.svg (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Two tiny layers instead of the standard workloads (a smoke test).
    #[arg(long)]
    quick: bool,
    /// Skip the yosys resource estimates.
    #[arg(long)]
    no_synth: bool,
    /// Synthesis cache (default: DIR/.synth-cache).
    #[arg(long)]
    cache: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    let t0 = Instant::now();
    std::fs::create_dir_all(&a.out).map_err(|error| Error::Io {
        path: a.out.clone(),
        error,
    })?;
    let opts = BenchOptions {
        workloads: if a.quick {
            tiny_workloads()
        } else {
            standard_workloads()
        },
        synth: !a.no_synth,
        cache_dir: a
            .cache
            .clone()
            .unwrap_or_else(|| a.out.join(".synth-cache")),
        seed: 2107_09408,
    };
    let report = run_bench(&opts, &mut |p| match p {
        BenchProgress::Workload {
            engine,
            index,
            total,
            name,
        } => {
            eprintln!(
                "[{}/{total}] {engine}: simulating {name} ({:.0} s)",
                index + 1,
                t0.elapsed().as_secs_f64()
            )
        }
        BenchProgress::VerilatorBuild { engine, seconds } => {
            eprintln!("verilator: built {engine} in {seconds:.1} s")
        }
        BenchProgress::Synth { engine, seconds } => eprintln!(
            "yosys synth_xilinx: {engine} {} ({:.0} s)",
            match seconds {
                Some(t) => format!("in {t:.0} s"),
                None => "(cached)".into(),
            },
            t0.elapsed().as_secs_f64()
        ),
    })?;
    let wall = t0.elapsed().as_secs_f64();
    let mut md = markdown(&report);
    md += &format!(
        "\nSimulated {} UI cycles on the three boards (image loads included); wall time \
         {wall:.0} s.\n",
        report.simulated_cycles
    );
    for (name, text) in [
        ("bench.md", md.clone()),
        ("bench.csv", csv(&report)),
        ("bench.svg", svg(&report)),
    ] {
        let p = a.out.join(name);
        crew_spec::file::write_whole(&p, text.as_bytes()).map_err(|error| Error::Io {
            path: p.clone(),
            error,
        })?;
    }
    println!("{md}");
    print!("{}", name_values(&report));
    println!(
        "wrote bench.md, bench.csv, bench.svg to {}",
        a.out.display()
    );
    Ok(())
}
