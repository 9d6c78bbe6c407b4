//! `crew-firmware generate --out DIR [--engine crew|dense] [--vivado] [--simulation]`:
//! writes the XEM7010 design holding the chosen engine (Verilog, XDC, MIG project, Vivado
//! TCL, manifest naming the engine) into DIR; with --vivado also builds the bitstream and
//! copies it with its manifest into the bitstreams folder; with --simulation also writes a
//! simulation bitstream for the frontpanel-sim stand-in into DIR.
//!
//! `crew-firmware timing [--engine crew|dense|all]`: the timing estimate without Vivado
//! (yosys synthesis and `sta`, cached by design hash; docs/timing.md), per clock domain,
//! as a summary on stderr and `name=value` lines on stdout; exit 1 when a path exceeds
//! the budget, 3 when yosys is missing or fails.

use clap::{Parser, Subcommand};
use crew_firmware::bitstream::{generate, run_vivado, write_simulation_bitstream, VivadoSetup};
use crew_firmware::bitstream::{generate_design, FirmwareError};
use crew_firmware::timing::{default_cache_dir, time_design};
use crew_firmware::top::BoardEngine;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "crew-firmware", about = "CREW XEM7010 bitstream flow")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate the design files (and optionally the bitstream).
    Generate {
        /// Build folder.
        #[arg(long)]
        out: PathBuf,
        /// The engine of the design: crew (the CREW engine) or dense (the dense int8
        /// baseline), 16 lanes of 64 accumulators either way; or one of the benchmark's
        /// configurations crew-16x512, dense-4x2048, dense-16x512 (lanes x accumulators
        /// per lane; their fit on the XC7A50T is not checked here).
        #[arg(long, default_value = "crew")]
        engine: BoardEngine,
        /// Run Vivado (VIVADO_PATH, FP_PATH) and copy the bitstream into --bitstreams.
        #[arg(long)]
        vivado: bool,
        /// Where built bitstreams and their manifests land.
        #[arg(long, default_value = "bitstreams")]
        bitstreams: PathBuf,
        /// Also write a simulation bitstream with its manifest into --out, for
        /// `crew-host flash` against the frontpanel-sim stand-in library.
        #[arg(long)]
        simulation: bool,
    },
    /// Estimate the design's timing (yosys synthesis + sta, no Vivado), per clock domain.
    Timing {
        /// Engine configurations to time: a name, or `all` for the XEM7010 build's two
        /// (crew and dense).
        #[arg(long, default_value = "all")]
        engine: String,
        /// Cache of the yosys runs (default: $CREW_TIMING_CACHE, else ~/.cache/crew-timing).
        #[arg(long)]
        cache: Option<PathBuf>,
        /// Print every cell of each domain's longest path.
        #[arg(long)]
        paths: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Timing {
            engine,
            cache,
            paths,
        } => timing(&engine, cache.unwrap_or_else(default_cache_dir), paths),
        Cmd::Generate {
            out,
            engine,
            vivado,
            bitstreams,
            simulation,
        } => {
            let manifest = match generate(engine.info(), &out) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            println!(
                "generated {} ({} engine, design hash {})",
                out.display(),
                manifest.engine.kind,
                manifest.design_hash
            );
            if simulation {
                match write_simulation_bitstream(&out, &manifest) {
                    Ok(bit) => println!("simulation bitstream {}", bit.display()),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            if vivado {
                match run_vivado(&out, &VivadoSetup::from_env(), &bitstreams) {
                    Ok(bit) => println!("bitstream {}", bit.display()),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            ExitCode::SUCCESS
        }
    }
}

fn timing(engine: &str, cache: PathBuf, paths: bool) -> ExitCode {
    let engines: Vec<BoardEngine> = if engine == "all" {
        vec![BoardEngine::Crew, BoardEngine::Dense]
    } else {
        match engine.parse() {
            Ok(e) => vec![e],
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let mut over = false;
    for e in engines {
        let scratch = std::env::temp_dir().join(format!("crew-timing-gen-{}", std::process::id()));
        let design = generate_design(e.info(), &scratch);
        let _ = std::fs::remove_dir_all(&scratch);
        let report = match design.and_then(|d| {
            eprintln!("timing {e} (yosys synthesis and sta; minutes unless cached) ...");
            time_design(e, &d, &cache)
        }) {
            Ok(r) => r,
            Err(err) => {
                eprintln!("error: {err}");
                let code = match err {
                    FirmwareError::ToolMissing { .. } | FirmwareError::ToolFailed { .. } => 3,
                    _ => 1,
                };
                return ExitCode::from(code);
            }
        };
        eprint!("{}", report.summary());
        if paths {
            for d in &report.domains {
                eprintln!("  {} path, start first:", d.domain.name);
                for step in &d.path {
                    eprintln!("    {:>6} ps  {}  {}", step.arrival_ps, step.arc, step.net);
                }
            }
        }
        print!("{}", report.name_value_lines());
        over |= !report.within_budget();
    }
    if over {
        eprintln!("error: a path exceeds the cell-delay budget (docs/timing.md)");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
