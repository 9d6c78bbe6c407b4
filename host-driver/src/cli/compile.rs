//! `crew-host compile MODEL -o OUT.crew [--engine NAME]`.
//!
//! The compiled layers are checked against the engine configuration (`--engine`; without
//! it, against every configuration, refusing only layers none holds) before the package is
//! written, and a layer whose CREW form is larger than its int8 form gets a note.

use std::path::PathBuf;
use std::time::Instant;

use crew_host::compiler::{fit, inspect, Progress};
use crew_host::error::{Error, Result};
use crew_hw::board::engine::BoardEngine;

use super::source::{self, ModelOptions, Source};

#[derive(clap::Args)]
pub struct Args {
    /// Model description (.toml or folder with model.toml) or checkpoint (.npz,
    /// .safetensors), or the name of a model in models/; default: the bundled g2p_en model.
    pub model: Option<PathBuf>,
    /// Output package.
    #[arg(short, long, value_name = "OUT.crew")]
    pub output: PathBuf,
    #[command(flatten)]
    pub options: ModelOptions,
    /// Check every layer against this engine configuration (crew, dense, crew-16x512,
    /// dense-4x2048, dense-16x512); default: refuse only layers no configuration holds.
    #[arg(long)]
    pub engine: Option<BoardEngine>,
    /// No progress messages.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let model = match source::load(args.model.as_deref(), &args.options)? {
        Source::Model(m) => m,
        Source::Package(_) => {
            return Err(Error::Usage(format!(
                "{} is already a package",
                args.model.unwrap().display()
            )))
        }
    };
    let start = Instant::now();
    let quiet = args.quiet;
    let package = source::compile_model(&model, &args.options, &mut |p| {
        if let (false, Progress::Layer { index, total, name }) = (quiet, p) {
            eprintln!("compiling layer {}/{total}: {name}", index + 1);
        }
    })?;
    check_engine(&package, args.engine, quiet)?;
    if !quiet {
        for larger in fit::larger_than_int8(&inspect::inspect(&package)?) {
            eprintln!("note: {larger}");
        }
    }
    package.write(&args.output)?;
    if !quiet {
        eprintln!(
            "wrote {} ({} layers, image {} bytes, {:.3} s)",
            args.output.display(),
            package.info.layers.len(),
            package.container.image.len(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Refuses a layer `engine` (or, without one, every configuration) cannot hold; says which
/// configurations a layer the default engine cannot hold needs.
fn check_engine(
    package: &crew_host::Package,
    engine: Option<BoardEngine>,
    quiet: bool,
) -> Result<()> {
    let layers = &package.info.layers;
    if let Some(engine) = engine {
        return fit::check(layers, engine.config()).map_err(Error::DoesNotFit);
    }
    let default = BoardEngine::default().config();
    for misfit in fit::misfits(layers, default) {
        if misfit.holding.is_empty() {
            return Err(Error::DoesNotFit(misfit));
        }
        if !quiet {
            eprintln!("note: {misfit}");
        }
    }
    Ok(())
}
