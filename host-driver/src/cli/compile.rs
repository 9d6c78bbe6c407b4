//! `crew-host compile MODEL -o OUT.crew`.

use std::path::PathBuf;
use std::time::Instant;

use crew_host::compiler::Progress;
use crew_host::error::{Error, Result};

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
