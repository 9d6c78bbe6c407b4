//! `crew-firmware generate --out DIR [--engine crew|dense] [--vivado] [--simulation]`:
//! writes the XEM7010 design holding the chosen engine (Verilog, XDC, MIG project, Vivado
//! TCL, manifest naming the engine) into DIR; with --vivado also builds the bitstream and
//! copies it with its manifest into the bitstreams folder; with --simulation also writes a
//! simulation bitstream for the frontpanel-sim stand-in into DIR.

use clap::{Parser, Subcommand};
use crew_firmware::bitstream::{generate, run_vivado, write_simulation_bitstream, VivadoSetup};
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
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
